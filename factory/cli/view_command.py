"""``factory view DATA``: browse a dataset directory's records, drops and rejects, and review them."""

from __future__ import annotations

from pathlib import Path

import click

from factory.cli.options import examples


@click.command(name="view")
@click.argument("data_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--rebuild", is_flag=True, help="Rebuild the index even when no file changed since it was built.")
@click.option("--tokens/--no-tokens", default=True,
              help="Count tokens with the Qwen2.5 tokenizer (quality extra); without, estimate (characters/4).")
@click.option("--index-only", is_flag=True, help="Build the index (DATA/.view/dataset.db) and exit.")
@click.pass_obj
@examples("factory view data", "factory view data --port 9000 --host 127.0.0.1",
          "factory view data --index-only")
def view_cmd(state, data_dir, host, port, rebuild, tokens, index_only):
    """Serve DATA (default ./data) at http://HOST:PORT: records as conversations, facets, full-text
    search (/?q=words), what generation and merge dropped and why, and review decisions (accept,
    reject, relabel; stored in DATA/review/decisions.jsonl, applied by `factory merge`). Opens
    nothing by itself; stop it with Ctrl-C.
    """
    from factory.errors import FactoryError
    from factory.view.index import ensure_index, index_path

    data_dir = Path(data_dir or state.config.out)
    if not data_dir.is_dir():
        raise FactoryError(f"{data_dir}: no such dataset directory; run `factory run --data {data_dir}` first")
    if not index_only:
        from factory.view.serve import _require_datasette

        _require_datasette()
    result = ensure_index(data_dir, rebuild=rebuild, count_tokens=tokens)
    if result is None:
        click.echo(f"index {index_path(data_dir)} is up to date")
    else:
        click.echo(f"indexed {result.records:,} records, {result.dropped:,} merge drops, {result.rejections:,} "
                   f"reject rows in {result.seconds:.1f} s -> {result.path} (tokens: {result.tokens_counted_by})")
        if result.unreadable:
            click.echo(f"  {result.unreadable} lines were not JSON objects: listed under rejections (stage index)")
    if index_only:
        return
    from factory.view.serve import serve

    click.echo(f"serving {data_dir} at http://{host}:{port}/ (Ctrl-C stops)")
    serve(data_dir, host, port)


COMMANDS = [view_cmd]
