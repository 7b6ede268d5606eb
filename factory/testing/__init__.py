"""Test helpers that ship with the package so benchmarks and plugin authors can reuse them."""
