"""``factory check``: APIGen's three-stage verification, plus builds and the measures of a category,
on any records -- template, LLM-made, enhanced or ingested.

Stages, in order; a record that fails one is rejected with the stage and its reasons:

1. **format** -- the record schema, roles and order, every call against the offered tools' schemas;
2. **execution** -- a grounded record's read-only calls re-executed against the repository it names
   (``meta.grounding.workspace``: a shipped fixture repository, ``$FACTORY_GROUNDING_REPO`` or a
   ``--repo``); its recorded results must equal the fresh ones;
3. **semantic** -- claims agree with the results they follow, listed conventions are in the code,
   calls meet their tools' preconditions (:mod:`factory.quality.semantic`);
4. **build** -- code blocks and written files: Python through ast and ruff, Go through gofmt and go
   vet, Rust through rustc, TypeScript through tsc where installed (:mod:`factory.quality.builds`).

Per category it also reports the variety measures (:mod:`factory.quality.variety`) and the behaviour
mix (:mod:`factory.quality.behaviour`). Counts reconcile: read = passed + rejected.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.errors import InputError
from factory.quality.behaviour import BehaviourMix
from factory.quality.builds import build_check
from factory.quality.codecheck import CodeBlock, parse_error, record_blocks, ruff_check_sources
from factory.quality.overlap import Overlap, answer_shapes, overlap, prompt_sentences, trained_shapes
from factory.quality.probes import make_pair, run_pairs
from factory.quality.semantic import semantic_errors, workspace_for
from factory.quality.validate import RecordValidator
from factory.quality.variety import Variety, kit_nouns
from factory.sandbox.workspace import verify_record
from factory.store.jsonl import JsonlWriter, read_jsonl

STAGES = ("format", "execution", "semantic", "build")
BUILD_BATCH = 4000  # blocks per toolchain batch
RECORD_BATCH = 4000  # records held (pending a build, or rejected) before a batch is built and written


@dataclass
class Stage:
    checked: int = 0
    failed: int = 0
    reasons: Counter = field(default_factory=Counter)

    @property
    def pass_rate(self) -> float:
        return (self.checked - self.failed) / self.checked if self.checked else 1.0


@dataclass
class CategoryCheck:
    read: int = 0
    stages: dict[str, Stage] = field(default_factory=lambda: {s: Stage() for s in STAGES})
    unverifiable: int = 0  # grounded records whose repository is not at hand
    variety: Variety = field(default_factory=Variety)
    behaviour: BehaviourMix = field(default_factory=BehaviourMix)

    @property
    def rejected(self) -> int:
        return sum(s.failed for s in self.stages.values())

    @property
    def passed(self) -> int:
        return self.read - self.rejected


@dataclass
class CheckReport:
    categories: dict[str, CategoryCheck] = field(default_factory=dict)
    skipped_builds: dict[str, str] = field(default_factory=dict)
    build_blocks: Counter = field(default_factory=Counter)
    held_out: dict[str, Overlap] = field(default_factory=dict)  # held-out category -> overlap with training

    def category(self, name: str) -> CategoryCheck:
        return self.categories.setdefault(name, CategoryCheck())

    @property
    def read(self) -> int:
        return sum(c.read for c in self.categories.values())

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.categories.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read, "rejected": self.rejected, "skipped_builds": self.skipped_builds,
            "build_blocks": dict(self.build_blocks),
            "held_out_overlap": {name: {"records": o.records, "prompts_only_training_sentences": o.only_training,
                                        "text_answers": o.answers, "answers_shaped_like_training": o.shared_answers}
                                 for name, o in self.held_out.items()},
            "categories": {
                name: {"read": c.read, "passed": c.passed, "unverifiable": c.unverifiable,
                       "stages": {s: {"checked": st.checked, "failed": st.failed,
                                      "reasons": dict(st.reasons.most_common(20))} for s, st in c.stages.items()},
                       "variety": c.variety.summary(),
                       "behaviour": {k: round(v, 4) for k, v in c.behaviour.shares().items()}}
                for name, c in sorted(self.categories.items())},
        }


def _reason_key(reason: str) -> str:
    """A reason without its record-specific details, for counting: 'claim search', 'precondition read_first'."""
    text = reason.split(": ", 1)[1] if reason.startswith("messages[") and ": " in reason else reason
    head = text.split(":", 1)[0]
    return head[:80]


@dataclass
class _Pending:
    file: str
    line: int
    category: str
    record: dict[str, Any]
    blocks: list[CodeBlock]
    seq: int = 0  # the record's place in the input


class Checker:
    """The four stages over records fed one at a time (:meth:`add`), in input order. Rejects are held
    until the next build batch is done and then written in input order, so the rejects file is the same
    however the records are cut into batches or shards; :meth:`finish` builds the last batch."""

    def __init__(self, repos: Iterable[str | Path], build: bool, held: set[str], writer: JsonlWriter | Any | None):
        self.report = CheckReport()
        self.held = held
        self.held_rows: dict[str, list[tuple[list[str], list[str]]]] = {}
        self.train_answers: set[str] = set()
        self.build = build
        self.writer = writer
        self._validator = RecordValidator(semantic=False)
        self._extra = tuple(Path(r) for r in repos)
        self._nouns = kit_nouns()
        self._pending: list[_Pending] = []
        self._blocks = 0
        self._seq = 0
        self._rejects: list[tuple[int, dict[str, Any]]] = []

    def reject(self, file: str, line: int, cat: CategoryCheck, stage: str, reasons: list[str], record: Any,
               seq: int | None = None) -> None:
        """``seq``: the record's place in the input (default: the record being added)."""
        st = cat.stages[stage]
        st.failed += 1
        st.reasons.update(list(dict.fromkeys(_reason_key(r) for r in reasons)))  # in order: ties rank alike
        if self.writer is not None:
            self._rejects.append((self._seq if seq is None else seq,
                                  {"file": file, "line": line, "stage": stage, "reasons": reasons, "record": record}))

    def add(self, path: str, lineno: int, obj: Any) -> None:
        self._seq += 1
        name = obj.get("category", "?") if isinstance(obj, dict) else "?"
        cat = self.report.category(str(name))
        cat.read += 1
        cat.stages["format"].checked += 1
        errors = [obj.reason] if isinstance(obj, InputError) else self._validator.check(obj)
        if errors:
            self.reject(path, lineno, cat, "format", errors, None if isinstance(obj, InputError) else obj)
            self._maybe_flush()
            return
        nouns = self._nouns
        cat.variety.add(obj, nouns)
        cat.behaviour.add(obj)
        if name in self.held:
            self.held_rows.setdefault(str(name), []).append((prompt_sentences(obj, nouns), answer_shapes(obj, nouns)))
        else:
            self.train_answers.update(trained_shapes(obj, nouns))
        ws = workspace_for(obj, self._extra)
        grounded = bool((obj.get("meta") or {}).get("grounding"))
        if grounded and ws is None:
            cat.unverifiable += 1
        if ws is not None:
            cat.stages["execution"].checked += 1
            problems = verify_record(obj, ws)
            if problems:
                self.reject(path, lineno, cat, "execution", problems, obj)
                self._maybe_flush()
                return
        cat.stages["semantic"].checked += 1
        defect = (obj.get("meta") or {}).get("defect")
        skip = (max((i for i, m in enumerate(obj["messages"]) if m.get("role") == "assistant"), default=None)
                if defect else None)
        problems = semantic_errors(obj, skip_turn=skip, workspace=ws)
        if problems:
            self.reject(path, lineno, cat, "semantic", problems, obj)
            self._maybe_flush()
            return
        blocks = record_blocks(obj) if self.build else []
        self._pending.append(_Pending(path, lineno, str(name), obj, blocks, self._seq))
        self._blocks += len(blocks)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._blocks >= BUILD_BATCH or len(self._pending) + len(self._rejects) >= RECORD_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.build and self._pending:
            _build_stage(self._pending, self.report, self.reject)
        else:
            for p in self._pending:
                self.report.category(p.category).stages["build"].checked += 1
        self._pending.clear()
        self._blocks = 0
        if self.writer is not None:
            for _, payload in sorted(self._rejects, key=lambda r: r[0]):
                self.writer.write(payload)
        self._rejects.clear()

    def finish(self) -> CheckReport:
        self.flush()
        return self.report


