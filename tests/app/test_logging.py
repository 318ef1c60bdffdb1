"""``configure_logging``: JSON lines for machines, the console for people, one renderer for all loggers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from headwind.app.logging import configure_logging
from headwind.model.workloads import ObjectKey


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back so other tests see none of it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quieted = {name: logging.getLogger(name).level for name in ("kubernetes_asyncio", "aiohttp.access")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in quieted.items():
        logging.getLogger(name).setLevel(saved)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_timestamp_level_logger_event_and_the_objects_key() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream)
    key = ObjectKey("Deployment", "demo", "web")

    structlog.get_logger("headwind.test").bind(**key.log_fields()).info("update applied", image="web:2.0")

    [line] = lines(stream)
    assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
    assert line["timestamp"].endswith("Z")
    assert line | {"timestamp": None} == {
        "timestamp": None,
        "level": "info",
        "logger": "headwind.test",
        "event": "update applied",
        "kind": "Deployment",
        "namespace": "demo",
        "name": "web",
        "image": "web:2.0",
    }


def test_the_standard_librarys_logging_is_rendered_the_same_way() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream)

    logging.getLogger("aiohttp.server").warning("Error handling request from %s", "10.0.0.1")
    try:
        raise RuntimeError("registry said no")
    except RuntimeError:
        logging.getLogger("kubernetes_asyncio.client").exception("request failed")

    warning, error = lines(stream)
    assert warning["event"] == "Error handling request from 10.0.0.1"
    assert (warning["level"], warning["logger"]) == ("warning", "aiohttp.server")
    assert (error["level"], error["logger"]) == ("error", "kubernetes_asyncio.client")
    assert "RuntimeError: registry said no" in error["exception"]


def test_records_below_the_level_are_dropped() -> None:
    stream = io.StringIO()
    configure_logging("warning", "json", stream)

    structlog.get_logger("headwind.test").info("quiet")
    logging.getLogger("aiohttp.server").info("quiet too")
    structlog.get_logger("headwind.test").warning("loud")

    assert [line["event"] for line in lines(stream)] == ["loud"]


def test_kubernetes_response_bodies_stay_out_of_debug_logs() -> None:
    stream = io.StringIO()
    configure_logging("debug", "json", stream)

    logging.getLogger("kubernetes_asyncio.client.rest").debug("response body: %s", '{"kind": "Secret"}')
    structlog.get_logger("headwind.test").debug("ours")

    assert [line["event"] for line in lines(stream)] == ["ours"]


def test_configuring_twice_does_not_duplicate_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("info", "json", first)
    configure_logging("info", "json", second)

    structlog.get_logger("headwind.test").info("once")

    assert first.getvalue() == ""
    assert [line["event"] for line in lines(second)] == ["once"]


def test_auto_chooses_the_console_on_a_terminal_and_json_elsewhere() -> None:
    terminal, pipe = TerminalStream(), io.StringIO()
    configure_logging("info", "auto", terminal)
    structlog.get_logger("headwind.test").info("for people", kind="Deployment")
    configure_logging("info", "auto", pipe)
    structlog.get_logger("headwind.test").info("for machines")

    text = terminal.getvalue()
    assert "for people" in text
    assert "kind" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert lines(pipe)[0]["event"] == "for machines"


def test_console_format_is_honoured_off_a_terminal_without_colours() -> None:
    stream = io.StringIO()
    configure_logging("info", "console", stream)

    logging.getLogger("aiohttp.server").warning("plain")

    assert "plain" in stream.getvalue()
    assert "\x1b[" not in stream.getvalue()


@pytest.mark.parametrize(("level", "fmt"), [("trace", "json"), ("info", "xml")])
def test_an_unknown_level_or_format_is_refused(level: str, fmt: str) -> None:
    with pytest.raises(ValueError, match="unknown log"):
        configure_logging(level, fmt, io.StringIO())
