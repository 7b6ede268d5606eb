"""Token counting throughput against the raw `tokenizers` batch encoding of the same texts.
Target: our counting >= 0.8 x raw ``Tokenizer.encode_batch`` throughput.

    python bench/bench_tokens.py [--data DIR] [--tokenizer qwen2.5] [--limit 20000]
    python bench/bench_tokens.py --executors 5000,25000,100000 [--data DIR] [--workers N]

``--executors`` instead times the whole count (tokenizer load, the shard plan, render, count, round
trip) in this process and on datatrove's local executor (factory.quality.token_engine), each in a
fresh child process, over the first N lines of DIR's records repeated as needed, and says whether the
two reports are the same. That is where `auto`'s break-even comes from.

Texts are real records (``factory run`` output in DIR, generated into a temp dir when not given)
rendered through the tokenizer's chat template with their tools. Figures: render rate, raw
``encode_batch``, our ``count_checked`` cold (no cached prefixes) and with round-trip checks, and
the end-to-end ``scan_token_lengths`` over the files (render + count + round trip).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def load_records(data: Path, limit: int) -> list[dict]:
    recs = []
    for path in sorted(data.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            recs.append(orjson.loads(line))
    return recs[:limit]


def _child_count(files: list[str], executor: str, workers: int) -> tuple[float, str]:
    code = (
        "import hashlib, sys, time\n"
        "t = time.perf_counter()\n"
        "from factory.quality.token_engine import count_tokens\n"
        "from factory.quality.tokens import format_token_report\n"
        "from factory.scale import EngineOptions\n"
        f"rep = count_tokens({files!r}, 'qwen2.5', 2048, engine=EngineOptions({executor!r}, {workers}))\n"
        "dt = time.perf_counter() - t\n"
        "text = format_token_report(rep) + repr([(f.path, f.line, f.reason) for f in rep.findings])"
        " + repr(sorted(rep.lengths.items()))\n"
        "print(dt, hashlib.sha256(text.encode()).hexdigest())\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[-2]), out[-1]


def compare_executors(data: Path, sizes: list[int], workers: int, rounds: int) -> None:
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
            digests = set()
            for _ in range(rounds):  # alternated, so a noisy moment hits both
                for executor in times:
                    dt, digest = _child_count(files, executor, workers)
                    times[executor].append(dt)
                    digests.add(digest)
            best = {k: min(v) for k, v in times.items()}
            print(f"{size:>9,} lines: in-process {' / '.join(f'{t:.1f}' for t in times['in-process'])} s, "
                  f"local engine {' / '.join(f'{t:.1f}' for t in times['local'])} s "
                  f"(best {best['in-process'] / best['local']:.2f}x); same report: {len(digests) == 1}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path)
    ap.add_argument("--tokenizer", default="qwen2.5")
    ap.add_argument("--limit", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--executors", help="comma-separated line counts: time in-process against the local engine")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from factory.quality.tokens import load_tokenizer, scan_token_lengths

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp)
            subprocess.run([sys.executable, "-m", "factory.cli.main", "run", "--data", str(data), "--no-tokens",
                            "--no-merge", "--no-report"], check=True,
                           capture_output=True)
        if args.executors:
            compare_executors(data, [int(n) for n in args.executors.split(",")], args.workers, args.rounds)
            return
        t = time.perf_counter()
        tok = load_tokenizer(args.tokenizer)
        print(f"{args.tokenizer}: loaded in {time.perf_counter() - t:.2f} s")
        recs = load_records(data, args.limit)
        t = time.perf_counter()
        texts = [tok.render(r) for r in recs]
        dt = time.perf_counter() - t
        print(f"render {len(texts):,} records: {dt:.2f} s ({len(texts) / dt:,.0f}/s)")
        batches = [texts[i:i + args.batch] for i in range(0, len(texts), args.batch)]

        def timed(fn) -> tuple[float, int]:
            t0 = time.perf_counter()
            n = sum(fn(b) for b in batches)
            return time.perf_counter() - t0, n

        raw_s, n_tokens = timed(lambda b: sum(len(e.ids) for e in tok.backend.encode_batch(b, add_special_tokens=False)))
        tok._prefix_cache.clear()
        ours_s, n2 = timed(lambda b: sum(tok.count_checked(b, roundtrip=False)[0]))
        tok._prefix_cache.clear()
        rt_s, _ = timed(lambda b: sum(tok.count_checked(b, roundtrip=True)[0]))
        assert n2 == n_tokens, (n2, n_tokens)
        print(f"tokens: {n_tokens:,} ({n_tokens / len(texts):,.0f}/record), batches of {args.batch}")
        print(f"raw tokenizers encode_batch:      {raw_s:6.2f} s  {n_tokens / raw_s:>12,.0f} tokens/s")
        print(f"count_checked (cold, no roundtrip): {ours_s:6.2f} s  {n_tokens / ours_s:>12,.0f} tokens/s  "
              f"= {raw_s / ours_s:.2f} x raw")
        print(f"count_checked + round trip:       {rt_s:6.2f} s  {n_tokens / rt_s:>12,.0f} tokens/s  "
              f"= {raw_s / rt_s:.2f} x raw")
        tok._prefix_cache.clear()
        t = time.perf_counter()
        rep = scan_token_lengths(sorted(data.glob("*.jsonl")), tok, 2048)
        dt = time.perf_counter() - t
        total = rep.stats()["total"]
        print(f"scan_token_lengths over all files (read + render + count + round trip): {total.count:,} records "
              f"in {dt:.2f} s ({total.count / dt:,.0f} records/s); p50 {total.p50}, p95 {total.p95}, max {total.max}")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
