"""Argument types shared by the subcommands: each returns the value or raises ``ArgumentTypeError``.

argparse turns that error into a usage message naming the option, with exit status 2, which is
how every subcommand reports bad input before it starts any work.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import TypeAlias

HELP_WIDTH = 100
"""Where long help texts wrap."""

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``add_subparsers`` returns; argparse gives the type no public name."""


def port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as error:
        raise argparse.ArgumentTypeError(f"not a valid regular expression: {text!r} ({error})") from None
    return text


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value
