"""The pydantic -> Kubernetes structural schema converter, and spec.config of our CRDs built with it."""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from platform_contracts.k8s.crd_schemas import KINDS, RECIPES, openapi_schema
from platform_contracts.k8s.structural import FREE_FORM_NOTE, PRESERVE, structural, structural_errors
from platform_contracts.k8s.validation import validate
from platform_contracts.runspecs import ENVELOPES
from xlam.evaluation import EvalConfig
from xlam.training import TrainConfig


class Cat(BaseModel):
    pet: Literal["cat"] = "cat"
    lives: int = 9


class Dog(BaseModel):
    pet: Literal["dog"] = "dog"
    good: bool = True


class Tree(BaseModel):
    label: str = ""
    children: list[Tree] = Field(default_factory=list)
    parent: Tree | None = None


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate: float = Field(1.0, gt=0, le=10, description="A rate.")
    name: str | None = Field(None, min_length=1, max_length=8, pattern="^[a-z]+$")


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Sample")
    inner: Inner = Field(default_factory=Inner)
    maybe_inner: Inner | None = None
    mode: Literal["a", "b"] = "a"
    level: Literal[0, 1, 2] | None = None
    fixed: Literal["only"] = "only"
    pet: Annotated[Cat | Dog, Field(discriminator="pet")] = Field(default_factory=Cat, description="A pet.")
    either: int | str = 0
    anything: Any = None
    free: dict[str, Any] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    pair: tuple[float, float] = (0.9, 0.99)
    tags: list[str] = Field(default_factory=list, max_length=4)
    tree: Tree = Field(default_factory=Tree)


