"""Schemathesis fuzzes every operation of the served OpenAPI document against a live server
with demo data: whatever it sends, the answer is never a 5xx, is problem+json when it is an
error, and a success matches its documented schema.

Each operation gets, on each database:
- schemathesis' coverage phase: values at and past every documented limit (lengths,
  patterns, ranges, enums), wrong types, missing required parts, undocumented methods;
- fuzzing, valid and invalid (negative mode), with NUL and any Unicode in strings;
- hostile values for each parameter and body field, derived from the document: NUL, control
  characters, Unicode, lengths at and past the limit, numbers sent as strings, integers past
  int32/int64, times UTC cannot express, 100k-deep JSON;
- the same requests without a key;
and every path is asked OPTIONS and HEAD, with and without a key.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from tests.live import live_server, run_cli

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
]
PUBLIC = {"/health", "/ready"}
FUZZ_EXAMPLES = 12  # per operation and generation mode
FAR_FUTURE = "9999-12-31T23:59:59-14:00"
FAR_PAST = "0001-01-01T00:00:00+14:00"
DEEP = b"[" * 100_000 + b"]" * 100_000


class Api:
    """The live server, its schema, an admin key and what went wrong so far."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {key}"}
        self.schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
        self.http = httpx.Client(base_url=base, timeout=60)
        self.failures: dict[str, str] = {}
        self.sent = 0

    def answered(self, label: str, response: Any, sent: str = "") -> None:
        """The common contract of every answer: no 5xx; an error is problem+json with a code;
        without a key, a protected route answers 401."""
        self.sent += 1
        status = response.status_code
        content_type = response.headers.get("content-type") or ""
        if isinstance(content_type, list):  # schemathesis' own response type
            content_type = content_type[0]
        problem = ""
        has_body = response.request.method != "HEAD"
        if status >= 500:
            problem = f"answered {status}"
        elif not has_body:
            pass
        elif status >= 400 and not content_type.startswith("application/problem+json"):
            problem = f"answered {status} as {content_type!r}"
        elif status >= 400 and not _json(response).get("code"):
            problem = f"answered {status} without a code"
        if problem:
            self.failures.setdefault(label, f"{problem} to {sent[:300]}: {response.text[:300]}")

    def send(self, label: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as error:  # the server dropped the connection
            self.failures.setdefault(label, f"{type(error).__name__}: {error}")
            return None
        sent = f"{method} {path} {kwargs.get('params') or kwargs.get('content', b'')[:200]!r}"
        self.answered(label, response, sent)
        return response


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    run_cli(database_url, "demo")
    key = run_cli(database_url, "keys", "create", "--role", "admin", "--name", "fuzz").stdout
    with live_server(database_url) as base:
        api = Api(base, key.split()[-1])
        try:
            yield api
        finally:
            api.http.close()


def test_no_input_answers_a_server_error(api: Api) -> None:
    operations = [result.ok() for result in api.schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        _coverage(api, operation)
        _fuzz(api, operation)
        _hostile_values(api, operation)
    _options_and_head(api)
    assert api.sent > 1000
    assert api.failures == {}, json.dumps(api.failures, indent=1)[:20_000]


def _idempotency(operation: Any) -> dict[str, str]:
    """A fresh key per POST /scans, so that cases are scans of their own, not replays."""
    if operation.method.upper() == "POST" and operation.path == "/api/v1/scans":
        return {"Idempotency-Key": str(uuid.uuid4())}
    return {}


def _call(api: Api, case: Any, label: str) -> None:
    headers = {**api.headers, **_idempotency(case.operation)}
    try:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
    except FailureGroup as failed:  # a failed check: keep the first one per label
        api.failures.setdefault(label, "; ".join(_describe(e) for e in failed.exceptions))
        return
    api.answered(label, response)
    if case.operation.path not in PUBLIC:
        anonymous = case.call(headers={"Authorization": ""})
        # Routing comes first: no such path (404) or method (405) whatever the key.
        # OPTIONS answers Allow to anyone.
        if (
            anonymous.status_code != 401
            and response.status_code not in (404, 405)
            and case.method.upper() != "OPTIONS"
        ):
            api.failures.setdefault(
                f"{label} without a key", f"answered {anonymous.status_code}, not 401"
            )
        api.answered(f"{label} without a key", anonymous)


def _describe(failure: BaseException) -> str:
    title = getattr(failure, "title", type(failure).__name__)
    response = getattr(failure, "response", None)
    status = getattr(response, "status_code", "")
    return f"{title} {status}".strip()


def _coverage(api: Api, operation: Any) -> None:
    config = api.schema.config.generation_for(operation=operation, phase="coverage")
    cases = api.schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=config,
    )
    for case in cases:
        _call(api, case, f"coverage {operation.label}")


def _fuzz(api: Api, operation: Any) -> None:
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=2 * FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        _call(api, case, f"fuzz {operation.label}")

    fuzz()


# --- hostile values, derived from the document --------------------------------------------------


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _kind(schema: dict[str, Any]) -> str:
    """string, integer, number, boolean, date-time, array, object."""
    for variant in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        if variant.get("format") == "date-time":
            return "date-time"
        kind = variant.get("type")
        if isinstance(kind, str) and kind != "null":
            return kind
    return "string" if "enum" in schema else "object"


def _hostile(schema: dict[str, Any]) -> list[Any]:
    """Values that are at, past or beside what the schema allows."""
    kind = _kind(schema)
    if kind == "date-time":
        return [FAR_FUTURE, FAR_PAST, "9999-12-31T23:59:59", "0001-01-01T00:00:00Z", 1e400]
    if kind in ("integer", "number"):
        return [
            "99999",
            2**31,
            2**63,
            2**64,
            -(2**63) - 1,
            10**30,
            -1,
            0,
            1.5,
            True,
        ]
    if kind == "boolean":
        return ["maybe", 2]
    if kind == "string":
        longest = int(schema.get("maxLength", 200))
        return [
            "\x00",
            "A\x00B",
            "A\x01B\x1b\x7f\x85",
            "Épinéphrine 💉 \u202e\u200b",
            "A/B",
            "%_%",
            "A" * longest,
            "A" * (longest + 1),
            "A" * 5000,
            "",
            5,
        ]
    return [None, "x", 5]


def _query_values(schema: dict[str, Any]) -> list[str]:
    """Query strings carry text: the hostile values as they would be typed in a URL."""
    return [
        value if isinstance(value, str) else json.dumps(value)
        for value in _hostile(schema)
        if not isinstance(value, float) or value == value  # no NaN
    ]


def _hostile_values(api: Api, operation: Any) -> None:
    document = api.schema.raw_schema
    definition = document["paths"][operation.path][operation.method.lower()]
    method = operation.method.upper()
    examples = {
        "item_id": "1",
        "code": "MAIN-A1",
        "path": "openapi.json",
        "pick_list_id": "1",
        "number": "PO-000001",
        "count_id": "1",
        "scan_id": "1",
    }
    path_values = {
        p["name"]: examples.get(p["name"], "1")
        for p in definition.get("parameters", [])
        if p["in"] == "path"
    }
    label = f"hostile {operation.label}"

    def path(**overrides: str) -> str:
        values = {**path_values, **overrides}
        url = operation.path
        for name, value in values.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        return url

    def send(url: str | None = None, headers: dict[str, str] | None = None, **kwargs: Any) -> None:
        url = url or path()
        headers = {**api.headers, **_idempotency(operation), **(headers or {})}
        api.send(label, method, url, headers=headers, **kwargs)
        if operation.path not in PUBLIC:
            anonymous = {k: v for k, v in headers.items() if k != "Authorization"}
            response = api.send(f"{label} without a key", method, url, headers=anonymous, **kwargs)
            if response is not None and response.status_code not in (401, 404, 405):
                api.failures.setdefault(f"{label} without a key", f"{response.status_code}")

    for parameter in definition.get("parameters", []):
        for value in _query_values(parameter.get("schema", {})):
            if parameter["in"] == "query":
                send(params={parameter["name"]: value})
            elif parameter["in"] == "path" and value:
                send(url=path(**{parameter["name"]: value}))

    body_schema = (
        definition.get("requestBody", {}).get("content", {}).get("application/json", {})
    ).get("schema")
    if body_schema is None:
        return
    body_schema = _resolve(document, body_schema)
    base = _valid_body(api, operation)
    for name, property_schema in body_schema.get("properties", {}).items():
        property_schema = _resolve(document, property_schema)
        for value in _hostile(property_schema):
            body = {**copy.deepcopy(base), name: value}
            send(content=_encode(body), headers={"Content-Type": "application/json"})
        if _kind(property_schema) == "array" and base.get(name):
            body = {**copy.deepcopy(base), name: base[name][:1] * 20_000}
            send(content=_encode(body), headers={"Content-Type": "application/json"})
    raw_bodies = [b"\xff", b'"\\ud800"', b"1e400", b"[]", b"null", DEEP, b'{"a": ' + DEEP + b"}"]
    for raw in raw_bodies:
        send(content=raw, headers={"Content-Type": "application/json"})


def _encode(body: dict[str, Any]) -> bytes:
    """JSON with numbers past float range and huge integers written as they are."""
    return json.dumps(body, allow_nan=True).replace("Infinity", "1e400").encode()


def _valid_body(api: Api, operation: Any) -> dict[str, Any]:
    """A body the operation accepts, taken from the coverage phase's valid cases."""
    config = api.schema.config.generation_for(operation=operation, phase="coverage")
    for case in api.schema.iter_coverage_cases(
        operation, generation_modes=[GenerationMode.POSITIVE], generation_config=config
    ):
        if isinstance(case.body, dict):
            return dict(case.body)
    return {}


# --- OPTIONS and HEAD -----------------------------------------------------------------------------


def _options_and_head(api: Api) -> None:
    examples: dict[str, Callable[[str], str]] = {
        "{item_id}": lambda p: p.replace("{item_id}", "1"),
        "{code}": lambda p: p.replace("{code}", "MAIN-A1"),
        "{pick_list_id}": lambda p: p.replace("{pick_list_id}", "1"),
        "{session_id}": lambda p: p.replace("{session_id}", "1"),
        "{count_id}": lambda p: p.replace("{count_id}", "1"),
        "{scan_id}": lambda p: p.replace("{scan_id}", "1"),
        "{recall_id}": lambda p: p.replace("{recall_id}", "1"),
        "{gtin}": lambda p: p.replace("{gtin}", "00312345678906"),
        "{serial}": lambda p: p.replace("{serial}", "S-1"),
        "{number}": lambda p: p.replace("{number}", "PO-000001"),
        "{webhook_id}": lambda p: p.replace("{webhook_id}", "1"),
        "{delivery_id}": lambda p: p.replace("{delivery_id}", "1"),
    }
    paths = [*api.schema.raw_schema["paths"], "/schema", "/schema/openapi.json"]
    for template in paths:
        url = template
        for placeholder, fill in examples.items():
            if placeholder in url:
                url = fill(url)
        for headers in (api.headers, {}):
            who = "with a key" if headers else "without a key"
            options = api.send(f"OPTIONS {template} {who}", "OPTIONS", url, headers=headers)
            if options is not None and (
                options.status_code != 204 or "allow" not in options.headers
            ):
                api.failures[f"OPTIONS {template} {who}"] = f"{options.status_code}, no Allow"
            head = api.send(f"HEAD {template} {who}", "HEAD", url, headers=headers)
            if head is not None and head.status_code != 405:
                api.failures[f"HEAD {template} {who}"] = f"answered {head.status_code}"
