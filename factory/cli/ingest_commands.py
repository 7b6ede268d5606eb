"""``factory ingest NAME ...``: one subcommand per registered ingestor."""

from __future__ import annotations

import click


class IngestGroup(click.Group):
    """Subcommands come from the registry, so an ingestor plugin needs no CLI edit."""

    def _ingestors(self, ctx: click.Context) -> dict:
        state = ctx.find_root().obj
        return {e.obj.name: e.obj for e in state.host.registry.entries("ingestors")} if state else {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._ingestors(ctx))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        ing = self._ingestors(ctx).get(name)
        return ing.command if ing else None


@click.group(cls=IngestGroup)
def ingest() -> None:
    """Turn real sources (Claude Code logs, git history, repositories) into Example records.

    Example: factory ingest --help
    """


COMMANDS = [ingest]
