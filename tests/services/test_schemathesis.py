"""Property-based fuzzing of the OpenAPI spec (schemathesis) against the app on PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

from services.api.app import create_app
from services.settings import Settings

pytestmark = pytest.mark.services
schemathesis = pytest.importorskip("schemathesis")

# The schema is loaded from the ASGI app in-process; the fixture below points the app at the
# module's migrated PostgreSQL database and Redis before any case runs.
_app = create_app(Settings(home=tempfile.mkdtemp(prefix="xlam-spec-"), broker_url="memory://"))
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)
# valid and invalid inputs (NUL characters included), a bounded number per operation, one worker
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
                                allow_x00=True)
SKIP = {"/metrics", "/readyz", "/v1/projects/{project_id}/runs/{run_id}/logs/stream",
        "/v1/projects/{project_id}/datasets/upload"}


@pytest.fixture(scope="module")
def fuzz_project(client: Any, admin: Any, settings: Any) -> str:
    from services.db.session import session_factory

    _app.state.settings = settings
    _app.state.session_factory = session_factory(settings.database_url)
    client.post("/v1/projects", json={"name": "fuzz"}, headers=admin.h)
    return "fuzz"


@pytest.mark.slow
@schema.exclude(path=list(SKIP)).parametrize()
@hsettings(max_examples=int(os.environ.get("XLAM_FUZZ_EXAMPLES", "20")), deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_openapi(case: Any, admin: Any, client: Any, fuzz_project: str) -> None:
    # point valid project ids at a real project, so cases reach past the membership check
    value = (case.path_parameters or {}).get("project_id")
    if isinstance(value, str) and len(value) <= 64:
        case.path_parameters["project_id"] = fuzz_project
    # Every response is checked (no 5xx, response schema, status codes, content type...). Left out:
    # positive_data_acceptance, and negative_data_rejection, whose "invalid" cases include unknown query
    # parameters (ignored by design, as HTTP APIs do) and a missing Authorization header that this test
    # always supplies: both are accepted correctly, so they are false alarms.
    case.call_and_validate(headers={"Authorization": f"Bearer {admin.token}"},
                           excluded_checks=[schemathesis.checks.positive_data_acceptance,
                                            schemathesis.checks.negative_data_rejection])
