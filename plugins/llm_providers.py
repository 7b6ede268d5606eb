"""Built-in LLM providers and scorers, and the ``score``, ``enhance`` and ``batches`` commands.

Providers: ``anthropic``, ``openai``, ``openai-compatible`` (vLLM, Ollama, llama.cpp server, OpenRouter
via ``--base-url``) and ``template`` (offline: each category's own generator, the default). Keys come
from ``ANTHROPIC_API_KEY`` / ``OPENAI_API_KEY``. Heavy imports happen inside command bodies.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from factory import hookimpl
from factory.registry import ProviderFactory, Scorer

PROVIDERS = {
    "anthropic": "Anthropic Messages API (ANTHROPIC_API_KEY), through instructor",
    "openai": "OpenAI Chat Completions (OPENAI_API_KEY), through instructor",
    "openai-compatible": "any OpenAI-compatible server at --base-url (vLLM, Ollama, llama.cpp, OpenRouter)",
}


def _create(name: str) -> Any:
    def create(**options: Any) -> Any:
        from factory.providers import create_provider

        return create_provider(name, **options)

    return create


def _heuristic_score(example: Any, rubric: Any) -> dict[str, float]:
    from factory.scoring import HeuristicScorer, view_record

    return HeuristicScorer().score(view_record(example.to_dict()), rubric)


@hookimpl
def register_providers(register):  # noqa: ANN001, ANN201
    for name, description in PROVIDERS.items():
        register(ProviderFactory(name, _create(name), description))
    register(ProviderFactory("template", lambda **_: None, "offline: each category's own template generator"))


@hookimpl
def register_scorers(register):  # noqa: ANN001, ANN201
    register(Scorer("heuristic", _heuristic_score, "offline rubric scores from what the record shows"))


# -- shared CLI plumbing ---------------------------------------------------------------------------
def engine_options(f: Any) -> Any:
    f = click.option("--max-cost", type=float, help="Stop before spending more than this many USD (resumable).")(f)
    f = click.option("--base-url", help="Provider endpoint (openai-compatible servers, proxies).")(f)
    return f


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
                 job: str, progress: Any = None) -> Any:
    from factory.engine.session import EngineSession

    return EngineSession.from_config(state.config, provider, model, base_url, max_cost, job, on_progress=progress)


def _rubrics(state: Any) -> dict[str, Any]:
    from factory.specs import load_spec

    out = {}
    for entry in state.host.registry.entries("categories"):
        try:
            out[entry.obj.name] = load_spec(entry.obj.spec_path).rubric
        except Exception:  # noqa: BLE001 - a broken spec is reported by `factory plugins`, not here
            continue
    return out


def _spec(state: Any, ref: str) -> Any:
    from factory.agents import spec_path

    from factory.errors import FactoryError
    from factory.specs import load_spec

    path = Path(ref)
    if path.suffix == ".md" and path.exists():
        return load_spec(path)
    if ref in state.host.registry.names("categories"):
        return load_spec(state.host.registry.get("categories", ref).spec_path)
    if spec_path(ref).exists():
        return load_spec(spec_path(ref))
    raise FactoryError(f"unknown spec '{ref}': give a category name, a shipped agent spec name, or a path to a .md")


def _summary(stats: Any) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in stats.errors.most_common()) or "none"
    return (f"requests sent {stats.sent} (cached {stats.cached}); tokens in {stats.input_tokens}, "
            f"out {stats.output_tokens}; cost ${stats.cost:.4f}; errors: {errors}")


# -- commands --------------------------------------------------------------------------------------
@click.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path), help="Scored file [default: FILE.scored.jsonl].")
@click.option("--judge", metavar="PROVIDER:MODEL", help="LLM judge, e.g. anthropic:claude-haiku-4-5 [default: offline heuristics].")
@click.option("--spec", "spec_ref", help="Take the rubric from this spec (category, agents name or .md path).")
@click.option("--threshold", type=float, help="Label true at this mean score [default: the rubric's].")
@engine_options
@click.pass_obj
def score(state, file, out, judge, spec_ref, threshold, base_url, max_cost):  # noqa: ANN001, ANN201
    """Score every record of FILE on its spec's rubric (seed 002's five dimensions by default) and
    set `label` by threshold. Reads factory records, OpenAI `messages`, ShareGPT `conversations`
    and Alpaca `instruction`/`output`; writes the same format plus `scores` and `label`, and
    OUT.report.json (counts, rejected lines with reasons, mean scores, tokens, cost).

    Example: factory score data/tool_core.jsonl --judge openai:gpt-4o-mini --max-cost 5
    """
    from factory.schemas.spec import DEFAULT_RUBRIC

    from factory.providers import parse_provider_ref
    from factory.scoring import LLMJudge, score_file

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
            session = make_session(state, name, model, base_url, max_cost, f"score:{file}", progress)
            judge_fn = LLMJudge(session)
        try:
            report = score_file(file, out, rubric, rubrics, judge_fn)
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
@click.option("--provider", required=True, type=click.Choice(list(PROVIDERS)), help="Who rewrites.")
@click.option("--model", help="Model name [default: the provider's].")
@click.option("--out", type=click.Path(path_type=Path), default=Path("enhanced"), show_default=True,
              help="Directory for enhanced_batch_NNN.jsonl, reports, merged.jsonl, pairs.jsonl.")
@click.option("--batch-size", type=int, default=50, show_default=True)
@click.option("--rounds", type=int, default=1, show_default=True, help="Rounds; each retries what still fails.")
@click.option("--spec", "spec_ref", default="enhance", show_default=True, help="The enhancement spec.")
@click.option("--judge", metavar="PROVIDER:MODEL", help="Re-score with an LLM judge [default: offline heuristics].")
@engine_options
@click.pass_obj
def enhance(state, file, provider, model, out, batch_size, rounds, spec_ref, judge, base_url, max_cost):  # noqa: ANN001, ANN201
    """Rewrite the label-false records of a scored FILE in batches, following an enhancement spec;
    validate and re-score each rewrite; write enhanced_batch_NNN.jsonl and a report per round.
    Rerunning after a stop, a budget or a crash sends only what was never answered.

    Example: factory enhance scored.jsonl --provider anthropic --batch-size 50 --rounds 3 --out enhanced
    """
    from factory.enhance import Enhancer
    from factory.providers import parse_provider_ref
    from factory.scoring import LLMJudge

    spec = _spec(state, spec_ref)
    with ProgressLine(f"enhance {file.name}") as progress:
        session = make_session(state, provider, model, base_url, max_cost, f"enhance:{file}", progress)
        judge_session = None
        if judge:
            jname, jmodel = parse_provider_ref(judge)
            judge_session = make_session(state, jname, jmodel, base_url, max_cost, f"enhance-judge:{file}", progress)
        try:
            result = Enhancer(session, spec, spec.rubric, LLMJudge(judge_session) if judge_session else None,
                              batch_size, rounds).run(file, out)
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
@click.pass_obj
def batches(state, limit):  # noqa: ANN001, ANN201
    """Show the ledger: recent runs (requests, cache hits, tokens, cost, how they ended) and any
    provider batch jobs with their status.

    Example: factory batches
    """
    from factory.engine.ledger import Ledger

    path = state.config.engine.ledger
    if not Path(path).exists():
        click.echo(f"{path}: no ledger yet (it is created by the first LLM call)")
        return
    ledger = Ledger(path)
    try:
        click.echo(f"{'run':>4} {'job':<40} {'provider:model':<32} {'status':<11} {'sent':>6} {'cached':>6} {'cost':>9}")
        for r in ledger.runs()[-limit:]:
            pm = f"{r['provider']}:{r['model']}"
            click.echo(f"{r['id']:>4} {r['job'][:40]:<40} {pm[:32]:<32} {r['status']:<11} {r['sent']:>6} "
                       f"{r['cached']:>6} {r['cost']:>9.4f}")
        jobs = ledger.batches()
        click.echo(f"batch jobs: {len(jobs)}")
        for b in jobs:
            click.echo(f"  {b['id']} {b['provider']} {b['status']}")
        totals = ledger.totals()
        click.echo(f"all runs: tokens in {totals['input_tokens']}, out {totals['output_tokens']}, cost ${totals['cost']:.4f}")
    finally:
        ledger.close()


@hookimpl
def register_commands(cli):  # noqa: ANN001, ANN201
    for command in (score, enhance, batches):
        cli.add_command(command)
