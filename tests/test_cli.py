"""The ``headwind`` command line, driven the way a user drives it: as a process."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import headwind
from headwind import cli

from .support import headwind_cli


def test_version_prints_the_program_name_and_the_package_version() -> None:
    result = headwind_cli("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"headwind {headwind.__version__}\n"
    assert headwind.__version__ == "0.1.0"


def test_help_lists_the_subcommands() -> None:
    result = headwind_cli("--help")

    assert result.returncode == 0, result.stderr
    assert "sandbox" in result.stdout


def test_no_subcommand_prints_the_help_and_exits_2() -> None:
    result = headwind_cli()

    assert result.returncode == 2
    assert "sandbox" in result.stderr


def test_sandbox_help_lists_every_option() -> None:
    result = headwind_cli("sandbox", "--help")

    assert result.returncode == 0, result.stderr
    for option in (
        "--port",
        "--host",
        "--kubeconfig",
        "--no-operator",
        "--no-seed",
        "--unhealthy-images",
        "--tls",
        "--time-scale",
        "--watch-timeout",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--unhealthy-images", "(", "not a valid regular expression"),
        ("--port", "http", "not a port number"),
        ("--port", "65536", "between 0 and 65535"),
        ("--time-scale", "0", "positive"),
        ("--time-scale", "nan", "positive"),
        ("--watch-timeout", "-1", "positive"),
    ],
)
def test_an_invalid_sandbox_option_is_a_usage_error_naming_the_option(
    option: str, value: str, complaint: str
) -> None:
    result = headwind_cli("sandbox", option, value)

    assert result.returncode == 2
    assert f"argument {option}:" in result.stderr
    assert complaint in result.stderr


def test_importing_the_cli_loads_neither_the_sandbox_nor_aiohttp() -> None:
    # `headwind --help` must stay fast: implementations are imported inside the handlers.
    probe = (
        "import sys, headwind.cli\n"
        "print(sorted(m for m in sys.modules if m in {'aiohttp', 'kubernetes_asyncio', 'headwind.sandbox'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_sandbox_defaults_are_the_sandbox_options_defaults() -> None:
    from headwind.sandbox.options import SandboxOptions

    options = cli.sandbox_options(cli.build_parser().parse_args(["sandbox", "--no-operator"]))

    assert options == SandboxOptions(operator=False)


def test_sandbox_options_carry_every_flag() -> None:
    from headwind.sandbox.options import SandboxOptions

    args = cli.build_parser().parse_args(
        [
            "sandbox",
            "--host=0.0.0.0",
            "--port=8443",
            "--kubeconfig=/tmp/k/config",
            "--no-operator",
            "--no-seed",
            "--unhealthy-images=^broken-",
            "--tls",
            "--time-scale=0.01",
            "--watch-timeout=5",
        ]
    )

    assert cli.sandbox_options(args) == SandboxOptions(
        host="0.0.0.0",
        port=8443,
        kubeconfig=Path("/tmp/k/config"),
        operator=False,
        seed=False,
        unhealthy_images="^broken-",
        tls=True,
        time_scale=0.01,
        watch_timeout=5.0,
    )


@pytest.fixture
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replace ``headwind.sandbox.runner`` with a recorder of the options it is run with."""
    import headwind.sandbox

    calls: list[Any] = []

    def run(options: Any, companion: Any = None) -> int:
        calls.append((options, companion))
        return 0

    runner = types.ModuleType("headwind.sandbox.runner")
    runner.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "headwind.sandbox.runner", runner)
    monkeypatch.setattr(headwind.sandbox, "runner", runner, raising=False)
    return calls


def test_sandbox_runs_the_operator_beside_the_emulator_by_default(
    fake_runner: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["sandbox", "--port", "0"])

    assert status == 0
    [(options, companion)] = fake_runner
    assert options.operator is True
    assert companion.func.__name__ == "sandbox_operator"
    assert capsys.readouterr().err == ""


def test_sandbox_with_a_bad_variable_exits_2_before_starting(
    fake_runner: list[Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWIND_WORKERS", "many")
    status = cli.main(["sandbox"])

    assert status == 2
    assert fake_runner == []
    assert "HEADWIND_WORKERS" in capsys.readouterr().err


def test_sandbox_with_no_operator_runs_the_emulator_without_a_notice(
    fake_runner: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["sandbox", "--no-operator"])

    assert status == 0
    [(options, companion)] = fake_runner
    assert options.operator is False
    assert companion is None
    assert capsys.readouterr().err == ""
