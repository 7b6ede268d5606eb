"""`factory export`: every format from real merged records, arguments round-tripped per format, and the
self-checks (TRL is_conversational, chat-template renders, loss masks, OpenAI format checks) catching
broken rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from factory.export.base import ExportContext, SideRow, run_export
from factory.export.checks import (
    CheckReport,
    check_conversational_file,
    check_mlx_file,
    check_sharegpt_file,
    openai_row_errors,
)
from factory.export.formats import FORMATS, TOOLS_IN_ALPACA, alpaca_rows, sharegpt_rows
from factory.export.llamafactory import parse_function_call, sharegpt_turn_error
from factory.merge.dataset import MergeOptions, inputs_from, merge
from factory.quality.tokens import load_tokenizer
from factory.score.scoring import view_record
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
    tools_as_text = {**good, "tools": json.dumps(good["tools"])}
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in (good, double, {"text": "plain"}, tools_as_text)) + b"\n")
    report = CheckReport()
    check_conversational_file(path, tok, report)
    assert report.kinds["arguments not a dict"] == 1 and report.kinds["not conversational (TRL is_conversational)"] == 1
    assert report.kinds["tools not a list of {type, function: {name, parameters}}"] == 1
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


def test_sharegpt_files_follow_llamafactory_rules_with_negatives_only_in_kto(merged, tmp_path):
    rep, paths = _export(merged, "sharegpt", tmp_path)
    out = paths["train"].parent
    assert rep["checks"]["failures"] == {} and rep["checks"]["checked"] > 40
    sft = _rows(paths["train"]) + _rows(paths["eval"])
    kto = _rows(out / "kto_train.jsonl") + _rows(out / "kto_eval.jsonl")
    assert all(sharegpt_turn_error(r["conversations"]) == "" for r in sft + kto)
    assert all("label" not in r for r in sft)
    assert {r["label"] for r in kto} == {True, False} and sum(not r["label"] for r in kto) == 10 + 10
    calls = [c for r in sft for t in r["conversations"] if t["from"] == "function_call"
             for c in parse_function_call(t["value"])[1]]
    assert calls and all(isinstance(c["arguments"], dict) for c in calls)
    assert all(isinstance(json.loads(r["tools"]), list) for r in sft if r["tools"])
    skipped = rep["splits"]["train"]["skipped"]
    assert skipped["label is not true (in kto_*.jsonl only)"] > 0
    info = json.loads((out / "dataset_info.json").read_text())
    assert set(info) == {"factory_sft", "factory_sft_eval", "factory_kto", "factory_kto_eval"}
    assert info["factory_kto"]["columns"]["kto_tag"] == "label" and info["factory_sft"]["file_name"] == "train.jsonl"
    assert all(entry["formatting"] == "sharegpt" for entry in info.values())


def _call(i: int, name: str, **args) -> dict:
    return {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": args}}


TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in ("read", "grep")]


def test_sharegpt_puts_text_and_calls_in_one_turn_and_parallel_results_in_one_observation():
    record = {"id": "r1", "category": "agentic", "label": True, "tools": TOOLS, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Where is apply_discount used?"},
        {"role": "assistant", "content": "Searching both trees.",
         "tool_calls": [_call(1, "grep", pattern="apply_discount"), _call(2, "read", path="a.py")]},
        {"role": "tool", "tool_call_id": "c1", "content": "a.py:3"},
        {"role": "tool", "tool_call_id": "c2", "content": "def apply_discount(): ..."},
        {"role": "assistant", "content": "Only a.py:3 uses it."}]}
    rows = list(sharegpt_rows(record, ExportContext()))
    sft, kto = rows[0], [r for r in rows[1:] if isinstance(r, SideRow)]
    assert [t["from"] for t in sft["conversations"]] == ["human", "function_call", "observation", "gpt"]
    call_turn = sft["conversations"][1]["value"]
    assert call_turn.startswith("Searching both trees.\n<tool_call>") and call_turn.endswith("</tool_call>")
    assert parse_function_call(call_turn) == ("Searching both trees.", [
        {"name": "grep", "arguments": {"pattern": "apply_discount"}}, {"name": "read", "arguments": {"path": "a.py"}}])
    # Qwen2.5 renders the two results as two <tool_response> blocks of one user turn
    assert sft["conversations"][2]["value"] == "a.py:3\n</tool_response>\n<tool_response>\ndef apply_discount(): ..."
    assert sft["system"] == "Be brief." and [t["name"] for t in json.loads(sft["tools"])] == ["read", "grep"]
    assert len(kto) == 1 and kto[0].stream == "kto" and kto[0].row["label"] is True
    view = view_record(sft)  # `factory score` reads the export back: the same calls and results
    assert [m["role"] for m in view.messages] == ["user", "assistant", "tool", "tool", "assistant"]
    assert [c["function"]["arguments"] for c in view.messages[1]["tool_calls"]] == [
        {"pattern": "apply_discount"}, {"path": "a.py"}]
    assert view.messages[1]["content"] == "Searching both trees." and view.messages[3]["content"].startswith("def ")
    other = next(iter(sharegpt_rows(record, ExportContext(tokenizer="deepseek"))))
    assert other["conversations"][2]["value"] == "a.py:3\n\ndef apply_discount(): ..."
    two_answers = {**record, "messages": [*record["messages"], {"role": "assistant", "content": "Also b.py."}]}
    assert next(iter(sharegpt_rows(two_answers, ExportContext()))).startswith("turn 4 is gpt where LLaMA-Factory")


def test_sharegpt_check_fails_each_row_llamafactory_would_drop_or_reject(tmp_path):
    def row(*turns, **extra):
        return {"conversations": [{"from": f, "value": v} for f, v in turns], "system": "", "tools": "", **extra}

    call = json.dumps({"name": "read", "arguments": {"path": "a"}})
    rows = [row(("human", "hi"), ("gpt", "hello")),
            row(("human", "hi"), ("gpt", "Reading."), ("function_call", call), ("observation", "x"), ("gpt", "ok")),
            row(("human", "hi"), ("function_call", call), ("observation", "x"), ("observation", "y"), ("gpt", "ok")),
            row(("human", "hi")),
            row(("human", "hi"), ("function_call", "read(a)")),
            row(("human", "hi"), ("function_call", json.dumps({"name": "read", "arguments": '{"path": "a"}'}))),
            row(("human", "hi"), ("gpt", "no"), label=False)]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = CheckReport()
    check_sharegpt_file(path, report)
    assert report.kinds == {"LLaMA-Factory drops the row": 3, "function_call LLaMA-Factory cannot parse": 1,
                            "double-encoded arguments": 1, "label-false row in an SFT file": 1}
    assert [e.split(": ")[0] for e in report.errors] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7)]
    kto = tmp_path / "kto_train.jsonl"
    kto.write_text(json.dumps(row(("human", "hi"), ("gpt", "ok"))) + "\n")
    check_sharegpt_file(kto, report)
    assert report.kinds["KTO row without a boolean label"] == 1


def test_alpaca_keeps_tool_free_single_turns_with_their_system_prompt(merged, tmp_path):
    rep, paths = _export(merged, "alpaca", tmp_path)
    rows = _rows(paths["train"]) + _rows(paths["eval"])
    assert rows and rep["checks"]["failures"] == {}
    assert set(rows[0]) == {"task_type", "system", "instruction", "input", "output"}
    assert not any("<tool_call>" in r["output"] or "<tool_response>" in r["output"] for r in rows)
    read = sum(r["records_read"] for r in rep["splits"].values())
    skipped = Counter(rep["splits"]["train"]["skipped"]) + Counter(rep["splits"]["eval"]["skipped"])
    assert skipped[TOOLS_IN_ALPACA] > 0 and read == len(rows) + sum(skipped.values())
    record = {"category": "style_core", "label": True, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": "7."}]}
    assert list(alpaca_rows(record, ExportContext())) == [
        {"task_type": "style_core", "system": "Be brief.", "instruction": "Name a prime.", "input": "", "output": "7."}]
    info = json.loads((paths["train"].parent / "dataset_info.json").read_text())
    assert info["factory_alpaca"]["columns"]["system"] == "system"


def test_mlx_turns_train_every_call_under_mask_prompt(merged, tmp_path):
    rep, paths = _export(merged, "mlx", tmp_path)
    whole = rep["checks"]["notes"]["mlx --mask-prompt"]
    assert paths["eval"].name == "valid.jsonl" and rep["checks"]["failures"] == {}
    rep, paths = _export(merged, "mlx-turns", tmp_path)
    turns = rep["checks"]["notes"]["mlx --mask-prompt"]
    assert rep["checks"]["failures"] == {}
    rows = _rows(paths["train"]) + _rows(paths["eval"])
    assert all(r["messages"][-1]["role"] == "assistant" for r in rows)
    total_calls = whole["trained_calls"] + whole["earlier_calls_not_trained"]
    assert whole["earlier_calls_not_trained"] > 0 and turns["trained_calls"] == total_calls
    assert turns["trained_turns"] == whole["trained_turns"] + whole["earlier_turns_not_trained"] == len(rows)


def test_mlx_check_fails_mixed_row_kinds_and_an_untrainable_last_message(tmp_path):
    path = tmp_path / "train.jsonl"
    rows = [{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
            {"text": "plain"}, {"messages": [{"role": "user", "content": "a"}]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = CheckReport()
    check_mlx_file(path, report)
    assert report.kinds == {"row kind differs from the file's first row": 1, "last message is not an assistant turn": 1}


def test_fim_layouts(merged, tmp_path):
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


def test_a_format_with_a_second_file_per_split_writes_it_reports_it_and_leaves_no_stale_copy(merged, tmp_path):
    from factory.registry import Exporter

    def rows(record, ctx, side=True):
        yield {"id": record["id"]}
        if side and record.get("label") is False:
            yield SideRow("negatives", {"id": record["id"]})

    def exporter(side):
        return Exporter("pairs", "ids, negatives beside them", lambda r, c: rows(r, c, side),
                        files={"train": "train.jsonl", "eval": "eval.jsonl", "negatives:train": "neg.jsonl"},
                        metadata=lambda report: {"info.json": {s: r.get("streams", {}) for s, r in report["splits"].items()}})

    _data, splits, _originals = merged
    report = run_export(exporter(True), {"train": splits["train"]}, tmp_path)
    negatives = [r["id"] for r in _rows(splits["train"]) if r.get("label") is False]
    assert negatives and [r["id"] for r in _rows(tmp_path / "neg.jsonl")] == negatives
    assert report["splits"]["train"]["streams"]["negatives"]["rows_written"] == len(negatives)
    assert json.loads((tmp_path / "info.json").read_text())["train"]["negatives"]["path"] == str(tmp_path / "neg.jsonl")
    run_export(exporter(False), {"train": splits["train"]}, tmp_path)
    assert not (tmp_path / "neg.jsonl").exists()  # the second export has no negatives file: no stale one stays
