"""LoRA supervised fine-tuning with TRL's SFTTrainer and PEFT: the training guide's sanity, dry-run, mini and
full stages, and the curriculum.

Loss is on assistant tokens only: TRL swaps in a training chat template with ``{% generation %}``
markers for the families it knows (Qwen2.5, Llama 3, ...), or takes ``--chat-template FILE``. The device
is CUDA (bf16, or 4-bit QLoRA through bitsandbytes), Apple MPS or CPU; nothing here places the model by
hand, so ``accelerate launch -m factory.cli.main train ...`` runs it data-parallel unchanged.
The adapter lands in ``<output-dir>/<run>/lora`` with ``train_summary.json`` beside it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from factory.errors import FactoryError
from factory.store.jsonl import write_json
from factory.training.config import CURRICULUM, TrainConfig
from factory.training.data import LoadReport, load_training_rows, to_dataset

Log = Callable[[str], None]


@dataclass
class TrainResult:
    run_dir: str
    adapter_dir: str
    records: int
    steps: int
    start_loss: float | None
    end_loss: float | None
    seconds: float
    device: str
    losses: list[tuple[int, float]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)


def pick_device() -> str:
    """cuda > mps > cpu; under ``accelerate launch`` the Trainer then places each process itself."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def mixed_precision(device: str) -> dict[str, bool]:
    """Trainer flags matching the dtype ``load_base_model`` picks: bf16 where the GPU has it, else fp16."""
    if device != "cuda":
        return {}
    import torch

    return {"bf16": True} if torch.cuda.is_bf16_supported() else {"fp16": True}


def check_model_path(model: str) -> None:
    """A path-like name that does not exist is a typo, not a hub id: say so plainly."""
    if model.startswith(("/", ".", "~")) and not Path(model).expanduser().exists():
        raise FactoryError(f"{model}: no such model directory (pass a local model directory or a hub name)")


def load_tokenizer(model: str):
    from transformers import AutoTokenizer

    check_model_path(model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(model)
    except OSError as exc:
        raise FactoryError(
            f"cannot load a tokenizer from {model!r}: {exc}. Pass a local model directory "
            "(HF_HUB_OFFLINE=1 blocks downloads) or a hub name with network access."
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base_model(model: str, device: str, qlora: bool = False):
    """The base model in the dtype its device trains best in; 4-bit NF4 for QLoRA (CUDA only)."""
    import torch
    from transformers import AutoModelForCausalLM

    check_model_path(model)
    kwargs: dict[str, Any] = {}
    if device == "cuda":
        kwargs["dtype"] = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    elif device == "mps":
        kwargs["dtype"] = torch.bfloat16
    else:
        kwargs["dtype"] = torch.float32
    if qlora:
        if device != "cuda":
            raise FactoryError(
                f"--qlora needs a CUDA GPU (bitsandbytes 4-bit); this machine has {device}. "
                "Drop --qlora to train LoRA on a 16/32-bit base."
            )
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise FactoryError("--qlora needs bitsandbytes: pip install bitsandbytes") from None
        from accelerate import PartialState
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=kwargs["dtype"],
        )
        # One whole model per process: what data-parallel QLoRA under `accelerate launch` needs.
        kwargs["device_map"] = {"": PartialState().local_process_index}
    try:
        base = AutoModelForCausalLM.from_pretrained(model, **kwargs)
    except OSError as exc:
        raise FactoryError(f"cannot load model {model!r}: {exc}") from None
    if qlora:
        from peft import prepare_model_for_kbit_training

        base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=True)
    return base


def _lora_config(cfg: TrainConfig):
    from peft import LoraConfig

    targets: str | list[str] = cfg.target_modules
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=targets,
        modules_to_save=[m.strip() for m in cfg.modules_to_save.split(",") if m.strip()] or None,
        task_type="CAUSAL_LM",
    )


