"""Benchmarks and the reliability table: run as modules from the repository top (python -m bench.NAME)."""
