"""The control plane attacked the way a malicious editor or a careless client would (issue 16).

Real PostgreSQL, Redis and a real Celery worker; every test names the finding it guards:
SSRF/secret exfiltration through run specs, project-id hijack, cross-project data through paths,
unchecked server-side paths/modules, and 500s from bad input.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from services.db.base import new_id, utcnow
from services.db.models import Project, Run, RunEvent, User
from services.db.session import session_factory
from tests.services.conftest import WorkerProcess, wait_for
from tests.services.helpers import sample_records

pytestmark = pytest.mark.services

ENDPOINT_KEY = "sk-endpoint-" + uuid.uuid4().hex  # the admin's secret for the configured endpoint
REMOTE_MARKER = "REMOTE-BODY-" + uuid.uuid4().hex  # what the remote answers; must never reach a run


class Listener:
    """A loopback HTTP server that records every request (path, headers, body) and answers 500."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": self.rfile.read(length).decode("utf-8", "replace")})
                body = json.dumps({"error": {"message": REMOTE_MARKER}}).encode()
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def secrets_seen(self, *secrets: str) -> list[str]:
        blob = json.dumps(self.requests)
        return [s for s in secrets if s and s in blob]


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def settings(pg_url: str, module_redis: str, home: Path, bfcl_dir: Path, listener: Listener) -> Any:
    """The suite's settings plus one admin-configured generator endpoint ('loop') at the listener."""
    from services.settings import Settings

    return Settings(
        env="test", home=home, database_url=pg_url, broker_url=module_redis, result_backend=module_redis,
        task_queue=f"xlam-test-{uuid.uuid4().hex[:8]}", allowed_uri_roots=[str(home), str(bfcl_dir)],
        lease_seconds=4, heartbeat_seconds=1, poll_seconds=0.2, reconcile_seconds=1, queued_grace_seconds=30,
        visibility_timeout=60, max_body_bytes=64 * 1024, max_upload_bytes=256 * 1024, secret_key="t" * 40,
        generator_endpoints={"loop": {"base_url": listener.url, "api_key_env": "XLAM_TEST_ENDPOINT_KEY",
                                      "model": "m"}},
        generator_allowed_hosts=["127.0.0.1"],
    )


