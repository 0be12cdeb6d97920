"""Bootstrap: create the first platform admin and its token (from XLAM_BOOTSTRAP_TOKEN or generated)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api.security import display_prefix, generate_token, hash_token
from services.db.base import new_id
from services.db.models import ApiToken, User


def bootstrap_admin(session: Session, *, name: str = "admin", token: str | None = None) -> str | None:
    """Ensure an admin user ``name`` exists with ``token``; returns a new secret or None if nothing changed.

    Idempotent: with an explicit token that is already stored, nothing happens.
    """
    if token is not None and len(token) < 24:
        raise ValueError("the bootstrap token must be at least 24 characters")
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(id=new_id("usr"), name=name, is_admin=True)
        session.add(user)
        session.flush()
    secret = token or generate_token()
    digest = hash_token(secret)
    if session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest)):
        return None
    session.add(ApiToken(id=new_id("tok"), user_id=user.id, name="bootstrap", prefix=display_prefix(secret),
                         token_hash=digest))
    session.commit()
    return secret
