"""One run-state vocabulary (platform_contracts.runstate): every layer's copy is derived from it."""

from __future__ import annotations

from typing import get_args

from platform_contracts import runstate


def test_resource_phases_are_the_run_states_capitalised() -> None:
    assert tuple(runstate.phase_of(s) for s in runstate.RUN_STATES) == runstate.PHASES
    assert {runstate.phase_of(s) for s in runstate.TERMINAL} == runstate.TERMINAL_PHASES
    assert set(runstate.BACKEND_PHASE_OF) == set(runstate.PHASES)
    assert set(runstate.ALLOWED_FROM) == set(runstate.RUN_STATES)
    assert all(src in runstate.RUN_STATES for srcs in runstate.ALLOWED_FROM.values() for src in srcs)
    assert set(runstate.RUN_STATES) == runstate.TERMINAL | runstate.ACTIVE
    assert set(get_args(runstate.LaunchPhase)) == set(get_args(runstate.BackendPhase)) - {"lost"}


def test_every_layer_uses_the_one_vocabulary() -> None:
    from platform_contracts.k8s.crd_schemas import KINDS, openapi_schema
    from services.api.schemas import RunOut
    from services.db.models import Run

    for kind in KINDS:
        assert openapi_schema(kind)["properties"]["status"]["properties"]["phase"]["enum"] == list(runstate.PHASES)
    assert RunOut.model_json_schema()["properties"]["state"]["enum"] == list(runstate.RUN_STATES)
    checks = [str(c.sqltext) for c in Run.__table__.constraints if hasattr(c, "sqltext")]
    assert any(all(f"'{s}'" in c for s in runstate.RUN_STATES) for c in checks)
