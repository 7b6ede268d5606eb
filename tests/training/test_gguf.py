"""GGUF for real: a tiny Qwen2 with the real Qwen2.5 tokenizer converted by llama.cpp's own converter,
quantised, checked to carry the chat template it was trained with, run in process, served by
llama-cpp-python's OpenAI-compatible server and evaluated both ways -- with the same answers. Runs where
llama-cpp-python is installed (`factory setup llama`; .ci/run does it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

if os.environ.get("FACTORY_REQUIRE_LLAMA"):  # .ci/run builds it: there a missing build is a failure, not a skip
    import llama_cpp  # noqa: F401
else:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (factory setup llama)")

from factory.training.gguf import (
    converter_ready,
    formatter,
    gguf_responder,
    http_responder,
    load,
    metadata,
    parse_tool_calls,
)
from factory.training.package import hf_chat_template
from tests.helpers.cli import factory_cli
from tests.helpers.serving import factory_serve

pytestmark = pytest.mark.skipif(not os.environ.get("FACTORY_REQUIRE_LLAMA")
                                and not converter_ready(),
                                reason="the converter is not extracted (factory setup llama)")

MESSAGES = [
    {"role": "system", "content": "You are a coding assistant."},
    {"role": "user", "content": "Open src/app.py, then tell me what it does."},
    {"role": "assistant", "content": "",
     "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "read_file",
                                                                   "arguments": {"filepath": "src/app.py"}}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "print('hi')"},
]
TOOLS = [{"type": "function", "function": {"name": "read_file", "description": "Read a file.",
                                           "parameters": {"type": "object",
                                                          "properties": {"filepath": {"type": "string"}},
                                                          "required": ["filepath"]}}}]


SMOKE = 6  # eval items the tiny model is taught to answer, so its answers are worth comparing


def _smoke() -> list[dict]:
    from factory.training.tiny import smoke_records

    return [r.to_dict() for r in smoke_records(SMOKE, seed=3)]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> dict[str, Path]:
    """A tiny Qwen2 with the real Qwen2.5 tokenizer, taught the answers of a few eval items (a random one
    would answer nothing, and every comparison of its answers would hold trivially), then packaged."""
    from factory.training.tiny import build_tiny_qwen, teach

    root = tmp_path_factory.mktemp("gguf")
    model = build_tiny_qwen(root / "tiny-qwen", hidden=64)
    teach(model, [(r["messages"], r["tools"]) for r in _smoke()], steps=300)
    proc = factory_cli("package", "--model", str(model), "--out", str(root / "pkg"), "--quant", "Q8_0,Q4_K_M")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {"model": model, "pkg": root / "pkg", "f16": root / "pkg" / "tiny-qwen-f16.gguf",
            "q8": root / "pkg" / "tiny-qwen-Q8_0.gguf", "q4": root / "pkg" / "tiny-qwen-Q4_K_M.gguf"}


def test_package_converts_quantises_and_keeps_the_chat_template(packaged) -> None:
    sizes = {k: packaged[k].stat().st_size for k in ("f16", "q8", "q4")}
    assert sizes["q4"] < sizes["q8"] < sizes["f16"]
    assert metadata(packaged["q8"])["tokenizer.chat_template"] == hf_chat_template(packaged["model"])
    report = json.loads((packaged["pkg"] / "package_report.json").read_text())
    assert report["chat_template"] == "the model's, word for word" and report["family"] == "qwen"
    assert 'FROM ./tiny-qwen-Q4_K_M.gguf' in (packaged["pkg"] / "Modelfile").read_text()


def test_modelfile_checks_the_gguf_it_names(packaged) -> None:
    pkg = packaged["pkg"]
    ok = factory_cli("modelfile", "--from", "./tiny-qwen-Q8_0.gguf", "--family", "qwen", "--out", str(pkg / "M1"))
    assert ok.returncode == 0, ok.stderr
    wrong = factory_cli("modelfile", "--from", "./tiny-qwen-Q8_0.gguf", "--family", "llama3", "--out", str(pkg / "M2"))
    assert wrong.returncode == 1 and "carries a qwen chat template" in wrong.stderr and not (pkg / "M2").exists()


def test_the_gguf_renders_prompts_exactly_as_the_trained_model_does(packaged) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(packaged["model"])
    trained = tok.apply_chat_template(MESSAGES, tools=TOOLS, add_generation_prompt=True, tokenize=False)
    llm = load(packaged["q8"], n_ctx=512)
    # what a server receives: arguments as JSON text, turned back into an object before rendering
    wire = [dict(m, tool_calls=[dict(c, function=dict(c["function"], arguments=json.dumps(c["function"]["arguments"])))
                                for c in m["tool_calls"]]) if m.get("tool_calls") else m for m in MESSAGES]
    from factory.training.gguf import _object_arguments

    served = formatter(llm)(messages=_object_arguments(wire), tools=TOOLS).prompt
    assert served == trained
    assert '"arguments": {"filepath": "src/app.py"}' in served  # not a JSON string inside JSON


def test_generated_calls_come_back_as_tool_calls() -> None:
    msg = parse_tool_calls({"role": "assistant", "content": 'Reading.\n<tool_call>\n{"name": "read_file", '
                                                            '"arguments": {"filepath": "a.py"}}\n</tool_call>'})
    assert msg["content"] == "Reading."
    assert msg["tool_calls"][0]["function"] == {"name": "read_file", "arguments": '{"filepath": "a.py"}'}
    broken = {"role": "assistant", "content": "<tool_call>{not json</tool_call>"}
    assert parse_tool_calls(broken) == broken


@pytest.fixture(scope="module")
def served(packaged):
    """`factory serve` on the Q8_0 file, on 127.0.0.1, for the module's tests; stopped after them."""
    with factory_serve(packaged["q8"], ctx=2048) as url:
        yield url


