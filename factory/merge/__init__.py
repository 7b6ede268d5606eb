"""Merging dataset files: exact and near-duplicate removal, enhanced replacements, the seeded split."""
