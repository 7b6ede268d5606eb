"""A rollout through an inference server that is not ours: llama-cpp-python's OpenAI-compatible server
(`factory serve`) running a GGUF that llama.cpp converted. A tiny Qwen2 with the real Qwen2.5 tokenizer
is first taught one exploration trajectory -- the exact requests the rollout loop sends, captured from a
scripted run on loopback: a grep call, then an answer grounded in its result -- so greedy decoding
replays it; then the same rollout runs against the served model: the call comes back as a native
``tool_calls`` entry, is executed in the sandbox, its real result goes back, and the answer passes.
Runs where llama-cpp-python is installed (`factory setup llama`; .ci/run does it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

if os.environ.get("FACTORY_REQUIRE_LLAMA"):  # .ci/run builds it: there a missing build is a failure, not a skip
    import llama_cpp  # noqa: F401
else:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (factory setup llama)")

from factory.config import FactoryConfig
from factory.generate.specs import load_spec
from factory.host import default_registry
from factory.llm.session import EngineSession
from factory.rollout.blueprints import Blueprint
from factory.rollout.loop import Settings
from factory.rollout.run import run_rollouts
from factory.rollout.sandbox import Limits
from factory.sandbox.workspace import FIXTURE_REPO
from factory.testing.agent_scripts import ScriptedAgent, call, say
from factory.testing.loopback import LoopbackServer
from factory.training.gguf import converter_ready
from tests.helpers.cli import ROOT, factory_cli
from tests.helpers.serving import factory_serve

pytestmark = pytest.mark.skipif(not os.environ.get("FACTORY_REQUIRE_LLAMA")
                                and not converter_ready(),
                                reason="the converter is not extracted (factory setup llama)")

SPEC = ROOT / "agents" / "rollout.md"
GREP = {"pattern": "def bearer_token", "output_mode": "files_with_matches"}
ANSWER = "`bearer_token` in `src/shoplite/auth.py` parses the header."


def _task() -> Blueprint:
    return Blueprint(key="bearer", repo=FIXTURE_REPO, prompt="[q] Which function parses the bearer token?",
                     kind="explore", expect=[r"bearer_token", r"auth\.py"])


def _rollout(url: str, model: str, out: Path, tmp: Path):
    cfg = FactoryConfig()
    cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={"ledger": tmp / "ledger.sqlite", "workers": 1})})
    session = EngineSession.from_config(cfg, "openai-compatible", model, url)
    try:
        return run_rollouts(session, [_task()], load_spec(SPEC), default_registry().toolsets["claude_code"],
                            Settings(limits=Limits(timeout=20), max_turns=4, max_tokens=96), out)
    finally:
        session.close()


def test_a_rollout_through_llama_cpps_server_calls_a_tool_and_answers_from_its_result(tmp_path: Path) -> None:
    from factory.training.tiny import build_tiny_qwen

    # 1. the exact requests the loop sends, from a scripted run on loopback
    with LoopbackServer(ScriptedAgent({"q": [call("grep", GREP), say(ANSWER)]})) as srv:
        scripted = _rollout(srv.openai_url, "scripted", tmp_path / "scripted.jsonl", tmp_path / "a")
        bodies = [r.body for r in srv.requests]
    assert scripted.report["passed"] == 1 and len(bodies) == 2
    first, second = bodies
    tools = first["tools"]
    grep_result = next(m for m in second["messages"] if m["role"] == "tool")["content"]
    assert grep_result.strip() == "src/shoplite/auth.py"

    def record(messages: list[dict], reply: dict) -> list[dict]:
        out = []
        for m in [*messages, reply]:
            m = dict(m)
            if m.get("tool_calls"):
                m["tool_calls"] = [dict(c, function=dict(c["function"], arguments=json.loads(c["function"]["arguments"])
                                                           if isinstance(c["function"]["arguments"], str)
                                                           else c["function"]["arguments"])) for c in m["tool_calls"]]
                m["content"] = m.get("content") or ""
            out.append(m)
        return out

    call_turn = {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "grep", "arguments": GREP}}]}
    conversations = [(record(first["messages"], call_turn), tools),
                     (record(second["messages"], {"role": "assistant", "content": ANSWER}), tools)]

    # 2. a tiny model taught that trajectory, converted by llama.cpp and served
    model = build_tiny_qwen(tmp_path / "agent", hidden=64)
    from factory.training.tiny import teach

    teach(model, conversations, steps=300)
    proc = factory_cli("package", "--model", str(model), "--out", str(tmp_path / "gguf"), "--quant", "f16")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gguf = tmp_path / "gguf" / "agent-f16.gguf"
    with factory_serve(gguf, ctx=4096) as url:
        # 3. the same rollout against the served model
        outcome = _rollout(url, "agent-f16", tmp_path / "served.jsonl", tmp_path / "b")
    assert outcome.report["passed"] == 1, outcome.report
    [rec] = [json.loads(line) for line in (tmp_path / "served.jsonl").read_text().splitlines()]
    calls = [c["function"] for m in rec["messages"] for c in m.get("tool_calls") or []]
    assert calls == [{"name": "grep", "arguments": GREP}]  # a native call, executed in the sandbox
    assert next(m for m in rec["messages"] if m["role"] == "tool")["content"].strip() == "src/shoplite/auth.py"
    assert rec["messages"][-1]["content"] == ANSWER
    assert rec["meta"]["provider"] == "openai-compatible" and rec["meta"]["model"] == "agent-f16"