def test_the_gguf_reads_back_with_the_gguf_package(packaged) -> None:
    from gguf import GGUFReader

    reader = GGUFReader(str(packaged["q8"]))
    fields = {name: f.contents() for name, f in reader.fields.items() if len(f.types) == 1}
    assert fields["general.architecture"] == "qwen2"
    assert fields["qwen2.block_count"] == 2 and fields["qwen2.embedding_length"] == 64
    assert fields["tokenizer.chat_template"] == hf_chat_template(packaged["model"])
    kinds = {t.name: t.tensor_type.name for t in reader.tensors}
    assert kinds["blk.0.attn_q.weight"] == "Q8_0" and kinds["token_embd.weight"] in ("Q8_0", "F16", "Q6_K")
    assert len(reader.tensors) == 1 + 1 + 2 * 12  # embeddings, output norm, 12 tensors per block


def test_served_and_in_process_answers_agree_and_eval_compares_with_the_source(packaged, served, tmp_path) -> None:
    from openai import OpenAI

    from factory.schemas import Example
    from factory.training.evaluate import decode_calls, item_from_example

    data = tmp_path / "eval.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _smoke()) + "\n")
    items = [item_from_example(Example.model_validate(json.loads(line))) for line in data.read_text().splitlines()]
    local = gguf_responder(packaged["q8"], max_new_tokens=64, n_ctx=2048)
    in_process = [local(i.messages, i.tools) for i in items]
    assert sum(bool(decode_calls(t).calls) for t in in_process) >= 2  # real answers: calls among them
    remote = http_responder(served, "tiny-qwen-Q8_0", max_new_tokens=64)
    assert [remote(i.messages, i.tools) for i in items] == in_process  # the same request model and handler
    # one call through the openai SDK, with tools, as any client would make it: a native tool call back
    sdk = OpenAI(base_url=served, api_key="none")
    first_call = next(i for i in items if i.kind == "tool")
    reply = sdk.chat.completions.create(model="tiny-qwen-Q8_0", messages=first_call.messages, tools=first_call.tools,
                                        max_tokens=64, temperature=0)
    assert reply.choices[0].finish_reason == "tool_calls" and reply.choices[0].message.tool_calls
    proc = factory_cli("eval", "--base-url", served, "--model", "tiny-qwen-Q8_0", "--data", str(data),
                       "--out", str(tmp_path / "served"), "--max-new-tokens", "64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = factory_cli("eval", "--model", str(packaged["q8"]), "--reference", str(packaged["model"]), "--data",
                       str(data), "--out", str(tmp_path / "local"), "--max-new-tokens", "64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = (tmp_path / "local" / "eval_log.md").read_text()
    assert "## Against the reference (tiny-qwen (reference))" in log
    # the guide's bar: the Q8_0 file within one point of the model it came from, on a model that answers
    assert "- tiny-qwen-Q8_0.gguf: PASS" in log, log
    summary = (tmp_path / "local" / "eval_summary.csv").read_text().splitlines()
    overall = {row.split(",")[0]: row for row in summary if ",overall," in row}
    assert overall["tiny-qwen (reference)"].endswith(",1.0000")  # taught: every item passes
    served_rows = (tmp_path / "served" / "eval_summary.csv").read_text().splitlines()[1:]
    local_rows = [r for r in summary[1:] if r.startswith("tiny-qwen-Q8_0.gguf,")]
    assert [r.split(",", 1)[1] for r in served_rows] == [r.split(",", 1)[1] for r in local_rows]


def _ledger_runs(cwd: Path) -> list[dict]:
    import sqlite3

    db = sqlite3.connect(cwd / ".factory" / "ledger.sqlite")
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute("SELECT job, status, sent, cached, ok, rejected FROM runs ORDER BY id")]


