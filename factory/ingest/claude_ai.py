"""The Claude.ai data export (``conversations.json``) -> Example records.

The export is one JSON array of conversations, each with ``chat_messages`` (``sender`` human or
assistant, ``text``, ``content`` blocks, ``attachments`` with extracted text). It is read one
conversation at a time with an incremental decoder, so a multi-gigabyte export never sits in memory
whole. Assistant content blocks run in order -- text, ``tool_use`` (artifacts, the analysis tool, web
search), ``tool_result`` -- and become assistant turns with tool calls followed by tool messages.
Attachments' extracted text is appended to the human turn. Windows and the keep-filter are those of
the Claude Code logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factory.errors import InputError
from factory.ingest.claude_logs import ClaudeLogOptions, windows_of
from factory.ingest.claude_tools import tool_schema
from factory.ingest.sink import Candidate, IngestReport

CATEGORY = "claude_ai"
_S = {"type": "string"}
CLAUDE_AI_TOOLS: dict[str, dict[str, Any]] = {
    "artifacts": {"type": "function", "function": {
        "name": "artifacts",
        "description": "Create, update or rewrite an artifact (code, document, diagram) shown beside the chat.",
        "parameters": {"type": "object", "properties": {
            "command": _S, "id": _S, "type": _S, "title": _S, "content": _S, "language": _S,
            "old_str": _S, "new_str": _S, "version_uuid": _S}, "required": ["command", "id"]}}},
    "repl": {"type": "function", "function": {
        "name": "repl", "description": "Run JavaScript in the analysis tool and see its output.",
        "parameters": {"type": "object", "properties": {"code": _S}, "required": ["code"]}}},
}


def tool_schema_ai(name: str) -> dict[str, Any]:
    return CLAUDE_AI_TOOLS.get(name) or tool_schema(name)


def iter_json_array(path: Path, chunk_size: int = 1 << 20) -> Iterator[tuple[int, Any]]:
    """Yield (index, item) of a top-level JSON array, reading the file in chunks."""
    try:
        yield from _json_array_items(path, chunk_size)
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f"not UTF-8 text ({exc.reason} near byte {exc.start} of a chunk)",
                         "give the conversations.json file from the Claude.ai export") from None


def _json_array_items(path: Path, chunk_size: int) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8") as fh:
        buf = fh.read(chunk_size).lstrip()
        if not buf.startswith("["):
            raise InputError(path, 1, "expected a JSON array of conversations",
                             "give the conversations.json file from the Claude.ai export")
        buf, index, eof = buf[1:], 0, False
        while True:
            buf = buf.lstrip().removeprefix(",").lstrip()
            if buf.startswith("]"):
                return
            try:
                item, end = decoder.raw_decode(buf)
            except json.JSONDecodeError as exc:
                if eof:
                    raise InputError(path, None, f"item {index}: not valid JSON: {exc.msg}",
                                     "re-download the export; the file may be cut short") from None
                more = fh.read(chunk_size)
                eof = not more
                buf += more
                continue
            yield index, item
            index += 1
            buf = buf[end:]
            if len(buf) < chunk_size and not eof:
                more = fh.read(chunk_size)
                eof = not more
                buf += more


def _str(value: Any) -> str:
    """A field that should hold text: its text, or "" for anything else (exports are not always tidy)."""
    return value if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    """A field that should hold a list of objects: the objects in it."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _human_text(msg: dict[str, Any]) -> str:
    blocks = _dicts(msg.get("content"))
    text = "\n\n".join(_str(b.get("text")) for b in blocks if b.get("type") == "text")
    text = (text or _str(msg.get("text"))).strip()
    for att in _dicts(msg.get("attachments")):
        body = _str(att.get("extracted_content")).strip()
        if body:
            text += f"\n\n[attachment: {_str(att.get('file_name')) or 'file'}]\n```\n{body}\n```"
    return text.strip()


def conversation_messages(conv: dict[str, Any], conv_index: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n_calls = 0
    for msg in _dicts(conv.get("chat_messages")):
        if msg.get("sender") == "human":
            text = _human_text(msg)
            if not text:
                continue
            if out and out[-1]["role"] == "user":
                out[-1]["content"] += "\n\n" + text
            else:
                out.append({"role": "user", "content": text})
            continue
        if msg.get("sender") != "assistant":
            continue
        blocks = _dicts(msg.get("content")) or [{"type": "text", "text": _str(msg.get("text"))}]
        pending: list[str] = []
        for block in blocks:
            kind = block.get("type")
            if kind == "text" and _str(block.get("text")).strip():
                if out and out[-1]["role"] == "assistant" and not out[-1].get("tool_calls"):
                    out[-1]["content"] += "\n\n" + block["text"].strip()
                else:
                    out.append({"role": "assistant", "content": block["text"].strip()})
            elif kind == "tool_use" and _str(block.get("name")):
                n_calls += 1
                call_id = _str(block.get("id")) or f"call_{conv_index}_{n_calls}"
                call = {"id": call_id, "type": "function", "function": {
                    "name": block["name"], "arguments": block.get("input") if isinstance(block.get("input"), dict) else {}}}
                last = out[-1] if out else None
                if last is not None and last["role"] == "assistant":  # no result after it yet
                    last.setdefault("tool_calls", []).append(call)
                else:
                    out.append({"role": "assistant", "content": None, "tool_calls": [call]})
                pending.append(call_id)
            elif kind == "tool_result" and pending:
                call_id = block.get("tool_use_id") if block.get("tool_use_id") in pending else pending[0]
                pending.remove(call_id)
                parts = block.get("content") or []
                text = "\n".join(_str(p.get("text")) for p in _dicts(parts)) if isinstance(parts, list) \
                    else str(parts)
                name = next(c["function"]["name"] for m in out for c in m.get("tool_calls") or [] if c["id"] == call_id)
                out.append({"role": "tool", "tool_call_id": call_id, "name": name, "content": text or "(no output)"})
        # Calls the export holds no result for (artifacts often have none): answer them as done, so the
        # call stays in the record without inventing output.
        for call_id in pending:
            name = next(c["function"]["name"] for m in out for c in m.get("tool_calls") or [] if c["id"] == call_id)
            out.append({"role": "tool", "tool_call_id": call_id, "name": name, "content": "OK"})
    return out


def ingest_claude_ai(paths: list[Path], report: IngestReport, options: ClaudeLogOptions) -> Iterator[Candidate]:
    for path in paths:
        report.sources += 1
        for index, conv in iter_json_array(Path(path)):
            report.units_read += 1
            if not isinstance(conv, dict):
                report.units_skipped["not a conversation object"] += 1
                continue
            messages = conversation_messages(conv, index)
            if not any(m["role"] == "assistant" for m in messages):
                report.units_skipped["no assistant turn"] += 1
                continue
            meta = {"generator": "ingest:claude-ai", "provider": "claude.ai-export", "source": Path(path).name,
                    "conversation": conv.get("uuid"), "title": conv.get("name") or ""}
            yield from windows_of(report, CATEGORY, messages, options, meta, schema_for=tool_schema_ai)
