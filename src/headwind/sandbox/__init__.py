"""The sandbox: a Kubernetes API emulator that speaks the real HTTP protocol.

No kube-apiserver can run where Headwind is developed and tested, and a mock that answers what a
test expects proves nothing. So the operator is tested against this emulator through the same
client library it uses against a cluster, and the emulator reproduces the apiserver behaviour an
operator depends on: resourceVersions and optimistic concurrency, list/watch with 410 and
bookmarks, selectors, the three patch types, the status and scale subresources, finalizers and
garbage collection, defaulting and validation, discovery and CRDs, authentication, and simulated
controllers so rollouts can succeed, fail and be rolled back.

It also backs ``headwind sandbox``, the zero-setup way to try the product, and it is never a
dependency of the operator: the layer contracts forbid ``headwind.*`` operator packages to import
it. Start here: :class:`~headwind.sandbox.emulator.Emulator`.
"""
