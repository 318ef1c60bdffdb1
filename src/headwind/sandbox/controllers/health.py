"""Whether a container image would start: the sandbox's stand-in for registries and kubelets.

The simulated cluster pulls no images, yet an operator with automatic rollback must see rollouts go
bad. So one oracle decides, from the image reference alone, what a container of that image does: run
and become ready (verdict ``None``) or get stuck with a kubelet waiting reason. The default rule
reads the *tag*, not the whole reference, so ``registry.local:5000/bad-team/app:1.2`` stays healthy
while ``app:1.2-bad`` does not; tests override single images exactly (``set``).

Reasons the pod simulation knows (see ``podstatus.py``): ``ImagePullBackOff`` and ``ErrImagePull``
(the pod stays ``Pending``), ``CrashLoopBackOff`` (``Running``, restarting, never ready); any other
reason is shown as a generic waiting container.

Changing a verdict tells subscribers (the pod-owning controllers), which re-evaluate their pods, as a
kubelet eventually succeeds once a missing image is pushed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"


def image_tag(image: str) -> str:
    """The tag of an image reference; ``latest`` when it has none (a digest is not a tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


class HealthOracle:
    """Decides whether a container of an image becomes ready, and if not, why."""

    def __init__(self, unhealthy: str = "bad") -> None:
        self._unhealthy = re.compile(unhealthy)
        self._overrides: dict[str, str | None] = {}
        self._subscribers: list[Callable[[], None]] = []

    def verdict(self, image: str) -> str | None:
        """``None`` when the image runs and becomes ready, otherwise the container's waiting reason."""
        if image in self._overrides:
            return self._overrides[image]
        return IMAGE_PULL_BACK_OFF if self._unhealthy.search(image_tag(image)) else None

    def set(self, image: str, reason: str | None) -> None:
        """Override the verdict for one exact image reference (``None`` forces it healthy)."""
        self._overrides[image] = reason
        self._changed()

    def clear(self) -> None:
        """Forget every override; the tag rule applies again."""
        self._overrides.clear()
        self._changed()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Be called after every change of a verdict."""
        self._subscribers.append(callback)

    def _changed(self) -> None:
        for callback in self._subscribers:
            callback()
