"""Agreement with the leaderboard's own checker, per BFCL category, and scoring speed.

    python bench/bench_bfcl_parity.py

Scores every candidate of tests/helpers/bfcl_perturb.py on the BFCL questions in tests/fixtures/bfcl/
with bfcl-eval's ``ast_checker`` (vendored in tests/fixtures/bfcl_official/) and with
``factory.training.bfcl`` under both rule sets. Prints figures; not a test.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factory.training.bfcl import check_calls, load_bfcl  # noqa: E402
from tests.helpers.bfcl_official import official_verdict  # noqa: E402
from tests.helpers.bfcl_perturb import candidates  # noqa: E402

CATEGORIES = ["simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple",
              "live_parallel", "live_parallel_multiple"]


def main() -> None:
    bfcl = ROOT / "tests" / "fixtures" / "bfcl"
    print(f"{'category':<24} {'pairs':>7} {'bfcl rules':>11} {'one-to-one':>11}")
    total = Counter()
    ours_seconds = 0.0
    for category in CATEGORIES:
        row = Counter()
        for case in load_bfcl(bfcl / f"BFCL_v4_{category}.jsonl", bfcl / f"BFCL_v4_{category}.possible_answer.jsonl"):
            for _kind, calls in candidates(case):
                official = official_verdict(case.functions, calls, case.answers, case.category)
                started = time.perf_counter()
                parity = check_calls(case.functions, calls, case.answers, case.category).valid
                one = check_calls(case.functions, calls, case.answers, case.category, rules="one-to-one").valid
                ours_seconds += time.perf_counter() - started
                row.update(pairs=1, parity=parity == official, one_to_one=one == official)
        total.update(row)
        print(f"{category:<24} {row['pairs']:>7,} {row['parity'] / row['pairs']:>11.4%} "
              f"{row['one_to_one'] / row['pairs']:>11.4%}")
    print(f"{'all':<24} {total['pairs']:>7,} {total['parity'] / total['pairs']:>11.4%} "
          f"{total['one_to_one'] / total['pairs']:>11.4%}")
    print(f"factory.training.bfcl: {2 * total['pairs'] / ours_seconds:,.0f} checks/s")


if __name__ == "__main__":
    main()
