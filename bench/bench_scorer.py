"""The offline scorer's agreement with the factory's own labels, per category.

Generates N records per category (default 200) at each seed, scores them with the heuristic scorer on
each category's rubric, and prints the share of valid records labelled true and, for tool_neg, the
share of declared defects the heuristic alone labels false (the defect is hidden from it; `factory
score` itself always keeps a declared defect false), by defect kind.

    python bench/bench_scorer.py [--count 200] [--seed 42 --seed 7]
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

from factory.generate.specs import load_spec
from factory.host import default_registry
from factory.score.scoring import HeuristicScorer, label_for, view_record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, action="append")
    opts = parser.parse_args()
    registry = default_registry()
    specs = {e.obj.name: load_spec(e.obj.spec_path) for e in registry.categories.entries()}
    scorer = HeuristicScorer()
    for seed in opts.seed or [42, 7]:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            subprocess.run([sys.executable, "-m", "factory", "run", "--data", str(data), "--count", str(opts.count),
                            "--seed", str(seed), "--no-merge", "--no-tokens"], check=True, capture_output=True)
            print(f"seed {seed}, {opts.count} records per category")
            total = true = 0
            for name, spec in sorted(specs.items()):
                path = data / spec.output_file
                rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
                if name == "tool_neg":
                    caught, kinds = collections.Counter(), collections.Counter()
                    for row in rows:
                        kind = row["meta"]["defect"]["kind"]
                        row["meta"] = {k: v for k, v in row["meta"].items() if k != "defect"}
                        row["label"] = None
                        kinds[kind] += 1
                        caught[kind] += not label_for(scorer.score(view_record(row), spec.rubric), spec.rubric)
                    n = sum(caught.values())
                    print(f"  {name:<16} defects labelled false by the heuristic alone {n}/{len(rows)} "
                          f"({n / len(rows):.1%}): " + ", ".join(f"{k} {caught[k]}/{kinds[k]}" for k in kinds))
                    continue
                got = sum(label_for(scorer.score(view_record(row), spec.rubric), spec.rubric) for row in rows)
                total, true = total + len(rows), true + got
                print(f"  {name:<16} valid records labelled true {got}/{len(rows)} ({got / len(rows):.1%})")
            print(f"  {'all valid':<16} {true}/{total} ({true / total:.1%})")


if __name__ == "__main__":
    main()
