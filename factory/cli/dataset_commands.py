"""CLI commands over a generated dataset directory: ``merge``, ``export`` and ``report``.

Layout they share (DIR is ``factory run --data DIR``): category files in DIR (``eval.jsonl`` there is
the held-out eval category), ``DIR/merged/{train,eval}.jsonl`` + ``merge_report.json``,
``DIR/export/<format>/`` and ``DIR/report/``. Heavy libraries are imported inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from factory.cli.options import examples, executor_options


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Dataset directory: merge its category files into DATA/merged [default: ./data or config].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output directory [default: DATA/merged].")
@click.option("--enhanced", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Enhanced batch file; its records replace the ones their meta.parent_id names (repeatable).")
@click.option("--base", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="High-quality base file; only its label-true records are kept (repeatable).")
@click.option("--seed", type=int, default=42, show_default=True, help="Shuffle seed.")
@click.option("--eval-frac", type=float, default=0.15, show_default=True, help="Eval share, per category.")
@click.option("--near-threshold", type=float, default=0.8, show_default=True,
              help="MinHash Jaccard at which records count as near-duplicates; 0 disables near-dedupe.")
@click.option("--num-perm", type=int, default=128, show_default=True, help="MinHash permutations.")
@click.option("--exclude-category", "exclude", multiple=True, default=None,
              help="More categories to keep out of both splits (repeatable); those whose spec says "
                   "held_out are always kept out.")
@executor_options("merge's record work and near-dedupe", "merge", "local above 20,000 input lines",
                  "Shards, one prepare and one signature task each: the input lines cut into this many "
                  "[default: at most 50,000 lines a shard, at least four shards a worker].")
@click.pass_obj
@examples("factory merge --data data --enhanced enhanced_batch_001.jsonl --eval-frac 0.15",
          "factory merge --data data --executor local --workers 2")
def merge(state, files, data_dir, out, enhanced, base, seed, eval_frac, near_threshold, num_perm, exclude,
          executor, workers, tasks):
    """Merge, dedupe (exact + MinHash near-duplicates), shuffle and split into train/eval.
    """
    from factory.generate.specs import held_out_categories, warn_failed_plugins
    from factory.merge.dataset import MergeOptions, category_files, inputs_from
    from factory.merge.dataset import merge as run_merge
    from factory.view.review import decisions_path, load_decisions

    reviewed = data_dir or not files
    reviews = load_decisions(data_dir or state.config.out) if reviewed else {}
    data_dir = data_dir or state.config.out
    whole_dataset = not files
    if not files:
        files = tuple(category_files(Path(data_dir)))
        if not files and not enhanced and not base:
            raise click.UsageError(f"no input: {data_dir} has no *.jsonl files and no FILES were given")
    out = out or Path(data_dir) / "merged"
    opts = MergeOptions(seed=seed, eval_frac=eval_frac, near_threshold=near_threshold or None, num_perm=num_perm,
                        exclude_categories=(*held_out_categories(state.host.registry), *exclude),
                        reviews=reviews,
                        reviews_file=decisions_path(data_dir) if reviewed else None)
    warn_failed_plugins(state.host.registry)
    engine = state.config.merge.options(executor, workers, tasks)
    result = run_merge(inputs_from(files, enhanced, base), out, opts, whole_dataset=whole_dataset, engine=engine,
                       echo=click.echo)
    click.echo(format_merge_report(result.report))
    click.echo(f"wrote {result.train}, {result.eval} and {result.report_path}")


def format_merge_report(report: dict) -> str:
    lines = [f"read {report['read']}, kept {report['kept']} "
             f"(train {report['train']['count']}, eval {report['eval']['count']})"]
    for reason, n in sorted(report["dropped"].items(), key=lambda kv: -kv[1]):
        lines.append(f"  dropped {n:>7}  {reason}")
    for ex in report.get("invalid_examples", [])[:5]:
        lines.append(f"  {ex}")
    review = report.get("review") or {}
    if review.get("decisions"):
        lines.append(f"  review decisions {review['decisions']}: rejected {review['rejected']}, "
                     f"relabelled {review['relabelled']}")
    return "\n".join(lines)


@click.command()
@click.option("--format", "formats", multiple=True, required=True, metavar="NAME",
              help="Export format (repeatable): trl, trl-prompt-completion, kto, dpo, openai, sharegpt, alpaca, "
                   "mlx, mlx-turns, fim, or a plugin's. `factory plugins` lists them.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Dataset directory [default: ./data or config]; reads DATA/merged, writes DATA/export/NAME.")
@click.option("--merged", "merged_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory with train.jsonl / eval.jsonl [default: DATA/merged].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output root [default: DATA/export].")
@click.option("--tokenizer", default="qwen2.5", show_default=True,
              help="Tokenizer whose chat template the self-checks render with (and whose FIM tokens fim uses).")
@click.option("--no-check", is_flag=True, help="Skip the self-checks.")
@click.option("--mask-sample", type=int, default=100, show_default=True,
              help="Rows per export whose loss mask is also computed by transformers itself.")
@click.pass_obj
@examples("factory export --format trl --format openai --data data")
def export(state, formats, data_dir, merged_dir, out, tokenizer, no_check, mask_sample):
    """Export the merged train/eval splits to trainer formats and self-check what was written.

    Exits 1 listing file:line: reason when a self-check fails.
    """
    from factory.export.base import run_export

    data_dir = Path(data_dir or state.config.out)
    merged_dir = merged_dir or data_dir / "merged"
    splits = {s: merged_dir / f"{s}.jsonl" for s in ("train", "eval") if (merged_dir / f"{s}.jsonl").exists()}
    if not splits:
        raise click.UsageError(f"{merged_dir}: no train.jsonl / eval.jsonl; run `factory merge --data {data_dir}` first")
    failed = False
    for name in formats:
        exporter = state.host.registry.exporters.get(name, None)
        if exporter is None:
            known = ", ".join(state.host.registry.exporters)
            raise click.BadParameter(f"unknown format '{name}' (known: {known})", param_hint="--format")
        report = run_export(exporter, splits, (out or data_dir / "export") / name, tokenizer,
                            originals=[merged_dir / "originals.jsonl"], check=not no_check, mask_sample=mask_sample)
        click.echo(format_export_report(report))
        checks = report.get("checks") or {}
        for err in checks.get("errors", []):
            click.echo(err, err=True)
        failed |= bool(checks.get("failures"))
    if failed:
        sys.exit(1)


def format_export_report(report: dict) -> str:
    lines = []
    for split, r in report["splits"].items():
        if "rows_written" in r:
            skipped = ", ".join(f"{n} {why}" for why, n in r["skipped"].items()) or "none skipped"
            lines.append(f"{report['format']}/{split}: {r['records_read']} records -> {r['rows_written']} rows "
                         f"in {r['path']} ({skipped})")
            for stream, st in (r.get("streams") or {}).items():
                lines.append(f"{report['format']}/{split}: {st['rows_written']} {stream} rows in {st['path']}")
        else:
            lines.append(f"{report['format']}/{split}: wrote {', '.join(r['paths'])}")
    checks = report.get("checks")
    if checks:
        state = "FAILED " + ", ".join(f"{k} x{n}" for k, n in checks["failures"].items()) if checks["failures"] \
            else "passed"
        extra = ""
        if checks["supports_tool_calling"] is not None:
            extra = (f"; {report['tokenizer']} template supports tool calling: {checks['supports_tool_calling']}"
                     f"; loss masks verified by transformers on {checks['mask_verified_with_transformers']} rows")
        lines.append(f"{report['format']}: self-checks on {checks['checked']} rows {state}{extra}")
        for name, figures in (checks.get("notes") or {}).items():
            lines.append(f"{report['format']}: {name}: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                                                        for k, v in figures.items()))
    return "\n".join(lines)


@click.command()
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset directory [default: ./data or config]; writes DATA/report/.")
@click.option("--tokenizer", default="qwen2.5", show_default=True, help="Tokenizer for the token-length plots.")
@click.option("--no-tokens", is_flag=True, help="Leave token lengths out (no tokenizer is loaded).")
@click.option("--license", "license_", default="apache-2.0", show_default=True, help="License in the card metadata.")
@click.option("--viewer-url", default="http://127.0.0.1:8765", show_default=True,
              help="Where `factory view` serves this dataset: the report's bars link there ('' for no links).")
@click.pass_obj
@examples("factory report --data data")
def report(state, data_dir, tokenizer, no_tokens, license_, viewer_url):
    """Write the dataset card (README.md with Hugging Face metadata) and report.html with plots.
    """
    from factory.merge.dataset import category_files
    from factory.report.build import build_report

    data_dir = Path(data_dir or state.config.out)
    files = category_files(data_dir)
    token_report = None
    if not no_tokens:
        from factory.quality.tokens import load_tokenizer, scan_token_lengths

        token_report = scan_token_lengths(files, load_tokenizer(tokenizer), roundtrip=False)
    paths = build_report(data_dir, files, token_report, license_, viewer_url or None)
    click.echo(f"wrote {paths['card']}, {paths['html']} and {paths['json']}")


COMMANDS = [merge, export, report]
