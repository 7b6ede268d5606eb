"""Scoring records on a rubric: reading the factory's records and foreign datasets, the offline
heuristic scorer, the LLM judge, labels by threshold, and ``score_file`` that writes it all back.

Formats read (one JSON object per line, detected per record):
- factory records (``category`` + ``messages``, :class:`factory.schemas.Example`);
- OpenAI ``messages`` (optionally ``tools``; tool-call ``arguments`` as JSON strings);
- ShareGPT ``conversations`` of ``from``/``value`` (with ``label``), where a gpt turn may hold a call
  written as ``tool_call: NAME`` / ``arguments: {...}``;
- Alpaca ``task_type`` / ``instruction`` / ``input`` / ``output``.

Scored records keep their format: ``scores`` and ``label`` are set on the original object.
"""

from __future__ import annotations

import functools
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field, ValidationError, create_model

from factory.errors import FactoryError, InputError
from factory.export.llamafactory import OBSERVATION_JOIN, parse_function_call
from factory.schemas import Example
from factory.schemas.spec import DEFAULT_RUBRIC, Rubric, current_scores
from factory.store.jsonl import JsonlWriter, NothingWritten, read_jsonl, write_json

_TEXT_CALL = re.compile(r"tool_call:\s*([A-Za-z_][\w.\-]*)\s*\n\s*arguments:\s*(\{.*\})\s*$", re.DOTALL)
_SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant",
                   "assistant": "assistant", "function_call": "assistant", "observation": "tool", "tool": "tool"}


@dataclass
class RecordView:
    """A record of any supported format, seen as factory-style messages + offered tools."""

    fmt: str  # factory | openai | sharegpt | alpaca
    original: dict[str, Any]
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    category: str = "imported"
    subcategory: str = ""

    @property
    def declared_negative(self) -> bool:
        """A deliberate negative: label false with the defect it carries declared (``meta.defect``)."""
        meta = self.original.get("meta")
        return self.original.get("label") is False and isinstance(meta, dict) and bool(meta.get("defect"))

    def with_scores(self, scores: dict[str, float], label: bool) -> dict[str, Any]:
        """The record with its scores and label; a declared negative stays label false whatever it
        scores, so scoring a tool_neg file never turns a defect into a training positive."""
        return {**self.original, "scores": scores, "label": label and not self.declared_negative}

    def to_example(self) -> Example:
        if self.fmt == "factory":
            return Example.model_validate(self.original)
        return Example.model_validate({"category": self.category, "subcategory": self.subcategory,
                                       "messages": self.messages, "tools": self.tools,
                                       "label": self.original.get("label"),
                                       "meta": {"generator": f"import:{self.fmt}"}})

    @property
    def id(self) -> str:
        return self.original.get("id") or self.to_example().id


def _text_call(text: str, n: int) -> dict[str, Any] | None:
    m = _TEXT_CALL.search(text or "")
    if not m:
        return None
    try:
        args = orjson.loads(m.group(2))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(args, dict):
        return None
    return {"id": f"call_{n}", "type": "function", "function": {"name": m.group(1), "arguments": args}}


def _openai_messages(msgs: list[Any], where: tuple[str, int]) -> list[dict[str, Any]]:
    out = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or "role" not in m:
            raise InputError(*where, f"messages[{i}]: expected an object with 'role'", "OpenAI chat format")
        msg = {k: v for k, v in m.items() if k in ("role", "content", "tool_calls", "tool_call_id", "name")}
        if isinstance(msg.get("content"), list):  # content parts
            msg["content"] = "".join(p.get("text", "") for p in msg["content"] if isinstance(p, dict))
        calls = []
        raw_calls = msg.get("tool_calls") or []
        if not isinstance(raw_calls, list) or not all(
                isinstance(c, dict) and isinstance(c.get("function", {}), dict) for c in raw_calls):
            raise InputError(*where, f"messages[{i}]: tool_calls must be a list of {{id, type, function}} objects",
                             "OpenAI chat format")
        for call in raw_calls:
            fn = dict(call.get("function", {}))
            if isinstance(fn.get("arguments"), str):
                try:
                    fn["arguments"] = orjson.loads(fn["arguments"] or "{}")
                except orjson.JSONDecodeError:
                    raise InputError(*where, f"messages[{i}]: tool call arguments are not JSON",
                                     "arguments must be a JSON object (string or dict)") from None
            calls.append({"id": call.get("id") or f"call_{i}_{len(calls)}", "type": "function", "function": fn})
        if calls:
            msg["tool_calls"] = calls
        else:
            msg.pop("tool_calls", None)
        if msg.get("role") == "tool":
            msg["name"] = msg.get("name") or None
            if msg["name"] is None:
                msg.pop("name")
        out.append(msg)
    return out


