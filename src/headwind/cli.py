"""The ``headwind`` command line: parse, validate, hand over.

This is the top layer. It turns argv into a value (``SandboxOptions`` for ``headwind sandbox``),
rejects bad input the way argparse does (usage and exit status 2), and calls the code that does the
work. It decides nothing else.

Each subcommand's handler imports its implementation lazily, inside the handler: ``headwind --help``
and ``headwind --version`` then answer without loading aiohttp or the Kubernetes client, and a
broken optional piece cannot stop the others from starting.

Subcommands today: ``sandbox``. The operator itself (``headwind run``) is still to come.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from headwind import __version__

if TYPE_CHECKING:
    from headwind.sandbox.options import SandboxOptions

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="headwind",
        description="Keep Kubernetes workloads and Helm releases up to date with new images and charts.",
        epilog="Run 'headwind COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_sandbox_command(commands)
    return parser


# --- headwind sandbox ------------------------------------------------------------------------------


def _add_sandbox_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        "--port", type=_port, default=0, metavar="N", help="port to listen on; 0 picks a free one (default)"
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
        help="serve the emulator only, without the operator (for now the only mode)",
    )
    sandbox.add_argument(
        "--no-seed", action="store_true", help="start empty: do not create the demo namespace and workloads"
    )
    sandbox.add_argument(
        "--unhealthy-images",
        type=_regex,
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
        type=_positive_float,
        default=1.0,
        metavar="F",
        help="multiply simulated controller durations by F: 0.01 makes a 600 s progress deadline "
        "pass in 6 s (default: %(default)s)",
    )
    sandbox.add_argument(
        "--watch-timeout",
        type=_positive_float,
        default=1800.0,
        metavar="SECONDS",
        help="end watches that set no timeoutSeconds after this long, as kube-apiserver does "
        "(default: %(default)s)",
    )
    sandbox.set_defaults(handler=_run_sandbox)


def _run_sandbox(args: argparse.Namespace) -> int:
    from headwind.sandbox import runner

    options = sandbox_options(args)
    if not args.no_operator:
        print("headwind sandbox: operator not yet available; serving the emulator only", file=sys.stderr)
    return runner.run(options)


def sandbox_options(args: argparse.Namespace) -> SandboxOptions:
    """The ``SandboxOptions`` that parsed ``headwind sandbox`` arguments ask for."""
    from headwind.sandbox.options import SandboxOptions

    return SandboxOptions(
        host=args.host,
        port=args.port,
        kubeconfig=args.kubeconfig,
        # The operator does not exist yet, so the emulator is always served alone.
        operator=False,
        seed=not args.no_seed,
        unhealthy_images=args.unhealthy_images,
        tls=args.tls,
        time_scale=args.time_scale,
        watch_timeout=args.watch_timeout,
    )


# --- argument types: each returns the value or raises ArgumentTypeError (usage, exit status 2) -----


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as error:
        raise argparse.ArgumentTypeError(f"not a valid regular expression: {text!r} ({error})") from None
    return text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value
