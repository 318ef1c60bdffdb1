"""Webhook payload formats: each registry's push notification read into :class:`PushEvent` values.

One module per source, each exposing ``parse(payload, context) -> list[PushEvent]``:

* ``payload`` is the decoded JSON body (any JSON value: a parser must check every type it reads);
* ``context`` (:class:`~headwind.model.webhooks.fields.Delivery`) carries the request headers and
  query parameters a format needs (GitHub's ``X-GitHub-Event``; a ``registry`` override);
* it returns the pushes the delivery reports -- an empty list for events that are valid but not
  pushes (a pull, a delete, a ping), which the server answers 202 so registries stop retrying;
* it raises :class:`~headwind.model.webhooks.fields.InvalidPayload` naming the offending field
  (``push_data.tag: expected a string, got 42``) for deliveries that claim to be pushes but cannot
  be read; the server answers 400 with that message.

Parsing is pure: no I/O, no clock, no configuration beyond the delivery itself. Authentication is
the server's job, before any parser sees a byte.
"""

from __future__ import annotations
