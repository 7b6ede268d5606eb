"""Trainer formats: rows per exporter, written atomically, counted, and self-checked with the consumers' own code."""
