"""Batch enhancement rounds: records labelled false are rewritten by an LLM
following an enhancement spec (``agents/enhance.md`` or any agent spec), validated, re-scored, and
written as ``enhanced_batch_NNN.jsonl``; those still failing go to the next round.

Outputs in ``out_dir``:
- ``enhanced_batch_NNN.jsonl``: every valid rewrite of batch NNN with its new scores and label, its
  ``meta.parent_id`` the original record's id (so KTO/DPO pairs can be exported), ``meta.round``;
- ``rejects.jsonl``: rewrites that failed (raw output and reason), per round;
- ``round_N.report.json`` and ``enhance_report.md``: records in/out/rejected, score per dimension
  before and after, tokens and cost, per round;
- ``merged.jsonl``: the records that were good already plus the accepted rewrites;
- ``pairs.jsonl``: ``{original, enhanced}`` per accepted rewrite.

Every LLM call goes through the engine's ledger: a rerun (after a stop, a budget, a ``kill -9``) sends
only what was never answered and rewrites the same files, byte for byte.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field, ValidationInfo, model_validator

from factory.errors import FactoryError, InputError
from factory.generate.llm import ConversationTurn, check_turns, turns_to_messages
from factory.llm import LLMRequest
from factory.quality.validate import RecordValidator
from factory.schemas import AgentSpec, Example
from factory.schemas.spec import Rubric, current_scores
from factory.score.scoring import HeuristicScorer, label_for, read_records, view_record
from factory.store.jsonl import JsonlWriter, atomic_write, write_json


# -- the response model --------------------------------------------------------------------------
class RewrittenRecord(BaseModel):
    """The whole record, rewritten: user / assistant / tool turns, no system turn."""

    messages: list[ConversationTurn] = Field(min_length=2)
    changes: str = Field(default="", description="one sentence: what was fixed")

    @model_validator(mode="after")
    def _semantics(self, info: ValidationInfo) -> RewrittenRecord:
        ctx = info.context or {}
        check_turns(self.messages, ctx)
        if ctx.get("single_turn") and sum(t.role == "user" for t in self.messages) != 1:
            raise ValueError("the record is single-turn: keep exactly one user turn")
        return self


ENHANCE_PROMPT = """Rewrite this record so it passes the review: mean score >= {threshold} and no
dimension below {min_dim}, on a {lo}-{hi} scale.

Rubric:
{rubric}

Its current scores: {scores}

Tools it offers (call only these, with arguments matching their schemas):
{tools}

