"""``factory coverage --data DIR``: the coverage report of a generated dataset, printed and written
as markdown (see :mod:`factory.quality.coverage`)."""

from __future__ import annotations

import click

from factory.cli.options import dataset_dir_option, examples


@click.command(name="coverage")
@dataset_dir_option("The dataset directory [default: ./data, or `out` in factory.toml].", exists=True)
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the markdown (default: DIR/coverage.md).")
@click.option("--checks/--no-checks", default=True,
              help="Also measure near-duplicate share, code parse/lint failures and grounding per category.")
@click.option("--lint/--no-lint", default=True, help="Run ruff on assistant Python blocks (with --checks).")
@click.option("--repo", type=click.Path(file_okay=False, exists=True), default=None,
              help="Workspace that grounded records were generated against (default: the shipped fixture "
                   "repository, or FACTORY_GROUNDING_REPO).")
@click.pass_obj
@examples("factory coverage --data data",
          "factory coverage --data data --no-checks --report coverage.md")
def coverage_cmd(state, data_dir, report_path, checks, lint, repo):
    """Category x subcategory targets vs actual, tool call counts per tool set, the 17
    capabilities with counts, and per-category quality.
    """
    from pathlib import Path

    out_dir = Path(data_dir or state.config.out)
    if not out_dir.is_dir():
        raise click.UsageError(f"{out_dir}: no such dataset directory; run `factory run --data {out_dir}` first")
    from factory.quality.coverage import collect, to_markdown
    from factory.sandbox.workspace import Workspace
    from factory.store.jsonl import atomic_write

    report = collect(out_dir, state.host.registry, checks=checks, lint=lint,
                     workspace=Workspace(repo) if repo else None)
    if report.records == 0:
        first = f"; {report.unreadable[0]}" if report.unreadable else ""
        raise click.ClickException(f"{out_dir}: no record in any category file ({len(report.unreadable)} unreadable "
                                   f"lines{first}); run `factory run --data {out_dir}` first")
    text = to_markdown(report)
    click.echo(text)
    target = Path(report_path) if report_path else Path(out_dir) / "coverage.md"
    with atomic_write(target, "w") as fh:
        fh.write(text)
    click.echo(f"wrote {target}", err=True)


COMMANDS = [coverage_cmd]
