"""Running the factory as a user would, and where the repository's files are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DROPINS = ROOT / "tests" / "dropins"


CORE_COUNTS = {
    "tool_core.jsonl": 10_000,
    "tool_neg.jsonl": 2_000,
    "style_core.jsonl": 5_000,
    "style_refactor.jsonl": 3_000,
    "guardrail.jsonl": 2_000,
    "eval.jsonl": 1_000,
}


def factory_cli(*args: str, cwd: Path | None = None, env: dict | None = None, check: bool = False,
                timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m factory ARGS`` as a user would; returns the completed process."""
    proc = subprocess.run(
        [sys.executable, "-m", "factory", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"factory {' '.join(map(str, args))} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc
