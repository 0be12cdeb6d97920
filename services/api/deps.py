"""FastAPI dependencies: settings, DB session, the caller, and per-project authorization."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.api.errors import ApiError, not_found
from services.api.schemas import looks_like_id
from services.api.security import hash_token, hashes_match
from services.db.base import utcnow
from services.db.models import ApiToken, Membership, Project, User
from services.settings import Settings

ROLE_RANK = {"viewer": 1, "editor": 2, "admin": 3}
bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer xlam_...`")


# Dependencies that do no I/O are ``async def``: FastAPI runs every sync dependency in the thread
# pool, and those hops (plus their GIL hand-offs) were a tenth of a request's CPU time.


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request. Creating it does no I/O (a connection is checked out on first use);
    closing one that still holds a connection (a rollback) runs in the thread pool."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


class TokenCache:
    """A short per-process cache of *valid* tokens (digest -> user), so reads skip one query.

    Revocation is immediate in the process that revokes and takes at most ``ttl`` seconds
    (``XLAM_AUTH_CACHE_SECONDS``, 0 disables) elsewhere; expiry is checked on every request.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, User, datetime | None]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, ttl: float) -> User | None:
        entry = self._entries.get(digest)
        if entry is None or ttl <= 0 or time.monotonic() - entry[0] > ttl:
            return None
        expires_at = entry[2]
        if expires_at is not None and expires_at <= utcnow():
            return None
        return entry[1]

    def put(self, digest: str, user: User, expires_at: datetime | None) -> None:
        detached = User(id=user.id, name=user.name, is_admin=user.is_admin, created_at=user.created_at)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (time.monotonic(), detached, expires_at)

    def invalidate(self, digest: str | None = None) -> None:
        with self._lock:
            if digest is None:
                self._entries.clear()
            else:
                self._entries.pop(digest, None)


token_cache = TokenCache()


async def current_user(
    request: Request, session: SessionDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    """Resolve the Bearer token to its user (401 when missing, unknown, expired or revoked).

    A cached token needs no database and no thread; otherwise the lookup runs in the thread pool.
    """
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise _unauthenticated("missing bearer token")
    if len(creds.credentials) > 200:
        raise _unauthenticated("invalid token")
    digest = hash_token(creds.credentials)
    ttl = request.app.state.settings.auth_cache_seconds
    cached = token_cache.get(digest, ttl)
    if cached is not None:
        return cached
    return await run_in_threadpool(_lookup_token, session, digest)


def _lookup_token(session: Session, digest: str) -> User:
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest)
    ).first()
    if row is None or not hashes_match(row[0].token_hash, digest):
        raise _unauthenticated("invalid token")
    token, user = row
    now = utcnow()
    if token.revoked_at is not None:
        raise _unauthenticated("token revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise _unauthenticated("token expired")
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        session.commit()
    token_cache.put(digest, user, token.expires_at)
    return user


UserDep = Annotated[User, Depends(current_user)]


async def require_global_admin(user: UserDep) -> User:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "only platform administrators may do this")
    return user


@dataclass
class ProjectAccess:
    project: Project
    user: User
    role: str
    can_promote: bool

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def project_access(
    session: SessionDep,
    user: UserDep,
    project_id: Annotated[str, Path(max_length=64, description="Project id or name.")],
) -> ProjectAccess:
    """The caller's access to a project; 404 for non-members (no enumeration).

    An id-shaped reference is looked up only as an id, anything else only as a name (names shaped
    like ids are refused at creation), so one project can never be addressed by another's id."""
    row = session.execute(
        select(Project, Membership)
        .outerjoin(Membership, (Membership.project_id == Project.id) & (Membership.user_id == user.id))
        .where(Project.id == project_id if looks_like_id(project_id) else Project.name == project_id)
    ).first()
    if row is None:
        raise not_found("project")
    project, membership = row
    if membership is None:
        if not user.is_admin:
            raise not_found("project")
        return ProjectAccess(project, user, "admin", True)
    return ProjectAccess(project, user, membership.role, membership.can_promote or membership.role == "admin")


def require_role(role: str):  # type: ignore[no-untyped-def]
    async def dep(access: Annotated[ProjectAccess, Depends(project_access)]) -> ProjectAccess:
        if not access.at_least(role):
            raise ApiError(403, "forbidden", f"this needs the {role} role in project {access.project.name}")
        return access

    return dep


Viewer = Annotated[ProjectAccess, Depends(require_role("viewer"))]
Editor = Annotated[ProjectAccess, Depends(require_role("editor"))]
Admin = Annotated[ProjectAccess, Depends(require_role("admin"))]


IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=64, description='ETag you read, e.g. "3".')]


def check_version(current: int, if_match: str | None, *, required: bool = True) -> None:
    """Compare ``If-Match`` with the current version: 428 when missing (and required), 412 on mismatch.

    Checked inside handlers, so body validation errors (422) come first.
    """
    if if_match is None:
        if required:
            raise ApiError(428, "precondition_required", "send If-Match with the ETag you read")
        return
    try:
        expected = int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError:
        expected = -1
    if current != expected:
        raise ApiError(412, "precondition_failed", f"the resource is at version {current}, not {if_match[:20]}",
                       {"current_version": current})


def etag(version: int) -> str:
    return f'"{version}"'
