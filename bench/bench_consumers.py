"""The exports fed to the trainers' own loading code: LLaMA-Factory and axolotl, each in its own venv.

    python bench/bench_consumers.py [--data DIR] [--venvs DIR] [--train] [--axolotl-rows 200]

Installs LLaMA-Factory 0.9.5 and axolotl 0.19.0 (with the CPU torch) into ``--venvs`` unless they are
there, exports ``--data`` (a dataset directory with ``merged/``; without it the default main job
runs first) as sharegpt, trl and openai, and writes a model directory: the real Qwen2.5 tokenizer
with Qwen2.5's own chat template and a tiny random Qwen2 model. Then, inside each venv:

- LLaMA-Factory's ``get_dataset`` (``qwen`` template) on ``factory_sft`` and ``factory_kto`` through
  the export's dataset_info.json: rows kept, text identical to the Hugging Face rendering of the trl
  rows, assistant turns in the loss, calls rendered once; with ``--train`` two LoRA steps of
  ``llamafactory-cli train`` for SFT and for KTO;
- ``axolotl preprocess`` (``chat_template``) on the first ``--axolotl-rows`` trl and openai rows.

Prints figures (and writes them to ``--out``); not a test: the installs take about 15 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONSUMERS = {"llamafactory": ["llamafactory==0.9.5"], "axolotl": ["axolotl==0.19.0"]}
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def ensure_venv(root: Path, name: str) -> tuple[Path, float]:
    python = root / name / "bin" / "python"
    if python.exists():
        return python, 0.0
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(root / name)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0", *CONSUMERS[name]], check=True)
    # PyPI's torchvision / torchaudio wheels are built for another torch than the CPU 2.13.0: torchvision
    # breaks `import transformers`, torchaudio's extension fails to load. Text data needs neither, but
    # LLaMA-Factory imports torchaudio, so its Python part stays, without the compiled extension.
    subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "-q", "torchvision"], check=False)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    for lib in Path(site, "torchaudio", "lib").glob("*.so"):
        lib.unlink()
    return python, time.perf_counter() - started


def factory(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "factory.cli.main", *args], check=True)


def model_dir(path: Path) -> Path:
    """The real Qwen2.5 tokenizer with Qwen2.5's own chat template, and a tiny random Qwen2 model."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from trl.chat_template_utils import qwen2_5_chat_template

    from factory.quality.tokens import load_tokenizer

    tok = load_tokenizer("qwen2.5").tokenizer
    tok.chat_template = qwen2_5_chat_template
    tok.save_pretrained(path)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=32768,
                         tie_word_embeddings=True, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    Qwen2ForCausalLM(config).save_pretrained(path)
    return path


def reference(rows_path: Path, out: Path, model: Path, limit: int | None = None) -> Path:
    """Per row: the Hugging Face rendering through Qwen2.5's own template and the row's call count."""
    import orjson
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model)
    with rows_path.open("rb") as src, out.open("wb") as dst:
        for i, line in enumerate(src):
            if limit is not None and i >= limit:
                break
            row = orjson.loads(line)
            msgs = row["messages"]
            for m in msgs:  # openai rows: arguments as JSON strings, as the consumers parse them
                for c in m.get("tool_calls") or []:
                    if isinstance(c["function"]["arguments"], str):
                        c["function"]["arguments"] = json.loads(c["function"]["arguments"])
                if m.get("content") is None:
                    m["content"] = ""
            text = tok.apply_chat_template(msgs, tools=row.get("tools") or None, tokenize=False)
            calls = sum(len(m.get("tool_calls") or []) for m in msgs)
            dst.write(orjson.dumps({"text": text, "calls": calls}) + b"\n")
    return out


def head(path: Path, n: int, out: Path) -> Path:
    with path.open() as src:
        out.write_text("".join(line for _, line in zip(range(n), src)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, help="dataset directory with merged/ [default: run the main job]")
    ap.add_argument("--venvs", type=Path, default=Path.home() / ".cache" / "factory" / "consumers")
    ap.add_argument("--train", action="store_true", help="also run two LoRA steps of LLaMA-Factory SFT and KTO")
    ap.add_argument("--axolotl-rows", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("consumers.json"))
    args = ap.parse_args()
    figures: dict = {}
    pythons = {}
    for name in CONSUMERS:
        pythons[name], seconds = ensure_venv(args.venvs, name)
        figures[f"install_{name}_seconds"] = round(seconds, 1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = args.data
        if data is None:
            data = work / "data"
            factory("run", "--data", str(data))
        started = time.perf_counter()
        export = work / "export"
        factory("export", "--data", str(data), "--out", str(export), "--format", "sharegpt", "--format", "trl",
                "--format", "openai")
        figures["export_seconds"] = round(time.perf_counter() - started, 1)
        model = model_dir(work / "model")
        ref = reference(export / "trl" / "train.jsonl", work / "reference.jsonl", model)
        lf_out = work / "llamafactory.json"
        subprocess.run([str(pythons["llamafactory"]), str(HERE / "consumers" / "llamafactory_check.py"), str(model),
                        str(export / "sharegpt"), str(ref), str(lf_out), *(["--train"] if args.train else [])],
                       check=True)
        figures["llamafactory"] = json.loads(lf_out.read_text())
        for fmt in ("trl", "openai"):
            rows = head(export / fmt / "train.jsonl", args.axolotl_rows, work / f"{fmt}_head.jsonl")
            ax_ref = reference(rows, work / f"{fmt}_reference.jsonl", model)
            ax_out = work / f"axolotl_{fmt}.json"
            subprocess.run([str(pythons["axolotl"]), str(HERE / "consumers" / "axolotl_check.py"), str(model),
                            str(rows), str(ax_ref), str(ax_out)], check=True)
            figures[f"axolotl_{fmt}"] = json.loads(ax_out.read_text())
    args.out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
