"""Benchmarks: speed and memory are measured here, never asserted by timed tests."""
