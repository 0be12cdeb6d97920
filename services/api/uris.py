"""Validation of dataset/artifact URIs supplied by clients (path traversal, schemes, SSRF)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from services.api.errors import ApiError
from services.settings import Settings


def _bad(uri: str, reason: str, field: str) -> ApiError:
    return ApiError(422, "bad_uri", f"{field}: {reason}", {"field": field, "uri": uri[:200]})


def check_uri(uri: str, settings: Settings, *, field: str = "uri") -> str:
    """Return the normalised URI or raise a 422 naming ``field``.

    Local paths (plain or ``file://``) must be absolute, free of ``..`` segments and inside one
    of ``XLAM_ALLOWED_URI_ROOTS``; remote URIs must use an allowed scheme.
    """
    if not uri or "\x00" in uri or any(ord(c) < 32 for c in uri):
        raise _bad(uri, "empty or contains control characters", field)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in ("", "file"):
        path = parts.path if scheme == "file" else uri
        if scheme == "file" and parts.netloc not in ("", "localhost"):
            raise _bad(uri, "file:// URIs must not name a host", field)
        if ".." in Path(path).parts:
            raise _bad(uri, "'..' path segments are not allowed", field)
        if not os.path.isabs(path):
            raise _bad(uri, "local paths must be absolute", field)
        real = os.path.realpath(path)
        roots = [os.path.realpath(r) for r in settings.allowed_uri_roots]
        if "://" not in settings.artifact_root:  # the platform's own outputs are always referable
            roots.append(os.path.realpath(settings.artifact_root))
        if not any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots):
            raise _bad(uri, "path is outside the allowed roots (XLAM_ALLOWED_URI_ROOTS)", field)
        return real
    if scheme not in settings.allowed_uri_schemes:
        raise _bad(uri, f"scheme {scheme!r} is not allowed (allowed: {', '.join(settings.allowed_uri_schemes)})", field)
    if ".." in parts.path.split("/"):
        raise _bad(uri, "'..' path segments are not allowed", field)
    return uri
