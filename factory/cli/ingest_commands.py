"""``factory ingest NAME ...``: one subcommand per registered ingestor, built here from what the
ingestor declares, so every ingestor's candidates go through the same sink (scrub, validate, dedupe,
atomic write) and the same report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from factory.cli.options import examples

OUT = click.Option(["--out", "-o"], type=click.Path(dir_okay=False, path_type=Path), required=True,
                   help="JSONL file to write (atomically); the report goes to OUT.report.json.")
FORCE = click.Option(["--force"], is_flag=True,
                     help="Write OUT even when no record is kept (an empty file); by default OUT is then left as it was.")


def ingest_command(ingestor: Any) -> click.Command:
    """The click command of a registered :class:`factory.registry.Ingestor`."""

    def run(out: Path, force: bool, **values: Any) -> None:
        from factory.errors import FactoryError
        from factory.ingest.sink import IngestReport, RecordSink
        from factory.store.jsonl import NothingWritten

        report = IngestReport(ingestor.name)
        # A plain function checks its options here, before the sink opens; a generator's errors come from
        # inside the sink, which then leaves any existing OUT as it was (atomic write).
        candidates = ingestor.ingest(report, **values)
        try:
            with RecordSink(out, report, allow_empty=force) as sink:
                sink.feed(candidates)
        except NothingWritten:
            skipped = ", ".join(f"{reason} {n}" for reason, n in report.units_skipped.most_common(3))
            reasons = "; ".join(f"{reason} {n}" for reason, n in report.rejected.most_common(3))
            raise FactoryError(
                f"no record was written: {report.sources} source(s), {report.units_read} entries read"
                + (f" (skipped: {skipped})" if skipped else "") + f", {report.candidates} candidates, "
                f"{sum(report.rejected.values())} rejected" + (f" ({reasons})" if reasons else "")
                + f"; {out} was left as it was. Check the input (`factory ingest {ingestor.name} --help` says "
                "what it reads), or pass --force to write an empty file.") from None
        click.echo(report.summary())
        if not report.written:
            click.echo("warning: no record was written (--force)", err=True)

    return click.Command(ingestor.name, params=[*ingestor.params, OUT, FORCE], callback=run,
                         help=ingestor.help or ingestor.description, short_help=ingestor.description)


class IngestGroup(click.Group):
    """Subcommands come from the registry, so an ingestor plugin needs no CLI edit."""

    def _ingestors(self, ctx: click.Context) -> dict:
        state = ctx.find_root().obj
        return dict(state.host.registry.ingestors) if state else {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._ingestors(ctx))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        ing = self._ingestors(ctx).get(name)
        return ingest_command(ing) if ing else None


@click.group(cls=IngestGroup)
@examples("factory ingest claude-logs ~/.claude/projects --out data/claude_logs.jsonl",
          "factory ingest git-history ../myrepo --out data/git_history.jsonl")
def ingest() -> None:
    """Turn real sources (Claude Code logs, git history, repositories) into records; `factory ingest
    SOURCE --help` for each source's options."""


COMMANDS = [ingest]
