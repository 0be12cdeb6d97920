"""Run specs: the typed core-library configs, one envelope per run kind.

The API validates a submitted spec here (422 naming the field); the local backend parses the
same envelope again to execute it. Core configs are imported lazily (they live in ``xlam.*``
modules that pull in heavy dependencies only when they run).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

OutputName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", max_length=128)]
UriStr = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class SpecError(ValueError):
    """A spec that does not validate; ``errors`` are ``{field, message}`` with full field paths."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"] if errors else "invalid spec")
        self.errors = errors


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataPipelineSpec(_Envelope):
    """unify (a converter over source files) -> verify -> dedup, each step's config optional."""

    source: Annotated[str, StringConstraints(max_length=64)] = Field(description="Converter name, e.g. bfcl.")
    inputs: list[UriStr] = Field(min_length=1, max_length=100)
    output_name: OutputName
    unify: dict[str, Any] = Field(default_factory=dict, description="xlam.converters.UnifyConfig")
    verify: dict[str, Any] | None = Field(default_factory=dict, description="xlam.verify.VerifyConfig; null skips")
    dedup: dict[str, Any] | None = Field(default_factory=dict, description="xlam.dedup.DedupConfig; null skips")
    engine: Literal["auto", "direct", "kfp"] = Field(
        "auto", description="kfp: the xlam-data pipeline on kfp's local runner (unify -> shard -> augment + "
        "verify per shard -> dedup -> mix, one process per task); direct: unify -> verify -> dedup stage runners "
        "in one process (steps set to null are skipped); auto: kfp when the pipelines package is installed and "
        "no step is skipped, else direct.")
    num_shards: int = Field(2, ge=1, le=64, description="kfp engine: shards processed in parallel.")
    augment: dict[str, Any] = Field(default_factory=dict, description="kfp engine: xlam.augment.AugmentConfig")
    mix: dict[str, Any] = Field(default_factory=dict, description="kfp engine: xlam.mixture mix config")


class SynthesisSpec(_Envelope):
    output_name: OutputName
    tools_uri: UriStr | None = Field(None, description="Tool registry JSONL/dataset; default: built-in catalog.")
    config: dict[str, Any] = Field(default_factory=dict, description="xlam.synthesis.SynthesisConfig")


class TrainingSpec(_Envelope):
    model_name: OutputName = Field(description="Registered model that receives the new version.")
    config: dict[str, Any] = Field(default_factory=dict, description="xlam.training.TrainConfig")


class EvaluationSpec(_Envelope):
    config: dict[str, Any] = Field(default_factory=dict, description="xlam.evaluation.EvalConfig")
    model_version_id: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="Model version the metrics are attached to.")


ENVELOPES: dict[str, type[_Envelope]] = {
    "data-pipeline": DataPipelineSpec,
    "synthesis": SynthesisSpec,
    "training": TrainingSpec,
    "evaluation": EvaluationSpec,
}

# (envelope field, module, config class); a config of None in the envelope skips the step.
CORE_CONFIGS: dict[str, list[tuple[str, str, str]]] = {
    "data-pipeline": [("unify", "xlam.converters", "UnifyConfig"), ("verify", "xlam.verify", "VerifyConfig"),
                      ("dedup", "xlam.dedup", "DedupConfig")],
    "synthesis": [("config", "xlam.synthesis", "SynthesisConfig")],
    "training": [("config", "xlam.training", "TrainConfig")],
    "evaluation": [("config", "xlam.evaluation", "EvalConfig")],
}


def _path(loc: tuple[Any, ...]) -> str:
    from xlam.errors import pydantic_field_path

    return pydantic_field_path(loc)


def config_class(module: str, name: str) -> type[BaseModel] | None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == module or module.startswith(exc.name + ".")):
            return None
        raise
    cls = getattr(mod, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def validate_spec(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise ``spec`` for ``kind``; raise :class:`SpecError` with ``spec.<path>`` fields."""
    envelope = ENVELOPES[kind]
    try:
        parsed = envelope.model_validate(spec)
    except ValidationError as exc:
        raise SpecError([{"field": _path(("spec", *e["loc"])), "message": e["msg"]} for e in exc.errors()]) from exc
    out = parsed.model_dump(mode="json")
    if kind == "data-pipeline":
        _resolve_engine(out)
    for field, module, cls_name in CORE_CONFIGS[kind]:
        raw = out.get(field)
        if raw is None:
            continue
        cls = config_class(module, cls_name)
        if cls is None:
            if kind == "data-pipeline" and field != "unify" and not raw:
                out[field] = None  # optional step whose module is not installed: skipped
                continue
            raise SpecError([{"field": f"spec.{field}",
                              "message": f"{module}.{cls_name} is not available on this server"}])
        try:
            out[field] = cls.model_validate(raw).model_dump(mode="json")
        except ValidationError as exc:
            raise SpecError(
                [{"field": _path(("spec", field, *e["loc"])), "message": e["msg"]} for e in exc.errors()]
            ) from exc
    return out


def _resolve_engine(spec: dict[str, Any]) -> None:
    skipped = spec.get("verify") is None or spec.get("dedup") is None
    if spec["engine"] == "kfp" and skipped:
        raise SpecError([{"field": "spec.engine", "message": "the kfp pipeline runs every step; use engine "
                                                             "'direct' to skip verify or dedup"}])
    if spec["engine"] == "auto":
        has_kfp = importlib.util.find_spec("pipelines.runner") is not None
        spec["engine"] = "kfp" if has_kfp and not skipped else "direct"


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
        if not tools.startswith("module:") and tools != "default":
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
