"""Simulated cluster controllers: what makes objects move after the apiserver stores them.

An operator that updates images judges a rollout by what Kubernetes' controllers write back:
ReplicaSets, revisions, status conditions, Pods stuck in ImagePullBackOff. Without them a test
would see a Deployment that never rolls out, so the sandbox runs small versions of the real
controllers in-process (Deployment, ReplicaSet, StatefulSet, DaemonSet, garbage collector,
namespace lifecycle). They write through :class:`~headwind.sandbox.apiserver.ApiServer` like any
client, so their writes are versioned, validated and watched.
"""
