"""Schemathesis fuzzes every operation of the served OpenAPI document against a live server
with demo data: whatever it sends, the answer is never a 5xx, is problem+json when it is an
error, and a success matches its documented schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.live import live_server, run_cli

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def api(database_url: str) -> Iterator[tuple[Any, dict[str, str]]]:
    run_cli(database_url, "demo")
    key = run_cli(database_url, "keys", "create", "--role", "admin", "--name", "fuzz").stdout
    headers = {"Authorization": f"Bearer {key.split()[-1]}"}
    with live_server(database_url) as base:
        yield schemathesis.openapi.from_url(f"{base}/schema/openapi.json"), headers


def test_no_operation_errors_or_breaks_its_schema(api: tuple[Any, dict[str, str]]) -> None:
    schema, headers = api
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:

        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            if response.status_code >= 400:
                content_type = response.headers.get("content-type") or [""]
                assert content_type[0].startswith("application/problem+json")
                assert response.json()["code"]

        try:
            fuzz()
        except Exception as error:  # collect all operations' failures, then report them together
            failures[operation.label] = str(error)[:2000]
    assert failures == {}
