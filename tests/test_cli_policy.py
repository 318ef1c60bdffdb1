"""``headwind policy test``: a verdict per candidate, then exactly ``selected: TAG`` or ``selected: none``."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwind import cli
from tests.support import headwind_cli

DIGEST = "sha256:" + "e" * 64
RUNNING = "sha256:" + "f" * 64


def policy_test(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = cli.main(["policy", "test", *args])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_prints_a_verdict_per_candidate_and_the_selection_last(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, err = policy_test(
        capsys, "--policy", "minor", "--current", "1.25.3", "1.25.4", "1.26.0", "2.0.0"
    )

    assert status == 0
    assert err == ""
    assert lines == [
        "1.25.4  rejected  acceptable, but 1.26.0 ranks higher",
        "1.26.0  selected  the newest update from 1.25.3 that policy minor allows",
        "2.0.0   rejected  a major update; policy minor stays within 1.x",
        "selected: 1.26.0",
    ]


def test_selecting_nothing_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, _ = policy_test(
        capsys, "--policy", "patch", "--current", "1.25.3-alpine", "1.25.4", "latest"
    )

    assert status == 0
    assert lines[-1] == "selected: none"
    assert "no variant; the current tag has variant 'alpine'" in lines[0]
    assert "not a version" in lines[1]


@pytest.mark.parametrize(
    ("options", "current", "candidates", "selected"),
    [
        (["--policy", "glob", "--pattern", "1.*-alpine"], "1.2-alpine", ["1.3-alpine", "1.3"], "1.3-alpine"),
        (["--policy", "semver", "--semver-range", ">=1.2 <2"], "1.2.0", ["1.9.0", "2.0.0"], "1.9.0"),
        (
            [
                "--policy",
                "regexp",
                "--pattern",
                r"^main-(?P<ts>\d+)$",
                "--extract",
                "ts",
                "--order",
                "numerical",
            ],
            "main-9",
            ["main-10", "main-8"],
            "main-10",
        ),
        (["--policy", "minor", "--ignore-tags", "1.3.*"], "1.2.0", ["1.3.0", "1.2.5"], "1.2.5"),
        (["--policy", "minor", "--prerelease"], "1.2.0", ["1.3.0-rc.1"], "1.3.0-rc.1"),
        (["--policy", "force"], "2.0", ["1.0"], "1.0"),
        (["--policy", "digest"], f"latest@{RUNNING}", [f"latest@{DIGEST}"], f"latest@{DIGEST}"),
    ],
)
def test_every_policy_option_reaches_the_selection(
    capsys: pytest.CaptureFixture[str], options: list[str], current: str, candidates: list[str], selected: str
) -> None:
    status, lines, _ = policy_test(capsys, *options, "--current", current, *candidates)

    assert status == 0
    assert lines[-1] == f"selected: {selected}"
    assert len(lines) == len(candidates) + 1


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--policy", "sometimes", "--current", "1.0", "1.1"], "--policy: unknown policy 'sometimes'"),
        (["--policy", "glob", "--current", "1.0", "1.1"], "--pattern: the glob policy needs a pattern"),
        (["--policy", "semver", "--semver-range", "=>1", "--current", "1.0", "1.1"], "--semver-range:"),
        (
            ["--policy", "regexp", "--pattern", "(", "--current", "1.0", "1.1"],
            "--pattern: not a valid regular",
        ),
        (
            ["--policy", "minor", "--current", "1.0", "bad tag"],
            "candidate 'bad tag': 'bad tag' is not a valid tag",
        ),
        (["--policy", "minor", "--current", "-1.0", "1.1"], "--current '-1.0': '-1.0' is not a valid tag"),
        (["--policy", "digest", "--current", "1.0@sha256:12", "1.1"], "'sha256:12' is not a valid digest"),
        (["--policy", "digest", "--current", "1.0", "@" + DIGEST], "the tag is missing"),
    ],
)
def test_invalid_input_exits_2_saying_what_is_wrong(
    capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    status, lines, err = policy_test(capsys, *args)

    assert status == 2
    assert lines == []
    assert err.startswith("headwind policy test: invalid input:\n")
    assert complaint in err


def test_every_problem_is_reported_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = policy_test(capsys, "--policy", "glob", "--current", "x y", "1.0", "a b")

    assert status == 2
    assert len(err.splitlines()) == 4


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--policy", "minor", "--current", "1.0"], "no candidates: give CANDIDATE tags, or --image"),
        (["--policy", "minor", "1.1"], "--current is required unless --image names the running image"),
        (
            ["--policy", "minor", "--current", "1.0", "--namespace", "x", "1.1"],
            "--namespace and --pull-secret",
        ),
        (["--policy", "minor", "--image", "Bad:ref", "1.1"], "--image: invalid image reference 'Bad:ref'"),
        (["--policy", "minor", "--image", "app:1", "--pull-secret", "s"], "--pull-secret needs --namespace"),
    ],
)
def test_missing_or_conflicting_arguments_exit_2(args: list[str], complaint: str) -> None:
    result = headwind_cli("policy", "test", *args)

    assert result.returncode == 2
    assert complaint in result.stderr


def test_runs_as_a_command() -> None:
    result = headwind_cli("policy", "test", "--policy", "Patch", "--current", "v1.2.3", "v1.2.4", "v1.3.0")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "selected: v1.2.4"


def test_policy_without_an_action_prints_help_and_exits_2() -> None:
    result = headwind_cli("policy")

    assert result.returncode == 2
    assert "test" in result.stderr


def test_the_readme_example_is_what_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = readme.split("```console\n$ headwind policy test ", 1)[1].split("```", 1)[0]
    command, *expected = example.rstrip("\n").splitlines()

    status, lines, _ = policy_test(capsys, *command.split())

    assert status == 0
    assert lines == expected
