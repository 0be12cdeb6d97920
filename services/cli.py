"""``xlam server``, ``xlam migrate``, ``xlam worker`` and the ``xlam api ...`` client commands."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from platform_contracts.runstate import TERMINAL
from xlam.cli.groups import api_app

datasets_app = typer.Typer(help="Datasets: list, register by URI, upload JSONL.", no_args_is_help=True)
runs_app = typer.Typer(help="Runs: submit, list, watch, cancel, retry, logs.", no_args_is_help=True)
models_app = typer.Typer(help="Model registry: models and versions.", no_args_is_help=True)
aliases_app = typer.Typer(help="Model aliases (e.g. champion).", no_args_is_help=True)
projects_app = typer.Typer(help="Projects and members.", no_args_is_help=True)
api_app.add_typer(datasets_app, name="datasets")
api_app.add_typer(runs_app, name="runs")
api_app.add_typer(models_app, name="models")
api_app.add_typer(aliases_app, name="aliases")
api_app.add_typer(projects_app, name="projects")

ProjectOpt = Annotated[str | None, typer.Option("--project", "-p", help="Project name or id (default: from login).")]


def config_path() -> Path:
    return Path(os.environ.get("XLAM_API_CONFIG", Path.home() / ".config" / "xlam" / "api.json"))


def _load_config() -> dict[str, Any]:
    path = config_path()
    return json.loads(path.read_text()) if path.exists() else {}


def _client() -> Any:
    from platform_contracts.client import XlamClient

    cfg = _load_config()
    url = os.environ.get("XLAM_API_URL") or cfg.get("url")
    token = os.environ.get("XLAM_API_TOKEN") or cfg.get("token")
    if not url or not token:
        typer.echo("not logged in: run `xlam api login --url URL --token TOKEN`", err=True)
        raise typer.Exit(2)
    return XlamClient(url, token)


def _project(project: str | None) -> str:
    project = project or _load_config().get("project")
    if not project:
        typer.echo("no project: pass --project or `xlam api login --project NAME`", err=True)
        raise typer.Exit(2)
    return project


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from platform_contracts.client import ApiClientError

    try:
        return fn(*args, **kwargs)
    except ApiClientError as exc:
        typer.echo(f"error: {exc}", err=True)
        if exc.details:
            typer.echo(json.dumps(exc.details, indent=2), err=True)
        raise typer.Exit(1 if exc.status >= 500 else 2) from None


def _print(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


def _table(rows: list[dict[str, Any]], columns: list[str], title: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*[str(row.get(c, "")) for c in columns])
    Console().print(table)


def _read_spec(spec_file: Path) -> dict[str, Any]:
    from xlam.cli.errors import read_config_file

    return read_config_file(spec_file, what="spec", allow_empty=False)


def register(app: typer.Typer) -> None:
    """Add ``server``, ``migrate`` and ``worker`` to the root app (the ``api`` group is filled at import)."""

    @app.command()
    def server(
        host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.")] = 8000,
        workers: Annotated[int, typer.Option(help="Uvicorn worker processes.")] = 1,
        migrate: Annotated[bool, typer.Option("--migrate", help="Apply migrations first.")] = False,
    ) -> None:
        """Start the control-plane API (settings from XLAM_* environment variables)."""
        import uvicorn

        from services.settings import get_settings

        settings = get_settings()
        settings.ensure_dirs()
        if migrate:
            from services.db.migrate import upgrade

            upgrade(settings.database_url)
        uvicorn.run("services.api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_config=None, access_log=False, timeout_keep_alive=30, limit_concurrency=1000)

    @app.command()
    def migrate(
        revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
        downgrade: Annotated[bool, typer.Option("--downgrade", help="Downgrade to --revision instead.")] = False,
    ) -> None:
        """Apply (or roll back) database migrations."""
        from services.db import migrate as m
        from services.settings import get_settings

        settings = get_settings()
        settings.ensure_dirs()
        (m.downgrade if downgrade else m.upgrade)(settings.database_url, revision if not downgrade or revision != "head" else "-1")
        typer.echo(f"database at revision {m.current_revision(settings.database_url)}")

    @app.command()
    def worker(
        concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 1,
        queue: Annotated[str | None, typer.Option(help="Queue (default XLAM_TASK_QUEUE).")] = None,
        loglevel: Annotated[str, typer.Option(help="Log level.")] = "INFO",
    ) -> None:
        """Start a Celery worker that executes runs (settings from XLAM_* environment variables)."""
        from services.settings import get_settings
        from services.worker.app import app as celery_app

        settings = get_settings()
        settings.ensure_dirs()
        celery_app.worker_main(["worker", "-Q", queue or settings.task_queue, "-c", str(concurrency),
                                "-P", "prefork", "--loglevel", loglevel, "-n", f"xlam-{os.getpid()}@%h"])


@api_app.command("bootstrap")
def bootstrap(name: Annotated[str, typer.Option(help="Admin user name.")] = "admin") -> None:
    """Create a platform admin and print a new API token (talks to the database directly)."""
    from services.api.bootstrap import bootstrap_admin
    from services.db.session import session_factory
    from services.settings import get_settings

    settings = get_settings()
    with session_factory(settings.database_url)() as s:
        token = bootstrap_admin(s, name=name)
    typer.echo(token)


@api_app.command("login")
def login(
    url: Annotated[str, typer.Option(help="API base URL.")] = "http://127.0.0.1:8000",
    token: Annotated[str | None, typer.Option(help="API token (or read from stdin).")] = None,
    project: ProjectOpt = None,
) -> None:
    """Check the token against the API and store it (file mode 0600)."""
    from platform_contracts.client import XlamClient

    token = token or sys.stdin.readline().strip()
    with XlamClient(url, token) as c:
        me = _call(c.me)
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"url": url, "token": token, "project": project}, fh)
    os.chmod(path, 0o600)
    typer.echo(f"logged in as {me['name']} ({path})")


@api_app.command("endpoints")
def endpoints_list() -> None:
    """Generator endpoints runs may name ({"backend": "openai", "endpoint": NAME}); set up by the admin."""
    _table(_call(_client().generator_endpoints), ["name", "model"])


@projects_app.command("create")
def projects_create(name: str, description: str = "") -> None:
    _print(_call(_client().create_project, name, description))


@projects_app.command("list")
def projects_list() -> None:
    _table(_call(_client().list_projects), ["id", "name", "description"])


@projects_app.command("member")
def projects_member(user: str, role: str, project: ProjectOpt = None, can_promote: bool = False) -> None:
    """Add a member or change their role (viewer, editor, admin)."""
    _print(_call(_client().set_member, _project(project), user, role, can_promote))


@datasets_app.command("list")
def datasets_list(project: ProjectOpt = None, name: str | None = None, limit: int = 50) -> None:
    rows = _call(_client().list_datasets, _project(project), name, limit)
    _table(rows, ["id", "name", "version", "num_records", "uri", "producing_run_id"])


@datasets_app.command("register")
def datasets_register(name: str, uri: str, project: ProjectOpt = None, description: str = "") -> None:
    """Register a dataset directory (manifest and checksums are checked by the server)."""
    _print(_call(_client().register_dataset, _project(project), name, uri, description=description))


@datasets_app.command("upload")
def datasets_upload(name: str, path: Path, project: ProjectOpt = None, description: str = "") -> None:
    """Upload a small JSONL file of records as a new dataset version."""
    from xlam.cli.errors import require_file

    _print(_call(_client().upload_dataset, _project(project), name, require_file(path, what="JSONL").read_bytes(),
                 description))


@runs_app.command("submit")
def runs_submit(
    kind: Annotated[str, typer.Argument(help="data-pipeline, synthesis, training or evaluation.")],
    spec_file: Annotated[Path, typer.Argument(help="YAML/JSON spec of the kind.")],
    project: ProjectOpt = None, name: str = "",
    idempotency_key: Annotated[str | None, typer.Option(help="Resubmitting with the same key returns the same run.")] = None,
    watch: Annotated[bool, typer.Option(help="Follow the run until it ends.")] = False,
) -> None:
    run = _call(_client().submit_run, _project(project), kind, _read_spec(spec_file), name=name,
                idempotency_key=idempotency_key)
    typer.echo(run["id"])
    if watch:
        runs_watch(run["id"], project)


@runs_app.command("list")
def runs_list(project: ProjectOpt = None, kind: str | None = None, state: str | None = None, limit: int = 50) -> None:
    rows = _call(_client().list_runs, _project(project), kind=kind, state=state, limit=limit)
    _table(rows, ["id", "kind", "name", "state", "attempt", "created_at"])


@runs_app.command("get")
def runs_get(run_id: str, project: ProjectOpt = None) -> None:
    _print(_call(_client().get_run, _project(project), run_id))


@runs_app.command("watch")
def runs_watch(run_id: str, project: ProjectOpt = None) -> None:
    """Show the run's state and new log lines until it ends (exit 1 unless it succeeded)."""
    import time

    from rich.console import Console

    c, pid, console = _client(), _project(project), Console()
    cursor = None
    with console.status("waiting") as status:
        while True:
            run = _call(c.get_run, pid, run_id)
            page = _call(c.run_logs, pid, run_id, cursor)
            for line in page["data"]:
                console.print(line["line"], markup=False, highlight=False)
            cursor = page["next_cursor"]
            status.update(f"{run['kind']} {run_id}: [bold]{run['state']}[/] (attempt {run['attempt']})")
            if run["state"] in TERMINAL and not page["data"]:
                break
            time.sleep(1.0)
    console.print(f"{run_id}: {run['state']} {run['message']}")
    if run["outputs"]:
        console.print_json(json.dumps(run["outputs"]))
    raise typer.Exit(0 if run["state"] == "succeeded" else 1)


