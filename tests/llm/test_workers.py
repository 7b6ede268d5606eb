"""Provider calls in worker processes (``[engine] workers``): the same answers, faults, limits and
resumability as one process, through the real SDKs and instructor against loopback servers; plus
what only processes can do -- a worker dying mid-call, the parent killed with -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types

import pytest
from pydantic import BaseModel

from factory.config import EngineConfig
from factory.llm import FatalProviderError, LLMRequest, create_provider
from factory.llm.engine import Engine
from factory.llm.ledger import Ledger
from factory.llm.session import EngineSession
from factory.llm.workers import PooledProvider, worker_count
from factory.schemas.spec import DEFAULT_RUBRIC
from factory.score.scoring import judge_model
from factory.testing.loopback import LoopbackServer
from tests.helpers.cli import ROOT
from tests.helpers.llm import FAST, echo, requests
from tests.helpers.llm import run as run_engine

# Test keys in the environment for every test here (they never reach a file: see the ledger tests).
pytestmark = pytest.mark.usefixtures("keys")


def pooled(srv, kind="openai", workers=2, timeout=30.0, concurrency=16):
    url = srv.openai_url if kind == "openai" else srv.anthropic_url
    return PooledProvider(kind, "gpt-4o-mini" if kind == "openai" else "claude-3-5-haiku-latest", url, timeout,
                          concurrency, workers)


def run(provider, tmp_path, reqs, **settings):
    return run_engine(None, tmp_path, reqs, provider=provider, **settings)


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a child of ours that exited is a zombie until reaped
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_workers_give_the_same_answers_and_share_the_cache_with_one_process(server, tmp_path, kind):
    provider = pooled(server, kind, workers=3)
    pids = provider.pids
    engine, results = run(provider, tmp_path, requests(30), max_concurrency=12)
    assert sorted(r.output.answer for r in results) == sorted(f"echo q {i}" for i in range(30))
    assert all(r.status == "ok" and not r.cached for r in results)
    assert len(server.requests) == 30 and engine.stats.sent == 30
    assert all(w.calls > 0 for w in provider.workers) and sum(w.calls for w in provider.workers) == 30
    assert provider.local_calls == 0
    assert all(gone(pid) for pid in pids)  # closed with the run
    # The cache key does not depend on where the call ran: one process finds every answer.
    url = server.openai_url if kind == "openai" else server.anthropic_url
    one = create_provider(kind, provider.model, url)
    engine, results = run(one, tmp_path, requests(30))
    assert engine.stats.cached == 30 and engine.stats.sent == 0 and len(server.requests) == 30


def test_faults_in_workers_are_handled_as_in_one_process(server, tmp_path):
    # 429 with Retry-After: retried after the wait; one refusal leaves the gate (it lives in the parent).
    server.inject({"status": 429, "retry_after": 1})
    engine, results = run(pooled(server), tmp_path, requests(1, "a"), max_concurrency=8)
    log = server.requests
    assert [r.status for r in log] == [429, 200] and log[1].time - log[0].time >= 0.95
    assert results[0].status == "ok" and engine.gate.decreases == 0 and engine.stats.errors["rate_limited"] == 1
    # Schema-invalid output: re-asked inside the worker, then kept as a rejection with the raw output.
    bad = {"payload": {"answer": "   "}}
    server.inject(bad, bad, bad)
    engine, results = run(pooled(server), tmp_path, requests(1, "b"), max_reasks=2)
    (r,) = results
    assert r.status == "rejected" and "answer must not be empty" in r.reason and '"   "' in r.raw
    assert engine.stats.sent == 3 and len(server.requests) == 5
    # Truncated JSON: re-asked and recovered.
    server.inject({"truncated": True})
    engine, results = run(pooled(server), tmp_path, requests(1, "c"))
    assert results[0].output.answer == "echo c 0" and engine.stats.errors["re-asked"] == 1
    # 401: one clear message, no retry.
    server.inject({"status": 401})
    with pytest.raises(FatalProviderError, match=r"HTTP 401.*not retried"):
        run(pooled(server), tmp_path, requests(1, "d"))
    assert len(server.requests) == 8


def test_rate_limit_is_global_across_workers(server, tmp_path):
    run(pooled(server, workers=3), tmp_path, requests(35), requests_per_minute=10, rate_window=1.0,
        max_concurrency=20)
    times = sorted(r.time for r in server.requests)
    assert len(times) == 35
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 10


def test_rate_limit_headers_seen_by_workers_reach_the_limiter(server, tmp_path):
    server.state.headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"}
    run(pooled(server), tmp_path, requests(2), max_concurrency=1)
    t = [r.time for r in server.requests]
    assert t[1] - t[0] >= 0.95


def test_a_worker_killed_mid_call_has_its_calls_retried_by_the_others(tmp_path):
    with LoopbackServer(echo, latency=0.3) as srv:
        provider = pooled(srv, workers=2, concurrency=8)
        victim = provider.pids[0]

        def kill_soon(result):
            if result.request.tag == 0:
                os.kill(victim, signal.SIGKILL)

        engine = Engine(provider, Ledger(tmp_path / "ledger.sqlite"), EngineConfig(**FAST, max_concurrency=8))
        results = []
        engine.run_sync(requests(24), lambda r: (results.append(r), kill_soon(r)))
        engine.ledger.close()
    assert sorted(r.request.tag for r in results if r.status == "ok") == list(range(24))
    assert engine.stats.errors["worker_died"] >= 1
    assert provider.workers[0].alive is False and provider.workers[1].calls > 12


def test_when_every_worker_is_gone_the_calls_go_on_in_the_parent(tmp_path, caplog):
    with LoopbackServer(echo, latency=0.2) as srv:
        provider = pooled(srv, workers=2, concurrency=4)

        def kill_all(result):
            if result.request.tag == 0:
                for pid in provider.pids:
                    os.kill(pid, signal.SIGKILL)

        engine = Engine(provider, Ledger(tmp_path / "ledger.sqlite"), EngineConfig(**FAST, max_concurrency=4))
        results = []
        engine.run_sync(requests(16), lambda r: (results.append(r), kill_all(r)))
        engine.ledger.close()
    assert sorted(r.request.tag for r in results if r.status == "ok") == list(range(16))
    assert provider.local_calls > 0 and not any(w.alive for w in provider.workers)
    assert "every worker process has ended" in caplog.text


def test_runtime_built_judge_model_is_rebuilt_in_workers_and_local_classes_run_in_the_parent(tmp_path):
    scores = {d: 4 for d in DEFAULT_RUBRIC.dimensions} | {"rationale": "fine"}

    class Local(BaseModel):  # defined in a function: cannot be sent, so it is called in the parent
        answer: str

    with LoopbackServer(lambda kind, body: scores if "Score" in str(body) else {"answer": "hi"}) as srv:
        assert judge_model(DEFAULT_RUBRIC) is judge_model(DEFAULT_RUBRIC)
        reqs = [LLMRequest([{"role": "user", "content": f"Score {i}"}], judge_model(DEFAULT_RUBRIC)) for i in range(6)]
        reqs += [LLMRequest([{"role": "user", "content": f"plain {i}"}], Local) for i in range(3)]
        provider = pooled(srv)
        _, results = run(provider, tmp_path, reqs)
    assert all(r.status == "ok" for r in results) and len(results) == 9
    judged = [r.output for r in results if hasattr(r.output, "rationale")]
    assert len(judged) == 6 and all(o.rationale == "fine" for o in judged)
    assert sum(w.calls for w in provider.workers) == 6 and provider.local_calls == 3


def test_worker_count_auto_and_session_settings(server, tmp_path):
    assert worker_count(3, 50) == 3 and worker_count(1, 500) == 1
    assert worker_count(0, 16) == 1 and worker_count(0, 50) == min(len(os.sched_getaffinity(0)) + 1, 3)
    settings = EngineConfig(**FAST, ledger=tmp_path / "l.sqlite", workers=2, max_concurrency=8)
    session = EngineSession("openai", "gpt-4o-mini", server.openai_url, settings)
    results = []
    session.run(requests(10), results.append, total=10)
    session.close()
    assert len(results) == 10 and session.totals.sent == 10


PARENT = textwrap.dedent("""
    import sys, time
    from factory.config import EngineConfig
    from factory.llm.ledger import Ledger
    from factory.llm.engine import Engine
    from factory.llm.workers import PooledProvider
    from tests.helpers.llm import requests
    provider = PooledProvider("openai", "gpt-4o-mini", sys.argv[1], 30.0, 4, 2)
    print(*provider.pids, flush=True)
    engine = Engine(provider, Ledger(sys.argv[2]), EngineConfig(max_concurrency=4))
    engine.run_sync(requests(60), lambda r: print("done", r.request.tag, flush=True))