@pytest.fixture(scope="module")
def worker(settings: Any, home: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess(settings, home / "worker.log", extra_env={"XLAM_TEST_ENDPOINT_KEY": ENDPOINT_KEY})
    w.start()
    yield w
    w.stop()


def _submit(client: Any, p: str, h: dict[str, str], kind: str, spec: dict[str, Any]) -> Any:
    return client.post(f"/v1/projects/{p}/runs", json={"kind": kind, "spec": spec}, headers=h)


def _field(r: Any) -> str:
    return str(r.json()["details"][0]["field"])


# --- 1. SSRF and secret exfiltration through run specs ------------------------------------------
def _attacks(url: str) -> list[tuple[str, dict[str, Any], str]]:
    """(kind, spec, field refused) for every place a run could name a host or an env var."""
    exfil = {"backend": "openai", "base_url": url, "api_key_env": "XLAM_DATABASE_URL", "max_retries": 0}
    meta = {"backend": "openai", "base_url": "http://169.254.169.254/latest/meta-data", "max_retries": 0}
    return [
        ("synthesis", {"output_name": "s", "config": {"n": 1, "generator": exfil}}, "spec.config.generator.base_url"),
        ("synthesis", {"output_name": "s", "config": {"n": 1, "generator": meta}}, "spec.config.generator.base_url"),
        ("synthesis", {"output_name": "s", "config": {"n": 1, "semantic_judge": exfil}},
         "spec.config.semantic_judge.base_url"),
        ("synthesis", {"output_name": "s", "config": {"n": 1, "base_url": url}}, "spec.config.base_url"),
        ("synthesis", {"output_name": "s", "config": {"n": 1, "rest_allow_list": [url]}},
         "spec.config.rest_allow_list[0]"),
        ("evaluation", {"config": {"model": "smol", "generator": exfil, "categories": ["simple_python"], "limit": 1}},
         "spec.config.generator.base_url"),
        ("data-pipeline", {"source": "bfcl", "inputs": ["bfcl://simple_python"], "output_name": "d",
                           "engine": "direct", "dedup": None, "verify": {"judge": exfil}}, "spec.verify.judge.base_url"),
        ("data-pipeline", {"source": "bfcl", "inputs": ["bfcl://simple_python"], "output_name": "d",
                           "augment": {"paraphrase": exfil}}, "spec.augment.paraphrase.base_url"),
        # an endpoint name with a host or env var next to it, an unknown name, a bare openai generator
        ("synthesis", {"output_name": "s", "config": {"generator": {"backend": "openai", "endpoint": "loop",
                                                                   "api_key_env": "XLAM_SECRET_KEY"}}},
         "spec.config.generator.api_key_env"),
        ("synthesis", {"output_name": "s", "config": {"generator": {"backend": "openai", "endpoint": "nope"}}},
         "spec.config.generator.endpoint"),
        ("evaluation", {"config": {"generator": {"backend": "openai", "model": "x", "extra_headers": {"a": "b"}}}},
         "spec.config.generator"),
    ]


def test_runs_cannot_name_hosts_or_env_vars_and_the_listener_gets_nothing(
        client: Any, project: dict[str, Any], listener: Listener) -> None:
    p, h = project["name"], project["editor"].h
    before = len(listener.requests)
    for kind, spec, field in _attacks(listener.url):
        r = _submit(client, p, h, kind, spec)
        assert r.status_code == 422, (kind, spec, r.text)
        assert _field(r).startswith(field), (field, r.json())
    assert client.get(f"/v1/projects/{p}/runs", headers=h).json()["data"] == []
    assert len(listener.requests) == before


def test_a_stored_spec_naming_a_host_is_refused_by_the_worker_too(
        client: Any, project: dict[str, Any], worker: WorkerProcess, settings: Any, listener: Listener) -> None:
    """Defense in depth: a run row written before the API check existed (or by hand) still never
    reaches the host nor sends a secret."""
    from services.worker.enqueue import enqueue_run

    p, h = project["name"], project["editor"].h
    spec = {"output_name": "s", "config": {"n": 1, "generator": {
        "backend": "openai", "base_url": listener.url, "api_key_env": "XLAM_DATABASE_URL", "max_retries": 0}}}
    run_id, now = new_id("run"), utcnow()
    with session_factory(settings.database_url)() as s:
        s.execute(insert(Run).values(id=run_id, project_id=project["id"], kind="synthesis", name="old", spec=spec,
                                     backend="local", state="queued", created_at=now, updated_at=now, outputs={}))
        s.execute(insert(RunEvent).values(run_id=run_id, attempt=1, to_state="queued", message="", at=now))
        s.commit()
    before = len(listener.requests)
    enqueue_run(settings, run_id)
    done = wait_for(lambda: (r := client.get(f"/v1/projects/{p}/runs/{run_id}", headers=h).json())["state"]
                    in ("succeeded", "failed") and r, timeout=90)
    assert done["state"] == "failed" and "must name a platform endpoint" in done["message"]
    assert len(listener.requests) == before


def test_a_named_endpoint_gets_the_admins_secret_and_its_body_is_never_echoed(
        client: Any, project: dict[str, Any], worker: WorkerProcess, listener: Listener, settings: Any) -> None:
    p, h = project["name"], project["editor"].h
    before = len(listener.requests)
    spec = {"output_name": "s", "config": {"n": 1, "generator": {"backend": "openai", "endpoint": "loop",
                                                                 "max_retries": 0}}}
    run = _submit(client, p, h, "synthesis", spec)
    assert run.status_code == 201, run.text
    assert "base_url" not in json.dumps(run.json()["spec"]) or run.json()["spec"]["config"]["generator"]["base_url"] is None
    done = wait_for(lambda: (r := client.get(f"/v1/projects/{p}/runs/{run.json()['id']}", headers=h).json())["state"]
                    in ("succeeded", "failed") and r, timeout=120)
    assert done["state"] == "failed"
    new = listener.requests[before:]
    assert new and all(req["path"] == "/v1/chat/completions" for req in new)
    assert {req["headers"].get("Authorization") for req in new} == {f"Bearer {ENDPOINT_KEY}"}
    # no platform secret went out; the remote's body is in neither the message nor the logs
    assert listener.secrets_seen(settings.database_url, settings.secret_key, "postgres@") == []
    assert REMOTE_MARKER not in done["message"] and "HTTP 500" in done["message"], done["message"]
    logs = client.get(f"/v1/projects/{p}/runs/{done['id']}/logs", params={"limit": 5000}, headers=h).json()
    assert logs["data"] and not any(REMOTE_MARKER in line["line"] for line in logs["data"])


def test_users_see_endpoint_names_but_not_hosts_or_secrets(client: Any, project: dict[str, Any],
                                                           listener: Listener) -> None:
    r = client.get("/v1/generator-endpoints", headers=project["viewer"].h)
    assert r.status_code == 200 and r.json() == [{"name": "loop", "model": "m"}]
    assert listener.url not in r.text and "XLAM_TEST_ENDPOINT_KEY" not in r.text
    assert client.get("/v1/generator-endpoints").status_code == 401


def test_stage_processes_do_not_get_the_platforms_secrets(
        client: Any, project: dict[str, Any], worker: WorkerProcess, bfcl_dir: Path) -> None:
    """The run's own process (its code, the models it loads) has no database URL or server secret."""
    p, h = project["name"], project["editor"].h
    spec = {"source": "bfcl", "inputs": [str(bfcl_dir)] * 2, "output_name": "envcheck", "verify": None,
            "dedup": None, "engine": "direct"}
    run = _submit(client, p, h, "data-pipeline", spec).json()
    running = wait_for(lambda: (r := client.get(f"/v1/projects/{p}/runs/{run['id']}", headers=h).json())["state"]
                       == "running" and r, timeout=60)
    work = running["external_ref"].removeprefix("local:")

    def stage_environ() -> dict[str, str] | None:
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and work in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    raw = (proc / "environ").read_bytes().split(b"\0")
                    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)
            except OSError:
                continue
        return None

    env = wait_for(stage_environ, timeout=30, interval=0.05)
    client.post(f"/v1/projects/{p}/runs/{run['id']}/cancel", headers=h)
    assert "XLAM_DATABASE_URL" not in env and "XLAM_SECRET_KEY" not in env and "XLAM_BROKER_URL" not in env
    assert env.get("XLAM_TEST_ENDPOINT_KEY") == ENDPOINT_KEY  # what named endpoints need stays


