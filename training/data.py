"""Training rows from the factory's files: Example records or TRL ``messages`` + ``tools`` rows.

A row is ``{"messages", "tools", "category"}`` with tool-call ``arguments`` as dicts (chat templates
such as Qwen's serialise them; a JSON string would be encoded twice). A record yields the row of the
TRL export (``factory.export.formats.trl_rows``): negatives (``tool_neg``, label false) and FIM
records are left to KTO/DPO and the FIM export, with that reason.
Every line read is either a row or a rejection with ``file:line`` and the reason.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from factory.errors import InputError
from factory.export.base import ExportContext
from factory.export.base import chat_messages as export_messages
from factory.export.formats import trl_rows
from factory.schemas import Example
from factory.store.jsonl import read_jsonl


def held_out_files() -> frozenset[str]:
    """File names of the categories whose spec says ``held_out: true``: a data directory's evaluation
    data, never trained on."""
    from factory.generate.specs import category_specs
    from factory.host import default_registry

    return frozenset(spec.output_file for spec in category_specs(default_registry()).values() if spec.held_out)


@dataclass
class LoadReport:
    """Counts that reconcile: read = kept + rejected (reasons by ``file:line``)."""

    read: int = 0
    kept: int = 0
    rejected: list[str] = field(default_factory=list)
    by_category: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        cats = ", ".join(f"{k} {v}" for k, v in sorted(self.by_category.items()))
        return f"read {self.read}, kept {self.kept}, rejected {len(self.rejected)}" + (
            f" ({cats})" if cats else ""
        )


def data_files(paths: Iterable[str | Path], include_eval: bool = False) -> list[Path]:
    """Expand directories to their ``*.jsonl`` files (sorted; held-out categories' files left out unless
    asked)."""
    files: list[Path] = []
    held_out = frozenset() if include_eval else held_out_files()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += [p for p in sorted(path.glob("*.jsonl")) if p.name not in held_out]
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(
                path, None, "no such file or directory", "pass JSONL files or a directory of them"
            )
    if not files:
        raise InputError(
            ", ".join(map(str, paths)) or "--data",
            None,
            "no JSONL files found",
            "run `factory run --out DIR` first",
        )
    return files


def _arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def chat_messages(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as chat templates want them (the exporters' rules), with arguments that arrive as JSON
    strings (OpenAI-format rows) decoded back to dicts so the template serialises them once."""
    out = export_messages(messages)
    for msg in out:
        if msg.get("tool_calls"):
            msg["tool_calls"] = [
                {
                    **c,
                    "function": {
                        **c["function"],
                        "arguments": _arguments(c["function"].get("arguments", {})),
                    },
                }
                for c in msg["tool_calls"]
            ]
    return out


def row_from_json(obj: Any) -> tuple[dict[str, Any] | None, str]:
    """A factory Example record or a TRL ``messages`` (+ ``tools``) row -> SFT row.

    A record becomes exactly the row ``factory export --format trl`` writes for it, so training from
    records and training from the export are the same thing.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
        return None, "expected an object with a 'messages' list (a factory record or a TRL messages row)"
    if "category" in obj:
        try:
            record = Example.model_validate(obj).to_dict()
        except ValidationError as exc:
            err = exc.errors()[0]
            return None, f"not a valid record: {'.'.join(map(str, err['loc']))}: {err['msg']}"
        (row,) = list(trl_rows(record, ExportContext()))[:1] or ["no row"]
        if isinstance(row, str):
            return None, row
        return {
            "messages": chat_messages(row["messages"]),
            "tools": row.get("tools") or [],
            "category": record["category"],
        }, ""
    roles = [m.get("role") for m in obj["messages"] if isinstance(m, dict)]
    if "assistant" not in roles:
        return None, "no assistant turn to learn"
    return {
        "messages": chat_messages(obj["messages"]),
        "tools": obj.get("tools") or [],
        "category": obj.get("category", ""),
    }, ""


def iter_rows(files: Iterable[Path], report: LoadReport) -> Iterator[dict[str, Any]]:
    """Stream rows from files; every line read is counted as kept or rejected."""
    for path in files:
        for lineno, obj in read_jsonl(path, strict=False):
            report.read += 1
            if isinstance(obj, InputError):
                report.rejected.append(str(obj))
                continue
            row, reason = row_from_json(obj)
            if row is None:
                report.rejected.append(f"{path}:{lineno}: {reason}")
                continue
            row["category"] = row["category"] or path.stem
            report.kept += 1
            report.by_category[row["category"]] += 1
            yield row


def balanced_sample(rows: Iterable[dict[str, Any]], limit: int | None, seed: int) -> list[dict[str, Any]]:
    """Up to ``limit`` rows spread evenly over categories (seeded reservoir per category, then round robin).

    Memory is bounded by ``limit`` rows per category, not by the dataset.
    """
    if limit is None:
        return list(rows)
    rng = random.Random(seed)
    reservoirs: dict[str, list[dict[str, Any]]] = {}
    seen: Counter = Counter()
    for row in rows:
        cat = row["category"]
        reservoir = reservoirs.setdefault(cat, [])
        seen[cat] += 1
        if len(reservoir) < limit:
            reservoir.append(row)
        else:
            j = rng.randrange(seen[cat])
            if j < limit:
                reservoir[j] = row
    picked: list[dict[str, Any]] = []
    queues = [reservoirs[c] for c in sorted(reservoirs)]
    for queue in queues:
        rng.shuffle(queue)
    i = 0
    while len(picked) < limit and any(i < len(q) for q in queues):
        picked += [q[i] for q in queues if i < len(q)][: limit - len(picked)]
        i += 1
    rng.shuffle(picked)
    return picked


def load_training_rows(
    paths: Iterable[str | Path], limit: int | None, seed: int, categories: Iterable[str] | None = None
) -> tuple[list[dict[str, Any]], LoadReport]:
    """Rows for one run (optionally only some categories) and the report that accounts for every line."""
    report = LoadReport()
    wanted = set(categories) if categories is not None else None
    rows = iter_rows(data_files(paths), report)
    if wanted is not None:
        rows = (r for r in rows if r["category"] in wanted)
    return balanced_sample(rows, limit, seed), report


def to_dataset(rows: list[dict[str, Any]]):
    """A ``datasets.Dataset`` that keeps each row's own argument keys and tool schemas.

    Inferred features would merge differing dicts across rows into one struct and fill missing keys
    with null, which then appear in the training text; JSON features keep every row as written.
    """
    from datasets import Dataset, Features, Json, List

    features = Features({"messages": List(Json()), "tools": List(Json())})
    return Dataset.from_list(
        [{"messages": r["messages"], "tools": r["tools"]} for r in rows], features=features
    )
