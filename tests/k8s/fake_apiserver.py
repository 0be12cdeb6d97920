"""A small, real HTTP Kubernetes API server for operator tests (no kube-apiserver can be had here).

Honours what the operator and kopf rely on:
- discovery (``/api``, ``/api/v1``, ``/apis``, ``/apis/G``, ``/apis/G/V``, ``/version``); creating a
  CustomResourceDefinition serves its kind (status subresource, namespaced/cluster scope);
- create (409 AlreadyExists), get, list (namespace, equality ``labelSelector``), watch (streamed
  chunked JSON lines from ``resourceVersion``, bookmarks, ``timeoutSeconds``), replace and patch
  (merge, strategic treated as merge, JSON patch) with ``resourceVersion`` preconditions (409
  Conflict), ``generation`` bumped on spec changes;
- the status subresource: writes to the main resource ignore ``status``, writes to ``/status``
  only change ``status``;
- deletion: objects with finalizers get ``deletionTimestamp`` and stay until the finalizers are
  removed;
- custom resources are admitted like the API server does: ``openAPIV3Schema`` validation, defaulting,
  then the CEL ``x-kubernetes-validations`` rules (cel-python) — 422 Invalid otherwise.
Not emulated: garbage collection by owner references, admission webhooks, built-in kinds' validation.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jsonschema

from operators.validation import apply_defaults, cel_available, evaluate_cel

LOG_ANNOTATION = "fake.xlam.ai/log"


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    status_subresource: bool = False
    schema: dict[str, Any] | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


BUILTIN = [
    Resource("", "v1", "namespaces", "Namespace", namespaced=False, status_subresource=True),
    Resource("", "v1", "configmaps", "ConfigMap"),
    Resource("", "v1", "secrets", "Secret"),
    Resource("", "v1", "events", "Event"),
    Resource("", "v1", "pods", "Pod", status_subresource=True),
    Resource("", "v1", "services", "Service", status_subresource=True),
    Resource("batch", "v1", "jobs", "Job", status_subresource=True),
    Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
             namespaced=False, status_subresource=True),
]


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def body(self) -> dict[str, Any]:
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, test, copy, move)."""
    doc = copy.deepcopy(doc)

    def parts(ptr: str) -> list[str]:
        return [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]

    def parent(ptr: str) -> tuple[Any, str]:
        ps = parts(ptr)
        cur = doc
        for p in ps[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, ps[-1]

    def get(ptr: str) -> Any:
        cur = doc
        for p in parts(ptr):
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur

    for op in ops:
        kind, path = op["op"], op["path"]
        try:
            if kind == "test":
                if get(path) != op["value"]:
                    raise ApiError(422, "Invalid", f"json patch test failed at {path}")
                continue
            if kind in ("copy", "move"):
                value = copy.deepcopy(get(op["from"]))
                if kind == "move":
                    c, k = parent(op["from"])
                    del c[int(k) if isinstance(c, list) else k]
                op = {"op": "add", "path": path, "value": value}
                kind = "add"
            c, k = parent(path)
            if kind == "add":
                if isinstance(c, list):
                    c.insert(len(c) if k == "-" else int(k), op["value"])
                else:
                    c[k] = op["value"]
            elif kind == "replace":
                if isinstance(c, list):
                    c[int(k)] = op["value"]
                else:
                    if k not in c:
                        raise KeyError(k)
                    c[k] = op["value"]
            elif kind == "remove":
                del c[int(k) if isinstance(c, list) else k]
            else:
                raise ApiError(422, "Invalid", f"unsupported json patch op {kind}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(422, "Invalid", f"json patch {kind} {path}: {exc}") from exc
    return doc


class Store:
    """Objects, a global resourceVersion and an event log for watches."""

    def __init__(self) -> None:
        self.resources: dict[tuple[str, str, str], Resource] = {(r.group, r.version, r.plural): r for r in BUILTIN}
        self.objects: dict[tuple[str, str, str, str], dict[str, Any]] = {}  # (group, plural, ns, name)
        self.events: list[tuple[int, str, str, str, dict[str, Any]]] = []  # rv, group, plural, type, obj
        self.rv = 100
        self.cond = threading.Condition()
        self.requests: list[tuple[str, str]] = []

    # -- helpers
    def _bump(self) -> str:
        self.rv += 1
        return str(self.rv)

    def _emit(self, res: Resource, etype: str, obj: dict[str, Any]) -> None:
        self.events.append((self.rv, res.group, res.plural, etype, copy.deepcopy(obj)))
        self.cond.notify_all()

    def _register_crd(self, crd: dict[str, Any]) -> None:
        spec = crd["spec"]
        for v in spec["versions"]:
            if v.get("served", True):
                self.resources[(spec["group"], v["name"], spec["names"]["plural"])] = Resource(
                    spec["group"], v["name"], spec["names"]["plural"], spec["names"]["kind"],
                    namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                    status_subresource="status" in (v.get("subresources") or {}),
                    schema=(v.get("schema") or {}).get("openAPIV3Schema"))

    def _admit(self, res: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        """Like the API server for a custom resource: structural validation, defaulting, CEL rules."""
        if res.schema is None:
            return obj
        errors = [f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}"
                  for e in sorted(jsonschema.Draft7Validator(res.schema).iter_errors(obj), key=lambda e: list(e.path))]
        if not errors:
            obj = apply_defaults(res.schema, obj)
            if cel_available():
                errors = evaluate_cel(res.schema, obj)
        if errors:
            detail = "; ".join(errors[:5])
            raise ApiError(422, "Invalid", f"{res.kind}.{res.group} \"{obj['metadata'].get('name')}\" is invalid: {detail}")
        return obj

    # -- verbs
    def create(self, res: Resource, ns: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            if not meta.get("name"):
                raise ApiError(422, "Invalid", "metadata.name is required")
            key = (res.group, res.plural, ns if res.namespaced else "", meta["name"])
            if key in self.objects:
                raise ApiError(409, "AlreadyExists", f'{res.plural}.{res.group} "{meta["name"]}" already exists')
            obj["apiVersion"], obj["kind"] = res.api_version, res.kind
            if res.namespaced:
                meta["namespace"] = ns
            if res.status_subresource and res.group not in ("", "batch", "apiextensions.k8s.io"):
                obj.pop("status", None)
            obj = self._admit(res, obj)
            meta = obj["metadata"]
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), generation=1,
                        resourceVersion=self._bump())
            self.objects[key] = obj
            if res.kind == "CustomResourceDefinition":
                self._register_crd(obj)
            self._emit(res, "ADDED", obj)
            return copy.deepcopy(obj)

    def get(self, res: Resource, ns: str, name: str) -> dict[str, Any]:
        obj = self.objects.get((res.group, res.plural, ns if res.namespaced else "", name))
        if obj is None:
            raise ApiError(404, "NotFound", f'{res.plural}.{res.group} "{name}" not found')
        return copy.deepcopy(obj)

    def list(self, res: Resource, ns: str | None, selector: dict[str, str]) -> dict[str, Any]:
        with self.cond:
            items = [copy.deepcopy(o) for (g, p, n, _), o in sorted(self.objects.items())
                     if g == res.group and p == res.plural and (not ns or n == ns) and _matches(o, selector)]
            return {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                    "metadata": {"resourceVersion": str(self.rv)}, "items": items}

    def update(self, res: Resource, ns: str, name: str, new: dict[str, Any], *, subresource: str | None,
               precondition_rv: str | None) -> dict[str, Any]:
        with self.cond:
            key = (res.group, res.plural, ns if res.namespaced else "", name)
            old = self.objects.get(key)
            if old is None:
                raise ApiError(404, "NotFound", f'{res.plural}.{res.group} "{name}" not found')
            if precondition_rv and precondition_rv != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res.plural}.{res.group} '
                                                f'"{name}": the object has been modified; please apply your '
                                                f'changes to the latest version and try again')
            new = copy.deepcopy(new)
            if res.status_subresource:
                if subresource == "status":
                    merged = copy.deepcopy(old)
                    if "status" in new:
                        merged["status"] = new["status"]
                    else:
                        merged.pop("status", None)
                    new = merged
                elif "status" in old:
                    new["status"] = old["status"]
                else:
                    new.pop("status", None)
            meta = new.setdefault("metadata", {})
            for k in ("uid", "creationTimestamp", "namespace", "name", "generation", "deletionTimestamp"):
                if k in old["metadata"]:
                    meta[k] = old["metadata"][k]
                else:
                    meta.pop(k, None)
            new["apiVersion"], new["kind"] = res.api_version, res.kind
            if new.get("spec") != old.get("spec"):
                meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
            new = self._admit(res, new)
            meta = new["metadata"]
            if new == {**old, "metadata": {**old["metadata"], "resourceVersion": meta.get("resourceVersion")}}:
                return copy.deepcopy(old)  # no-op writes do not bump resourceVersion
            meta["resourceVersion"] = self._bump()
            if meta.get("deletionTimestamp") and not meta.get("finalizers"):
                del self.objects[key]
                self._emit(res, "DELETED", new)
                return copy.deepcopy(new)
            self.objects[key] = new
            self._emit(res, "MODIFIED", new)
            return copy.deepcopy(new)

    def delete(self, res: Resource, ns: str, name: str) -> dict[str, Any]:
        with self.cond:
            key = (res.group, res.plural, ns if res.namespaced else "", name)
            obj = self.objects.get(key)
            if obj is None:
                raise ApiError(404, "NotFound", f'{res.plural}.{res.group} "{name}" not found')
            if obj["metadata"].get("finalizers"):
                if not obj["metadata"].get("deletionTimestamp"):
                    obj["metadata"]["deletionTimestamp"] = _now()
                    obj["metadata"]["resourceVersion"] = self._bump()
                    self._emit(res, "MODIFIED", obj)
                return copy.deepcopy(obj)
            del self.objects[key]
            self._bump()
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self._emit(res, "DELETED", obj)
            return copy.deepcopy(obj)


