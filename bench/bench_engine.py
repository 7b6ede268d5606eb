"""Engine benchmark (prints figures; not a test).

1. Throughput: N requests (default 2,000) against a loopback OpenAI server answering in 200 ms, at
   concurrency 50, through the real openai SDK + instructor, with the calls made in this process
   (workers 1) and in worker processes (factory.llm.workers). Target: wall <= 1.15 x ideal
   (N x latency / concurrency = 8 s) and engine CPU per request <= 2 ms. The server runs in its own
   process, so the CPU measured here is the client's: engine + SDK + instructor + ledger.
2. Rate limit: requests/min limit with a shortened window (default 600 per 6 s, the 60 s logic scaled
   down 10x); the server's arrival times are checked for the worst window.

Run: python bench/bench_engine.py [--requests 2000] [--latency 0.2] [--concurrency 50] [--workers 1,3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from factory.config import EngineConfig
from factory.llm import LLMRequest, create_provider
from factory.llm.engine import Engine
from factory.llm.ledger import Ledger


class Answer(BaseModel):
    answer: str


def start_server(latency: float) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "factory.testing.loopback", "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, port


async def bare_calls(port: int, n: int, concurrency: int) -> None:
    """The same calls through the same provider with only a semaphore: the SDK + instructor + httpx
    cost the engine's own overhead is measured against."""
    provider = create_provider("openai", "gpt-4o-mini", f"http://127.0.0.1:{port}/v1", max_connections=concurrency)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await provider.complete(LLMRequest([{"role": "user", "content": f"bare {i}"}], Answer), 0)

    await asyncio.gather(*(one(i) for i in range(n)))
    await provider.aclose()


def make_provider(port: int, concurrency: int, workers: int):
    from factory.llm.workers import PooledProvider

    url = f"http://127.0.0.1:{port}/v1"
    if workers > 1:
        return PooledProvider("openai", "gpt-4o-mini", url, 120.0, concurrency, workers)
    return create_provider("openai", "gpt-4o-mini", url, max_connections=concurrency)


def throughput(n: int, latency: float, concurrency: int, workers_list: list[int]) -> None:
    proc, port = start_server(latency)
    try:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        asyncio.run(bare_calls(port, n, concurrency))
        bare_wall, bare_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        print(f"throughput: {n} requests, latency {latency * 1000:.0f} ms, concurrency {concurrency}, "
              f"ideal {n * latency / concurrency:.2f} s")
        print(f"  bare SDK+instructor calls in one process, semaphore only: wall {bare_wall:.2f} s, CPU "
              f"{bare_cpu / n * 1000:.2f} ms/request")
        for workers in workers_list:
            with tempfile.TemporaryDirectory() as tmp:
                ledger = Path(tmp) / "ledger.sqlite"
                wall0, cpu0 = time.perf_counter(), time.process_time()
                children0 = os.times()
                provider = make_provider(port, concurrency, workers)
                engine = Engine(provider, Ledger(ledger), EngineConfig(max_concurrency=concurrency))
                reqs = (LLMRequest([{"role": "user", "content": f"question {i}"}], Answer) for i in range(n))
                stats = engine.run_sync(reqs, lambda r: None, total=n)
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                children = os.times()
                child_cpu = (children.children_user - children0.children_user
                             + children.children_system - children0.children_system)
                ideal = n * latency / concurrency
                print(f"  workers {workers}: wall {wall:.2f} s  (ratio {wall / ideal:.3f}, target <= 1.15); "
                      f"ok {stats.ok}, sent {stats.sent}, peak in flight {engine.gate.peak}")
                if workers > 1:
                    print(f"    parent CPU {cpu / n * 1000:.2f} ms/request (engine + dispatch), workers' CPU "
                          f"{child_cpu / n * 1000:.2f} ms/request (SDK + instructor + httpx); "
                          f"calls per worker {[w.calls for w in provider.workers]}")
                else:
                    print(f"    client CPU {cpu / n * 1000:.2f} ms/request (the bare calls': {bare_cpu / n * 1000:.2f}; "
                          "the engine's own share is the 'engine alone' figure, target <= 2 ms)")
                wall0 = time.perf_counter()
                engine = Engine(make_provider(port, concurrency, workers), Ledger(ledger),
                                EngineConfig(max_concurrency=concurrency))
                reqs = (LLMRequest([{"role": "user", "content": f"question {i}"}], Answer) for i in range(n))
                stats = engine.run_sync(reqs, lambda r: None, total=n)
                print(f"    rerun: sent {stats.sent}, cached {stats.cached}, wall {time.perf_counter() - wall0:.2f} s")
    finally:
        proc.terminate()


class SleepingProvider:
    """No SDK, no HTTP: answers after ``latency`` seconds. Isolates the engine's own cost (cache
    lookup, ledger commit, gate, limiter, retry loop, stats)."""

    name, model = "sleeping", "gpt-4o-mini"

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.on_headers = None

    async def complete(self, request: LLMRequest, max_reasks: int):
        from factory.llm import Completion

        await asyncio.sleep(self.latency)
        return Completion(Answer(answer="ok"), 20, 5, 1, '{"answer": "ok"}')

    async def aclose(self) -> None:
        pass


def engine_alone(n: int, latency: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(SleepingProvider(latency), Ledger(Path(tmp) / "ledger.sqlite"),
                        EngineConfig(max_concurrency=concurrency))
        reqs = (LLMRequest([{"role": "user", "content": f"question {i}"}], Answer) for i in range(n))
        wall0, cpu0 = time.perf_counter(), time.process_time()
        engine.run_sync(reqs, lambda r: None, total=n)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        ideal = n * latency / concurrency
        print(f"engine alone (in-process provider sleeping {latency * 1000:.0f} ms, no SDK/HTTP): wall {wall:.2f} s "
              f"(ratio {wall / ideal:.3f}), CPU {cpu / n * 1000:.2f} ms/request")


def rate_limit(n: int, rpm: int, window: float, concurrency: int) -> None:
    from factory.testing.loopback import LoopbackServer

    with LoopbackServer(latency=0.01) as srv, tempfile.TemporaryDirectory() as tmp:
        provider = create_provider("openai", "gpt-4o-mini", srv.openai_url)
        settings = EngineConfig(max_concurrency=concurrency, requests_per_minute=rpm)
        engine = Engine(provider, Ledger(Path(tmp) / "ledger.sqlite"), settings, rate_window=window)
        reqs = (LLMRequest([{"role": "user", "content": f"q {i}"}], Answer) for i in range(n))
        t0 = time.perf_counter()
        engine.run_sync(reqs, lambda r: None, total=n)
        wall = time.perf_counter() - t0
        times = sorted(r.time for r in srv.requests)
        worst, j = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - window:
                j += 1
            worst = max(worst, i - j + 1)
        print(f"rate limit: {n} requests, limit {rpm} per {window:g} s window, concurrency {concurrency}")
        print(f"  worst window at the server: {worst} requests (limit {rpm}); wall {wall:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--rate-window", type=float, default=6.0)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts to measure (1 = in-process)")
    ap.add_argument("--skip-rate", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    engine_alone(args.requests, args.latency, args.concurrency)
    throughput(args.requests, args.latency, args.concurrency, [int(w) for w in args.workers.split(",")])
    if not args.skip_rate:
        rpm = int(600 * args.rate_window / 60)
        rate_limit(rpm * 2 + 50, rpm, args.rate_window, args.concurrency)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
