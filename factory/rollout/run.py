"""``factory rollout``: tasks in, verified trajectories out.

Writes, each atomically and only when the run finished:

- ``OUT`` -- the rollouts that pass every stage, as training records (``label: true``);
- ``OUT.failed.jsonl`` -- the others that made a record, ``label: false``, with their reasons (KTO);
- ``OUT.pairs.jsonl`` -- TRL DPO rows from tasks with a passing and a failing rollout;
- ``OUT.report.json`` -- counts that reconcile (rollouts = passed + failed + unfinished), the pass
  rate of each stage, the reasons, cost and timings.

A run stopped by ``--max-cost`` or an interrupt writes nothing but the report; rerun it to resume,
every completed turn comes from the ledger.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.errors import FactoryError
from factory.rollout.blueprints import Blueprint, builtin_blueprints, yaml_blueprints
from factory.rollout.loop import Rollout, Runner, Settings, rollouts_at_once
from factory.rollout.tools import EXECUTABLE
from factory.rollout.verify import StageReport, Verdict, judge, preference_pairs


def load_blueprints(ref: str, max_tasks: int | None = None, work_dir: Path | None = None) -> list[Blueprint]:
    """``builtin``, ``git:REPO`` (mined from its history) or a YAML file of blueprints."""
    if ref == "builtin":
        found = builtin_blueprints(work_dir)
    elif ref.startswith("git:"):
        from factory.rollout.mining import mine_git

        found = list(mine_git(Path(ref[4:]), max_tasks=max_tasks, work_dir=work_dir))
    else:
        if not Path(ref).exists():
            raise FactoryError(f"--tasks {ref}: no such file (give builtin, git:PATH or a tasks YAML file)")
        found = yaml_blueprints(ref)
    return found[:max_tasks] if max_tasks else found


def executable_tools(toolset: Any) -> list[dict[str, Any]]:
    """The tool set's tools a sandbox can execute: the only ones offered to the model."""
    tools = [t for t in toolset.tools if t["function"]["name"] in EXECUTABLE]
    if not tools:
        raise FactoryError(f"tool set '{toolset.name}' has no tool a rollout can execute "
                           f"(executable: {', '.join(sorted(EXECUTABLE))})")
    return tools


@dataclass
class Outcome:
    report: dict[str, Any]
    verdicts: list[Verdict]
    written: bool


def run_rollouts(session: Any, blueprints: list[Blueprint], spec: Any, toolset: Any, settings: Settings,
                 out: Path, category: str = "rollout", on_done: Callable[[Rollout, Verdict], None] | None = None,
                 ) -> Outcome:
    from factory.quality.preconditions import rules_by_tool
    from factory.quality.validate import RecordValidator
    from factory.store.jsonl import JsonlWriter, write_json

    tools = executable_tools(toolset)
    validator, rules = RecordValidator(semantic=False), rules_by_tool([toolset])
    meta = {"generator": "rollout", "spec": spec.name, "spec_hash": spec.hash, "provider": session.provider,
            "model": session.model_name, "toolset": toolset.name}
    verdicts: list[Verdict] = []
    scrubbed: dict[int, dict[str, Any]] = {}  # id(verdict) -> its record as written
    stages = StageReport()
    lock = threading.Lock()

    def done(r: Rollout) -> None:  # in a worker thread, as each rollout ends
        v = judge(r, tools, meta, category, validator, rules)
        row = _scrubbed([v.record])[0] if v.record is not None else None
        with lock:
            if r.status != "stopped":
                stages.add(v)
            verdicts.append(v)
            if row is not None:
                scrubbed[id(v)] = row
            if on_done is not None:
                on_done(r, v)

    jobs = [(bp, i) for bp in blueprints for i in range(settings.samples)]
    started = time.monotonic()
    stopped: FactoryError | None = None

    async def main(engine: Any) -> None:
        await Runner(engine, spec.body, tools, settings, done).run_all(jobs)

    try:
        session.drive(main)
    except FactoryError as exc:  # the budget, a refused key, sustained throttling: keep what is done
        stopped = exc
    unfinished = [v for v in verdicts if v.rollout.status == "stopped"]
    totals = session.totals
    report: dict[str, Any] = {
        "tasks": len(blueprints), "samples_per_task": settings.samples, "rollouts": len(jobs),
        **stages.to_dict(), "unfinished": len(jobs) - stages.rollouts,
        "turns": sum(v.rollout.turns for v in verdicts), "cached_turns": sum(v.rollout.cached_turns for v in verdicts),
        "tool_calls": sum(len(v.rollout.calls) for v in verdicts),
        "refused_calls": sum(c.refused for v in verdicts for c in v.rollout.calls),
        "isolation": sorted({v.rollout.isolation for v in verdicts if v.rollout.isolation}),
        "sandbox_setup_ms_mean": round(1000 * sum(v.rollout.setup_seconds for v in verdicts) / max(1, len(verdicts)), 1),
        "sandbox_seconds": round(sum(v.rollout.tool_seconds for v in verdicts), 2),
        "sandbox_overlapped_seconds": round(sum(v.rollout.overlapped_seconds for v in verdicts), 2),
        "rollouts_at_once": rollouts_at_once(settings, session.settings.max_concurrency),
        "wall_seconds": round(time.monotonic() - started, 2),
        "cost": round(totals.cost, 6), "requests_sent": totals.sent, "input_tokens": totals.input_tokens,
        "output_tokens": totals.output_tokens, "stopped": str(stopped) if stopped else "",
        "outputs": {},
    }
    written = stopped is None and not unfinished
    if written:
        passed = [scrubbed[id(v)] for v in verdicts if v.passed and v.record is not None]
        failed = [scrubbed[id(v)] for v in verdicts if not v.passed and v.record is not None]
        pairs = _scrubbed(preference_pairs(verdicts))  # a pair is one record: its placeholders agree
        for path, rows in ((out, passed), (out.with_name(out.name + ".failed.jsonl"), failed),
                           (out.with_name(out.name + ".pairs.jsonl"), pairs)):
            with JsonlWriter(path) as w:
                for row in rows:
                    w.write(row)
            report["outputs"][str(path)] = len(rows)
    write_json(out.with_name(out.name + ".report.json"), report)
    return Outcome(report, verdicts, written)


def _scrubbed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Secrets a tool result showed (a key in a config file, a token in an environment dump) are
    replaced, as ingested logs' are."""
    from factory.ingest.scrub import Scrubber, iter_strings

    scrub = Scrubber()
    out = []
    for row in rows:
        scrub.begin_record(iter_strings(row))
        out.append(scrub.scrub_value(row))
    return out
