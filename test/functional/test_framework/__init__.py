"""Functional test framework for iopd (Python 3 standard library only)."""
