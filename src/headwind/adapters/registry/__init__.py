"""Container registries over the OCI distribution API: tag lists and manifest digests.

The pieces, each in its own module:

- :mod:`.client` -- :class:`RegistryClient`, the one client a process uses for every image on
  every registry (one HTTP session, one token cache, one set of limits), the loop that drives
  each request to an answer, and the values it answers with: :class:`TagList` and
  :class:`ManifestInfo`. :class:`RegistrySettings` holds the timeouts, retries, budgets and page
  limits.
- :mod:`.transport` -- one HTTP exchange (timed, counted, through the registry's limits), the
  backoff with full jitter, and the registry-wide pause after a 429.
- :mod:`.authenticator` -- the per-request authentication flow: what to send up front, how to
  answer a ``401``, and fetching tokens from the token server.
- :mod:`.auth` -- ``WWW-Authenticate`` challenges (:func:`parse_challenge`), token responses and
  the :class:`TokenCache` (per registry, scope and credential fingerprint, until expiry).
- :mod:`.responses` -- reading answers: status and error details, tag list pages and their
  ``Link`` headers, manifests, digests and an index's platforms.
- :mod:`.limits` -- per-registry concurrency caps and request budgets (:class:`RegistryLimits`,
  :class:`TokenBucket`), the pause after a 429, and the registry's own limit headers.
- :mod:`.hosts` -- where a registry's API is (Docker Hub's, HTTPS or plain HTTP).
- :mod:`.calls` -- :class:`~.calls.Call`, the registry, repository, operation and credential that
  every request, metric and error of one operation names.
- :mod:`.errors` -- :class:`RegistryError`, the only exception an operation raises: it names the
  registry, the repository, the operation and a one-word reason (the metrics label).

Peers taught the shape: Headwind built a client per image and never paginated, Flux and Keel
retry a 429 at once, Argo CD's rate limit is per process. Here every request to a registry,
retries included, spends that registry's budget, and a 429 pauses that registry for its
``Retry-After``.
"""

from .auth import Challenge, TokenCache, parse_challenge
from .client import ManifestInfo, RegistryClient, RegistrySettings, TagList
from .errors import RegistryError
from .limits import RegistryLimits, TokenBucket

__all__ = [
    "Challenge",
    "ManifestInfo",
    "RegistryClient",
    "RegistryError",
    "RegistryLimits",
    "RegistrySettings",
    "TagList",
    "TokenBucket",
    "TokenCache",
    "parse_challenge",
]
