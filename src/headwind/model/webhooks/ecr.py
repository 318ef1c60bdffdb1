"""Amazon ECR (``POST /webhook/ecr``): EventBridge's "ECR Image Action" events, plain or as CloudEvents.

ECR has no webhooks; it emits EventBridge events, which an EventBridge rule sends to an HTTP
endpoint through an API destination. Two shapes arrive:

* **The EventBridge event itself** (the rule's default target input)::

      {"version": "0", "detail-type": "ECR Image Action", "source": "aws.ecr",
       "account": "123456789012", "region": "us-west-2",
       "detail": {"result": "SUCCESS", "action-type": "PUSH", "repository-name": "team/app",
                  "image-tag": "1.4.2", "image-digest": "sha256:..."}}

  A successful ``PUSH`` with an ``image-tag`` is a push to
  ``<account>.dkr.ecr.<region>.amazonaws.com`` (``.amazonaws.com.cn`` in the China regions).
  ``FAILURE``, ``DELETE``, a push without a tag (an image pushed by digest, such as one platform of
  a multi-arch image) and every other detail type ("ECR Image Scan", "ECR Pull Through Cache
  Action"...) are not pushes.

* **A CloudEvents 1.0 event** (structured JSON with ``specversion``, or binary mode with
  ``ce-*`` headers and the data as the body), made by an input transformer. Its ``data`` may be
  the whole EventBridge event or its ``detail`` (then the host comes from a ``source`` of the form
  ``urn:aws:ecr:<region>:<account>:...`` or ``arn:aws:ecr:...``, else from ``?registry=``), or the
  shape Argo CD Image Updater's ``type=cloudevents`` webhook documents::

      {"specversion": "1.0", "type": "com.amazon.ecr.image.push",
       "source": "urn:aws:ecr:<region>:<account>:repository/<repo>", "subject": "<repo>:<tag>",
       "data": {"repositoryName": "<repo>", "imageTag": "<tag>", "imageDigest": "sha256:...",
                "registryId": "<account>"}}

  read as Argo reads it: ``repositoryName`` or ``repository``, ``imageTag`` or ``tag`` (else the
  ``subject``), ``imageDigest`` or ``digest``; the host from ``registryUrl`` or ``registry``, else
  from the ``source`` URN (``registryId`` naming the account), else from an http(s) ``source``.
  Unlike Argo, which takes any ``com.amazon.ecr.*``, ``*container*`` or ``*image*`` type as a
  push (a delete too), this shape is a push only when its ``type`` says ``push``.

``?registry=`` overrides the host everywhere (ECR's dual-stack or FIPS endpoints, a pull-through
name). Authenticating EventBridge (an API-destination connection's header) is the server's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.checks import checked_digest, checked_tag, repository_path
from headwind.model.webhooks.fields import (
    Delivery,
    InvalidPayload,
    child,
    obj,
    optional_string,
    path_of,
    string,
)
from headwind.model.webhooks.hosts import host_of_url, is_overridden, registry_override
from headwind.model.webhooks.references import host_at

SOURCE: Final = "ecr"
IMAGE_ACTION: Final = "ECR Image Action"
_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_REGION: Final = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+")
_ECR_URN: Final = re.compile(r"(?:urn|arn):aws[a-z-]*:ecr:([^:]*):([^:]*)(?::.*)?")

_Named = tuple[str, str]
"""A value read from the payload, and its path."""


@dataclass(frozen=True, slots=True)
class _CloudEvent:
    """The attributes of a CloudEvent that matter here, from either content mode."""

    type: str
    source: str | None
    subject: str | None
    data: Any
    data_path: str
    """Where ``data`` is, for messages: ``data`` (structured mode) or the body (binary mode)."""


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The push an ECR event reports, as EventBridge sends it or wrapped in a CloudEvent."""
    body = obj(payload)
    if "specversion" in body:
        return _cloud_event(_structured(body), delivery)
    if delivery.header("ce-specversion") is not None:
        return _cloud_event(_binary(body, delivery), delivery)
    return _eventbridge(body, "", delivery)


# --- EventBridge -------------------------------------------------------------------------------------


def _eventbridge(event: dict[str, Any], path: str, delivery: Delivery) -> list[PushEvent]:
    if string(event, "detail-type", path) != IMAGE_ACTION:
        return []
    implied = None if is_overridden(delivery) else _account_host(event, path)
    return _detail(child(event, "detail", path), path_of(path, "detail"), delivery, implied)


def _account_host(event: dict[str, Any], path: str) -> str | None:
    account = optional_string(event, "account", path)
    region = optional_string(event, "region", path)
    if account is None or region is None:
        return None
    return _ecr_host(account, path_of(path, "account"), region, path_of(path, "region"))


