"""Pods and pod templates (``pkg/apis/core/validation``): containers, ports, env names, restart policy.

Why this module exists: every workload kind embeds a pod template, and the operator under test rewrites
the container images in them, so these are the rules its tests meet most. They are written once here,
for Pods, the apps workloads and Jobs.

Deliberate limits: never stricter than the apiserver. Where a rule would need the whole Go type system
(volumes, probes, resources, affinity, security contexts) it is left out, so the emulator may accept a
little more than a cluster, never less.

Non-obvious, as in Go: a container name may appear once across containers and init containers
together; env names follow the relaxed rule (printable ASCII without ``=``), the default since 1.32; a
template's labels are reported at ``<template>.labels``, not ``<template>.metadata.labels``; only a Pod,
not a template, is refused for an image padded with whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from .errors import REQUIRED, FieldError, child, duplicate, index, invalid, required
from .metadata import check_annotations, check_labels
from .names import dns1123_label_errors, max_len
from .values import as_list, as_map, as_str, enumerated, is_int

_RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")
_PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")
_PROTOCOLS: Final = ("SCTP", "TCP", "UDP")
_RELAXED_ENV_NAME: Final = re.compile(r"[ -<>-~]+")
_ENV_NAME_MESSAGE: Final = (
    "a valid environment variable name must consist only of printable ASCII characters other than '='"
)
_PORT_NAME_RULES: Final[tuple[tuple[Callable[[str], bool], str], ...]] = (
    (lambda name: len(name) > 15, max_len(15)),
    (
        lambda name: re.fullmatch("[-a-z0-9]+", name) is None,
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
    ),
    (lambda name: re.search("[a-z]", name) is None, "must contain at least one letter (a-z)"),
    (lambda name: "--" in name, "must not contain consecutive hyphens"),
    (lambda name: name.startswith("-") or name.endswith("-"), "must not begin or end with a hyphen"),
)


def pod_template(template: Mapping[str, Any], path: str, *, pod_spec: bool = True) -> list[FieldError]:
    """``ValidatePodTemplateSpec``; note its label path is ``<template>.labels``, not ``.metadata.labels``."""
    meta = as_map(template.get("metadata"))
    errors = [
        *check_labels(meta.get("labels"), child(path, "labels")),
        *check_annotations(meta.get("annotations"), child(path, "annotations")),
    ]
    return [*errors, *_pod_spec(as_map(template.get("spec")), child(path, "spec"))] if pod_spec else errors


def _pod_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    names: set[str] = set()
    containers = as_list(spec.get("containers"))
    errors = (
        _container_list(containers, child(path, "containers"), names)
        if containers
        else [required(child(path, "containers"))]
    )
    errors += _container_list(as_list(spec.get("initContainers")), child(path, "initContainers"), names)
    return [*errors, *enumerated(spec.get("restartPolicy"), child(path, "restartPolicy"), _RESTART_POLICIES)]


def _container_list(items: list[Any], path: str, names: set[str]) -> list[FieldError]:
    """Containers, then init containers: a name may appear once across both lists."""
    errors: list[FieldError] = []
    for i, item in enumerate(items):
        container, here = as_map(item), index(path, i)
        errors += _container(container, here)
        name = as_str(container.get("name"))
        if name in names:
            errors.append(duplicate(child(here, "name"), name))
        elif name:
            names.add(name)
    return errors


def _container(container: Mapping[str, Any], path: str) -> list[FieldError]:
    name = as_str(container.get("name"))
    name_path = child(path, "name")
    errors = (
        [invalid(name_path, name, m) for m in dns1123_label_errors(name)] if name else [required(name_path)]
    )
    if not as_str(container.get("image")):
        errors.append(required(child(path, "image")))
    return [
        *errors,
        *_ports(container.get("ports"), child(path, "ports")),
        *_env(container.get("env"), child(path, "env")),
        *enumerated(container.get("imagePullPolicy"), child(path, "imagePullPolicy"), _PULL_POLICIES),
    ]


def _ports(value: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, item in enumerate(as_list(value)):
        port, here = as_map(item), index(path, i)
        errors += _port_name(as_str(port.get("name")), child(here, "name"), names)
        errors += _port_number(port.get("containerPort"), child(here, "containerPort"), required=True)
        errors += _port_number(port.get("hostPort"), child(here, "hostPort"), required=False)
        errors += enumerated(port.get("protocol"), child(here, "protocol"), _PROTOCOLS)
    return errors


def _port_name(name: str, path: str, names: set[str]) -> list[FieldError]:
    if not name:
        return []
    problems = [invalid(path, name, message) for broken, message in _PORT_NAME_RULES if broken(name)]
    if problems:
        return problems
    if name in names:
        return [duplicate(path, name)]
    names.add(name)
    return []


def _port_number(value: Any, path: str, *, required: bool) -> list[FieldError]:
    if value is None or value == 0:
        return [FieldError(path, REQUIRED)] if required else []
    if is_int(value) and 1 <= value <= 65535:
        return []
    return [invalid(path, value, "must be between 1 and 65535, inclusive")]


def _env(value: Any, path: str) -> list[FieldError]:
    """Names only: required, and (relaxed rule, the default since 1.32) printable ASCII without ``=``."""
    errors: list[FieldError] = []
    for i, item in enumerate(as_list(value)):
        name, here = as_str(as_map(item).get("name")), child(index(path, i), "name")
        if not name:
            errors.append(required(here))
        elif not _RELAXED_ENV_NAME.fullmatch(name):
            errors.append(invalid(here, name, _ENV_NAME_MESSAGE))
    return errors


def check_pod(obj: Mapping[str, Any]) -> list[FieldError]:
    """A Pod: its spec, plus the one rule templates escape (an image padded with whitespace)."""
    spec = as_map(obj.get("spec"))
    errors = _pod_spec(spec, "spec")
    for group in ("containers", "initContainers"):
        for i, item in enumerate(as_list(spec.get(group))):
            image = as_str(as_map(item).get("image"))
            if image != image.strip():
                path = child(index(f"spec.{group}", i), "image")
                errors.append(invalid(path, image, "must not have leading or trailing whitespace"))
    return errors
