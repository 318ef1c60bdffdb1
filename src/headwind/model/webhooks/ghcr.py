"""GitHub Packages webhooks (``POST /webhook/ghcr``): container versions published to ghcr.io.

GitHub names the event in the ``X-GitHub-Event`` header and puts the package under a key of the
same name:

* ``package`` (current) and ``registry_package`` (legacy, still delivered), actions
  ``published`` and ``updated``; ``package_v2`` with action ``create`` was a 2020 beta name for
  the same payload and is read too. Other actions and other events are ignored, ``ping`` (sent
  when the webhook is created) included.
* Without the header (a relay dropped it), the body's shape decides: a ``package`` or
  ``registry_package`` key, or ``zen`` for a ping; anything else is refused, since it is not a
  GitHub delivery at all.

Only container packages count: ``package_type`` (or, where GitHub omits it, ``ecosystem``) of
``container`` or ``docker`` in any case. npm, Maven, NuGet, RubyGems packages are ignored.

Reading a container version:

* **Tag**: ``package_version.container_metadata.tag.name``. GHCR publishes every manifest as a
  version, so a multi-arch push is several versions of which only the index is tagged; the
  others have an empty tag and are ignored. Payloads without ``container_metadata`` (the old
  ``docker.pkg.github.com`` registry) carry the tag in ``package_version.version``.
* **Digest**: ``...tag.digest``, else ``package_version.version``/``name`` when they are digests.
* **Registry and repository**: ``ghcr.io`` and ``<owner>/<package name>``, lower-cased (GHCR
  names are lower-case; GitHub reports ``Codertocat``). The host of ``package_version.package_url``
  (``ghcr.io/owner/name:tag``, ``containers.example.com/...`` on GitHub Enterprise Server) wins
  over ``ghcr.io``. ``registry.url`` is not used for containers: GitHub fills it with
  ``https://CONTAINER.pkg.github.com/<owner>``, a host nobody pulls from; it is used only for the
  legacy ``docker`` registry, whose images live at ``docker.pkg.github.com/<owner>/<repo>/<name>``.
  ``?registry=`` overrides the host.
* **Media type and charts**: ``container_metadata.manifest.media_type``; a manifest whose
  ``config.media_type`` is Helm's chart config is a chart.
"""

from __future__ import annotations

from typing import Any, Final

from headwind.model.image import is_valid_digest
from headwind.model.pushes import CHART, HELM_CONFIG_MEDIA_TYPE, IMAGE, PushEvent
from headwind.model.webhooks.checks import checked_digest, checked_tag, repository_path
from headwind.model.webhooks.fields import (
    Delivery,
    InvalidPayload,
    child,
    obj,
    optional_child,
    optional_string,
    path_of,
    string,
)
from headwind.model.webhooks.hosts import host_of_reference, host_of_url, is_overridden, registry_override

SOURCE: Final = "ghcr"
GHCR: Final = "ghcr.io"
PACKAGE_EVENTS: Final = {
    "package": "package",
    "registry_package": "registry_package",
    "package_v2": "package",
}
PUSH_ACTIONS: Final = frozenset({"published", "updated", "create"})
CONTAINER_TYPES: Final = frozenset({"container", "docker"})


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The tagged container version a GitHub ``package`` webhook reports, if it reports one."""
    body = obj(payload)
    key = _package_key(body, delivery)
    if key is None or optional_string(body, "action") not in PUSH_ACTIONS:
        return []
    package = child(body, key)
    if not _is_container(package, key):
        return []
    version_path = path_of(key, "package_version")
    version = child(package, "package_version", key)
    tag, tag_field = _tag(version, version_path)
    if tag is None:
        return []
    registry, name = _location(package, version, key, delivery)
    metadata = optional_child(version, "container_metadata", version_path)
    manifest = _manifest(metadata, path_of(version_path, "container_metadata"))
    return [
        PushEvent(
            registry=registry,
            repository=repository_path(registry, name, path_of(key, "name")),
            tag=checked_tag(tag, tag_field),
            digest=_digest(version, metadata, version_path),
            media_type=manifest[0],
            kind=CHART if manifest[1] == HELM_CONFIG_MEDIA_TYPE else IMAGE,
            source=SOURCE,
        )
    ]


def _package_key(body: dict[str, Any], delivery: Delivery) -> str | None:
    """Where the package is (``package``/``registry_package``), or None for another GitHub event."""
    event = delivery.header("X-GitHub-Event")
    if event is not None:
        return PACKAGE_EVENTS.get(event)
    for key in ("package", "registry_package"):
        if key in body:
            return key
    if "zen" in body:
        return None
    raise InvalidPayload(
        "header X-GitHub-Event: missing, and the body has no 'package' or 'registry_package'; "
        "this endpoint reads GitHub package webhooks"
    )


def _is_container(package: dict[str, Any], path: str) -> bool:
    kind = optional_string(package, "package_type", path) or optional_string(package, "ecosystem", path)
    return kind is not None and kind.lower() in CONTAINER_TYPES


def _tag(version: dict[str, Any], path: str) -> tuple[str | None, str]:
    """The version's tag and the field it came from; None for an untagged version."""
    metadata_path = path_of(path, "container_metadata")
    metadata = optional_child(version, "container_metadata", path)
    if metadata is not None:
        tag_path = path_of(metadata_path, "tag")
        tag = optional_child(metadata, "tag", metadata_path)
        name = optional_string(tag, "name", tag_path) if tag is not None else None
        return name, path_of(tag_path, "name")
    legacy = optional_string(version, "version", path)
    if legacy is None or is_valid_digest(legacy):
        return None, path_of(path, "version")
    return legacy, path_of(path, "version")


