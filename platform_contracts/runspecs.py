"""Run specs: one typed envelope per run kind, holding the core library's own config models.

``RunSpec`` is a discriminated union (by run kind) of :class:`DataPipelineSpec`,
:class:`SynthesisSpec`, :class:`TrainingSpec` and :class:`EvaluationSpec`. The control plane's
``RunSubmit.spec`` is this union, so the API validates a submitted spec once, at the edge, into
models (the OpenAPI document shows TrainConfig, SynthesisConfig, EvalConfig, UnifyConfig, ...); the
stored run keeps its JSON form (``model_dump(mode="json")``); the worker parses it back once per
process (:func:`parse_spec`) and the backends receive these models, never dicts.

The kind lives beside the spec on the wire (``{"kind": "training", "spec": {...}}``): the envelopes'
``kind`` field is filled from it and is not part of the stored spec.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from xlam.converters import UnifyConfig
from xlam.dedup import DedupConfig
from xlam.evaluation import EvalConfig
from xlam.synthesis import SynthesisConfig
from xlam.training import TrainConfig
from xlam.verify import VerifyConfig

OutputName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", max_length=128)]
UriStr = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
RunKind = Literal["data-pipeline", "synthesis", "training", "evaluation"]


class SpecError(ValueError):
    """A spec that does not validate; ``errors`` are ``{field, message}`` with full field paths."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"] if errors else "invalid spec")
        self.errors = errors


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _kind(kind: str) -> Any:
    return Field(kind, exclude=True, description="The run's kind (the submit body's `kind`; not stored).")


class DataPipelineSpec(_Envelope):
    """unify (a converter over source files) -> verify -> dedup, each step's config optional."""

    kind: Literal["data-pipeline"] = _kind("data-pipeline")
    source: Annotated[str, StringConstraints(max_length=64)] = Field(description="Converter name, e.g. bfcl.")
    inputs: list[UriStr] = Field(min_length=1, max_length=100)
    output_name: OutputName
    unify: UnifyConfig = Field(default_factory=UnifyConfig)
    verify: VerifyConfig | None = Field(default_factory=VerifyConfig, description="null skips the step")
    dedup: DedupConfig | None = Field(default_factory=DedupConfig, description="null skips the step")
    engine: Literal["auto", "direct", "kfp"] = Field(
        "auto", description="kfp: the xlam-data pipeline on kfp's local runner (unify -> shard -> augment + "
        "verify per shard -> dedup -> mix, one process per task); direct: unify -> verify -> dedup stage runners "
        "in one process (steps set to null are skipped); auto: kfp when the pipelines package is installed and "
        "no step is skipped, else direct.")
    num_shards: int = Field(2, ge=1, le=64, description="kfp engine: shards processed in parallel.")
    augment: dict[str, Any] = Field(default_factory=dict, description="kfp engine: xlam.augment.AugmentConfig")
    mix: dict[str, Any] = Field(default_factory=dict, description="kfp engine: xlam.mixture mix config")


class SynthesisSpec(_Envelope):
    kind: Literal["synthesis"] = _kind("synthesis")
    output_name: OutputName
    tools_uri: UriStr | None = Field(None, description="Tool registry JSONL/dataset; default: built-in catalog.")
    config: SynthesisConfig = Field(default_factory=SynthesisConfig)


class TrainingSpec(_Envelope):
    kind: Literal["training"] = _kind("training")
    model_name: OutputName = Field(description="Registered model that receives the new version.")
    config: TrainConfig


class EvaluationSpec(_Envelope):
    kind: Literal["evaluation"] = _kind("evaluation")
    config: EvalConfig = Field(default_factory=EvalConfig)
    model_version_id: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="Model version the metrics are attached to.")


AnySpec = DataPipelineSpec | SynthesisSpec | TrainingSpec | EvaluationSpec
RunSpec = Annotated[AnySpec, Field(discriminator="kind")]
ENVELOPES: dict[str, type[_Envelope]] = {
    "data-pipeline": DataPipelineSpec,
    "synthesis": SynthesisSpec,
    "training": TrainingSpec,
    "evaluation": EvaluationSpec,
}
_RUN_SPEC: TypeAdapter[AnySpec] = TypeAdapter(RunSpec)


def _path(loc: tuple[Any, ...]) -> str:
    from xlam.errors import pydantic_field_path

    return pydantic_field_path(loc)