def test_converter_output_is_structural_and_keeps_the_checks() -> None:
    s = structural(Sample.model_json_schema())
    assert structural_errors(s) == []
    props = s["properties"]
    assert "title" not in s and "$defs" not in s and "additionalProperties" not in s
    inner = props["inner"]["properties"]
    # gt -> minimum + exclusiveMinimum (OpenAPI v3.0 boolean form); le -> maximum
    assert inner["rate"] == {"type": "number", "description": "A rate.", "minimum": 0, "exclusiveMinimum": True,
                             "maximum": 10}
    assert inner["name"] == {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[a-z]+$",
                             "nullable": True}
    assert props["maybe_inner"]["nullable"] is True and "rate" in props["maybe_inner"]["properties"]
    assert props["mode"] == {"type": "string", "enum": ["a", "b"]}
    assert props["level"] == {"type": "integer", "enum": [0, 1, 2], "nullable": True}
    assert props["fixed"] == {"type": "string", "enum": ["only"]}
    # unions a structural schema cannot type: free-form, and the description says so
    assert props["pet"][PRESERVE] is True and props["pet"]["type"] == "object"
    assert FREE_FORM_NOTE in props["pet"]["description"] and "A pet." in props["pet"]["description"]
    assert props["either"][PRESERVE] is True and "type" not in props["either"]
    assert props["anything"] == {PRESERVE: True}
    assert props["free"] == {"type": "object", PRESERVE: True}
    assert props["counts"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["pair"] == {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "maxItems": 4}
    # a recursive model: finite, the recursion point free-form
    assert props["tree"]["properties"]["children"]["items"]["type"] == "object"
    assert props["tree"]["properties"]["children"]["items"][PRESERVE] is True
    assert props["tree"]["properties"]["parent"] == {"type": "object", PRESERVE: True, "nullable": True}
    assert not any("default" in str(k) for k in _keys(s))  # defaults stay with pydantic


def _keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [k for k, v in node.items() if k not in ("properties",)] + [x for v in node.values() for x in _keys(v)]
    if isinstance(node, list):
        return [x for v in node for x in _keys(v)]
    return []


@pytest.mark.parametrize("model", [TrainConfig, EvalConfig, *ENVELOPES.values()], ids=lambda m: m.__name__)
def test_every_core_config_converts_to_a_structural_schema(model: type[BaseModel]) -> None:
    assert structural_errors(structural(model.model_json_schema())) == []


def test_structural_errors_finds_what_kubernetes_rejects() -> None:
    bad = {"type": "object", "properties": {
        "a": {"$ref": "#/$defs/A"},
        "b": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "c": {"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": {"type": "string"}},
        "d": {"type": "number", "exclusiveMinimum": 0},
        "e": {"type": "array"},
        "f": {"type": "string", "title": "F"},
    }}
    errors = "\n".join(structural_errors(bad))
    for where in (".a: keyword '$ref'", ".a: no type", ".b: keyword 'anyOf'", ".c: properties and additionalProperties",
                  ".d: exclusiveMinimum must be a boolean", ".e: array without items", ".f: keyword 'title'"):
        assert where in errors, errors


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_whole_crd_schemas_are_structural(kind: str) -> None:
    assert structural_errors(openapi_schema(kind)) == []


def _config(kind: str) -> dict[str, Any]:
    return openapi_schema(kind)["properties"]["spec"]["properties"]["config"]  # type: ignore[no-any-return]


def test_crd_config_is_the_core_model() -> None:
    train = _config("TrainingRun")
    assert set(train["properties"]) == set(TrainConfig.model_fields)
    assert train["properties"]["distributed"]["properties"]["launcher"]["enum"] == ["ray", "torchrun", "local"]
    assert train["properties"]["model"]["properties"]["recipe"]["enum"] == RECIPES  # the core registry
    # what the operator fills in (operators/builders/rayjob.py train_config) is never required
    for path in ("name", "method", "output_dir", "model.recipe", "checkpoint.storage_path", "distributed.launcher",
                 "distributed.num_workers", "distributed.zero_stage", "distributed.ray_address", "distributed.use_gpu"):
        *parents, leaf = path.split(".")
        node = train
        for part in parents:
            node = node["properties"][part]
        assert leaf in node["properties"] and leaf not in node.get("required", []), path
    assert set(_config("EvaluationRun")["properties"]) == set(EvalConfig.model_fields)


@pytest.mark.parametrize(("kind", "config"), [
    ("TrainingRun", {"data": {"datasets": ["s3://b/d"]}}),
    ("TrainingRun", {"method": "dpo", "lora": {"enabled": True, "target_modules": ["q_proj"]},
                     "model": {"checkpoint": "/ckpt", "train_top_layers": 2, "arch_overrides": {"n": 2}},
                     "data": {"datasets": ["s3://b/d"], "prompt_style": {"x": 1}}, "optim": {"betas": [0.9, 0.95]}}),
    ("EvaluationRun", {}),
    ("EvaluationRun", {"generator": {"backend": "openai", "endpoint": "serve-1", "requests_per_second": 2.5,
                                     "extra_headers": {"X-A": "b"}}, "limit": 3}),
])
def test_every_config_pydantic_dumps_is_admitted(kind: str, config: dict[str, Any]) -> None:
    """A stored run's config (all fields, nulls included) validates against the CRD's spec.config."""
    model = TrainConfig if kind == "TrainingRun" else EvalConfig
    assert validate(_config(kind), model.model_validate(config).model_dump(mode="json"), cel=False) == []


@pytest.mark.parametrize(("patch", "field"), [
    ({"optim": {"lr": "fast"}}, "optim.lr"),
    ({"optim": {"lr": 0}}, "optim.lr"),  # gt=0
    ({"distributed": {"launcher": "bogus"}}, "distributed.launcher"),
    ({"distributed": {"zero_stage": 4}}, "distributed.zero_stage"),
    ({"model": {"recipe": "gpt-5"}}, "model.recipe"),
    ({"data": {"datasets": "s3://not-a-list"}}, "data.datasets"),
])
def test_crd_config_rejects_what_pydantic_rejects(patch: dict[str, Any], field: str) -> None:
    config = {"data": {"datasets": ["s3://b/d"]}}
    for key, value in patch.items():
        config[key] = {**config.get(key, {}), **value}
    errors = validate(_config("TrainingRun"), copy.deepcopy(config), cel=False)
    assert any(e.startswith(field) for e in errors), errors
    with pytest.raises(ValueError):
        TrainConfig.model_validate(config)
