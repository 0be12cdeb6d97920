"""Request and response models. Every string has a length limit; requests forbid unknown fields."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from platform_contracts.runspecs import RunKind, RunSpec
from platform_contracts.runstate import RunState

ID_SHAPE = re.compile(r"^[A-Za-z]{1,6}_[0-9A-Fa-f]{26}$")


def looks_like_id(value: str) -> bool:
    """Ids (``prj_`` + 26 hex) and names live in disjoint namespaces: a name may not look like an id."""
    return bool(ID_SHAPE.match(value))


def _not_id_shaped(value: str) -> str:
    if looks_like_id(value):
        raise ValueError("names shaped like ids (letters_ + 26 hex digits) are reserved for ids")
    return value


Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", max_length=64),
                 AfterValidator(_not_id_shaped)]
LongName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", max_length=128)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z]{1,6}_[0-9a-f]{26}$", max_length=40)]
Role = Literal["viewer", "editor", "admin"]

T = TypeVar("T")


class Request(BaseModel):
    """Request bodies: unknown fields are errors, and types are strict (no "true" -> True)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Response, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= to get the next page; null at the end.")


# --- users and tokens ------------------------------------------------------------------------
class UserCreate(Request):
    name: Name
    is_admin: bool = False
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"name": "alice"}]})


class UserOut(Response):
    id: str
    name: str
    is_admin: bool
    created_at: datetime


class TokenCreate(Request):
    name: Name = "default"
    expires_in_days: int | None = Field(None, ge=1, le=3650)
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"name": "ci", "expires_in_days": 90}]})


class TokenOut(Response):
    id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret; shown only in this response.")


class UserCreated(UserOut):
    token: str = Field(description="An API token for the new user; shown only in this response.")


# --- projects --------------------------------------------------------------------------------
class ProjectCreate(Request):
    name: Name
    description: Description = ""
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"name": "fc-team", "description": "Function calling"}]})


class ProjectUpdate(Request):
    description: Description


class ProjectOut(Response):
    id: str
    name: str
    description: str
    created_at: datetime
    version: int


class MemberPut(Request):
    role: Role
    can_promote: bool = Field(False, description="May move model aliases without being an admin.")
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"role": "editor"}]})


class MemberOut(Response):
    user_id: str
    role: str
    can_promote: bool
    version: int


# --- datasets --------------------------------------------------------------------------------
class DatasetRegister(Request):
    name: LongName
    uri: Uri
    description: Description = ""
    parent_ids: list[Id] = Field(default_factory=list, max_length=100)
    verify_checksums: bool = True
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"name": "bfcl-unified", "uri": "/data/xlam/bfcl-unified", "parent_ids": []}]})


class DatasetUpdate(Request):
    description: Description


class DatasetOut(Response):
    id: str
    project_id: str
    name: str
    version: int
    uri: str
    description: str
    num_records: int
    parent_ids: list[str]
    producing_run_id: str | None
    created_at: datetime
    deleted_at: datetime | None
    lock_version: int


class DatasetLineage(Response):
    dataset: DatasetOut
    parents: list[DatasetOut]
    children: list[DatasetOut]
    producing_run_id: str | None
    consuming_model_versions: list[str]


# --- runs ------------------------------------------------------------------------------------
MAX_SPEC_DEPTH = 32
MAX_SPEC_NODES = 50_000


MAX_SPEC_INT = 2**63 - 1