def parse_spec(kind: str, spec: dict[str, Any] | AnySpec) -> AnySpec:
    """The envelope of ``kind`` from its JSON form (a stored run, a custom resource, a test); raises
    :class:`pydantic.ValidationError`."""
    if isinstance(spec, BaseModel):
        return spec
    return _RUN_SPEC.validate_python({**spec, "kind": kind})


def validate_spec(kind: str, spec: dict[str, Any], *, kfp_available: bool = False) -> dict[str, Any]:
    """Validate ``spec`` for ``kind`` and return its stored JSON form; raise :class:`SpecError` with
    ``spec.<path>`` fields (for callers without the API in front: the operator's tests, the CLI)."""
    if kind not in ENVELOPES:
        raise SpecError([{"field": "kind", "message": f"unknown run kind {kind!r}"}])
    try:
        parsed = parse_spec(kind, spec)
    except ValidationError as exc:
        raise SpecError([{"field": _path(("spec", *e["loc"][1:])), "message": e["msg"]}
                         for e in exc.errors()]) from exc
    return dump_spec(resolve_engine(parsed, kfp_available=kfp_available))


def dump_spec(spec: AnySpec) -> dict[str, Any]:
    """The stored JSON form of a spec (the kind is not part of it)."""
    return spec.model_dump(mode="json")


def resolve_engine(spec: AnySpec, *, kfp_available: bool) -> AnySpec:
    """A data pipeline's ``auto`` engine becomes ``kfp`` (when the server has the pipelines installed and
    no step is skipped) or ``direct``."""
    if not isinstance(spec, DataPipelineSpec):
        return spec
    skipped = spec.verify is None or spec.dedup is None
    if spec.engine == "kfp" and skipped:
        raise SpecError([{"field": "spec.engine", "message": "the kfp pipeline runs every step; use engine "
                                                             "'direct' to skip verify or dedup"}])
    if spec.engine == "auto":
        return spec.model_copy(update={"engine": "kfp" if kfp_available and not skipped else "direct"})
    return spec


#: tool sources of xlam.synthesis.library that name a built-in catalog rather than a file or URI
BUILTIN_TOOL_SOURCES = frozenset({"default", "domains"})


def input_uris(kind: str, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, uri)`` for every input URI in a validated spec (checked against the allowed roots).

    ``module:`` tool sources are not URIs: the API's spec policy checks them against the registered
    tool modules (``services.api.spec_policy``).
    """
    out: list[tuple[str, str]] = []
    if kind == "data-pipeline":
        out += [(f"spec.inputs[{i}]", u) for i, u in enumerate(spec.get("inputs", []))]
        tools = str((spec.get("verify") or {}).get("tools") or "")
        if tools and not tools.startswith("module:"):
            out.append(("spec.verify.tools", tools))
    if kind == "evaluation" and (spec.get("config") or {}).get("data_dir"):
        out.append(("spec.config.data_dir", str(spec["config"]["data_dir"])))
    if kind == "synthesis":
        if spec.get("tools_uri"):
            out.append(("spec.tools_uri", spec["tools_uri"]))
        config = spec.get("config") or {}
        tools = str(config.get("tools", "default"))
        if not tools.startswith("module:"):
            # built-in catalogs (default, domains) are names, not URIs; `+` joins several sources
            parts = [p.strip() for p in tools.split("+")] if "+" in tools else [tools]
            if any(p not in BUILTIN_TOOL_SOURCES for p in parts):
                out.append(("spec.config.tools", tools))
        if config.get("seed_uri"):
            out.append(("spec.config.seed_uri", str(config["seed_uri"])))
    if kind == "training":
        checkpoint = ((spec.get("config") or {}).get("model") or {}).get("checkpoint")
        if checkpoint:
            out.append(("spec.config.model.checkpoint", str(checkpoint)))
        data = (spec.get("config") or {}).get("data") or {}
        out += [(f"spec.config.data.datasets[{i}]", str(u)) for i, u in enumerate(data.get("datasets") or [])]
        for i, src in enumerate((data.get("mixture") or {}).get("sources") or []):
            if isinstance(src, dict) and src.get("uri"):
                out.append((f"spec.config.data.mixture.sources[{i}].uri", str(src["uri"])))
    return out