def _loss_callback(losses: list[tuple[int, float]], log: Log):
    from transformers import TrainerCallback

    class LossWatch(TrainerCallback):
        """Records the loss curve and stops the run on the first NaN/inf, which training must never go on with."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                loss = float(logs["loss"])
                losses.append((state.global_step, loss))
                log(f"step {state.global_step}: loss {loss:.4f}")
                if not math.isfinite(loss):
                    control.should_training_stop = True

    return LossWatch()


def _sft_args(cfg: TrainConfig, device: str, out: Path, learning_rate: float):
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=learning_rate,
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        max_length=cfg.max_length,
        packing=cfg.packing,
        assistant_only_loss=cfg.assistant_only_loss,
        chat_template_path=cfg.chat_template or None,
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        save_strategy="no",
        report_to=[],
        seed=cfg.seed,
        data_seed=cfg.seed,
        **mixed_precision(device),
        use_cpu=device == "cpu",
        gradient_checkpointing=device == "cuda",
        gradient_checkpointing_kwargs={"use_reentrant": False} if device == "cuda" else None,
        lr_scheduler_type="linear",
        warmup_steps=0,
        dataset_num_proc=None,
        disable_tqdm=True,
    )


def _train_once(
    cfg: TrainConfig,
    rows: list[dict[str, Any]],
    out: Path,
    learning_rate: float,
    device: str,
    log: Log,
    start_adapter: str = "",
) -> tuple[int, list[tuple[int, float]]]:
    """One SFT pass over ``rows``; saves the adapter and tokenizer to ``out/lora``."""
    from peft import PeftModel
    from trl import SFTTrainer

    tokenizer = load_tokenizer(cfg.model)
    model = load_base_model(cfg.model, device, cfg.qlora)
    peft_config = None
    if start_adapter:
        model = PeftModel.from_pretrained(model, start_adapter, is_trainable=True)
    else:
        peft_config = _lora_config(cfg)
    losses: list[tuple[int, float]] = []
    try:
        trainer = SFTTrainer(
            model=model,
            args=_sft_args(cfg, device, out, learning_rate),
            train_dataset=to_dataset(rows),
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=[_loss_callback(losses, log)],
        )
    except (ValueError, RuntimeError) as exc:
        if "generation" in str(exc):
            raise FactoryError(
                f"{exc}\nPass --chat-template FILE.jinja with {{% generation %}} markers "
                "(TRL ships trl/chat_templates/*_training.jinja), or --no-assistant-only-loss."
            ) from None
        raise
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # LossWatch logs the loss; the raw dict print is noise
    trainer.train()
    bad = [(s, v) for s, v in losses if not math.isfinite(v)]
    if bad:
        raise FactoryError(
            f"loss became {bad[0][1]} at step {bad[0][0]}: lower --learning-rate, or check the data "
            f"(`factory train --stage sanity`)"
        )
    # save_model writes from the main process only (the others would race under `accelerate launch`).
    trainer.save_model(str(out / "lora"))
    return trainer.state.global_step, losses


def train_sft(cfg: TrainConfig, log: Log = print) -> TrainResult:
    """Run a dry-run / mini / full stage (or the curriculum) and save the adapter under the run."""
    cfg = cfg.resolved()
    if not cfg.model:
        raise FactoryError("--model is required: a local model directory (or a hub name with network access)")
    device = pick_device()
    started = time.perf_counter()
    plan = [("", None, cfg.learning_rate)]
    if cfg.curriculum:
        from factory.generate.specs import category_specs
        from factory.host import default_registry

        specs = category_specs(default_registry())
        plan = [(s.name, s.categories(specs), s.learning_rate) for s in CURRICULUM]
    stages, all_losses, steps_total, records, adapter = [], [], 0, 0, cfg.adapter
    for name, categories, lr in plan:
        rows, report = load_training_rows(cfg.data, cfg.max_records, cfg.seed, categories)
        _log_report(report, log)
        if not rows:
            if cfg.curriculum:
                log(f"curriculum stage {name}: no records of {', '.join(categories or ())}; skipped")
                continue
            raise FactoryError(f"no trainable records in {', '.join(cfg.data)} ({report.summary()})")
        out = cfg.run_dir / name if name else cfg.run_dir
        log(f"{name or cfg.stage}: {len(rows)} records, lr {lr}, device {device}")
        steps, losses = _train_once(cfg, rows, out, lr, device, log, start_adapter=adapter)
        adapter = str(out / "lora")
        stages.append(
            {
                "stage": name or cfg.stage,
                "records": len(rows),
                "learning_rate": lr,
                "steps": steps,
                "start_loss": losses[0][1] if losses else None,
                "end_loss": losses[-1][1] if losses else None,
            }
        )
        all_losses += [(steps_total + s, v) for s, v in losses]
        steps_total += steps
        records += len(rows)
    main_process = is_main_process()
    if cfg.curriculum and adapter != str(cfg.adapter_dir) and main_process:
        _copy_adapter(Path(adapter), cfg.adapter_dir)
    result = TrainResult(
        run_dir=str(cfg.run_dir),
        adapter_dir=str(cfg.adapter_dir),
        records=records,
        steps=steps_total,
        start_loss=all_losses[0][1] if all_losses else None,
        end_loss=all_losses[-1][1] if all_losses else None,
        seconds=round(time.perf_counter() - started, 2),
        device=device,
        losses=all_losses,
        stages=stages,
    )
    if main_process:
        write_json(cfg.run_dir / "train_summary.json", {"config": asdict(cfg), **asdict(result)})
    return result


def is_main_process() -> bool:
    """True outside ``accelerate launch`` and on its rank 0."""
    from accelerate import PartialState

    return PartialState().is_main_process


def _copy_adapter(src: Path, dst: Path) -> None:
    import shutil

    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


def _log_report(report: LoadReport, log: Log) -> None:
    log(f"data: {report.summary()}")
    for reason in report.rejected[:5]:
        log(f"  rejected {reason}")
    if len(report.rejected) > 5:
        log(f"  ... {len(report.rejected) - 5} more rejections")


def sanity_check(cfg: TrainConfig, log: Log = print) -> dict[str, Any]:
    """Stage 1 of training: every line parses, renders with the chat template and round-trips
    through the tokenizer; token counts against --max-length. Writes ``sanity.json`` in the run."""
    cfg = replace(cfg, stage="sanity").resolved()
    tokenizer = load_tokenizer(cfg.model)
    rows, report = load_training_rows(cfg.data, None, cfg.seed)
    lengths, over, render_errors, roundtrip_errors = [], 0, [], 0
    for i, row in enumerate(rows):
        try:
            text = tokenizer.apply_chat_template(row["messages"], tools=row["tools"] or None, tokenize=False)
        except Exception as exc:  # noqa: BLE001 - any template failure is a finding to report, not a crash
            render_errors.append(f"row {i} ({row['category']}): {exc}")
            continue
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        lengths.append(len(ids))
        over += len(ids) > cfg.max_length
        roundtrip_errors += tokenizer.decode(ids) != text
    summary = {
        "read": report.read,
        "kept": report.kept,
        "rejected": report.rejected,
        "by_category": dict(report.by_category),
        "render_errors": render_errors,
        "roundtrip_mismatches": roundtrip_errors,
        "tokens_total": sum(lengths),
        "tokens_mean": round(sum(lengths) / len(lengths), 1) if lengths else 0,
        "tokens_max": max(lengths, default=0),
        "over_max_length": over,
        "max_length": cfg.max_length,
    }
    summary["ok"] = not report.rejected and not render_errors and roundtrip_errors == 0 and over == 0
    write_json(cfg.run_dir / "sanity.json", summary)
    log(
        f"sanity: {report.summary()}; tokens mean {summary['tokens_mean']}, max {summary['tokens_max']}, "
        f"{over} over {cfg.max_length}; {len(render_errors)} render errors, {roundtrip_errors} round-trip mismatches "
        f"-> {'OK' if summary['ok'] else 'PROBLEMS'}"
    )
    return summary