def _text_ok(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("strings must be valid Unicode (no lone surrogates)") from None
    if "\x00" in text:
        raise ValueError("strings must not contain NUL characters")


def check_json_shape(value: Any, *, max_depth: int = MAX_SPEC_DEPTH, max_nodes: int = MAX_SPEC_NODES) -> Any:
    """Bound a JSON value's nesting and size (iteratively) before anything recurses into or hashes it;
    numbers must be finite and fit in 64 bits, strings (keys too) valid Unicode without NUL."""
    stack, nodes = [(value, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > max_depth:
            raise ValueError(f"nested deeper than {max_depth} levels")
        if nodes > max_nodes:
            raise ValueError(f"more than {max_nodes} values")
        if isinstance(node, dict):
            for key in node:
                _text_ok(str(key))
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            _text_ok(node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError("NaN and infinite numbers are not allowed")
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > MAX_SPEC_INT:
            raise ValueError("integers must fit in 64 bits")
    return value


class RunSubmit(Request):
    kind: RunKind
    name: Annotated[str, StringConstraints(max_length=128)] = ""
    spec: RunSpec = Field(description="The typed config of the kind (platform_contracts.runspecs: the core "
                                      "library's config models; validated here, at most "
                                      f"{MAX_SPEC_DEPTH} levels deep and {MAX_SPEC_NODES} values). Its `kind` is "
                                      "the body's `kind` and need not be sent.")
    backend: Literal["local", "kubernetes"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _spec_kind(cls, data: Any) -> Any:
        """The union is discriminated by the body's ``kind`` (the wire format keeps it beside the spec)."""
        if isinstance(data, dict) and isinstance(data.get("spec"), dict) and isinstance(data.get("kind"), str):
            return {**data, "spec": {**data["spec"], "kind": data["kind"]}}
        return data

    @field_validator("spec", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        return check_json_shape(value)
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{
        "kind": "data-pipeline", "name": "unify-bfcl",
        "spec": {"source": "bfcl", "inputs": ["/data/bfcl/BFCL_v4_simple.json"], "output_name": "bfcl-unified"},
    }]})


class RunOut(Response):
    id: str
    project_id: str
    kind: str
    name: str
    spec: dict[str, Any]
    backend: str
    state: RunState
    message: str
    attempt: int
    external_ref: str | None
    outputs: dict[str, Any]
    created_at: datetime
    submitted_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class RunEventOut(Response):
    id: int
    attempt: int
    from_state: str | None
    to_state: str
    message: str
    at: datetime


class LogLine(Response):
    id: int
    attempt: int
    line: str
    at: datetime


class MetricPoint(Response):
    key: str
    step: int
    value: float
    attempt: int
    at: datetime


# --- model registry --------------------------------------------------------------------------
class ModelCreate(Request):
    name: LongName
    description: Description = ""
    tags: dict[Annotated[str, StringConstraints(max_length=64)], Annotated[str, StringConstraints(max_length=256)]] = Field(
        default_factory=dict, max_length=50)
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"name": "xlam-1b-fc"}]})


class ModelUpdate(Request):
    description: Description | None = None
    tags: dict[Annotated[str, StringConstraints(max_length=64)], Annotated[str, StringConstraints(max_length=256)]] | None = Field(
        None, max_length=50)


class ModelOut(Response):
    id: str
    name: str
    description: str
    tags: dict[str, Any]
    created_at: datetime
    lock_version: int
    aliases: dict[str, int] = Field(default_factory=dict)


class VersionCreate(Request):
    artifact_uri: Uri
    run_id: Id | None = None
    dataset_ids: list[Id] = Field(default_factory=list, max_length=100)
    metrics: dict[Annotated[str, StringConstraints(max_length=128)], Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict, max_length=500, description="Finite numbers only (NaN and infinities are refused).")
    card: Annotated[str, StringConstraints(max_length=100_000)] = ""
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{
        "artifact_uri": "s3://models/xlam-1b-fc/run-42", "metrics": {"bfcl_overall": 0.71}}]})


class VersionOut(Response):
    id: str
    model_id: str
    version: int
    artifact_uri: str
    metrics: dict[str, Any]
    card: str
    run_id: str | None
    dataset_ids: list[str]
    created_at: datetime
    aliases: list[str] = Field(default_factory=list)


class AliasPut(Request):
    version: int = Field(ge=1, le=10**9)
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"version": 3, "reason": "best BFCL"}]})


class AliasOut(Response):
    alias: str
    version: int
    version_id: str
    updated_at: datetime
    lock_version: int


class AliasEventOut(Response):
    id: int
    alias: str
    from_version: int | None
    to_version: int | None
    actor_id: str | None
    reason: str
    at: datetime
