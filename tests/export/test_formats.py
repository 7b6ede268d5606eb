"""`factory export`: every format from real merged records, arguments round-tripped per format, and the
self-checks (TRL is_conversational, chat-template renders, loss masks, OpenAI format checks) catching
broken rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from factory.export.base import run_export
from factory.export.checks import CheckReport, check_conversational_file, openai_row_errors
from factory.export.formats import FORMATS
from factory.merge.dataset import MergeOptions, inputs_from, merge
from factory.quality.tokens import load_tokenizer
from tests.helpers.datasets import enhanced_pair, fim_record, neg_record, write_category_files

os.environ.setdefault("HF_HUB_OFFLINE", "1")
FACTORY = [sys.executable, "-m", "factory.cli.main"]
BY_NAME = {f.name: f for f in FORMATS}


def _rows(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """A dataset directory merged like `factory merge` does: categories + enhanced batch + FIM records."""
    root = tmp_path_factory.mktemp("ds")
    data = root / "data"
    write_category_files(data, n_tool=24, n_style=12, n_neg=10, n_guard=6, n_eval=4)
    pairs = [enhanced_pair(i) for i in range(10)]
    (data / "tool_core_low.jsonl").write_bytes(b"".join(orjson.dumps(o) + b"\n" for o, _ in pairs))
    enh = root / "enhanced_batch_001.jsonl"
    enh.write_bytes(b"".join(orjson.dumps(e) + b"\n" for _, e in pairs))
    (data / "fim.jsonl").write_bytes(b"".join(orjson.dumps(fim_record(i)) + b"\n" for i in range(6)))
    res = merge(inputs_from(sorted(data.glob("*.jsonl")), [enh]), data / "merged", MergeOptions(eval_frac=0.2))
    return data, {"train": res.train, "eval": res.eval}, res.originals


def _export(merged, name, tmp_path, tokenizer="qwen2.5"):
    _data, splits, originals = merged
    report = run_export(BY_NAME[name], splits, tmp_path / name, tokenizer, originals=[originals])
    return report, {s: Path(r["path"]) for s, r in report["splits"].items()}


def _source_calls(splits: dict[str, Path]) -> dict[str, dict]:
    return {c["id"]: c["function"]["arguments"] for p in splits.values() for r in _rows(p)
            for m in r["messages"] for c in m.get("tool_calls") or []}


def test_trl_rows_keep_argument_dicts_and_pass_all_self_checks(merged, tmp_path):
    report, paths = _export(merged, "trl", tmp_path)
    checks = report["checks"]
    assert checks["failures"] == {} and checks["supports_tool_calling"] is True
    written = report["splits"]["train"]["rows_written"] + report["splits"]["eval"]["rows_written"]
    assert checks["checked"] == written == checks["mask_verified_with_transformers"] > 40
    rows = _rows(paths["train"]) + _rows(paths["eval"])
    source = _source_calls(merged[1])
    calls = [c for r in rows for m in r["messages"] for c in m.get("tool_calls") or []]
    assert calls and all(c["function"]["arguments"] == source[c["id"]] for c in calls)
    assert all(m["content"] == "" for r in rows for m in r["messages"] if m.get("tool_calls"))
    assert report["splits"]["train"]["skipped"]["label is not true (negatives go to kto/dpo)"] > 0
    assert all(r["tools"] for r in rows if any(m.get("tool_calls") for m in r["messages"]))


def test_trl_rows_are_accepted_by_trl_apply_chat_template_and_datasets(merged, tmp_path):
    from datasets import Dataset
    from trl.data_utils import apply_chat_template

    tok = load_tokenizer("qwen2.5")
    tok.tokenizer.chat_template = tok.chat_template
    for name in ("trl", "trl-prompt-completion", "dpo", "kto"):
        _report, paths = _export(merged, name, tmp_path)
        rows = _rows(paths["train"])
        for row in rows[:20]:
            out = apply_chat_template(dict(row), tok.tokenizer, tools=row.get("tools"))
            text = "".join(v for v in out.values() if isinstance(v, str))
            assert "<|im_start|>assistant" in text or "<tool_call>" in text
        ds = Dataset.from_list(rows, on_mixed_types="use_json")
        assert len(ds) == len(rows)


def test_openai_rows_use_json_string_arguments_and_pass_cookbook_checks(merged, tmp_path):
    report, paths = _export(merged, "openai", tmp_path)
    assert report["checks"]["failures"] == {}
    rows = _rows(paths["train"])
    source = _source_calls(merged[1])
    calls = [c for r in rows for m in r["messages"] for c in m.get("tool_calls") or []]
    assert calls and all(json.loads(c["function"]["arguments"]) == source[c["id"]] for c in calls)
    assert all(isinstance(r["parallel_tool_calls"], bool) for r in rows if "tools" in r)
    assert all(m["content"] is None for r in rows for m in r["messages"] if m.get("tool_calls"))


def test_openai_checks_catch_double_encoding_unknown_tools_and_bad_rows():
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "ls", "arguments": '{"dirPath": "."}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "a.py"}, {"role": "assistant", "content": "One file."}],
        "tools": [{"type": "function", "function": {"name": "ls", "parameters": {"type": "object"}}}]}
    assert openai_row_errors(good) == []
    double = orjson.loads(orjson.dumps(good))
    double["messages"][1]["tool_calls"][0]["function"]["arguments"] = json.dumps('{"dirPath": "."}')
    unknown = orjson.loads(orjson.dumps(good))
    unknown["messages"][1]["tool_calls"][0]["function"]["name"] = "rm"
    kinds = {name: {k for k, _ in openai_row_errors(row)} for name, row in {
        "double": double, "unknown": unknown, "list": [1], "no_assistant": {"messages": [{"role": "user", "content": "x"}]},
        "bad_key": {"messages": [{"role": "user", "content": "x", "extra": 1}, {"role": "assistant", "content": "y"}]},
        "orphan": {"messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "z", "content": "r"},
                                {"role": "assistant", "content": "y"}]}}.items()}
    assert kinds == {"double": {"arguments_not_json_object"}, "unknown": {"unknown_tool"}, "list": {"data_type"},
                     "no_assistant": {"example_missing_assistant_message"}, "bad_key": {"message_unrecognized_key"},
                     "orphan": {"tool_result_without_call"}}


def test_conversational_check_names_file_and_line_of_broken_rows(tmp_path):
    tok = load_tokenizer("qwen2.5")
    rec = neg_record(1)
    correct = rec["meta"]["defect"]["correct"]
    good = {"messages": [rec["messages"][0], {"role": "assistant", "content": "", "tool_calls": correct}],
            "tools": rec["tools"]}
    double = orjson.loads(orjson.dumps(good))
    fn = double["messages"][1]["tool_calls"][0]["function"]
    fn["arguments"] = json.dumps(fn["arguments"])
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in (good, double, {"text": "plain"})) + b"\n")
    report = CheckReport()
    check_conversational_file(path, tok, report)
    assert report.kinds["arguments not a dict"] == 1 and report.kinds["not conversational (TRL is_conversational)"] == 1
    assert any(e.startswith(f"{path}:2: ") for e in report.errors)
    assert any(e.startswith(f"{path}:3: not conversational") for e in report.errors)


def test_dpo_and_kto_pair_defects_and_enhanced_versions(merged, tmp_path):
    report, paths = _export(merged, "dpo", tmp_path)
    rows = _rows(paths["train"]) + _rows(paths["eval"])
    defect_rows = [r for r in rows if r["rejected"][0].get("tool_calls")]
    assert len(defect_rows) == 10  # every tool_neg record
    for r in defect_rows:
        assert r["chosen"][0]["tool_calls"][0]["function"]["arguments"]["contents"].startswith("# Release")
        assert "contents" not in r["rejected"][0]["tool_calls"][0]["function"]["arguments"]
    assert len(rows) - len(defect_rows) == 8  # enhanced pairs that kept their prompt (2 of 10 rewrote it)
    skipped = {**report["splits"]["train"]["skipped"], **report["splits"]["eval"]["skipped"]}
    assert "enhanced record changed the prompt: no DPO pair" in skipped
    assert report["checks"]["failures"] == {}
    _report, kpaths = _export(merged, "kto", tmp_path)
    krows = _rows(kpaths["train"]) + _rows(kpaths["eval"])
    assert sum(not r["label"] for r in krows) == 10 + 10  # defect sides + originals of enhanced records
    assert {type(r["label"]) for r in krows} == {bool}


def test_sharegpt_alpaca_mlx_and_fim_layouts(merged, tmp_path):
    source = _source_calls(merged[1])
    rep, paths = _export(merged, "sharegpt", tmp_path)
    rows = _rows(paths["train"])
    calls = [json.loads(t["value"]) for r in rows for t in r["conversations"] if t["from"] == "function_call"]
    assert calls and all(isinstance(c["arguments"], dict) for c in calls)
    assert {r["label"] for r in rows} == {True, False} and rep["checks"]["failures"] == {}
    assert all(isinstance(json.loads(r["tools"]), list) for r in rows if "tools" in r)
    rep, paths = _export(merged, "alpaca", tmp_path)
    rows = _rows(paths["train"])
    assert set(rows[0]) == {"task_type", "instruction", "input", "output"} and rep["checks"]["failures"] == {}
    tool_rows = [r for r in rows if "<tool_call>" in r["output"]]
    assert tool_rows and json.loads(tool_rows[0]["output"].split("<tool_call>\n")[1].split("\n</tool_call>")[0])[
        "arguments"] in source.values()
    _rep, paths = _export(merged, "mlx", tmp_path)
    assert paths["eval"].name == "valid.jsonl" and "messages" in _rows(paths["eval"])[0]
    for tokenizer, marker in (("qwen2.5", "<|fim_prefix|>"), ("deepseek", "<｜fim▁begin｜>")):
        rep, paths = _export(merged, "fim", tmp_path / tokenizer, tokenizer)
        texts = [r["text"] for p in paths.values() for r in _rows(p)]
        assert len(texts) == 6 and all(t.startswith(marker) for t in texts) and rep["checks"]["failures"] == {}


def test_a_template_without_tool_support_fails_the_sentinel_check(merged, tmp_path):
    from factory.export.checks import sentinel_supports_tool_calling
    from factory.quality.tokens import ChatTokenizer

    qwen = load_tokenizer("qwen2.5")
    plain = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}")
    broken = ChatTokenizer("plain", "other", qwen.tokenizer, plain)
    try:
        assert sentinel_supports_tool_calling(broken) is False
        assert sentinel_supports_tool_calling(qwen) is True
    finally:
        qwen.tokenizer.chat_template = qwen.chat_template


def test_export_cli_writes_each_format_under_data_export(merged):
    data = merged[0]
    res = subprocess.run([*FACTORY, "export", "--data", str(data), "--format", "openai", "--format", "mlx"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert (data / "export" / "openai" / "train.jsonl").exists() and (data / "export" / "mlx" / "valid.jsonl").exists()
    assert "openai: self-checks on" in res.stdout and "passed" in res.stdout
    bad = subprocess.run([*FACTORY, "export", "--data", str(data), "--format", "nope"], capture_output=True,
                         text=True, check=False)
    assert bad.returncode != 0 and "unknown format 'nope'" in bad.stderr
