"""Marking the leader's own pod, so that the webhook Service sends registry deliveries to it.

Every replica serves the webhook port, but only the leader's dispatcher acts, and a push taken by a
standby would have to be refused (``503``) -- which Docker Hub, for one, never retries. So the
leader labels its own pod ``headwind.sh/leader: "true"`` and the ``headwind-webhook`` Service selects
that label: deliveries reach the leader. A replica removes the label from its pod when it starts
(a container restarted after a crash may find its pod still labelled) and when it stops leading.

The pod is named by ``HEADWIND_IDENTITY`` (the pod name, from the downward API) in
``HEADWIND_NAMESPACE``; outside a pod (neither set) there is nothing to label. Failures are logged
and otherwise ignored: labelling helps routing, it must never stop the leader from leading.
"""

from __future__ import annotations

from urllib.parse import quote

import structlog
from kubernetes_asyncio.client import ApiClient

from .client import ApiError, merge_patch

log = structlog.get_logger(__name__)

LEADER_LABEL = "headwind.sh/leader"


async def mark_leader(api: ApiClient, namespace: str, pod: str, leading: bool) -> bool:
    """Set (or remove) the leader label on ``namespace/pod``; whether it worked."""
    body = {"metadata": {"labels": {LEADER_LABEL: "true" if leading else None}}}
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}"
    try:
        await merge_patch(api, path, body, timeout=5.0)
    except (ApiError, OSError, TimeoutError) as error:
        log.warning(
            "could not label this replica's pod; the webhook Service may route to a standby",
            kind="Pod",
            namespace=namespace,
            name=pod,
            leading=leading,
            error=str(error),
        )
        return False
    return True
