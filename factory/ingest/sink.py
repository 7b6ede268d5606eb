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


class Prepared(NamedTuple):
    """A candidate scrubbed, built and validated (:func:`prepare`), before the sink's dedupe and write:
    what the sink's order-dependent part needs. Engine tasks prepare candidates in parallel."""

    scrubbed: dict[str, int]  # kind -> findings in this candidate
    rejected: str | None  # the reason, or None
    id: str | None
    subcategory: str
    line: bytes | None  # the record as JSON


def prepare(scrubber: Scrubber, validator: RecordValidator, category: str, subcategory: str,
            messages: list[dict[str, Any]], tools: list[dict[str, Any]], meta: dict[str, Any]) -> Prepared:
    """Scrub, build the Example and validate one candidate; touches nothing but ``scrubber``'s counts."""
    before, scrubber.counts = scrubber.counts, Counter()
    try:
        scrubber.begin_record(iter_strings([messages, meta]))
        messages = scrubber.scrub_messages(messages)
        meta = scrubber.scrub_value(meta)
        found = dict(scrubber.counts)
    finally:  # the scrubber keeps its running totals too
        before.update(scrubber.counts)
        scrubber.counts = before
    try:
        example = Example(category=category, subcategory=subcategory, messages=messages, tools=tools, meta=meta)
    except ValidationError as exc:
        err = exc.errors()[0]
        return Prepared(found, f"invalid: {'.'.join(map(str, err['loc']))}: {err['msg']}", None, subcategory, None)
    errors = validator.check(example.to_dict())
    if errors:
        # Keep the reason's shape, not its instance details, so reasons aggregate.
        return Prepared(found, "invalid: " + errors[0].split(": ", 1)[-1][:120], None, subcategory, None)
    return Prepared(found, None, example.id, subcategory, example.to_json())


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
        self._scrubbed: Counter = Counter()
        self._writer = JsonlWriter(self.out, allow_empty=allow_empty)

    def __enter__(self) -> RecordSink:
        self._writer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._writer.__exit__(*exc)
        self.report.scrubbed = Counter(self._scrubbed)
        if exc[0] is None:
            write_json(self.out.with_name(self.out.name + ".report.json"), self.report.to_dict())

    def feed(self, candidates: Iterable[Candidate | Prepared]) -> IngestReport:
        """Offer every candidate an ingestor yields, one at a time (the ingestor may read
        ``report.written`` between two), and return the report. A :class:`Prepared` candidate (made
        by an engine task) skips straight to the dedupe and the write."""
        for candidate in candidates:
            if isinstance(candidate, Prepared):
                self.take(candidate)
            else:
                self.offer(*candidate)
        return self.report

    def offer(self, category: str, subcategory: str, messages: list[dict[str, Any]],
              tools: list[dict[str, Any]], meta: dict[str, Any]) -> bool:
        """Take one candidate; return whether it was written."""
        return self.take(prepare(self.scrubber, self.validator, category, subcategory, messages, tools, meta))

    def take(self, prepared: Prepared) -> bool:
        """Count, dedupe and write one prepared candidate; return whether it was written."""
        self.report.candidates += 1
        self._scrubbed.update(prepared.scrubbed)
        if prepared.rejected is not None:
            self.report.rejected[prepared.rejected] += 1
            return False
        if prepared.id in self._ids:
            self.report.rejected["duplicate"] += 1
            return False
        self._ids.add(prepared.id)
        self._writer.write(prepared.line)
        self.report.written += 1
        self.report.subcategories[prepared.subcategory] += 1
        return True