def _matches(obj: dict[str, Any], selector: dict[str, str]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _parse_selector(raw: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (raw or "").split(",")):
        if "=" not in part:
            continue  # existence selectors are not needed by our tests
        k, v = part.replace("==", "=").split("=", 1)
        out[k.strip()] = v.strip()
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeApiServer

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing
    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null") if length else None

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        store = self.server.store
        store.requests.append((method, self.path))
        try:
            discovery = self._discovery(url.path)
            if discovery is not None:
                self._send(200, discovery)
                return
            res, ns, name, sub = self._route(url.path)
            self._verb(method, res, ns, name, sub, query)
        except ApiError as exc:
            self._send(exc.code, exc.body())
        except (ValueError, KeyError) as exc:
            self._send(400, ApiError(400, "BadRequest", str(exc)).body())

    do_GET = lambda self: self._dispatch("GET")  # noqa: E731
    do_POST = lambda self: self._dispatch("POST")  # noqa: E731
    do_PUT = lambda self: self._dispatch("PUT")  # noqa: E731
    do_PATCH = lambda self: self._dispatch("PATCH")  # noqa: E731
    do_DELETE = lambda self: self._dispatch("DELETE")  # noqa: E731

    def _discovery(self, path: str) -> dict[str, Any] | None:
        store = self.server.store
        path = path.rstrip("/")
        if path == "/version":
            return {"major": "1", "minor": "35", "gitVersion": "v1.35.0-xlam-fake", "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        groups: dict[str, list[str]] = {}
        for (g, v, _) in store.resources:
            if g and v not in groups.setdefault(g, []):
                groups[g].append(v)

        def group_doc(g: str) -> dict[str, Any]:
            vs = [{"groupVersion": f"{g}/{v}", "version": v} for v in groups[g]]
            return {"kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": vs, "preferredVersion": vs[0]}

        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group_doc(g) for g in sorted(groups)]}
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "apis" and parts[1] in groups:
            return group_doc(parts[1])
        if (len(parts) == 2 and parts[0] == "api") or (len(parts) == 3 and parts[0] == "apis"):
            g, v = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
            rs = [r for (gg, vv, _), r in store.resources.items() if gg == g and vv == v]
            if not rs:
                raise ApiError(404, "NotFound", f"no API group version {g}/{v}")
            items: list[dict[str, Any]] = []
            for r in rs:
                verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
                items.append({"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": verbs})
                if r.status_subresource:
                    items.append({"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                                  "kind": r.kind, "verbs": ["get", "patch", "update"]})
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{g}/{v}".lstrip("/"),
                    "resources": items}
        return None

    def _route(self, path: str) -> tuple[Resource, str | None, str | None, str | None]:
        parts = path.strip("/").split("/")
        if parts[0] == "api":
            g, v, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            g, v, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", f"unknown path {path}")
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        res = self.server.store.resources.get((g, v, rest[0])) if rest else None
        if res is None:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub and not ((sub == "status" and res.status_subresource) or (sub == "log" and res.kind == "Pod")):
            raise ApiError(404, "NotFound", f"no subresource {sub}")
        return res, ns, name, sub

    def _verb(self, method: str, res: Resource, ns: str | None, name: str | None, sub: str | None,
              query: dict[str, str]) -> None:
        store = self.server.store
        nsv = ns or ""
        if method == "GET" and name is None:
            selector = _parse_selector(query.get("labelSelector"))
            if query.get("watch") in ("true", "1"):
                self._watch(res, ns, selector, query)
            else:
                self._send(200, store.list(res, ns, selector))
        elif method == "GET" and sub == "log":
            self._pod_log(store.get(res, nsv, name), query)
        elif method == "GET":
            self._send(200, store.get(res, nsv, name))
        elif method == "POST" and name is None:
            body = self._body()
            if res.namespaced and not ns:
                raise ApiError(400, "BadRequest", "namespaced resource needs a namespace in the path")
            self._send(201, store.create(res, nsv, body))
        elif method == "PUT" and name:
            body = self._body()
            rv = (body.get("metadata") or {}).get("resourceVersion")
            self._send(200, store.update(res, nsv, name, body, subresource=sub, precondition_rv=rv))
        elif method == "PATCH" and name:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0]
            body = self._body()
            with store.cond:
                current = store.get(res, nsv, name)
                if ctype == "application/json-patch+json":
                    new, rv = json_patch(current, body), None
                elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                    rv = ((body or {}).get("metadata") or {}).get("resourceVersion")
                    new = merge_patch(current, body)
                else:
                    raise ApiError(415, "UnsupportedMediaType", f"unsupported patch type {ctype}")
                self._send(200, store.update(res, nsv, name, new, subresource=sub, precondition_rv=rv))
        elif method == "DELETE" and name:
            self._body()
            self._send(200, store.delete(res, nsv, name))
        else:
            raise ApiError(405, "MethodNotAllowed", f"{method} not allowed here")

    def _pod_log(self, pod: dict[str, Any], query: dict[str, str]) -> None:
        """Pod logs are emulated from the annotation ``fake.xlam.ai/log`` (lines starting with an RFC
        3339 timestamp), honouring ``sinceTime`` (inclusive, like the kubelet) and ``timestamps``."""
        lines = ((pod["metadata"].get("annotations") or {}).get(LOG_ANNOTATION) or "").splitlines()
        since = query.get("sinceTime")
        if since:
            lines = [ln for ln in lines if ln.split(" ", 1)[0] >= since]
        if query.get("timestamps") not in ("true", "1"):
            lines = [ln.split(" ", 1)[1] if " " in ln else "" for ln in lines]
        data = ("\n".join(lines) + ("\n" if lines else "")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _watch(self, res: Resource, ns: str | None, selector: dict[str, str], query: dict[str, str]) -> None:
        store = self.server.store
        since = int(query.get("resourceVersion") or 0) or store.rv
        deadline = time.monotonic() + min(float(query.get("timeoutSeconds") or 60), self.server.max_watch_s)
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")  # a finished watch never carries another request
        self.end_headers()
        sent = 0
        try:
            while not self.server.stopping.is_set():
                with store.cond:
                    pending = [e for e in store.events if e[0] > since and e[1] == res.group and e[2] == res.plural
                               and (not ns or e[4]["metadata"].get("namespace") == ns) and _matches(e[4], selector)]
                    if not pending:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        store.cond.wait(timeout=min(remaining, 0.5))
                        continue
                for rv, _, _, etype, obj in pending:
                    self._chunk({"type": etype, "object": obj})
                    since = rv
                    sent += 1
                if bookmarks and sent % 20 == 0:
                    self._chunk({"type": "BOOKMARK", "object": {"kind": res.kind, "apiVersion": res.api_version,
                                                                "metadata": {"resourceVersion": str(since)}}})
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _chunk(self, event: dict[str, Any]) -> None:
        data = json.dumps(event).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class FakeApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, max_watch_s: float = 30.0) -> None:
        super().__init__((host, port), Handler)
        self.store = Store()
        self.stopping = threading.Event()
        self.max_watch_s = max_watch_s
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def start(self) -> FakeApiServer:
        self._thread = threading.Thread(target=self.serve_forever, name="fake-apiserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self.store.cond:
            self.store.cond.notify_all()
        self.shutdown()
        self.server_close()

    def kubeconfig(self) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Config", "current-context": "fake",
                "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                "users": [{"name": "fake", "user": {"token": "fake-token"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake",
                                                          "namespace": "default"}}]}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Run the fake Kubernetes API server.")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    server = FakeApiServer(port=args.port)
    print(f"fake apiserver on {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