def test_endpoint_settings_refuse_hosts_outside_the_allow_list() -> None:
    from pydantic import ValidationError

    from services.settings import Settings

    for url, hosts in (("http://169.254.169.254/v1", ["169.254.169.254"]), ("http://evil.example/v1", ["ok.example"]),
                       ("http://u:p@ok.example/v1", ["ok.example"]), ("file:///etc/passwd", ["ok.example"])):
        with pytest.raises(ValidationError):
            Settings(generator_endpoints={"x": {"base_url": url}}, generator_allowed_hosts=hosts)


# --- 2. project id hijack --------------------------------------------------------------------------
def test_a_project_name_cannot_take_another_projects_id(client: Any, project: dict[str, Any],
                                                         make_user: Any, settings: Any) -> None:
    attacker = make_user("attacker")
    victim_id = project["id"]
    for name in (victim_id, victim_id.upper(), "usr_" + "a" * 26, "x_" + "0" * 26):
        r = client.post("/v1/projects", json={"name": name}, headers=attacker.h)
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "body.name", (name, r.text)
    assert client.post("/v1/users", json={"name": "usr_" + "b" * 26},
                       headers={"Authorization": f"Bearer {_admin_token(settings)}"}).status_code == 422
    # a legacy row whose name is the victim's id (created before the check) cannot capture lookups by id
    with session_factory(settings.database_url)() as s:
        me = s.scalar(select(User.id).where(User.name == attacker.name))
        s.add(Project(id=new_id("prj"), name=victim_id, description="legacy", created_by=me))
        s.commit()
    owner = project["owner"]
    got = client.get(f"/v1/projects/{victim_id}", headers=owner.h)
    assert got.status_code == 200 and got.json()["id"] == victim_id and got.json()["name"] == project["name"]
    model = client.post(f"/v1/projects/{victim_id}/models", json={"name": "m"}, headers=owner.h)
    assert model.status_code == 201
    assert client.get(f"/v1/projects/{project['name']}/models/m", headers=owner.h).status_code == 200


