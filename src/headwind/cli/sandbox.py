"""``headwind sandbox``: the Kubernetes API emulator with sample workloads, and the operator beside it.

The sandbox never imports the operator (a layer contract: the emulator stands in for kube-apiserver
and shares no code with what it tests); this module, above both, hands the operator over as the
emulator's companion unless ``--no-operator`` is given.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from headwind.cli.arguments import Subcommands, port, positive_float, regex
from headwind.cli.run import settings_or_none

if TYPE_CHECKING:
    from headwind.sandbox.options import SandboxOptions


def add_command(commands: Subcommands) -> None:
    sandbox = commands.add_parser(
        "sandbox",
        help="run a Kubernetes API emulator with sample workloads (no cluster needed)",
        description=(
            "Start the sandbox: a Kubernetes API emulator that speaks the real HTTP protocol, with "
            "simulated rollouts. It writes a kubeconfig for kubectl and other clients, seeds a 'demo' "
            "namespace with annotated sample workloads, and serves until Ctrl-C or SIGTERM."
        ),
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    sandbox.add_argument(
        "--port", type=port, default=0, metavar="N", help="port to listen on; 0 picks a free one (default)"
    )
    sandbox.add_argument(
        "--kubeconfig",
        type=Path,
        default=Path(".headwind-sandbox/kubeconfig"),
        metavar="PATH",
        help="where to write the kubeconfig for the emulator (default: %(default)s)",
    )
    sandbox.add_argument(
        "--no-operator",
        action="store_true",
        help="serve the emulator only; by default the operator runs beside it, configured by the "
        "HEADWIND_* variables (see 'headwind run --help')",
    )
    sandbox.add_argument(
        "--no-seed", action="store_true", help="start empty: do not create the demo namespace and workloads"
    )
    sandbox.add_argument(
        "--unhealthy-images",
        type=regex,
        default="bad",
        metavar="RE",
        help="containers whose image tag matches this regular expression never become ready "
        "(default: %(default)s)",
    )
    sandbox.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a generated CA and require a bearer token (both go into the kubeconfig)",
    )
    sandbox.add_argument(
        "--time-scale",
        type=positive_float,
        default=1.0,
        metavar="F",
        help="multiply simulated controller durations by F: 0.01 makes a 600 s progress deadline "
        "pass in 6 s (default: %(default)s)",
    )
    sandbox.add_argument(
        "--watch-timeout",
        type=positive_float,
        default=1800.0,
        metavar="SECONDS",
        help="end watches that set no timeoutSeconds after this long, as kube-apiserver does "
        "(default: %(default)s)",
    )
    sandbox.set_defaults(handler=_run_sandbox)


def _run_sandbox(args: argparse.Namespace) -> int:
    from headwind.sandbox import runner

    options = sandbox_options(args)
    if not options.operator:
        return runner.run(options)
    settings = settings_or_none("sandbox")
    if settings is None:
        return 2
    from headwind.app import runtime

    # The sandbox never imports the operator; the CLI, above both, hands it over.
    return runner.run(options, companion=functools.partial(runtime.sandbox_operator, settings))


def sandbox_options(args: argparse.Namespace) -> SandboxOptions:
    """The ``SandboxOptions`` that parsed ``headwind sandbox`` arguments ask for."""
    from headwind.sandbox.options import SandboxOptions

    return SandboxOptions(
        host=args.host,
        port=args.port,
        kubeconfig=args.kubeconfig,
        operator=not args.no_operator,
        seed=not args.no_seed,
        unhealthy_images=args.unhealthy_images,
        tls=args.tls,
        time_scale=args.time_scale,
        watch_timeout=args.watch_timeout,
    )
