"""Builders and runners the tests share (no test module imports another)."""
