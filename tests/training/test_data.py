"""Training rows from factory records and TRL rows; stage defaults and YAML configs."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from factory.errors import InputError
from factory.store.jsonl import JsonlWriter
from factory.training.config import TrainConfig, load_yaml_config
from factory.training.data import balanced_sample, load_training_rows, to_dataset
from factory.training.tiny import smoke_negatives, smoke_records


def _write(path, rows):
    with JsonlWriter(path) as w:
        for row in rows:
            w.write(row if isinstance(row, bytes) else json.dumps(row).encode())


def test_every_line_is_kept_or_rejected_with_file_line_and_reason(tmp_path):
    good = [r.to_json() for r in smoke_records(6)]
    negative = smoke_records(1)[0].model_copy(update={"label": False}).to_json()
    trl_row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    _write(tmp_path / "mix.jsonl", [*good, negative, trl_row, {"prompt": "no messages"}])
    (tmp_path / "mix.jsonl").open("a").write("{not json\n")
    rows, report = load_training_rows([tmp_path], None, seed=0)
    assert (report.read, report.kept, len(report.rejected)) == (10, 7, 3)
    assert report.read == report.kept + len(report.rejected)
    reasons = "\n".join(report.rejected)
    assert f"{tmp_path / 'mix.jsonl'}:7: label is not true (negatives go to kto/dpo)" in reasons
    assert ":9: expected an object with a 'messages' list" in reasons
    assert ":10: not valid JSON" in reasons
    assert len(rows) == 7


def test_records_become_the_rows_of_the_trl_export(tmp_path):
    from factory.export.base import ExportContext
    from factory.export.formats import trl_rows

    records = smoke_records(3)
    _write(tmp_path / "tool_core.jsonl", [r.to_json() for r in records])
    _write(tmp_path / "tool_neg.jsonl", [r.to_json() for r in smoke_negatives(2)])
    rows, report = load_training_rows([tmp_path], None, seed=0)
    exported = [next(iter(trl_rows(r.to_dict(), ExportContext()))) for r in records]
    assert sorted(json.dumps(r["messages"]) for r in rows) == sorted(
        json.dumps(e["messages"]) for e in exported
    )
    assert all(
        isinstance(
            r["messages"][-1].get("tool_calls", [{}])[0].get("function", {}).get("arguments", {}), dict
        )
        for r in rows
    )
    assert len(report.rejected) == 2 and all("negatives go to kto/dpo" in r for r in report.rejected)


def test_openai_rows_with_string_arguments_are_decoded_to_dicts(tmp_path):
    row = {
        "messages": [
            {"role": "user", "content": "a"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "1",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": '{"filepath": "a.py"}'},
                    }
                ],
            },
        ]
    }
    _write(tmp_path / "openai.jsonl", [row])
    rows, _ = load_training_rows([tmp_path], None, seed=0)
    assert rows[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"filepath": "a.py"}
    assert rows[0]["messages"][1]["content"] == ""


def test_eval_file_in_a_data_directory_is_not_trained_on(tmp_path):
    _write(tmp_path / "tool_core.jsonl", [r.to_json() for r in smoke_records(3)])
    _write(tmp_path / "eval.jsonl", [r.to_json() for r in smoke_records(5, seed=9)])
    rows, report = load_training_rows([tmp_path], None, seed=0)
    assert report.read == 3 and len(rows) == 3


def test_missing_data_path_names_the_path():
    with pytest.raises(InputError, match=r"nowhere.jsonl: no such file"):
        load_training_rows(["nowhere.jsonl"], None, seed=0)


def test_balanced_sample_spreads_the_limit_over_categories():
    rows = [{"category": "big", "i": i} for i in range(500)] + [
        {"category": "small", "i": i} for i in range(20)
    ]
    picked = balanced_sample(iter(rows), 60, seed=1)
    counts = Counter(r["category"] for r in picked)
    assert counts == {"big": 40, "small": 20}
    assert balanced_sample(iter(rows), 60, seed=1) == picked  # seeded


def test_dataset_keeps_each_rows_own_argument_keys(tmp_path):
    rows = [
        {
            "messages": [
                {"role": "user", "content": "a"},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "type": "function",
                            "function": {"name": "read_file", "arguments": {"filepath": "a.py"}},
                        }
                    ],
                },
            ],
            "tools": [{"type": "function", "function": {"name": "read_file"}}],
            "category": "x",
        },
        {
            "messages": [
                {"role": "user", "content": "b"},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "type": "function",
                            "function": {"name": "grep_search", "arguments": {"query": "q", "n": 3}},
                        }
                    ],
                },
            ],
            "tools": [],
            "category": "x",
        },
    ]
    ds = to_dataset(rows)
    assert ds[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"filepath": "a.py"}
    assert ds[1]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"query": "q", "n": 3}
    assert ds[1]["tools"] == []


def test_stage_defaults_follow_the_checklist():
    full = TrainConfig(model="m", stage="full").resolved()
    assert (
        full.lora_r,
        full.lora_alpha,
        full.lora_dropout,
        full.max_length,
        full.grad_accum,
        full.max_records,
    ) == (8, 16, 0.05, 2048, 16, None)
    dry = TrainConfig(model="m", stage="dry-run").resolved()
    assert (dry.max_records, dry.batch_size, dry.max_length) == (100, 1, 512)
    mini = TrainConfig(model="m", stage="mini", grad_accum=12).resolved()
    assert (mini.max_records, mini.grad_accum) == (2500, 12)
    assert str(mini.adapter_dir) == "outputs/mini-m/lora"


def test_yaml_config_is_read_and_unknown_keys_are_named(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("stage: mini\nlearning-rate: 1.0e-4\ndata: data/\n")
    assert load_yaml_config(path) == {"stage": "mini", "learning_rate": 1e-4, "data": ["data/"]}
    path.write_text("stage: mini\nlearning_rte: 1\n")
    with pytest.raises(InputError, match=r"train.yaml: unknown option 'learning_rte'"):
        load_yaml_config(path)


def test_train_command_reads_yaml_and_flags_on_the_line_win(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from factory.cli.training_commands import train_command
    from factory.training.tiny import build_tiny_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    records = smoke_records(9)
    _write(tmp_path / "data" / "train.jsonl", [r.to_json() for r in records])
    model = build_tiny_model(tmp_path / "tiny", [json.dumps(r.to_dict()) for r in records])
    (tmp_path / "train.yaml").write_text(
        f"model: {model}\ndata: {tmp_path / 'data'}\nmax-length: 100\nrun-name: from-yaml\n"
        f"output-dir: {tmp_path / 'outputs'}\n"
    )
    result = CliRunner().invoke(
        train_command,
        ["--config-file", str(tmp_path / "train.yaml"), "--stage", "sanity", "--max-length", "512"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "outputs" / "from-yaml" / "sanity.json").read_text())
    assert report["max_length"] == 512 and report["kept"] == 9 and report["ok"]


def test_training_commands_load_without_torch_or_transformers():
    import subprocess
    import sys

    code = (
        "import sys, factory.cli.training_commands; "
        "print(sorted(m for m in ('torch', 'transformers', 'trl', 'peft', 'datasets') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
