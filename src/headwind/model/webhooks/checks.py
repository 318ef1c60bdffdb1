"""Checking the image parts a payload names, so that every push a parser emits is a valid reference.

A webhook's repository, tag and digest are only strings. A push of ``app:not a tag`` would be
recorded in the tag catalog and match nothing, and a digest a document abbreviates would be
compared with real ones forever. So the parsers run each part through the grammar pod specs are
read with (:func:`~headwind.model.image.parse_image`) and refuse the delivery with the field's path
when a part does not pass, as :mod:`~headwind.model.webhooks.fields` does for types.
"""

from __future__ import annotations

from headwind.model.image import InvalidReference, is_valid_digest, is_valid_tag, parse_image, repository_key
from headwind.model.webhooks.fields import InvalidPayload

_SHOWN = 80


def checked_tag(tag: str, path: str) -> str:
    """``tag`` if it is a tag, else :class:`InvalidPayload` naming ``path``."""
    if not is_valid_tag(tag):
        raise InvalidPayload(
            f"{path}: {tag[:_SHOWN]!r} is not a tag (at most 128 letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-')"
        )
    return tag


def checked_digest(digest: str, path: str) -> str:
    """``digest`` if it is one (``sha256:`` and 64 lower-case hex digits), else :class:`InvalidPayload`."""
    if not is_valid_digest(digest):
        raise InvalidPayload(
            f"{path}: {digest[:_SHOWN]!r} is not a digest ('sha256:' and 64 lower-case hex digits)"
        )
    return digest


def repository_path(registry: str, repository: str, path: str) -> str:
    """``repository`` checked as a path under ``registry``, spelled as the registry knows it.

    The path is checked as part of ``registry/repository``, so that its length counts the host;
    an official Docker Hub image comes back under ``library/`` (``nginx`` → ``library/nginx``).
    """
    if repository != repository.strip() or any(mark in repository for mark in ":@"):
        raise InvalidPayload(f"{path}: {repository[:_SHOWN]!r} is not a repository path")
    try:
        parse_image(f"{registry}/{repository}")
    except InvalidReference as error:
        raise InvalidPayload(f"{path}: {error.problem}") from None
    return repository_key(registry, repository).partition("/")[2]
