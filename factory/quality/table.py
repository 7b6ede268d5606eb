"""The quality table (per category): records, single-turn share, records
with tool calls, tool calls valid against the offered schemas, context present, counts against targets.

One streaming pass; a record whose ``meta.defect`` declares a defect (tool_neg) is expected to carry
an invalid call, so its calls are counted apart and never lower the valid share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.quality.validate import RecordValidator
from factory.store.jsonl import read_jsonl


@dataclass
class CategoryQuality:
    category: str
    records: int = 0
    single_turn: int = 0
    with_tool_calls: int = 0
    calls: int = 0
    valid_calls: int = 0
    defect_records: int = 0
    with_system: int = 0
    with_context: int = 0
    label_true: int = 0
    target: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class QualityTable:
    context_fields: tuple[str, ...] = ()
    rows: dict[str, CategoryQuality] = field(default_factory=dict)

    def add(self, record: dict[str, Any], validator: RecordValidator) -> None:
        cat = str(record.get("category", "?"))
        row = self.rows.setdefault(cat, CategoryQuality(cat))
        msgs = record.get("messages") or []
        row.records += 1
        row.label_true += record.get("label") is True
        row.single_turn += sum(m.get("role") == "user" for m in msgs) == 1
        row.with_system += bool(msgs) and msgs[0].get("role") == "system"
        offered = {t["function"]["name"]: t for t in record.get("tools") or [] if "function" in t}
        declared = bool((record.get("meta") or {}).get("defect"))
        row.defect_records += declared
        calls = [c for m in msgs if m.get("role") == "assistant" for c in m.get("tool_calls") or []]
        row.with_tool_calls += bool(calls)
        if not declared:
            for c in calls:
                fn = c.get("function") or {}
                row.calls += 1
                row.valid_calls += not validator.call_issues(fn.get("name", ""), fn.get("arguments"), offered)
        if self.context_fields:
            row.with_context += any(
                all(k in ((c.get("function") or {}).get("arguments") or {}) for k in self.context_fields)
                for c in calls
            )
        else:  # without named context fields: the record gives the model something to work from
            row.with_context += bool(offered) or (bool(msgs) and msgs[0].get("role") == "system")

    def total(self) -> CategoryQuality:
        tot = CategoryQuality("total")
        for row in self.rows.values():
            for k in tot.__dataclass_fields__:
                if k not in ("category", "target"):
                    setattr(tot, k, getattr(tot, k) + getattr(row, k))
        targets = [r.target for r in self.rows.values() if r.target is not None]
        tot.target = sum(targets) if targets else None
        return tot

    def as_dict(self) -> dict[str, Any]:
        return {"categories": {k: v.as_dict() for k, v in sorted(self.rows.items())},
                "total": self.total().as_dict(), "context_fields": list(self.context_fields)}

    def format(self) -> str:
        def pct(n: int, d: int) -> str:
            return f"{n}/{d} ({100 * n / d:.1f}%)" if d else "-"

        head = f"{'category':<16} {'records':>8} {'target':>8}  {'single-turn':<20} {'tool calls':<20} " \
               f"{'valid calls':<20} {'context':<20} {'label true':<20}"
        lines = [head]
        for row in [*(self.rows[k] for k in sorted(self.rows)), self.total()]:
            target = "-" if row.target is None else str(row.target)
            if row.target is not None and row.records < row.target:
                target += "!"
            lines.append(
                f"{row.category:<16} {row.records:>8} {target:>8}  {pct(row.single_turn, row.records):<20} "
                f"{pct(row.with_tool_calls, row.records):<20} {pct(row.valid_calls, row.calls):<20} "
                f"{pct(row.with_context, row.records):<20} {pct(row.label_true, row.records):<20}"
            )
        return "\n".join(lines)


def quality_table(paths: Iterable[str | Path], targets: dict[str, int] | None = None,
                  context_fields: Iterable[str] = (), validator: RecordValidator | None = None) -> QualityTable:
    """Stream ``paths`` into a quality table; ``targets`` maps category -> wanted record count."""
    validator = validator or RecordValidator()
    table = QualityTable(tuple(context_fields))
    for path in paths:
        for _line, obj in read_jsonl(path, strict=False):
            if isinstance(obj, dict) and isinstance(obj.get("messages"), list):
                table.add(obj, validator)
    for cat, n in (targets or {}).items():
        if cat in table.rows:
            table.rows[cat].target = n
    return table
