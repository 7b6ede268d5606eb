"""Entry point: builds the plugin host first (so plugin commands appear in --help), then the CLI."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from factory import __version__
from factory.config import FactoryConfig, load_config
from factory.errors import FactoryError


@dataclass
class AppState:
    config: FactoryConfig
    plugin_dirs: list[Path]
    _host: object = None

    @property
    def host(self):
        if self._host is None:
            from factory.host import PluginHost, use_registry

            self._host = PluginHost(plugin_dirs=self.plugin_dirs).load()
            use_registry(self._host.registry)
        return self._host


def _extract_option(argv: list[str], name: str) -> tuple[list[str], list[str]]:
    """Pull ``--name VALUE`` / ``--name=VALUE`` out of argv wherever it stands."""
    values, rest, i = [], [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == name and i + 1 < len(argv):
            values.append(argv[i + 1])
            i += 2
            continue
        if arg.startswith(name + "="):
            values.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        i += 1
    return values, rest


def build_cli(state: AppState) -> click.Group:
    @click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(__version__, prog_name="factory")
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        """factory: generate, score, enhance, ingest, verify, export and train on fine-tuning data
        for coding and tool-using assistants.

        Global options, accepted anywhere on the line: --config FILE (default ./factory.toml) and
        --plugins-dir DIR (repeatable) to load drop-in plugins.
        """
        ctx.obj = state

    from factory.cli import (
        coverage_command,
        data_commands,
        dataset_commands,
        ingest_commands,
        llm_commands,
        plugin_commands,
        rollout_command,
        training_commands,
        view_command,
    )

    for module in (data_commands, dataset_commands, coverage_command, llm_commands, plugin_commands,
                   ingest_commands, rollout_command, training_commands, view_command):
        for cmd in module.COMMANDS:
            cli.add_command(cmd)
    state.host.add_commands(cli)
    return cli


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    configs, argv = _extract_option(argv, "--config")
    dirs, argv = _extract_option(argv, "--plugins-dir")
    try:
        config = load_config(configs[-1] if configs else None)
    except FactoryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        plugin_dirs = [*(_plugins_dir(p, "plugins_dirs in the config") for p in config.plugins_dirs),
                       *(_plugins_dir(Path(p), "--plugins-dir") for p in dirs)]
    except FactoryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    state = AppState(config, plugin_dirs)
    try:
        cli = build_cli(state)
        cli.main(args=argv, prog_name="factory", standalone_mode=True)
    except FactoryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # a path the user named that the system refused: say which, and why
        if exc.filename is None:
            raise
        click.echo(f"error: {exc.filename}: {exc.strerror or exc}", err=True)
        sys.exit(1)


def _plugins_dir(path: Path, where: str) -> Path:
    """A directory drop-in plugins are loaded from: it must exist and be readable."""
    import os

    if not path.is_dir():
        raise FactoryError(f"{where}: {path} is {'a file' if path.exists() else 'not there'}; "
                           "expected the directory a drop-in plugin's NAME.py and NAME.md are in")
    if not os.access(path, os.R_OK | os.X_OK):
        raise FactoryError(f"{where}: {path} cannot be read (permission denied)")
    return path


if __name__ == "__main__":
    main()
