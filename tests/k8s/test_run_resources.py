"""A run as a custom resource (platform_contracts.k8s.runs), offline: built from the typed run spec,
valid against its CRD, and refused before any API call when the CRD would refuse it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipelines.rayjob_launcher import TrainingRequest
from platform_contracts.k8s.crd_schemas import openapi_schema
from platform_contracts.k8s.runs import K8sRunSettings, KubeRuns, build_resource
from platform_contracts.k8s.validation import validate
from platform_contracts.runspecs import TrainingSpec, parse_spec, validate_spec
from services.backends.base import RunContext

SETTINGS = K8sRunSettings(namespace="xlam", storage_uri="s3://bucket")
SPECS: dict[str, dict[str, Any]] = {
    "training": {"model_name": "m", "config": {"model": {"recipe": "tiny-moe"}, "method": "dpo",
                                               "data": {"datasets": ["s3://bucket/mix"]}}},
    "evaluation": {"config": {"model": "s3://bucket/model", "categories": ["simple_python"], "limit": 5}},
    "synthesis": {"output_name": "syn", "config": {"n": 4}},
    "data-pipeline": {"source": "bfcl", "inputs": ["bfcl://simple_python"], "output_name": "d", "dedup": None},
}


def _ctx(kind: str, tmp_path: Path) -> RunContext:
    stored = validate_spec(kind, SPECS[kind])  # what the API stores; the worker parses it back
    return RunContext(run_id="run_01x", project_id="p", kind=kind, spec=parse_spec(kind, stored), attempt=1,
                      claim=1, work_dir=tmp_path, artifact_root="s3://bucket")


@pytest.mark.parametrize("kind", list(SPECS))
def test_every_kind_becomes_a_valid_resource(kind: str, tmp_path: Path) -> None:
    obj = build_resource(_ctx(kind, tmp_path), SETTINGS)
    assert validate(openapi_schema(obj["kind"]), obj) == []
    spec = obj["spec"]
    if kind == "training":
        assert (spec["recipe"], spec["method"]) == ("tiny-moe", "dpo") and spec["config"]["optim"]
    if kind == "evaluation":
        assert spec["model"] == "s3://bucket/model" and spec["limit"] == 5
    if kind == "data-pipeline":
        assert "dedup_config" not in spec["parameters"] and spec["parameters"]["verify_config"]


def test_the_launcher_sends_only_what_the_pipeline_set(tmp_path: Path) -> None:
    """The operator fills planner recommendations, name and output places where the config is silent."""
    cfg = {"name": "t", "model": {"recipe": "tiny"}, "data": {"datasets": ["s3://bucket/mix"]}}
    from xlam.training import TrainConfig

    request = TrainingRequest("kfp-t-1", "p", TrainingSpec(model_name="t", config=TrainConfig.model_validate(cfg)))
    obj = build_resource(request, SETTINGS)
    assert obj["spec"]["config"] == cfg and obj["metadata"]["name"] == "kfp-t-1-a1"


def test_what_the_crd_refuses_never_reaches_the_api(tmp_path: Path) -> None:
    class NoApi:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the API was called: {name}")

    runs = KubeRuns(api=NoApi(), settings=K8sRunSettings(namespace="xlam", storage_uri="ftp://bucket"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid TrainingRun"):
        runs.submit(_ctx("training", tmp_path))
