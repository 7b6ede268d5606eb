"""Backbone figures: `factory run` for the 23,000 seed-000 records (validation included) and `factory --help`.

Prints figures; not part of the test suite. Usage: python bench/bench_backbone.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED000 = ["tool_core", "tool_neg", "style_core", "style_refactor", "guardrail", "eval"]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exe = [sys.executable, "-m", "factory"]
    helps = [timed([*exe, "--help"]) for _ in range(max(5, args.repeat))]
    print(f"factory --help: median {statistics.median(helps):.3f} s, max {max(helps):.3f} s (target <= 0.5 s)")
    runs, validates = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "data"
            only = [x for c in SEED000 for x in ("--only", c)]
            runs.append(timed([*exe, "run", "--out", str(out), *only]))
            n = sum(sum(1 for _ in p.open()) for p in out.glob("*.jsonl"))
            validates.append(timed([*exe, "validate", *map(str, sorted(out.glob("*.jsonl")))]))
    print(f"factory run (seed-000 buckets, {n} records, each validated as generated): "
          f"median {statistics.median(runs):.2f} s, max {max(runs):.2f} s (target <= 15 s)")
    print(f"factory validate over the same files (re-read from disk): median {statistics.median(validates):.2f} s")


if __name__ == "__main__":
    main()
