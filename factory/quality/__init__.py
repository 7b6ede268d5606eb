"""Checks on records: validation, token counts, code that parses and lints, near duplicates, coverage."""
