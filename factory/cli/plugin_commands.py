"""Commands about plugins: list them, scaffold a new category."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from factory.cli.options import examples


@click.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
@examples("factory --plugins-dir my_plugins plugins")
def plugins_cmd(state, as_json):
    """List every category (origin, spec file and hash, toolset), the other registered names, and
    every plugin that failed to load with the reason.
    """
    import orjson

    from factory.errors import FactoryError
    from factory.generate.specs import load_spec

    host = state.host
    cats = []
    for e in host.registry.categories.entries():
        row = {"name": e.obj.name, "origin": e.origin, "plugin": e.plugin, "plugin_file": e.file,
               "spec": str(e.obj.spec_path)}
        try:
            spec = load_spec(e.obj.spec_path)
            row.update(spec_hash=spec.hash, toolset=spec.toolset, count=spec.total)
        except FactoryError as exc:
            row.update(error=str(exc))
        cats.append(row)
    others = {k: list(host.registry.table(k)) for k in host.registry.KINDS if k != "categories"}
    failures = [vars(f) for f in host.registry.failures]
    if as_json:
        click.echo(orjson.dumps({"categories": cats, "registered": others, "failed": failures},
                                option=orjson.OPT_INDENT_2).decode())
    else:
        _print_table(cats, others, failures)
    if failures or any("error" in c for c in cats):
        sys.exit(1)


def _print_table(cats: list[dict], others: dict, failures: list[dict]) -> None:
    click.echo(f"{'category':<18} {'origin':<12} {'count':>6}  {'spec hash':<12} {'toolset':<12} spec")
    for c in cats:
        if "error" in c:
            click.echo(f"{c['name']:<18} {c['origin']:<12} {'-':>6}  {'INVALID':<12} {'-':<12} {c['error']}")
        else:
            click.echo(f"{c['name']:<18} {c['origin']:<12} {c['count']:>6}  {c['spec_hash']:<12} "
                       f"{c['toolset'] or '-':<12} {c['spec']}")
    for kind, names in others.items():
        click.echo(f"{kind}: {', '.join(names) or '-'}")
    if failures:
        click.echo("failed to load:")
        for f in failures:
            click.echo(f"  {f['plugin']} ({f['file']}): {f['reason']}")


@click.command(name="new-category")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Where to write NAME.py and NAME.md (use it as --plugins-dir).")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.pass_obj
@examples("factory new-category api_design --dir my_plugins",
          "factory --plugins-dir my_plugins plugins")
def new_category(state, name, directory, force):
    """Scaffold NAME.py + NAME.md: a drop-in category that generates valid records at once.
    """
    from factory.authoring.scaffold import scaffold_category
    from factory.errors import FactoryError

    if name in state.host.registry.categories:
        raise FactoryError(f"a category named '{name}' is already registered; a second one would make every "
                           "command fail to load the plugins. Choose another name.")
    py, md = scaffold_category(name, directory, force)
    click.echo(f"wrote {py} and {md}; load them with --plugins-dir {directory}")


COMMANDS = [plugins_cmd, new_category]