def _admin_token(settings: Any) -> str:
    from services.api.bootstrap import bootstrap_admin

    with session_factory(settings.database_url)() as s:
        token = bootstrap_admin(s)
    if token:
        return token
    raise AssertionError("no admin token")  # pragma: no cover


# --- 3. cross-project data through paths -----------------------------------------------------------
def test_another_projects_storage_is_unreachable_by_uri(client: Any, project: dict[str, Any],
                                                         make_user: Any, settings: Any) -> None:
    p, h = project["name"], project["editor"].h
    up = client.post(f"/v1/projects/{p}/datasets/upload", params={"name": "secret-data"},
                     content=b"\n".join(r.model_dump_json().encode() for r in sample_records(3)), headers=h)
    assert up.status_code == 201, up.text
    victim_uri = up.json()["uri"]
    # the owner may register their own storage
    assert client.post(f"/v1/projects/{p}/datasets", json={"name": "again", "uri": victim_uri},
                       headers=h).status_code == 201
    thief = make_user("thief")
    other = f"o-{uuid.uuid4().hex[:8]}"
    assert client.post("/v1/projects", json={"name": other}, headers=thief.h).status_code == 201
    th = thief.h
    victim_root = str(Path(settings.artifact_root) / "projects" / project["id"])
    attempts = [
        ("POST", f"/v1/projects/{other}/datasets", {"name": "stolen", "uri": victim_uri}, "uri"),
        ("POST", f"/v1/projects/{other}/datasets", {"name": "stolen", "uri": f"file://{victim_uri}"}, "uri"),
        ("POST", f"/v1/projects/{other}/models/mm/versions", {"artifact_uri": victim_root}, "artifact_uri"),
        ("POST", f"/v1/projects/{other}/runs", {"kind": "training", "spec": {"model_name": "x", "config": {
            "model": {"recipe": "tiny"}, "data": {"datasets": [victim_uri]}}}}, "spec.config.data.datasets[0]"),
        ("POST", f"/v1/projects/{other}/runs", {"kind": "synthesis", "spec": {
            "output_name": "s", "config": {"seed_uri": victim_uri}}}, "spec.config.seed_uri"),
        ("POST", f"/v1/projects/{other}/runs", {"kind": "data-pipeline", "spec": {
            "source": "openai", "inputs": [victim_uri], "output_name": "d"}}, "spec.inputs[0]"),
    ]
    assert client.post(f"/v1/projects/{other}/models", json={"name": "mm"}, headers=th).status_code == 201
    for method, url, body, field in attempts:
        r = client.request(method, url, json=body, headers=th)
        assert r.status_code == 422 and _field(r) == field, (url, body, r.text)
        assert "outside this project" in r.json()["message"], r.text
    # a symlink in an allowed root that points into the victim's storage leads nowhere either
    link = Path(settings.home) / f"link-{uuid.uuid4().hex[:6]}"
    link.symlink_to(victim_uri, target_is_directory=True)
    r = client.post(f"/v1/projects/{other}/datasets", json={"name": "stolen", "uri": str(link)}, headers=th)
    assert r.status_code == 422 and "outside this project" in r.json()["message"]
    assert client.get(f"/v1/projects/{other}/datasets", headers=th).json()["data"] == []


def _dataset_dir(home: Path, shard_name: str) -> Path:
    from xlam.datasets import write_records

    d = home / f"ds-{uuid.uuid4().hex[:6]}"
    manifest = write_records(str(d), sample_records(2), source="test").model_dump(mode="json")
    manifest["shards"][0]["path"] = shard_name
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


