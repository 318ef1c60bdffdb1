"""The ``headwind`` command line: parse, validate, hand over.

This is the top layer. It turns argv into a value (``SandboxOptions`` for ``headwind sandbox``,
``Settings`` from the environment for ``headwind run``), rejects bad input with exit status 2 before
anything starts (argparse's usage errors; for ``run``, one line per bad variable), and calls the code
that does the work. It decides nothing else.

Each subcommand's handler imports its implementation lazily, inside the handler: ``headwind --help``
and ``headwind --version`` then answer without loading aiohttp or the Kubernetes client, and a
broken optional piece cannot stop the others from starting.

Subcommands:

* ``run``: the operator. Configured by environment variables (``headwind.model.config``), listed
  with their defaults by ``headwind run --help``; the options only say how to reach the cluster.
* ``sandbox``: a Kubernetes API emulator with sample workloads, to try Headwind without a cluster.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from headwind import __version__
from headwind.model.config import GROUPS, VARIABLES, Settings, SettingsError, load_settings

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
    _add_run_command(commands)
    _add_sandbox_command(commands)
    return parser


# --- headwind run ----------------------------------------------------------------------------------


def _add_run_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="run the operator against a cluster",
        description=textwrap.fill(
            "Run the operator: watch workloads, take image and chart events from registry webhooks "
            "and polling, and update what their policies allow. Connects with --kubeconfig, else "
            "$KUBECONFIG, else the pod's service account when in a cluster, else ~/.kube/config. "
            "Everything else is configured by the environment variables below; a bad value stops "
            "the start with exit status 2 and one line per problem.",
            width=_HELP_WIDTH,
        ),
        epilog=variables_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--kubeconfig",
        type=Path,
        default=None,
        metavar="PATH",
        help="kubeconfig file to use (default: $KUBECONFIG, else in-cluster, else ~/.kube/config)",
    )
    run.add_argument(
        "--context", default=None, metavar="NAME", help="kubeconfig context to use (default: the current one)"
    )
    run.set_defaults(handler=_run_operator)


_HELP_WIDTH = 100


def variables_help() -> str:
    """The environment variables of ``headwind run``, by group, with defaults: its ``--help`` epilog."""
    lines = ["environment variables (an empty value counts as unset):"]
    for group in GROUPS:
        lines.extend(("", f"  {group}:"))
        for variable in (v for v in VARIABLES if v.group == group):
            lines.append(f"    {variable.name}  (default: {variable.default_text})")
            lines.extend(
                textwrap.wrap(
                    variable.description, _HELP_WIDTH, initial_indent=" " * 8, subsequent_indent=" " * 8
                )
            )
    return "\n".join(lines)


def _settings(command: str) -> Settings | None:
    """The configuration from the environment, or None after printing every problem with it."""
    try:
        return load_settings(os.environ)
    except SettingsError as error:
        print(f"headwind {command}: invalid configuration:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _run_operator(args: argparse.Namespace) -> int:
    settings = _settings("run")
    if settings is None:
        return 2
    from headwind.app import runtime

    return runtime.run(settings, kubeconfig=args.kubeconfig, context=args.context)


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
        help="serve the emulator only; by default the operator runs beside it, configured by the "
        "HEADWIND_* variables (see 'headwind run --help')",
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
    if not options.operator:
        return runner.run(options)
    settings = _settings("sandbox")
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
