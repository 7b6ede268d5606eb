"""``factory view DATA``: index the dataset (when its files changed) and serve it with datasette."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factory.errors import FactoryError
from factory.view.index import index_path

FACETS = ["category", "subcategory", "label", "split", "defect", "review", "tokens_range", "score_range",
          "provider", "model", "merge"]


def _require_datasette() -> None:
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise FactoryError("the viewer needs datasette: pip install -e '.[view]' (from the package index)") from None


def metadata(data_dir: Path) -> dict[str, Any]:
    return {
        "title": f"factory dataset: {data_dir.resolve().name}",
        "description": "Records as conversations; facets, full-text search (/?q=words), what was dropped "
                       "and why, and review decisions (stored in review/decisions.jsonl, applied by merge).",
        "plugins": {"factory-view": {"data_dir": str(data_dir.resolve())}},
        "databases": {"dataset": {"tables": {
            "records": {"facets": FACETS, "fts_table": "records_fts", "fts_pk": "n", "label_column": "prompt",
                        "size": 50,
                        "description": "One row per record line of the category files; open a row for "
                                       "the conversation and the review form."},
            "dropped": {"facets": ["reason", "category"],
                        "description": "What merge left out, with the record it duplicates (kept_n)."},
            "rejections": {"facets": ["stage", "category", "reason"],
                           "description": "Generation rejects per reason (counts) and the lines of every "
                                          "*.rejects.jsonl file."},
            "pairs": {"facets": ["kind", "category"],
                      "description": "Records to read side by side: enhanced beside original (scores per "
                                     "dimension before and after), DPO chosen beside rejected. Open a row."},
            "pair_bodies": {"hidden": True},
            "reviews": {"description": "The latest decision per record (from review/decisions.jsonl)."},
            "bodies": {"description": "Each record as JSON, by the n of its row in records."},
            "meta": {"hidden": True}, "sources": {"hidden": True},
        }}},
    }


def make_datasette(data_dir: str | Path) -> Any:
    """A datasette instance over ``data_dir``'s index with the factory plugin registered."""
    _require_datasette()
    from datasette.app import Datasette
    from datasette.plugins import pm

    from factory.view import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name=plugin.NAME)
    data_dir = Path(data_dir)
    db = index_path(data_dir)
    if not db.exists():
        raise FactoryError(f"{db}: no index; `factory view {data_dir}` builds it")
    return Datasette(
        [str(db)], metadata=metadata(data_dir),
        template_dir=str(Path(plugin.__file__).parent / "templates"),
        settings={"default_page_size": 50, "facet_time_limit_ms": 1000, "sql_time_limit_ms": 5000,
                  "default_facet_size": 20, "num_sql_threads": 3, "suggest_facets": False},
    )


def trusted_hosts(app: Any, host: str) -> Any:
    """Answer only requests addressed to this machine by name (Host header): a page elsewhere that
    rebinds its own domain to 127.0.0.1 cannot read the data or post decisions. Listening on all
    interfaces (0.0.0.0, ::) lifts the check -- the user chose to expose it."""
    allowed = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    if host in ("0.0.0.0", "::", ""):
        return app

    async def guarded(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            name = given.rsplit(":", 1)[0] if not given.endswith("]") else given
            if name not in allowed:
                await send({"type": "http.response.start", "status": 421,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body", "body": b"this viewer answers only to its own address\n"})
                return
        await app(scope, receive, send)

    return guarded


def serve(data_dir: str | Path, host: str, port: int) -> None:
    import uvicorn

    ds = make_datasette(data_dir)
    uvicorn.run(trusted_hosts(ds.app(), host), host=host, port=port, log_level="warning")
