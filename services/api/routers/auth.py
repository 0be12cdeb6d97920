"""Users (platform admins create them) and API tokens (each user manages their own)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api.deps import SessionDep, UserDep, require_global_admin, token_cache
from services.api.errors import ERROR_RESPONSES, ApiError, not_found
from services.api.schemas import TokenCreate, TokenCreated, TokenOut, UserCreate, UserCreated, UserOut
from services.api.security import display_prefix, generate_token, hash_token
from services.db.base import new_id, utcnow
from services.db.models import ApiToken, User

router = APIRouter(prefix="/v1", tags=["auth"], responses=ERROR_RESPONSES)


def issue_token(session: Session, user: User, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    secret = generate_token()
    token = ApiToken(
        id=new_id("tok"), user_id=user.id, name=name, prefix=display_prefix(secret), token_hash=hash_token(secret),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    return token, secret


@router.get("/me", response_model=UserOut, summary="The caller")
def me(user: UserDep) -> User:
    return user


@router.post("/users", response_model=UserCreated, status_code=201, summary="Create a user (platform admin)")
def create_user(body: UserCreate, session: SessionDep, _: Annotated[User, Depends(require_global_admin)]) -> UserCreated:
    """Creates a user and a first API token (shown once)."""
    if session.scalar(select(User.id).where(User.name == body.name)):
        raise ApiError(409, "conflict", f"user {body.name!r} exists")
    user = User(id=new_id("usr"), name=body.name, is_admin=body.is_admin)
    session.add(user)
    session.flush()
    _token, secret = issue_token(session, user, "initial")
    session.commit()
    return UserCreated(**UserOut.model_validate(user).model_dump(), token=secret)


@router.get("/users", response_model=list[UserOut], summary="List users (platform admin)")
def list_users(session: SessionDep, _: Annotated[User, Depends(require_global_admin)]) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name).limit(1000)))


@router.post("/tokens", response_model=TokenCreated, status_code=201, summary="Create an API token")
def create_token(body: TokenCreate, session: SessionDep, user: UserDep) -> TokenCreated:
    """The secret is in this response only; the server keeps its sha256."""
    token, secret = issue_token(session, user, body.name, body.expires_in_days)
    session.commit()
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.get("/tokens", response_model=list[TokenOut], summary="List my tokens")
def list_tokens(session: SessionDep, user: UserDep) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke a token")
def revoke_token(token_id: Annotated[str, Path(max_length=40)], session: SessionDep, user: UserDep) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not user.is_admin):
        raise not_found("token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    token_cache.invalidate(token.token_hash)
    return token
