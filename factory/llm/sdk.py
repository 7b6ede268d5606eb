"""What the openai and anthropic SDKs (through instructor) have in common: turning their exceptions
into retry / reject / stop, counting HTTP calls per logical call, and the HTTP client we hand them.
"""

from __future__ import annotations

import contextvars
import email.utils
import functools
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from factory.llm.provider import FatalProviderError, RejectedRequest, RetryableError

# instructor logs every failed attempt at ERROR; the engine reports failures itself, once.
logging.getLogger("instructor").setLevel(logging.CRITICAL)

RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504, 529}
# HTTP calls made by the current logical call (a list so the httpx hook can append from inside it).
CALLS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("factory_calls", default=None)


@functools.lru_cache(maxsize=512)
def prepared_model(response_model: type) -> type:
    """The response model as instructor wraps it (a ``ResponseSchema`` subclass), built once per model.

    instructor wraps a plain model in a new pydantic class on every call, about 1.4 ms of CPU each,
    and skips the wrap for a model that already is a ``ResponseSchema``: so we wrap once and reuse it.
    The wrapped class renders the same request and validates the same way."""
    from instructor.v2.core.function_calls import ResponseSchema, response_schema

    if isinstance(response_model, type) and issubclass(response_model, ResponseSchema):
        return response_model
    return response_schema(response_model)


def structured_client(sdk: Any) -> Any:
    """instructor in TOOLS mode over the ``openai`` SDK, posting each request body as it is.

    instructor builds the request (the response model as a tool, ``tool_choice``, re-asks) and
    validates the answer with pydantic; the openai SDK's ``create`` would then walk the whole body
    again through its TypedDict transform (recursive, about 0.4 ms of CPU for a one-message call and
    more for long conversations) although every value in it is plain JSON already. Given the SDK's
    ``post`` instead -- the same HTTP client, headers, error types and response parsing -- the call
    costs about a fifth less CPU (``bench/bench_engine.py``)."""
    import instructor
    import openai
    from openai.types.chat import ChatCompletion

    skip = (openai.NotGiven, openai.Omit)  # the SDK's "leave this field out": never in a body

    async def create(**body: Any) -> Any:
        return await sdk.post("/chat/completions", body={k: v for k, v in body.items() if not isinstance(v, skip)},
                              cast_to=ChatCompletion)

    remember_async_validator_check()
    patched = instructor.patch(create=create, mode=instructor.Mode.TOOLS, provider=instructor.Provider.OPENAI)
    return instructor.AsyncInstructor(client=sdk, create=patched, provider=instructor.Provider.OPENAI,
                                      mode=instructor.Mode.TOOLS)


def remember_async_validator_check() -> None:
    """Check each response model for instructor's async validators once, not on every call.

    instructor refuses a response model that carries its async validators, which its runtime does
    not run; it checks by walking the model's classes and fields, seven times per call (the patched
    ``create``, ``create_with_completion`` and the response-model preparation each ask): about 15%
    of a structured call's client CPU here. A class's validators are fixed once it is defined, so a
    model that passed is remembered; one that fails is checked, and refused, every time. Where
    instructor lays its modules out otherwise, nothing is changed."""
    try:
        from instructor.v2.core import patch as patch_module
        from instructor.v2.validation import async_validators
    except ImportError:
        return
    check = async_validators.reject_async_validators
    if getattr(check, "remembers", False):
        return
    passed: set[Any] = set()

    def reject_async_validators(response_model: Any) -> None:
        try:
            if response_model in passed:
                return
        except TypeError:  # an unhashable annotation: checked every time
            check(response_model)
            return
        check(response_model)
        if len(passed) < 4096:
            passed.add(response_model)

    reject_async_validators.remembers = True  # type: ignore[attr-defined]
    async_validators.reject_async_validators = reject_async_validators
    if getattr(patch_module, "reject_async_validators", None) is check:
        patch_module.reject_async_validators = reject_async_validators


_WARM = False


def warm_up() -> None:
    """Pay instructor's one-time costs now: its first schema build compiles docstring_parser's
    numpydoc regexes (~150 ms) and imports modules lazily. Done once in the parent before worker
    processes fork, every worker starts warm instead of stalling its first wave of calls."""
    global _WARM
    if _WARM:
        return
    _WARM = True
    try:
        from instructor.v2.providers.openai.schema import generate_openai_schema
        from pydantic import BaseModel

        class WarmUp(BaseModel):
            """Warm-up.

            Parameters
            ----------
            x : int
                a number
            """

            x: int = 0

        generate_openai_schema(prepared_model(WarmUp))
    except Exception:  # noqa: BLE001 - an optimisation only; an instructor change must not break calls
        pass


CONNECT_TIMEOUT = 8.0  # seconds to open a connection, TLS included


def request_timeout(seconds: float) -> Any:
    """One request's limits: ``seconds`` in all, opening the connection at most CONNECT_TIMEOUT. The
    SDKs set their own timeout on every request, so they are given this one too."""
    import httpx2 as httpx

    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT, seconds))