def test_manifest_shards_stay_inside_their_dataset(client: Any, project: dict[str, Any], home: Path,
                                                   settings: Any) -> None:
    p, h = project["name"], project["editor"].h
    outside = home / f"outside-{uuid.uuid4().hex[:6]}.jsonl"
    outside.write_text("\n".join(r.model_dump_json() for r in sample_records(2)) + "\n")
    for shard in (f"../{outside.name}", str(outside), "sub/../../x.jsonl"):
        d = _dataset_dir(home, shard)
        r = client.post(f"/v1/projects/{p}/datasets", json={"name": "escape", "uri": str(d)}, headers=h)
        assert r.status_code == 422 and "shard" in r.json()["message"], (shard, r.text)
        r = _submit(client, p, h, "training", {"model_name": "x", "config": {
            "model": {"recipe": "tiny"}, "data": {"datasets": [str(d)]}}})
        assert r.status_code == 422 and "shard" in r.json()["message"], (shard, r.text)
    # a shard that is a symlink to a file outside the dataset directory
    d = _dataset_dir(home, "part-link.jsonl")
    (d / "part-link.jsonl").symlink_to(outside)
    r = client.post(f"/v1/projects/{p}/datasets", json={"name": "escape", "uri": str(d)}, headers=h)
    assert r.status_code == 422 and "symlink" in r.json()["message"], r.text
    assert client.get(f"/v1/projects/{p}/datasets", headers=h).json()["data"] == []


# --- 4. unchecked server-side paths and modules in run specs ---------------------------------------
def test_every_path_and_module_a_run_names_is_allow_listed(client: Any, project: dict[str, Any],
                                                           home: Path) -> None:
    p, h = project["name"], project["editor"].h
    train = {"model": {"recipe": "tiny"}, "data": {"datasets": ["bfcl://simple_python"]}}
    pipeline = {"source": "bfcl", "inputs": ["bfcl://simple_python"], "output_name": "d", "engine": "direct",
                "dedup": None}
    registry = home / f"evil-{uuid.uuid4().hex[:6]}.jsonl"
    registry.write_text(json.dumps({"tool": {"name": "sh", "description": "x", "parameters": {"type": "object"}},
                                    "kind": "python", "target": "os:system"}) + "\n")
    refused = [
        ("data-pipeline", {**pipeline, "verify": {"tools": "module:os"}}, "spec.verify.tools"),
        ("data-pipeline", {**pipeline, "verify": {"tools": "/etc/passwd"}}, "spec.verify.tools"),
        ("data-pipeline", {**pipeline, "verify": {"tools": str(registry)}}, "spec.verify.tools"),
        ("data-pipeline", {**pipeline, "verify": {"tools": "tools/../../../../etc/passwd"}}, "spec.verify.tools"),
        ("training", {"model_name": "x", "config": {**train, "model": {"recipe": "tiny", "checkpoint": "/etc"}}},
         "spec.config.model.checkpoint"),
        ("training", {"model_name": "x", "config": {**train, "checkpoint": {"storage_path": "/tmp/elsewhere"}}},
         "spec.config.checkpoint.storage_path"),
        ("training", {"model_name": "x", "config": {**train, "distributed": {
            "ray_address": "ray://169.254.169.254:10001"}}}, "spec.config.distributed.ray_address"),
        ("training", {"model_name": "x", "config": {**train, "output_dir": "/tmp/out"}}, "spec.config.output_dir"),
        ("evaluation", {"config": {"data_dir": "/etc", "generator": {"backend": "template"}}}, "spec.config.data_dir"),
        ("evaluation", {"config": {"model": "~/.ssh", "generator": {"backend": "template"}}}, "spec.config.model"),
        ("synthesis", {"output_name": "s", "config": {"tools": "module:xlam.tools.catalogue"}}, "spec.config.tools"),
        ("synthesis", {"output_name": "s", "config": {"tools": "module:xlam.tools.catalog.evil"}}, "spec.config.tools"),
        ("synthesis", {"output_name": "s", "config": {"tools": "module:xlam.tools"}}, "spec.config.tools"),
        ("synthesis", {"output_name": "s", "tools_uri": str(registry)}, "spec.tools_uri"),
    ]
    from xlam.datasets import DatasetWriter
    from xlam.tools.harvest import default_registry

    tools = list(default_registry())
    evil_ds = home / f"evil-ds-{uuid.uuid4().hex[:6]}"
    with DatasetWriter(str(evil_ds), source="test") as writer:  # a registry dataset with one foreign target
        for tool in tools[:3]:
            writer.write({**tool.model_dump(mode="json"), "target": "subprocess:run"} if tool is tools[1]
                         else tool.model_dump(mode="json"))
    refused += [("synthesis", {"output_name": "s", "tools_uri": str(evil_ds)}, "spec.tools_uri"),
                ("data-pipeline", {**pipeline, "verify": {"tools": str(evil_ds)}}, "spec.verify.tools")]
    for kind, spec, field in refused:
        r = _submit(client, p, h, kind, spec)
        assert r.status_code == 422 and _field(r) == field, (kind, spec, r.text)
        if "evil-" in json.dumps(spec):
            assert "system" in r.text or "subprocess" in r.text, r.text
    assert client.get(f"/v1/projects/{p}/runs", headers=h).json()["data"] == []
    good = home / f"good-{uuid.uuid4().hex[:6]}.jsonl"
    good.write_text("".join(json.dumps(t.model_dump(mode="json")) + "\n" for t in tools))
    for spec in ({"output_name": "s", "config": {"tools": "module:xlam.tools.catalog"}},
                 {"output_name": "s", "config": {"tools": f"module:{tools[0].target.split(':')[0]}"}},
                 {"output_name": "s", "tools_uri": str(good)}):
        ok = _submit(client, p, h, "synthesis", spec)
        assert ok.status_code == 201, (spec, ok.text)


