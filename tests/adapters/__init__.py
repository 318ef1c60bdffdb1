"""Tests of the adapters layer (Kubernetes client and informers) against the sandbox emulator."""
