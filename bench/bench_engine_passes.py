"""Each pass that runs on datatrove (factory.scale) against its in-process path, on the same input:
token counting (``validate --tokenizer``), ``factory check`` and ``factory ingest repo-fim``. Prints the
wall time of the whole pass (tokenizer load and shard plan included), each in a fresh child process,
and whether the two answers are the same; that is where each pass's ``auto`` break-even comes from.

    python bench/bench_engine_passes.py [--pass tokens|check|fim|all] [--sizes 2000,10000,25000]
                                        [--data DIR] [--workers N] [--rounds 2]

Inputs of tokens and check are the first N lines of DIR's records (the main job's, generated into a
temp dir when DIR is not given), repeated as needed, in four files; fim's is a git repository of N
source files in five languages (bench/bench_ingest.py's), and its answer is the records' bytes.
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
FIM = (
    "from pathlib import Path\n"
    "from factory.ingest.fim_engine import ingest_repo_fim_on\n"
    "from factory.ingest.repo_fim import FimOptions\n"
    "from factory.ingest.sink import IngestReport, RecordSink\n"
    "out = Path(FILES[1])\n"
    "with RecordSink(out, IngestReport('repo-fim')) as sink:\n"
    "    sink.feed(ingest_repo_fim_on(FILES[0], sink.report, FimOptions(), ENGINE))\n"
    "answer = out.read_bytes().decode()\n")
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


def _inputs(name: str, data: Path, size: int, tmp: str) -> list[str]:
    if name == "fim":
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_ingest import make_repo

        make_repo(Path(tmp) / f"repo{size}", size)
        return [str(Path(tmp) / f"repo{size}"), str(Path(tmp) / f"fim{size}.jsonl")]
    lines = [line for path in sorted(data.glob("*.jsonl")) for line in path.read_bytes().splitlines()]
    files = []
    for part in range(4):  # four files, as a dataset's categories are
        path = Path(tmp) / f"{size}-{part}.jsonl"
        with open(path, "wb") as fh:
            for i in range(part * size // 4, (part + 1) * size // 4):
                fh.write(lines[i % len(lines)] + b"\n")
        files.append(str(path))
    return files


def compare(name: str, code: str, data: Path, sizes: list[int], workers: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            files = _inputs(name, data, size, tmp)
            times: dict[str, list[float]] = {"in-process": [], "local": []}
            answers = set()
            for _ in range(rounds):  # alternated, so a noisy moment hits both
                for executor in times:
                    dt, answer = _child(code, files, executor, workers)
                    times[executor].append(dt)
                    answers.add(answer)
            best = {k: min(v) for k, v in times.items()}
            unit = "files" if name == "fim" else "lines"
            print(f"{name:<7}{size:>9,} {unit}: in-process {' / '.join(f'{t:.1f}' for t in times['in-process'])} s, "
                  f"local engine {' / '.join(f'{t:.1f}' for t in times['local'])} s "
                  f"(best {best['in-process'] / best['local']:.2f}x); same answer: {len(answers) == 1}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pass", dest="which", choices=["tokens", "check", "fim", "all"], default="all")
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
        for name, code in (("tokens", COUNT), ("check", CHECK), ("fim", FIM)):
            if args.which in (name, "all"):
                compare(name, code, data, sizes, args.workers, args.rounds)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
