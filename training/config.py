"""Training configuration: dataclasses whose field help becomes the CLI help, stage defaults from the
training guide's stages, the curriculum, and YAML config files.

No torch here: the CLI builds its options from these dataclasses at start-up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from factory.errors import InputError

STAGES = ("sanity", "dry-run", "mini", "full")
METHODS = ("sft", "kto", "dpo")


def _opt(default: Any, help: str, **kw: Any) -> Any:
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    """One training run. ``None`` means "the stage's default" (see ``STAGE_DEFAULTS``)."""

    model: str = _opt("", "Base model: a local directory or a hub name (hub needs network).")
    data: list[str] = field(
        default_factory=list,
        metadata={"help": "JSONL files or directories of factory records or TRL messages+tools rows."},
    )
    stage: str = _opt("dry-run", "Checklist stage: sanity | dry-run | mini | full.", choices=STAGES)
    method: str = _opt(
        "sft", "sft, or kto / dpo to refine an SFT adapter on preference exports.", choices=METHODS
    )
    run_name: str = _opt(
        "", "Run name; outputs go to <output-dir>/<run-name>/ (default: <stage>-<model name>)."
    )
    output_dir: str = _opt("outputs", "Directory that holds one folder per run.")
    adapter: str = _opt("", "Start from this LoRA adapter (required for kto / dpo).")
    max_records: int | None = _opt(
        None, "Records to train on, balanced across categories (dry-run 100, mini 2500)."
    )
    max_length: int | None = _opt(None, "Maximum tokens per example (dry-run 512, full 2048).")
    epochs: float | None = _opt(None, "Epochs over the records (dry-run/mini/full: 1).")
    max_steps: int = _opt(-1, "Stop after this many optimizer steps (-1: run the epochs).")
    learning_rate: float | None = _opt(None, "Peak learning rate (LoRA default 2e-4).")
    batch_size: int | None = _opt(None, "Per-device batch size (the dry run uses 1).")
    grad_accum: int | None = _opt(None, "Gradient accumulation steps (mini 8, full 16).")
    lora_r: int | None = _opt(None, "LoRA rank (full: 8).")
    lora_alpha: int | None = _opt(None, "LoRA alpha (full: 16).")
    lora_dropout: float | None = _opt(None, "LoRA dropout (full: 0.05).")
    target_modules: str = _opt("all-linear", "Modules LoRA adapts: all-linear or a comma-separated list.")
    modules_to_save: str = _opt(
        "", "Comma-separated modules trained in full beside LoRA (e.g. embed_tokens,lm_head)."
    )
    packing: bool = _opt(
        False, "Pack several examples into one sequence (faster; uses padding-free attention)."
    )
    assistant_only_loss: bool = _opt(
        True, "Loss on assistant tokens only (needs a template with generation markers)."
    )
    chat_template: str = _opt(
        "", "A .jinja training chat template with {% generation %} markers, if the model's lacks them."
    )
    qlora: bool = _opt(False, "Load the base in 4-bit (bitsandbytes, CUDA only) and train LoRA on it.")
    curriculum: bool = _opt(
        False, "Staged training: tool use, then agentic skills, then everything; LR 2e-5 -> 1.5e-5 -> 1e-5."
    )
    logging_steps: int = _opt(5, "Log the loss every N steps.")
    seed: int = _opt(42, "Seed for sampling records and for training.")

    def resolved(self) -> TrainConfig:
        """A copy with every ``None`` replaced by the stage's default."""
        if self.stage not in STAGES:
            raise InputError(
                "--stage", None, f"unknown stage {self.stage!r}", f"use one of {', '.join(STAGES)}"
            )
        if self.method not in METHODS:
            raise InputError(
                "--method", None, f"unknown method {self.method!r}", f"use one of {', '.join(METHODS)}"
            )
        defaults = STAGE_DEFAULTS[self.stage]
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name, value in values.items():
            if value is None:
                values[name] = defaults.get(name)
        if not values["run_name"]:
            values["run_name"] = f"{self.stage}-{Path(self.model.rstrip('/')).name or 'model'}"
        return TrainConfig(**values)

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.run_name

    @property
    def adapter_dir(self) -> Path:
        return self.run_dir / "lora"


# The stages: dry run = ~100 mixed records, batch 1, seq 512; mini = 2-3k balanced, grad accumulation 8-12;
# full = all records, r=8 alpha=16 dropout=0.05, grad accumulation 12-16, seq 2048, 1-2 epochs.
_COMMON = {
    "batch_size": 1,
    "lora_r": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "learning_rate": 2e-4,
    "epochs": 1.0,
}
STAGE_DEFAULTS: dict[str, dict[str, Any]] = {
    "sanity": {**_COMMON, "max_records": None, "max_length": 2048, "grad_accum": 1},
    "dry-run": {**_COMMON, "max_records": 100, "max_length": 512, "grad_accum": 1},
    "mini": {**_COMMON, "max_records": 2500, "max_length": 2048, "grad_accum": 8},
    "full": {**_COMMON, "max_records": None, "max_length": 2048, "grad_accum": 16},
}


@dataclass
class CurriculumStage:
    """One stage of staged training: the categories it trains on, at which learning rate."""

    name: str
    # Trains on the categories whose spec's ``curriculum_stage`` is at most this; None: every category.
    up_to: int | None
    learning_rate: float

    def categories(self, specs: dict[str, Any]) -> tuple[str, ...] | None:
        """The categories of this stage, from ``{name: spec}`` (see ``category_specs``)."""
        if self.up_to is None:
            return None
        return tuple(sorted(name for name, spec in specs.items()
                            if spec.curriculum_stage is not None and spec.curriculum_stage <= self.up_to))


# Stage 1 tool use, stage 2 adds agentic work, stage 3 all data; each category's spec says where it joins.
CURRICULUM = (
    CurriculumStage("1-tools", 1, 2e-5),
    CurriculumStage("2-agentic", 2, 1.5e-5),
    CurriculumStage("3-all", None, 1e-5),
)


def load_yaml_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of TrainConfig fields (dashes or underscores); unknown keys are errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f"not a text file ({exc.reason} at byte {exc.start})",
                         "pass a YAML file of training options") from None
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(
            path, None, f"cannot read the YAML config: {exc}", "fix the file or drop --config-file"
        ) from None
    if raw is None and not text.strip():
        raise InputError(path, None, "the file is empty; expected a mapping of option: value",
                         "see `factory train --help`, or drop --config-file")
    if not isinstance(raw, dict):
        raise InputError(path, None, "expected a mapping of option: value", "see `factory train --help`")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).replace("-", "_")
        if name not in known:
            raise InputError(path, None, f"unknown option {key!r}", f"known: {', '.join(sorted(known))}")
        out[name] = [value] if name == "data" and isinstance(value, str) else value
    return out
