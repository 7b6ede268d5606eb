"""Agent specs (markdown + YAML front matter), shipped as package data; located with ``spec_path``."""

from pathlib import Path

AGENTS_DIR = Path(__file__).parent


def spec_path(name: str) -> Path:
    return AGENTS_DIR / f"{name}.md"
