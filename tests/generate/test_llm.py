"""`factory generate CATEGORY --provider ...`: the LLM generator on a loopback provider through the
real SDKs -- the spec body as system prompt, several examples per call, semantic re-asks, rejects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factory.agents import spec_path
from factory.generate.specs import load_spec
from factory.testing.loopback import LoopbackServer
from tests.helpers.llm import Generating, by_request

KEY = "sk-test-GENERATE-SECRET-77"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY}
    return subprocess.run([sys.executable, "-m", "factory.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)


def rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_llm_generate_uses_the_spec_as_system_prompt_and_a_rerun_sends_nothing(tmp_path, kind):
    with LoopbackServer(Generating()) as srv:
        url = srv.openai_url if kind == "openai" else srv.anthropic_url
        args = ["generate", "tool_core", "--count", "6", "--provider", kind, "--model", "m-test",
                "--base-url", url, "--out", str(tmp_path / "data")]
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        records = rows(tmp_path / "data" / "tool_core.jsonl")
        assert len(records) == 6 and len({r["id"] for r in records}) == 6
        assert all(r["meta"]["provider"] == kind and r["meta"]["model"] == "m-test" for r in records)
        assert all(r["messages"][-1]["tool_calls"][0]["function"]["arguments"]["filepath"] for r in records)
        assert {t["function"]["name"] for t in records[0]["tools"]} >= {"read_file", "grep_search"}
        body = srv.requests[0].body
        system = body["messages"][0]["content"] if kind == "openai" else body["system"]
        assert system.strip() == load_spec(spec_path("tool_core")).body.strip()
        assert "Write 8 distinct" in json.dumps(body["messages"])  # the spec's examples_per_call
        sent = len(srv.requests)
        manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
        assert manifest["files"]["tool_core.jsonl"]["provider"] == kind
        before = (tmp_path / "data" / "tool_core.jsonl").read_bytes()
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 0 and "requests sent 0" in proc.stdout
        assert len(srv.requests) == sent and (tmp_path / "data" / "tool_core.jsonl").read_bytes() == before
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_invalid_calls_are_reasked_then_kept_with_raw_output_in_the_rejects_file(tmp_path):
    (tmp_path / "factory.toml").write_text("[engine]\nmax_concurrency = 1\nmax_reasks = 1\n")
    invented = {"examples": [{"messages": [{"role": "user", "content": "wipe it"}, {"role": "assistant",
                "tool_calls": [{"name": "delete_repository", "arguments": {}}]}]}]}
    wrong_type = {"examples": [{"messages": [{"role": "user", "content": "read lines"}, {"role": "assistant",
                  "tool_calls": [{"name": "read_file_range", "arguments": {"filepath": "a.py", "startLine": "one",
                                                                         "endLine": 9}}]}]}]}
    with LoopbackServer(Generating()) as srv:
        srv.inject({"payload": invented}, {"payload": wrong_type})
        proc = cli("generate", "tool_core", "--count", "1", "--provider", "openai", "--base-url", srv.openai_url,
                   "--out", str(tmp_path / "data"), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        reask = json.dumps(srv.requests[1].body["messages"])
        assert "delete_repository" in reask and "does not offer" in reask
        assert len(srv.requests) == 3  # call 1: answer + 1 re-ask (both invalid); call 2 of the next wave: ok
    (rej,) = rows(tmp_path / "data" / "tool_core.rejects.jsonl")
    assert "wrong_type" in rej["reason"] and "startLine" in rej["reason"] and '"one"' in rej["raw"]
    assert len(rows(tmp_path / "data" / "tool_core.jsonl")) == 1


def test_the_response_model_is_wrapped_for_instructor_once_and_reused() -> None:
    # instructor builds a new pydantic class per call unless the model already is a ResponseSchema;
    # the providers wrap once, which took ~1.4 ms of CPU off every request.
    from instructor.v2.core.function_calls import ResponseSchema
    from pydantic import BaseModel

    from factory.llm.sdk import prepared_model

    class Verdict(BaseModel):
        ok: bool

    wrapped = prepared_model(Verdict)
    assert wrapped is prepared_model(Verdict)
    assert issubclass(wrapped, ResponseSchema) and issubclass(wrapped, Verdict)
    assert wrapped.model_json_schema()["properties"] == Verdict.model_json_schema()["properties"]
    assert prepared_model(wrapped) is wrapped


def test_generate_in_worker_processes_writes_the_same_file_as_one_process(tmp_path):
    with LoopbackServer(by_request) as srv:
        outputs = []
        for workers in ("2", "1"):
            cwd = tmp_path / f"w{workers}"
            cwd.mkdir()
            proc = cli("generate", "tool_core", "--count", "40", "--provider", "openai", "--model", "m-test",
                       "--base-url", srv.openai_url, "--out", str(cwd / "data"), "--workers", workers, cwd=cwd)
            assert proc.returncode == 0, proc.stderr
            assert ("by 2 worker processes" in proc.stdout) == (workers == "2")
            outputs.append((cwd / "data" / "tool_core.jsonl").read_bytes())
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 40
