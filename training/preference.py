"""KTO and DPO refinement of an SFT adapter (TRL's KTOTrainer / DPOTrainer).

Rows come from the factory's preference exports (TRL's conversational ``prompt`` + ``chosen`` /
``rejected``, or ``prompt`` + ``completion`` + ``label``) or straight from records through the same
export functions: a ``tool_neg`` record's declared defect against its correct calls is a DPO pair and
two KTO rows; a labelled record is one KTO row. The adapter keeps training (``is_trainable``); TRL keeps a frozen copy as the reference.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from factory.errors import FactoryError
from factory.export.base import ExportContext
from factory.export.formats import dpo_rows, kto_rows
from factory.schemas import Example
from factory.store.jsonl import read_jsonl, write_json
from factory.training.config import TrainConfig
from factory.training.data import LoadReport, balanced_sample, data_files
from factory.training.sft import (
    Log,
    TrainResult,
    _log_report,
    _loss_callback,
    is_main_process,
    load_base_model,
    load_tokenizer,
    mixed_precision,
    pick_device,
)


def preference_rows(obj: Any, method: str) -> tuple[list[dict[str, Any]], str]:
    """The KTO or DPO rows one JSON line yields, or ([], reason). A factory record yields exactly the
    rows ``factory export --format kto|dpo`` writes for it."""
    if not isinstance(obj, dict):
        return [], "expected a JSON object"
    if method == "dpo" and {"prompt", "chosen", "rejected"} <= obj.keys():
        return [{k: obj[k] for k in ("prompt", "chosen", "rejected")} | {"tools": obj.get("tools") or []}], ""
    if method == "kto" and {"prompt", "completion", "label"} <= obj.keys():
        return [
            {k: obj[k] for k in ("prompt", "completion", "label")} | {"tools": obj.get("tools") or []}
        ], ""
    if "category" not in obj or "messages" not in obj:
        want = "prompt/chosen/rejected" if method == "dpo" else "prompt/completion/label"
        return [], f"expected a {method.upper()} row ({want}) or a factory record"
    try:
        record = Example.model_validate(obj).to_dict()
    except ValueError as exc:
        return [], f"not a valid record: {str(exc).splitlines()[0]}"
    made = list((dpo_rows if method == "dpo" else kto_rows)(record, ExportContext()))
    rows = [{**r, "tools": r.get("tools") or []} for r in made if not isinstance(r, str)]
    reasons = [r for r in made if isinstance(r, str)]
    return (rows, "") if rows else ([], reasons[0] if reasons else "no preference rows")


def load_preference_rows(cfg: TrainConfig) -> tuple[list[dict[str, Any]], LoadReport]:
    report = LoadReport()

    def rows():
        for path in data_files(cfg.data):
            for lineno, obj in read_jsonl(path, strict=False):
                report.read += 1
                made, reason = (
                    preference_rows(obj, cfg.method) if not isinstance(obj, Exception) else ([], str(obj))
                )
                if not made:
                    report.rejected.append(f"{path}:{lineno}: {reason}")
                    continue
                report.kept += 1
                report.by_category[path.stem] += 1
                for row in made:
                    yield row | {"category": path.stem}

    picked = balanced_sample(rows(), cfg.max_records, cfg.seed)
    return picked, report


def tools_in_prompt(tokenized: Any, rows: Any, tokenizer: Any) -> bool | None:
    """Whether the trainer's own tokenization put a row's tools into its prompt: the first row that
    offers tools, decoded from the trainer's ``prompt_ids``, names its first tool (TRL's KTO trainer
    ignored ``tools`` until 2026). None when no row offers tools or the trainer dropped rows, so
    rows and tokenized examples no longer line up."""
    if len(tokenized) != len(rows) or "prompt_ids" not in tokenized.column_names:
        return None
    index = next((i for i, tools in enumerate(rows["tools"]) if tools), None)
    if index is None:
        return None
    tool = rows["tools"][index][0]
    name = (tool.get("function") or tool).get("name", "")
    return f'"{name}"' in tokenizer.decode(tokenized[index]["prompt_ids"])


def train_preference(cfg: TrainConfig, log: Log = print) -> TrainResult:
    """Refine ``cfg.adapter`` with KTO or DPO; the result lands in ``<run>/lora`` like an SFT run."""
    from datasets import Dataset, Features, Json, List, Value
    from peft import PeftModel

    cfg = cfg.resolved()
    if not cfg.adapter:
        raise FactoryError(f"--method {cfg.method} refines an SFT adapter: pass --adapter outputs/<run>/lora")
    rows, report = load_preference_rows(cfg)
    _log_report(report, log)
    if not rows:
        raise FactoryError(f"no {cfg.method.upper()} rows in {', '.join(cfg.data)} ({report.summary()})")
    device = pick_device()
    started = time.perf_counter()
    tokenizer = load_tokenizer(cfg.adapter)
    model = PeftModel.from_pretrained(
        load_base_model(cfg.model, device, cfg.qlora), cfg.adapter, is_trainable=True
    )
    common = {
        "output_dir": str(cfg.run_dir / "checkpoints"),
        "per_device_train_batch_size": cfg.batch_size,
        "gradient_accumulation_steps": cfg.grad_accum,
        "learning_rate": cfg.learning_rate,
        "num_train_epochs": cfg.epochs,
        "max_steps": cfg.max_steps,
        "max_length": cfg.max_length,
        "logging_steps": cfg.logging_steps,
        "logging_first_step": True,
        "save_strategy": "no",
        "report_to": [],
        "seed": cfg.seed,
        **mixed_precision(device),
        "use_cpu": device == "cpu",
        "disable_tqdm": True,
    }
    if cfg.method == "dpo":
        from trl import DPOConfig, DPOTrainer

        keys, trainer_cls, args = ("prompt", "chosen", "rejected"), DPOTrainer, DPOConfig(**common)
        features = Features({k: List(Json()) for k in (*keys, "tools")})
    else:
        from trl import KTOConfig, KTOTrainer

        keys, trainer_cls, args = ("prompt", "completion", "label"), KTOTrainer, KTOConfig(**common)
        features = Features(
            {
                "prompt": List(Json()),
                "completion": List(Json()),
                "label": Value("bool"),
                "tools": List(Json()),
            }
        )
    dataset = Dataset.from_list([{k: r[k] for k in (*keys, "tools")} for r in rows], features=features)
    losses: list[tuple[int, float]] = []
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[_loss_callback(losses, log)],
    )
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    tools_seen = tools_in_prompt(trainer.train_dataset, dataset, tokenizer)
    if tools_seen is False:
        import trl

        raise FactoryError(
            f"TRL {trl.__version__}'s {cfg.method.upper()} trainer drops the rows' tools: the tokenized prompt does "
            "not show the offered tools, so tool-calling pairs would train as if no tools were defined; upgrade "
            "trl (pip install -U trl)"
        )
    trainer.train()
    main_process = is_main_process()
    if main_process:  # the trained adapter only, not TRL's frozen "ref" copy
        trainer.model.save_pretrained(cfg.adapter_dir, selected_adapters=["default"])
        tokenizer.save_pretrained(cfg.adapter_dir)
    result = TrainResult(
        run_dir=str(cfg.run_dir),
        adapter_dir=str(cfg.adapter_dir),
        records=len(rows),
        steps=trainer.state.global_step,
        start_loss=losses[0][1] if losses else None,
        end_loss=losses[-1][1] if losses else None,
        seconds=round(time.perf_counter() - started, 2),
        device=device,
        losses=losses,
    )
    if main_process:
        write_json(cfg.run_dir / "train_summary.json",
                   {"config": asdict(cfg), **asdict(result), "tools_in_prompt": tools_seen})
    return result
