"""A record as a conversation, in HTML: the system prompt folded, user and assistant turns, each tool
call as ``name(args)`` with its JSON formatted, the tool's result folded under its call, fenced code
highlighted by Pygments (server-side: no script, no CDN), the offered tools listed and the record's
provenance. A ``tool_neg`` record shows its defective call beside the correct one."""

from __future__ import annotations

import html
import json
import re
from typing import Any

_FENCE = re.compile(r"```([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def _highlight(code: str, lang: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang or "text")
    except ClassNotFound:
        lexer = TextLexer()
    return highlight(code, lexer, HtmlFormatter(cssclass="hl"))


def text_html(text: str) -> str:
    """Prose escaped with line breaks kept; fenced blocks highlighted."""
    out, pos = [], 0
    for m in _FENCE.finditer(text):
        out.append(f'<div class="prose">{html.escape(text[pos:m.start()])}</div>')
        out.append(f'<div class="code" data-lang="{html.escape(m.group(1))}">{_highlight(m.group(2), m.group(1))}</div>')
        pos = m.end()
    out.append(f'<div class="prose">{html.escape(text[pos:])}</div>')
    return "".join(p for p in out if p != '<div class="prose"></div>')


def _args(arguments: Any) -> str:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    return json.dumps(arguments, indent=2, ensure_ascii=False)


def call_html(call: dict[str, Any], cls: str = "call") -> str:
    fn = call.get("function") if isinstance(call.get("function"), dict) else {}
    name = html.escape(str(fn.get("name", "?")))
    args = _args(fn.get("arguments"))
    one_line = " ".join(args.split())
    short = html.escape(one_line if len(one_line) <= 100 else one_line[:97] + "...")
    return (f'<details class="{cls}" open><summary><span class="fn">{name}</span>({short})</summary>'
            f'{_highlight(args, "json")}</details>')


def conversation_html(record: dict[str, Any]) -> str:
    """The whole record, for the row page."""
    messages = record.get("messages") if isinstance(record.get("messages"), list) else []
    msgs = [m for m in messages if isinstance(m, dict)]
    results = {m["tool_call_id"]: m for m in msgs
               if m.get("role") == "tool" and isinstance(m.get("tool_call_id"), str) and m["tool_call_id"]}
    shown_results: set[str] = set()
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    defect = meta.get("defect") if isinstance(meta.get("defect"), dict) else None
    parts = ['<div class="conversation">']
    for m in msgs:
        role = m.get("role") if isinstance(m.get("role"), str) else "?"
        content = m.get("content") if isinstance(m.get("content"), str) else ""
        if role == "system":
            parts.append(f'<details class="turn system"><summary>system prompt ({len(content):,} characters)'
                         f'</summary>{text_html(content)}</details>')
            continue
        if role == "tool":
            if m.get("tool_call_id") in shown_results:
                continue
            parts.append(f'<div class="turn tool"><div class="role">tool result</div>{text_html(content)}</div>')
            continue
        body = []
        if isinstance(m.get("reasoning"), str) and m["reasoning"]:
            body.append(f'<details class="reasoning"><summary>reasoning</summary>{text_html(m["reasoning"])}</details>')
        if content:
            body.append(text_html(content))
        for call in m.get("tool_calls") if isinstance(m.get("tool_calls"), list) else []:
            if not isinstance(call, dict):
                continue
            body.append(call_html(call))
            res = results.get(call.get("id")) if isinstance(call.get("id"), str) else None
            if res is not None:
                shown_results.add(call.get("id"))
                rtext = res.get("content") if isinstance(res.get("content"), str) else ""
                lines = rtext.count("\n") + 1
                body.append(f'<details class="result"><summary>result ({lines} line{"s" if lines != 1 else ""})'
                            f'</summary>{text_html(rtext)}</details>')
        parts.append(f'<div class="turn {html.escape(role)}"><div class="role">{html.escape(role)}</div>'
                     f'{"".join(body)}</div>')
    if defect and isinstance(defect.get("correct"), list) and defect["correct"]:
        wrong = [c for m in msgs for c in (m.get("tool_calls") if isinstance(m.get("tool_calls"), list) else [])
                 if isinstance(c, dict)]
        parts.append('<div class="pair"><div class="side"><h4>defective call '
                     f'({html.escape(str(defect.get("kind", "")))})</h4>'
                     + "".join(call_html(c, "call wrong") for c in wrong[-len(defect["correct"]):])
                     + f'<p class="detail">{html.escape(str(defect.get("detail", "")))}</p></div>'
                     '<div class="side"><h4>correct call</h4>'
                     + "".join(call_html(c, "call right") for c in defect["correct"] if isinstance(c, dict))
                     + "</div></div>")
    parts.append("</div>")
    offered = record.get("tools") if isinstance(record.get("tools"), list) else []
    tools = [t["function"] if isinstance(t.get("function"), dict) else t for t in offered if isinstance(t, dict)]
    if tools:
        items = "".join(f'<li><span class="fn">{html.escape(str(t.get("name", "?")))}</span> '
                        f'{html.escape(str(t.get("description", ""))[:160])}</li>' for t in tools)
        parts.append(f'<details class="tools"><summary>{len(tools)} tools offered</summary><ul>{items}</ul></details>')
    prov = {"category": record.get("category"), "subcategory": record.get("subcategory"),
            "label": record.get("label"), "provider": meta.get("provider"), "model": meta.get("model"),
            "spec": meta.get("spec"), "spec hash": meta.get("spec_hash"), "seed": meta.get("seed"),
            "generator": meta.get("generator"), "parent": meta.get("parent_id")}
    rows = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in prov.items()
                   if v not in (None, ""))
    scores = record.get("scores") if isinstance(record.get("scores"), dict) else {}
    rows += "".join(f"<tr><th>score: {html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in scores.items())
    parts.append(f'<table class="provenance">{rows}</table>')
    return "".join(parts)


def pair_html(left: dict[str, Any], right: dict[str, Any], left_title: str, right_title: str) -> str:
    """Two records side by side; where both carry scores, a table of each dimension before and after."""
    parts = []
    sl = left.get("scores") if isinstance(left.get("scores"), dict) else {}
    sr = right.get("scores") if isinstance(right.get("scores"), dict) else {}
    if sl or sr:
        dims = list(dict.fromkeys([*sl, *sr]))
        rows = "".join(
            f"<tr><th>{html.escape(str(d))}</th><td>{html.escape(str(sl.get(d, '-')))}</td>"
            f"<td>{html.escape(str(sr.get(d, '-')))}</td>"
            f"<td>{_delta(sl.get(d), sr.get(d))}</td></tr>" for d in dims)
        parts.append(f'<table class="scores"><tr><th>dimension</th><th>{html.escape(left_title)}</th>'
                     f'<th>{html.escape(right_title)}</th><th>change</th></tr>{rows}</table>')
    parts.append(f'<div class="pair"><div class="side"><h3>{html.escape(left_title)}</h3>{conversation_html(left)}'
                 f'</div><div class="side"><h3>{html.escape(right_title)}</h3>{conversation_html(right)}</div></div>')
    return "".join(parts)


def _delta(a: Any, b: Any) -> str:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return f"{b - a:+g}"
    return ""


def safe_html(render: Any, *args: Any) -> str:
    """``render(*args)``, or where a record's shape defeats it, the record as escaped JSON with the reason:
    the page still shows what is there."""
    try:
        return render(*args)
    except Exception as exc:  # noqa: BLE001 - any malformed field
        raw = json.dumps(args[0], indent=2, ensure_ascii=False, default=str)
        return (f'<p class="failed">This record could not be drawn as a conversation ({html.escape(type(exc).__name__)}: '
                f'{html.escape(str(exc))}); here it is as it is:</p><pre>{html.escape(raw)}</pre>')


def style_css() -> str:
    """The viewer's stylesheet: its own rules and Pygments' highlighting classes."""
    from pygments.formatters import HtmlFormatter

    return VIEW_CSS + HtmlFormatter(style="default").get_style_defs(".hl")


VIEW_CSS = """
.conversation { max-width: 60rem; }
.turn { border-left: 4px solid #ccc; margin: 0.6rem 0; padding: 0.3rem 0.8rem; background: #fafafa; }
.turn.user { border-color: #2b6cb0; background: #f1f6fc; }
.turn.assistant { border-color: #2f855a; background: #f3faf5; }
.turn.tool { border-color: #b7791f; }
.turn.system { border-color: #718096; }
.role { font-size: 0.75rem; text-transform: uppercase; color: #555; letter-spacing: 0.05em; }
.prose { white-space: pre-wrap; word-wrap: break-word; }
.code .hl pre, .call .hl pre, .result .hl pre { padding: 0.4rem; overflow-x: auto; margin: 0.3rem 0; }
.call > summary { font-family: monospace; cursor: pointer; }
.call.wrong > summary { color: #c53030; }
.call.right > summary { color: #2f855a; }
.fn { font-weight: bold; font-family: monospace; }
.result { margin-left: 1.2rem; }
.result .prose { font-family: monospace; font-size: 0.85rem; background: #fff; padding: 0.3rem; }
.pair { display: flex; gap: 1rem; }
.pair .side { flex: 1; border: 1px solid #ddd; padding: 0.5rem; }
.provenance th { text-align: left; padding-right: 1rem; }
.review { border: 1px solid #ccc; padding: 0.6rem; margin: 1rem 0; max-width: 60rem; }
.review textarea { width: 100%; }
.review .saved { color: #2f855a; margin-left: 1rem; }
.review .failed { color: #c53030; margin-left: 1rem; }
"""
