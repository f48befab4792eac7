"""Fuzz every operation of the real server from its own OpenAPI document: nothing may answer 5xx.

Bounded (a few examples per operation) so the whole suite stays fast; raise
MALWAR_FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from malwar.api.app import create_app
from malwar.api.settings import load_settings
from tests.api.conftest import ADMIN_KEY, Server

EXAMPLES = int(os.environ.get("MALWAR_FUZZ_EXAMPLES", "10"))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    srv = Server(tmp_path_factory.mktemp("fuzz"), {"MALWAR_RATE_LIMIT_PER_KEY_PER_MINUTE": "0",
                                                   "MALWAR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0",
                                                   "MALWAR_LOG_LEVEL": "WARNING"}, workers=1)
    yield srv
    assert srv.stop() == 0
    assert '"status": 5' not in srv.log.read_text(), "the server logged a 5xx"


def _document() -> dict[str, object]:
    """The OpenAPI document exactly as the server serves it, built from the same factory."""
    tmp = tempfile.mkdtemp(prefix="malwar-fuzz-")
    app = create_app(load_settings({"MALWAR_DB_PATH": os.path.join(tmp, "schema.db"), "MALWAR_LOG_LEVEL": "ERROR"}))
    return app.openapi_schema.to_schema()


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx(case: schemathesis.Case, fuzz_server: Server) -> None:
    response = case.call(base_url=fuzz_server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}")
    if response.status_code >= 400 and case.method != "HEAD":
        assert response.headers["content-type"][0].startswith("application/problem+json"), response.headers
