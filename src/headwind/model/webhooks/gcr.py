"""Google Artifact Registry and Container Registry (``POST /webhook/gcr``): Pub/Sub push deliveries.

Artifact Registry (and Container Registry before it) publishes a message to the ``gcr`` Pub/Sub
topic of the project for every image upload, new tag and deletion. A *push* subscription POSTs it
here wrapped in Pub/Sub's envelope::

    {"message": {"data": "<base64 JSON>", "attributes": {...}, "messageId": "...",
                 "publishTime": "..."}, "subscription": "projects/<p>/subscriptions/<s>"}

and ``data`` decodes to ``{"action": "INSERT", "digest": "<host>/<path>@sha256:...", "tag":
"<host>/<path>:<tag>"}`` -- whole image references, with the registry host (``us-east1-docker.pkg.dev``,
``gcr.io``) in them. A subscription with *payload unwrapping* enabled POSTs that JSON as the body
itself; both are accepted. (Keel pulls the same messages itself; Flux's ``gcr`` receiver takes the
push form.)

* ``INSERT`` with a ``tag``: a push of that tag, at the ``digest`` when given.
* ``INSERT`` without a tag (an image pushed by digest, such as one platform of a multi-arch image)
  and ``DELETE``: not tag pushes, ignored.
* ``data`` that is not base64, UTF-8 and JSON: refused naming ``message.data``.

Helm charts stored in Artifact Registry as OCI artifacts send the same message, which does not say
"chart"; they are reported as image pushes. ``?registry=`` replaces the host of the references (a
custom domain), keeping their paths. Verifying the push subscription's OIDC token is the server's
job, as for every other source's authentication.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Final

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.fields import (
    Delivery,
    InvalidPayload,
    child,
    obj,
    optional_string,
    path_of,
    string,
)
from headwind.model.webhooks.references import located, reference_at

SOURCE: Final = "gcr"
_DATA: Final = "message.data"
_URL_SAFE: Final = str.maketrans("-_", "+/")


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The tag push an Artifact Registry notification reports, wrapped in Pub/Sub's envelope or not."""
    body = obj(payload)
    if "message" in body:
        return _notification(obj(_decoded(child(body, "message")), _DATA), _DATA, delivery)
    return _notification(body, "", delivery)


def _decoded(message: dict[str, Any]) -> Any:
    """``message.data``: base64 (standard or URL-safe alphabet) of UTF-8 JSON."""
    data = string(message, "data", "message")
    try:
        raw = base64.b64decode(data.translate(_URL_SAFE) + "=" * (-len(data) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPayload(f"{_DATA}: not base64") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidPayload(f"{_DATA}: the decoded message is not UTF-8 text") from None
    except RecursionError:
        raise InvalidPayload(f"{_DATA}: the decoded message is nested too deeply") from None
    except ValueError as error:
        raise InvalidPayload(f"{_DATA}: the decoded message is not JSON: {error}") from None


def _notification(notice: dict[str, Any], path: str, delivery: Delivery) -> list[PushEvent]:
    if string(notice, "action", path) != "INSERT":
        return []
    tag_text = optional_string(notice, "tag", path)
    if tag_text is None:
        return []
    tag_path = path_of(path, "tag")
    tagged = reference_at(tag_text, tag_path)
    if tagged.tag is None:
        raise InvalidPayload(f"{tag_path}: {tag_text[:80]!r} names no tag")
    registry, repository = located(tagged, delivery)
    return [
        PushEvent(
            registry=registry,
            repository=repository,
            tag=tagged.tag,
            digest=_digest(notice, path, tagged.repository),
            source=SOURCE,
        )
    ]


def _digest(notice: dict[str, Any], path: str, repository: str) -> str | None:
    """The digest in ``digest``, a ``<repository>@sha256:...`` reference to the tag's repository."""
    text = optional_string(notice, "digest", path)
    if text is None:
        return None
    digest_path = path_of(path, "digest")
    pinned = reference_at(text, digest_path)
    if pinned.digest is None:
        raise InvalidPayload(f"{digest_path}: {text[:80]!r} names no digest")
    if pinned.repository != repository:
        raise InvalidPayload(f"{digest_path}: {text[:80]!r} names another repository than the tag")
    return pinned.digest
