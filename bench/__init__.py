"""Benchmarks and fault drills that run against the real container stack."""