def view_record(obj: Any, path: str = "<input>", lineno: int = 0) -> RecordView:
    """Detect the format of one record and view it as messages; InputError names file:line."""
    where = (path, lineno)
    if not isinstance(obj, dict):
        raise InputError(*where, f"expected a JSON object, got {type(obj).__name__}")
    if "category" in obj and "messages" in obj:
        try:
            ex = Example.model_validate(obj)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"]) or "record"
            raise InputError(*where, f"not a valid factory record: {loc}: {err['msg']}",
                             "run `factory validate` on the file for every problem") from None
        return RecordView("factory", obj, [m.model_dump(exclude_none=True) for m in ex.messages], ex.tools,
                          ex.category, ex.subcategory)
    if isinstance(obj.get("messages"), list):
        return RecordView("openai", obj, _openai_messages(obj["messages"], where), obj.get("tools") or [])
    if isinstance(obj.get("conversations"), list):
        msgs: list[dict[str, Any]] = []
        for i, turn in enumerate(obj["conversations"]):
            role = _SHAREGPT_ROLES.get(str(turn.get("from", "")).lower()) if isinstance(turn, dict) else None
            if role is None:
                raise InputError(*where, f"conversations[{i}]: unknown 'from' {turn!r:.60}",
                                 f"use one of {', '.join(_SHAREGPT_ROLES)}")
            value = turn.get("value") or ""
            if not isinstance(value, str):
                raise InputError(*where, f"conversations[{i}]: 'value' is {type(value).__name__}, not text",
                                 "ShareGPT turns are {from, value} with a string value")
            call = _text_call(value, i) if role == "assistant" else None
            parsed = parse_function_call(value) if turn.get("from") == "function_call" else None
            if isinstance(parsed, tuple):  # LLaMA-Factory's layout, as `factory export --format sharegpt` writes it
                text, calls = parsed
                msgs.append({"role": "assistant", "content": text or None, "tool_calls": [
                    {"id": f"call_{i}_{j}", "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                    for j, c in enumerate(calls)]})
            elif call:
                msgs.append({"role": "assistant", "content": value[: value.find("tool_call:")].strip() or None,
                             "tool_calls": [call]})
            elif role == "tool":
                prev = next((m for m in reversed(msgs) if m.get("tool_calls")), None)
                ids = [c["id"] for c in prev["tool_calls"]] if prev else [f"call_{i}"]
                results = value.split(OBSERVATION_JOIN["qwen2.5"]) if len(ids) > 1 else [value]
                if len(results) != len(ids):
                    results = [value]
                msgs.extend({"role": "tool", "content": r, "tool_call_id": cid} for r, cid in zip(results, ids))
            else:
                msgs.append({"role": role, "content": value})
        tools = obj.get("tools") or []
        if isinstance(tools, str):  # LLaMA-Factory keeps the tools as a JSON string
            try:
                tools = orjson.loads(tools)
            except orjson.JSONDecodeError:
                tools = None
        if not isinstance(tools, list):
            raise InputError(*where, f"'tools' is {type(obj.get('tools')).__name__} {str(obj.get('tools'))!r:.60}, "
                             "not a list of tools", "give 'tools' as a JSON list (or a string holding one)")
        return RecordView("sharegpt", obj, msgs, tools)
    if "instruction" in obj and "output" in obj:
        prompt = str(obj["instruction"]) + (f"\n\n{obj['input']}" if obj.get("input") else "")
        return RecordView("alpaca", obj, [{"role": "user", "content": prompt},
                                          {"role": "assistant", "content": str(obj["output"])}],
                          category=str(obj.get("task_type") or "alpaca"))
    raise InputError(*where, "unknown record format",
                     "expected factory records, OpenAI 'messages', ShareGPT 'conversations' or Alpaca "
                     "'instruction'/'output'")


def read_records(path: str | Path) -> Iterator[tuple[int, RecordView | InputError]]:
    """Each line as a view, or the InputError that says why it is not one (never raises on a record)."""
    for lineno, obj in read_jsonl(path, strict=False):
        if isinstance(obj, InputError):
            yield lineno, obj
            continue
        try:
            yield lineno, view_record(obj, str(path), lineno)
        except InputError as exc:
            yield lineno, exc
        except ValueError as exc:  # pydantic: a factory record that breaks the schema
            yield lineno, InputError(str(path), lineno, f"invalid record: {' '.join(str(exc).split())[:200]}")


# -- labels --------------------------------------------------------------------------------------
def label_for(scores: dict[str, float], rubric: Rubric) -> bool:
    scores = current_scores(scores)
    values = [scores[d] for d in rubric.dimensions if d in scores]
    if not values:
        return False
    return statistics.fmean(values) >= rubric.threshold and min(values) >= rubric.min_dimension


# -- the offline heuristic scorer ----------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\b(lorem|placeholder|todo|tbd|n/a|none|null|example)\b|\.\.\.", re.IGNORECASE)
_WORD = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{2,}")
_CALL_AS_TEXT = re.compile(r'^\s*(?:<tool_call>|\{\s*"(?:name|function)"\s*:)')
_DESCRIBED_ACTION = re.compile(r"\bI(?:'d| would)\s+(?:start by\s+)?(?:search|run|read|open|look|check|call|use|fetch|"
                               r"list|grep)", re.IGNORECASE)
# what a request names that a call serving it must carry: a relative file path (dir/name.ext) or a URL
_PATH = re.compile(r"https?://[^\s)>\]\"'`]+[^\s)>\]\"'`.,;:!?]|(?<![\w/.:-])(?:[\w.-]+/)+[\w.-]+\.[A-Za-z]{1,5}\b")
# a reply that hands the tool's work to the user: "Run `git log` and paste me the result", "Open X and ...",
# "You can search for it in your editor", "Take a look at X yourself"
_HANDED_OVER = re.compile(r"^(?:Run|Open|Search|Use|Scroll|Grep|Try|Look|Edit|Create|Take a look)\b|\bpaste (?:me|it)\b|"
                          r"\byour IDE\b|\bsearch panel\b|\bshould show you\b|\bhave a look\b|"
                          r"\byou (?:can|could|should) (?:open|run|search|check|look|grep|find|create|edit)\b|"
                          r"\bin your (?:editor|terminal|shell)\b|\byourself\b")
# ...unless it says why no offered tool can do it: handing the step to the user is right then
_NO_TOOL_FOR_IT = re.compile(r"\b(?:none of (?:my|the) tools|no tool|(?:don't|do not) have a tool|can(?:'|no)t run|"
                             r"only have|not among (?:my|the) tools|isn't one of (?:my|the) tools)\b", re.IGNORECASE)
_REFUSAL = re.compile(r"\b(?:I can(?:'|no)t|I won't|I will not|I'm not (?:able|going) to|I am not able to|"
                      r"not something I can|I (?:have to|must|'ll|will|need to) (?:decline|pass)|"
                      r"(?:going|have) to say no|I'd rather not)\b", re.IGNORECASE)
_LIST_OR_CODE = re.compile(r"^\s*(?:[-*]|\d+\.)\s|```", re.MULTILINE)


def _clamp(x: float, lo: int = 1, hi: int = 5) -> float:
    return float(max(lo, min(hi, round(x))))


def _find_key(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for v in obj:
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


def _length_score(text: str, steps: tuple[int, int, int, int]) -> float:
    n = len(text.strip())
    score = 1 + sum(n >= s for s in steps)
    if text and _PLACEHOLDER.search(text) and n < steps[2]:
        score -= 1
    if re.search(r"\d|/|\.\w{2,4}\b", text):  # concrete: numbers, paths, file names
        score += 0.5
    return _clamp(score)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _stem(word: str) -> str:
    """``changes`` / ``changed`` / ``changing`` -> ``chang``: enough for word overlap, no dictionary."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in _words(text)}


class HeuristicScorer:
    """Offline scores on the five default dimensions from what is visible in the record. A rubric's
    other dimensions (a category's own: ``honesty``, ``fix_correctness``, ...) get the mean of the
    default dimensions that apply to the record: session memory only where there is a session (more
    than one request, tool results, a ``sessionMemory`` argument), tool context only where tools are
    offered or called. A single-turn answer is not marked down for the tools it did not need."""

    name = "heuristic"

    def __init__(self) -> None:
        from factory.quality.validate import RecordValidator

        self._validator = RecordValidator()

    def score(self, view: RecordView, rubric: Rubric = DEFAULT_RUBRIC) -> dict[str, float]:
        msgs = view.messages
        users = [m.get("content") or "" for m in msgs if m["role"] == "user"]
        assistants = [m for m in msgs if m["role"] == "assistant"]
        calls = [c["function"] for m in assistants for c in m.get("tool_calls") or []]
        args = [c.get("arguments") for c in calls]
        described = {t["function"]["name"]: str(t["function"].get("description") or "") for t in view.tools
                     if isinstance(t, dict) and isinstance(t.get("function"), dict) and "name" in t["function"]}
        known = {
            "session_memory_quality": self._memory(msgs, args),
            "tool_context_quality": self._tool_context(view, users, assistants, calls, args),
            "goal_coherence": self._goals(users, assistants, calls, args, described),
            "prompt_naturalness": self._naturalness(users),
            "response_realism": self._realism(assistants, calls),
        }
        applicable = ["goal_coherence", "prompt_naturalness", "response_realism"]
        if view.tools or calls:
            applicable.append("tool_context_quality")
        if len(users) > 1 or any(m["role"] == "tool" for m in msgs) or _find_key(args, "sessionMemory") is not None:
            applicable.append("session_memory_quality")
        fallback = _clamp(statistics.fmean(known[d] for d in applicable))
        return {d: known.get(d, fallback) for d in rubric.dimensions}

    def _memory(self, msgs: list[dict], args: list[Any]) -> float:
        memory = _find_key(args, "sessionMemory")
        if isinstance(memory, str):
            return _length_score(memory, (10, 50, 100, 200))
        earlier = " ".join((m.get("content") or "") for m in msgs[:-1] if m["role"] in ("system", "tool", "assistant"))
        return _length_score(earlier, (20, 120, 300, 800)) if earlier else 2.0

    def _tool_context(self, view: RecordView, users: list[str], assistants: list[dict], calls: list[dict],
                      args: list[Any]) -> float:
        """Calls that fit the offered schemas score well; a call the schemas refuse (unknown tool,
        missing or mistyped argument) scores 1. Words said beside the calls, or a ``toolContext``
        argument, add to it; silent calls are normal tool use, not a flaw. Answering without a
        tool while tools are offered is neutral: refusals and direct answers do that."""
        final = (assistants[-1].get("content") or "") if assistants else ""
        if not calls:
            if _CALL_AS_TEXT.search(final):
                return 1.0  # a call written out as text: no tool runs
            if view.tools and not _NO_TOOL_FOR_IT.search(final) and (
                    _DESCRIBED_ACTION.search(final) or _HANDED_OVER.search(final.strip())):
                return 1.0  # says what it would do with a tool, or asks the user to, instead of calling it
            return 3.0
        offered = {t["function"]["name"]: t for t in view.tools if isinstance(t, dict) and "function" in t}
        if offered and any(self._validator.call_issues(c["name"], c.get("arguments"), offered) for c in calls):
            return 1.0
        named = set(_PATH.findall(users[-1] if users else ""))
        if named and not any(p in orjson.dumps(args).decode() or p.rsplit("/", 1)[-1] in orjson.dumps(args).decode()
                             for p in named):
            return 1.0  # the request names a file and no call touches it: the wrong tool or target
        why = _find_key(args, "toolContext")
        if not isinstance(why, str):
            why = " ".join(m.get("content") or "" for m in assistants if m.get("tool_calls"))
        score = 4.0 if offered else 3.0
        if len(why.strip()) >= 15:
            score += 1
        return _clamp(score)

    def _goals(self, users: list[str], assistants: list[dict], calls: list[dict], args: list[Any],
               described: dict[str, str]) -> float:
        """How much of the request the reply takes up: the share of the request's words (stemmed) that
        the reply, its calls' arguments, or the called tools' names and descriptions use. Little
        overlap is no evidence against a reply whose words are not the user's: a schema-valid call
        (its words are the tool's), a structured answer or one that shares a word, and a refusal that
        gives its reason or a way forward (at least 80 characters) are not marked down for it."""
        primary, sub = _find_key(args, "primaryGoal"), _find_key(args, "subgoal")
        if isinstance(primary, str) and isinstance(sub, str):
            overlap = primary.strip().lower() == sub.strip().lower()
            return _clamp(_length_score(primary + " " + sub, (10, 30, 60, 100)) - (2 if overlap else 0))
        asked = _stems(" ".join(users))
        answered = _stems(" ".join([*(f"{c['name'].replace('_', ' ')} {described.get(c['name'], '')}" for c in calls),
                                    orjson.dumps(args).decode(), *((m.get("content") or "") for m in assistants)]))
        if not asked or not answered:
            return 2.0
        shared = asked & answered
        score = _clamp(1.5 + 4 * len(shared) / min(len(asked), 12))
        last = assistants[-1] if assistants else {}
        content = (last.get("content") or "").strip()
        if last.get("tool_calls"):
            return max(score, 3.0) if all(c.get("name") in described for c in calls) else score
        if score < 4 and _REFUSAL.search(content[:300]) and len(content) >= 80:
            return 4.0
        if score < 3 and (shared or (len(content) >= 200 and _LIST_OR_CODE.search(content))):
            return 3.0
        return score

    def _naturalness(self, users: list[str]) -> float:
        if not users:
            return 1.0
        text = users[-1].strip()
        if text.startswith(("Result:", "{", "[")) or not text:
            return 1.0
        words = len(text.split())
        score = 5.0 if 5 <= words <= 120 else 3.0 if words < 5 else 4.0
        if _PLACEHOLDER.search(text):
            score -= 1
        if not re.search(r"[a-z]", text):
            score -= 1
        return _clamp(score)

    def _realism(self, assistants: list[dict], calls: list[dict]) -> float:
        if not assistants:
            return 1.0
        last = assistants[-1]
        content = (last.get("content") or "").strip()
        if last.get("tool_calls"):
            return 5.0 if all(c.get("arguments") for c in calls) else 3.0
        if not content or (_PLACEHOLDER.search(content[:200]) and len(content) < 60):
            return 1.0
        if content.startswith("Result:"):
            return 2.0
        return 4.0 if len(content) >= 40 else 3.0


# -- the LLM judge -------------------------------------------------------------------------------
JUDGE_PROMPT = """You are a strict reviewer of fine-tuning data for tool-using coding assistants.
Score the conversation you are given on each rubric dimension, as an integer from {lo} (poor) to
{hi} (excellent). Judge only what is in the record. Dimensions:
{dimensions}
Give a one-sentence rationale naming the weakest point."""


def judge_model(rubric: Rubric) -> type[BaseModel]:
    """The judge's response model for ``rubric``: one class per rubric, so the SDK wrapping and the
    schema are built once, and worker processes can rebuild it (see factory.llm.workers)."""
    return rubric_scores_model(tuple(rubric.dimensions.items()), *rubric.scale)


@functools.lru_cache(maxsize=64)
def rubric_scores_model(dimensions: tuple[tuple[str, str], ...], lo: int, hi: int) -> type[BaseModel]:
    from factory.llm.workers import rebuildable

    fields: dict[str, Any] = {d: (int, Field(ge=lo, le=hi, description=desc)) for d, desc in dimensions}
    fields["rationale"] = (str, Field(default="", description="one sentence: the weakest point"))
    return rebuildable(create_model("RubricScores", **fields), rubric_scores_model, dimensions, lo, hi)


def render_for_judge(view: RecordView, limit: int = 12_000) -> str:
    body = {"messages": view.messages, "tools_offered": [t.get("function", {}).get("name") for t in view.tools]}
    text = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
    return text if len(text) <= limit else text[:limit] + "\n... (truncated)"


def judge_request(view: RecordView, rubric: Rubric) -> Any:
    from factory.llm import LLMRequest

    dims = "\n".join(f"- {d}: {desc}" for d, desc in rubric.dimensions.items())
    system = JUDGE_PROMPT.format(lo=rubric.scale[0], hi=rubric.scale[1], dimensions=dims)
    return LLMRequest([{"role": "system", "content": system},
                       {"role": "user", "content": "Score this record:\n" + render_for_judge(view)}],
                      judge_model(rubric), max_tokens=512, temperature=0.0, tag=view)


# -- scoring a file ------------------------------------------------------------------------------
@dataclass
class ScoreReport:
    path: str
    out: str
    read: int = 0
    written: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    labels: Counter = field(default_factory=Counter)
    sums: dict[str, float] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)

    def add(self, scores: dict[str, float], label: bool) -> None:
        self.written += 1
        self.labels[str(label).lower()] += 1
        for d, v in scores.items():
            self.sums[d] = self.sums.get(d, 0.0) + v

    def means(self) -> dict[str, float]:
        return {d: round(v / self.written, 3) for d, v in self.sums.items()} if self.written else {}

    def as_dict(self) -> dict[str, Any]:
        return {"input": self.path, "output": self.out, "read": self.read, "written": self.written,
                "rejected": len(self.rejected), "rejections": [{"line": n, "reason": r} for n, r in self.rejected],
                "labels": dict(self.labels), "mean_scores": self.means(), "engine": self.engine}


def rubric_for(view: RecordView, rubrics: dict[str, Rubric], default: Rubric) -> Rubric:
    return rubrics.get(view.category, default)


JudgeFn = Callable[[list[RecordView], Callable[[RecordView], Rubric]], tuple[dict[int, dict[str, float]], dict[int, str]]]


class LLMJudge:
    """Scores views through an :class:`~factory.llm.session.EngineSession` (cached, resumable)."""

    name = "llm-judge"

    def __init__(self, session: Any) -> None:
        self.session = session

    def __call__(self, views: list[RecordView], pick: Callable[[RecordView], Rubric]
                 ) -> tuple[dict[int, dict[str, float]], dict[int, str]]:
        scores: dict[int, dict[str, float]] = {}
        reasons: dict[int, str] = {}
        reqs = []
        for i, view in enumerate(views):
            req = judge_request(view, pick(view))
            req.tag = i
            reqs.append(req)

        def on_result(res: Any) -> None:
            i = res.request.tag
            if res.status == "ok":
                dims = pick(views[i]).dimensions
                scores[i] = {d: float(getattr(res.output, d)) for d in dims}
            else:
                reasons[i] = f"judge: {res.reason}"

        self.session.run(reqs, on_result, total=len(reqs))
        return scores, reasons


def score_file(path: str | Path, out: str | Path, rubric: Rubric = DEFAULT_RUBRIC,
               rubrics: dict[str, Rubric] | None = None, judge: JudgeFn | None = None,
               chunk_size: int = 500, scorer: Callable[[RecordView, Rubric], dict[str, float]] | None = None,
               allow_empty: bool = False) -> ScoreReport:
    """Score every record of ``path`` into ``out`` (same format, plus ``scores`` and ``label``).

    Without ``judge``, ``scorer`` (a registered scorer's ``score``; default: the heuristic one) runs
    in one streaming pass. With it, records are judged in
    chunks of ``chunk_size``. read = written + rejected, and the report says why each rejected line
    was rejected. Also writes ``<out>.report.json``. When no record can be scored, ``out`` is left as
    it was and :class:`FactoryError` says why (``allow_empty`` writes the empty file instead)."""
    rubrics = rubrics or {}
    report = ScoreReport(str(path), str(out))
    heuristic = (scorer or HeuristicScorer().score) if judge is None else None

    def pick(view: RecordView) -> Rubric:
        return rubric_for(view, rubrics, rubric)

    chunk: list[tuple[int, RecordView]] = []

    def flush(writer: JsonlWriter) -> None:
        if not chunk:
            return
        assert judge is not None
        scored, reasons = judge([v for _, v in chunk], pick)
        for i, (lineno, view) in enumerate(chunk):
            if i not in scored:
                report.rejected.append((lineno, reasons.get(i, "the judge gave no usable scores")))
                continue
            row = view.with_scores(scored[i], label_for(scored[i], pick(view)))
            writer.write(row)
            report.add(scored[i], row["label"])
        chunk.clear()

    try:
        with JsonlWriter(out, allow_empty=allow_empty) as writer:
            for lineno, item in read_records(path):
                report.read += 1
                if isinstance(item, InputError):
                    report.rejected.append((lineno, item.reason))
                    continue
                if heuristic is not None:
                    scores = heuristic(item, pick(item))
                    row = item.with_scores(scores, label_for(scores, pick(item)))
                    writer.write(row)
                    report.add(scores, row["label"])
                else:
                    chunk.append((lineno, item))
                    if len(chunk) >= chunk_size:
                        flush(writer)
            if judge is not None:
                flush(writer)
    except NothingWritten:
        raise FactoryError(f"{path}: none of its {report.read} lines could be scored"
                           f"{rejection_summary(report.rejected)}; {out} was left as it was. Fix the input, "
                           "or pass --force to write an empty file.") from None
    write_json(Path(out).with_suffix(".report.json"), report.as_dict())
    return report


def rejection_summary(rejected: list[tuple[int, str]], most: int = 3) -> str:
    """`` (line 1: REASON; line 4: ...)``: the first rejections, for a one-line error."""
    if not rejected:
        return ""
    shown = "; ".join(f"line {n}: {reason}" for n, reason in rejected[:most])
    more = f"; {len(rejected) - most} more" if len(rejected) > most else ""
    return f" ({shown}{more})"
