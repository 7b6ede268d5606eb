"""Export formats: each turns merged Example records into the rows a trainer reads.

A format is a registered :class:`factory.registry.Exporter`, built-in or a plugin's, all run the same
way: ``rows(record, ctx)`` yields zero or more output rows per record (or a reason string when the
record does not fit the format, which is counted, never silent), ``files`` names the output file of
each split (mlx-lm reads ``valid.jsonl``, not ``eval.jsonl``) and ``checks`` picks the self-checks.
:func:`export_split` streams one split through a format into ``out_dir`` atomically;
:mod:`factory.export.checks` holds the self-checks run on what was written.

Tool-call arguments stay dicts except where the target format says JSON string (OpenAI).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.errors import FactoryError

# Messages as chat templates want them (content "" on call-only turns, no reasoning): one implementation,
# shared with token counting, under the name the formats and training use.
from factory.quality.tokens import template_messages as chat_messages  # noqa: F401 -- re-exported
from factory.registry import Exporter
from factory.store.jsonl import JsonlWriter

Row = dict[str, Any]


@dataclass
class ExportContext:
    """What a format may need besides the record: the split, the tokenizer family (FIM tokens, EOS)
    and, for preference pairs, the originals that enhanced records replaced (by id)."""

    split: str = "train"
    tokenizer: str = "qwen2.5"
    originals: dict[str, Row] = field(default_factory=dict)


@dataclass(frozen=True)
class SideRow:
    """A row for another file of the format than the split's main one: ``stream`` names it (sharegpt
    writes its label-true SFT rows to ``train.jsonl`` and its KTO rows, negatives included, to the
    ``kto`` stream's ``kto_train.jsonl``)."""

    stream: str
    row: Row


def stream_file(fmt: Exporter, stream: str, split: str) -> str:
    return fmt.files.get(f"{stream}:{split}", f"{stream}_{split}.jsonl")


@dataclass
class SplitResult:
    path: Path
    read: int = 0
    written: int = 0
    skipped: Counter = field(default_factory=Counter)
    streams: dict[str, tuple[Path, int]] = field(default_factory=dict)


def _rows_of(fmt: Exporter, record: Row, ctx: ExportContext) -> Iterator[Row | SideRow | str]:
    """``fmt.rows`` for one record; a plugin's format that raises is one clear error naming it."""
    try:
        yield from fmt.rows(record, ctx)
    except FactoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a format's bug: name the format and the record, no traceback
        raise FactoryError(f"export format '{fmt.name}' failed on record {record.get('id', '?')}: "
                           f"{type(exc).__name__}: {exc} (rows(record, ctx) yields rows or reason strings; "
                           "see docs/plugins.md)") from None


def export_split(fmt: Exporter, records: Iterable[Row], out_dir: Path, ctx: ExportContext) -> SplitResult:
    """Write ``records`` of one split as ``fmt`` rows; a reason string from ``fmt.rows`` skips it, a
    :class:`SideRow` goes to its stream's file. Every file is written atomically; a declared stream
    file of this split that gets no row this time is removed, so no stale file outlives its export."""
    out_dir = Path(out_dir)
    path = out_dir / fmt.files.get(ctx.split, f"{ctx.split}.jsonl")
    result = SplitResult(path)
    with ExitStack() as stack:
        writer = stack.enter_context(JsonlWriter(path))
        side: dict[str, JsonlWriter] = {}
        for record in records:
            result.read += 1
            for row in _rows_of(fmt, record, ctx):
                if isinstance(row, str):
                    result.skipped[row] += 1
                elif isinstance(row, SideRow):
                    if row.stream not in side:
                        side[row.stream] = stack.enter_context(
                            JsonlWriter(out_dir / stream_file(fmt, row.stream, ctx.split)))
                    side[row.stream].write(row.row)
                else:
                    writer.write(row)
    result.written = writer.count
    result.streams = {name: (w.path, w.count) for name, w in side.items()}
    for key, name in fmt.files.items():
        stream, _, split = key.partition(":")
        if split == ctx.split and stream not in side:
            (out_dir / name).unlink(missing_ok=True)
    return result


# -- helpers shared by formats ----------------------------------------------------------------------
def split_prompt(messages: list[Row]) -> tuple[list[Row], list[Row]]:
    """Prompt = everything up to the last user turn (inclusive); completion = the rest."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    return messages[: last_user + 1], messages[last_user + 1:]


def iter_defect_pairs(record: Row) -> Iterator[tuple[list[Row], Row, Row]]:
    """(prompt, chosen assistant turn, rejected assistant turn) of a record with ``meta.defect``."""
    defect = (record.get("meta") or {}).get("defect")
    if not defect:
        return
    msgs = record["messages"]
    last = max(i for i, m in enumerate(msgs) if m.get("role") == "assistant")
    chosen = {"role": "assistant", "content": "", "tool_calls": defect["correct"]}
    yield msgs[:last], chosen, msgs[last]


def run_export(exporter: Any, splits: dict[str, Path], out_dir: Path, tokenizer: str = "qwen2.5",
               originals: Iterable[Path] = (), check: bool = True, mask_sample: int = 100) -> dict[str, Any]:
    """Export each split file of ``splits`` with ``exporter`` into ``out_dir``, run its self-checks on
    what was written and write ``export_report.json`` (records read, rows written, skips with their
    reasons, check results); returns the report. Every exporter, built-in or a plugin's, goes this way."""
    from factory.store.jsonl import read_jsonl, write_json

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx_originals: dict[str, Row] = {}
    for path in originals:
        if Path(path).exists():
            for _line, rec in read_jsonl(path):
                ctx_originals[rec["id"]] = rec
    report: dict[str, Any] = {"format": exporter.name, "tokenizer": tokenizer, "splits": {}}
    written: list[Path] = []
    for split, path in splits.items():
        ctx = ExportContext(split=split, tokenizer=tokenizer, originals=ctx_originals)
        res = export_split(exporter, (rec for _line, rec in read_jsonl(path)), out_dir, ctx)
        report["splits"][split] = {"input": str(path), "path": str(res.path), "records_read": res.read,
                                   "rows_written": res.written, "skipped": dict(res.skipped)}
        if res.streams:
            report["splits"][split]["streams"] = {
                name: {"path": str(p), "rows_written": n} for name, (p, n) in res.streams.items()}
        written.append(res.path)
        written.extend(p for p, _n in res.streams.values())
    if exporter.metadata is not None:
        for name, obj in exporter.metadata(report).items():
            write_json(out_dir / name, obj)
    if check and exporter.checks:
        from factory.export.checks import check_export

        tok = None
        if exporter.checks in ("chat", "mlx", "fim"):
            from factory.quality.tokens import load_tokenizer

            tok = load_tokenizer(tokenizer)
        checks = check_export(exporter.checks, written, tok, mask_sample)
        report["checks"] = checks.as_dict() if checks is not None else None
    write_json(out_dir / "export_report.json", report)
    from factory.store.provenance import record_inputs

    record_inputs(out_dir, f"export {report['format']}", [*splits.values(), *(originals or [])])
    return report
