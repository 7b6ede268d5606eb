"""Batch API benchmark (prints figures; not a test).

N requests (default 2,000) through ``--batch`` against the in-process loopback server, OpenAI and
Anthropic: submit (render as online + upload + create), collect (retrieve + download into the
ledger), finish (validate each answer with its response model, cache it, bill it at half price),
and a rerun (all cached). Also the client's own CPU per request for rendering and for validation
alone, without the server in the measurement.

Run: python bench/bench_batch.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

from factory.llm import LLMRequest
from factory.llm.batch import BatchClient, BatchPending, BatchRunner, collect, parse, render
from factory.llm.ledger import Ledger
from factory.llm.prices import PriceTable
from factory.testing.loopback import LoopbackServer


class Scores(BaseModel):
    goal_coherence: int = Field(ge=1, le=5)
    rationale: str = ""


def responder(kind: str, body: dict) -> dict:
    return {"goal_coherence": 4, "rationale": "fine"}


def requests(n: int) -> list[LLMRequest]:
    return [LLMRequest([{"role": "system", "content": "You are a strict reviewer. " * 20},
                        {"role": "user", "content": f"Score record {i}: " + "the user asked for a note. " * 40}],
                       Scores, max_tokens=256, tag=i) for i in range(n)]


def run(kind: str, model: str, n: int) -> None:
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    os.environ.setdefault("ANTHROPIC_API_KEY", "sk-bench")
    reqs = requests(n)
    with tempfile.TemporaryDirectory() as tmp, LoopbackServer(responder) as srv:
        url = srv.openai_url if kind == "openai" else srv.anthropic_url
        ledger = Ledger(Path(tmp) / "ledger.sqlite")
        runner = BatchRunner(kind, model, url, ledger, PriceTable.with_overrides(), "bench")
        t = time.perf_counter()
        try:
            runner.run(reqs, lambda r: None, n)
        except BatchPending:
            pass
        submit = time.perf_counter() - t
        srv.end_batches()
        t = time.perf_counter()
        client = BatchClient(kind, model, url)
        for row in ledger.batches():
            collect(ledger, row, client)
        collected = time.perf_counter() - t
        t, cpu = time.perf_counter(), time.process_time()
        stats = runner.run(reqs, lambda r: None, n)
        finish, finish_cpu = time.perf_counter() - t, time.process_time() - cpu
        t = time.perf_counter()
        again = runner.run(reqs, lambda r: None, n)
        rerun = time.perf_counter() - t
        # the client's CPU alone: render and validate, no server, no ledger
        t = time.process_time()
        bodies = [render(kind, model, r) for r in reqs]
        render_ms = (time.process_time() - t) / n * 1000
        answers = [b for b in (ledger.batch_items(r.cache_key(kind, model))[-1]["result"] for r in reqs)]
        t = time.process_time()
        for r, a in zip(reqs, answers):
            parse(kind, r, a)
        parse_ms = (time.process_time() - t) / n * 1000
        ledger.close()
    print(f"{kind:<9} {n} requests: submit {submit:.2f} s, collect {collected:.2f} s, finish {finish:.2f} s "
          f"({finish_cpu / n * 1000:.2f} ms CPU/request incl. ledger), rerun {rerun:.2f} s "
          f"(cached {again.cached}, sent {again.sent}); ok {stats.ok}, cost ${stats.cost:.4f} (half price); "
          f"client CPU/request: render {render_ms:.2f} ms, validate {parse_ms:.2f} ms; body {len(str(bodies[0]))} chars")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    run("openai", "gpt-4o-mini", args.requests)
    run("anthropic", "claude-haiku-4-5", args.requests)


if __name__ == "__main__":
    main()
