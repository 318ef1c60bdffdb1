"""``headwind policy test``: what a policy would choose, before a workload is annotated with it.

The options are the annotations' (``--policy`` is ``headwind.sh/policy``, ``--pattern`` is
``headwind.sh/pattern``…) and go through the same :func:`~headwind.model.policy.build_policy` and
:func:`~headwind.model.selection.select` the operator uses, so the answer is the operator's answer.
Output is one line per candidate (tag, verdict, reason) and, last, exactly ``selected: <tag>`` or
``selected: none``, for scripts. Bad input exits 2 with a message; a selection of none exits 0.
With ``--image`` the candidates come from the registry, fetched as the poller fetches them (the
same client, credentials and early filtering); a registry refusal exits 1.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from headwind.cli.arguments import HELP_WIDTH, Subcommands
from headwind.cli.registry import Access, access_of, add_access_arguments, credential_of, with_registry
from headwind.model.image import is_valid_digest, is_valid_tag
from headwind.model.policy import InvalidPolicy, Policy, PolicyKind, build_policy
from headwind.model.selection import Candidate, Selection, could_choose, select

if TYPE_CHECKING:
    from headwind.adapters.registry.client import RegistryClient

_OPTIONS = {
    "policy": "--policy",
    "pattern": "--pattern",
    "semver-range": "--semver-range",
    "extract": "--extract",
    "order": "--order",
    "ignore-tags": "--ignore-tags",
    "prerelease": "--prerelease",
}


def add_command(commands: Subcommands) -> None:
    policy = commands.add_parser(
        "policy",
        help="try update policies without a cluster",
        description="Try update policies without a cluster.",
    )
    actions = policy.add_subparsers(title="commands", metavar="COMMAND")
    test = actions.add_parser(
        "test",
        help="show which candidate tag a policy selects, and why each other one is not",
        description=textwrap.fill(
            "Judge candidate tags against the current tag as the operator would for a container "
            "annotated with these options (headwind.sh/policy, headwind.sh/pattern, ...). Prints one "
            "line per candidate with its verdict and reason, then 'selected: TAG' or 'selected: none'. "
            "Give digests as TAG@sha256:... for the digest policy.",
            width=HELP_WIDTH,
        ),
    )
    kinds = ", ".join(kind.value for kind in PolicyKind)
    test.add_argument("--policy", required=True, metavar="P", help=f"the policy: {kinds}")
    test.add_argument(
        "--pattern", metavar="X", help="glob (glob policy) or regular expression (regexp policy)"
    )
    test.add_argument(
        "--semver-range", metavar="R", help="constraint for the semver policy, such as '>=1.2 <2' or '^1.2'"
    )
    test.add_argument(
        "--extract", metavar="G", help="regexp policy: the capture group whose value is ordered"
    )
    test.add_argument(
        "--order", metavar="O", help="regexp policy: semver (default), numerical or alphabetical"
    )
    test.add_argument("--ignore-tags", metavar="G", help="comma-separated globs of tags never selected")
    test.add_argument(
        "--prerelease", action="store_true", help="allow pre-releases even when the current tag is a release"
    )
    test.add_argument(
        "--current",
        metavar="TAG",
        help="the tag the container runs (TAG or TAG@DIGEST; default with --image: the image's tag)",
    )
    test.add_argument(
        "--image",
        metavar="REF",
        help="take the candidates from this image's repository, as the poller would",
    )
    test.add_argument("candidates", nargs="*", metavar="CANDIDATE", help="candidate tags (TAG or TAG@DIGEST)")
    add_access_arguments(test)
    test.set_defaults(handler=_test)
    policy.set_defaults(handler=lambda args: _usage(policy))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


@dataclass(frozen=True, slots=True)
class _Tagged:
    tag: str | None
    digest: str | None


def _test(args: argparse.Namespace) -> int:
    problems: list[str] = []
    policy = _policy(args, problems)
    access = _access(args, problems)
    current = _current(args, access, problems)
    candidates = [_tagged(text, "candidate", problems, tag_required=True) for text in args.candidates]
    if not candidates and access is None:
        problems.append("no candidates: give CANDIDATE tags, or --image to take them from the registry")
    if problems or policy is None:
        print("headwind policy test: invalid input:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    given: dict[str, str] = {}
    for candidate, text in zip(candidates, args.candidates, strict=True):
        given.setdefault(candidate.tag or "", text)
    if access is not None:
        found = with_registry("policy test", lambda client: _from_registry(client, access, policy, current))
        if isinstance(found, int):
            return found
        candidates.extend(found)
    selection = select(
        policy,
        current.tag,
        [Candidate(c.tag or "", c.digest) for c in candidates],
        current_digest=current.digest,
    )
    print(report(selection, given))
    return 0


def _access(args: argparse.Namespace, problems: list[str]) -> Access | None:
    if args.image is None:
        if args.namespace or args.pull_secret:
            problems.append(
                "--namespace and --pull-secret choose credentials for --image, which is not given"
            )
        return None
    try:
        return access_of(args, args.image)
    except ValueError as error:  # InvalidReference included
        problems.append(f"--image: {error}")
        return None


def _current(args: argparse.Namespace, access: Access | None, problems: list[str]) -> _Tagged:
    if args.current is not None:
        return _tagged(args.current, "--current", problems, tag_required=False)
    if access is None:
        problems.append("--current is required unless --image names the running image")
        return _Tagged(None, None)
    return _Tagged(access.ref.effective_tag or None, access.ref.digest)


async def _from_registry(
    client: RegistryClient, access: Access, policy: Policy, current: _Tagged
) -> list[_Tagged]:
    """The candidates the poller would fetch for this policy: matching tags, or the digest of the tag."""
    credential = await credential_of(access)
    ref = access.ref
    if policy.kind is not PolicyKind.DIGEST:
        listing = await client.tags(
            ref.registry, ref.path, credential, keep=could_choose(policy, current.tag)
        )
        return [_Tagged(tag, None) for tag in listing.tags]
    if current.tag is None:
        return []
    manifest = await client.manifest(ref.registry, ref.path, current.tag, credential)
    return [_Tagged(current.tag, manifest.digest)]


def report(selection: Selection, given: Mapping[str, str]) -> str:
    """One aligned line per candidate, spelled as ``given`` (tag to text), then the ``selected:`` line."""

    def spelled(tag: str) -> str:
        return given.get(tag, tag)

    width = max((len(spelled(verdict.tag)) for verdict in selection.verdicts), default=0)
    lines = [
        f"{spelled(v.tag):<{width}}  {'selected' if v.chosen else 'rejected'}  {v.reason}"
        for v in selection.verdicts
    ]
    target = selection.target
    chosen = "none" if target is None else target.tag + (f"@{target.digest}" if target.digest else "")
    lines.append(f"selected: {chosen}")
    return "\n".join(lines)


def _policy(args: argparse.Namespace, problems: list[str]) -> Policy | None:
    values = {name: getattr(args, name.replace("-", "_")) for name in _OPTIONS}
    values["prerelease"] = "true" if args.prerelease else ""
    try:
        return build_policy(
            {name: value for name, value in values.items() if value}, label=_OPTIONS.__getitem__
        )
    except InvalidPolicy as error:
        problems.extend(error.problems)
        return None


def _tagged(text: str, what: str, problems: list[str], *, tag_required: bool) -> _Tagged:
    """``TAG``, ``TAG@DIGEST`` (or, for ``--current``, ``@DIGEST``) checked against the OCI grammar."""
    tag, _, digest = text.partition("@")
    if tag and not is_valid_tag(tag):
        problems.append(
            f"{what} {text!r}: {tag!r} is not a valid tag (up to 128 letters, digits, '_', '.', '-'; "
            "not starting with '.' or '-')"
        )
    elif not tag and tag_required:
        problems.append(f"{what} {text!r}: the tag is missing")
    if digest and not is_valid_digest(digest):
        problems.append(f"{what} {text!r}: {digest!r} is not a valid digest (sha256: and 64 hex digits)")
    elif "@" in text and not digest:
        problems.append(f"{what} {text!r}: the digest after '@' is missing")
    return _Tagged(tag or None, digest or None)
