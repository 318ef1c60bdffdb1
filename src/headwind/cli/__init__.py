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
* ``policy test``: which candidate tag an update policy selects, and why the others are not.
* ``registry tags|digest``: what a registry answers the operator, with its client and credentials.

One module per subcommand (``run``, ``sandbox``, ``policy``, ``registry``), each with an ``add_command``
that declares its arguments and handler; ``arguments`` holds the argument types they share.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from headwind import __version__
from headwind.cli import policy, registry, run, sandbox
from headwind.cli.run import variables_help
from headwind.cli.sandbox import sandbox_options

__all__ = ["build_parser", "main", "sandbox_options", "variables_help"]

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
    run.add_command(commands)
    sandbox.add_command(commands)
    policy.add_command(commands)
    registry.add_command(commands)
    return parser
