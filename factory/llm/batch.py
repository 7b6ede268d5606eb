"""Provider Batch APIs (``--batch``): the OpenAI Batch API and Anthropic Message Batches, at half price.

A request is rendered exactly as the online path sends it -- instructor's own request preparation in
TOOLS mode -- and keeps the online cache key, so a response collected from a batch answers the online
path too, and the other way round.

The life of a batched request, all of it in the ledger (``batches`` and ``batch_items``):

1. :class:`BatchRunner` (a session's ``run`` under ``--batch``) answers cached requests at once and
   submits the others as one job (JSONL upload + ``/v1/batches``, or ``/v1/messages/batches``, the
   cache key as ``custom_id``), then stops with :class:`BatchPending` -- or, with ``--wait``, polls.
2. :func:`collect` (``factory batches --collect``) downloads a finished job's answers into
   ``batch_items``. Failed and expired requests are resubmitted alone in a new job (at most
   ``MAX_SUBMISSIONS`` times); a request the provider refused (4xx) is rejected with its reason.
3. The command's rerun (``--collect`` starts it) validates each answer with the request's own pydantic
   response model and semantic checks -- there is no re-ask inside a batch, so an invalid answer goes
   to the rejects with its raw output and reason -- stores it in the request cache, and records its
   usage at the batch price. Every later rerun sends 0 requests.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from factory.errors import FactoryError
from factory.llm.engine import BudgetExhausted, Result, RunStats, cached_result
from factory.llm.ledger import Ledger
from factory.llm.prices import PriceTable
from factory.llm.provider import Completion, LLMRequest, RejectedRequest, api_key_for

ENDPOINT = "/v1/chat/completions"
# A request failing (error or expiry) in this many jobs is rejected instead of sent again.
MAX_SUBMISSIONS = 3
# Per job: OpenAI takes 50,000 requests / 200 MB, Anthropic 100,000 / 256 MB.
MAX_JOB_REQUESTS = 50_000
MAX_JOB_BYTES = 150_000_000
RETRYABLE = ("errored", "expired", "canceled")
FINAL_STATUSES = {"completed", "failed", "expired", "cancelled", "ended"}


class BatchPending(FactoryError):
    """Requests are out in provider batch jobs: the command stops here and finishes on collection."""

    def __init__(self, message: str, batch_ids: list[str], pending: int) -> None:
        super().__init__(message)
        self.batch_ids, self.pending = batch_ids, pending


# -- rendering and parsing, as instructor does online ------------------------------------------------
def _instructor_provider(provider: str) -> Any:
    from instructor.utils.providers import Provider

    return Provider.ANTHROPIC if provider == "anthropic" else Provider.OPENAI


def render(provider: str, model: str, req: LLMRequest) -> dict[str, Any]:
    """The request body the online path would send (see the providers' ``complete``)."""
    from instructor import Mode
    from instructor.v2.core.response import handle_response_model
    from instructor.v2.core.templating import handle_templating

    from factory.llm.sdk import verbatim

    if provider == "anthropic":
        system = "\n\n".join(m["content"] for m in req.messages if m["role"] == "system")
        kwargs: dict[str, Any] = {"model": model,
                                  "messages": verbatim([m for m in req.messages if m["role"] != "system"], req.context),
                                  **({"system": system} if system else {}), "max_tokens": req.max_tokens}
    else:
        kwargs = {"model": model, "messages": verbatim(req.messages, req.context), "max_tokens": req.max_tokens,
                  "temperature": req.temperature}
    iprovider = _instructor_provider(provider)
    _, body = handle_response_model(req.response_model, mode=Mode.TOOLS, provider=iprovider, **kwargs)
    # instructor renders message contents as Jinja templates with the validation context (verbatim()
    # makes that a no-op), online as here
    return handle_templating(body, mode=Mode.TOOLS, provider=iprovider, context=req.context)


def parse(provider: str, req: LLMRequest, body: dict[str, Any]) -> Completion:
    """Validate one batch answer with the request's response model and semantic checks (its context).
    Raises RejectedRequest with the raw output and the reason; nothing is re-asked inside a batch."""
    from instructor import Mode
    from instructor.core.exceptions import IncompleteOutputException
    from instructor.v2.core.response import handle_response_model, process_response

    from factory.llm.sdk import _short

    if provider == "anthropic":
        from anthropic.types import Message

        from factory.llm.anthropic_provider import _raw, _usage

        response: Any = Message.model_validate(body)
    else:
        from openai.types.chat import ChatCompletion

        from factory.llm.openai_provider import _raw, _usage

        response = ChatCompletion.model_validate(body)
    raw, (tin, tout) = _raw(response), _usage(response)
    iprovider = _instructor_provider(provider)
    model, _ = handle_response_model(req.response_model, mode=Mode.TOOLS, provider=iprovider)
    try:
        output = process_response(response, response_model=model, stream=False, validation_context=req.context,
                                  mode=Mode.TOOLS, provider=iprovider)
    except IncompleteOutputException:
        raise RejectedRequest("output cut at max_tokens (finish_reason length)", raw, tin, tout) from None
    except Exception as exc:  # noqa: BLE001 - pydantic, JSON, instructor: all mean "invalid answer"
        raise RejectedRequest(f"response failed validation (batch: no re-ask inside a batch): {_short(exc)}",
                              raw, tin, tout) from None
    return Completion(output, tin, tout, 1, raw)


# -- the provider's batch endpoints ----------------------------------------------------------------
def _api_error(provider: str, what: str, exc: Exception) -> FactoryError:
    from factory.llm.sdk import _error_message

    status = getattr(exc, "status_code", None)
    hint = "; check the key's env var" if status in (401, 403) else ""
    return FactoryError(f"{provider} batch API: {what} failed" + (f" (HTTP {status})" if status else "")
                        + f": {_error_message(exc)}{hint}")


class BatchClient:
    """The synchronous SDK client for one provider's batch endpoints."""

    def __init__(self, provider: str, model: str, base_url: str | None, timeout: float = 120.0) -> None:
        self.provider, self.model = provider, model
        key = api_key_for(provider)
        if provider == "anthropic":
            from anthropic import Anthropic

            self.sdk: Any = Anthropic(api_key=key, base_url=base_url, timeout=timeout, max_retries=3)
        else:
            from openai import OpenAI

            self.sdk = OpenAI(api_key=key or "none", base_url=base_url, timeout=timeout, max_retries=3)

    def submit(self, items: list[tuple[str, dict[str, Any]]], job: str) -> tuple[str, str, dict[str, Any]]:
        """(job id, status, detail) of a new job holding ``items`` (cache key, request body)."""
        try:
            if self.provider == "anthropic":
                batch = self.sdk.messages.batches.create(
                    requests=[{"custom_id": key, "params": body} for key, body in items])
                return batch.id, batch.processing_status, {}
            data = b"".join(orjson.dumps({"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body}) + b"\n"
                            for key, body in items)
            upload = self.sdk.files.create(file=("factory-batch.jsonl", data), purpose="batch")
            batch = self.sdk.batches.create(input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h",
                                            metadata={"job": job[:500]})
            return batch.id, batch.status, {"input_file_id": upload.id}
        except FactoryError:
            raise
        except Exception as exc:
            raise _api_error(self.provider, "submitting a job", exc) from exc

    def refresh(self, batch_id: str) -> tuple[str, dict[str, int], dict[str, Any]]:
        """(status, request counts, detail) as the provider reports them now."""
        try:
            if self.provider == "anthropic":
                b = self.sdk.messages.batches.retrieve(batch_id)
                return b.processing_status, b.request_counts.model_dump(), {}
            b = self.sdk.batches.retrieve(batch_id)
        except Exception as exc:
            raise _api_error(self.provider, f"retrieving {batch_id}", exc) from exc
        counts = b.request_counts.model_dump() if b.request_counts else {}
        errors = "; ".join(e.message or "" for e in (b.errors.data or [])) if b.errors else ""
        return b.status, counts, {"output_file_id": b.output_file_id, "error_file_id": b.error_file_id,
                                  **({"errors": errors} if errors else {})}

    def results(self, batch_id: str, detail: dict[str, Any]) -> Iterator[tuple[str, str, Any, str]]:
        """(key, state, answer body, error) per answered request: state succeeded | errored | refused |
        expired | canceled."""
        try:
            if self.provider == "anthropic":
                for r in self.sdk.messages.batches.results(batch_id):
                    res = r.result
                    if res.type == "succeeded":
                        yield r.custom_id, "succeeded", res.message.model_dump(mode="json"), ""
                    elif res.type == "errored":
                        err = res.error.error
                        state = "refused" if err.type in ("invalid_request_error", "not_found_error") else "errored"
                        yield r.custom_id, state, None, f"{err.type}: {err.message}"
                    else:
                        yield r.custom_id, res.type, None, res.type
                return
            for name in ("output_file_id", "error_file_id"):
                if not detail.get(name):
                    continue
                for line in self.sdk.files.content(detail[name]).content.splitlines():
                    if line.strip():
                        yield _openai_line(orjson.loads(line))
        except FactoryError:
            raise
        except Exception as exc:
            raise _api_error(self.provider, f"downloading the results of {batch_id}", exc) from exc


def _openai_line(row: dict[str, Any]) -> tuple[str, str, Any, str]:
    key, response, error = row.get("custom_id", ""), row.get("response"), row.get("error")
    if response and response.get("status_code") == 200:
        return key, "succeeded", response.get("body"), ""
    if response:
        status = int(response.get("status_code") or 0)
        message = ((response.get("body") or {}).get("error") or {}).get("message", "")
        retry = status >= 500 or status in (408, 409, 429)
        return key, "errored" if retry else "refused", None, f"HTTP {status}: {message}"
    code = (error or {}).get("code") or "error"
    state = "expired" if code == "batch_expired" else "errored"
    return key, state, None, f"{code}: {(error or {}).get('message', '')}"


# -- submission and collection ------------------------------------------------------------------------
def submit(ledger: Ledger, client: BatchClient, items: list[tuple[str, dict[str, Any]]], run_id: int, job: str,
           detail: dict[str, Any]) -> list[str]:
    """Submit ``items`` in as few jobs as the provider's limits allow; returns the job ids."""
    ids, chunk, size = [], [], 0
    for key, body in [*items, (None, None)]:
        n = len(orjson.dumps(body)) if body is not None else 0
        if chunk and (key is None or len(chunk) >= MAX_JOB_REQUESTS or size + n > MAX_JOB_BYTES):
            bid, status, extra = client.submit(chunk, job)
            ledger.add_batch(bid, client.provider, client.model, run_id, job, status, chunk, {**detail, **extra})
            ids.append(bid)
            chunk, size = [], 0
        if key is not None:
            chunk.append((key, body))
            size += n
    return ids


def _reject(ledger: Ledger, row: dict[str, Any], key: str, reason: str) -> None:
    ledger.put(key, row["provider"], row["model"], "rejected", None, "", reason, 0, 0, 0, 0.0, row["run_id"] or 0,
               kind="batch: rejected")


@dataclass
class Collected:
    batch_id: str
    status: str
    counts: Counter
    resubmitted: list[str]

    @property
    def ended(self) -> bool:
        return self.status == "collected"


def collect(ledger: Ledger, row: dict[str, Any], client: BatchClient, resubmit: bool = True) -> Collected:
    """Download a finished job's answers into the ledger; resubmit its failed and expired requests
    alone (``resubmit``); reject what the provider refused or what failed ``MAX_SUBMISSIONS`` times."""
    bid = row["id"]
    status, counts, detail = client.refresh(bid)
    detail = {**row["detail"], **detail, "counts": counts}
    if status not in FINAL_STATUSES:
        ledger.update_batch(bid, status, detail)
        return Collected(bid, status, Counter(), [])
    got: Counter = Counter()
    for key, state, result, error in client.results(bid, detail):
        ledger.set_batch_item(bid, key, state, result, error)
    retry: list[tuple[str, dict[str, Any]]] = []
    for item in ledger.items_of(bid):
        state, error = item["state"], item["error"]
        if state == "submitted":  # in no result file: the job itself failed or expired
            state = "expired" if status == "expired" else "errored"
            error = detail.get("errors") or f"no answer (job {status})"
            ledger.set_batch_item(bid, item["key"], state, None, error)
        got[state] += 1
        if state == "refused":
            _reject(ledger, row, item["key"], f"batch: the provider refused the request: {error}")
        elif state in RETRYABLE:
            if len(ledger.batch_items(item["key"])) >= MAX_SUBMISSIONS:
                _reject(ledger, row, item["key"], f"batch: failed in {MAX_SUBMISSIONS} jobs, last: {error}")
            elif resubmit:
                retry.append((item["key"], item["body"]))
    ledger.update_batch(bid, "collected", {**detail, "final_status": status, "collected": dict(got)})
    new: list[str] = []
    if retry:
        origin = {k: row["detail"].get(k) for k in ("base_url", "command")}
        new = submit(ledger, client, retry, row["run_id"] or 0, row["job"], {**origin, "resubmit_of": bid})
    return Collected(bid, "collected", got, new)


def command_of(info_name: str) -> dict[str, Any] | None:
    """How to rerun the running command after collection: its argv (without ``--wait``) and cwd, when
    this process is the factory CLI. Keys are never on the command line, so none is stored."""
    argv = sys.argv[1:]
    if info_name not in argv:
        return None
    return {"argv": [a for a in argv if a != "--wait"], "cwd": os.getcwd()}


# -- the runner -------------------------------------------------------------------------------------------
class BatchRunner:
    """A session's ``run`` under ``--batch``: same requests, same ``on_result`` contract as the Engine."""

    def __init__(self, provider: str, model: str, base_url: str | None, ledger: Ledger, prices: PriceTable,
                 job: str, max_cost: float | None = None, wait: bool = False, command: dict[str, Any] | None = None,
                 timeout: float = 120.0, on_progress: Callable[[RunStats], None] | None = None,
                 poll_max: float = 60.0) -> None:
        self.provider, self.model, self.base_url = provider, model, base_url
        self.ledger, self.prices, self.job, self.max_cost = ledger, prices, job, max_cost
        self.wait, self.command, self.timeout, self.on_progress = wait, command, timeout, on_progress
        self.poll_max = poll_max
        self.stats = RunStats()
        self._client: BatchClient | None = None
        if max_cost is not None:
            prices.require(model)

    @property
    def client(self) -> BatchClient:
        if self._client is None:
            self._client = BatchClient(self.provider, self.model, self.base_url, self.timeout)
        return self._client

    def _emit(self, result: Result, on_result: Callable[[Result], None]) -> None:
        st = self.stats
        st.done += 1
        st.ok += result.status == "ok"
        st.rejected += result.status == "rejected"
        on_result(result)
        if self.on_progress is not None:
            self.on_progress(st)

    def _store(self, req: LLMRequest, key: str, answer: Any, run_id: int) -> Result:
        try:
            c = parse(self.provider, req, answer)
            status, output, raw, reason, tin, tout = "ok", c.output, c.raw, "", c.input_tokens, c.output_tokens
        except RejectedRequest as exc:
            status, output, raw, reason, tin, tout = ("rejected", None, exc.raw, exc.reason, exc.input_tokens,
                                                      exc.output_tokens)
        cost = self.prices.cost(self.model, tin, tout, batch=True)
        self.ledger.put(key, self.provider, self.model, status, output.model_dump(mode="json") if output else None,
                        raw, reason, tin, tout, 1, cost, run_id, kind=f"batch: {status}")
        st = self.stats
        st.input_tokens, st.output_tokens, st.cost = st.input_tokens + tin, st.output_tokens + tout, st.cost + cost
        if status == "rejected":
            st.errors["rejected"] += 1
        return Result(req, key, status, output, reason, raw, False, tin, tout, cost)

    def _affordable(self, submit: list[tuple[str, LLMRequest]]) -> list[tuple[str, LLMRequest]]:
        if self.max_cost is None:
            return submit
        spent, out = self.stats.cost, []
        for key, req in submit:
            estimate = self.prices.cost(self.model, req.estimated_input_tokens(), min(req.max_tokens, 1024), batch=True)
            if spent + estimate > self.max_cost:
                break
            spent += estimate
            out.append((key, req))
        return out

    def run(self, requests: Iterable[LLMRequest], on_result: Callable[[Result], None],
            total: int | None = None) -> RunStats:
        self.stats = st = RunStats(total=total)
        run_id = self.ledger.start_run(self.job, self.provider, self.model)
        status, message = "interrupted", ""
        try:
            todo: dict[str, LLMRequest] = {}
            for req in requests:
                key = req.cache_key(self.provider, self.model)
                hit = cached_result(self.ledger, req, key)
                if hit is not None:
                    st.cached += 1
                    self._emit(hit, on_result)
                else:
                    todo.setdefault(key, req)
            poll, budget_cut = min(1.0, self.poll_max), 0
            while True:
                fresh: list[tuple[str, LLMRequest]] = []
                waiting: set[str] = set()
                for key, req in list(todo.items()):
                    hit = cached_result(self.ledger, req, key)
                    items = self.ledger.batch_items(key)
                    last = items[-1] if items else None
                    if hit is not None:
                        self._emit(hit, on_result)
                    elif last is not None and last["state"] == "succeeded":
                        self._emit(self._store(req, key, last["result"], run_id), on_result)
                    elif last is not None and last["state"] == "submitted":
                        waiting.add(last["batch_id"])
                        continue
                    elif last is None or (last["state"] in RETRYABLE and len(items) < MAX_SUBMISSIONS):
                        fresh.append((key, req))
                        continue
                    else:
                        reason = f"batch: {last['state']} after {len(items)} job(s): {last['error']}"
                        self.ledger.put(key, self.provider, self.model, "rejected", None, "", reason, 0, 0, 0, 0.0,
                                        run_id, kind="batch: rejected")
                        self._emit(Result(req, key, "rejected", reason=reason), on_result)
                    del todo[key]
                affordable = self._affordable(fresh)
                budget_cut = len(fresh) - len(affordable)
                if affordable:
                    items = [(key, render(self.provider, self.model, req)) for key, req in affordable]
                    detail = {"base_url": self.base_url, "command": self.command}
                    waiting.update(submit(self.ledger, self.client, items, run_id, self.job, detail))
                    st.sent += len(items)
                if not waiting:
                    break
                pending = len(todo) - budget_cut
                if not self.wait:
                    message = (f"{pending} request(s) in batch job(s) {', '.join(sorted(waiting))}; "
                               "`factory batches` shows their status, `factory batches --collect` finishes")
                    status = "batch-submitted"
                    raise BatchPending(message, sorted(waiting), pending)
                time.sleep(poll)
                poll = min(poll * 2, self.poll_max)
                rows = {r["id"]: r for r in self.ledger.batches() if r["id"] in waiting}
                for row in rows.values():
                    collect(self.ledger, row, self.client, resubmit=False)
            if budget_cut:
                status = "stopped"
                message = (f"stopped before exceeding --max-cost ${self.max_cost:.2f}: {budget_cut} request(s) not "
                           "submitted; rerun with a higher --max-cost to finish")
                raise BudgetExhausted(message)
            status = "finished"
            return st
        finally:
            self.ledger.finish_run(run_id, status, st.as_dict(), message)