def _detail(detail: dict[str, Any], path: str, delivery: Delivery, implied: str | None) -> list[PushEvent]:
    if string(detail, "action-type", path) != "PUSH" or string(detail, "result", path) != "SUCCESS":
        return []
    tag = optional_string(detail, "image-tag", path)
    if tag is None:
        return []
    repository = string(detail, "repository-name", path)
    digest = optional_string(detail, "image-digest", path)
    return [
        _push(
            registry_override(delivery, implied),
            (repository, path_of(path, "repository-name")),
            (tag, path_of(path, "image-tag")),
            (digest, path_of(path, "image-digest")) if digest is not None else None,
        )
    ]


def _push(registry: str, repository: _Named, tag: _Named, digest: _Named | None) -> PushEvent:
    return PushEvent(
        registry=registry,
        repository=repository_path(registry, *repository),
        tag=checked_tag(*tag),
        digest=checked_digest(*digest) if digest is not None else None,
        source=SOURCE,
    )


def _ecr_host(account: str, account_path: str, region: str, region_path: str) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com``, or ``.amazonaws.com.cn`` in the China regions."""
    if not _ACCOUNT.fullmatch(account):
        raise InvalidPayload(f"{account_path}: {account[:40]!r} is not a 12-digit AWS account ID")
    if not _REGION.fullmatch(region):
        raise InvalidPayload(f"{region_path}: {region[:40]!r} is not an AWS region such as us-west-2")
    suffix = ".cn" if region.startswith("cn-") else ""
    return f"{account}.dkr.ecr.{region}.amazonaws.com{suffix}"


# --- CloudEvents -------------------------------------------------------------------------------------


def _structured(body: dict[str, Any]) -> _CloudEvent:
    return _CloudEvent(
        type=string(body, "type"),
        source=optional_string(body, "source"),
        subject=optional_string(body, "subject"),
        data=body.get("data"),
        data_path="data",
    )


def _binary(body: dict[str, Any], delivery: Delivery) -> _CloudEvent:
    event_type = delivery.header("ce-type")
    if not event_type:
        raise InvalidPayload("header ce-type: required for a binary-mode CloudEvent")
    return _CloudEvent(
        type=event_type,
        source=delivery.header("ce-source") or None,
        subject=delivery.header("ce-subject") or None,
        data=body,
        data_path="",
    )


def _cloud_event(event: _CloudEvent, delivery: Delivery) -> list[PushEvent]:
    data, path = event.data, event.data_path
    if isinstance(data, dict) and "detail-type" in data:
        return _eventbridge(data, path, delivery)
    if isinstance(data, dict) and "action-type" in data:
        implied = None if is_overridden(delivery) else _source_host(event, None)
        return _detail(data, path, delivery, implied)
    if "push" not in event.type.lower():
        return []
    return _transformed(event, obj(data, path), delivery)


def _transformed(event: _CloudEvent, data: dict[str, Any], delivery: Delivery) -> list[PushEvent]:
    """The data of Argo CD Image Updater's documented input transformer, or its generic names."""
    path = event.data_path
    subject_repository, _, subject_tag = (event.subject or "").partition(":")
    tag = _first(data, path, "imageTag", "tag") or (subject_tag, "subject")
    if not tag[0]:
        return []
    repository = _first(data, path, "repositoryName", "repository") or (subject_repository, "subject")
    if not repository[0]:
        raise InvalidPayload(f"{path_of(path, 'repositoryName')}: required field is missing")
    digest = _first(data, path, "imageDigest", "digest")
    implied = None if is_overridden(delivery) else _named_host(data, path) or _source_host(event, data)
    return [_push(registry_override(delivery, implied), repository, tag, digest)]


def _first(data: dict[str, Any], path: str, *names: str) -> _Named | None:
    """The first of ``names`` that ``data`` has a non-empty string for, with its path."""
    for name in names:
        value = optional_string(data, name, path)
        if value is not None:
            return value, path_of(path, name)
    return None


def _named_host(data: dict[str, Any], path: str) -> str | None:
    """``registryUrl`` or ``registry``: a host, or an http(s) URL of one."""
    named = _first(data, path, "registryUrl", "registry")
    if named is None:
        return None
    value, value_path = named
    if "://" in value:
        value = host_of_url(value) or value
    return host_at(value, value_path)


def _source_host(event: _CloudEvent, data: dict[str, Any] | None) -> str | None:
    """The host a ``source`` implies: an ECR URN or ARN (``registryId`` naming the account), or a URL."""
    source = event.source
    if source is None:
        return None
    source_path = "source" if event.data_path else "header ce-source"
    match = _ECR_URN.fullmatch(source)
    if match is None:
        return host_of_url(source)
    region, account = match.groups()
    registry_id = _first(data, event.data_path, "registryId") if data is not None else None
    account, account_path = registry_id or (account, source_path)
    return _ecr_host(account, account_path, region, source_path)
