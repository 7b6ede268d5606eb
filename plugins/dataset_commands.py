"""CLI commands over a generated dataset directory: ``merge``, ``export`` and ``report``.

Layout they share (DIR is ``factory run --out DIR``): category files in DIR (``eval.jsonl`` there is
the held-out eval category), ``DIR/merged/{train,eval}.jsonl`` + ``merge_report.json``,
``DIR/export/<format>/`` and ``DIR/report/``. Heavy libraries are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from factory import hookimpl


def category_files(data_dir: Path) -> list[Path]:
    """The dataset's category files: what manifest.json lists, else every top-level *.jsonl."""
    from factory.manifest import load_manifest

    files = [data_dir / name for name in sorted(load_manifest(data_dir)["files"]) if name.endswith(".jsonl")]
    files = [p for p in files if p.exists()] or sorted(data_dir.glob("*.jsonl"))
    return files


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
@click.option("--near-threshold", type=float, default=0.85, show_default=True,
              help="MinHash Jaccard at which records count as near-duplicates; 0 disables near-dedupe.")
@click.option("--num-perm", type=int, default=128, show_default=True, help="MinHash permutations.")
@click.option("--exclude-category", "exclude", multiple=True, default=("eval",), show_default=True,
              help="Categories kept out of training (repeatable).")
@click.pass_obj
def merge(state, files, data_dir, out, enhanced, base, seed, eval_frac, near_threshold, num_perm, exclude):  # noqa: ANN001, ANN201
    """Merge, dedupe (exact + MinHash near-duplicates), shuffle and split into train/eval.

    Example: factory merge --data data --enhanced enhanced_batch_001.jsonl --eval-frac 0.15
    """
    from factory.merge import MergeOptions, inputs_from
    from factory.merge import merge as run_merge

    data_dir = data_dir or state.config.out
    if not files:
        files = tuple(category_files(Path(data_dir)))
        if not files and not enhanced and not base:
            raise click.UsageError(f"no input: {data_dir} has no *.jsonl files and no FILES were given")
    out = out or Path(data_dir) / "merged"
    opts = MergeOptions(seed=seed, eval_frac=eval_frac, near_threshold=near_threshold or None, num_perm=num_perm,
                        exclude_categories=tuple(exclude))
    result = run_merge(inputs_from(files, enhanced, base), out, opts)
    click.echo(format_merge_report(result.report))
    click.echo(f"wrote {result.train}, {result.eval} and {result.report_path}")


def format_merge_report(report: dict) -> str:
    lines = [f"read {report['read']}, kept {report['kept']} "
             f"(train {report['train']['count']}, eval {report['eval']['count']})"]
    for reason, n in sorted(report["dropped"].items(), key=lambda kv: -kv[1]):
        lines.append(f"  dropped {n:>7}  {reason}")
    for ex in report.get("invalid_examples", [])[:5]:
        lines.append(f"  {ex}")
    return "\n".join(lines)


@hookimpl
def register_commands(cli):  # noqa: ANN001, ANN201
    cli.add_command(merge)
