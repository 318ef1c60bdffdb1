"""Which rules the apiserver applies to which built-in kind: :func:`validate_builtin` and its table.

Why this module exists: every built-in object is checked for its metadata, with a name syntax that
depends on the kind, and for its kind's own rules, ported from
``k8s.io/kubernetes/pkg/apis/{core,apps,batch}/validation``. The table says which is which; a kind not
in it is accepted as it is, since the emulator may accept more than a cluster, never less. The caller
runs defaulting first, as the apiserver does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from .configdata import check_configmap, check_secret
from .errors import FieldError
from .jobs import check_cronjob, check_job
from .metadata import object_meta
from .names import NameRule, label_name, subdomain_name
from .pods import check_pod
from .workloads import DAEMONSET, DEPLOYMENT, REPLICASET, STATEFULSET, check_workload


@dataclass(frozen=True)
class _Kind:
    name_rule: NameRule
    check: Callable[[Mapping[str, Any]], list[FieldError]]


def _metadata_only(obj: Mapping[str, Any]) -> list[FieldError]:
    return []


_KINDS: Final[Mapping[tuple[str, str], _Kind]] = {
    ("apps", "Deployment"): _Kind(subdomain_name, partial(check_workload, DEPLOYMENT)),
    ("apps", "ReplicaSet"): _Kind(subdomain_name, partial(check_workload, REPLICASET)),
    ("apps", "StatefulSet"): _Kind(label_name, partial(check_workload, STATEFULSET)),
    ("apps", "DaemonSet"): _Kind(subdomain_name, partial(check_workload, DAEMONSET)),
    ("batch", "Job"): _Kind(subdomain_name, check_job),
    ("batch", "CronJob"): _Kind(subdomain_name, check_cronjob),
    ("", "Pod"): _Kind(subdomain_name, check_pod),
    ("", "ConfigMap"): _Kind(subdomain_name, check_configmap),
    ("", "Secret"): _Kind(subdomain_name, check_secret),
    ("", "Namespace"): _Kind(label_name, _metadata_only),
    ("coordination.k8s.io", "Lease"): _Kind(subdomain_name, _metadata_only),
}


def validate_builtin(group: str, kind: str, obj: Mapping[str, Any]) -> list[FieldError]:
    """What the apiserver refuses in a (defaulted) built-in object; ``[]`` for kinds not covered."""
    rules = _KINDS.get((group, kind))
    if rules is None:
        return []
    return [*object_meta(obj, rules.name_rule), *rules.check(obj)]
