"""Property-based requests from the OpenAPI description (schemathesis) against a real
uvicorn: no answer is a server error, and no generated request is accepted by the
endpoints that change something (a bundle or an enrolment cannot be guessed).

Schemathesis' own pytest plugin does not run under pytest 9, so the operations'
strategies are driven by Hypothesis directly.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import openapi


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the property is about the HTTP layer; PostgreSQL runs the flows


def test_no_server_errors_and_no_accepted_garbage(live):
    _world, server = live
    schema = openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/sync", "/v1/enroll", "/v1/health"}
    calls = 0
    for op in operations:

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(case=op.as_strategy())
        def check(case):
            nonlocal calls
            calls += 1
            response = case.call(timeout=30)
            assert response.status_code < 500, response.text[:300]
            if case.method.upper() == "POST":
                assert response.status_code >= 400, f"{case.path} accepted generated data"
            else:
                assert response.status_code == 200

        check()
    assert calls >= 40