def _digest(version: dict[str, Any], metadata: dict[str, Any] | None, path: str) -> str | None:
    if metadata is not None:
        tag_path = path_of(path_of(path, "container_metadata"), "tag")
        tag = optional_child(metadata, "tag", path_of(path, "container_metadata"))
        digest = optional_string(tag, "digest", tag_path) if tag is not None else None
        if digest is not None:
            return checked_digest(digest, path_of(tag_path, "digest"))
    for field in ("version", "name"):
        candidate = version.get(field)
        if isinstance(candidate, str) and is_valid_digest(candidate):
            return candidate
    return None


def _manifest(metadata: dict[str, Any] | None, path: str) -> tuple[str | None, str | None]:
    """The manifest's media type and its config's media type, when GitHub reports them."""
    if metadata is None:
        return None, None
    manifest_path = path_of(path, "manifest")
    manifest = metadata.get("manifest")
    if not isinstance(manifest, dict):
        return None, None  # absent, null, or the legacy manifest-as-a-string
    config_path = path_of(manifest_path, "config")
    config = optional_child(manifest, "config", manifest_path)
    config_type = optional_string(config, "media_type", config_path) if config is not None else None
    return optional_string(manifest, "media_type", manifest_path), config_type


def _location(
    package: dict[str, Any], version: dict[str, Any], key: str, delivery: Delivery
) -> tuple[str, str]:
    """The registry host and the repository path (not yet checked) of a container package."""
    name = string(package, "name", key).lower()
    legacy = _legacy_docker_registry(package, key)
    if legacy is not None:
        host, owner_and_repository = legacy
        return registry_override(delivery, host), f"{owner_and_repository}/{name}"
    owner = _owner(package, key)
    implied = None if is_overridden(delivery) else _package_url_host(version, path_of(key, "package_version"))
    return registry_override(delivery, implied or GHCR), f"{owner}/{name}"


def _owner(package: dict[str, Any], path: str) -> str:
    owner = optional_child(package, "owner", path)
    login = optional_string(owner, "login", path_of(path, "owner")) if owner is not None else None
    if login is None:
        login = optional_string(package, "namespace", path)
    if login is None:
        raise InvalidPayload(f"{path_of(path_of(path, 'owner'), 'login')}: required field is missing")
    return login.lower()


def _package_url_host(version: dict[str, Any], path: str) -> str | None:
    package_url = optional_string(version, "package_url", path)
    return host_of_reference(package_url) if package_url is not None else None


def _legacy_docker_registry(package: dict[str, Any], path: str) -> tuple[str, str] | None:
    """Host and ``owner/repo`` of the retired ``docker.pkg.github.com`` registry, for its packages only."""
    registry_path = path_of(path, "registry")
    registry = optional_child(package, "registry", path)
    if registry is None or (optional_string(registry, "type", registry_path) or "").lower() != "docker":
        return None
    url = optional_string(registry, "url", registry_path)
    host = host_of_url(url) if url is not None else None
    owner_and_repository = _url_path(url) if url is not None and host else ""
    if not owner_and_repository:
        raise InvalidPayload(
            f"{path_of(registry_path, 'url')}: expected https://<host>/<owner>/<repository> "
            "for a package of the docker registry"
        )
    return host or "", owner_and_repository


def _url_path(url: str) -> str:
    """The path of an http(s) URL without query, fragment or surrounding slashes, lower-cased."""
    path = url.partition("://")[2].partition("/")[2]
    return path.partition("?")[0].partition("#")[0].strip("/").lower()
