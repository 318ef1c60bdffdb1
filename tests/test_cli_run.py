"""``headwind run``: its help documents the configuration, and bad configuration stops it before it starts."""

from __future__ import annotations

import os
import subprocess
import sys

from headwind.model.config import VARIABLES

from .support import headwind_cli


def headwind_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``headwind run`` as a process, with none of the caller's Headwind settings in its environment."""
    names = {variable.name for variable in VARIABLES}
    clean = {k: v for k, v in os.environ.items() if k not in names and not k.startswith("HEADWIND_")}
    return headwind_cli("run", *args, env=clean | (env or {}))


def test_help_documents_every_variable_with_its_default() -> None:
    result = headwind_run("--help")

    assert result.returncode == 0, result.stderr
    for option in ("--kubeconfig", "--context"):
        assert option in result.stdout
    for variable in VARIABLES:
        assert f"{variable.name}  (default: {variable.default_text})" in result.stdout


def test_a_bad_variable_exits_2_naming_it_before_anything_starts() -> None:
    result = headwind_run(env={"HEADWIND_API_PORT": "nope"})

    assert result.returncode == 2
    assert result.stderr == (
        "headwind run: invalid configuration:\n  HEADWIND_API_PORT: 'nope' is not a port number (1-65535)\n"
    )
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_every_bad_variable_gets_its_own_line() -> None:
    result = headwind_run(env={"HEADWIND_API_PORT": "nope", "HEADWIND_LOG_LEVEL": "loud"})

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "headwind run: invalid configuration:",
        "  HEADWIND_API_PORT: 'nope' is not a port number (1-65535)",
        "  HEADWIND_LOG_LEVEL: 'loud' is not one of debug, info, warning, error",
    ]


def test_the_top_level_help_lists_run() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "headwind", "--help"], capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "run the operator" in result.stdout
