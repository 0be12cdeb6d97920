"""A private control plane for one quickstart: API (uvicorn) and a Celery worker on embedded defaults.

Everything lives under ``<out>/control``: the SQLite database, the SQLite broker (kombu's
SQLAlchemy transport, no server), the Celery result store, run artifacts and the admin token.
The API listens on a free ``127.0.0.1`` port. :class:`LocalStack` is a context manager: leaving
it (normally, on an exception or on Ctrl-C) stops both processes (SIGTERM to their process
groups, SIGKILL after a grace period).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx


class StackError(RuntimeError):
    """The API or the worker did not start; the message points at its log file."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


class LocalStack:
    """Start (and always stop) the control-plane API and one worker for ``home``."""

    def __init__(self, home: Path, *, extra_roots: Sequence[str] = (), port: int | None = None,
                 startup_timeout: float = 90.0) -> None:
        self.home = home.resolve()
        self.extra_roots = [str(Path(r).resolve()) for r in extra_roots]
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.token = ""

    # --- configuration -----------------------------------------------------------------------
    def _admin_token(self) -> str:
        """The stack's admin token: created once (mode 0600) and reused on later runs."""
        path = self.home / "admin-token"
        if path.exists():
            return path.read_text().strip()
        token = "xlam_qs_" + secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token)
        return token

    def env(self) -> dict[str, str]:
        import json

        home = self.home
        roots = [str(home), *self.extra_roots]
        env = {k: v for k, v in os.environ.items() if not k.startswith("XLAM_")}
        env.update({
            "XLAM_ENV": "development",
            "XLAM_HOME": str(home),
            "XLAM_DATABASE_URL": f"sqlite:///{home / 'control.db'}",
            "XLAM_BROKER_URL": f"sqla+sqlite:///{home / 'broker.db'}",
            "XLAM_RESULT_BACKEND": f"db+sqlite:///{home / 'results.db'}",
            "XLAM_ARTIFACT_ROOT": str(home / "artifacts"),
            "XLAM_ALLOWED_URI_ROOTS": json.dumps(roots),
            "XLAM_BOOTSTRAP_TOKEN": self.token,
            "XLAM_TASK_QUEUE": "xlam-quickstart",
            "XLAM_BACKEND": "local",
            "XLAM_POLL_SECONDS": "0.5",
            "XLAM_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        # torch's OpenMP threads sleep instead of spinning while they wait: on a busy machine
        # (more runnable threads than cores) spinning made training and generation 5-20x slower
        # (docs/QUICKSTART.md); on an idle one it costs nothing measurable.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        return env

    @property
    def artifact_root(self) -> Path:
        return self.home / "artifacts"

    # --- lifecycle ---------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = open(self.home / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=env, cwd=self.home, start_new_session=True)
        log.close()

    def start(self) -> LocalStack:
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        self.token = self._admin_token()
        env = self.env()
        migrate = subprocess.run([sys.executable, "-m", "services.quickstart.stack", "migrate"], env=env,
                                 capture_output=True, text=True, timeout=120, check=False)
        if migrate.returncode != 0:
            raise StackError(f"database migration failed:\n{(migrate.stdout + migrate.stderr)[-2000:]}")
        self._spawn("api", [sys.executable, "-m", "uvicorn", "services.api.app:app_from_env", "--factory",
                            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"], env)
        self._spawn("worker", [sys.executable, "-m", "celery", "-A", "services.worker.app", "worker",
                               "-Q", env["XLAM_TASK_QUEUE"], "-c", "1", "-P", "solo", "--loglevel", "WARNING",
                               "-n", f"xlam-quickstart-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
                               "--without-heartbeat"], env)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    log = self.home / "logs" / f"{name}.log"
                    raise StackError(f"the {name} process exited with code {proc.returncode}; see {log}:\n"
                                     f"{_tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise StackError(f"the API at {self.url} was not ready after {self.startup_timeout:.0f}s; "
                         f"see {self.home / 'logs' / 'api.log'}")

    def alive(self) -> str | None:
        """Name of a process that died, or None."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                return name
        return None

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every process group, then SIGKILL what is left after ``grace`` seconds."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.procs.clear()

    def __enter__(self) -> LocalStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _migrate() -> None:
    from services.db.migrate import upgrade
    from services.settings import Settings

    settings = Settings()
    settings.ensure_dirs()
    upgrade(settings.database_url)


if __name__ == "__main__" and sys.argv[1:] == ["migrate"]:
    _migrate()
