"""Our CRDs: committed copies in sync, examples valid, schema and CEL rules reject bad runs."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from platform_contracts.k8s.crd_schemas import KINDS, ROOT, all_crds, openapi_schema, rendered_files
from platform_contracts.k8s.validation import apply_defaults, cel_available, validate
from platform_contracts.runstate import PHASES

EXAMPLES = sorted((ROOT / "examples" / "k8s").glob("*.yaml"))


def test_committed_crd_copies_match_the_generator() -> None:
    for rel, text in rendered_files().items():
        path = ROOT / rel
        assert path.exists(), f"{rel} missing: run python -m platform_contracts.k8s.crd_schemas --write"
        assert path.read_text() == text, f"{rel} is stale: run python -m platform_contracts.k8s.crd_schemas --write"


def test_crd_shape() -> None:
    for crd in all_crds():
        (version,) = crd["spec"]["versions"]
        assert crd["spec"]["group"] == "xlam.ai" and version["name"] == "v1alpha1"
        assert version["subresources"] == {"status": {}}
        assert crd["spec"]["names"]["shortNames"]
        status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
        assert status["phase"]["enum"] == list(PHASES)
        for field in ("conditions", "observedGeneration", "controlPlane", "metrics"):
            assert field in status
        cols = [c["name"] for c in version["additionalPrinterColumns"]]
        assert cols[0] == "Phase" and "Age" in cols


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(path: Path) -> None:
    obj = yaml.safe_load(path.read_text())
    assert obj["kind"] in KINDS
    assert validate(openapi_schema(obj["kind"]), obj) == []


def test_cel_library_is_installed() -> None:
    # cel-python is in the dev extra: CEL rules are evaluated, not just documented.
    assert cel_available()


def _example(kind: str) -> dict:
    for path in EXAMPLES:
        obj = yaml.safe_load(path.read_text())
        if obj["kind"] == kind:
            return obj
    raise AssertionError(kind)


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda s: s["storage"].update(pvc={"claimName": "data"}), "exactly one of storage.pvc or storage.uri"),
    (lambda s: s.update(storage={"pvc": {"claimName": "d"}, "credentialsSecret": {"name": "x"}}) or
     s["storage"].update(credentialsSecret={"name": "x"}), "credentialsSecret needs storage.uri"),
    (lambda s: s["resources"].update(sizing="Explicit", nodes=None) or s["resources"].pop("nodes"),
     "sizing Explicit needs"),
])
def test_cel_rules_reject(mutate, expected: str) -> None:
    obj = copy.deepcopy(_example("TrainingRun"))
    mutate(obj["spec"])
    errors = validate(openapi_schema("TrainingRun"), obj)
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(("patch", "field"), [
    ({"recipe": "gpt-5"}, "recipe"),
    ({"method": "ppo"}, "method"),
    ({"backoffLimit": -1}, "backoffLimit"),
    ({"activeDeadlineSeconds": 5}, "activeDeadlineSeconds"),
    ({"resources": {"nodes": 0}}, "nodes"),
    ({"resources": {"gpusPerNode": 17}}, "gpusPerNode"),
    ({"scheduling": {"tolerations": [{"operator": "Sometimes"}]}}, "operator"),
    ({"storage": {"uri": "ftp://nope"}}, "uri"),
])
def test_schema_rejects(patch: dict, field: str) -> None:
    obj = copy.deepcopy(_example("TrainingRun"))
    for k, v in patch.items():
        obj["spec"][k] = {**obj["spec"][k], **v} if isinstance(v, dict) and isinstance(obj["spec"].get(k), dict) else v
    errors = validate(openapi_schema("TrainingRun"), obj)
    assert any(field in e for e in errors), errors


def test_required_fields() -> None:
    assert validate(openapi_schema("EvaluationRun"), {"spec": {"model": "x"}})  # storage missing
    assert validate(openapi_schema("SynthesisRun"), {"spec": {}})  # pipeline missing


def test_defaults_applied_like_the_api_server() -> None:
    obj = apply_defaults(openapi_schema("TrainingRun"), {"spec": {"recipe": "tiny", "resources": {}}})
    assert obj["spec"]["method"] == "sft" and obj["spec"]["resources"]["sizing"] == "Planner"
    assert obj["spec"]["ttlSecondsAfterFinished"] == 3600


def test_crd_enums_come_from_the_core_registries() -> None:
    """Recipe names and GPU types in the TrainingRun CRD are the core's, not a hand-made copy."""
    from xlam.training.planner import GPUS
    from xlam.training.recipes import RECIPES

    spec = next(c for c in all_crds() if c["spec"]["names"]["kind"] == "TrainingRun")
    props = spec["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert props["recipe"]["enum"] == list(RECIPES)
    assert props["resources"]["properties"]["gpuType"]["enum"] == list(GPUS)