""")


def test_parent_killed_with_9_takes_its_workers_along_and_a_rerun_sends_only_the_rest(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    with LoopbackServer(echo, latency=0.1) as srv:
        proc = subprocess.Popen([sys.executable, "-c", PARENT, srv.openai_url, str(ledger)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        pids = [int(p) for p in proc.stdout.readline().split()]
        done = 0
        while done < 10:  # some answers are committed, many are not
            assert proc.stdout.readline().startswith("done")
            done += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert all(gone(pid) for pid in pids), "workers outlived their parent"
        committed = len(Ledger(ledger).completed_keys())
        assert 10 <= committed < 60
        sent_before = len(srv.requests)
        engine, results = run(pooled(srv), tmp_path, requests(60))
    assert engine.stats.cached == committed and engine.stats.sent == 60 - committed
    assert len(srv.requests) - sent_before == 60 - committed
    assert sorted(r.request.tag for r in results) == list(range(60))
    answered = json.dumps(sorted(r.output.answer for r in results))
    assert answered == json.dumps(sorted(f"echo q {i}" for i in range(60)))


def test_spawned_workers_as_on_macos_and_windows(server, tmp_path):
    # Not forked: a fresh interpreter that imports what it needs and gets its socket passed.
    provider = PooledProvider("openai", "gpt-4o-mini", server.openai_url, 30.0, 8, 2, start_method="spawn")
    _, results = run(provider, tmp_path, requests(8), max_concurrency=8)
    assert sorted(r.output.answer for r in results) == sorted(f"echo q {i}" for i in range(8))
    assert provider.local_calls == 0 and sum(w.calls for w in provider.workers) == 8


def test_a_model_a_spawned_worker_cannot_import_runs_in_the_parent_and_the_worker_lives(server, tmp_path, caplog):
    # A class the parent can pickle by reference from a module that exists only in the parent,
    # as a script's __main__ is for a spawned worker.
    module = types.ModuleType("factory_parent_only_models")
    ns: dict = {}
    exec("from pydantic import BaseModel\nclass Note(BaseModel):\n    answer: str\n", ns)
    ns["Note"].__module__ = module.__name__
    module.Note = ns["Note"]
    sys.modules[module.__name__] = module
    try:
        provider = PooledProvider("openai", "gpt-4o-mini", server.openai_url, 30.0, 8, 2, start_method="spawn")
        reqs = [LLMRequest([{"role": "user", "content": f"n {i}"}], module.Note) for i in range(4)]
        _, results = run(provider, tmp_path, reqs + requests(4), max_concurrency=1)
    finally:
        del sys.modules[module.__name__]
    assert all(r.status == "ok" for r in results) and len(results) == 8
    assert provider.local_calls == 4 and sum(w.calls for w in provider.workers) == 5  # 1 bounced + 4 others
    assert "cannot load response model Note" in caplog.text


GATEWAY_PLUGIN = '''
"""A team's own provider: their OpenAI-compatible gateway, found through an environment variable."""
import os

