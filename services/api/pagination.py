"""Opaque keyset cursors: base64url of the last id, signed so clients cannot forge them."""

from __future__ import annotations

import base64
import hashlib
import hmac

from services.api.errors import ApiError


def encode_cursor(last_key: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), last_key.encode(), hashlib.sha256).hexdigest()[:16]
    return base64.urlsafe_b64encode(f"{last_key}|{mac}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, secret: str) -> str | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, mac = raw.rsplit("|", 1)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_cursor", "the cursor is not valid") from exc
    expected = hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()[:16]
    if not hmac.compare_digest(mac, expected):
        raise ApiError(400, "bad_cursor", "the cursor is not valid")
    return key
