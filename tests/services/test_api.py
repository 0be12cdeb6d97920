"""REST API behaviour against real PostgreSQL: authorization, bad inputs, registry, concurrency."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.db.models import Dataset, Run
from services.db.session import session_factory
from tests.services.helpers import sample_records
from xlam.datasets import write_records

pytestmark = pytest.mark.services


def _count(settings: Any, model: Any, **where: Any) -> int:
    with session_factory(settings.database_url)() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return int(s.scalar(q) or 0)


def test_health_is_open_and_everything_else_needs_a_token(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "schema": "ok", "broker": "ok"}
    assert b"xlam_http_requests_total" in client.get("/metrics").content
    for path in ("/v1/me", "/v1/projects", "/v1/tokens"):
        r = client.get(path)
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/me", headers={"Authorization": "Bearer xlam_nope"}).status_code == 401


def test_authorization_matrix(client: Any, project: dict[str, Any], home: Path) -> None:
    p = project["name"]
    owner, editor, viewer, outsider = (project[k] for k in ("owner", "editor", "viewer", "outsider"))
    model_body = {"name": "m1"}
    # viewer reads, cannot write
    assert client.get(f"/v1/projects/{p}/runs", headers=viewer.h).status_code == 200
    r = client.post(f"/v1/projects/{p}/models", json=model_body, headers=viewer.h)
    assert r.status_code == 403 and "editor" in r.json()["message"]
    # outsider gets 404, never 403 (no enumeration), for reads and writes
    for method, path in (("GET", f"/v1/projects/{p}"), ("GET", f"/v1/projects/{p}/runs"),
                         ("POST", f"/v1/projects/{p}/models")):
        r = client.request(method, path, json=model_body if method == "POST" else None, headers=outsider.h)
        assert r.status_code == 404 and r.json() == {"code": "not_found", "message": "project not found", "details": None}
    # editor writes, cannot manage members or move aliases
    assert client.post(f"/v1/projects/{p}/models", json=model_body, headers=editor.h).status_code == 201
    artifact = home / f"artifact-{uuid.uuid4().hex[:6]}"
    artifact.mkdir()
    assert client.post(f"/v1/projects/{p}/models/m1/versions", json={"artifact_uri": str(artifact)},
                       headers=editor.h).status_code == 201
    r = client.put(f"/v1/projects/{p}/models/m1/aliases/champion", json={"version": 1}, headers=editor.h)
    assert r.status_code == 403 and "can_promote" in r.json()["message"]
    assert client.put(f"/v1/projects/{p}/members/{viewer.name}", json={"role": "admin"},
                      headers=editor.h).status_code == 403
    # admin moves aliases; a promoter (editor + can_promote) too
    assert client.put(f"/v1/projects/{p}/models/m1/aliases/champion", json={"version": 1},
                      headers=owner.h).status_code == 200
    client.put(f"/v1/projects/{p}/members/{editor.name}", json={"role": "editor", "can_promote": True}, headers=owner.h)
    assert client.put(f"/v1/projects/{p}/models/m1/aliases/challenger", json={"version": 1},
                      headers=editor.h).status_code == 200
    # revoked token -> 401
    tok = client.post("/v1/tokens", json={"name": "tmp"}, headers=viewer.h).json()
    h = {"Authorization": f"Bearer {tok['token']}"}
    assert client.get(f"/v1/projects/{p}", headers=h).status_code == 200
    assert client.delete(f"/v1/tokens/{tok['id']}", headers=viewer.h).json()["revoked_at"]
    r = client.get(f"/v1/projects/{p}", headers=h)
    assert r.status_code == 401 and r.json()["message"] == "token revoked"
    # tokens are stored only as hashes and listed without the secret
    listed = client.get("/v1/tokens", headers=viewer.h).json()
    assert all("token" not in t for t in listed) and any(t["id"] == tok["id"] for t in listed)
    # only platform admins create users; the last project admin cannot be removed
    assert client.post("/v1/users", json={"name": "x"}, headers=owner.h).status_code == 403
    r = client.delete(f"/v1/projects/{p}/members/{owner.name}", headers=owner.h)
    assert r.status_code == 409


def test_bad_inputs_are_rejected_with_clear_messages_and_nothing_stored(
        client: Any, project: dict[str, Any], settings: Any, home: Path) -> None:
    p, h, pid = project["name"], project["editor"].h, project["id"]
    runs = f"/v1/projects/{p}/runs"
    r = client.post(runs, content=b'{"kind": "synthesis", ', headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "malformed_json"
    r = client.post(runs, json={"kind": 7, "spec": []}, headers=h)
    assert r.status_code == 422 and {d["field"] for d in r.json()["details"]} >= {"body.kind", "body.spec"}
    r = client.post(runs, json={"kind": "data-pipeline", "spec": {}, "surprise": 1}, headers=h)
    assert r.status_code == 422 and any(d["field"] == "body.surprise" for d in r.json()["details"])
    r = client.post(runs, json={"kind": "data-pipeline", "spec": {"source": "bfcl", "inputs": ["/etc/passwd"],
                                                                  "output_name": "x"}}, headers=h)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "spec.inputs[0]"
    r = client.post(runs, json={"kind": "data-pipeline", "spec": {"source": "bfcl", "inputs": [f"{home}/../../etc"],
                                                                  "output_name": "x"}}, headers=h)
    assert r.status_code == 422 and "'..'" in r.json()["message"]
    r = client.post(runs, json={"kind": "data-pipeline", "spec": {"source": "bfcl", "inputs": [str(home)],
                                                                  "output_name": "x", "unify": {"limit": -3}}}, headers=h)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "spec.unify.limit"
    r = client.post(runs, json={"kind": "data-pipeline", "name": "n" * 129, "spec": {}}, headers=h)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "body.name"
    r = client.post(runs, content=b"{" + b" " * (70 * 1024) + b"}", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    assert _count(settings, Run, project_id=pid) == 0
    # datasets: bad URIs, traversal in upload names, invalid records, oversize uploads
    ds = f"/v1/projects/{p}/datasets"
    for uri, needle in (("http://169.254.169.254/latest", "scheme"), ("relative/path", "absolute"),
                        (f"file://{home}/../x", "'..'"), (str(home / "missing"), "manifest")):
        r = client.post(ds, json={"name": "d", "uri": uri}, headers=h)
        assert r.status_code == 422 and needle in r.json()["message"], (uri, r.json())
    upload = f"{ds}/upload"
    good = b"\n".join(r.model_dump_json().encode() for r in sample_records(2))
    for name in ("../evil", "a/b", ".hidden", "x" * 200):
        r = client.post(upload, params={"name": name}, content=good, headers=h)
        assert r.status_code == 422, name
    bad = good + b'\n{"query": 5}'
    r = client.post(upload, params={"name": "d"}, content=bad, headers=h)
    assert r.status_code == 422 and r.json()["details"]["line"] == 3
    r = client.post(upload, params={"name": "d"}, content=b"not json\n", headers=h)
    assert r.status_code == 422 and r.json()["details"]["line"] == 1
    r = client.post(upload, params={"name": "d"}, content=good * 0 + b"x" * (300 * 1024), headers=h)
    assert r.status_code == 413
    assert _count(settings, Dataset, project_id=pid) == 0
    assert not (Path(settings.artifact_root) / "projects" / pid / "datasets" / "d").exists() or not any(
        (Path(settings.artifact_root) / "projects" / pid / "datasets" / "d").iterdir())


def test_datasets_register_upload_versions_lineage_soft_delete(
        client: Any, project: dict[str, Any], home: Path) -> None:
    p, h = project["name"], project["editor"].h
    uri = home / f"ds-{uuid.uuid4().hex[:6]}"
    write_records(str(uri), sample_records(3), source="test")
    r = client.post(f"/v1/projects/{p}/datasets", json={"name": "weather", "uri": str(uri)}, headers=h)
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert v1["version"] == 1 and v1["num_records"] == 3 and r.headers["etag"] == '"1"'
    up = client.post(f"/v1/projects/{p}/datasets/upload", params={"name": "weather"},
                     content=b"\n".join(x.model_dump_json().encode() for x in sample_records(2)), headers=h)
    assert up.status_code == 201, up.text
    v2 = up.json()
    assert v2["version"] == 2 and v2["num_records"] == 2
    child = client.post(f"/v1/projects/{p}/datasets", json={"name": "derived", "uri": v2["uri"],
                                                            "parent_ids": [v1["id"], v2["id"]]}, headers=h).json()
    lineage = client.get(f"/v1/projects/{p}/datasets/{v1['id']}/lineage", headers=h).json()
    assert [c["id"] for c in lineage["children"]] == [child["id"]]
    stats = client.get(f"/v1/projects/{p}/datasets/{v1['id']}/stats", headers=h).json()
    assert stats["records"] == 3 and stats["sources"] == {"test": 3}
    # checksum corruption is detected at registration
    shard = next(x for x in uri.iterdir() if x.name != "manifest.json")
    shard.write_bytes(shard.read_bytes().replace(b"c0", b"c9"))
    r = client.post(f"/v1/projects/{p}/datasets", json={"name": "weather", "uri": str(uri)}, headers=h)
    assert r.status_code == 422 and "sha256" in r.json()["message"]
    # optimistic concurrency on update
    r = client.patch(f"/v1/projects/{p}/datasets/{v1['id']}", json={"description": "x"}, headers=h)
    assert r.status_code == 428
    r = client.patch(f"/v1/projects/{p}/datasets/{v1['id']}", json={"description": "x"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    r = client.patch(f"/v1/projects/{p}/datasets/{v1['id']}", json={"description": "y"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412 and r.json()["details"] == {"current_version": 2}
    # soft delete hides it from lists but keeps it readable
    assert client.delete(f"/v1/projects/{p}/datasets/{v1['id']}", headers=h).json()["deleted_at"]
    names = [(d["name"], d["version"]) for d in client.get(f"/v1/projects/{p}/datasets", headers=h).json()["data"]]
    assert ("weather", 1) not in names and ("weather", 2) in names
    assert client.get(f"/v1/projects/{p}/datasets", params={"include_deleted": True}, headers=h).json()["data"][-1]["id"] == v1["id"]


def test_cursor_pagination_and_filters(client: Any, project: dict[str, Any]) -> None:
    p, h = project["name"], project["editor"].h
    for i in range(7):
        assert client.post(f"/v1/projects/{p}/models", json={"name": f"model-{i}"}, headers=h).status_code == 201
    seen, cursor = [], None
    while True:
        page = client.get(f"/v1/projects/{p}/models", params={"limit": 3, **({"cursor": cursor} if cursor else {})},
                          headers=h).json()
        seen += [m["name"] for m in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"model-{i}" for i in reversed(range(7))]
    r = client.get(f"/v1/projects/{p}/models", params={"cursor": "Zm9vfGJhcg"}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "bad_cursor"
    assert [m["name"] for m in client.get(f"/v1/projects/{p}/models", params={"name_prefix": "model-6"},
                                          headers=h).json()["data"]] == ["model-6"]


def test_model_registry_versions_aliases_and_audit(client: Any, project: dict[str, Any], home: Path) -> None:
    p, owner = project["name"], project["owner"].h
    client.post(f"/v1/projects/{p}/models", json={"name": "fc"}, headers=owner)
    assert client.post(f"/v1/projects/{p}/models", json={"name": "fc"}, headers=owner).status_code == 409
    art = home / "fc-art"
    art.mkdir(exist_ok=True)
    for i in range(3):
        r = client.post(f"/v1/projects/{p}/models/fc/versions",
                        json={"artifact_uri": str(art), "metrics": {"acc": i / 10}}, headers=owner)
        assert r.json()["version"] == i + 1
    r = client.post(f"/v1/projects/{p}/models/fc/versions", json={"artifact_uri": str(art), "run_id": "run_" + "0" * 26},
                    headers=owner)
    assert r.status_code == 422 and r.json()["details"] == {"field": "run_id"}
    for v in (1, 3, 2):
        assert client.put(f"/v1/projects/{p}/models/fc/aliases/champion", json={"version": v, "reason": f"to {v}"},
                          headers=owner).status_code == 200
    alias = client.get(f"/v1/projects/{p}/models/fc/aliases/champion", headers=owner)
    assert alias.json()["version"] == 2
    stale = client.put(f"/v1/projects/{p}/models/fc/aliases/champion", json={"version": 1},
                       headers={**owner, "If-Match": '"1"'})
    assert stale.status_code == 412
    hist = client.get(f"/v1/projects/{p}/models/fc/aliases/champion/history", headers=owner).json()
    assert [(e["from_version"], e["to_version"]) for e in hist] == [(None, 1), (1, 3), (3, 2)]
    assert client.put(f"/v1/projects/{p}/models/fc/aliases/champion", json={"version": 99},
                      headers=owner).status_code == 404
    versions = client.get(f"/v1/projects/{p}/models/fc/versions", headers=owner).json()["data"]
    assert [(v["version"], v["aliases"]) for v in versions] == [(3, []), (2, ["champion"]), (1, [])]


def test_idempotent_submit_same_key_one_run_different_body_409(
        client: Any, project: dict[str, Any], settings: Any, bfcl_dir: Path) -> None:
    p, h, pid = project["name"], project["editor"].h, project["id"]
    body = {"kind": "data-pipeline", "spec": {"source": "bfcl", "inputs": [str(bfcl_dir)], "output_name": "u",
                                              "unify": {"categories": ["simple_python"], "limit": 3}}}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = client.post(f"/v1/projects/{p}/runs", json=body, headers={**h, **key})
    again = client.post(f"/v1/projects/{p}/runs", json=body, headers={**h, **key})
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    other = json.loads(json.dumps(body))
    other["spec"]["unify"]["limit"] = 4
    r = client.post(f"/v1/projects/{p}/runs", json=other, headers={**h, **key})
    assert r.status_code == 409 and r.json()["code"] == "idempotency_conflict"
    assert _count(settings, Run, project_id=pid) == 1
    run = first.json()
    assert run["state"] == "queued" and run["spec"]["unify"]["categories"] == ["simple_python"]
    # cancel before any worker picks it up: straight to cancelled, retry makes attempt 2
    assert client.post(f"/v1/projects/{p}/runs/{run['id']}/cancel", headers=h).json()["state"] == "cancelled"
    assert client.post(f"/v1/projects/{p}/runs/{run['id']}/cancel", headers=h).status_code == 409
    retried = client.post(f"/v1/projects/{p}/runs/{run['id']}/retry", headers=h).json()
    assert (retried["state"], retried["attempt"]) == ("queued", 2)
    events = client.get(f"/v1/projects/{p}/runs/{run['id']}/events", headers=h).json()
    assert [(e["from_state"], e["to_state"]) for e in events] == [(None, "queued"), ("queued", "cancelled"),
                                                                   ("cancelled", "queued")]
    client.post(f"/v1/projects/{p}/runs/{run['id']}/cancel", headers=h)
