"""GitLab's container registry (``POST /webhook/gitlab``): distribution notifications, nothing else.

What GitLab can send about container images, as of GitLab 17/18:

* **Project and group webhooks cannot.** Their events are Git pushes, tag pushes, issues, merge
  requests, pipelines, jobs, deployments, releases, members and the like; none fires when an
  image is pushed to the project's container registry (``X-Gitlab-Event: Push Hook`` is a *Git*
  push). A delivery carrying ``X-Gitlab-Event`` is therefore refused with a message saying so,
  rather than answered 202 and silently ignored forever.
* **The registry itself can.** GitLab's container registry is a fork of CNCF distribution and
  sends the same notification envelope (``{"events": [...]}``, one ``push`` per blob and per
  manifest, ``pull`` for every read), configured by the instance administrator -- so on
  self-managed GitLab only; GitLab.com offers no way to point its registry at your endpoint
  (gitlab-org/gitlab#32950), so use polling there. In ``/etc/gitlab/gitlab.rb``::

      registry['notifications'] = [{
        'name' => 'headwind',
        'url' => 'https://headwind.example.com/webhook/gitlab',
        'timeout' => '2s', 'maxretries' => 5, 'backoff' => '1s',
        'headers' => { 'Authorization' => ['Bearer <token>'] },
      }]

  (for the Helm chart, ``registry.notifications`` in the values). Where the registry's own
  configuration can be edited, ``notifications.events.includereferences: true`` has Helm charts
  recognized as charts; without it they arrive as image pushes.

The envelope is parsed by :mod:`headwind.model.webhooks.registry` (same rules: tagged manifest
pushes only; host from ``request.host``, which behind GitLab's nginx is the public registry host;
``?registry=`` to override), reported with source ``gitlab``. Authentication is the static header
configured above, checked by the server like any other; there is no ``X-Gitlab-Token``.
"""

from __future__ import annotations

from typing import Final

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.fields import Delivery, InvalidPayload
from headwind.model.webhooks.registry import read_notifications

SOURCE: Final = "gitlab"


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The tagged manifest pushes a GitLab container registry notification reports."""
    event = delivery.header("X-Gitlab-Event")
    if event is not None:
        raise InvalidPayload(
            f"header X-Gitlab-Event: {event[:60]!r} is a GitLab project/group webhook, which never reports "
            "container image pushes; configure the registry's notifications (registry['notifications'] "
            "in gitlab.rb) to POST to this URL instead"
        )
    return read_notifications(payload, delivery, SOURCE)
