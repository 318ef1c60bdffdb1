"""How often a workload may be updated: ``headwind.sh/min-update-interval`` against ``last-update``.

A busy repository can push several tags an hour; ``headwind.sh/min-update-interval`` (seconds,
default 300) keeps a workload from rolling that often. The clock is the ``headwind.sh/last-update``
annotation, so the rule survives restarts and leader changes (state lives only in Kubernetes).

Headwind's version of this was broken twice over (``shared/reference/headwind.md`` §2.3): nothing
wrote ``last-update`` on Deployments, so the check never applied to them, and approved StatefulSet
and DaemonSet updates wrote ``"<RFC 3339> (approved by X)"``, which its own parser then rejected,
silently disabling the check. Here :func:`format_last_update` always writes plain RFC 3339 (who
approved belongs in ``update-history``), and :func:`parse_last_update` also reads Headwind's
suffixed form, so workloads it updated keep their cadence after the switch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from headwind.model.annotations import LAST_UPDATE, MIN_UPDATE_INTERVAL
from headwind.model.config import parse_seconds
from headwind.model.policy import InvalidPolicy

DEFAULT_MIN_UPDATE_INTERVAL = timedelta(seconds=300)

_HEADWIND_SUFFIX = re.compile(r"\s*\(approved by .*\)\s*$")


@dataclass(frozen=True, slots=True)
class Gate:
    """Whether an update may be applied now, and if not, how long until it may."""

    open: bool
    wait: timedelta
    reason: str


def format_last_update(at: datetime) -> str:
    """``at`` as the ``headwind.sh/last-update`` value: RFC 3339 in UTC, to the second."""
    return at.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_last_update(text: str) -> datetime | None:
    """The time in a ``last-update`` value (ours or Headwind's), or None when there is none to read."""
    stamp = _HEADWIND_SUFFIX.sub("", text).strip()
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("z", "Z"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def min_update_interval(annotations: Mapping[str, str]) -> timedelta:
    """The workload's minimum interval; :class:`InvalidPolicy` naming the key when it is not seconds."""
    text = annotations.get(MIN_UPDATE_INTERVAL, "").strip()
    if not text:
        return DEFAULT_MIN_UPDATE_INTERVAL
    try:
        return timedelta(seconds=parse_seconds(text))
    except (ValueError, OverflowError) as error:
        problem = str(error) or "is not a number of seconds"
        raise InvalidPolicy([f"{MIN_UPDATE_INTERVAL}: {text!r} {problem}"]) from None


def update_gate(annotations: Mapping[str, str], now: datetime) -> Gate:
    """Whether the workload may be updated at ``now``.

    An unreadable ``last-update``, or one further in the future than the interval, opens the gate
    (and says so): refusing forever would repeat Headwind's silent failure in the other direction,
    and the next update writes a readable value. A time a little ahead (another replica's clock)
    still counts.
    """
    interval = min_update_interval(annotations)
    text = annotations.get(LAST_UPDATE)
    if text is None:
        return Gate(True, timedelta(0), "never updated by Headwind")
    last = parse_last_update(text)
    if last is None:
        return Gate(True, timedelta(0), f"{LAST_UPDATE} {text!r} is not an RFC 3339 time; not waiting")
    try:
        due = last + interval
    except OverflowError:
        due = datetime.max.replace(tzinfo=UTC)
    if last > now + timedelta(minutes=5) and last - now > interval:
        return Gate(True, timedelta(0), f"{LAST_UPDATE} {text!r} is in the future; not waiting")
    if now >= due:
        since = f"last updated {format_last_update(last)}"
        return Gate(True, timedelta(0), f"{since}, {_span(interval)} or more ago")
    return Gate(
        False,
        due - now,
        f"last updated {format_last_update(last)}; {MIN_UPDATE_INTERVAL} is {_span(interval)}, "
        f"so not before {format_last_update(due)}",
    )


def _span(interval: timedelta) -> str:
    seconds = interval.total_seconds()
    return f"{seconds:g}s"
