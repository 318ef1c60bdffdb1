"""``headwind registry tags|digest REF``: ask a registry what the operator would ask, as it would.

For users debugging access: the same registry client (limits, retries, token flow) and, with
``--namespace``, the same credential lookup as the poller -- the pod spec's pull secrets named by
``--pull-secret``, else those of ``--service-account`` -- read through the kubeconfig. Without
``--namespace`` the registry is asked anonymously. ``HEADWIND_REGISTRY_*`` variables apply as they do
to ``headwind run``.

Exit status: 0 with the answer on stdout; 1 when the registry or the cluster refused (the reason on
stderr: registry, repository and what went wrong); 2 for invalid input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from headwind.cli.arguments import Subcommands
from headwind.cli.run import settings_or_none
from headwind.model.credentials import Credential
from headwind.model.image import ImageRef, parse_image

if TYPE_CHECKING:
    from headwind.adapters.registry.client import RegistryClient

T = TypeVar("T")


class CommandError(Exception):
    """A refusal to report on stderr with exit status 1 (the registry's or the cluster's)."""


@dataclass(frozen=True, slots=True)
class Access:
    """How to reach one registry: the image, and where its credentials come from."""

    ref: ImageRef
    namespace: str | None
    pull_secrets: tuple[str, ...]
    service_account: str
    kubeconfig: Path | None
    context: str | None


def add_command(commands: Subcommands) -> None:
    registry = commands.add_parser(
        "registry",
        help="ask a registry for tags and digests, with the operator's client and credentials",
        description="Ask a registry for tags and digests as the operator would.",
    )
    actions = registry.add_subparsers(title="commands", metavar="COMMAND")
    tags = actions.add_parser("tags", help="list the tags of an image's repository, one per line")
    tags.add_argument(
        "image", metavar="REF", help="an image reference, e.g. ghcr.io/team/app (a tag is ignored)"
    )
    add_access_arguments(tags)
    tags.set_defaults(handler=_tags)
    digest = actions.add_parser("digest", help="print the digest an image reference resolves to")
    digest.add_argument(
        "image", metavar="REF", help="an image reference, e.g. nginx:1.25 (default tag: latest)"
    )
    digest.add_argument(
        "--platforms", action="store_true", help="for a multi-arch image, also print each platform's digest"
    )
    add_access_arguments(digest)
    digest.set_defaults(handler=_digest)
    registry.set_defaults(handler=lambda args: _usage(registry))


def add_access_arguments(parser: argparse.ArgumentParser) -> None:
    """The credential options shared by every command that talks to a registry."""
    group = parser.add_argument_group("credentials (default: anonymous)")
    group.add_argument(
        "--namespace", metavar="NS", help="use the pull secrets of this namespace, as the operator does"
    )
    group.add_argument(
        "--pull-secret",
        action="append",
        default=[],
        metavar="NAME",
        help="a pod spec imagePullSecret to try, in order (repeatable; needs --namespace)",
    )
    group.add_argument(
        "--service-account",
        default="default",
        metavar="NAME",
        help="whose imagePullSecrets to use when no --pull-secret is given (default: %(default)s)",
    )
    group.add_argument("--kubeconfig", type=Path, metavar="PATH", help="kubeconfig for reading secrets")
    group.add_argument("--context", metavar="NAME", help="kubeconfig context for reading secrets")


def access_of(args: argparse.Namespace, image: str) -> Access:
    """The access the options ask for; ``ValueError`` (``InvalidReference`` among them) for bad input."""
    ref = parse_image(image)
    if args.pull_secret and not args.namespace:
        raise ValueError("--pull-secret needs --namespace: secrets are read from a namespace")
    return Access(
        ref, args.namespace, tuple(args.pull_secret), args.service_account, args.kubeconfig, args.context
    )


async def credential_of(access: Access) -> Credential | None:
    """The credential the operator would use for ``access``; anonymous without a namespace."""
    if access.namespace is None:
        return None
    import aiohttp

    from headwind.adapters.kube.client import ApiError, KubeConnectError, connect
    from headwind.adapters.kube.pullsecrets import PullSecrets

    try:
        api = await connect(access.kubeconfig, access.context)
    except KubeConnectError as error:
        raise CommandError(f"cannot connect to Kubernetes to read pull secrets: {error}") from None
    try:
        return await PullSecrets(api, ttl=0).credential(
            access.namespace,
            access.ref.registry,
            secret_names=access.pull_secrets,
            service_account=access.service_account,
            path=access.ref.path,
        )
    except (ApiError, aiohttp.ClientError, OSError, TimeoutError) as error:
        raise CommandError(f"cannot read pull secrets in namespace {access.namespace}: {error}") from None
    finally:
        await api.close()


def with_registry(command: str, work: Callable[[RegistryClient], Awaitable[T]]) -> T | int:
    """Run ``work(client)`` with the operator's registry client; exit status 1 or 2 on failure."""
    settings = settings_or_none(command)
    if settings is None:
        return 2
    from headwind.app.logging import configure_logging

    # Warnings (a truncated tag list, retries) go to stderr, never into the answer on stdout.
    configure_logging("warning", "console", sys.stderr)
    from headwind.adapters.metrics import Metrics
    from headwind.adapters.registry.client import RegistryClient
    from headwind.adapters.registry.errors import RegistryError
    from headwind.app.runtime import registry_settings

    async def run() -> T:
        async with RegistryClient(registry_settings(settings), Metrics()) as client:
            return await work(client)

    try:
        return asyncio.run(run())
    except (RegistryError, CommandError) as error:
        print(f"headwind {command}: {error}", file=sys.stderr)
        return 1


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _access_or_none(args: argparse.Namespace, command: str) -> Access | None:
    try:
        return access_of(args, args.image)
    except ValueError as error:  # InvalidReference included
        print(f"headwind {command}: {error}", file=sys.stderr)
        return None


def _tags(args: argparse.Namespace) -> int:
    access = _access_or_none(args, "registry tags")
    if access is None:
        return 2

    async def work(client: RegistryClient) -> int:
        listing = await client.tags(access.ref.registry, access.ref.path, await credential_of(access))
        for tag in listing.tags:
            print(tag)
        note = " (truncated: HEADWIND_REGISTRY_MAX_TAG_PAGES reached)" if listing.truncated else ""
        summary = f"{len(listing.tags)} tags of {access.ref.repository} in {listing.pages} page(s){note}"
        print(summary, file=sys.stderr)
        return 0

    return with_registry("registry tags", work)


def _digest(args: argparse.Namespace) -> int:
    access = _access_or_none(args, "registry digest")
    if access is None:
        return 2
    reference = access.ref.digest or access.ref.effective_tag

    async def work(client: RegistryClient) -> int:
        manifest = await client.manifest(
            access.ref.registry,
            access.ref.path,
            reference,
            await credential_of(access),
            platforms=args.platforms,
        )
        print(f"{manifest.digest} {manifest.media_type}")
        for platform, digest in sorted(manifest.platforms.items()):
            print(f"{platform} {digest}")
        return 0

    return with_registry("registry digest", work)
