"""The price table: USD per million input / output tokens, by model name (longest prefix wins).

The defaults are list prices when written; they change, so ``[prices]`` in ``factory.toml`` overrides
or extends them::

    [prices."gpt-4o-mini"]
    input = 0.15
    output = 0.60

Batch APIs (OpenAI Batch, Anthropic Message Batches) bill half of these.
"""

from __future__ import annotations

from dataclasses import dataclass

from factory.errors import FactoryError

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
}
BATCH_DISCOUNT = 0.5


@dataclass
class PriceTable:
    prices: dict[str, tuple[float, float]]

    @classmethod
    def with_overrides(cls, overrides: dict[str, tuple[float, float]] | None = None) -> PriceTable:
        return cls({**DEFAULT_PRICES, **(overrides or {})})

    def lookup(self, model: str) -> tuple[float, float] | None:
        best = max((m for m in self.prices if model.startswith(m)), key=len, default=None)
        return self.prices[best] if best is not None else None

    def cost(self, model: str, input_tokens: int, output_tokens: int, batch: bool = False) -> float:
        price = self.lookup(model)
        if price is None:
            return 0.0
        usd = (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000
        return usd * BATCH_DISCOUNT if batch else usd

    def require(self, model: str) -> None:
        """A budget needs a price: refuse to guess."""
        if self.lookup(model) is None:
            raise FactoryError(
                f"--max-cost: no price known for model '{model}'; add it to factory.toml as "
                f'[prices."{model}"] with input = USD per 1M input tokens, output = USD per 1M output tokens'
            )
