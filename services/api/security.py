"""API tokens: opaque, high-entropy, shown once, stored as sha256."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "xlam_"


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    return token[:12]


def hashes_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