The record:
{record}"""


def enhance_request(ex: Example, scores: dict[str, float], spec: AgentSpec, rubric: Rubric, round_no: int) -> LLMRequest:
    tools = [{"name": t["function"]["name"], "parameters": t["function"].get("parameters", {})}
             for t in ex.tools if "function" in t]
    body = [m.model_dump(exclude_none=True) for m in ex.messages if m.role != "system"]
    prompt = ENHANCE_PROMPT.format(
        threshold=rubric.threshold, min_dim=rubric.min_dimension, lo=rubric.scale[0], hi=rubric.scale[1],
        rubric="\n".join(f"- {d}: {desc}" for d, desc in rubric.dimensions.items()),
        scores=orjson.dumps(scores).decode(), tools=orjson.dumps(tools).decode() if tools else "none",
        record=orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
    single = sum(m.role == "user" for m in ex.messages) == 1
    schemas = {t["function"]["name"]: t for t in ex.tools if "function" in t}
    return LLMRequest([{"role": "system", "content": spec.body}, {"role": "user", "content": prompt}],
                      RewrittenRecord, max_tokens=spec.provider.max_tokens, temperature=spec.provider.temperature,
                      context={"tool_names": sorted(ex.tool_names) if ex.tools else None, "tool_schemas": schemas,
                               "single_turn": single},
                      salt=f"enhance-round-{round_no}")


# -- rounds --------------------------------------------------------------------------------------
@dataclass
class Pending:
    root_id: str
    original: Example
    current: Example
    scores: dict[str, float]


@dataclass
class RoundReport:
    round: int
    batches: list[str] = field(default_factory=list)
    records_in: int = 0
    records_out: int = 0
    passed: int = 0
    rejected: Counter = field(default_factory=Counter)
    before: dict[str, float] = field(default_factory=dict)
    after: dict[str, float] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    requests_sent: int = 0
    cached: int = 0
    stopped: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "rejected": dict(self.rejected), "cost": round(self.cost, 6)}


def _means(score_sets: list[dict[str, float]]) -> dict[str, float]:
    dims = sorted({d for s in score_sets for d in s})
    return {d: round(statistics.fmean([s[d] for s in score_sets if d in s]), 3) for d in dims} if score_sets else {}


@dataclass
class EnhanceResult:
    rounds: list[RoundReport]
    good: int
    accepted: int
    still_failing: int
    out_dir: Path


class Enhancer:
    """Runs enhancement rounds. ``session`` makes the rewrite calls; ``judge`` (optional, an
    :class:`factory.score.scoring.LLMJudge`) re-scores, else the heuristic scorer does. Each record is
    rewritten for, and re-scored on, its category's rubric (``rubrics``, as ``factory score`` used),
    else ``rubric``."""

    def __init__(self, session: Any, spec: AgentSpec, rubric: Rubric, judge: Any = None,
                 batch_size: int = 50, rounds: int = 1, rubrics: dict[str, Rubric] | None = None,
                 scorer: Any = None) -> None:
        if batch_size < 1 or rounds < 1:
            raise FactoryError("--batch-size and --rounds must be at least 1")
        self.session, self.spec, self.rubric, self.judge = session, spec, rubric, judge
        self.rubrics = rubrics or {}
        self.batch_size, self.rounds = batch_size, rounds
        self.validator = RecordValidator()
        # Without a judge: a registered scorer's ``score(view, rubric)`` (default: the heuristic one).
        self.offline = scorer or HeuristicScorer().score

    def rubric_of(self, category: str) -> Rubric:
        return self.rubrics.get(category, self.rubric)

    def _score(self, examples: list[Example]) -> list[dict[str, float] | None]:
        views = [view_record(ex.to_dict()) for ex in examples]
        if self.judge is None:
            return [self.offline(v, self.rubric_of(v.category)) for v in views]
        scored, _ = self.judge(views, lambda v: self.rubric_of(v.category))
        return [scored.get(i) for i in range(len(views))]

    def load(self, path: Path) -> tuple[list[Pending], int, list[tuple[int, str]]]:
        """Low scorers to enhance, the count of good ones, and unreadable lines (file:line reasons)."""
        low: list[Pending] = []
        unscored: list[Example] = []
        good, bad_lines = 0, []
        self.good_scores: dict[str, dict[str, float] | None] = {}  # id -> scores computed here (or None)
        for lineno, item in read_records(path):
            if isinstance(item, InputError):
                bad_lines.append((lineno, item.reason))
                continue
            ex = item.to_example()
            scores = item.original.get("scores") or {}
            label = item.original.get("label")
            if label is None or not scores:
                unscored.append(ex)
            elif label:
                good += 1
                self.good_scores[ex.id] = None
            else:
                low.append(Pending(ex.id, ex, ex, {k: float(v) for k, v in current_scores(scores).items()}))
        if unscored:
            for ex, scores in zip(unscored, self._score(unscored)):
                if scores is None:
                    continue
                if label_for(scores, self.rubric_of(ex.category)):
                    good += 1
                    self.good_scores[ex.id] = scores
                else:
                    low.append(Pending(ex.id, ex, ex, scores))
        return low, good, bad_lines

    def run(self, path: str | Path, out_dir: str | Path) -> EnhanceResult:
        path, out_dir = Path(path), Path(out_dir)
        pending, good, bad_lines = self.load(path)
        if not pending and not good:  # nothing to enhance and nothing to keep: say why, write nothing
            first = "; ".join(f"line {n}: {r}" for n, r in bad_lines[:3])
            raise InputError(path, None, f"no record could be read ({len(bad_lines)} lines rejected"
                             + (f": {first}" if first else "") + ")",
                             "give the scored JSONL that `factory score` wrote")
        out_dir.mkdir(parents=True, exist_ok=True)
        reports: list[RoundReport] = []
        accepted: dict[str, tuple[Pending, Example]] = {}
        batch_no = 0
        rejects: list[dict[str, Any]] = [{"input_line": n, "reason": r} for n, r in bad_lines]
        stop: FactoryError | None = None
        for round_no in range(1, self.rounds + 1):
            if not pending or stop is not None:
                break
            report, pending, batch_no, stop = self._round(round_no, pending, batch_no, out_dir, accepted, rejects)
            reports.append(report)
            write_json(out_dir / f"round_{round_no}.report.json", report.as_dict())
        self._write_outputs(path, out_dir, accepted, rejects, reports, good, len(pending))
        if stop is not None:
            raise stop
        return EnhanceResult(reports, good, len(accepted), len(pending), out_dir)

    def _round(self, round_no: int, pending: list[Pending], batch_no: int, out_dir: Path,
               accepted: dict[str, tuple[Pending, Example]], rejects: list[dict[str, Any]]):
        report = RoundReport(round_no, records_in=len(pending), before=_means([p.scores for p in pending]))
        batches = [pending[i : i + self.batch_size] for i in range(0, len(pending), self.batch_size)]
        names = [f"enhanced_batch_{batch_no + k + 1:03d}.jsonl" for k in range(len(batches))]
        report.batches = names
        requests = []
        for b, batch in enumerate(batches):
            for i, item in enumerate(batch):
                req = enhance_request(item.current, item.scores, self.spec, self.rubric_of(item.current.category),
                                      round_no)
                req.tag = (b, i)
                requests.append(req)
        results: dict[tuple[int, int], Any] = {}
        before_cost = self.session.totals.cost
        before_sent, before_cached = self.session.totals.sent, self.session.totals.cached
        before_tin, before_tout = self.session.totals.input_tokens, self.session.totals.output_tokens
        stop: FactoryError | None = None
        try:
            self.session.run(requests, lambda r: results.__setitem__(r.request.tag, r), total=len(requests))
        except FactoryError as exc:  # budget, circuit breaker, refused key: keep what is done
            stop = exc
            report.stopped = str(exc)
        # Rewrites -> records; only complete batches are written, so a stop never leaves half a batch.
        next_pending: list[Pending] = []
        candidates: list[tuple[int, Pending, Example]] = []
        for b, batch in enumerate(batches):
            if not all((b, i) in results for i in range(len(batch))):
                next_pending.extend(batch)
                continue
            for i, item in enumerate(batch):
                res = results[(b, i)]
                ex, reason = self._to_example(item, res, round_no, names[b]) if res.status == "ok" else (None, res.reason)
                if ex is None:
                    report.rejected[reason.split(":")[0]] += 1
                    rejects.append({"round": round_no, "batch": names[b], "parent_id": item.root_id,
                                    "reason": reason, "raw": res.raw})
                    next_pending.append(item)
                else:
                    candidates.append((b, item, ex))
        new_scores = self._score([ex for _, _, ex in candidates])
        per_batch: dict[int, list[Example]] = {}
        after = []
        for (b, item, ex), scores in zip(candidates, new_scores):
            if scores is None:
                report.rejected["judge gave no scores"] += 1
                next_pending.append(item)
                continue
            label = label_for(scores, self.rubric_of(ex.category))
            ex = ex.model_copy(update={"scores": scores, "label": label})
            per_batch.setdefault(b, []).append(ex)
            after.append(scores)
            report.records_out += 1
            if label:
                report.passed += 1
                accepted[item.root_id] = (item, ex)
            else:
                next_pending.append(Pending(item.root_id, item.original, ex, scores))
        for b, name in enumerate(names):
            if b in per_batch or all((b, i) in results for i in range(len(batches[b]))):
                with JsonlWriter(out_dir / name) as w:
                    for ex in per_batch.get(b, []):
                        w.write(ex.to_json())
        report.after = _means(after)
        t = self.session.totals
        report.cost = t.cost - before_cost
        report.requests_sent, report.cached = t.sent - before_sent, t.cached - before_cached
        report.input_tokens, report.output_tokens = t.input_tokens - before_tin, t.output_tokens - before_tout
        return report, next_pending, batch_no + len(batches), stop

    def _to_example(self, item: Pending, res: Any, round_no: int, batch: str) -> tuple[Example | None, str]:
        system = next((m.content for m in item.current.messages if m.role == "system"), None)
        meta = {**item.current.meta.model_dump(exclude_none=True), "parent_id": item.root_id, "round": round_no,
                "batch": batch, "enhanced_by": f"{self.session.provider}:{self.session.model_name}",
                "enhance_spec": self.spec.name, "enhance_spec_hash": self.spec.hash, "changes": res.output.changes}
        record = {"category": item.current.category, "subcategory": item.current.subcategory,
                  "messages": turns_to_messages(res.output.messages, system), "tools": item.current.tools, "meta": meta}
        errors = self.validator.check(record)
        if errors:
            return None, f"invalid: {errors[0]}"
        return Example.model_validate(record), ""

    def _write_outputs(self, path: Path, out_dir: Path, accepted: dict[str, tuple[Pending, Example]],
                       rejects: list[dict[str, Any]], reports: list[RoundReport], good: int, failing: int) -> None:
        with JsonlWriter(out_dir / "rejects.jsonl") as w:
            w.write_many(rejects)
        with JsonlWriter(out_dir / "merged.jsonl") as w:
            for _, item in read_records(path):  # a second streaming pass: the good ones, as they were
                if isinstance(item, InputError):
                    continue
                ex = item.to_example()
                if ex.id in self.good_scores:
                    scores = self.good_scores[ex.id]
                    if scores is not None:  # scored by this run: keep the scores and the label
                        ex = ex.model_copy(update={"scores": scores, "label": True})
                    w.write(ex.to_json())
            for root in sorted(accepted):
                w.write(accepted[root][1].to_json())
        with JsonlWriter(out_dir / "pairs.jsonl") as w:
            for root in sorted(accepted):
                item, ex = accepted[root]
                w.write({"parent_id": root, "original": item.original.to_dict(), "enhanced": ex.to_dict()})
        with atomic_write(out_dir / "enhance_report.md", "w") as fh:
            fh.write(render_report(reports, good, len(accepted), failing))


def render_report(reports: list[RoundReport], good: int, accepted: int, failing: int) -> str:
    lines = ["# Enhancement report", "",
             f"Good already: {good}. Accepted rewrites: {accepted}. Still failing: {failing}.", ""]
    for r in reports:
        lines += [f"## Round {r.round}", "",
                  f"Batches {r.batches[0] if r.batches else '-'} .. {r.batches[-1] if r.batches else '-'}; "
                  f"records in {r.records_in}, out {r.records_out}, passed {r.passed}, "
                  f"rejected {sum(r.rejected.values())} {dict(r.rejected) or ''}",
                  f"Requests sent {r.requests_sent} (cached {r.cached}); tokens in {r.input_tokens}, "
                  f"out {r.output_tokens}; cost ${r.cost:.4f}", ""]
        if r.stopped:
            lines += [f"**Stopped:** {r.stopped}", ""]
        lines += ["| dimension | before | after |", "|---|---|---|"]
        for d in sorted(set(r.before) | set(r.after)):
            lines.append(f"| {d} | {r.before.get(d, '-')} | {r.after.get(d, '-')} |")
        lines.append("")
    return "\n".join(lines)

