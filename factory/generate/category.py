"""Generating one category: counts per subcategory, the generation context handed to plugins, and the
loop that validates each record, drops duplicates and writes the file atomically.
"""

from __future__ import annotations

import random
import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.errors import FactoryError
from factory.generate.specs import load_spec
from factory.generate.tools import resolve_toolset
from factory.quality.validate import RecordValidator
from factory.registry import Category, Registry, Toolset
from factory.schemas import AgentSpec, Example, Message
from factory.store.jsonl import JsonlWriter

# A generator gets this many tries per wanted record before the host gives up on a subcategory.
MAX_ATTEMPTS_PER_RECORD = 30


def allocate(targets: dict[str, int], total: int | None) -> dict[str, int]:
    """Scale subcategory targets to ``total`` (largest remainder), keeping their proportions."""
    base = sum(targets.values())
    if total is None or total == base:
        return dict(targets)
    if base == 0:
        raise FactoryError("cannot scale a spec whose targets are all zero")
    exact = {k: v * total / base for k, v in targets.items()}
    out = {k: int(x) for k, x in exact.items()}
    rest = total - sum(out.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out


@dataclass
class GenerationContext:
    """What a generator plugin gets: its spec, its tool set, a seeded RNG and a record factory."""

    category: str
    spec: AgentSpec
    toolset: Toolset | None
    seed: int
    generator: str
    provider: str = "template"
    model: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Candidates the generator itself dropped (e.g. a tool call that failed to execute), by reason;
    # the host adds them to the category's rejected counts in the manifest.
    rejected: Counter = field(default_factory=Counter)
    # The registry the category was loaded from: a category built on others' generators (held-out
    # evaluation prompts, say) finds them here instead of importing their plugins.
    registry: Registry | None = None

    def reject(self, reason: str) -> None:
        """Record that the generator dropped a candidate record, and why."""
        self.rejected[reason] += 1

    def rng(self, *parts: object) -> random.Random:
        """A RNG that depends only on the seed, the category and ``parts``: same seed, same bytes."""
        key = ":".join([str(self.seed), self.category, *map(str, parts)])
        return random.Random(key)

    def example(
        self,
        subcategory: str,
        messages: list[dict[str, Any] | Message],
        tools: list[dict[str, Any]] | None = None,
        label: bool | None = True,
        **meta: Any,
    ) -> Example:
        msgs = [m.model_dump(exclude_none=True) if isinstance(m, Message) else m for m in messages]
        return Example.model_validate(
            {
                "category": self.category,
                "subcategory": subcategory,
                "messages": msgs,
                "tools": tools or [],
                "label": label,
                "meta": {
                    "generator": self.generator,
                    "spec": self.spec.name,
                    "spec_hash": self.spec.hash,
                    "provider": self.provider,
                    "model": self.model,
                    "seed": self.seed,
                    **meta,
                },
            }
        )


@dataclass
class CategoryResult:
    category: str
    path: Path
    count: int
    sha256: str
    spec: AgentSpec
    seed: int
    provider: str
    model: str | None
    attempts: int = 0
    rejected: Counter = field(default_factory=Counter)
    per_subcategory: dict[str, int] = field(default_factory=dict)

    def manifest_entry(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "count": self.count,
            "sha256": self.sha256,
            "spec": {"name": self.spec.name, "hash": self.spec.hash, "version": self.spec.version},
            "provider": self.provider,
            "model": self.model,
            "seed": self.seed,
            "subcategories": self.per_subcategory,
            "rejected": dict(self.rejected),
        }


def _guarded(records: Any, category: str, generator: Any) -> Any:
    """Turn an exception inside a plugin's generator into one clear error naming the plugin file."""
    try:
        yield from records
    except FactoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any bug in a plugin: one error naming its file and line
        module = sys.modules.get(type(generator).__module__)
        file = getattr(module, "__file__", type(generator).__module__)
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        raise FactoryError(
            f"category '{category}': generator {type(generator).__name__} ({file}) raised "
            f"{type(exc).__name__}: {exc}{where}; nothing was written"
        ) from None


def prompt_key(ex: Example) -> str:
    """Records of a category must differ in what the user asks."""
    return "\x1e".join(m.content or "" for m in ex.messages if m.role == "user")


def category_context(
    category: Category, registry: Registry, seed: int, provider: str = "template", model: str | None = None
) -> GenerationContext:
    spec = load_spec(category.spec_path)
    if spec.name != category.name:
        raise FactoryError(
            f"{category.spec_path}: spec name '{spec.name}' does not match category '{category.name}'"
        )
    toolset = None
    if spec.toolset:
        toolset = resolve_toolset(spec.toolset, registry, Path(category.spec_path).parent)
    gen_name = type(category.generator).__module__ + "." + type(category.generator).__name__
    return GenerationContext(category.name, spec, toolset, seed, gen_name, provider, model, registry=registry)


def generate_category(
    category: Category,
    registry: Registry,
    out_dir: Path,
    seed: int,
    count: int | None = None,
    validator: RecordValidator | None = None,
    progress: Any = None,
    generator: Any = None,
    provider: str = "template",
    model: str | None = None,
) -> CategoryResult:
    """Generate ``count`` (default: the spec's total) valid, unique records into ``out_dir``."""
    ctx = category_context(category, registry, seed, provider, model)
    generator = generator or category.generator
    validator = validator or RecordValidator()
    plan = allocate(ctx.spec.targets, count)
    path = Path(out_dir) / ctx.spec.output_file
    seen: set[str] = set()
    rejected: Counter = Counter()
    attempts = 0
    per_sub: dict[str, int] = {}
    with JsonlWriter(path) as writer:
        for sub, wanted in plan.items():
            got = 0
            budget = max(50, wanted * MAX_ATTEMPTS_PER_RECORD)
            if wanted:
                for ex in _guarded(generator.generate(ctx, sub, wanted), category.name, generator):
                    attempts += 1
                    budget -= 1
                    key = prompt_key(ex)  # a repeat is dropped before the (costlier) validation
                    errs = [] if key in seen else validator.check(ex.to_dict())
                    if key in seen:
                        rejected["duplicate user prompt"] += 1
                    elif errs:
                        rejected[f"invalid: {errs[0]}"] += 1
                    else:
                        seen.add(key)
                        writer.write(ex.to_json())
                        got += 1
                        if progress is not None:
                            progress(1)
                        if got == wanted:
                            break
                    if budget <= 0:
                        break
            if got < wanted:
                top = ", ".join(f"{r} x{n}" for r, n in rejected.most_common(3)) or "generator ran dry"
                raise FactoryError(
                    f"category '{category.name}', subcategory '{sub}': only {got} of {wanted} unique valid "
                    f"records after {attempts} attempts ({top}); nothing was written"
                )
            per_sub[sub] = got
    rejected.update({f"generator: {reason}": n for reason, n in ctx.rejected.items()})
    return CategoryResult(
        category.name, path, writer.count, writer.sha256, ctx.spec, seed, provider, model,
        attempts, rejected, per_sub,
    )