def _ledger_requests(cwd: Path) -> list[dict]:
    import sqlite3

    db = sqlite3.connect(cwd / ".factory" / "ledger.sqlite")
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute("SELECT status, reason FROM requests")]


def test_the_provider_path_runs_against_the_served_model(served, tmp_path) -> None:
    # a tiny model's answers are nonsense: what is checked is the accounting -- each request answered,
    # as JSON the server's grammar holds to the response schema (instructor's forced tool call),
    # validated or rejected with a reason, cached; a rerun sends nothing
    cwd = tmp_path / "work"
    cwd.mkdir()
    args = ("generate", "tool_core", "--count", "2", "--provider", "openai-compatible", "--base-url", served,
            "--model", "tiny-qwen-Q8_0", "--data", str(cwd / "data"), "--timeout", "120")
    first = factory_cli(*args, cwd=cwd)
    assert "Traceback" not in first.stderr, first.stderr
    again = factory_cli(*args, cwd=cwd)
    assert again.returncode == first.returncode
    records = tmp_path / "records.jsonl"
    from factory.training.tiny import smoke_records

    records.write_text("\n".join(json.dumps(r.to_dict()) for r in smoke_records(2, seed=5)) + "\n")
    judge = ("score", str(records), "--judge", "openai-compatible:tiny-qwen-Q8_0", "--base-url", served,
             "--out", str(tmp_path / "scored.jsonl"), "--timeout", "120")
    scored = factory_cli(*judge, cwd=cwd)
    assert "Traceback" not in scored.stderr, scored.stderr
    rescored = factory_cli(*judge, cwd=cwd)
    assert rescored.returncode == scored.returncode
    runs = _ledger_runs(cwd)
    sent = 0
    for command in ("score", "generate"):
        mine = [r for r in runs if r["job"].startswith(command)]
        made, rerun = mine[:len(mine) // 2], mine[len(mine) // 2:]  # one run per subcategory, then the rerun's
        total = sum(r["ok"] + r["rejected"] for r in made)  # requests, each answered (sent counts re-asks too)
        assert total > 0 and sum(r["sent"] for r in made) >= total, made
        assert sum(r["sent"] for r in rerun) == 0 and sum(r["cached"] for r in rerun) == total, rerun  # no repeat
        sent += total
    requests = _ledger_requests(cwd)
    assert len(requests) == sent
    assert all(r["status"] == "ok" or (r["status"] == "rejected" and r["reason"]) for r in requests)
