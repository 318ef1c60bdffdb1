"""What ``headwind sandbox`` was asked to do: the emulator's command-line options as one value.

The CLI (``headwind.cli``) parses and validates the command line and hands a ``SandboxOptions`` to
``headwind.sandbox.runner.run``; tests and fixtures build one directly. It lives in the sandbox
package, not in the CLI, so that the sandbox stays self-contained (it imports nothing of the operator)
while the CLI, the top layer, may import it. The defaults here are the CLI's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_KUBECONFIG = Path(".headwind-sandbox/kubeconfig")
DEFAULT_UNHEALTHY_IMAGES = "bad"
DEFAULT_WATCH_TIMEOUT = 1800.0


@dataclass(frozen=True, kw_only=True)
class SandboxOptions:
    """Options for one sandbox run.

    host, port:        where the emulator listens; port 0 picks a free one.
    kubeconfig:        where to write a kubeconfig that points at the emulator.
    operator:          also run the operator in the same process, against the emulator.
    seed:              create the ``demo`` namespace with a few annotated sample workloads.
    unhealthy_images:  a regular expression; a container whose image tag matches it never becomes
                       ready in the simulated rollouts (the health oracle's default rule).
    tls:               serve HTTPS with a freshly generated CA, and require a bearer token.
    time_scale:        the factor simulated controller durations (e.g. progressDeadlineSeconds) are
                       multiplied by in real time: 0.01 makes a 600 s deadline pass in 6 s.
    watch_timeout:     seconds after which the server ends a watch that did not ask for its own
                       ``timeoutSeconds``, as kube-apiserver does.
    """

    host: str = DEFAULT_HOST
    port: int = 0
    kubeconfig: Path = DEFAULT_KUBECONFIG
    operator: bool = True
    seed: bool = True
    unhealthy_images: str = DEFAULT_UNHEALTHY_IMAGES
    tls: bool = False
    time_scale: float = 1.0
    watch_timeout: float = DEFAULT_WATCH_TIMEOUT