from factory import hookimpl
from factory.registry import ProviderFactory


def create(model=None, base_url=None, timeout=120.0, max_connections=16):
    from factory.llm import create_provider

    return create_provider("openai-compatible", model or "gateway-default", base_url or os.environ["GATEWAY_URL"],
                           timeout=timeout, max_connections=max_connections)


@hookimpl
def register_providers(register):
    register(ProviderFactory("gateway", create, "our OpenAI-compatible gateway"))
'''


def test_a_plugin_provider_serves_generate_score_and_workers(tmp_path):
    from tests.helpers.llm import KEY, by_request, good_record, write_lines

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "gateway.py").write_text(GATEWAY_PLUGIN)
    with LoopbackServer(by_request) as srv:
        env = {**os.environ, "GATEWAY_URL": srv.openai_url, "OPENAI_API_KEY": KEY, "HF_HUB_OFFLINE": "1"}

        def cli(*args):
            return subprocess.run([sys.executable, "-m", "factory.cli.main", "--plugins-dir", str(plugins), *args],
                                  cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)

        proc = cli("generate", "tool_core", "--count", "16", "--provider", "gateway", "--out", "data",
                   "--workers", "2")
        assert proc.returncode == 0, proc.stderr
        assert "by 2 worker processes" in proc.stdout and len(srv.requests) > 0
        assert all(r.body["model"] == "gateway-default" for r in srv.requests)
        assert len((tmp_path / "data" / "tool_core.jsonl").read_text().splitlines()) == 16
    with LoopbackServer(lambda kind, body: {d: 4 for d in DEFAULT_RUBRIC.dimensions}) as srv:
        env["GATEWAY_URL"] = srv.openai_url
        src = write_lines(tmp_path / "in.jsonl", [good_record(i) for i in range(3)])
        proc = cli("score", str(src), "--judge", "gateway:judge-1")
        assert proc.returncode == 0, proc.stderr
        assert "3 scored" in proc.stdout and [r.body["model"] for r in srv.requests] == ["judge-1"] * 3
    proc = cli("score", str(src), "--judge", "nowhere:m")
    assert proc.returncode != 0 and "unknown LLM provider 'nowhere'" in proc.stderr and "gateway" in proc.stderr
