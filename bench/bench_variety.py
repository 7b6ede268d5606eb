"""Variety of the offline data, before and after: per category, distinct task sentence shapes and how
many of them cover 90% of their uses (factory.quality.variety), the near-duplicate share
(factory.quality.neardup) and the record count, side by side for two dataset directories, with the
ratio of after to before. Prints figures; not a test.

    python bench/bench_variety.py --before OLD_DATA --after data [--only tool_core --only guardrail]
    python bench/bench_variety.py --after data            # one directory, no ratios

A directory is what `factory run` or `factory generate` writes (one CATEGORY.jsonl per category).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson


def measure(path: Path) -> dict[str, float]:
    from factory.quality.neardup import near_duplicate_share
    from factory.quality.variety import Variety, kit_nouns

    nouns = kit_nouns()
    v = Variety()
    records = []
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                rec = orjson.loads(line)
                v.add(rec, nouns)
                records.append(rec)
    s = v.summary()
    return {"records": s["records"], "task": s["task_sentences"], "task90": s["task_cover90"],
            "uses": sum(v.task.values()), "near_dup": near_duplicate_share(records).share}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="dataset directory to compare against")
    parser.add_argument("--after", type=Path, required=True, help="dataset directory to measure")
    parser.add_argument("--only", action="append", default=[], help="categories to measure (repeatable)")
    parser.add_argument("--target", type=float, default=3.0, help="ratio a category should reach [3.0]")
    args = parser.parse_args()

    names = args.only or sorted(p.stem for p in args.after.glob("*.jsonl") if "." not in p.stem)
    head = f"{'category':16} {'records':>7} {'uses':>6} {'task':>6} {'90%':>6} {'near-dup':>8}"
    if args.before:
        head += f" | {'before':>6} {'90%':>6} {'near-dup':>8} | {'x task':>6} {'x 90%':>6}  ok"
    print(head)
    short = 0
    for name in names:
        after_path = args.after / f"{name}.jsonl"
        if not after_path.exists():
            print(f"{name:16} (no {after_path})")
            continue
        a = measure(after_path)
        row = (f"{name:16} {a['records']:7d} {a['uses']:6d} {a['task']:6d} {a['task90']:6d} "
               f"{a['near_dup']:8.2%}")
        before_path = args.before / f"{name}.jsonl" if args.before else None
        if before_path and before_path.exists():
            b = measure(before_path)
            rt = a["task"] / b["task"] if b["task"] else float("inf")
            r90 = a["task90"] / b["task90"] if b["task90"] else float("inf")
            ok = rt >= args.target and r90 >= args.target and a["near_dup"] <= b["near_dup"] + 1e-9
            short += not ok
            row += (f" | {b['task']:6d} {b['task90']:6d} {b['near_dup']:8.2%} | {rt:6.2f} {r90:6.2f}  "
                    f"{'yes' if ok else 'NO'}")
        print(row)
    if args.before:
        print(f"\n{short} categories below {args.target}x or with a higher near-duplicate share")


if __name__ == "__main__":
    main()
