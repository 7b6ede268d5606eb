"""Coverage of a generated dataset directory: targets, tool use and capabilities, computed.

- category x subcategory: the spec's target against the records on disk;
- every tool of every registered tool set with its call count;
- the capabilities of a coding agent, with the categories that declare teaching them and counts;
- quality per category (optional): near-duplicate share, records whose code fails to parse or lint,
  and the pass rate of grounded tool calls re-executed against the workspace.

One streaming pass per file; code checks run in batches so ruff is called a few times per file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.store.jsonl import read_jsonl

# The capabilities a coding agent needs, in the order the coverage table lists them. Which category
# teaches which is declared in each spec's ``capabilities:``; a capability a plugin declares that is
# not listed here is shown after these, under its own name.
CAPABILITY_LABELS: dict[str, str] = {
    "planning": "Planning & decomposition",
    "proactive_exploration": "Proactive exploration",
    "tool_orchestration": "Tool orchestration",
    "code_quality": "Code quality (SOLID, DRY)",
    "testing_mindset": "Testing mindset",
    "refactoring_patterns": "Refactoring patterns",
    "clarifying_questions": "Clarifying questions",
    "progress_communication": "Progress communication",
    "self_verification": "Self-verification",
    "context_management": "Context management",
    "documentation_awareness": "Documentation awareness",
    "error_recovery": "Error recovery & debugging",
    "language_expertise": "Language/framework expertise",
    "security_consciousness": "Security consciousness",
    "performance": "Performance optimisation",
    "adaptive_behaviour": "Adaptive behaviour",
    "uncertainty_handling": "Uncertainty handling",
}


def capability_sources(specs: Iterable[Any]) -> list[tuple[str, tuple[str, ...]]]:
    """(label, sources) per capability, a source being ``category`` or ``category/subcategory``, from
    the specs' ``capabilities:`` declarations."""
    sources: dict[str, list[str]] = {key: [] for key in CAPABILITY_LABELS}
    for spec in specs:
        for key, subs in spec.capabilities.items():
            sources.setdefault(key, []).extend([f"{spec.name}/{s}" for s in subs] if subs else [spec.name])
    return [(CAPABILITY_LABELS.get(key, key), tuple(srcs)) for key, srcs in sources.items()]


CODE_BATCH = 500


@dataclass
class CategoryQuality:
    records: int = 0
    near_dup_share: float = 0.0
    code_failures: int = 0
    code_reasons: Counter = field(default_factory=Counter)
    grounded_checked: int = 0
    grounded_matched: int = 0

    @property
    def grounded_pass_rate(self) -> float | None:
        return self.grounded_matched / self.grounded_checked if self.grounded_checked else None


@dataclass
class CoverageReport:
    targets: dict[str, dict[str, int]] = field(default_factory=dict)
    actual: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    tool_calls: Counter = field(default_factory=Counter)
    toolsets: dict[str, list[str]] = field(default_factory=dict)
    quality: dict[str, CategoryQuality] = field(default_factory=dict)
    missing_files: list[str] = field(default_factory=list)
    specs: list[Any] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # file:line: reason of lines that are no record

    @property
    def records(self) -> int:
        return sum(sum(c.values()) for c in self.actual.values())

    def count(self, source: str) -> int:
        cat, _, sub = source.partition("/")
        got = self.actual.get(cat, Counter())
        return got.get(sub, 0) if sub else sum(got.values())


def _records(path: Path, report: CoverageReport, category: str) -> Iterator[dict[str, Any]]:
    for _, obj in read_jsonl(path, strict=False):
        if not isinstance(obj, dict):
            report.unreadable.append(str(obj) if isinstance(obj, Exception) else f"{path}: a line is not a JSON object")
            continue
        report.actual[category][obj.get("subcategory", "")] += 1
        for msg in obj.get("messages", []):
            for call in msg.get("tool_calls") or []:
                report.tool_calls[call.get("function", {}).get("name", "?")] += 1
        yield obj


