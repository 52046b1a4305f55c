"""Benchmarks: ``make bench`` (or ``python -m bench``) prints every figure the issues set targets for."""
