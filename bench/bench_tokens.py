"""Token counting throughput against the raw `tokenizers` batch encoding of the same texts.
Target: our counting >= 0.8 x raw ``Tokenizer.encode_batch`` throughput.

    python bench/bench_tokens.py [--data DIR] [--tokenizer qwen2.5] [--limit 20000]

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path)
    ap.add_argument("--tokenizer", default="qwen2.5")
    ap.add_argument("--limit", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args()
    from factory.quality.tokens import load_tokenizer, scan_token_lengths

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp)
            subprocess.run([sys.executable, "-m", "factory.cli.main", "run", "--data", str(data)], check=True,
                           capture_output=True)
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
