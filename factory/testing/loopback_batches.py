"""The loopback server's Batch APIs, on the real wire formats the SDKs speak:

- OpenAI: ``POST /v1/files`` (multipart upload, purpose ``batch``), ``GET /v1/files/{id}`` and
  ``/v1/files/{id}/content``; ``POST /v1/batches`` (``input_file_id``, ``endpoint``,
  ``completion_window``) and ``GET /v1/batches/{id}``. Finished requests go to the output file
  (``{custom_id, response: {status_code, body}}``), failed and expired ones to the error file.
- Anthropic: ``POST /v1/messages/batches`` (``requests: [{custom_id, params}]``),
  ``GET /v1/messages/batches/{id}`` and ``GET .../results`` (JSONL of ``{custom_id, result}``).

A job stays ``in_progress`` until :func:`end_batches` processes it; each request line then takes the
next scripted outcome (``success`` by default; ``error`` a 500, ``refused`` a 400
``invalid_request_error``, ``expired``, or ``{"payload": ...}``) and is answered by the server's responder, exactly as
the online endpoints answer it.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import json
import re
import time
from typing import Any

_FILE = re.compile(r"^/v1/files/([\w-]+)(/content)?$")
_OPENAI_BATCH = re.compile(r"^/v1/batches/([\w-]+)$")
_ANTHROPIC_BATCH = re.compile(r"^/v1/messages/batches/([\w-]+)(/results)?$")


def _json(status: int, obj: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(obj).encode()


def _error(status: int, message: str, anthropic: bool = False) -> tuple[int, str, bytes]:
    if anthropic:
        return _json(status, {"type": "error", "error": {"type": "invalid_request_error", "message": message}})
    return _json(status, {"error": {"message": message, "type": "invalid_request_error", "code": None}})


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _multipart(headers: dict[str, str], raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes) of a multipart/form-data body."""
    msg = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + headers.get("content-type", "").encode() + b"\r\n\r\n" + raw)
    parts = {}
    for part in msg.walk():
        name = part.get_param("name", header="content-disposition")
        if name:
            parts[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return parts


def _log(state: Any, kind: str, body: Any) -> None:
    from factory.testing.wire import LoggedRequest

    with state.lock:
        state.log.append(LoggedRequest(time.time(), kind, body if isinstance(body, dict) else {}))


def batch_route(state: Any, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, str, bytes] | None:
    """Answer a Batch API request, or None when ``path`` is not one (the online endpoints answer it)."""
    path = path.split("?")[0].rstrip("/")
    if path == "/v1/files" and method == "POST":
        parts = _multipart(headers, raw)
        if "file" not in parts or parts.get("purpose", (None, b""))[1] != b"batch":
            return _error(400, "expected a multipart upload with 'file' and purpose=batch")
        filename, data = parts["file"]
        _log(state, "openai-files", {"filename": filename, "bytes": len(data)})
        with state.lock:
            fid = f"file-{next(state.ids)}"
            state.files[fid] = {"id": fid, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                                "filename": filename or "upload.jsonl", "purpose": "batch", "status": "processed",
                                "data": data}
        return _json(200, {k: v for k, v in state.files[fid].items() if k != "data"})
    m = _FILE.match(path)
    if m and method == "GET":
        f = state.files.get(m.group(1))
        if f is None:
            return _error(404, f"no such file {m.group(1)}")
        _log(state, "openai-files", {"id": m.group(1)})
        if m.group(2):
            return 200, "application/octet-stream", f["data"]
        return _json(200, {k: v for k, v in f.items() if k != "data"})
    if path == "/v1/batches" and method == "POST":
        return _openai_create(state, json.loads(raw or b"{}"))
    m = _OPENAI_BATCH.match(path)
    if m and method == "GET":
        return _retrieve(state, m.group(1), headers, anthropic=False)
    if path == "/v1/messages/batches" and method == "POST":
        return _anthropic_create(state, json.loads(raw or b"{}"))
    m = _ANTHROPIC_BATCH.match(path)
    if m and method == "GET":
        if m.group(2):
            job = state.batches.get(m.group(1))
            if job is None or job["public"]["processing_status"] != "ended":
                return _error(404, "no results: the batch has not ended", anthropic=True)
            _log(state, "anthropic-batches", {"results": m.group(1)})
            return 200, "application/binary", b"".join(json.dumps(r).encode() + b"\n" for r in job["results"])
        return _retrieve(state, m.group(1), headers, anthropic=True)
    return None


def _openai_create(state: Any, body: dict) -> tuple[int, str, bytes]:
    f = state.files.get(body.get("input_file_id"))
    if f is None:
        return _error(400, f"unknown input_file_id {body.get('input_file_id')!r}")
    if body.get("completion_window") != "24h" or body.get("endpoint") != "/v1/chat/completions":
        return _error(400, "completion_window must be '24h' and endpoint '/v1/chat/completions'")
    lines = []
    for n, line in enumerate(f["data"].splitlines(), 1):
        if not line.strip():
            continue
        req = json.loads(line)
        if not (req.get("custom_id") and req.get("method") == "POST" and req.get("url") == body["endpoint"]
                and isinstance(req.get("body"), dict)):
            return _error(400, f"input line {n}: needs custom_id, method POST, url {body['endpoint']}, body")
        lines.append((req["custom_id"], req["body"]))
    if len({c for c, _ in lines}) != len(lines):
        return _error(400, "custom_id values must be unique within a batch")
    _log(state, "openai-batches", body)
    now = int(time.time())
    with state.lock:
        bid = f"batch_{next(state.ids)}"
        public = {"id": bid, "object": "batch", "endpoint": body["endpoint"], "errors": None,
                  "input_file_id": f["id"], "completion_window": "24h", "status": "in_progress",
                  "output_file_id": None, "error_file_id": None, "created_at": now, "in_progress_at": now,
                  "expires_at": now + 86400, "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                  "metadata": body.get("metadata")}
        state.batches[bid] = {"kind": "openai", "public": public, "lines": lines}
    return _json(200, public)


def _anthropic_create(state: Any, body: dict) -> tuple[int, str, bytes]:
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        return _error(400, "requests: expected a non-empty list", anthropic=True)
    lines = []
    for i, req in enumerate(requests):
        cid = req.get("custom_id", "")
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", cid) or not isinstance(req.get("params"), dict):
            return _error(400, f"requests.{i}: custom_id must match ^[a-zA-Z0-9_-]{{1,64}}$ and params be an "
                               "object", anthropic=True)
        lines.append((cid, req["params"]))
    if len({c for c, _ in lines}) != len(lines):
        return _error(400, "custom_id values must be unique within a batch", anthropic=True)
    _log(state, "anthropic-batches", body)
    now = time.time()
    with state.lock:
        bid = f"msgbatch_{next(state.ids)}"
        public = {"id": bid, "type": "message_batch", "processing_status": "in_progress",
                  "request_counts": {"processing": len(lines), "succeeded": 0, "errored": 0, "canceled": 0,
                                     "expired": 0},
                  "created_at": _iso(now), "expires_at": _iso(now + 86400), "ended_at": None,
                  "archived_at": None, "cancel_initiated_at": None, "results_url": None}
        state.batches[bid] = {"kind": "anthropic", "public": public, "lines": lines}
    return _json(200, public)


def _retrieve(state: Any, bid: str, headers: dict[str, str], anthropic: bool) -> tuple[int, str, bytes]:
    job = state.batches.get(bid)
    if job is None or (job["kind"] == "anthropic") != anthropic:
        return _error(404, f"no such batch {bid}", anthropic)
    _log(state, "anthropic-batches" if anthropic else "openai-batches", {"retrieve": bid})
    if state.batch_auto_end:
        end_batches(state)
    public = dict(job["public"])
    if anthropic and public["processing_status"] == "ended":
        public["results_url"] = f"http://{headers.get('host', '127.0.0.1')}/v1/messages/batches/{bid}/results"
    return _json(200, public)


def end_batches(state: Any) -> int:
    """Process every in-progress job: each request line takes the next scripted outcome."""
    from factory.testing.wire import anthropic_answer, openai_answer

    ended = 0
    with state.lock:
        jobs = [j for j in state.batches.values() if j.get("results") is None]
    for job in jobs:
        results, errors = [], []
        counts = {"success": 0, "error": 0, "expired": 0, "refused": 0}
        for cid, body in job["lines"]:
            with state.lock:
                outcome = state.batch_outcomes.popleft() if state.batch_outcomes else "success"
                n = next(state.ids)
                state.batch_lines.append((job["kind"], body))
            fault = outcome if isinstance(outcome, dict) else {}
            kind = "success" if fault else outcome
            counts[kind] += 1
            if job["kind"] == "openai":
                if kind == "success":
                    payload = fault["payload"] if "payload" in fault else state.responder("openai", body)
                    answer = openai_answer(n, body, payload, fault)
                    results.append({"id": f"batch_req_{n}", "custom_id": cid, "error": None,
                                    "response": {"status_code": 200, "request_id": f"req_{n}", "body": answer}})
                elif kind in ("error", "refused"):
                    status, etype = (500, "server_error") if kind == "error" else (400, "invalid_request_error")
                    errors.append({"id": f"batch_req_{n}", "custom_id": cid, "error": None, "response": {
                        "status_code": status, "request_id": f"req_{n}",
                        "body": {"error": {"message": f"loopback batch {kind}", "type": etype}}}})
                else:
                    errors.append({"id": f"batch_req_{n}", "custom_id": cid, "response": None, "error": {
                        "code": "batch_expired",
                        "message": "This request could not be executed before the completion window expired."}})
            else:
                if kind == "success":
                    payload = fault["payload"] if "payload" in fault else state.responder("anthropic", body)
                    result = {"type": "succeeded", "message": anthropic_answer(n, body, payload, fault)}
                elif kind in ("error", "refused"):
                    etype = "api_error" if kind == "error" else "invalid_request_error"
                    result = {"type": "errored", "error": {"type": "error", "error": {
                        "type": etype, "message": f"loopback batch {kind}"}}}
                else:
                    result = {"type": "expired"}
                results.append({"custom_id": cid, "result": result})
        now = time.time()
        with state.lock:
            public = job["public"]
            if job["kind"] == "openai":
                for name, rows in (("output_file_id", results), ("error_file_id", errors)):
                    if rows:
                        fid = f"file-{next(state.ids)}"
                        data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
                        state.files[fid] = {"id": fid, "object": "file", "bytes": len(data), "created_at": int(now),
                                            "filename": f"{public['id']}_{name}.jsonl", "purpose": "batch_output",
                                            "status": "processed", "data": data}
                        public[name] = fid
                public["status"] = "expired" if counts["expired"] else "completed"
                public["completed_at" if not counts["expired"] else "expired_at"] = int(now)
                public["request_counts"] = {"total": len(job["lines"]), "completed": counts["success"],
                                            "failed": counts["error"] + counts["expired"] + counts["refused"]}
            else:
                public["processing_status"] = "ended"
                public["ended_at"] = _iso(now)
                public["request_counts"] = {"processing": 0, "succeeded": counts["success"],
                                            "errored": counts["error"] + counts["refused"], "canceled": 0,
                                            "expired": counts["expired"]}
            job["results"] = results
            ended += 1
    return ended
