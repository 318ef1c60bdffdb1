"""Label and field selectors, evaluated the way kube-apiserver evaluates them.

Why this package exists: operator tests list and watch through the real kubernetes-asyncio client and
kubectl, so the sandbox has to accept, reject and match ``labelSelector`` / ``fieldSelector`` exactly as a
real apiserver would. A selector that the sandbox accepts but a cluster rejects (or that matches a
different set of objects) would let a test pass here and fail in production. Everything here is a port
of k8s.io/apimachinery (``labels``, ``fields``) and of the registries' selectable fields, not invented.

The modules: ``errors`` (:class:`SelectorError`, answered with 400), ``requirements`` (one label term and
its validation), ``labelparser`` (the ``labelSelector`` grammar), ``labels`` (:class:`LabelSelector`),
``fields`` (:class:`FieldSelector`) and ``fieldsets`` (which fields each kind exposes).
"""

from .errors import SelectorError
from .fields import FieldRequirement, FieldSelector
from .fieldsets import object_fields, supported_fields
from .labels import LabelSelector
from .requirements import Operator, Requirement

__all__ = [
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Operator",
    "Requirement",
    "SelectorError",
    "object_fields",
    "supported_fields",
]
