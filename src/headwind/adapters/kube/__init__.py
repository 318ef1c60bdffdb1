"""Kubernetes, as the operator sees it: a client, the resources it watches, and informers over them.

- :mod:`.client` connects (in-cluster or kubeconfig, never touching the library's global default
  configuration) and makes raw JSON requests whose errors carry their HTTP status and Retry-After.
- :mod:`.resources` names the API resources Headwind watches and answers whether one is served
  (a CRD such as Flux's HelmRelease may be absent, and that is not an error).
- :mod:`.informer` keeps a slim, indexed, always-converging cache of one resource with hand-rolled
  list+watch loops: resume on disconnect, re-list on 410, backoff with jitter, Retry-After on 429.
- :mod:`.workloads` builds the informers of the four workload kinds with the repository index.

Everything here speaks raw JSON with the API server through kubernetes-asyncio's ``ApiClient`` and
hands ``headwind.model`` values upwards; it works the same against a cluster and the sandbox.
"""
