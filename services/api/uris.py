"""Validation of dataset/artifact URIs supplied by clients (path traversal, schemes, SSRF, projects).

Every local path is resolved (symlinks followed) before it is compared with the allowed roots, so
a symlink cannot lead out of them. The platform's artifact root holds every project's storage
(``<artifact_root>/projects/<project id>/``): a project reaches only its own subtree there.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from services.api.errors import ApiError
from services.settings import Settings

# fsspec protocols whose drivers are separate packages (the name users need to install).
_DRIVER_PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
                    "abfss": "adlfs", "hf": "huggingface_hub"}
_NO_DRIVER_NEEDED = {"bfcl"}


def _bad(uri: str, reason: str, field: str) -> ApiError:
    return ApiError(422, "bad_uri", f"{field}: {reason}", [{"field": field, "message": reason, "uri": uri[:200]}])


@lru_cache(maxsize=64)
def _real_roots(roots: tuple[str, ...]) -> tuple[str, ...]:
    """Resolved configured roots (settings are fixed for the process; resolving them per request was
    most of a URI check's time)."""
    return tuple(os.path.realpath(r) for r in roots)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def project_storage(settings: Settings, project_id: str) -> str:
    """The directory (or URI prefix) of one project's storage under the artifact root."""
    root = settings.artifact_root
    if "://" in root:
        return root.rstrip("/") + f"/projects/{project_id}"
    return os.path.join(_real_roots((root,))[0], "projects", project_id)


def driver_problem(scheme: str) -> str | None:
    """Why URIs of ``scheme`` cannot be opened on this server (a missing fsspec driver), or None."""
    if scheme in _NO_DRIVER_NEEDED:
        return None
    import fsspec

    try:
        fsspec.get_filesystem_class(scheme)
    except ImportError:
        package = _DRIVER_PACKAGES.get(scheme, f"the fsspec driver for {scheme!r}")
        return f"scheme {scheme!r} needs {package}, which is not installed on this server"
    except ValueError:
        return f"scheme {scheme!r} has no fsspec driver"
    return None


def check_uri(uri: str, settings: Settings, *, field: str = "uri", project_id: str | None = None,
              need_driver: bool = False) -> str:
    """Return the normalised URI or raise a 422 naming ``field``.

    Local paths (plain or ``file://``) must be absolute, free of ``..`` segments and, once
    resolved, inside one of ``XLAM_ALLOWED_URI_ROOTS`` or the caller's project storage; anything
    else under the artifact root (another project's storage) is refused. Remote URIs must use an
    allowed scheme (with its driver installed when ``need_driver``) and stay out of other
    projects' storage under a remote artifact root.
    """
    if not uri or any(ord(c) < 32 for c in uri):
        raise _bad(uri, "empty or contains control characters", field)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    own = project_storage(settings, project_id) if project_id else None
    if scheme in ("", "file"):
        path = parts.path if scheme == "file" else uri
        if scheme == "file" and parts.netloc not in ("", "localhost"):
            raise _bad(uri, "file:// URIs must not name a host", field)
        if ".." in Path(path).parts:
            raise _bad(uri, "'..' path segments are not allowed", field)
        if not os.path.isabs(path):
            raise _bad(uri, "local paths must be absolute", field)
        real = os.path.realpath(path)
        roots = _real_roots(tuple(settings.allowed_uri_roots))
        if "://" not in settings.artifact_root:
            artifacts = _real_roots((settings.artifact_root,))[0]
            if _inside(real, artifacts):  # the platform's storage: only the caller's own project
                if own is None or not _inside(real, own):
                    raise _bad(uri, "path is in the platform's storage outside this project", field)
                return real
        if not any(_inside(real, r) for r in roots):
            raise _bad(uri, "path is outside the allowed roots (XLAM_ALLOWED_URI_ROOTS)", field)
        return real
    if scheme not in settings.allowed_uri_schemes:
        raise _bad(uri, f"scheme {scheme!r} is not allowed (allowed: {', '.join(settings.allowed_uri_schemes)})", field)
    if ".." in parts.path.split("/"):
        raise _bad(uri, "'..' path segments are not allowed", field)
    root = settings.artifact_root
    in_storage = "://" in root and _inside(uri.rstrip("/"), root.rstrip("/"))
    if in_storage and (own is None or not _inside(uri.rstrip("/"), own)):
        raise _bad(uri, "URI is in the platform's storage outside this project", field)
    if need_driver and (problem := driver_problem(scheme)):
        raise _bad(uri, problem, field)
    return uri


def check_dataset_confined(path: str, *, field: str = "uri") -> None:
    """A local dataset's manifest and shards resolve inside its directory (no ``..``, no symlinks out).

    A directory without a manifest passes (the reader reports it); remote URIs are not checked here.
    """
    if "://" in path and not path.startswith("file://"):
        return
    root = os.path.realpath(path.removeprefix("file://"))
    manifest = os.path.join(root, "manifest.json")
    if not os.path.isfile(manifest):
        return
    if not _inside(os.path.realpath(manifest), root):
        raise _bad(path, "manifest.json is a link out of the dataset directory", field)
    try:
        with open(manifest, "rb") as fh:
            shards = json.loads(fh.read(8 << 20)).get("shards") or []
    except (OSError, ValueError, AttributeError):
        return  # not a manifest we can read: the dataset reader reports the real problem
    for shard in shards if isinstance(shards, list) else []:
        name = str(shard.get("path", "")) if isinstance(shard, dict) else ""
        if not name or os.path.isabs(name) or ".." in Path(name).parts or "://" in name:
            raise _bad(path, f"shard path {name[:100]!r} is not a plain path inside the dataset", field)
        if not _inside(os.path.realpath(os.path.join(root, name)), root):
            raise _bad(path, f"shard {name[:100]!r} resolves outside the dataset directory (symlink)", field)