# --- 5. no 500s from bad input ------------------------------------------------------------------------
def test_nul_characters_are_4xx_everywhere(client: Any, project: dict[str, Any]) -> None:
    p, h = project["name"], project["owner"].h
    client.post(f"/v1/projects/{p}/models", json={"name": "nulm"}, headers=h)
    cases = [
        ("POST", "/v1/projects", {"name": "ok-name", "description": "a\u0000b"}, None),
        ("PATCH", f"/v1/projects/{p}", {"description": "\u0000"}, None),
        ("POST", f"/v1/projects/{p}/models", {"name": "m2", "tags": {"k": "v\u0000"}}, None),
        ("POST", f"/v1/projects/{p}/models", {"name": "m3", "description": "\u0000"}, None),
        ("PUT", f"/v1/projects/{p}/models/nulm/aliases/prod", {"version": 1, "reason": "\u0000"}, None),
        ("POST", "/v1/tokens", {"name": "t\u0000"}, None),
        ("POST", f"/v1/projects/{p}/runs", {"kind": "synthesis", "name": "\u0000", "spec": {"output_name": "s"}}, None),
        ("GET", f"/v1/projects/{p}/runs", None, {"name": "a\x00"}),
        ("GET", f"/v1/projects/{p}/models", None, {"name_prefix": "\x00"}),
        ("GET", f"/v1/projects/{p}/datasets", None, {"name": "a\x00"}),
        ("GET", f"/v1/projects/{p}/runs/run_1/metrics", None, {"key": "\x00"}),
        ("GET", "/v1/projects/a%00b", None, None),
        ("GET", f"/v1/projects/{p}/models/a%00", None, None),
    ]
    for method, url, body, params in cases:
        r = client.request(method, url, json=body, params=params, headers={**h, "If-Match": '"1"'})
        assert 400 <= r.status_code < 500, (method, url, body, params, r.status_code, r.text)
        assert "x-request-id" in r.headers