def resolve_held_out(held_out: Iterable[str] | None) -> set[str]:
    if held_out is None:
        from factory.generate.specs import held_out_categories
        from factory.host import default_registry

        held_out = held_out_categories(default_registry())
    return set(held_out)


def check_files(paths: Iterable[str | Path], repos: Iterable[str | Path] = (), build: bool = True,
                rejects: str | Path | None = None, lint: bool = True,
                held_out: Iterable[str] | None = None) -> CheckReport:
    """``held_out``: categories kept out of training (default: those the registry's specs mark so);
    when the inputs hold both kinds, the report measures how much of the held-out text training has.
    :func:`factory.quality.check_engine.run_check` runs the same pass on datatrove's executors."""
    held = resolve_held_out(held_out)
    writer = JsonlWriter(rejects) if rejects else None
    with writer if writer is not None else contextlib.nullcontext():
        checker = Checker(repos, build, held, writer)
        for path in paths:
            for lineno, obj in read_jsonl(path, strict=False):
                checker.add(str(path), lineno, obj)
        checker.finish()
    return finish_report(checker.report, checker.held_rows, checker.train_answers)


def finish_report(report: CheckReport, held_rows: dict[str, list[tuple[list[str], list[str]]]],
                  train_answers: set[str]) -> CheckReport:
    """The measures that need every record: how much of the held-out text training has."""
    held = set(held_rows)
    train_sentences = {s for n, c in report.categories.items() if n not in held for s in c.variety.task}
    if train_sentences:
        for name, rows in held_rows.items():
            report.held_out[name] = overlap(rows, train_sentences, train_answers)
    return report


