"""Where every ingestor's candidate records go: scrub, build the Example, validate, dedupe, write.

``RecordSink`` is the one path to disk for ingested data, so no ingestor can write an unscrubbed or
invalid record. Its ``IngestReport`` reconciles: candidates = written + rejected (each with a reason),
and it carries the scrub counts per kind and the input units read and skipped. The report is written
as JSON beside the output (``OUT.report.json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from factory.ingest.scrub import Scrubber, iter_strings
from factory.quality.validate import RecordValidator
from factory.schemas import Example
from factory.store.jsonl import JsonlWriter, write_json


@dataclass
class IngestReport:
    ingestor: str
    output: str = ""
    sources: int = 0  # files / repositories / commits the ingestor opened
    units_read: int = 0  # log entries, commits, files: what the source is made of
    units_skipped: Counter = field(default_factory=Counter)  # noise dropped before becoming a candidate
    candidates: int = 0
    written: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> count
    scrubbed: Counter = field(default_factory=Counter)  # kind -> count
    subcategories: Counter = field(default_factory=Counter)

    def reject(self, reason: str) -> None:
        self.candidates += 1
        self.rejected[reason] += 1

    @property
    def reconciles(self) -> bool:
        return self.candidates == self.written + sum(self.rejected.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "ingestor": self.ingestor,
            "output": self.output,
            "sources": self.sources,
            "units_read": self.units_read,
            "units_skipped": dict(self.units_skipped),
            "candidates": self.candidates,
            "written": self.written,
            "rejected": dict(self.rejected),
            "scrubbed": dict(self.scrubbed),
            "subcategories": dict(self.subcategories),
        }

    def summary(self) -> str:
        lines = [
            f"{self.ingestor}: {self.sources} source(s), {self.units_read} unit(s) read; "
            f"{self.candidates} candidate record(s) = {self.written} written + "
            f"{sum(self.rejected.values())} rejected",
        ]
        for reason, n in self.units_skipped.most_common():
            lines.append(f"  skipped  {n:>6}  {reason}")
        for reason, n in self.rejected.most_common():
            lines.append(f"  rejected {n:>6}  {reason}")
        for kind, n in self.scrubbed.most_common():
            lines.append(f"  scrubbed {n:>6}  {kind}")
        if self.output:
            lines.append(f"  -> {self.output}")
        return "\n".join(lines)


class Candidate(NamedTuple):
    """One record an ingestor proposes; the sink decides whether it is written."""

    category: str
    subcategory: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    meta: dict[str, Any]


class RecordSink:
    """Scrubs, validates, dedupes and writes candidate records atomically; counts everything."""

    def __init__(self, out: str | Path, report: IngestReport, scrubber: Scrubber | None = None,
                 allow_empty: bool = True) -> None:
        self.out = Path(out)
        self.report = report
        self.report.output = str(self.out)
        self.scrubber = scrubber or Scrubber()
        self.validator = RecordValidator()
        self._ids: set[str] = set()
        self._writer = JsonlWriter(self.out, allow_empty=allow_empty)

    def __enter__(self) -> RecordSink:
        self._writer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._writer.__exit__(*exc)
        self.report.scrubbed = Counter(self.scrubber.counts)
        if exc[0] is None:
            write_json(self.out.with_name(self.out.name + ".report.json"), self.report.to_dict())

    def feed(self, candidates: Iterable[Candidate]) -> IngestReport:
        """Offer every candidate an ingestor yields, one at a time (the ingestor may read
        ``report.written`` between two), and return the report."""
        for candidate in candidates:
            self.offer(*candidate)
        return self.report

    def offer(self, category: str, subcategory: str, messages: list[dict[str, Any]],
              tools: list[dict[str, Any]], meta: dict[str, Any]) -> bool:
        """Take one candidate; return whether it was written."""
        self.report.candidates += 1
        scrub = self.scrubber
        scrub.begin_record(iter_strings([messages, meta]))
        messages = scrub.scrub_messages(messages)
        meta = scrub.scrub_value(meta)
        try:
            example = Example(category=category, subcategory=subcategory, messages=messages, tools=tools,
                              meta=meta)
        except ValidationError as exc:
            err = exc.errors()[0]
            self.report.rejected[f"invalid: {'.'.join(map(str, err['loc']))}: {err['msg']}"] += 1
            return False
        record = example.to_dict()
        errors = self.validator.check(record)
        if errors:
            # Keep the reason's shape, not its instance details, so reasons aggregate.
            self.report.rejected["invalid: " + errors[0].split(": ", 1)[-1][:120]] += 1
            return False
        if example.id in self._ids:
            self.report.rejected["duplicate"] += 1
            return False
        self._ids.add(example.id)
        self._writer.write(example.to_json())
        self.report.written += 1
        self.report.subcategories[subcategory] += 1
        return True
