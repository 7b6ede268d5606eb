"""The viewer at scale: index a dataset of N records (the main job's records repeated with new ids until
N), then time the pages a user opens against the real `factory view` server: the records table with its
facets, a full-text search, a facet filter, search + filter, a record page, the drops and the rejects.
Prints figures; not a test.

    python bench/bench_view.py --source data --records 100000 [--runs 5] [--no-tokens]

``--source`` is a directory `factory run` wrote (it is only read). Targets: 100,000 records indexed in at
most 60 s; every page at most 300 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson


def make_dataset(source: Path, out: Path, n: int) -> int:
    files = sorted(p for p in source.glob("*.jsonl"))
    out.mkdir(parents=True)
    written = 0
    handles = {p.name: (out / p.name).open("wb") for p in files}
    rep = 0
    while written < n:
        for p in files:
            for line in p.open("rb"):
                if written >= n:
                    break
                rec = orjson.loads(line)
                rec["id"] = f"{rec.get('id', '')}-{rep}"
                handles[p.name].write(orjson.dumps(rec) + b"\n")
                written += 1
        rep += 1
    for h in handles.values():
        h.close()
    shutil.copy(source / "manifest.json", out / "manifest.json")
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, required=True)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-tokens", action="store_true")
    args = ap.parse_args()
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t = time.perf_counter()
        n = make_dataset(args.source, data, args.records)
        print(f"dataset: {n:,} records written in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "factory", "merge", "--data", str(data)], check=True,
                       capture_output=True)
        print(f"merge (for splits and drops): {time.perf_counter() - t:.1f} s")
        flags = ["--no-tokens"] if args.no_tokens else []
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "factory", "view", str(data), "--index-only", *flags],
                             check=True, capture_output=True, text=True).stdout
        print(f"index: {time.perf_counter() - t:.1f} s wall (command included); {out.strip()}")
        db = data / ".view" / "dataset.db"
        print(f"index size: {db.stat().st_size / 1e6:.0f} MB; data {sum(p.stat().st_size for p in data.glob('*.jsonl')) / 1e6:.0f} MB")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "factory", "view", str(data), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "HF_HUB_OFFLINE": "1"})
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    httpx.get(base + "/-/versions.json", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            pages = {
                "records (11 facets)": "/dataset/records",
                "search 'password'": "/dataset/records?_search=password",
                "facet category=tool_core": "/dataset/records?category=tool_core",
                "search + label=false": "/dataset/records?_search=file&label=false",
                "token range 1024-2048": "/dataset/records?tokens_range=1024-2048",
                "sorted by tokens desc": "/dataset/records?_sort_desc=tokens",
                "record page": "/dataset/records/12345",
                "dropped (facets)": "/dataset/dropped",
                "rejections": "/dataset/rejections",
                "records JSON": "/dataset/records.json?_shape=objects&_size=50",
            }
            with httpx.Client(base_url=base, timeout=30) as client:
                print(f"{'page':<28} {'median ms':>10} {'max ms':>8}  status")
                for name, url in pages.items():
                    times, status = [], 0
                    client.get(url)  # warm
                    for _ in range(args.runs):
                        t = time.perf_counter()
                        r = client.get(url)
                        times.append((time.perf_counter() - t) * 1000)
                        status = r.status_code
                    print(f"{name:<28} {statistics.median(times):>10.0f} {max(times):>8.0f}  {status}")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