def _build_stage(pending: list[_Pending], report: CheckReport, reject: Any) -> None:
    flat: list[tuple[int, CodeBlock]] = []
    owner: list[int] = []
    for i, p in enumerate(pending):
        for b in p.blocks:
            owner.append(i)
            flat.append((len(flat), b))
    problems: dict[int, list[str]] = {}
    py = []
    unparsed: set[int] = set()
    for idx, b in flat:
        err = parse_error(b)
        if err:
            problems.setdefault(owner[idx], []).append(err)
            unparsed.add(idx)
        elif b.language == "python" and b.role == "assistant":
            py.append((idx, b))
    if py:
        report.build_blocks["python"] += len(py)
        for (idx, b), found in zip(py, ruff_check_sources([b.code for _, b in py])):
            problems.setdefault(owner[idx], []).extend(f"{b.where}: ruff {f}" for f in found)
    # a block that does not parse is reported once; the toolchains see only blocks that parse
    built = build_check([(i, b) for i, b in flat
                         if b.language in ("go", "rust", "typescript", "tsx") and i not in unparsed])
    report.skipped_builds.update(built.skipped)
    report.build_blocks.update(built.counts)
    for idx, reasons in built.problems.items():
        problems.setdefault(owner[idx], []).extend(f"{flat[idx][1].where}: {r}" for r in reasons)
    # refactors labelled behaviour-preserving, executed on both sides (in the sandbox jail)
    pairs = [pair for i, p in enumerate(pending) if (pair := make_pair(i, p.record)) is not None]
    if pairs:
        probed = run_pairs(pairs)
        if probed.skipped:
            report.skipped_builds["python refactor probes"] = probed.skipped
        report.build_blocks["python refactor probes"] += probed.checked
        report.build_blocks["python refactor probes, no input accepted"] += probed.inconclusive
        for i, reasons in probed.problems.items():
            problems.setdefault(i, []).extend(reasons)
    for i, p in enumerate(pending):
        cat = report.category(p.category)
        cat.stages["build"].checked += 1
        if problems.get(i):
            reject(p.file, p.line, cat, "build", problems[i], p.record, seq=p.seq)


def format_check_report(report: CheckReport) -> Iterator[str]:
    head = f"{'category':<17}{'read':>7}{'format':>9}{'exec':>9}{'semantic':>10}{'build':>9}{'rejected':>10}"
    yield head
    for name, c in sorted(report.categories.items()):
        cells = []
        for s in STAGES:
            st = c.stages[s]
            cells.append(f"{100 * st.pass_rate:.1f}%" if st.checked else "-")
        yield (f"{name:<17}{c.read:>7}{cells[0]:>9}{cells[1]:>9}{cells[2]:>10}{cells[3]:>9}{c.rejected:>10}"
               + (f"  ({c.unverifiable} grounded in a repository not at hand)" if c.unverifiable else ""))
    yield f"{'total':<17}{report.read:>7}{'':>37}{report.rejected:>10}"
    if report.build_blocks:
        yield "build: " + ", ".join(f"{kind} {n:,}" for kind, n in sorted(report.build_blocks.items()))
    for lang, why in sorted(report.skipped_builds.items()):
        yield f"build: {lang} not checked: {why}"
    for name, c in sorted(report.categories.items()):
        for s in STAGES:
            for reason, n in c.stages[s].reasons.most_common(3):
                yield f"  {name} {s}: {reason} x{n}"
    yield ""
    yield (f"{'category':<17}{'task sent.':>11}{'cover90':>9}{'answers':>9}{'cover90':>9}{'calls':>7}"
           f"  behaviour (first reply | shapes)")
    for name, c in sorted(report.categories.items()):
        v = c.variety.summary()
        mix = c.behaviour
        first = ", ".join(f"{k} {100 * n / (mix.with_tools or 1):.0f}%" for k, n in mix.first.most_common())
        shapes = ", ".join(f"{k} {100 * n / (mix.records or 1):.0f}%" for k, n in sorted(mix.shape.items()))
        yield (f"{name:<17}{v['task_sentences']:>11}{v['task_cover90']:>9}{v['answer_texts']:>9}"
               f"{v['answer_cover90']:>9}{v['first_call_patterns']:>7}  {first or '-'} | {shapes or '-'}")
    for name, o in sorted(report.held_out.items()):
        yield ""
        yield (f"held out: {name}: {o.only_training} of {o.records} prompts ({100 * o.prompt_share:.1f}%) are made "
               f"only of sentences training also has; {o.shared_answers} of {o.answers} text answers "
               f"({100 * o.answer_share:.1f}%) have a training answer's shape")
        for ex in o.examples[:3]:
            yield f"  e.g. {ex[:160]}"
