"""Fuzzing every webhook endpoint over real HTTP: whatever arrives, the answer is 2xx or 4xx, never a 500.

The webhook server runs in a thread with its own event loop (hypothesis drives synchronous tests),
with the real parsers, authentication and intake. Bodies are random JSON, random bytes, and the
corpus samples mutated: a member removed, a value replaced by another JSON type, a string
shortened. After all that, the server still answers its health check.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwind.adapters.metrics import Metrics
from headwind.model.webhook_auth import WebhookAuth
from headwind.model.webhooks.sources import PARSERS
from headwind.servers.listeners import WEBHOOKS, HttpServers, Listener
from headwind.servers.webhooks import webhook_routes
from headwind.services.catalog import TagCatalog
from headwind.services.intake import PushIntake

CORPUS = Path(__file__).resolve().parents[1] / "data" / "webhooks"
SOURCES = sorted(PARSERS)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class Healthy:
    def liveness_problems(self) -> list[str]:
        return []

    def readiness_problems(self) -> list[str]:
        return []


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    loop = asyncio.new_event_loop()
    metrics = Metrics()
    intake = PushIntake(TagCatalog(), {}, lambda key: True, lambda: True)
    routes = webhook_routes(intake, WebhookAuth, metrics, max_body=64 * 1024)
    servers = HttpServers([Listener(WEBHOOKS, "127.0.0.1", 0)], Healthy(), metrics, {WEBHOOKS: routes})
    loop.run_until_complete(servers.start())
    thread = threading.Thread(target=loop.run_forever, name="webhook-fuzz-server", daemon=True)
    thread.start()
    yield servers.ports[WEBHOOKS]
    asyncio.run_coroutine_threadsafe(servers.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def request(
    port: int, method: str, path: str, body: bytes = b"", content_type: str | None = "application/json"
) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def samples() -> list[tuple[str, Any]]:
    found = []
    for path in sorted(CORPUS.glob("*/*.json")):
        found.append((path.parent.name, json.loads(path.read_text(encoding="utf-8"))["body"]))
    return found


SAMPLES = samples()
CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/cloudevents+json",
]
ASCII = st.characters(min_codepoint=32, max_codepoint=126)


def mutate(value: Any, data: st.DataObject) -> Any:
    """``value`` with one random change somewhere inside it."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["drop", "replace", "descend"]))
        changed = dict(value)
        if action == "drop":
            del changed[key]
        elif action == "replace":
            changed[key] = data.draw(json_values)
        else:
            changed[key] = mutate(value[key], data)
        return changed
    if isinstance(value, list) and value and data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(value) - 1))
        return [*value[:index], mutate(value[index], data), *value[index + 1 :]]
    if isinstance(value, str) and value and data.draw(st.booleans()):
        return value[: data.draw(st.integers(0, len(value) - 1))]
    return data.draw(json_values)


@FUZZ
@given(source=st.sampled_from(SOURCES), body=json_values)
def test_random_json_gets_2xx_or_4xx(port: int, source: str, body: Any) -> None:
    assert request(port, "POST", f"/webhook/{source}", json.dumps(body).encode()) < 500


@FUZZ
@given(sample=st.sampled_from(SAMPLES), data=st.data())
def test_mutated_samples_get_2xx_or_4xx(port: int, sample: tuple[str, Any], data: st.DataObject) -> None:
    source, body = sample
    mutated = mutate(body, data)

    assert request(port, "POST", f"/webhook/{source}", json.dumps(mutated).encode()) < 500


@FUZZ
@given(
    source=st.sampled_from(SOURCES),
    body=st.binary(max_size=512),
    content_type=st.none() | st.sampled_from(CONTENT_TYPES) | st.text(ASCII, max_size=20),
    query=st.sampled_from(
        ["", "?registry=registry.example.com", "?registry=bad%20host", "?token=x", "?registry="]
    ),
)
def test_random_bytes_content_types_and_queries_get_2xx_or_4xx(
    port: int, source: str, body: bytes, content_type: str | None, query: str
) -> None:
    assert request(port, "POST", f"/webhook/{source}{query}", body, content_type) < 500


def test_after_the_fuzzing_the_server_is_healthy(port: int) -> None:
    assert request(port, "GET", "/health", content_type=None) == 200
    assert SAMPLES, "the corpus is empty"
