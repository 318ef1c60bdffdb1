"""Our own format (``POST /webhook/native``): a CI pipeline says what it pushed, in one line of JSON.

After ``docker push``, a pipeline POSTs::

    {"image": "registry.example.com/team/app:1.4.2"}
    {"image": "registry.example.com/team/app", "tag": "1.4.2", "digest": "sha256:..."}
    {"image": "registry.example.com/charts/web:0.9.0", "kind": "chart"}

* ``image`` (required) is an image reference, registry host included; without one it is Docker
  Hub's, as in a pod spec.
* The tag is ``tag`` or the reference's; the digest is ``digest`` or the reference's. Given twice,
  they must agree. A push names a tag, a digest or both; neither is refused.
* ``kind`` is ``image`` (the default) or ``chart`` (a Helm chart in an OCI registry).
* A JSON list of such objects reports several pushes at once (a pipeline that built three images).
  One unreadable item refuses the whole list, naming it (``[2].tag``), so the pipeline fails
  visibly instead of half its pushes going unnoticed; an empty list is nothing pushed.

Keel's native body ``{"name": "gcr.io/team/app", "tag": "1.1.1"}`` (Keel's ``Repository``: also
``digest``, and ``host`` when ``name`` has none) is accepted too, ``name`` standing for ``image``, so
that a pipeline written for Keel works unchanged. ``?registry=`` replaces the host of the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from headwind.model.image import ImageRef
from headwind.model.pushes import CHART, IMAGE, PushEvent
from headwind.model.webhooks.checks import checked_digest, checked_tag, repository_path
from headwind.model.webhooks.fields import Delivery, InvalidPayload, obj, optional_string, path_of, string
from headwind.model.webhooks.hosts import registry_override
from headwind.model.webhooks.references import host_at, located, reference_at

SOURCE: Final = "native"
KINDS: Final = (IMAGE, CHART)


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The push an object reports, or the pushes a list of them reports."""
    if isinstance(payload, list):
        return [_push(item, path_of("", index), delivery) for index, item in enumerate(payload)]
    return [_push(payload, "", delivery)]


def _push(item: object, path: str, delivery: Delivery) -> PushEvent:
    request = obj(item, path)
    text, image_path = _image(request, path)
    reference = reference_at(text, image_path)
    registry, repository = _located(reference, image_path, _keel_host(request, path), delivery)
    tag = _agreed(request, "tag", path, reference.tag, image_path, checked_tag)
    digest = _agreed(request, "digest", path, reference.digest, image_path, checked_digest)
    if tag is None and digest is None:
        raise InvalidPayload(
            f"{image_path}: {text[:80]!r} names no tag or digest; add ':<tag>' or '@<digest>', or a tag field"
        )
    return PushEvent(
        registry=registry,
        repository=repository,
        tag=tag,
        digest=digest,
        kind=_kind(request, path),
        source=SOURCE,
    )


def _image(request: dict[str, Any], path: str) -> tuple[str, str]:
    """The pushed reference and its path: ``image``, or Keel's ``name``."""
    if "image" in request and "name" in request:
        raise InvalidPayload(f"{path_of(path, 'name')}: give image or (Keel's) name, not both")
    if "name" in request:
        return string(request, "name", path), path_of(path, "name")
    return string(request, "image", path), path_of(path, "image")


def _keel_host(request: dict[str, Any], path: str) -> str | None:
    """Keel's separate ``host``, checked; ``None`` when absent (or with ``image``, where it means nothing)."""
    if "name" not in request:
        return None
    return host_at(optional_string(request, "host", path), path_of(path, "host"))


def _located(reference: ImageRef, image_path: str, host: str | None, delivery: Delivery) -> tuple[str, str]:
    """Registry and path of the pushed reference; a Keel ``host`` is the registry of its ``name``."""
    if host is None:
        return located(reference, delivery)
    if reference.spelled_registry:
        raise InvalidPayload(f"{image_path}: names a registry host, and host names another")
    registry = registry_override(delivery, host)
    return registry, repository_path(registry, reference.spelled_path, image_path)


def _agreed(
    request: dict[str, Any],
    name: str,
    path: str,
    in_reference: str | None,
    image_path: str,
    check: Callable[[str, str], str],
) -> str | None:
    """A field (``tag``, ``digest``) given alone, or in the reference, or in both the same."""
    given = optional_string(request, name, path)
    if given is None:
        return in_reference
    field_path = path_of(path, name)
    check(given, field_path)
    if in_reference is not None and in_reference != given:
        raise InvalidPayload(
            f"{field_path}: {given[:80]!r} differs from {in_reference[:80]!r} in {image_path}"
        )
    return given


def _kind(request: dict[str, Any], path: str) -> str:
    kind = optional_string(request, "kind", path)
    if kind is None:
        return IMAGE
    if kind not in KINDS:
        raise InvalidPayload(f"{path_of(path, 'kind')}: expected 'image' or 'chart', got {kind[:40]!r}")
    return kind
