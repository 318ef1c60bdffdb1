"""Test infrastructure for a real container registry: the process, a pusher, a token server, a proxy."""
