"""The datasette plugin behind ``factory view``: conversations on the record page, the review form and
its endpoint, the stylesheet, links between a dropped record and the one it duplicates, and ``/?q=``.

Registered in-process by :func:`factory.view.serve.make_datasette` (it is not an installed datasette
plugin, so a plain ``datasette`` run elsewhere is not changed by it)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from factory.errors import FactoryError

NAME = "factory-view"
DB = "dataset"


def _data_dir(datasette: Any) -> str:
    return (datasette.plugin_config(NAME) or {})["data_dir"]


@hookimpl
def extra_css_urls(template: str, database: str, table: str, columns: Any, view_name: str, request: Any,
                   datasette: Any) -> list[str]:
    return ["/-/factory/view.css"]


@hookimpl
def extra_js_urls(template: str, database: str, table: str, columns: Any, view_name: str, request: Any,
                  datasette: Any) -> list[str]:
    return ["/-/factory/review.js"] if view_name == "row" and table == "records" else []


@hookimpl
def extra_template_vars(template: str, database: str, table: str, columns: Any, view_name: str, request: Any,
                        datasette: Any) -> Any:
    if view_name != "row" or database != DB or table not in ("records", "pairs") or request is None:
        return {}
    if table == "pairs":
        return _pair_vars(request, datasette)

    async def conversation() -> dict[str, Any]:
        from factory.view.render import conversation_html, safe_html

        pk = (request.url_vars or {}).get("pks", "")
        db = datasette.get_database(DB)
        row = (await db.execute("select r.id, b.record from records r join bodies b on b.n = r.n where r.n = ?",
                                [pk])).first()
        if row is None:
            return {}
        review = (await db.execute("select decision, label, note, at from reviews where id = ?", [row["id"]])).first()
        try:
            record = json.loads(row["record"])
        except ValueError:
            return {"factory_conversation": Markup("<p>not a JSON object</p>")}
        return {"factory_conversation": Markup(safe_html(conversation_html, record)), "factory_record_id": row["id"],
                "factory_review": dict(review) if review else None}

    return conversation


def _pair_vars(request: Any, datasette: Any) -> Any:
    async def pair() -> dict[str, Any]:
        from factory.view.render import pair_html, safe_html

        pk = (request.url_vars or {}).get("pks", "")
        db = datasette.get_database(DB)
        row = (await db.execute("select p.left_title, p.right_title, b.left, b.right from pairs p "
                                "join pair_bodies b on b.n = p.n where p.n = ?", [pk])).first()
        if row is None:
            return {}
        return {"factory_pair": Markup(safe_html(pair_html, json.loads(row["left"]), json.loads(row["right"]),
                                                 row["left_title"], row["right_title"]))}

    return pair


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str, database: str, datasette: Any) -> Any:
    if database != DB:
        return None
    if table == "dropped" and column in ("record_n", "kept_n") and value is not None:
        return Markup(f'<a href="/{DB}/records/{int(value)}">{int(value)}</a>')
    if table == "records" and column == "prompt" and isinstance(value, str):
        return Markup(f'<a href="/{DB}/records/{row["n"]}">{escape(value)}</a>')
    return None


async def _css(request: Any, datasette: Any) -> Response:
    from factory.view.render import style_css

    return Response(style_css(), content_type="text/css; charset=utf-8",
                    headers={"cache-control": "max-age=3600"})


REVIEW_JS = r"""
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.review");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter;
    const status = form.querySelector(".status");
    const body = {id: form.dataset.id, decision: button.value, note: form.note.value};
    if (button.value === "relabel") body.label = button.dataset.label === "true";
    status.className = "status"; status.textContent = "saving...";
    try {
      const r = await fetch("/-/factory/review", {method: "POST", credentials: "same-origin",
        headers: {"content-type": "application/json", "x-csrftoken": form.csrftoken.value},
        body: JSON.stringify(body)});
      const answer = await r.json();
      if (!r.ok) throw new Error(answer.error || r.statusText);
      status.className = "status saved";
      status.textContent = "saved: " + answer.decision.decision
        + (answer.decision.label === null ? "" : " (label " + answer.decision.label + ")")
        + " -> " + answer.file;
    } catch (err) {
      status.className = "status failed"; status.textContent = "not saved: " + err.message;
    }
  });
});
"""


async def _js(request: Any, datasette: Any) -> Response:
    return Response(REVIEW_JS, content_type="application/javascript; charset=utf-8")


async def _review(request: Any, datasette: Any) -> Response:
    """Store a decision: appended to DATA/review/decisions.jsonl, then shown in the index."""
    from factory.view.review import append_decision, make_decision

    if request.method != "POST":
        return Response.json({"error": "POST a JSON decision here"}, status=405)
    if not (request.headers.get("content-type") or "").startswith("application/json"):
        # a cross-site form cannot send this type without the browser asking first (CORS), so a
        # decision comes only from a page of this viewer
        return Response.json({"error": "send the decision as application/json"}, status=415)
    try:
        body = json.loads((await request.post_body()) or b"{}")
        if not isinstance(body, dict):
            raise FactoryError("the body must be a JSON object")
        decision = make_decision(body.get("id"), body.get("decision"), body.get("label"), body.get("note") or "")
        db = datasette.get_database(DB)
        found = (await db.execute("select file, line from records where id = ? limit 1", [decision["id"]])).first()
        if found is None:
            raise FactoryError(f"no record with id {decision['id']!r} in this dataset")
        decision["where"] = f"{found['file']}:{found['line']}"
    except (ValueError, FactoryError) as exc:
        return Response.json({"error": str(exc)}, status=400)
    path = append_decision(_data_dir(datasette), decision)
    label = None if decision["label"] is None else str(decision["label"]).lower()

    def write(conn: Any) -> None:
        with conn:  # one transaction, committed
            _apply(conn)

    def _apply(conn: Any) -> None:
        conn.execute("insert or replace into reviews values (?, ?, ?, ?, ?)",
                     (decision["id"], decision["decision"], label, decision["note"], decision["at"]))
        conn.execute("update records set review = ? where id = ?", (decision["decision"], decision["id"]))

    await db.execute_write_fn(write)
    return Response.json({"ok": True, "decision": decision, "file": str(path)})


async def _home(request: Any, datasette: Any) -> Response:
    """``/`` opens the records; ``/?q=words`` is a full-text search, so a search is a link."""
    q = request.args.get("q")
    target = f"/{DB}/records"
    if q:
        target += "?" + urlencode({"_search": q})
    return Response.redirect(target)


async def _report(request: Any, datasette: Any) -> Response:
    """The dataset's report.html (written by `factory report` / the main job), whose bars link here."""
    from pathlib import Path

    path = Path(_data_dir(datasette)) / "report" / "report.html"
    if not path.is_file():
        return Response.html("<p>No report yet: run <code>factory report --data DIR</code>.</p>", status=404)
    page = path.read_text(encoding="utf-8")
    try:  # the bars link to where the report expected the viewer: served from here, they link here
        viewer = json.loads((path.parent / "report.json").read_text()).get("viewer")
    except (OSError, ValueError, AttributeError):
        viewer = None
    if viewer:
        page = page.replace(f'"{viewer.rstrip("/")}/{DB}/', f'"/{DB}/')
    return Response.html(page)


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    return [{"href": "/report", "label": "Dataset report"}, {"href": f"/{DB}/dropped", "label": "What was dropped"},
            {"href": f"/{DB}/pairs", "label": "Pairs side by side"}]


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [(r"^/$", _home), (r"^/report$", _report), (r"^/-/factory/view\.css$", _css),
            (r"^/-/factory/review\.js$", _js), (r"^/-/factory/review$", _review)]
