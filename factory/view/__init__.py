"""The dataset viewer: a SQLite index of a dataset directory served by datasette, and human review."""