def http_client(on_headers: Callable[[], Callable[[Any], None] | None], timeout: float, max_connections: int) -> Any:
    """An httpx client whose response hook counts calls and passes headers on (rate limits), and
    whose new connections open through a :class:`~factory.llm.connections.ConnectionRamp`."""
    import httpx2 as httpx

    from factory.llm.connections import ramped_transport

    async def hook(response: Any) -> None:
        counter = CALLS.get()
        if counter is not None:
            counter.append(response.status_code)
        cb = on_headers()
        if cb is not None:
            cb(response.headers)

    return httpx.AsyncClient(
        # Opening a connection (TCP and the TLS handshake) takes well under a second on any working
        # endpoint; one that stalls there is unreachable, whatever the request's own timeout.
        timeout=request_timeout(timeout),
        transport=ramped_transport(max_connections),
        event_hooks={"response": [hook]},
    )


_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def verbatim(messages: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages whose contents survive instructor's templating unchanged. Given a validation context,
    instructor renders every message content as a Jinja template with it: a record holding ``{{ x }}``
    or ``{% if %}`` (Jinja, Django, Vue, GitHub Actions code) would lose it or fail to render.
    Wrapped in ``{% raw %}`` the content comes out as it went in."""
    if not context:
        return messages  # no context, no templating
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            escaped = _ENDRAW.sub(lambda x: "{% endraw %}{{ " + repr(x.group(0)) + " }}{% raw %}", content)
            m = {**m, "content": "{% raw %}" + escaped + "{% endraw %}"}
        out.append(m)
    return out


def parse_retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else None


def _error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(getattr(exc, "message", None) or exc)


def translate(exc: BaseException, provider: str, raw_of: Callable[[Any], str], usage_of: Callable[[Any], tuple[int, int]]) -> Exception:
    """Map an SDK / instructor exception to RetryableError, RejectedRequest or FatalProviderError."""
    from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException

    calls = len(CALLS.get() or []) or 1
    if isinstance(exc, IncompleteOutputException):
        raw = raw_of(exc.last_completion) if exc.last_completion is not None else ""
        tin, tout = usage_of(exc.last_completion) if exc.last_completion is not None else (0, 0)
        return RejectedRequest("output cut at max_tokens (finish_reason length)", raw, tin, tout, calls)
    if isinstance(exc, InstructorRetryException):
        cause = exc.__cause__
        if cause is not None and not _is_parse_error(cause):
            return translate(cause, provider, raw_of, usage_of)
        raw = raw_of(exc.last_completion) if exc.last_completion is not None else ""
        tin, tout = _total_usage(exc.total_usage)
        reason = f"response failed validation after {exc.n_attempts} attempt(s): {_short(cause or exc)}"
        return RejectedRequest(reason, raw, tin, tout, calls)
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if status is None:
        if "Timeout" in name and _caused_by(exc, "ConnectTimeout"):
            url = getattr(getattr(exc, "request", None), "url", None)
            return RetryableError("connection", f"{provider}: cannot connect{f' to {url}' if url else ''}: no "
                                  f"connection (TCP or TLS handshake) within {CONNECT_TIMEOUT:.0f} s", stalled=True)
        if "Timeout" in name:
            return RetryableError("timeout", f"{provider}: request timed out")
        if "Connection" in name:
            url = getattr(getattr(exc, "request", None), "url", None)
            cause = exc.__cause__ or exc.__context__
            detail = _short(cause) if cause is not None and str(cause) else _short(exc)
            where = f" to {url}" if url else ""
            return RetryableError("connection", f"{provider}: cannot connect{where}: {detail}")
        if _is_parse_error(exc):
            return RejectedRequest(f"response failed validation: {_short(exc)}", calls=calls)
        return exc if isinstance(exc, Exception) else RuntimeError(str(exc))
    headers = getattr(getattr(exc, "response", None), "headers", None)
    message = _error_message(exc)
    if status in RETRY_STATUSES:
        kind = {429: "rate_limited", 529: "overloaded"}.get(status, f"http_{status}")
        return RetryableError(kind, f"{provider}: HTTP {status}: {message}", status, parse_retry_after(headers))
    if status in (401, 403):
        what = "the API key was refused" if status == 401 else "the API key may not use this model/endpoint"
        return FatalProviderError(f"{provider}: HTTP {status}: {what} ({message}); check the key's env var "
                                  "and the model name -- not retried")
    if status == 404:
        url = getattr(getattr(exc, "request", None), "url", None)
        return FatalProviderError(f"{provider}: HTTP 404 from {url or 'the endpoint'}: {message}; the base URL "
                                  "or the model name is wrong (every request would fail the same way) -- not retried")
    return RejectedRequest(f"{provider}: HTTP {status}: {message} (not retried)", calls=calls)


def _caused_by(exc: BaseException, name: str) -> bool:
    """Whether an exception of class ``name`` is anywhere in ``exc``'s chain (the SDKs wrap httpx's)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if type(seen).__name__ == name:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_parse_error(exc: BaseException) -> bool:
    import json

    from pydantic import ValidationError

    return isinstance(exc, (ValidationError, json.JSONDecodeError)) or "Validation" in type(exc).__name__ \
        or "Parsing" in type(exc).__name__


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _total_usage(usage: Any) -> tuple[int, int]:
    if usage is None:
        return 0, 0
    tin = getattr(usage, "prompt_tokens", None) or getattr(usage, "input_tokens", 0) or 0
    tout = getattr(usage, "completion_tokens", None) or getattr(usage, "output_tokens", 0) or 0
    return int(tin), int(tout)
