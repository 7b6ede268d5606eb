"""Each pass that runs on datatrove (factory.scale) against its in-process path, on the same input:
token counting (``validate --tokenizer``) and ``factory check``. Prints the wall time of the whole
pass (tokenizer load and shard plan included), each in a fresh child process, and whether the two
answers are the same; that is where each pass's ``auto`` break-even comes from.

    python bench/bench_engine_passes.py [--pass tokens|check|both] [--sizes 2000,10000,25000]
                                        [--data DIR] [--workers N] [--rounds 2]

Inputs are the first N lines of DIR's records (the main job's, generated into a temp dir when DIR is
not given), repeated as needed, in four files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

COUNT = (
    "from factory.quality.token_engine import count_tokens\n"
    "from factory.quality.tokens import format_token_report\n"
    "rep = count_tokens(FILES, 'qwen2.5', 2048, engine=ENGINE)\n"
    "answer = format_token_report(rep) + repr([(f.path, f.line, f.reason) for f in rep.findings])"
    " + repr(sorted(rep.lengths.items()))\n")
CHECK = (
    "from factory.quality.check_engine import run_check\n"
    "import orjson\n"
    "rep = run_check(FILES, engine=ENGINE)\n"
    "answer = orjson.dumps(rep.to_dict(), option=orjson.OPT_SORT_KEYS).decode()\n")


def _child(code: str, files: list[str], executor: str, workers: int) -> tuple[float, str]:
    program = (
        "import hashlib, time\n"
        "t = time.perf_counter()\n"
        "from factory.scale import EngineOptions\n"
        f"FILES, ENGINE = {files!r}, EngineOptions({executor!r}, {workers})\n"
        + code +
        "print(time.perf_counter() - t, hashlib.sha256(answer.encode()).hexdigest())\n")
    out = subprocess.run([sys.executable, "-c", program], check=True, capture_output=True, text=True).stdout.split()
    return float(out[-2]), out[-1]


def compare(name: str, code: str, data: Path, sizes: list[int], workers: int, rounds: int) -> None:
    lines = [line for path in sorted(data.glob("*.jsonl")) for line in path.read_bytes().splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            files = []
            for part in range(4):  # four files, as a dataset's categories are
                path = Path(tmp) / f"{size}-{part}.jsonl"
                with open(path, "wb") as fh:
                    for i in range(part * size // 4, (part + 1) * size // 4):
                        fh.write(lines[i % len(lines)] + b"\n")
                files.append(str(path))
            times: dict[str, list[float]] = {"in-process": [], "local": []}
            answers = set()
            for _ in range(rounds):  # alternated, so a noisy moment hits both
                for executor in times:
                    dt, answer = _child(code, files, executor, workers)
                    times[executor].append(dt)
                    answers.add(answer)
            best = {k: min(v) for k, v in times.items()}
            print(f"{name:<7}{size:>9,} lines: in-process {' / '.join(f'{t:.1f}' for t in times['in-process'])} s, "
                  f"local engine {' / '.join(f'{t:.1f}' for t in times['local'])} s "
                  f"(best {best['in-process'] / best['local']:.2f}x); same answer: {len(answers) == 1}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pass", dest="which", choices=["tokens", "check", "both"], default="both")
    ap.add_argument("--sizes", default="2000,10000,25000")
    ap.add_argument("--data", type=Path)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp)
            subprocess.run([sys.executable, "-m", "factory.cli.main", "run", "--data", str(data), "--no-tokens",
                            "--no-merge", "--no-report"], check=True, capture_output=True)
        for name, code in (("tokens", COUNT), ("check", CHECK)):
            if args.which in (name, "both"):
                compare(name, code, data, sizes, args.workers, args.rounds)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
