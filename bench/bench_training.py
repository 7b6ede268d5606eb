"""Figures for the training stages on this machine: BFCL scoring, data loading, tiny-model SFT steps.

    python bench/bench_training.py [--steps 100] [--records 20000]

Prints figures; not a test. SFT runs single-threaded (OMP_NUM_THREADS=1) unless the variable is set.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BFCL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "bfcl"


def bench_bfcl(repeats: int) -> None:
    from factory.training.bfcl import calls_from_answers, check_calls, load_bfcl

    cases = []
    for cat in ("simple_python", "multiple", "parallel", "live_simple"):
        cases += list(load_bfcl(BFCL / f"BFCL_v4_{cat}.jsonl", BFCL / f"BFCL_v4_{cat}.possible_answer.jsonl"))
    outputs = [calls_from_answers(case.answers)[::-1] for case in cases]
    started = time.perf_counter()
    passed = 0
    for _ in range(repeats):
        passed = sum(check_calls(c.functions, o, c.answers).valid for c, o in zip(cases, outputs))
    seconds = time.perf_counter() - started
    print(
        f"bfcl scoring: {len(cases) * repeats / seconds:,.0f} cases/s ({len(cases)} cases x {repeats}; "
        f"{passed}/{len(cases)} ground-truth answers pass; BFCL's unsatisfiable ones ([] allowed) cannot)"
    )


def bench_loading(records: int, tmp: Path) -> None:
    from factory.store.jsonl import JsonlWriter
    from factory.training.data import load_training_rows, to_dataset
    from factory.training.tiny import smoke_records

    with JsonlWriter(tmp / "data" / "train.jsonl") as w:
        for r in smoke_records(records):
            w.write(r.to_json())
    started = time.perf_counter()
    rows, report = load_training_rows([tmp / "data"], None, seed=0)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    to_dataset(rows)
    ds_s = time.perf_counter() - started
    print(
        f"data: {report.read / load_s:,.0f} records/s validated into rows; Dataset of {len(rows)} rows in {ds_s:.2f} s"
    )
    sampled_started = time.perf_counter()
    load_training_rows([tmp / "data"], 2500, seed=0)
    print(f"data: balanced 2,500 of {records}: {time.perf_counter() - sampled_started:.2f} s")


def bench_sft(steps: int, tmp: Path) -> None:
    from factory.store.jsonl import JsonlWriter
    from factory.training.config import TrainConfig
    from factory.training.sft import train_sft
    from factory.training.tiny import build_tiny_model, smoke_records

    records = smoke_records(100)
    with JsonlWriter(tmp / "sft" / "train.jsonl") as w:
        for r in records:
            w.write(r.to_json())
    model = build_tiny_model(tmp / "tiny", [json.dumps(r.to_dict()) for r in records])
    cfg = TrainConfig(
        model=str(model),
        data=[str(tmp / "sft")],
        stage="dry-run",
        output_dir=str(tmp / "out"),
        modules_to_save="embed_tokens,lm_head,norm",
        learning_rate=3e-3,
        max_steps=steps,
        logging_steps=max(1, steps // 4),
    )
    started = time.perf_counter()
    result = train_sft(cfg, log=lambda _msg: None)
    wall = time.perf_counter() - started
    print(
        f"sft tiny (hidden 64, 2 layers, vocab 600, seq<=512, batch 1, OMP_NUM_THREADS="
        f"{os.environ['OMP_NUM_THREADS']}): {result.steps} steps in {result.seconds:.1f} s "
        f"({result.steps / result.seconds:.1f} steps/s incl. load), loss {result.start_loss:.2f} -> "
        f"{result.end_loss:.2f}; wall {wall:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--bfcl-repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_bfcl(args.bfcl_repeats)
        bench_loading(args.records, Path(tmp))
        bench_sft(args.steps, Path(tmp))


if __name__ == "__main__":
    main()
