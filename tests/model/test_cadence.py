"""``update_gate``: ``headwind.sh/min-update-interval`` measured from ``headwind.sh/last-update``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.model.cadence import (
    DEFAULT_MIN_UPDATE_INTERVAL,
    format_last_update,
    parse_last_update,
    update_gate,
)
from headwind.model.policy import InvalidPolicy

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def test_a_workload_never_updated_may_be_updated() -> None:
    gate = update_gate({}, NOW)

    assert gate.open and gate.wait == timedelta(0)
    assert gate.reason == "never updated by Headwind"


def test_an_update_within_the_default_interval_waits_for_the_rest_of_it() -> None:
    gate = update_gate({"headwind.sh/last-update": "2026-11-22T11:58:00Z"}, NOW)

    assert not gate.open
    assert gate.wait == timedelta(minutes=3)
    assert "so not before 2026-11-22T12:03:00Z" in gate.reason


@pytest.mark.parametrize(
    ("interval", "open_"), [("60", True), ("3600", False), ("120", True), ("120.5", False)]
)
def test_the_interval_annotation_is_in_seconds(interval: str, open_: bool) -> None:
    annotations = {
        "headwind.sh/last-update": "2026-11-22T11:58:00Z",
        "headwind.sh/min-update-interval": interval,
    }

    assert update_gate(annotations, NOW).open is open_


def test_an_interval_that_is_not_seconds_names_the_key() -> None:
    with pytest.raises(InvalidPolicy, match=r"headwind.sh/min-update-interval: '5 minutes' is not a number"):
        update_gate({"headwind.sh/min-update-interval": "5 minutes"}, NOW)


def test_headwinds_approved_by_suffix_still_reads_as_the_time() -> None:
    """headwind.md §2.3: Headwind wrote ``<time> (approved by X)`` and then could not parse it, so the
    interval silently stopped applying after an approval. We read it and keep the cadence."""
    annotations = {"headwind.sh/last-update": "2026-11-22T11:59:00+00:00 (approved by alice)"}

    gate = update_gate(annotations, NOW)

    assert not gate.open
    assert gate.wait == DEFAULT_MIN_UPDATE_INTERVAL - timedelta(minutes=1)


def test_a_last_update_far_in_the_future_does_not_block_updates_forever() -> None:
    gate = update_gate({"headwind.sh/last-update": "9999-12-31T23:59:59Z"}, NOW)

    assert gate.open
    assert "is in the future" in gate.reason


def test_a_last_update_slightly_ahead_of_our_clock_still_counts() -> None:
    gate = update_gate({"headwind.sh/last-update": "2026-11-22T12:00:30Z"}, NOW)

    assert not gate.open
    assert gate.wait == timedelta(seconds=330)


def test_an_unreadable_last_update_does_not_block_updates_forever() -> None:
    gate = update_gate({"headwind.sh/last-update": "yesterday"}, NOW)

    assert gate.open
    assert "'yesterday' is not an RFC 3339 time" in gate.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T11:00:00Z", datetime(2026, 11, 22, 11, tzinfo=UTC)),
        ("2026-11-22T13:00:00+02:00", datetime(2026, 11, 22, 11, tzinfo=UTC)),
        ("2026-11-22T11:00:00.123456Z", datetime(2026, 11, 22, 11, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-22T11:00:00", datetime(2026, 11, 22, 11, tzinfo=UTC)),
        ("", None),
        ("not a time", None),
    ],
)
def test_last_update_values_parse_as_times(text: str, expected: datetime | None) -> None:
    assert parse_last_update(text) == expected


@given(st.datetimes(timezones=st.just(UTC)))
def test_what_we_write_we_read_back_to_the_second(at: datetime) -> None:
    written = format_last_update(at)

    assert written.endswith("Z")
    assert parse_last_update(written) == at.replace(microsecond=0)


@given(st.text())
def test_any_last_update_text_is_read_or_ignored_without_raising(text: str) -> None:
    update_gate({"headwind.sh/last-update": text}, NOW)
