"""REST tool execution: one HTTP request per call, only against allow-listed base URLs.

An endpoint (``ExecutableTool.endpoint``) is a dict::

    {"method": "GET", "base_url": "http://127.0.0.1:8000", "path": "/weather/{city}",
     "path_params": ["city"], "query_params": ["units"], "header_params": [], "body_params": [],
     "body": "json" | "form" | None, "timeout_s": 10}

Arguments are routed to the path, the query string, headers or the JSON body by those lists;
arguments not listed go to the query string for GET/DELETE and to the body otherwise. The
response's status code is checked (APIGen's execution checker): 2xx returns the decoded JSON (or
text); anything else raises :class:`RestCallError` with the status and a short body excerpt.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import httpx


class RestCallError(RuntimeError):
    """The HTTP call failed: a non-2xx status, a transport error or a bad endpoint."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class NetworkDenied(PermissionError):
    """The URL is not under an allow-listed base URL or host."""


def _origin(url: str) -> tuple[str, str, int | None, str]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default, parts.path or "/"


def is_allowed(url: str, allow_list: Iterable[str]) -> bool:
    """Whether ``url`` is under one entry of ``allow_list``.

    Entries are base URLs (``http://127.0.0.1:8000/api``: same scheme, host and port and a path
    under that prefix) or bare hosts (``api.example.com``, ``127.0.0.1:8000``). When the list
    holds any base URL, bare hosts are ignored (they only open the sandbox's network guard), so
    a base URL allow list is never widened to the whole host.
    """
    scheme, host, port, path = _origin(url)
    if scheme not in ("http", "https") or not host:
        return False
    entries = [e for e in allow_list if e.strip()]
    if any("://" in e for e in entries):
        entries = [e for e in entries if "://" in e]
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        if "://" in entry:
            e_scheme, e_host, e_port, e_path = _origin(entry)
            prefix = e_path.rstrip("/")
            if (e_scheme, e_host, e_port) == (scheme, host, port) and (
                not prefix or path == prefix or path.startswith(prefix + "/")
            ):
                return True
        else:
            e_host, _, e_port_text = entry.lower().partition(":")
            if e_host == host and (not e_port_text or int(e_port_text) == port):
                return True
    return False


def build_request(endpoint: Mapping[str, Any], arguments: Mapping[str, Any]) -> httpx.Request:
    """The HTTP request for ``arguments`` (no I/O)."""
    method = str(endpoint.get("method", "GET")).upper()
    base_url = str(endpoint.get("base_url", "")).rstrip("/")
    if not base_url:
        raise RestCallError("endpoint has no base_url")
    path = str(endpoint.get("path", ""))
    path_params = set(endpoint.get("path_params", []))
    query_params = set(endpoint.get("query_params", []))
    header_params = set(endpoint.get("header_params", []))
    body_params = set(endpoint.get("body_params", []))
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    for name, value in arguments.items():
        if name in path_params:
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        elif name in query_params:
            query[name] = value
        elif name in header_params:
            headers[name] = str(value)
        elif name in body_params or method not in ("GET", "DELETE", "HEAD"):
            body[name] = value
        else:
            query[name] = value
    if "{" in path:
        raise RestCallError(f"missing path parameter(s) in {path!r}")
    query = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items()}
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    if body:
        if endpoint.get("body") == "form":
            kwargs["data"] = body
        else:
            kwargs["json"] = body
    return httpx.Request(method, base_url + path, **kwargs)


def invoke(endpoint: Mapping[str, Any], arguments: Mapping[str, Any], allow_list: Iterable[str]) -> Any:
    """Call a REST endpoint with ``arguments``; refuses URLs outside ``allow_list``.

    Returns the decoded JSON body (or the text body when it is not JSON).
    """
    request = build_request(endpoint, arguments)
    url = str(request.url)
    allowed = list(allow_list)
    if not is_allowed(url, allowed):
        raise NetworkDenied(f"{url} is not under an allow-listed base URL ({', '.join(allowed) or 'none'})")
    timeout = float(endpoint.get("timeout_s", 10.0))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.send(request)
    except httpx.HTTPError as exc:
        raise RestCallError(f"{request.method} {url}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise RestCallError(
            f"{request.method} {url} returned HTTP {response.status_code}: {response.text[:200]}",
            status_code=response.status_code,
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


__all__ = ["NetworkDenied", "RestCallError", "build_request", "invoke", "is_allowed"]
