"""Control-plane settings, read from the environment (prefix ``XLAM_``).

Defaults are the embedded ones (SQLite file, a broker on the same SQLite file, everything under
``~/.xlam``), so ``xlam server`` and ``xlam worker`` work with nothing else installed. With
``XLAM_ENV=production`` the settings refuse insecure defaults: the default secret, SQLite,
wildcard CORS and debug mode.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-xlam-dev-secret"


def _home() -> Path:
    return Path(os.environ.get("XLAM_HOME", Path.home() / ".xlam"))


class GeneratorEndpoint(BaseModel):
    """An OpenAI-compatible endpoint that runs may use by name (configured by the platform admin)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="e.g. https://llm.internal/v1; its host must be in generator_allowed_hosts.")
    api_key_env: str | None = Field(
        None, description="NAME of the environment variable (mounted from a Secret) holding the API key.")
    model: str | None = Field(None, description="Model requested when the run names none.")


def endpoint_host_problem(base_url: str, allowed_hosts: list[str]) -> str | None:
    """Why ``base_url`` may not be used as a generator endpoint, or None."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{base_url!r} is not an http(s) URL with a host"
    if parts.username or parts.password:
        return "credentials in the URL are not allowed (use api_key_env)"
    host = parts.hostname.lower()
    if host.startswith("169.254.") or host in ("metadata.google.internal", "fd00:ec2::254"):
        return f"host {host} is a cloud metadata address"
    if host not in {h.lower() for h in allowed_hosts}:
        return f"host {host} is not in XLAM_GENERATOR_ALLOWED_HOSTS"
    return None


class EndpointSettings(BaseSettings):
    """Only the generator-endpoint settings (what a stage process needs; it has no platform secrets)."""

    model_config = SettingsConfigDict(env_prefix="XLAM_", extra="ignore")

    generator_endpoints: dict[str, GeneratorEndpoint] = Field(default_factory=dict)
    generator_allowed_hosts: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """Every field is settable as ``XLAM_<FIELD_NAME>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="XLAM_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", description="production refuses insecure defaults."
    )
    home: Path = Field(default_factory=_home, description="Directory for the embedded database and artifacts.")
    database_url: str = Field("", description="SQLAlchemy URL; default sqlite:///<home>/control.db.")
    broker_url: str = Field("", description="Celery broker; default sqla+sqlite:///<home>/broker.db.")
    result_backend: str = Field("", description="Celery result backend; default db+sqlite:///<home>/results.db.")
    task_queue: str = Field("xlam-runs", description="Celery queue that run tasks go to.")
    secret_key: str = Field(DEFAULT_SECRET, description="Server secret (used to sign pagination cursors).")
    bootstrap_token: str = Field(
        "", description="If set, an admin user 'admin' with this API token is created at startup."
    )
    artifact_root: str = Field("", description="Where run outputs go; default <home>/artifacts.")
    allowed_uri_roots: list[str] = Field(
        default_factory=list,
        description="Local directories dataset/model URIs may point into (JSON list); default [<home>].",
    )
    allowed_uri_schemes: list[str] = Field(
        default_factory=lambda: ["file", "s3", "gs", "gcs", "az", "abfs", "memory", "bfcl"],
        description="Remote URI schemes accepted for datasets and artifacts.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins (JSON list).")
    max_body_bytes: int = Field(1 << 20, ge=1024, description="Request body limit (413 above).")
    max_upload_bytes: int = Field(8 << 20, ge=1024, description="Limit for JSONL dataset uploads.")
    debug: bool = Field(False, description="Debug mode (tracebacks in logs).")
    log_level: str = Field("INFO", description="Root log level.")
    auth_cache_seconds: float = Field(
        2.0, ge=0, description="Per-process cache of valid tokens; bounds how long a revoked token works elsewhere.")
    db_pool_size: int = Field(10, ge=1, description="SQLAlchemy pool size per process.")
    db_max_overflow: int = Field(
        10, ge=0, description="Extra short-lived connections per process above db_pool_size (0: wait for one).")
    lease_seconds: float = Field(30.0, gt=0, description="A worker's lease on a run; renewed by heartbeats.")
    heartbeat_seconds: float = Field(5.0, gt=0, description="How often a worker renews its lease.")
    poll_seconds: float = Field(0.5, gt=0, description="How often a worker polls its backend.")
    reconcile_seconds: float = Field(15.0, gt=0, description="How often the reconciler runs.")
    queued_grace_seconds: float = Field(60.0, gt=0, description="A queued run older than this is re-enqueued.")
    max_claims: int = Field(5, ge=1, description="Deliveries of one attempt before it is failed (poison guard).")
    visibility_timeout: int = Field(3600, ge=5, description="Redis broker visibility timeout (s).")
    backend: str = Field("local", description="Default execution backend: local or kubernetes.")
    max_crashes: int = Field(
        20, ge=1, description="Worker crashes (expired leases) one attempt survives before it is failed.")
    crash_backoff_seconds: float = Field(
        2.0, ge=0, description="Delay before re-running after a worker crash (doubles per crash, at most 60 s).")
    generator_endpoints: dict[str, GeneratorEndpoint] = Field(
        default_factory=dict,
        description="Named generator endpoints runs may pick by name (JSON object name -> endpoint).")
    generator_allowed_hosts: list[str] = Field(
        default_factory=list, description="Hosts generator endpoints may point at (JSON list).")
    tool_modules: list[str] = Field(
        default_factory=lambda: ["xlam.tools.catalog"],
        description="Python modules runs may name as 'module:<name>' tool sources (exact names).")

    @model_validator(mode="after")
    def _fill_defaults_and_refuse_insecure(self) -> Settings:
        # Absolute paths: run subprocesses (stage runner, Ray workers) do not share our working directory.
        self.home = self.home.expanduser().resolve()
        home = self.home
        if not self.database_url:
            self.database_url = f"sqlite:///{home / 'control.db'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{home / 'broker.db'}"
        if not self.result_backend:
            self.result_backend = f"db+sqlite:///{home / 'results.db'}"
        if not self.artifact_root:
            self.artifact_root = str(home / "artifacts")
        elif "://" not in self.artifact_root:
            self.artifact_root = str(Path(self.artifact_root).expanduser().resolve())
        if not self.allowed_uri_roots:
            self.allowed_uri_roots = [str(home)]
        for name, endpoint in self.generator_endpoints.items():
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
                raise ValueError(f"XLAM_GENERATOR_ENDPOINTS: bad endpoint name {name!r}")
            problem = endpoint_host_problem(endpoint.base_url, self.generator_allowed_hosts)
            if problem:
                raise ValueError(f"XLAM_GENERATOR_ENDPOINTS[{name}]: {problem}")
        if self.env == "production":
            problems = []
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
                problems.append("XLAM_SECRET_KEY is the default or shorter than 32 characters")
            if self.database_url.startswith("sqlite"):
                problems.append("XLAM_DATABASE_URL is SQLite")
            if "*" in self.cors_origins:
                problems.append("XLAM_CORS_ORIGINS contains '*'")
            if self.debug:
                problems.append("XLAM_DEBUG is on")
            if problems:
                raise ValueError("insecure settings for XLAM_ENV=production: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_dirs(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if "://" not in self.artifact_root:
            Path(self.artifact_root).mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
