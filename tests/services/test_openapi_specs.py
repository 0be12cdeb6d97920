"""The run spec is typed end to end: /openapi.json shows the core config models, and the API accepts
the wire format the clients have always sent (the run kind beside the spec)."""

from __future__ import annotations

import tempfile
from typing import Any

from fastapi.testclient import TestClient

from platform_contracts.runspecs import EvaluationSpec, TrainingSpec, dump_spec, parse_spec
from services.api.app import create_app
from services.settings import Settings


def _openapi() -> dict[str, Any]:
    app = create_app(Settings(home=tempfile.mkdtemp(prefix="xlam-openapi-"), broker_url="memory://"))
    with TestClient(app) as client:
        doc: dict[str, Any] = client.get("/openapi.json").json()
    return doc


def test_openapi_shows_the_core_config_models_of_every_run_kind() -> None:
    doc = _openapi()
    schemas = doc["components"]["schemas"]
    for name in ("TrainConfig", "SynthesisConfig", "EvalConfig", "UnifyConfig", "VerifyConfig", "DedupConfig",
                 "TrainingSpec", "SynthesisSpec", "EvaluationSpec", "DataPipelineSpec"):
        assert name in schemas, name
    spec = schemas["RunSubmit"]["properties"]["spec"]
    union = spec.get("oneOf") or spec["allOf"][0]["oneOf"]  # a discriminated union by the run kind
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in union} == {
        "DataPipelineSpec", "SynthesisSpec", "TrainingSpec", "EvaluationSpec"}
    mapping = (spec.get("discriminator") or spec["allOf"][0]["discriminator"])["mapping"]
    assert set(mapping) == {"data-pipeline", "synthesis", "training", "evaluation"}
    assert schemas["TrainingSpec"]["properties"]["config"]["$ref"].endswith("/TrainConfig")


def test_the_stored_form_round_trips_to_the_same_models() -> None:
    raw = {"model_name": "m", "config": {"model": {"recipe": "tiny"}, "data": {"datasets": ["/d"]},
                                         "optim": {"max_steps": 3}}}
    spec = parse_spec("training", raw)
    assert isinstance(spec, TrainingSpec) and spec.config.optim.max_steps == 3
    stored = dump_spec(spec)
    assert "kind" not in stored and parse_spec("training", stored) == spec
    assert isinstance(parse_spec("evaluation", {}), EvaluationSpec)
