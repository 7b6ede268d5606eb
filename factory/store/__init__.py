"""Files the factory writes: JSONL written atomically, the manifest of a data directory."""
