"""Run inside an axolotl virtual environment: ``axolotl preprocess`` on factory chat rows.

    python axolotl_check.py MODEL_DIR ROWS.jsonl REFERENCE.jsonl OUT.json

ROWS.jsonl is a trl or openai export (``messages`` + ``tools``); REFERENCE.jsonl holds, per row, the
Hugging Face chat-template rendering (``text``) and the call count. axolotl's ``chat_template``
strategy (``field_messages: messages``, ``field_tools: tools``, assistant turns trained) prepares the
rows; the figures (rows kept, text identical, every assistant turn in the loss, calls rendered once)
go to OUT.json. Imports nothing from factory.
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


def main() -> None:
    model, rows_path, reference, out = sys.argv[1:5]
    rows = [json.loads(line) for line in Path(rows_path).read_text().splitlines()]
    refs = [json.loads(line) for line in Path(reference).read_text().splitlines()]
    with tempfile.TemporaryDirectory() as work:
        config = Path(work, "config.yml")
        config.write_text(json.dumps({  # YAML is a superset of JSON
            "base_model": model, "tokenizer_config": model, "chat_template": "tokenizer_default",
            "datasets": [{"path": str(Path(rows_path).resolve()), "ds_type": "json", "type": "chat_template",
                          "field_messages": "messages", "field_tools": "tools",
                          "roles_to_train": ["assistant"], "train_on_eos": "turn"}],
            "dataset_prepared_path": str(Path(work, "prepared")), "val_set_size": 0.0,
            "sequence_len": 32768, "output_dir": str(Path(work, "out")), "micro_batch_size": 1,
            "gradient_accumulation_steps": 1, "num_epochs": 1, "learning_rate": 1e-4,
            "adapter": "lora", "lora_r": 8, "lora_alpha": 16, "lora_target_linear": True,
            "dataset_processes": 1, "shuffle_merged_datasets": False, "shuffle_before_merging_datasets": False}))
        started = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "axolotl"), "preprocess", str(config)],
                              capture_output=True, text=True)
        seconds = round(time.perf_counter() - started, 1)
        if proc.returncode:
            figures = {"returncode": proc.returncode, "tail": (proc.stdout + proc.stderr)[-3000:]}
        else:
            from datasets import load_from_disk
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(model)
            saved = sorted(p.parent for p in Path(work, "prepared").rglob("state.json"))
            ds = load_from_disk(str(saved[0]))
            identical = turns_in_loss = calls_once = 0
            mismatch = []
            for i, (ex, row, ref) in enumerate(zip(ds, rows, refs)):
                text = tok.decode(ex["input_ids"], skip_special_tokens=False)
                assistant = sum(m["role"] == "assistant" for m in row["messages"])
                identical += text == ref["text"]
                if text != ref["text"] and len(mismatch) < 3:
                    mismatch.append({"row": i + 1, "axolotl": text[-200:], "reference": ref["text"][-200:]})
                turns_in_loss += runs(ex["labels"]) == assistant
                calls_once += calls_in_turns(text) == ref["calls"]
            figures = {"rows_in_file": len(rows), "rows_kept": len(ds), "text_identical_to_hf": identical,
                       "rows_with_every_assistant_turn_in_loss": turns_in_loss,
                       "rows_with_each_call_rendered_once": calls_once, "mismatches": mismatch}
        figures["preprocess_seconds"] = seconds
    Path(out).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
