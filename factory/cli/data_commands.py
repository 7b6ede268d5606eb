"""Commands over datasets: run, generate, validate, status."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from factory.cli.options import (
    counts_option,
    dataset_dir_option,
    examples,
    executor_options,
    provider_create,
    resolve_counts,
    timeout_option,
    workers_option,
)
from factory.errors import FactoryError


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        disable=not sys.stderr.isatty(), transient=False,
    )


def _use_repo(repo: Path | None) -> None:
    """``--repo``: grounded categories execute their tool calls in this tree (``factory check --repo``
    finds it again by its directory name)."""
    if repo is not None:
        import os

        from factory.sandbox.workspace import REPO_ENV

        if not os.access(repo, os.R_OK | os.X_OK):
            raise FactoryError(f"--repo {repo}: cannot be read (permission denied)")
        if not any(p.is_file() for p in repo.rglob("*") if ".git" not in p.parts):
            raise FactoryError(f"--repo {repo}: the directory holds no file; give a checkout of the repository "
                               "whose files grounded records should read")
        os.environ[REPO_ENV] = str(repo.resolve())


def _run_generation(state, out: Path, seed: int, names: list[str], counts: dict[str, int]) -> None:
    from factory.pipeline import generate_all

    failures: list[tuple[str, str]] = []
    with _progress() as progress:
        tasks: dict[str, int] = {}

        def on_start(name: str, total: int) -> None:
            tasks[name] = progress.add_task(name, total=total)

        results = generate_all(
            state.host, out, seed, names, counts,
            on_start=on_start, on_record=lambda name: progress.advance(tasks[name]), failures=failures,
        )
    total = 0
    for r in results:
        rej = sum(r.rejected.values())
        click.echo(f"{r.path}: {r.count} records (spec {r.spec.name}@{r.spec.hash}, rejected {rej})")
        total += r.count
    click.echo(f"wrote {total} records and {Path(out) / 'manifest.json'}")
    for f in state.host.registry.failures:
        click.echo(f"warning: plugin {f.plugin} failed to load ({f.file}): {f.reason}", err=True)
    if failures:
        for _name, reason in failures:
            click.echo(f"error: {reason}", err=True)
        raise FactoryError(f"{len(failures)} of {len(names)} categories failed; the others were written")


@click.command()
@dataset_dir_option("Dataset directory to write [default: ./data, or `out` in factory.toml].")
@click.option("--seed", type=int, help="Random seed [default: 42 or config].")
@click.option("--only", multiple=True, help="Run only these categories (repeatable).")
@click.option("--skip", multiple=True, help="Skip these categories (repeatable).")
@counts_option
@click.option("--tokenizer", default="qwen2.5", show_default=True,
              help="Tokenizer for token counts, --max-tokens and export self-checks.")
@click.option("--max-tokens", type=int, default=2048, show_default=True,
              help="Records longer than this (rendered with tools) are listed and left out of the merge.")
@click.option("--format", "formats", multiple=True, default=("trl",), show_default=True,
              help="Export formats (repeatable).")
@click.option("--eval-frac", type=float, default=0.15, show_default=True, help="Eval share per category.")
@click.option("--no-tokens", is_flag=True, help="Skip token counting.")
@click.option("--no-merge", is_flag=True, help="Stop after generation and validation (no merge, export).")
@click.option("--no-export", is_flag=True, help="Skip the export.")
@click.option("--no-report", is_flag=True, help="Skip the dataset card and HTML report.")
@click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Ground tool results in this repository instead of the shipped fixture "
                   "(same as FACTORY_GROUNDING_REPO).")
@examples("factory run --data data",
          "factory run --data small --count 20 --no-tokens",
          "factory run --data data --only tool_core --only tool_neg --count tool_core=500 --format trl --format sharegpt")
@click.pass_obj
def run(state, data_dir, seed, only, skip, counts, tokenizer, max_tokens, formats, eval_frac,
        no_tokens, no_merge, no_export, no_report, repo):
    """Run the main job offline: generate every category into DATA (manifest.json), count tokens
    through the chat template, merge + dedupe + split into DATA/merged, export (trl by default) into
    DATA/export/FORMAT with self-checks, and write the card and report into DATA/report.
    """
    import time

    cfg = state.config
    from factory.pipeline import FinishOptions, check_counts, finish_dataset, select_categories

    _use_repo(repo)
    names = select_categories(state.host, list(only), [*cfg.skip, *skip])
    out = data_dir or cfg.out
    seed = cfg.seed if seed is None else seed
    check_counts(state.host, cfg.counts, "factory.toml [counts]")
    requested = resolve_counts(counts, names, list(state.host.registry.categories))
    t = time.perf_counter()
    _run_generation(state, out, seed, names, {**cfg.counts, **requested})
    timings = {"generate": time.perf_counter() - t}
    options = FinishOptions(seed=seed, tokenizer=None if no_tokens else tokenizer, max_tokens=max_tokens,
                            merge=not no_merge, eval_frac=eval_frac, formats=() if no_export else tuple(formats),
                            report=not no_report, merge_engine=cfg.merge.options(),
                            tokens_engine=cfg.tokens.options())
    timings.update(finish_dataset(state.host, Path(out), options, echo=click.echo))
    click.echo("stage wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
               + f"; total {sum(timings.values()):.1f} s")


@click.command()
@click.argument("categories", nargs=-1, required=True)
@counts_option
@click.option("--seed", type=int, help="Random seed [default: 42 or config].")
@dataset_dir_option("Dataset directory to write into [default: ./data, or `out` in factory.toml].")
@click.option("--provider", default="template", show_default=True,
              help="template = offline, the category's own generator; otherwise an LLM with the spec body "
                   "as system prompt: anthropic, openai, openai-compatible (key from ANTHROPIC_API_KEY / "
                   "OPENAI_API_KEY) or a plugin's provider.")
@click.option("--model", help="LLM model [default: the spec's provider.model, else the provider's].")
@click.option("--base-url", help="Endpoint of an openai-compatible server (vLLM, Ollama, llama.cpp, OpenRouter).")
@click.option("--max-cost", type=float, help="Stop before spending more than this many USD (resumable).")
@click.option("--batch", is_flag=True, help="Through the provider's Batch API (half price); returns after submitting: "
                                            "`factory batches --collect` finishes.")
@click.option("--wait", is_flag=True, help="With --batch: poll until the jobs end, then finish here.")
@click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Ground tool results in this repository instead of the shipped fixture "
                   "(same as FACTORY_GROUNDING_REPO).")
@workers_option
@timeout_option
@examples("factory generate tool_core --count 500 --seed 7 --data data",
          "factory generate tool_core tool_neg --count tool_core=500 --count tool_neg=100 --data data",
          "factory generate tool_core --count 50 --provider openai --model gpt-4o-mini --max-cost 2",
          "factory generate tool_core --count 500 --provider anthropic --batch",
          "factory generate agentic --repo ~/src/my-service --data data")
@click.pass_obj
def generate(state, categories, counts, seed, data_dir, provider, model, base_url, max_cost, batch, wait, repo):
    """Regenerate one or more categories; every other file in DATA stays byte-identical."""
    from factory.pipeline import check_counts, select_categories

    _use_repo(repo)

    cfg = state.config
    names = select_categories(state.host, list(categories))
    check_counts(state.host, cfg.counts, "factory.toml [counts]")
    counts = {n: cfg.counts[n] for n in names if n in cfg.counts} | resolve_counts(
        counts, names, list(state.host.registry.categories))
    out = data_dir or cfg.out
    if provider != "template":
        _run_llm_generation(state, out, cfg.seed if seed is None else seed, names, counts, provider,
                            model, base_url, max_cost, batch, wait)
        return
    _run_generation(state, out, cfg.seed if seed is None else seed, names, counts)


def _run_llm_generation(state, out: Path, seed: int, names: list[str], counts: dict[str, int], provider: str,
                        model: str | None, base_url: str | None, max_cost: float | None, batch: bool = False,
                        wait: bool = False) -> None:
    from factory.generate.category import generate_category
    from factory.generate.llm import LLMGenerator
    from factory.generate.specs import load_spec
    from factory.llm.batch import BatchPending, command_of
    from factory.llm.session import EngineSession
    from factory.store.jsonl import ensure_directory
    from factory.store.manifest import update_manifest

    create = provider_create(state, provider)
    out = ensure_directory(out)
    for name in names:
        category = state.host.registry.categories[name]
        spec = load_spec(category.spec_path)
        session = EngineSession.from_config(state.config, provider, model or spec.provider.model, base_url,
                                            max_cost, job=f"generate:{name}", batch=batch, wait=wait,
                                            command=command_of("generate") if batch else None, create=create)
        generator = LLMGenerator(session)
        try:
            result = generate_category(category, state.host.registry, out, seed, counts.get(name),
                                       generator=generator, provider=provider, model=session.model_name)
        except BatchPending as exc:  # its outputs are written when the jobs are collected
            click.echo(f"{name}: submitted to batch: {exc}")
            for batch_id in exc.batch_ids:
                click.echo(f"batch job {batch_id}")
            continue
        finally:
            rejects = generator.write_rejects(out / f"{name}.rejects.jsonl")
            session.close()
        update_manifest(out, {result.path.name: result.manifest_entry()})
        t = session.totals
        click.echo(f"{result.path}: {result.count} records ({provider}:{session.model_name}, spec "
                   f"{spec.name}@{spec.hash}); records dropped {sum(result.rejected.values())}, calls rejected "
                   f"{rejects} -> {out / (name + '.rejects.jsonl')}")
        where = f" by {t.workers} worker processes" if t.workers > 1 else ""
        click.echo(f"  requests sent {t.sent} (cached {t.cached}){where}; tokens in {t.input_tokens}, out "
                   f"{t.output_tokens}; cost ${t.cost:.4f}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--max-errors", type=int, default=50, show_default=True, help="Errors listed per file.")
@click.option("--tokenizer", "tokenizers", multiple=True, metavar="NAME",
              help="Count tokens of each record rendered through NAME's chat template with its tools: "
                   "qwen2.5, deepseek (offline), or a Hugging Face name/path (repeatable).")
@click.option("--max-tokens", type=int, default=None,
              help="Flag records longer than this [default: 2048]; implies --tokenizer qwen2.5 if none given.")
@click.option("--quality", is_flag=True, help="Print the quality table (single-turn, tool calls, targets).")
@click.option("--context-field", "context_fields", multiple=True, metavar="KEY",
              help="Tool-call argument a record must carry to count as 'context present' (repeatable).")
@click.option("--no-roundtrip", is_flag=True, help="Skip the encode/decode round-trip check.")
@click.option("--max-chars", type=click.IntRange(min=1), default=None,
              help="Flag a message longer than this many characters [default: 16 x --max-tokens, 32,768].")
@executor_options("token counting", "tokens", "local above 10,000 input lines",
                  "Shards of the input lines, one task each [default: 20,000 lines a shard, at least "
                  "four shards a worker].", "count", "tokens")
@click.pass_obj
@examples("factory validate data/*.jsonl --tokenizer qwen2.5 --tokenizer deepseek --quality",
          "factory validate data/*.jsonl --tokenizer qwen2.5 --executor local --workers 2")
def validate(state, files, max_errors, tokenizers, max_tokens, quality, context_fields, no_roundtrip, max_chars,
             executor, workers, tasks, work_dir):
    """Check every line of FILES: JSON, record schema, roles and order, tool calls against the
    offered tools' JSON schemas, declared defects, messages longer than --max-chars. A file with no
    record (empty, or blank lines only) is an error too. Exits 1 listing file:line: reason on any error.

    With --tokenizer / --max-tokens it also renders each record through the tokenizer's chat template
    (tools included), prints p50/p95/max tokens per category and flags records over --max-tokens and
    texts that do not survive encode/decode. With --quality it prints the quality table.
    """
    from factory.quality.validate import RecordValidator, validate_file

    validator = RecordValidator()
    # No tokenizer packs more than about 16 characters into a token: a longer message cannot fit the window.
    max_chars = max_chars or 16 * (max_tokens or 2048)
    bad = 0
    for path in files:
        report = validate_file(path, validator, max_chars)
        click.echo(f"{path}: {report.read} read, {report.valid} valid, {report.invalid} invalid")
        for lineno, reason in report.errors[:max_errors]:
            click.echo(f"{path}:{lineno}: {reason}", err=True)
        if len(report.errors) > max_errors:
            click.echo(f"{path}: ... {len(report.errors) - max_errors} more errors", err=True)
        bad += bool(report.errors)
    if max_tokens is not None and not tokenizers:
        tokenizers = ("qwen2.5",)
    if tokenizers:
        from factory.quality.token_engine import count_tokens
        from factory.quality.tokens import format_token_report

        engine = state.config.tokens.options(executor, workers, tasks)
        for name in tokenizers:
            tok_report = count_tokens(files, name, max_tokens or 2048, roundtrip=not no_roundtrip, engine=engine,
                                      work_root=work_dir, echo=click.echo)
            click.echo(format_token_report(tok_report))
            for f in tok_report.findings[:max_errors]:
                click.echo(f"{f.path}:{f.line}: {f.reason}", err=True)
            if len(tok_report.findings) > max_errors:
                click.echo(f"... {len(tok_report.findings) - max_errors} more token findings", err=True)
            bad += bool(tok_report.findings)
    if quality:
        from factory.quality.table import quality_table

        click.echo(quality_table(files, _spec_targets(state), context_fields, validator).format())
    if bad:
        sys.exit(1)


def _spec_targets(state) -> dict[str, int]:
    """Category -> the record count its spec asks for (categories that fail to load are skipped)."""
    from factory.generate.specs import load_spec

    targets = {}
    for entry in state.host.registry.categories.entries():
        try:
            spec = load_spec(entry.obj.spec_path)
        except Exception:  # noqa: BLE001 - a broken spec is reported by `factory plugins`, not here
            continue
        targets[spec.name] = state.config.counts.get(spec.name, spec.total)
    return targets


@click.command()
@dataset_dir_option("Dataset directory [default: ./data, or `out` in factory.toml].")
@examples("factory status --data data",
          "factory --plugins-dir my_plugins status --data data")
@click.pass_obj
def status(state, data_dir):
    """Per category: records on disk against the target (factory.toml [counts], else the spec's
    total), the seed and provider/model it was generated with, the spec hash then and now, and its
    state. Then merged/, each export/FORMAT/ and report/: fresh, or stale naming the input that
    changed since they were built.
    """
    from factory.pipeline import dataset_status, output_status

    out = Path(data_dir or state.config.out)
    if not out.is_dir():
        raise FactoryError(f"{out}: no such dataset directory; run `factory run --data {out}` first")
    rows = dataset_status(state.host, out, state.config.counts)
    click.echo(f"{'category':<18} {'records':>8} {'target':>8} {'seed':>6}  {'made by':<16} {'spec then':<12} "
               f"{'spec now':<12} state")
    for r in rows:
        disk = "-" if r.on_disk is None else str(r.on_disk)
        seed = "-" if r.seed is None else str(r.seed)
        click.echo(f"{r.name:<18} {disk:>8} {r.target:>8} {seed:>6}  {r.made_by:<16} {r.hash_then or '-':<12} "
                   f"{r.hash_now:<12} {r.state}")
    seeds = sorted({r.seed for r in rows if r.seed is not None})
    if len(seeds) > 1:
        click.echo(f"note: the categories were generated with different seeds ({', '.join(map(str, seeds))})")
    for f in output_status(out):
        rebuild = {"merged/": "factory merge", "report/": "factory report"}.get(
            f.output, f"factory export --format {f.output.split('/')[1]}")
        why = "; ".join(f.reasons[:3]) + (f"; {len(f.reasons) - 3} more" if len(f.reasons) > 3 else "")
        click.echo(f"{f.output:<18} {f.state}" + (f": {why} (rebuild: {rebuild} --data {out})" if f.reasons else ""))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--repo", "repos", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A repository grounded records may name (by directory name), beside the shipped fixtures.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Write each rejected record with its stage and reasons here (JSONL).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the figures as JSON here.")
@click.option("--no-build", is_flag=True, help="Skip the build stage (compilers, gofmt, go vet, rustc, ruff).")
@executor_options("the check", "check", "local above 10,000 input lines",
                  "Shards of the input lines, one task each [default: 5,000 lines a shard, at least "
                  "four shards a worker].", "check", "check")
@click.pass_obj
@examples("factory check data/*.jsonl --rejects data/check.rejects.jsonl --report data/check.json",
          "factory check data/*.jsonl --executor local --workers 2")
def check(state, files, repos, rejects, report_path, no_build, executor, workers, tasks, work_dir):
    """Verify records from any source in four stages -- format, execution (grounded read-only calls
    re-run against their repository), semantic (claims against results, listed conventions, tool
    preconditions), build (Python ast + ruff, gofmt + go vet, rustc, tsc where installed) -- and print
    each stage's pass rate per category, the variety measures and the behaviour mix. Exits 1 when any
    record is rejected.
    """
    from factory.quality.check import format_check_report
    from factory.quality.check_engine import run_check
    from factory.store.jsonl import write_json

    report = run_check(files, repos, build=not no_build, rejects=rejects,
                       engine=state.config.check.options(executor, workers, tasks), work_root=work_dir,
                       plugin_dirs=state.plugin_dirs, echo=click.echo)
    for line in format_check_report(report):
        click.echo(line)
    passed = report.read - report.rejected
    click.echo(f"checked {report.read} records: {passed} passed, {report.rejected} rejected"
               + (f" (written to {rejects})" if rejects and report.rejected else ""))
    if report_path:
        write_json(report_path, report.to_dict())
    if report.read == 0:
        raise FactoryError(f"no record in {', '.join(map(str, files))} (the files are empty); give JSONL records")
    if report.rejected:
        click.echo(f"error: {report.rejected} of {report.read} records of {', '.join(map(str, files))} rejected "
                   "(reasons above, per stage)", err=True)
        sys.exit(1)


COMMANDS = [run, generate, validate, check, status]
