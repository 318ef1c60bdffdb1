"""Every sample delivery in ``tests/data/webhooks/<source>/`` reads as the push events it lists.

A sample is one JSON file::

    {"description": "what this delivery is", "reference": "where the format is documented",
     "headers": {...}, "query": {...}, "body": <the payload as the registry sends it>,
     "events": [{"registry": ..., "repository": ..., "tag": ..., "digest": ..., "media_type": ...,
                 "kind": "image" | "chart"}]}

or, for a delivery the parser must refuse, ``"error": "<text the problem must contain>"`` instead
of ``"events"``. The samples are real payloads (from each registry's documentation, or captured),
so this test is the specification of what each endpoint understands.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.fields import Delivery, InvalidPayload

CORPUS = Path(__file__).resolve().parents[1] / "data" / "webhooks"
SOURCES = (
    "dockerhub",
    "registry",
    "harbor",
    "ghcr",
    "gitlab",
    "quay",
    "acr",
    "jfrog",
    "gcr",
    "ecr",
    "nexus",
    "native",
)
SAMPLES = sorted(CORPUS.glob("*/*.json"))


def load(sample: Path) -> dict[str, Any]:
    data = json.loads(sample.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def parse(source: str, sample: dict[str, Any]) -> list[PushEvent]:
    module = importlib.import_module(f"headwind.model.webhooks.{source}")
    headers = {name.lower(): value for name, value in sample.get("headers", {}).items()}
    events: list[PushEvent] = module.parse(sample["body"], Delivery(headers, sample.get("query", {})))
    return events


def as_dict(event: PushEvent) -> dict[str, Any]:
    return {
        "registry": event.registry,
        "repository": event.repository,
        "tag": event.tag,
        "digest": event.digest,
        "media_type": event.media_type,
        "kind": event.kind,
    }


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_a_sample_delivery_reads_as_its_events(sample: Path) -> None:
    source, data = sample.parent.name, load(sample)
    assert data.get("description") and data.get("reference"), "say what the sample is and where it is from"

    if "error" in data:
        with pytest.raises(InvalidPayload) as caught:
            parse(source, data)
        assert data["error"] in caught.value.problem
        return
    events = parse(source, data)

    assert [as_dict(event) for event in events] == data["events"]
    assert all(event.source == source for event in events)


@pytest.mark.parametrize("source", SOURCES)
def test_every_source_has_samples_of_a_push_and_of_a_delivery_to_ignore(source: str) -> None:
    samples = [load(path) for path in CORPUS.glob(f"{source}/*.json")]

    assert any(sample.get("events") for sample in samples), f"no push sample for {source}"
    assert any(sample.get("events") == [] for sample in samples), f"no ignored-delivery sample for {source}"
    assert any("error" in sample for sample in samples), f"no invalid-delivery sample for {source}"
