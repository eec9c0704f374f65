"""Issue 9, observability: request ids, JSON logs on stderr, Prometheus metrics at /metrics."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.observability import metrics
from inventory_svc.observability.logs import JsonFormatter, request_id
from tests.conftest import Keys
from tests.helpers import scan, stocked_shelf
from tests.live import CLI, free_port, wait_ready

Client = AsyncTestClient[Any]


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of the first sample of `name` having these labels (0 when absent)."""
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        metric, _, label_text = series.partition("{")
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', label_text))
        if metric == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


async def _scrape(client: Client) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_a_request_id_is_made_or_kept_and_always_returned(client: Client, keys: Keys) -> None:
    headers = await keys.header("admin")
    made = await client.get("/api/v1/items", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    kept = await client.get("/api/v1/items", headers={**headers, "X-Request-ID": "proxy-7f3a.42"})
    assert kept.headers["x-request-id"] == "proxy-7f3a.42"
    # A hostile value (a log-injection attempt, an overlong one) is replaced, not echoed.
    for hostile in ('a" "level":"CRITICAL', "x" * 500):
        answer = await client.get("/health", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
    # Answers no handler produced carry it too: a refused key, an unknown path.
    unauthorized = await client.get("/api/v1/items", headers={"X-Request-ID": "r-401"})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["x-request-id"] == "r-401"
    unknown = await client.get("/no/such/path", headers={"X-Request-ID": "r-404"})
    assert unknown.status_code == 404
    assert unknown.headers["x-request-id"] == "r-404"


async def test_metrics_need_no_key_and_label_routes_by_template(
    client: Client, keys: Keys, engine: AsyncEngine
) -> None:
    headers = await keys.header("admin")
    route = "/api/v1/items/{item_id}"
    before = _sample(
        await _scrape(client),
        "inventory_http_requests_total",
        route=route,
        method="GET",
        status="404",
    )
    for item_id in (987654, 987655, 987656):
        assert (await client.get(f"/api/v1/items/{item_id}", headers=headers)).status_code == 404
    text = await _scrape(client)
    after = _sample(text, "inventory_http_requests_total", route=route, method="GET", status="404")
    assert after - before == 3
    assert "/api/v1/items/987654" not in text  # never the raw path
    assert (
        _sample(text, "inventory_http_request_duration_seconds_count", route=route, method="GET")
        >= 3
    )
    # Read at scrape time: the pool, and the outbox backlog (events without a feed id).
    assert "inventory_db_pool_checked_out " in text
    assert _sample(text, "inventory_db_pool_size") >= 1
    async with engine.connect() as conn:
        backlog = (
            await conn.execute(sa.text("SELECT COUNT(*) FROM events WHERE id IS NULL"))
        ).scalar_one()
    assert _sample(text, "inventory_outbox_unpositioned_events") == backlog
    age = _sample(text, "inventory_outbox_oldest_unpositioned_age_seconds")
    assert (age > 0) if backlog else (age == 0)
    assert _sample(text, "inventory_outbox_scrape_errors_total") == 0
    # The process itself (RSS for the soak test) comes with prometheus-client.
    assert _sample(text, "process_resident_memory_bytes") > 0


async def test_scans_are_counted_by_route_and_by_action_and_result(
    client: Client, keys: Keys
) -> None:
    headers = await keys.header("admin")
    route = "/api/v1/scans"
    before = _sample(
        await _scrape(client), "inventory_http_requests_total", route=route, status="201"
    )
    code = await stocked_shelf(client, headers)
    refused = await scan(client, headers, code, "issue", "SHELF", quantity=1000)
    assert refused.status_code == 409
    text = await _scrape(client)
    assert (
        _sample(text, "inventory_http_requests_total", route=route, method="POST", status="201")
        == before + 1
    )
    assert (
        _sample(text, "inventory_http_requests_total", route=route, method="POST", status="409")
        >= 1
    )
    # What only the scan service knows: the action and its result, the problem code.
    refused_before = _sample(
        text, "inventory_scans_total", action="issue", result="insufficient_stock"
    )
    applied_before = _sample(text, "inventory_scans_total", action="receive", result="applied")
    assert refused_before >= 1 and applied_before >= 1
    again = await scan(client, headers, code, "issue", "SHELF", quantity=1000)
    assert again.status_code == 409
    text = await _scrape(client)
    assert (
        _sample(text, "inventory_scans_total", action="issue", result="insufficient_stock")
        == refused_before + 1
    )
    assert _sample(text, "inventory_db_pool_wait_seconds_count") > 0


async def test_server_errors_are_counted_by_status() -> None:
    was = _sample(_exposition(), "inventory_http_server_errors_total", status="503")
    metrics.record_response_status(503)
    metrics.record_response_status(200)
    assert _sample(_exposition(), "inventory_http_server_errors_total", status="503") == was + 1


def _exposition() -> str:
    from prometheus_client import REGISTRY, generate_latest

    return generate_latest(REGISTRY).decode()


def test_a_log_line_is_one_json_object_with_the_request_id() -> None:
    token = request_id.set("req-1")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            record = logging.getLogger("inventory_svc.test").makeRecord(
                "inventory_svc.test",
                logging.ERROR,
                __file__,
                1,
                "scan %s failed\nsecond line",
                ("x",),
                exc_info=__import__("sys").exc_info(),
                extra={"route": "/api/v1/scans"},
            )
        line = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "inventory_svc.test"
    assert entry["message"] == "scan x failed\nsecond line"
    assert entry["request_id"] == "req-1"
    assert entry["route"] == "/api/v1/scans"
    assert "ValueError: boom" in entry["exc_info"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


@pytest.mark.e2e
def test_a_live_server_logs_json_on_stderr_and_its_banner_on_stdout(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}",
        "INVENTORY_PORT": str(port),
        "INVENTORY_LOG_LEVEL": "INFO",
        "INVENTORY_WORKERS": "1",
    }
    server = subprocess.Popen(
        [*CLI, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        assert httpx.get(f"{base}/health", headers={"X-Request-ID": "live-1"}).status_code == 200
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=20)
    assert f"inventory-svc on {base}" in stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    # Uvicorn's first two lines come before the app's startup hook takes its loggers over
    # (unless the server is started with log_config=None): nothing else may be plain text.
    plain = [line for line in lines if not line.startswith("{")]
    assert all("Started server process" in p or "Waiting for application" in p for p in plain)
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert entries, "no log lines"
    assert all({"time", "level", "logger", "message", "request_id"} <= e.keys() for e in entries)
    access = [e for e in entries if e["request_id"] == "live-1"]
    assert [(e["logger"], e["route"], e["status"]) for e in access] == [
        ("inventory_svc.access", "/health", 200)
    ]
    assert any(e["logger"].startswith("uvicorn") for e in entries)  # the server's own lines
