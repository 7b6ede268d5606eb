"""Benchmark of the agent categories: generation time per category (validation included), the
grounding pass rate of proposed tool calls, near-duplicate share, code-check time, what the merge's
near-duplicate filter drops per category, and the time the whole main job may take scaled by record
count. Prints figures; not a test.

    python bench/bench_categories.py [--seed 42]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import orjson

AGENT_CATEGORIES = ["tool_use", "powertools", "skills", "agentic", "craftsmanship", "collaboration", "problem_solving",
           "context_memory", "documentation", "security", "language_idioms"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    from factory.authoring.dialog import GROUNDING_STATS
    from factory.generate.category import generate_category
    from factory.host import PluginHost
    from factory.quality.codecheck import check_records
    from factory.quality.coverage import collect
    from factory.quality.neardup import near_duplicate_share
    from factory.quality.validate import RecordValidator
    from factory.sandbox.workspace import Workspace, verify_records

    t0 = time.perf_counter()
    host = PluginHost(entry_points=False).load()
    print(f"plugin host load: {time.perf_counter() - t0:.2f} s")
    out = Path(tempfile.mkdtemp(prefix="bench-agent-categories-"))
    validator = RecordValidator()
    total_records, total_gen = 0, 0.0
    print(f"{'category':16} {'records':>7} {'gen s':>6} {'rec/s':>7} {'proposed':>8} {'executed':>8} "
          f"{'pass':>6} {'near-dup':>8} {'code s':>6} {'bad':>4}")
    all_records = []
    for name in AGENT_CATEGORIES:
        t = time.perf_counter()
        res = generate_category(host.registry.categories[name], host.registry, out, args.seed,
                                validator=validator)
        gen = time.perf_counter() - t
        recs = [orjson.loads(line) for line in res.path.read_bytes().splitlines()]
        all_records.extend(recs)
        t = time.perf_counter()
        bad = sum(1 for p in check_records(recs) if p)
        code_s = time.perf_counter() - t
        nd = near_duplicate_share(recs).share
        st = GROUNDING_STATS.get(name)
        proposed, executed = (st.proposed, st.executed) if st else (0, 0)
        rate = f"{executed / proposed:.1%}" if proposed else "-"
        print(f"{name:16} {res.count:7d} {gen:6.2f} {res.count / gen:7.0f} {proposed:8d} {executed:8d} {rate:>6} "
              f"{nd:8.1%} {code_s:6.2f} {bad:4d}")
        total_records += res.count
        total_gen += gen
    print(f"{'total':16} {total_records:7d} {total_gen:6.2f} {total_records / total_gen:7.0f}")
    t = time.perf_counter()
    report = verify_records(all_records, Workspace())
    print(f"re-verifying grounded calls: {report.matched}/{report.checked} match ({report.pass_rate:.1%}) "
          f"in {time.perf_counter() - t:.2f} s")
    for checks, lint in ((False, False), (True, False), (True, True)):
        t = time.perf_counter()
        collect(out, host.registry, checks=checks, lint=lint)
        print(f"coverage collect (checks={checks}, lint={lint}): {time.perf_counter() - t:.2f} s")
    # What `factory run`'s merge keeps: its near-duplicate filter (MinHash, word bigrams, 0.8) over all eleven files.
    from factory.merge.dataset import MergeOptions, inputs_from, merge

    t = time.perf_counter()
    report = merge(inputs_from(categories=[out / f"{name}.jsonl" for name in AGENT_CATEGORIES]), out / "merged",
                   MergeOptions(seed=args.seed)).report
    print(f"merge of the agent-category files: {time.perf_counter() - t:.2f} s; near duplicates dropped per category:")
    for entry in report["inputs"]:
        dropped = entry["dropped"].get("near duplicate", 0)
        print(f"  {Path(entry['path']).stem:16} {dropped:4d} of {entry['read']:4d} ({dropped / entry['read']:.1%})")
    budget = 15 * (23_000 + total_records) / 23_000
    print(f"main-job budget scaled by record count: {budget:.1f} s for {23_000 + total_records} records; "
          f"agent-category share of it measured here: {total_gen:.2f} s")


if __name__ == "__main__":
    main()
