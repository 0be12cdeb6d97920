"""Opaque keyset cursors: base64url of the last key, signed and bound to the list they came from.

The signature covers the list's scope (e.g. ``runs:<project id>``), so a cursor from one list
endpoint (or another project's list) is refused with 400 instead of being interpreted elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from services.api.errors import ApiError


def _mac(secret: str, scope: str, key: str) -> str:
    return hmac.new(secret.encode(), f"{scope}\x00{key}".encode(), hashlib.sha256).hexdigest()[:16]


def encode_cursor(last_key: str, secret: str, scope: str) -> str:
    return base64.urlsafe_b64encode(f"{last_key}|{_mac(secret, scope, last_key)}".encode()).decode().rstrip("=")


def _bad() -> ApiError:
    return ApiError(400, "bad_cursor", "the cursor is not valid for this list")


def decode_cursor(cursor: str | None, secret: str, scope: str) -> str | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, mac = raw.rsplit("|", 1)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad() from exc
    if not hmac.compare_digest(mac, _mac(secret, scope, key)):
        raise _bad()
    return key


def decode_int_cursor(cursor: str | None, secret: str, scope: str) -> int | None:
    key = decode_cursor(cursor, secret, scope)
    if key is None:
        return None
    try:
        return int(key)
    except ValueError as exc:
        raise _bad() from exc