def test_nul_in_every_string_field_and_query_parameter_of_the_openapi_document(
        client: Any, project: dict[str, Any]) -> None:
    """Walk /openapi.json: each string query parameter, and each string property of each JSON body,
    gets a NUL character in turn; every answer is a 4xx."""
    p, h = project["name"], project["owner"].h
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    tried = 0
    for path, item in doc["paths"].items():
        url = path.replace("{project_id}", p).replace("{model_name}", "m").replace("{alias}", "prod")
        url = url.replace("{version}", "1").replace("{run_id}", "run_x").replace("{dataset_id}", "ds_x")
        url = url.replace("{user_ref}", "u").replace("{token_id}", "tok_x")
        for method, op in item.items():
            for param in op.get("parameters", []):
                if param["in"] == "query" and "string" in json.dumps(param["schema"]):
                    r = client.request(method, url, params={param["name"]: "a\x00b"}, headers=h)
                    assert 400 <= r.status_code < 500, (method, url, param["name"], r.status_code)
                    tried += 1
            ref = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
                   .get("schema", {}).get("$ref", ""))
            props = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
            for name, prop in props.items():
                if "string" in json.dumps(prop):
                    r = client.request(method, url, json={name: "a\u0000b"}, headers={**h, "If-Match": '"1"'})
                    assert 400 <= r.status_code < 500, (method, url, name, r.status_code)
                    tried += 1
    assert tried >= 20


