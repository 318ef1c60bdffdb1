"""Webhook credentials from the environment and from a mounted Secret, re-read when the Secret changes.

``HEADWIND_WEBHOOK_TOKEN`` and ``HEADWIND_WEBHOOK_HMAC_SECRET`` serve every source. A Secret mounted
as a directory (``HEADWIND_WEBHOOK_SECRETS_DIR``) can add or override them per source, one file per
value -- ``token``, ``hmac-secret``, ``<source>-token``, ``<source>-hmac-secret`` -- which is how
Kubernetes projects a Secret's keys. The kubelet swaps a mounted Secret's files when it is updated,
so the directory is looked at again at most every :data:`RECHECK_SECONDS` and re-read when any file
changed: rotating a webhook secret needs no restart.

File contents are stripped of surrounding whitespace (a trailing newline from ``echo`` or an editor
is not part of a token). A missing directory is logged once and treated as empty -- but with
``HEADWIND_WEBHOOK_REQUIRE_AUTH=auto`` a configured directory always requires authentication, so a
Secret that is not mounted yet closes the endpoints rather than opening them.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import structlog

from headwind.model.webhook_auth import Credentials, WebhookAuth

log = structlog.get_logger(__name__)

RECHECK_SECONDS = 10.0
_TOKEN, _SECRET = "token", "hmac-secret"


class WebhookSecrets:
    """The current :class:`WebhookAuth`; call :meth:`current` per request (cheap between re-checks)."""

    def __init__(
        self,
        *,
        token: str | None,
        hmac_secret: str | None,
        directory: str | None,
        require: bool | None,
        sources: Iterable[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._env = Credentials(token or None, hmac_secret or None)
        self._directory = Path(directory) if directory else None
        self._require = require
        self._sources = tuple(sources)
        self._clock = clock
        self._checked_at = float("-inf")
        self._stamp: tuple[tuple[str, float], ...] | None = None
        self._auth = self._build({})
        self._warned_missing = False

    def current(self) -> WebhookAuth:
        if self._directory is not None and self._clock() - self._checked_at >= RECHECK_SECONDS:
            self._checked_at = self._clock()
            stamp = self._stamp_of(self._directory)
            if stamp != self._stamp:
                self._stamp = stamp
                self._auth = self._build(self._read(self._directory))
        return self._auth

    def _stamp_of(self, directory: Path) -> tuple[tuple[str, float], ...]:
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            return ()
        # Kubernetes swaps a ..data symlink; its target's mtime changes with every update. An
        # entry may vanish between listing and stat while it does.
        stamp = []
        for entry in entries:
            try:
                stamp.append((entry.name, entry.stat().st_mtime))
            except OSError:
                stamp.append((entry.name, -1.0))
        return tuple(stamp)

    def _read(self, directory: Path) -> dict[str, str]:
        if not directory.is_dir():
            if not self._warned_missing:
                log.warning(
                    "webhook secrets directory is missing; using the environment only", path=str(directory)
                )
                self._warned_missing = True
            return {}
        values = {}
        for name in (_TOKEN, _SECRET, *(f"{s}-{kind}" for s in self._sources for kind in (_TOKEN, _SECRET))):
            path = directory / name
            try:
                text = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                continue
            if text:
                values[name] = text
        log.info("webhook credentials read", path=str(directory), files=sorted(values))
        return values

    def _build(self, files: dict[str, str]) -> WebhookAuth:
        shared = Credentials(files.get(_TOKEN) or self._env.token, files.get(_SECRET) or self._env.secret)
        per_source = {
            source: Credentials(files.get(f"{source}-{_TOKEN}"), files.get(f"{source}-{_SECRET}"))
            for source in self._sources
        }
        auth = WebhookAuth(shared, per_source)
        # A configured directory means credentials are intended: a Secret not mounted yet, or keys
        # renamed, must not open the endpoints.
        intended = auth.configured or self._directory is not None
        return dataclasses.replace(auth, required=intended if self._require is None else self._require)
