"""The ``score``, ``enhance`` and ``batches`` commands: LLM calls through the engine.

Providers come from the registry (``--provider NAME``, ``--judge NAME:MODEL``); keys from
``ANTHROPIC_API_KEY`` / ``OPENAI_API_KEY``. Heavy imports happen inside command bodies.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from factory.cli.options import examples, provider_create, timeout_option, workers_option


# -- shared CLI plumbing ---------------------------------------------------------------------------
def engine_options(f: Any) -> Any:
    f = workers_option(f)
    f = timeout_option(f)
    f = click.option("--wait", is_flag=True, help="With --batch: poll until the jobs end, then finish here.")(f)
    f = click.option("--batch", is_flag=True,
                     help="Send through the provider's Batch API (half price, up to 24 h); returns after "
                          "submitting: `factory batches --collect` finishes the command.")(f)
    f = click.option("--max-cost", type=float, help="Stop before spending more than this many USD (resumable).")(f)
    f = click.option("--base-url", help="Provider endpoint (openai-compatible servers, proxies).")(f)
    return f


def batch_submitted(exc: Any) -> None:
    """What a command prints when its requests went out in batch jobs."""
    click.echo(f"submitted to batch: {exc}")
    for batch_id in exc.batch_ids:
        click.echo(f"batch job {batch_id}")


class ProgressLine:
    """Rich progress on stderr: done/total, rate, tokens, cost so far, errors by kind."""

    def __init__(self, label: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                                 disable=not sys.stderr.isatty(), transient=False)
        self.label = label
        self.task = self.progress.add_task(label, total=None, info="")

    def __call__(self, stats: Any) -> None:
        errors = ", ".join(f"{k} {v}" for k, v in stats.errors.most_common(4))
        info = (f"{stats.rate:.1f}/s  tokens {stats.input_tokens}+{stats.output_tokens}  ${stats.cost:.4f}"
                f"  cached {stats.cached}" + (f"  [{errors}]" if errors else ""))
        self.progress.update(self.task, completed=stats.done, total=stats.total, info=info)

    def __enter__(self) -> ProgressLine:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)


def make_session(state: Any, provider: str, model: str | None, base_url: str | None, max_cost: float | None,
                 job: str, progress: Any = None, batch: bool = False, wait: bool = False,
                 flag: str = "--provider") -> Any:
    from factory.llm.session import EngineSession

    command = None
    if batch:
        from factory.llm.batch import command_of

        command = command_of(click.get_current_context().info_name or "")
    return EngineSession.from_config(state.config, provider, model, base_url, max_cost, job, on_progress=progress,
                                     batch=batch, wait=wait, command=command, create=provider_create(state, provider, flag))


def _rubrics(state: Any) -> dict[str, Any]:
    from factory.generate.specs import load_spec

    out = {}
    for entry in state.host.registry.categories.entries():
        try:
            out[entry.obj.name] = load_spec(entry.obj.spec_path).rubric
        except Exception:  # noqa: BLE001 - a broken spec is reported by `factory plugins`, not here
            continue
    return out


def _spec(state: Any, ref: str) -> Any:
    from factory.agents import spec_path
    from factory.errors import FactoryError
    from factory.generate.specs import load_spec

    path = Path(ref)
    if path.suffix == ".md" and path.exists():
        return load_spec(path)
    if ref in state.host.registry.categories:
        return load_spec(state.host.registry.categories[ref].spec_path)
    if spec_path(ref).exists():
        return load_spec(spec_path(ref))
    raise FactoryError(f"unknown spec '{ref}': give a category name, a shipped agent spec name, or a path to a .md")


def _summary(stats: Any) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in stats.errors.most_common()) or "none"
    where = f" by {stats.workers} worker processes" if stats.workers > 1 else ""
    return (f"requests sent {stats.sent} (cached {stats.cached}){where}; tokens in {stats.input_tokens}, "
            f"out {stats.output_tokens}; cost ${stats.cost:.4f}; errors: {errors}")


# -- commands --------------------------------------------------------------------------------------
@click.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path), help="Scored file [default: FILE.scored.jsonl].")
@click.option("--judge", metavar="PROVIDER:MODEL", help="LLM judge, e.g. anthropic:claude-haiku-4-5 [default: offline heuristics].")
@click.option("--spec", "spec_ref", help="Take the rubric from this spec (category, agents name or .md path).")
@click.option("--threshold", type=float, help="Label true at this mean score [default: the rubric's].")
@click.option("--scorer", "scorer_name", default="heuristic", show_default=True,
              help="Offline scorer (a registered one; plugins add more) used when there is no --judge.")
@click.option("--force", is_flag=True,
              help="Write OUT even when no line can be scored (an empty file); by default OUT is then left as it was.")
@engine_options
@click.pass_obj
@examples("factory score data/tool_core.jsonl --judge openai:gpt-4o-mini --max-cost 5",
          "factory score data/tool_core.jsonl --judge anthropic:claude-haiku-4-5 --batch")
def score(state, file, out, judge, spec_ref, threshold, scorer_name, force, base_url, max_cost, batch, wait):
    """Score every record of FILE on its spec's rubric (five judge dimensions by default) and
    set `label` by threshold. Reads factory records, OpenAI `messages`, ShareGPT `conversations`
    and Alpaca `instruction`/`output`; writes the same format plus `scores` and `label`, and
    OUT.report.json (counts, rejected lines with reasons, mean scores, tokens, cost).

    Without --judge the offline heuristic scores. On the factory's own records (200 per category,
    seeds 42 and 7; bench/bench_scorer.py) it labels 99.5% of the valid records true, at least 97.5%
    in every category, and, with the defect hidden from it, 83-86% of the tool_neg defects false
    (every invented tool, missing or mistyped argument and malformed call; most calls of a real tool
    that is the wrong choice pass it). A record with a declared defect (label false, meta.defect)
    always keeps label false.
    """
    from factory.llm import parse_provider_ref
    from factory.llm.batch import BatchPending
    from factory.schemas.spec import DEFAULT_RUBRIC
    from factory.score.scoring import LLMJudge, score_file

    rubric = _spec(state, spec_ref).rubric if spec_ref else DEFAULT_RUBRIC
    rubrics = {} if spec_ref else _rubrics(state)
    if threshold is not None:
        rubric = rubric.model_copy(update={"threshold": threshold})
        rubrics = {k: r.model_copy(update={"threshold": threshold}) for k, r in rubrics.items()}
    out = out or file.with_name(file.stem + ".scored.jsonl")
    session = None
    judge_fn = None
    with ProgressLine(f"score {file.name}") as progress:
        if judge:
            name, model = parse_provider_ref(judge)
            session = make_session(state, name, model, base_url, max_cost, f"score:{file}", progress, batch, wait,
                                   flag="--judge")
            judge_fn = LLMJudge(session)
        try:
            # A batch job takes the whole file at once (up to the providers' 50,000 requests per job).
            report = score_file(file, out, rubric, rubrics, judge_fn, chunk_size=50_000 if batch else 500,
                                scorer=state.host.registry.scorers[scorer_name].score, allow_empty=force)
        except BatchPending as exc:
            batch_submitted(exc)
            return
        finally:
            if session is not None:
                session.close()
    click.echo(f"{file}: {report.read} read, {report.written} scored -> {out}, {len(report.rejected)} rejected; "
               f"labels {dict(report.labels)}")
    for lineno, reason in report.rejected[:20]:
        click.echo(f"{file}:{lineno}: {reason}", err=True)
    click.echo("mean scores: " + ", ".join(f"{d} {v}" for d, v in report.means().items()))
    if session is not None:
        click.echo(_summary(session.totals))


@click.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--provider", required=True,
              help="Who rewrites: anthropic, openai, openai-compatible, or a plugin's provider.")
@click.option("--model", help="Model name [default: the provider's].")
@click.option("--out", type=click.Path(path_type=Path), default=Path("enhanced"), show_default=True,
              help="Directory for enhanced_batch_NNN.jsonl, reports, merged.jsonl, pairs.jsonl.")
@click.option("--batch-size", type=int, default=50, show_default=True)
@click.option("--rounds", type=int, default=1, show_default=True, help="Rounds; each retries what still fails.")
@click.option("--spec", "spec_ref", default="enhance", show_default=True, help="The enhancement spec.")
@click.option("--judge", metavar="PROVIDER:MODEL", help="Re-score with an LLM judge [default: --scorer].")
@click.option("--scorer", "scorer_name", default="heuristic", show_default=True,
              help="Offline scorer (a registered one) that re-scores when there is no --judge.")
@engine_options
@click.pass_obj
@examples("factory enhance scored.jsonl --provider anthropic --batch-size 50 --rounds 3 --out enhanced",
          "factory enhance scored.jsonl --provider openai --batch")
def enhance(state, file, provider, model, out, batch_size, rounds, spec_ref, judge, scorer_name, base_url, max_cost,
            batch, wait):
    """Rewrite the label-false records of a scored FILE in batches, following an enhancement spec;
    validate and re-score each rewrite; write enhanced_batch_NNN.jsonl and a report per round.
    Rerunning after a stop, a budget or a crash sends only what was never answered.
    """
    from factory.llm import parse_provider_ref
    from factory.llm.batch import BatchPending
    from factory.score.enhance import Enhancer
    from factory.score.scoring import LLMJudge

    spec = _spec(state, spec_ref)
    with ProgressLine(f"enhance {file.name}") as progress:
        session = make_session(state, provider, model, base_url, max_cost, f"enhance:{file}", progress, batch, wait)
        judge_session = None
        if judge:
            jname, jmodel = parse_provider_ref(judge)
            judge_session = make_session(state, jname, jmodel, base_url, max_cost, f"enhance-judge:{file}", progress,
                                         batch, wait, flag="--judge")
        try:
            result = Enhancer(session, spec, spec.rubric, LLMJudge(judge_session) if judge_session else None,
                              batch_size, rounds, rubrics=_rubrics(state),
                              scorer=state.host.registry.scorers[scorer_name].score).run(file, out)
        except BatchPending as exc:
            batch_submitted(exc)
            return
        finally:
            session.close()
            if judge_session is not None:
                judge_session.close()
    for r in result.rounds:
        click.echo(f"round {r.round}: {len(r.batches)} batches, in {r.records_in}, out {r.records_out}, "
                   f"passed {r.passed}, rejected {sum(r.rejected.values())}, cost ${r.cost:.4f}")
    click.echo(f"good already {result.good}, accepted {result.accepted}, still failing {result.still_failing}; "
               f"wrote {out}/merged.jsonl, pairs.jsonl, enhance_report.md")
    click.echo(_summary(session.totals))


@click.command()
@click.option("--limit", type=int, default=20, show_default=True, help="Runs to show.")
@click.option("--collect", "do_collect", is_flag=True,
              help="Download finished jobs, resubmit their failed/expired requests alone, and rerun each "
                   "command whose jobs are all collected so it writes its outputs.")
@click.option("--no-rerun", is_flag=True, help="With --collect: only download and resubmit.")
@click.pass_obj
@examples("factory batches",
          "factory batches --collect")
def batches(state, limit, do_collect, no_rerun):
    """Show the ledger: recent runs (requests, cache hits, tokens, cost, how they ended) and the
    provider batch jobs (--batch) with their status and request counts, asked of the provider.
    """
    from factory.llm.ledger import Ledger

    path = state.config.engine.ledger
    if not Path(path).exists():
        click.echo(f"{path}: no ledger yet (it is created by the first LLM call)")
        return
    ledger = Ledger(path)
    try:
        click.echo(f"{'run':>4} {'job':<40} {'provider:model':<32} {'status':<15} {'sent':>6} {'cached':>6} {'cost':>9}")
        for r in ledger.runs()[-limit:]:
            pm = f"{r['provider']}:{r['model']}"
            click.echo(f"{r['id']:>4} {r['job'][:40]:<40} {pm[:32]:<32} {r['status']:<15} {r['sent']:>6} "
                       f"{r['cached']:>6} {r['cost']:>9.4f}")
        rerun = _batch_jobs(state, ledger, do_collect)
        totals = ledger.totals()
        click.echo(f"all runs: tokens in {totals['input_tokens']}, out {totals['output_tokens']}, cost ${totals['cost']:.4f}")
    finally:
        ledger.close()
    if do_collect and not no_rerun:
        _rerun(rerun)


def _batch_jobs(state: Any, ledger: Any, do_collect: bool) -> dict[str, dict | None]:
    """Refresh (and with ``do_collect`` collect) the open jobs, print them all; returns the commands
    to rerun: those whose every job is collected, keyed by a stable text."""
    from factory.errors import FactoryError
    from factory.llm.batch import BatchClient, collect

    clients: dict[tuple, Any] = {}
    touched: dict[str, dict | None] = {}
    for row in ledger.batches():
        if row["status"] == "collected":
            continue
        ident = (row["provider"], row["model"], row["detail"].get("base_url"))
        try:
            client = clients.get(ident) or clients.setdefault(ident, BatchClient(*ident, state.config.engine.timeout))
            if do_collect:
                got = collect(ledger, row, client)
                if got.ended:
                    click.echo(f"collected {row['id']}: " + ", ".join(f"{k} {v}" for k, v in sorted(got.counts.items()))
                               + (f"; failed/expired resubmitted alone in {', '.join(got.resubmitted)}"
                                  if got.resubmitted else ""))
                    touched[_command_key(row)] = row["detail"].get("command")
            else:
                status, counts, detail = client.refresh(row["id"])
                ledger.update_batch(row["id"], status, {**row["detail"], **detail, "counts": counts})
        except FactoryError as exc:
            click.echo(f"{row['id']}: {exc}", err=True)
    jobs = ledger.batches()
    click.echo(f"batch jobs: {len(jobs)}")
    for b in jobs:
        counts = b["detail"].get("collected") or b["detail"].get("counts") or {}
        shown = " ".join(f"{k}={v}" for k, v in counts.items()) or f"requests={len(b['keys'])}"
        click.echo(f"  {b['id']:<24} {b['provider']}:{b['model']:<24} {b['status']:<12} {shown:<40} {b['job']}")
    still_open = {_command_key(b) for b in jobs if b["status"] != "collected"}
    return {k: v for k, v in touched.items() if k not in still_open}


def _command_key(row: dict) -> str:
    """One key per command line (a command may own several jobs: one per category, per stage)."""
    import orjson

    command = row["detail"].get("command")
    return orjson.dumps(command, option=orjson.OPT_SORT_KEYS).decode() if command else f"null{row['job']}"


def _rerun(commands: dict[str, dict | None]) -> None:
    """Run each collected command again: every answer is in the ledger now, so it sends nothing it
    has an answer for and writes its outputs (or submits its next stage)."""
    import subprocess

    for text, command in commands.items():
        if not command:
            click.echo(f"all jobs of '{text.split('null', 1)[-1]}' collected: rerun the command that submitted "
                       "them to write its outputs")
            continue
        click.echo(f"rerunning: factory {' '.join(command['argv'])}")
        sys.stdout.flush()
        proc = subprocess.run([sys.executable, "-m", "factory.cli.main", *command["argv"]], cwd=command["cwd"],
                              check=False)
        if proc.returncode != 0:
            click.echo(f"rerun failed (exit {proc.returncode}): factory {' '.join(command['argv'])} in "
                       f"{command['cwd']}", err=True)


COMMANDS = [score, enhance, batches]
