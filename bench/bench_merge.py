"""Merge + dedupe of 100,000 records with planted duplicates: wall time, peak RSS, near-duplicate
recall and precision. Targets: <= 60 s, <= 1.5 GB, recall and precision >= 0.95.

    python bench/bench_merge.py [--records 100000] [--near 5000] [--exact 2000]
                                [--executor in-process|local|ray|both] [--workers N] [--tasks N]

``--executor local`` runs near-dedupe on datatrove (factory.merge.distributed); ``both`` runs the
in-process path and then the local engine on the same files and says whether their outputs are the
same bytes. Peak memory is that of the merge's whole process tree (the engine's workers included),
as PSS sampled every 0.2 s.

Records are valid Examples (tool calls against the Continue tools, one in three) whose texts draw
from a 5,000-word vocabulary; planted near-duplicates copy a random record and change 1-3 words of
the assistant answer (out of 60-120); exact duplicates change only case and whitespace; as many
distinct look-alikes share the prompt and half the answer and must be kept (precision). The merge
runs in a child process so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_vocab(rng: random.Random, n: int = 5000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n)})


def make_record(i: int, rng: random.Random, vocab: list[str]) -> dict:
    from tests.helpers.datasets import tool_record

    if i % 3 == 0:
        rec = tool_record(i, rng=rng)
        rec["messages"][-1]["content"] = " ".join(rng.choice(vocab) for _ in range(rng.randint(60, 120)))
        rec["messages"][1]["content"] += " " + " ".join(rng.choice(vocab) for _ in range(12))
    else:
        rec = {"category": rng.choice(["style_core", "style_refactor", "guardrail"]), "subcategory": "bench",
               "label": True, "meta": {"generator": "bench", "seed": 42},
               "messages": [{"role": "user", "content": " ".join(rng.choice(vocab) for _ in range(20))},
                            {"role": "assistant",
                             "content": " ".join(rng.choice(vocab) for _ in range(rng.randint(60, 120)))}]}
    rec["id"] = f"r{i}"
    return rec


def plant_near(rec: dict, rng: random.Random, vocab: list[str], j: int) -> dict:
    from tests.helpers.datasets import edit_words

    dup = orjson.loads(orjson.dumps(rec))
    dup["messages"][-1]["content"] = edit_words(dup["messages"][-1]["content"], rng, rng.randint(1, 3), vocab)
    dup["id"] = f"near{j}"
    dup["meta"]["planted_from"] = rec["id"]
    return dup


def plant_hard(rec: dict, rng: random.Random, vocab: list[str], j: int) -> dict:
    """A distinct record that shares the prompt and half the answer (Jaccard ~0.4): must be kept."""
    dup = orjson.loads(orjson.dumps(rec))
    words = dup["messages"][-1]["content"].split()
    half = len(words) // 2
    dup["messages"][-1]["content"] = " ".join(words[:half] + [rng.choice(vocab) for _ in words[half:]])
    dup["id"] = f"hard{j}"
    return dup


def plant_exact(rec: dict, j: int) -> dict:
    dup = orjson.loads(orjson.dumps(rec))
    dup["messages"][-1]["content"] = "  " + dup["messages"][-1]["content"].upper().replace(" ", "  ") + "\n"
    dup["id"] = f"exact{j}"
    dup["meta"]["planted_from"] = rec["id"]
    return dup


def write_inputs(out: Path, n: int, n_near: int, n_exact: int) -> None:
    rng = random.Random(42)
    vocab = make_vocab(rng)
    n_hard = n_near
    n_orig = n - n_near - n_exact - n_hard
    originals = [make_record(i, rng, vocab) for i in range(n_orig)]
    planted = [plant_near(rng.choice(originals), rng, vocab, j) for j in range(n_near)]
    planted += [plant_exact(rng.choice(originals), j) for j in range(n_exact)]
    rows = originals + planted + [plant_hard(rng.choice(originals), rng, vocab, j) for j in range(n_hard)]
    (out / "planted.json").write_text(json.dumps({d["id"]: d["meta"]["planted_from"] for d in planted}))
    for d in planted:
        del d["meta"]["planted_from"]
    rng.shuffle(rows)  # duplicates may come before their original: either one may be the one dropped
    per_file = len(rows) // 4 + 1
    for k in range(4):
        with open(out / f"part{k}.jsonl", "wb") as fh:
            for r in rows[k * per_file:(k + 1) * per_file]:
                fh.write(orjson.dumps(r) + b"\n")


CHILD = """
import json, resource, sys, time
from pathlib import Path
from factory.merge.dataset import MergeOptions, inputs_from, merge
from factory.scale import EngineOptions
src, out = Path(sys.argv[1]), Path(sys.argv[3])
engine = EngineOptions(sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
t, cpu = time.perf_counter(), time.process_time()
res = merge(inputs_from(sorted(src.glob("part*.jsonl"))), out, MergeOptions(near_threshold=float(sys.argv[2])),
            engine=engine, echo=lambda line: print(line, file=sys.stderr))
wall = time.perf_counter() - t
print(json.dumps({"wall_s": wall, "cpu_s": time.process_time() - cpu, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "report": res.report}))
"""


def run_child(src: Path, out: Path, threshold: float, executor: str, workers: int, tasks: int) -> dict:
    """The merge in a child process; its peak memory summed over the child and its descendants as
    PSS (each page shared by forked workers counted once, split between them), sampled every 0.2 s."""
    try:
        import psutil
    except ImportError:
        psutil = None
    # files, not pipes: nobody reads them while it runs
    outputs = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(src), str(threshold), str(out), executor, str(workers),
                             str(tasks)], stdout=outputs[0], stderr=outputs[1], cwd=ROOT)
    peak = 0
    while proc.poll() is None and psutil is not None:
        total = 0
        try:
            me = psutil.Process(proc.pid)
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error, AttributeError):
                    total += p.memory_full_info().pss
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.2)
    proc.wait()
    stdout, stderr = (f.seek(0) or f.read().decode() for f in outputs)
    if proc.returncode:
        raise SystemExit(f"merge failed:\n{stderr[-3000:]}")
    res = json.loads(stdout)
    res["tree_peak_rss_mb"] = peak / 2**20
    res["log"] = stderr.strip()
    return res


def score(src: Path, merged: Path) -> dict:
    """Recall: planted duplicates whose group (copy + its original) lost a member. Precision: of all
    records dropped as duplicates, those that belong to a planted group (the rest are false positives:
    distinct records judged alike)."""
    planted = json.loads((src / "planted.json").read_text())
    kept = set()
    for name in ("train.jsonl", "eval.jsonl"):
        for line in (merged / name).read_bytes().splitlines():
            kept.add(orjson.loads(line)["id"])
    all_ids = set()
    for p in sorted(src.glob("part*.jsonl")):
        for line in p.read_bytes().splitlines():
            all_ids.add(orjson.loads(line)["id"])
    dropped = all_ids - kept
    in_groups = set(planted) | set(planted.values())
    out = {}
    for kind in ("near", "exact"):
        copies = [c for c in planted if c.startswith(kind)]
        found = sum(c in dropped or planted[c] in dropped for c in copies)
        out[f"{kind}_recall"] = found / len(copies) if copies else 1.0
    out["precision"] = len(dropped & in_groups) / len(dropped) if dropped else 1.0
    out["false_positives"] = len(dropped - in_groups)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--near", type=int, default=5_000)
    ap.add_argument("--exact", type=int, default=2_000)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--executor", default="in-process", choices=("in-process", "local", "ray", "auto", "both"))
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--tasks", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="write the inputs here and keep them (reused when present)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = args.keep or Path(tmp)
        src.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        if not (src / "planted.json").exists():
            # in a child: a million records in memory here would be every later child's ru_maxrss
            # (Linux keeps it across exec), and this process's own
            import multiprocessing

            writer = multiprocessing.get_context("fork").Process(
                target=write_inputs, args=(src, args.records, args.near, args.exact))
            writer.start()
            writer.join()
            print(f"wrote {args.records:,} records ({args.near:,} near + {args.exact:,} exact duplicates and "
                  f"{args.near:,} distinct look-alikes planted) "
                  f"in {time.perf_counter() - t:.1f} s")
        executors = ["in-process", "local"] if args.executor == "both" else [args.executor]
        for executor in executors:
            out = Path(tmp) / f"merged-{executor}"
            res = run_child(src, out, args.threshold, executor, args.workers, args.tasks)
            rep = res["report"]
            s = score(src, out)
            print(f"merge + dedupe ({executor}, near-dedupe {rep['near_dedupe']}): {rep['read']:,} read, "
                  f"{rep['kept']:,} kept, dropped {rep['dropped']} (reconciles: {rep['reconciles']})")
            if res["log"]:
                print(f"  {res['log']}")
            print(f"  wall {res['wall_s']:.1f} s ({rep['read'] / res['wall_s']:,.0f} records/s), CPU of the merge "
                  f"process {res['cpu_s']:.1f} s, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, "
                  f"peak RSS {res['peak_rss_mb']:.0f} MB (the merge process), peak PSS "
                  f"{res['tree_peak_rss_mb']:.0f} MB (with its workers)")
            print(f"  near-duplicate recall {s['near_recall']:.3f}, exact-duplicate recall {s['exact_recall']:.3f}, "
                  f"precision {s['precision']:.3f} ({s['false_positives']} distinct records dropped; "
                  f"threshold {args.threshold})")
        if len(executors) == 2:
            a, b = (Path(tmp) / f"merged-{e}" for e in executors)
            same = {name: (a / name).read_bytes() == (b / name).read_bytes()
                    for name in ("train.jsonl", "eval.jsonl", "dropped.jsonl", "originals.jsonl")}
            print(f"  same bytes in-process vs local engine: {same}")


if __name__ == "__main__":
    main()
