"""Main-job figures: `factory run` for the 23,000 records of the core categories (validation included) and `factory --help`.

Prints figures; not part of the test suite. Usage: python bench/bench_main_job.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORE_COUNTS = ["tool_core", "tool_neg", "style_core", "style_refactor", "guardrail", "eval"]


# Measure as an installed user runs it: bytecode cached (some shells set PYTHONDONTWRITEBYTECODE).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exe = [sys.executable, "-m", "factory"]
    timed([*exe, "--help"])  # warm the bytecode cache
    helps = [timed([*exe, "--help"]) for _ in range(max(5, args.repeat))]
    print(f"factory --help: median {statistics.median(helps):.3f} s, max {max(helps):.3f} s (target <= 0.5 s)")
    gens, fulls, validates = [], [], []
    only = [x for c in CORE_COUNTS for x in ("--only", c)]
    stages = ["--no-tokens", "--no-merge", "--no-export", "--no-report"]
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "data"
            gens.append(timed([*exe, "run", "--data", str(out), *only, *stages]))
            n = sum(sum(1 for _ in p.open()) for p in out.glob("*.jsonl"))
            validates.append(timed([*exe, "validate", *map(str, sorted(out.glob("*.jsonl")))]))
            fulls.append(timed([*exe, "run", "--data", str(Path(tmp) / "full"), *only]))
    print(f"factory run, generation stage ({n} core-category records, each validated as generated): "
          f"median {statistics.median(gens):.2f} s, max {max(gens):.2f} s (target <= 15 s)")
    print(f"factory validate over the same files (re-read from disk): median {statistics.median(validates):.2f} s")
    print(f"factory run, whole pipeline (generate, tokens + quality, merge, export trl, report): "
          f"median {statistics.median(fulls):.2f} s, max {max(fulls):.2f} s")


if __name__ == "__main__":
    main()