def collect(data_dir: str | Path, registry: Any, checks: bool = True, lint: bool = True,
            workspace: Any = None) -> CoverageReport:
    """Read every registered category's file in ``data_dir`` once and fill a :class:`CoverageReport`."""
    from factory.generate.specs import load_spec

    data_dir = Path(data_dir)
    report = CoverageReport()
    for entry in registry.toolsets.entries():
        report.toolsets[entry.obj.name] = entry.obj.names
    for entry in registry.categories.entries():
        spec = load_spec(entry.obj.spec_path)
        report.targets[spec.name] = dict(spec.targets)
        report.specs.append(spec)
        path = data_dir / spec.output_file
        if not path.exists():
            report.missing_files.append(spec.output_file)
            continue
        stream = _records(path, report, spec.name)
        if not checks:
            for _ in stream:
                pass
            continue
        report.quality[spec.name] = _quality(stream, lint, workspace)
    return report


def _quality(stream: Iterator[dict[str, Any]], lint: bool, workspace: Any) -> CategoryQuality:
    from factory.quality.codecheck import check_records
    from factory.quality.neardup import near_duplicate_share
    from factory.sandbox.workspace import Workspace, record_workspace, verify_record

    q = CategoryQuality()
    batch: list[dict[str, Any]] = []
    ws = workspace

    def flush() -> None:
        for problems in check_records(batch, lint=lint):
            if problems:
                q.code_failures += 1
                q.code_reasons[problems[0].split(": ", 1)[-1][:80]] += 1
        batch.clear()

    def tap() -> Iterator[dict[str, Any]]:
        nonlocal ws
        for rec in stream:
            q.records += 1
            batch.append(rec)
            if len(batch) >= CODE_BATCH:
                flush()
            if (rec.get("meta") or {}).get("grounding"):
                ws = ws or Workspace()
                from factory.sandbox.workspace import READ_ONLY_TOOLS

                calls = sum(1 for m in rec["messages"] for c in m.get("tool_calls") or []
                            if c["function"]["name"] in READ_ONLY_TOOLS)
                q.grounded_checked += calls
                q.grounded_matched += calls - len(verify_record(rec, record_workspace(rec, ws)))
            yield rec

    q.near_dup_share = near_duplicate_share(tap()).share
    flush()
    return q


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def to_markdown(report: CoverageReport) -> str:
    parts = ["# Dataset coverage", ""]
    rows = []
    for cat in sorted(report.targets):
        got = report.actual.get(cat, Counter())
        for sub, target in report.targets[cat].items():
            n = got.get(sub, 0)
            rows.append([cat, sub, target, n, "ok" if n >= target else f"short by {target - n}"])
    parts += ["## Categories and subcategories", "", _table(["category", "subcategory", "target", "actual", ""], rows), ""]
    if report.missing_files:
        parts += ["Missing files: " + ", ".join(f"`{f}`" for f in report.missing_files), ""]
    rows = []
    for name, tools in sorted(report.toolsets.items()):
        rows += [[name, f"`{t}`", report.tool_calls.get(t, 0)] for t in tools]
    known = {t for tools in report.toolsets.values() for t in tools}
    rows += [["(not in a registered set)", f"`{t}`", n] for t, n in sorted(report.tool_calls.items()) if t not in known]
    parts += ["## Tool calls", "", _table(["toolset", "tool", "calls"], rows), ""]
    rows = []
    capabilities = capability_sources(report.specs)
    for i, (cap, sources) in enumerate(capabilities, 1):
        n = sum(report.count(s) for s in sources)
        rows.append([i, cap, ", ".join(f"{s} ({report.count(s)})" for s in sources), n, "yes" if n else "NO"])
    parts += [f"## The {len(capabilities)} capabilities of a coding agent", "", _table(["#", "capability", "taught by", "records", "covered"], rows), ""]
    if report.quality:
        rows = []
        for cat, q in sorted(report.quality.items()):
            rate = q.grounded_pass_rate
            rows.append([cat, q.records, f"{q.near_dup_share:.1%}", q.code_failures,
                         "-" if rate is None else f"{q.grounded_matched}/{q.grounded_checked} ({rate:.1%})"])
        parts += ["## Quality", "",
                  ("Near-duplicates: records >= 0.85 Jaccard (word 5-grams, numbers and identifiers normalised) to an "
                  "earlier record. Code: records with a fenced block that does not parse, or assistant Python that "
                  "fails `ruff check`. Grounded: read-only tool calls whose recorded result equals a fresh execution."),
                  "", _table(["category", "records", "near-dup share", "code failures", "grounded calls matching"], rows), ""]
    return "\n".join(parts)