@runs_app.command("cancel")
def runs_cancel(run_id: str, project: ProjectOpt = None) -> None:
    typer.echo(_call(_client().cancel_run, _project(project), run_id)["state"])


@runs_app.command("retry")
def runs_retry(run_id: str, project: ProjectOpt = None) -> None:
    run = _call(_client().retry_run, _project(project), run_id)
    typer.echo(f"{run['id']} attempt {run['attempt']}: {run['state']}")


@runs_app.command("logs")
def runs_logs(run_id: str, project: ProjectOpt = None,
              follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream until the run ends.")] = False) -> None:
    c, pid = _client(), _project(project)
    if follow:
        for line in c.stream_logs(pid, run_id):
            typer.echo(line)
        return
    cursor = None
    while True:
        page = _call(c.run_logs, pid, run_id, cursor, 1000)
        for line in page["data"]:
            typer.echo(line["line"])
        if not page["data"]:
            return
        cursor = page["next_cursor"]


@models_app.command("list")
def models_list(project: ProjectOpt = None) -> None:
    _table(_call(_client().list_models, _project(project)), ["id", "name", "description", "created_at"])


@models_app.command("versions")
def models_versions(model: str, project: ProjectOpt = None) -> None:
    rows = _call(_client().list_versions, _project(project), model)
    for r in rows:
        r["aliases"] = ",".join(r.get("aliases", []))
    _table(rows, ["version", "artifact_uri", "run_id", "aliases", "created_at"], title=model)


@aliases_app.command("set")
def aliases_set(model: str, alias: str, version: int, project: ProjectOpt = None, reason: str = "") -> None:
    """Point ALIAS of MODEL at VERSION (needs admin or can_promote); the move is audited."""
    _print(_call(_client().set_alias, _project(project), model, alias, version, reason))


@aliases_app.command("history")
def aliases_history(model: str, alias: str, project: ProjectOpt = None) -> None:
    _table(_call(_client().alias_history, _project(project), model, alias),
           ["at", "from_version", "to_version", "actor_id", "reason"])
