"""``factory.toml``: validated configuration. CLI flags win over the file; the file wins over defaults.

Example::

    out = "data"
    seed = 42
    plugins_dirs = ["my_plugins"]

    [counts]
    tool_core = 500
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from factory.errors import FactoryError

CONFIG_FILE = "factory.toml"


class EngineConfig(BaseModel):
    """``[engine]``: limits around every LLM call (see factory.llm)."""

    model_config = ConfigDict(extra="forbid")

    # The SQLite ledger: request cache, runs, usage and cost, batch jobs.
    ledger: Path = Path(".factory/ledger.sqlite")
    max_concurrency: int = Field(default=16, ge=1)
    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)
    # Transport attempts per request (429/5xx/529/timeouts), and instructor re-asks on invalid output.
    max_attempts: int = Field(default=6, ge=1)
    max_reasks: int = Field(default=2, ge=0)
    timeout: float = Field(default=120.0, gt=0)
    backoff_initial: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=60.0, ge=0)
    # This many throttled answers in a row stop the run (everything done so far is kept).
    breaker_threshold: int = Field(default=20, ge=1)
    # Processes making provider calls (the SDK work: ~4.5 ms of CPU per call). 0 = auto: one per 20
    # calls in flight, at most cores + 1 -- so the default max_concurrency calls in this process.
    # 1 = always in this process. See factory.llm.workers.
    workers: int = Field(default=0, ge=0)


class ExecutorConfig(BaseModel):
    """Where a heavy pass runs (see factory.scale)."""

    model_config = ConfigDict(extra="forbid")

    # auto: in this process for small inputs, datatrove's local executor above the pass's break-even
    # (when installed); local / ray / slurm: datatrove's executors; in-process: never the engine.
    executor: Literal["auto", "in-process", "local", "ray", "slurm"] = "auto"
    workers: int = Field(default=0, ge=0)  # engine tasks at once; 0 = this machine's cores
    tasks: int = Field(default=0, ge=0)  # shards of the input; 0 = the pass's own shard size

    def options(self, executor: str | None = None, workers: int | None = None, tasks: int | None = None) -> Any:
        """factory.scale.EngineOptions: the command line's values over this table's."""
        from factory.scale import EngineOptions

        return EngineOptions(executor or self.executor, self.workers if workers is None else workers,
                             self.tasks if tasks is None else tasks)


class MergeConfig(ExecutorConfig):
    """``[merge]``: where merge's record work and near-dedupe run (factory.merge.distributed; auto: the
    engine above 20,000 input lines; tasks: shards, at most 50,000 lines each when 0)."""


class TokensConfig(ExecutorConfig):
    """``[tokens]``: where token counting runs, for ``validate --tokenizer`` and ``factory run``
    (factory.quality.token_engine; auto: the engine above its break-even; tasks: shards)."""


class CheckConfig(ExecutorConfig):
    """``[check]``: where ``factory check`` runs (factory.quality.check_engine; auto: the engine above
    its break-even; tasks: shards)."""


class IngestConfig(ExecutorConfig):
    """``[ingest]``: where ``factory ingest repo-fim`` cuts its files' examples
    (factory.ingest.fim_engine; auto: the engine above 500 files, without caps; tasks: shards of files)."""


class PriceConfig(BaseModel):
    """``[prices."MODEL"]``: USD per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class FactoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out: Path = Path("data")
    seed: int = 42
    plugins_dirs: list[Path] = Field(default_factory=list)
    # Category -> record count, overriding the spec's total.
    counts: dict[str, int] = Field(default_factory=dict)
    # Categories `factory run` skips.
    skip: list[str] = Field(default_factory=list)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    merge: MergeConfig = Field(default_factory=MergeConfig)
    tokens: TokensConfig = Field(default_factory=TokensConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    # Model name (prefix) -> price, overriding factory.llm.prices.DEFAULT_PRICES.
    prices: dict[str, PriceConfig] = Field(default_factory=dict)


def load_config(path: str | Path | None = None) -> FactoryConfig:
    """Load ``path``, or ``./factory.toml`` if present, else defaults. Relative paths are relative
    to the config file."""
    if path is None:
        if not Path(CONFIG_FILE).exists():
            return FactoryConfig()
        path = CONFIG_FILE
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FactoryError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FactoryError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise FactoryError(f"{path}: not UTF-8") from None
    try:
        cfg = FactoryConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise FactoryError(f"{path}: {loc}: {err['msg']}") from None
    base = path.parent
    cfg.plugins_dirs = [p if p.is_absolute() else base / p for p in cfg.plugins_dirs]
    if "out" in data and not cfg.out.is_absolute():
        cfg.out = base / cfg.out
    if "ledger" in data.get("engine", {}) and not cfg.engine.ledger.is_absolute():
        cfg.engine.ledger = base / cfg.engine.ledger
    return cfg
