"""The ``rollout`` command: a model works on real tasks in sandboxed repository copies."""

from __future__ import annotations

from pathlib import Path

import click

from factory.cli.llm_commands import ProgressLine, _spec, _summary, make_session
from factory.cli.options import concurrency_option, examples, timeout_option, workers_option


@click.command()
@click.option("--tasks", "tasks_ref", required=True,
              help="builtin (the fixture repository's tasks), git:PATH (mined from a repository's history) or a "
                   "tasks YAML file (docs/rollouts.md).")
@click.option("--provider", required=True, help="anthropic, openai, openai-compatible, or a plugin's provider.")
@click.option("--model", help="Model name [default: the provider's].")
@click.option("--base-url", help="Provider endpoint (vLLM, llama.cpp's server, Ollama, proxies).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/rollouts.jsonl"), show_default=True,
              help="Passing trajectories; beside it OUT.failed.jsonl, OUT.pairs.jsonl, OUT.report.json.")
@click.option("--max-tasks", type=click.IntRange(min=1), help="Use at most this many tasks.")
@click.option("--samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="Rollouts per task (use a --temperature above 0 for different trajectories and DPO pairs).")
@click.option("--max-turns", type=click.IntRange(min=1), default=24, show_default=True,
              help="Model turns per rollout before it counts as unfinished.")
@click.option("--temperature", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=64), default=4096, show_default=True,
              help="Output tokens per model turn.")
@concurrency_option
@click.option("--sandboxes", type=click.IntRange(min=1),
              help="Rollouts running at once, each in its own sandbox [default: twice --concurrency: while some "
                   "run their tools, the others keep the model busy].")
@click.option("--command-timeout", type=click.FloatRange(min=1, max=300), default=60.0, show_default=True,
              help="Seconds one shell command may run in the sandbox.")
@click.option("--user", "user_kind", type=click.Choice(["scripted", "llm"]), default="scripted", show_default=True,
              help="Who answers the model's questions: the blueprint's hidden facts, or the same model playing "
                   "the user.")
@click.option("--isolation", type=click.Choice(["auto", "namespace", "copy"]), default="auto", show_default=True,
              help="auto/namespace: the namespace jail (refused where the system has none); copy: a plain copy "
                   "guarded only by the command allowlist.")
@click.option("--spec", "spec_ref", default="rollout", show_default=True,
              help="Agent spec whose body is the system prompt (a name or a .md path).")
@click.option("--toolset", "toolset_ref", help="Tool set offered [default: the spec's].")
@click.option("--category", default="rollout", show_default=True, help="Category written into the records.")
@click.option("--max-cost", type=float, help="Stop before spending more than this many USD (resumable).")
@workers_option
@timeout_option
@click.pass_obj
@examples("factory rollout --tasks builtin --provider openai-compatible --base-url http://localhost:8000/v1 --model M",
          "factory rollout --tasks git:../myrepo --max-tasks 200 --provider anthropic --model claude-sonnet-4-5")
def rollout(state, tasks_ref, provider, model, base_url, out, max_tasks, samples, max_turns, temperature, max_tokens,
            sandboxes, command_timeout, user_kind, isolation, spec_ref, toolset_ref, category, max_cost):
    """Run a model as an agent on real tasks: each rollout gets a private copy of the repository, every
    tool call is executed there and its real result goes back; the result is verified (format,
    execution, outcome, semantics). Stop and rerun at any time: completed turns are not sent again.
    """
    from factory.generate.tools import resolve_toolset
    from factory.rollout.loop import Settings
    from factory.rollout.run import load_blueprints, run_rollouts
    from factory.rollout.sandbox import Limits, namespaces_available

    spec = _spec(state, spec_ref)
    blueprints = load_blueprints(tasks_ref, max_tasks, work_dir=out.parent / ".rollout-trees")
    if not blueprints:
        raise click.ClickException(f"--tasks {tasks_ref}: no tasks found")
    toolset = resolve_toolset(_run_toolset(blueprints, toolset_ref) or spec.toolset or "claude_code",
                              state.host.registry)
    why = namespaces_available() if isolation != "copy" else ""
    if why:
        raise click.ClickException(
            f"no namespace jail on this system ({why}). --isolation copy runs each rollout in a plain copy guarded "
            "only by the command allowlist: code the model writes and runs (a test) could reach the network and "
            "files outside the copy. Use it only for models you trust, or run where unshare works")
    if provider == "anthropic" and temperature:
        # the Messages API (and its SDK) takes no sampling settings: the model samples as it does
        click.echo(f"warning: --temperature {temperature:g} is not sent with --provider anthropic: its Messages API "
                   "takes no temperature; --samples still gives different trajectories, as the model samples", err=True)
    settings = Settings(max_turns=max_turns, max_tokens=max_tokens, temperature=temperature, samples=samples,
                        sandboxes=sandboxes or 0, limits=Limits(timeout=command_timeout), user=user_kind,
                        isolation=isolation)
    counts = {"done": 0, "passed": 0, "failed": 0}
    total = len(blueprints) * samples

    def on_done(r, v) -> None:
        counts["done"] += 1
        if r.status != "stopped":
            counts["passed" if v.passed else "failed"] += 1
        mark = "pass" if v.passed else ("unfinished" if r.status == "stopped" else "fail")
        why = "" if v.passed else f" -- {v.reasons[0][:140]}" if v.reasons else ""
        click.echo(f"[{counts['done']}/{total}] {r.task.key}#{r.sample}: {mark} ({r.turns} turns, {len(r.calls)} "
                   f"calls){why}  passing {counts['passed']}, failing {counts['failed']}, cost ${session.totals.cost:.4f}",
                   err=True)

    with ProgressLine("rollout") as progress:
        session = make_session(state, provider, model, base_url, max_cost, f"rollout:{tasks_ref}", progress)
        try:
            outcome = run_rollouts(session, blueprints, spec, toolset, settings, out, category, on_done)
        finally:
            session.close()
    rep = outcome.report
    rates = ", ".join(f"{k} {v:.0%}" for k, v in rep["stage_pass_rate"].items())
    click.echo(f"{rep['rollouts']} rollouts of {rep['tasks']} tasks: {rep['passed']} passed, {rep['failed']} failed, "
               f"{rep['unfinished']} unfinished; stage pass rates: {rates}")
    if outcome.written:
        for path, n in rep["outputs"].items():
            click.echo(f"  {n} -> {path}")
    else:
        click.echo(f"stopped: {rep['stopped'] or 'unfinished rollouts'}; nothing written but the report -- rerun the "
                   "same command to resume (completed turns come from the ledger)", err=True)
    click.echo(_summary(session.totals))
    if not outcome.written:
        raise SystemExit(3)


def _run_toolset(blueprints, toolset_ref: str | None) -> str | None:
    """The one tool set a run offers: ``--toolset``, else the one the tasks name (a tasks file may set
    ``toolset:`` per task). Tasks that name another tool set than the run's are an error, not ignored."""
    named = {bp.toolset for bp in blueprints if bp.toolset}
    chosen = toolset_ref or (named.pop() if len(named) == 1 else None)
    if len(named) > 1 or (chosen and any(bp.toolset not in (None, chosen) for bp in blueprints)):
        asked = ", ".join(sorted(f"{bp.key}: {bp.toolset}" for bp in blueprints if bp.toolset and bp.toolset != chosen))
        raise click.ClickException(f"the tasks name different tool sets ({asked}) than the run offers "
                                   f"({chosen or 'several'}); a run offers one: split the tasks by tool set, or "
                                   "pass --toolset with the tasks that use it")
    return chosen


COMMANDS = [rollout]
