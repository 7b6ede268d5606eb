"""Real training on CPU: a tiny Qwen2-architecture model with a BPE tokenizer trained on the records.

One dry run through the `factory train` command (module fixture) feeds every test: the loss falls
below 1.0 with no NaN, the adapter reloads to identical logits, merges into the base, and the
evaluation scores the adapter above the untrained base.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from factory.store.jsonl import JsonlWriter
from factory.training.tiny import build_tiny_model, smoke_negatives, smoke_records


def _factory(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # One thread: on a shared 2-core machine, torch's spinning worker threads made a 35 s run take 6 min.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "factory.cli.main", *args],
        cwd=cwd,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    """100 mixed records, a tiny model, and one `factory train --stage dry-run` on them."""
    root = tmp_path_factory.mktemp("dry_run")
    records = smoke_records(100, seed=0)
    with JsonlWriter(root / "data" / "train.jsonl") as w:
        for r in records:
            w.write(r.to_json())
    with JsonlWriter(root / "eval.jsonl") as w:
        for r in smoke_records(18, seed=1):
            w.write(r.to_json())
    model = build_tiny_model(root / "tiny", [json.dumps(r.to_dict()) for r in records])
    proc = _factory(
        "train",
        "--stage",
        "dry-run",
        "--model",
        str(model),
        "--data",
        str(root / "data"),
        "--output-dir",
        str(root / "outputs"),
        "--run-name",
        "dry",
        "--epochs",
        "5",
        "--learning-rate",
        "3e-3",
        "--modules-to-save",
        "embed_tokens,lm_head,norm",
        "--logging-steps",
        "10",
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"root": root, "model": model, "run": root / "outputs" / "dry", "stdout": proc.stdout}


def test_dry_run_loss_falls_below_one_without_nan(dry_run):
    summary = json.loads((dry_run["run"] / "train_summary.json").read_text())
    losses = [loss for _, loss in summary["losses"]]
    assert summary["records"] == 100
    assert summary["config"]["max_length"] == 512 and summary["config"]["batch_size"] == 1
    assert all(math.isfinite(loss) for loss in losses)
    assert summary["start_loss"] > 3.0
    assert summary["end_loss"] < 1.0
    assert f"loss {summary['start_loss']:.4f} -> {summary['end_loss']:.4f}" in dry_run["stdout"]


def test_adapter_is_saved_and_reloads_to_identical_logits(dry_run):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = dry_run["run"] / "lora"
    assert (adapter / "adapter_config.json").is_file()
    tok = AutoTokenizer.from_pretrained(adapter)
    ids = tok.apply_chat_template(
        [{"role": "user", "content": "Show me src/app.py."}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )["input_ids"]
    base_logits = AutoModelForCausalLM.from_pretrained(dry_run["model"])(ids).logits
    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(dry_run["model"]), adapter)
    tuned_logits = tuned(ids).logits
    again = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(dry_run["model"]), adapter)(
        ids
    ).logits
    assert not torch.allclose(base_logits, tuned_logits, atol=1e-3)  # training changed the model
    assert torch.equal(tuned_logits, again)


def test_merged_model_matches_the_adapter(dry_run, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    proc = _factory(
        "merge-adapter",
        "--base",
        str(dry_run["model"]),
        "--adapter",
        str(dry_run["run"] / "lora"),
        "--out",
        str(tmp_path / "merged"),
        "--dtype",
        "float32",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    tok = AutoTokenizer.from_pretrained(tmp_path / "merged")
    ids = tok("Find TODO in the code.", return_tensors="pt")["input_ids"]
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")(ids).logits
    tuned = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(dry_run["model"]), dry_run["run"] / "lora"
    )(ids).logits
    assert torch.allclose(merged, tuned, atol=1e-4)


def test_merge_refuses_a_4bit_base_with_the_reason(dry_run, tmp_path):
    import shutil

    base = tmp_path / "base4bit"
    shutil.copytree(dry_run["model"], base)
    config = json.loads((base / "config.json").read_text())
    config["quantization_config"] = {"quant_method": "bitsandbytes", "load_in_4bit": True}
    (base / "config.json").write_text(json.dumps(config))
    proc = _factory(
        "merge-adapter",
        "--base",
        str(base),
        "--adapter",
        str(dry_run["run"] / "lora"),
        "--out",
        str(tmp_path / "merged"),
        cwd=tmp_path,
    )
    assert proc.returncode != 0
    assert "4-bit" in proc.stderr and "16-bit" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "merged").exists()


def test_eval_scores_the_adapter_above_the_base_side_by_side(dry_run):
    out = dry_run["root"] / "eval_out"
    proc = _factory(
        "eval",
        "--model",
        str(dry_run["model"]),
        "--adapter",
        str(dry_run["run"] / "lora"),
        "--data",
        str(dry_run["root"] / "eval.jsonl"),
        "--out",
        str(out),
        "--max-new-tokens",
        "48",
        cwd=dry_run["root"],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (out / "eval_log.md").read_text()
    assert "| metric | bar | base | dry |" in log
    rows = list(__import__("csv").DictReader((out / "eval_summary.csv").open()))
    overall = {r["model"]: r for r in rows if r["group"] == "overall"}
    assert float(overall["dry"]["overall"]) > float(overall["base"]["overall"])
    assert float(overall["dry"]["json_valid"]) >= 0.5  # the adapter learned to emit <tool_call> JSON
    assert {r["group"] for r in rows} >= {"tool_core", "guardrail", "style_core", "overall"}
    items = list(__import__("csv").DictReader((out / "eval_items.csv").open()))
    assert len(items) == 2 * 18


@pytest.mark.slow
@pytest.mark.parametrize("method", ["dpo", "kto"])
def test_preference_refines_the_sft_adapter_on_tool_neg_records(dry_run, method):
    root = dry_run["root"]
    with JsonlWriter(root / "neg" / "tool_neg.jsonl") as w:
        for r in smoke_negatives(12):
            w.write(r.to_json())
    proc = _factory(
        "train",
        "--method",
        method,
        "--model",
        str(dry_run["model"]),
        "--adapter",
        str(dry_run["run"] / "lora"),
        "--data",
        str(root / "neg"),
        "--output-dir",
        str(root / "outputs"),
        "--run-name",
        method,
        "--max-steps",
        "4",
        "--batch-size",
        "2",
        "--learning-rate",
        "1e-3",
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((root / "outputs" / method / "train_summary.json").read_text())
    assert summary["steps"] == 4
    assert summary["tools_in_prompt"] is True  # TRL's own tokenization rendered the offered tools
    assert summary["records"] == (
        12 if method == "dpo" else 24
    )  # KTO: a desirable and an undesirable row each
    assert (root / "outputs" / method / "lora" / "adapter_model.safetensors").is_file()
    assert all(math.isfinite(loss) for _, loss in summary["losses"])


def test_preference_without_an_adapter_says_what_to_pass(dry_run):
    proc = _factory(
        "train",
        "--method",
        "dpo",
        "--model",
        str(dry_run["model"]),
        "--data",
        str(dry_run["root"] / "data"),
        cwd=dry_run["root"],
    )
    assert proc.returncode == 1
    assert "--adapter outputs/<run>/lora" in proc.stderr


@pytest.mark.slow
def test_curriculum_steps_learning_rate_down_over_its_stages(dry_run):
    root = dry_run["root"]
    proc = _factory(
        "train",
        "--stage",
        "dry-run",
        "--curriculum",
        "--model",
        str(dry_run["model"]),
        "--data",
        str(root / "data"),
        "--output-dir",
        str(root / "outputs"),
        "--run-name",
        "staged",
        "--max-steps",
        "3",
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((root / "outputs" / "staged" / "train_summary.json").read_text())
    stages = summary["stages"]
    assert [s["learning_rate"] for s in stages] == [2e-5, 1.5e-5, 1e-5]
    assert [s["stage"] for s in stages] == ["1-tools", "2-agentic", "3-all"]
    # Stage 1 and 2 see the tool records only (there are no agentic ones); stage 3 sees everything.
    assert stages[0]["records"] == stages[1]["records"] == 34 and stages[2]["records"] == 100
    assert (root / "outputs" / "staged" / "lora" / "adapter_config.json").is_file()


def test_sanity_stage_passes_clean_data_and_flags_overlong_records(dry_run, tmp_path):
    def sanity(run_name: str, *extra: str) -> subprocess.CompletedProcess:
        return _factory("train", "--stage", "sanity", "--model", str(dry_run["model"]), "--data",
                        str(dry_run["root"] / "data"), *extra, "--output-dir", str(tmp_path), "--run-name", run_name,
                        cwd=tmp_path)

    proc = sanity("s")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "read 100, kept 100, rejected 0" in proc.stdout and "-> OK" in proc.stdout
    report = json.loads((tmp_path / "s" / "sanity.json").read_text())
    assert report["roundtrip_mismatches"] == 0 and 0 < report["tokens_mean"] <= report["tokens_max"] <= 512

    proc = sanity("short", "--max-length", "100")
    assert proc.returncode == 1
    report = json.loads((tmp_path / "short" / "sanity.json").read_text())
    assert report["over_max_length"] == 100 and not report["ok"]
