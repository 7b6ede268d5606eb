"""Rollout benchmark (prints figures; not a test).

1. Sandbox set-up: a copy of a repository of N files (default 5,000) per rollout, as the namespace
   jail makes it (an overlay mount) and as the plain-copy fallback does. Target: <= 50 ms.
2. Throughput: R rollouts (default 200) of 8 model turns each -- seven tool calls (grep, read, glob,
   ls-like reads) and an answer -- against a scripted model on loopback answering in 200 ms, with C
   rollouts at once (default 32). Ideal wall = R / C x 8 x latency; target <= 1.3 x ideal plus the
   tool time, the sandbox's own work (set-up, tool calls, verification, clean-up, timed in the thread
   that ran it; the report's ``sandbox_seconds``) divided by C; and, strictly, counting only the work a
   model turn waited for (the set-up runs while the first turn is asked, the clean-up after the
   rollout returned: ``sandbox_overlapped_seconds``). The server runs in its own process; the CPU measured is this process's (engine, SDK,
   the loop, file tools, judging), per model turn: target < 5 ms. Commands started in the sandbox
   are counted apart (children's CPU); with worker processes (``--workers 0``, auto) the SDK's CPU is
   theirs (counted with the children's: they end with the run), and this process's is the factory's own.
   Concurrency C is the model requests at once; the rollouts at once (``--sandboxes``) default to 2 x C.

Run: python bench/bench_rollout.py [--rollouts 200] [--concurrency 32] [--latency 0.2] [--files 5000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def serve(port_pipe, latency: float) -> None:
    from factory.testing.agent_scripts import ScriptedAgent, call, say
    from factory.testing.loopback import LoopbackServer

    script = [call("grep", {"pattern": "def ", "path": "src", "output_mode": "files_with_matches"}),
              call("read", {"file_path": "src/shoplite/cart.py"}),
              call("glob", {"pattern": "tests/*.py"}),
              call("read", {"file_path": "src/shoplite/pricing.py", "offset": 1, "limit": 40}),
              call("grep", {"pattern": "class ", "output_mode": "content"}),
              call("read", {"file_path": "src/shoplite/auth.py"}),
              call("read", {"file_path": "README.md"}),
              say("`bearer_token` in `src/shoplite/auth.py` parses the header.")]
    srv = LoopbackServer(ScriptedAgent({"q": script}), latency=latency).start()
    port_pipe.send(srv.port)
    while True:
        time.sleep(3600)


def bench_setup(files: int, runs: int) -> None:
    from factory.rollout.sandbox import namespaces_available, open_sandbox

    tmp = Path(tempfile.mkdtemp(prefix="bench-rollout-"))
    repo = tmp / "repo"
    for d in range(files // 50):
        (repo / f"pkg{d}").mkdir(parents=True)
        for f in range(50):
            (repo / f"pkg{d}" / f"m{f}.py").write_text("x = 1\n" * 40)
    why = namespaces_available()
    for isolation in (["namespace"] if not why else []) + ["copy"]:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            box = open_sandbox(repo, isolation=isolation)
            times.append(time.perf_counter() - t)
            box.close()
        print(f"sandbox set-up, {files} files, {isolation}: median {1000 * statistics.median(times):.1f} ms, "
              f"max {1000 * max(times):.1f} ms over {runs}")
    if why:
        print(f"  (no namespace jail here: {why})")
    shutil.rmtree(tmp, ignore_errors=True)


def bench_throughput(rollouts: int, concurrency: int, latency: float, workers: int, sandboxes: int = 0) -> None:
    from factory.config import FactoryConfig
    from factory.generate.specs import load_spec
    from factory.host import default_registry
    from factory.llm.session import EngineSession
    from factory.rollout.blueprints import Blueprint
    from factory.rollout.loop import Settings
    from factory.rollout.run import run_rollouts
    from factory.sandbox.workspace import FIXTURE_REPO

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child, latency), daemon=True)
    server.start()
    port = parent.recv()
    tmp = Path(tempfile.mkdtemp(prefix="bench-rollout-"))
    try:
        cfg = FactoryConfig()
        cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={
            "ledger": tmp / "ledger.sqlite", "workers": workers, "max_concurrency": concurrency})})
        session = EngineSession.from_config(cfg, "openai-compatible", "scripted", f"http://127.0.0.1:{port}/v1")
        tasks = [Blueprint(key=f"q{i}", repo=FIXTURE_REPO, prompt=f"[q] Which function parses the bearer token? ({i})",
                           kind="explore", expect=[r"bearer_token"]) for i in range(rollouts)]
        spec, toolset = load_spec(ROOT / "agents" / "rollout.md"), default_registry().toolsets["claude_code"]
        import instructor  # noqa: F401 -- one-time import cost (~3 s of CPU) is not a per-turn cost
        import openai  # noqa: F401
        r0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        outcome = run_rollouts(session, tasks, spec, toolset, Settings(sandboxes=sandboxes), tmp / "out.jsonl")
        wall = time.perf_counter() - t0
        r1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        session.close()
        rep = outcome.report
        turns = rep["turns"]
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        child_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        ideal = rollouts / concurrency * 8 * latency
        # the tool time: the sandbox's own work (set-up, tool calls, verification, clean-up) of every
        # rollout, measured where it ran, spread over the concurrent slots
        tool_s = rep["sandbox_seconds"] / concurrency
        target = 1.3 * ideal + tool_s
        # the strict reading: only the sandbox work a model turn waited for (tool calls, verification),
        # not the set-up and clean-up that now overlap the model's turns
        waited_s = (rep["sandbox_seconds"] - rep["sandbox_overlapped_seconds"]) / concurrency
        strict = 1.3 * ideal + waited_s
        print(f"[workers {workers or 'auto'}] {rollouts} rollouts x {turns // max(1, rollouts)} turns at {latency * 1000:.0f} ms, concurrency "
              f"{concurrency} (rollouts at once {rep['rollouts_at_once']}): wall {wall:.2f} s, ideal {ideal:.2f} s ({wall / ideal:.2f}x); tool time {tool_s:.2f} s "
              f"(sandbox work {rep['sandbox_seconds']:.1f} s / {concurrency} slots); target 1.3 x ideal + tool time "
              f"= {target:.2f} s: {'met' if wall <= target else 'MISSED'}; passed {rep['passed']}/{rep['rollouts']}")
        print(f"  strict: counting only the sandbox work a turn waited for ({waited_s:.2f} s; set-up and clean-up "
              f"overlap the model's turns), target {strict:.2f} s: {'met' if wall <= strict else 'MISSED'}")
        print(f"  this process's CPU {cpu:.2f} s = {1000 * cpu / max(1, turns):.2f} ms per model turn "
              f"({turns} turns, {rep['tool_calls']} tool calls); child processes' CPU (sandboxes, SDK workers) {child_cpu:.2f} s; "
              f"set-up mean {rep['sandbox_setup_ms_mean']} ms; isolation {rep['isolation']}")
        cores = os.cpu_count() or 1
        print(f"  CPU floor: (this process + child processes) / {cores} cores = {(cpu + child_cpu) / cores:.2f} s "
              "of wall that no concurrency hides (the loopback server's CPU not counted)")
        print(f"  requests sent {session.totals.sent}, errors {dict(session.totals.errors)}")
    finally:
        server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rollouts", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--sandboxes", type=lambda v: [int(x) for x in v.split(",")], default=[0],
                    help="rollouts at once to compare (0: the default, twice the concurrency)")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--setup-runs", type=int, default=20)
    ap.add_argument("--workers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 0],
                    help="engine worker processes to compare (1: SDK in this process; 0: auto)")
    a = ap.parse_args()
    bench_setup(a.files, a.setup_runs)
    for workers in a.workers if a.rollouts > 0 else ():  # --rollouts 0: the set-up figures only
        for sandboxes in a.sandboxes:
            bench_throughput(a.rollouts, a.concurrency, a.latency, workers, sandboxes)


if __name__ == "__main__":
    main()