def test_deep_or_huge_specs_are_422_before_hashing(client: Any, project: dict[str, Any]) -> None:
    p, h = project["name"], project["editor"].h
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(300):
        node["a"] = {}
        node = node["a"]
    r = client.post(f"/v1/projects/{p}/runs", json={"kind": "synthesis", "spec": {"output_name": "s", "config": deep}},
                    headers={**h, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "body.spec", r.text
    wide = {"output_name": "s", "x": [[0] * 1000 for _ in range(60)]}
    r = client.post(f"/v1/projects/{p}/runs", content=json.dumps({"kind": "synthesis", "spec": wide}),
                    headers={**h, "Content-Type": "application/json"})
    assert r.status_code in (413, 422), r.text


def test_numbers_and_strings_that_cannot_be_hashed_or_stored_are_4xx(client: Any, project: dict[str, Any]) -> None:
    """Found by schemathesis: integers beyond 64 bits and lone surrogates in a spec (500 while hashing
    for the Idempotency-Key), lone surrogates in plain string fields."""
    p, h = project["name"], project["owner"].h
    bodies = [
        ("POST", f"/v1/projects/{p}/runs", {"kind": "synthesis", "spec": {"output_name": "s", "x": [2**70]}}),
        ("POST", f"/v1/projects/{p}/runs", {"kind": "synthesis", "spec": {"output_name": "s", "x": "\udc80"}}),
        ("POST", f"/v1/projects/{p}/runs", {"kind": "synthesis", "spec": {"output_name": "s", "\ud800": 1}}),
        ("POST", f"/v1/projects/{p}/models", {"name": "sur", "description": "a\udc80b"}),
        ("POST", "/v1/projects", {"name": "sur-ok", "description": "\ud800"}),
    ]
    for method, url, body in bodies:
        r = client.request(method, url, content=json.dumps(body),  # ASCII escapes: "\\udc80" on the wire
                           headers={**h, "Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (url, body, r.status_code, r.text)


def test_cursors_are_bound_to_their_list(client: Any, project: dict[str, Any], make_user: Any) -> None:
    p, h = project["name"], project["owner"].h
    for i in range(3):
        client.post(f"/v1/projects/{p}/models", json={"name": f"cm{i}"}, headers=h)
        assert _submit(client, p, h, "synthesis", {"output_name": f"s{i}"}).status_code == 201
    models_cursor = client.get(f"/v1/projects/{p}/models", params={"limit": 1}, headers=h).json()["next_cursor"]
    runs = client.get(f"/v1/projects/{p}/runs", params={"limit": 1}, headers=h).json()
    run_id, runs_cursor = runs["data"][0]["id"], runs["next_cursor"]
    assert models_cursor and runs_cursor
    assert client.get(f"/v1/projects/{p}/models", params={"cursor": models_cursor}, headers=h).status_code == 200
    for url, cursor in ((f"/v1/projects/{p}/runs/{run_id}/logs", runs_cursor),
                        (f"/v1/projects/{p}/runs", models_cursor),
                        (f"/v1/projects/{p}/datasets", runs_cursor),
                        ("/v1/projects", models_cursor),
                        (f"/v1/projects/{p}/models/cm0/versions", runs_cursor)):
        r = client.get(url, params={"cursor": cursor}, headers=h)
        assert r.status_code == 400 and r.json()["code"] == "bad_cursor", (url, r.text)
    # another project's cursor of the same list is refused too
    other = f"c-{uuid.uuid4().hex[:8]}"
    client.post("/v1/projects", json={"name": other}, headers=h)
    r = client.get(f"/v1/projects/{other}/runs", params={"cursor": runs_cursor}, headers=h)
    assert r.status_code == 400


def test_uris_whose_driver_is_missing_are_422_naming_it(client: Any, project: dict[str, Any]) -> None:
    import fsspec

    p, h = project["name"], project["editor"].h
    missing = []
    for scheme, package in (("s3", "s3fs"), ("az", "adlfs"), ("gs", "gcsfs")):
        try:
            fsspec.get_filesystem_class(scheme)
        except ImportError:
            missing.append((scheme, package))
    if not missing:
        pytest.skip("every cloud driver is installed here")
    for scheme, package in missing:
        r = client.post(f"/v1/projects/{p}/datasets", json={"name": "cloud", "uri": f"{scheme}://bucket/ds"}, headers=h)
        assert r.status_code == 422 and package in r.json()["message"], r.text
        r = _submit(client, p, h, "data-pipeline", {"source": "openai", "inputs": [f"{scheme}://b/x.jsonl"],
                                                    "output_name": "d"})
        assert r.status_code == 422 and package in r.json()["message"], r.text


def test_non_finite_metrics_are_refused(client: Any, project: dict[str, Any], home: Path) -> None:
    p, h = project["name"], project["editor"].h
    client.post(f"/v1/projects/{p}/models", json={"name": "nan"}, headers=h)
    art = home / f"art-{uuid.uuid4().hex[:6]}"
    art.mkdir()
    for literal in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = f'{{"artifact_uri": "{art}", "metrics": {{"acc": {literal}}}}}'
        r = client.post(f"/v1/projects/{p}/models/nan/versions", content=body,
                        headers={**h, "Content-Type": "application/json"})
        assert r.status_code == 422, (literal, r.text)
    assert client.get(f"/v1/projects/{p}/models/nan/versions", headers=h).json()["data"] == []


def test_unexpected_errors_are_500_with_request_id_and_connection_close(settings: Any) -> None:
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    app = create_app(settings)

    def boom() -> None:
        raise RuntimeError("bug")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom", headers={"X-Request-ID": "abc123"})
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
    assert r.headers["x-request-id"] == "abc123" and r.headers["connection"] == "close"
    assert "bug" not in r.text


def test_readyz_is_not_ready_until_the_schema_is_at_head(settings: Any) -> None:
    import psycopg
    from fastapi.testclient import TestClient

    from services.api.app import create_app
    from services.db.migrate import upgrade
    from services.db.session import dispose_all
    from tests.conftest import PG_ADMIN_URL

    name = f"xlam_ready_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        app = create_app(settings.model_copy(update={"database_url": url}))
        with TestClient(app) as c:
            r = c.get("/readyz")
            assert r.status_code == 503 and r.json()["details"]["schema"].startswith("error"), r.text
            upgrade(url)
            r = c.get("/readyz")
            assert r.status_code == 200 and r.json()["checks"]["schema"] == "ok", r.text
    finally:
        dispose_all()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_env_of_this_process_is_not_in_any_response(client: Any, project: dict[str, Any], settings: Any) -> None:
    """Belt and braces: nothing the API returned in this module carries the database URL or the secret."""
    p, h = project["name"], project["owner"].h
    blob = client.get(f"/v1/projects/{p}/runs", headers=h).text + client.get("/readyz").text
    assert settings.database_url not in blob and settings.secret_key not in blob
    assert os.environ.get("XLAM_TEST_ENDPOINT_KEY") is None  # the key lives only in the worker's environment
