"""Run inside a LLaMA-Factory virtual environment: its own loader on a factory sharegpt export.

    python llamafactory_check.py MODEL_DIR EXPORT_DIR REFERENCE.jsonl OUT.json [--train]

REFERENCE.jsonl holds, per SFT row of EXPORT_DIR/train.jsonl in order, the Hugging Face chat-template
rendering of the same record (``text``) and its call count. LLaMA-Factory's ``get_dataset`` runs
with the ``qwen`` template over ``factory_sft`` and ``factory_kto`` from the export's
dataset_info.json; the figures (rows kept, text identical to the reference, assistant turns in the
loss, calls rendered once) go to OUT.json. With ``--train`` it also runs ``llamafactory-cli train``
for two LoRA steps of SFT and of KTO on MODEL_DIR. Imports nothing from factory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from prepared_rows import calls_in_turns, runs

os.environ.setdefault("DISABLE_VERSION_CHECK", "1")


def load(stage: str, dataset: str, model: str, export: str, out: str):
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    model_args, data_args, training_args, _ft, _gen = get_train_args({
        "model_name_or_path": model, "stage": stage, "do_train": True, "dataset": dataset,
        "dataset_dir": export, "template": "qwen", "cutoff_len": 32768, "output_dir": out,
        "overwrite_cache": True, "finetuning_type": "lora", "report_to": "none",
        "preprocessing_num_workers": 2})
    module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(module["tokenizer"], data_args)
    data = get_dataset(template, model_args, data_args, training_args, stage, **module)
    return module["tokenizer"], data["train_dataset"]




def train(stage: str, dataset: str, model: str, export: str, work: Path) -> dict:
    config = work / f"{stage}.yaml"  # JSON is YAML; its .json reader is broken
    config.write_text(json.dumps({
        "model_name_or_path": model, "stage": stage, "do_train": True, "finetuning_type": "lora",
        "lora_target": "all", "dataset": dataset, "dataset_dir": export, "template": "qwen",
        "cutoff_len": 1024, "max_samples": 64, "overwrite_cache": True, "output_dir": str(work / stage),
        "per_device_train_batch_size": 2, "max_steps": 2, "logging_steps": 1, "learning_rate": 1e-4,
        "report_to": "none", "save_strategy": "no", "preprocessing_num_workers": 2}))
    started = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).parent / "llamafactory-cli"), "train", str(config)],
                          capture_output=True, text=True)
    log = work / stage / "trainer_log.jsonl"
    losses = [json.loads(line)["loss"] for line in log.read_text().splitlines() if '"loss"' in line] \
        if log.exists() else []
    return {"returncode": proc.returncode, "seconds": round(time.perf_counter() - started, 1), "losses": losses,
            "adapter_saved": (work / stage / "adapter_model.safetensors").exists(),
            **({"tail": (proc.stdout + proc.stderr)[-3000:]} if proc.returncode else {})}


def main() -> None:
    model, export, reference, out = sys.argv[1:5]
    figures: dict = {}
    with tempfile.TemporaryDirectory() as work:
        rows = [json.loads(line) for line in Path(export, "train.jsonl").read_text().splitlines()]
        refs = [json.loads(line) for line in Path(reference).read_text().splitlines()]
        started = time.perf_counter()
        tok, ds = load("sft", "factory_sft", model, export, work)
        identical = turns_in_loss = calls_once = 0
        mismatch = []
        for i, (ex, row, ref) in enumerate(zip(ds, rows, refs)):
            text = tok.decode(ex["input_ids"], skip_special_tokens=False)
            assistant = sum(t["from"] in ("gpt", "function_call") for t in row["conversations"])
            identical += text == ref["text"]
            if text != ref["text"] and len(mismatch) < 3:
                cut = next((j for j, (a, b) in enumerate(zip(text, ref["text"])) if a != b), min(len(text), len(ref["text"])))
                mismatch.append({"row": i + 1, "llamafactory": text[max(0, cut - 80):cut + 80],
                                 "reference": ref["text"][max(0, cut - 80):cut + 80]})
            turns_in_loss += runs(ex["labels"]) == assistant
            calls_once += calls_in_turns(text) == ref["calls"]
        figures["sft"] = {"rows_in_file": len(rows), "rows_kept": len(ds), "text_identical_to_hf": identical,
                          "rows_with_every_assistant_turn_in_loss": turns_in_loss,
                          "rows_with_each_call_rendered_once": calls_once, "mismatches": mismatch,
                          "seconds": round(time.perf_counter() - started, 1)}
        kto_rows = len(Path(export, "kto_train.jsonl").read_text().splitlines())
        started = time.perf_counter()
        _tok, kto = load("kto", "factory_kto", model, export, work)
        figures["kto"] = {"rows_in_file": kto_rows, "rows_kept": len(kto),
                          "desirable": sum(bool(t) for t in kto["kto_tags"]),
                          "seconds": round(time.perf_counter() - started, 1)}
        if "--train" in sys.argv:
            figures["train_sft"] = train("sft", "factory_sft", model, export, Path(work))
            figures["train_kto"] = train("kto", "factory_kto", model, export, Path(work))
    Path(out).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
