"""``headwind run``: the operator, configured by environment variables, started against a cluster.

The options say only how to reach the cluster; everything else is a ``HEADWIND_*`` variable
(``headwind.model.config``), listed with its default by ``headwind run --help``. A bad value stops the
start with exit status 2 and one line per problem, before anything connects.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

from headwind.cli.arguments import HELP_WIDTH, Subcommands
from headwind.model.config import GROUPS, VARIABLES, Settings, SettingsError, load_settings


def add_command(commands: Subcommands) -> None:
    run = commands.add_parser(
        "run",
        help="run the operator against a cluster",
        description=textwrap.fill(
            "Run the operator: watch workloads, take image and chart events from registry webhooks "
            "and polling, and update what their policies allow. Connects with --kubeconfig, else "
            "$KUBECONFIG, else the pod's service account when in a cluster, else ~/.kube/config. "
            "Everything else is configured by the environment variables below; a bad value stops "
            "the start with exit status 2 and one line per problem.",
            width=HELP_WIDTH,
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


def variables_help() -> str:
    """The environment variables of ``headwind run``, by group, with defaults: its ``--help`` epilog."""
    lines = ["environment variables (an empty value counts as unset):"]
    for group in GROUPS:
        lines.extend(("", f"  {group}:"))
        for variable in (v for v in VARIABLES if v.group == group):
            lines.append(f"    {variable.name}  (default: {variable.default_text})")
            lines.extend(
                textwrap.wrap(
                    variable.description, HELP_WIDTH, initial_indent=" " * 8, subsequent_indent=" " * 8
                )
            )
    return "\n".join(lines)


def settings_or_none(command: str) -> Settings | None:
    """The configuration from the environment, or None after printing every problem with it."""
    try:
        return load_settings(os.environ)
    except SettingsError as error:
        print(f"headwind {command}: invalid configuration:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _run_operator(args: argparse.Namespace) -> int:
    settings = settings_or_none("run")
    if settings is None:
        return 2
    from headwind.app import runtime

    return runtime.run(settings, kubeconfig=args.kubeconfig, context=args.context)
