"""An EngineSession: what a command needs to make LLM calls -- provider choice, engine settings,
prices, the ledger, a budget shared by all the runs of one command, and running totals for reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.config import EngineConfig, FactoryConfig
from factory.errors import FactoryError
from factory.llm import LLMRequest
from factory.llm.builtin import build_provider
from factory.llm.engine import Engine, Result, RunStats
from factory.llm.ledger import Ledger
from factory.llm.prices import PriceTable
from factory.llm.provider import BUILTIN_PROVIDERS
from factory.llm.workers import PooledProvider, worker_count


@dataclass
class EngineSession:
    provider: str
    model: str | None = None
    base_url: str | None = None
    settings: EngineConfig = field(default_factory=EngineConfig)
    prices: PriceTable = field(default_factory=PriceTable.with_overrides)
    max_cost: float | None = None
    job: str = ""
    on_progress: Callable[[RunStats], None] | None = None
    totals: RunStats = field(default_factory=RunStats)
    _ledger: Ledger | None = None
    # --batch: provider Batch APIs (factory.llm.batch); ``wait`` polls instead of stopping after
    # submission; ``command`` (argv, cwd) lets `factory batches --collect` rerun the command.
    batch: bool = False
    wait: bool = False
    command: dict[str, Any] | None = None
    # A plugin's ``ProviderFactory.create`` (``register_providers``) when ``provider`` is not built in.
    create: Callable[..., Any] | None = None

    @classmethod
    def from_config(cls, cfg: FactoryConfig, provider: str, model: str | None = None, base_url: str | None = None,
                    max_cost: float | None = None, job: str = "", **kw: Any) -> EngineSession:
        prices = PriceTable.with_overrides({m: (p.input, p.output) for m, p in cfg.prices.items()})
        return cls(provider, model, base_url, cfg.engine, prices, max_cost, job, **kw)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(Path(self.settings.ledger))
        return self._ledger

    @property
    def model_name(self) -> str:
        if self.model is not None:
            return self.model
        return build_provider(self.create, self.provider, None, self.base_url, self.settings.timeout, 1).model

    def make_provider(self) -> Any:
        s = self.settings
        workers = worker_count(s.workers, s.max_concurrency)
        if workers > 1:
            return PooledProvider(self.provider, self.model, self.base_url, s.timeout, s.max_concurrency, workers,
                                  create=self.create)
        return build_provider(self.create, self.provider, self.model, self.base_url, s.timeout, s.max_concurrency)

    def run(self, requests: Iterable[LLMRequest], on_result: Callable[[Result], None],
            total: int | None = None) -> RunStats:
        budget = None if self.max_cost is None else max(0.0, self.max_cost - self.totals.cost)
        engine: Any
        if self.batch:
            from factory.llm.batch import BatchRunner

            if self.provider not in BUILTIN_PROVIDERS:
                raise FactoryError(f"--batch works with the anthropic and openai providers, not '{self.provider}'")

            engine = BatchRunner(self.provider, self.model_name, self.base_url, self.ledger, self.prices, self.job,
                                 budget, self.wait, self.command, self.settings.timeout, self.on_progress)
        else:
            engine = Engine(self.make_provider(), self.ledger, self.settings, self.prices, self.job, budget,
                            self.on_progress)
        try:
            if self.batch:
                return engine.run(requests, on_result, total)
            return engine.run_sync(requests, on_result, total)
        finally:
            self._add(engine.stats)

    def drive(self, main: Callable[[Engine], Any]) -> Any:
        """``await main(engine)`` as one run: for multi-turn callers (rollouts) that ``engine.ask``."""
        if self.batch:
            raise FactoryError("--batch cannot run rollouts: each turn needs the answer to the one before")
        budget = None if self.max_cost is None else max(0.0, self.max_cost - self.totals.cost)
        engine = Engine(self.make_provider(), self.ledger, self.settings, self.prices, self.job, budget,
                        self.on_progress)
        try:
            return engine.drive_sync(main)
        finally:
            self._add(engine.stats)

    def _add(self, s: RunStats) -> None:
        t = self.totals
        t.done += s.done
        t.sent += s.sent
        t.cached += s.cached
        t.ok += s.ok
        t.rejected += s.rejected
        t.failed += s.failed
        t.input_tokens += s.input_tokens
        t.output_tokens += s.output_tokens
        t.cost += s.cost
        t.errors.update(s.errors)
        t.workers = max(t.workers, s.workers)

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
