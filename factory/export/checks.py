"""Self-checks on exported files, read back from disk so every finding names ``file:line``.

- conversational formats (trl, trl-prompt-completion, kto, dpo, mlx): every row passes TRL's own
  ``is_conversational``, offers ``tools`` as axolotl's ``chat_template`` and the templates read them
  (a list of ``{type, function: {name, parameters}}``), renders through the target tokenizer's chat template with its tools, the
  rendered text holds each tool call's arguments as a JSON object (never a double-encoded string),
  and each trained conversation has a non-empty assistant span under the template's
  ``{% generation %}`` markers -- transformers marks every token overlapping that span, so non-empty
  span == assistant tokens in the loss mask; the first ``mask_sample`` rows are also checked through
  ``apply_chat_template(return_assistant_tokens_mask=True)`` itself. Once per export, TRL's
  ``supports_tool_calling`` sentinel render proves the template emits tool calls and tool results.
- ``openai``: the OpenAI cookbook's chat fine-tuning format checks, extended to ``tools``,
  ``tool_calls`` (arguments a JSON string holding an object) and ``tool`` messages.
- ``mlx``: the chat checks plus mlx-lm's loader rules: one row kind per file, the last message an
  assistant turn (what ``--mask-prompt`` trains), a ``valid.jsonl`` beside ``train.jsonl``; the turns
  and calls ``--mask-prompt`` leaves out of the loss are counted in the report's notes.
- ``sharegpt``: LLaMA-Factory's converter rules (strict alternation, even turn count), function_call
  values its FunctionFormatter parses with dict arguments among the row's tools, boolean labels in
  the KTO files, no label-false row in an SFT file, ``dataset_info.json`` entries with their files.
- ``alpaca``: the fields LLaMA-Factory maps, as strings; no tool markup in an output.
- ``fim``: the FIM markers are single tokens of the target vocabulary, once per row.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.store.jsonl import read_jsonl


@dataclass
class CheckReport:
    checked: int = 0
    mask_verified: int = 0
    sentinel: bool | None = None
    errors: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)

    def fail(self, where: str, kind: str, detail: str) -> None:
        self.kinds[kind] += 1
        if len(self.errors) < 200:
            self.errors.append(f"{where}: {kind}: {detail}")

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "mask_verified_with_transformers": self.mask_verified,
                "supports_tool_calling": self.sentinel, "failures": dict(self.kinds), "errors": self.errors[:50],
                **({"notes": {k: dict(v) for k, v in self.notes.items()}} if self.notes else {})}


def conversations_of(row: dict[str, Any]) -> list[tuple[list[dict], bool]]:
    """(messages, trained) per conversation a row stands for; kto rows with label false and dpo
    rejected sides are rendered too but carry no positive loss."""
    if "messages" in row:
        return [(row["messages"], True)]
    if "chosen" in row:
        return [(row["prompt"] + row["chosen"], True), (row["prompt"] + row["rejected"], False)]
    if "completion" in row:
        return [(row["prompt"] + row["completion"], row.get("label", True) is not False)]
    return []


def check_conversational_file(path: Path, tok: Any, report: CheckReport, mask_sample: int = 100) -> None:
    from trl.data_utils import is_conversational

    for line, row in read_jsonl(path):
        where = f"{path}:{line}"
        report.checked += 1
        if not is_conversational(row):
            report.fail(where, "not conversational (TRL is_conversational)", "expected message lists")
            continue
        tools = row.get("tools")
        if tools is not None and not (isinstance(tools, list) and all(
                isinstance(t, dict) and isinstance(t.get("function"), dict) and isinstance(t["function"].get("name"), str)
                and isinstance(t["function"].get("parameters", {}), dict) for t in tools)):
            report.fail(where, "tools not a list of {type, function: {name, parameters}}",
                        "axolotl's chat_template and the chat templates read them so")
            continue
        for msgs, trained in conversations_of(row):
            record = {"messages": msgs, "tools": row.get("tools") or []}
            for m in msgs:
                for c in m.get("tool_calls") or []:
                    if not isinstance(c["function"]["arguments"], dict):
                        report.fail(where, "arguments not a dict",
                                    f"{c['function']['name']}: {type(c['function']['arguments']).__name__}")
            try:
                text, spans = tok.render_with_spans(record)
            except Exception as exc:  # noqa: BLE001 - any template error is a finding on this row
                report.fail(where, "chat template cannot render", f"{type(exc).__name__}: {exc}")
                continue
            _check_arguments_in_text(where, msgs, text, report)
            if trained and tok.has_generation_markers and not any(e > s for s, e in spans):
                report.fail(where, "no assistant tokens in the loss mask", "empty {% generation %} span")
            if trained and tok.has_generation_markers and report.mask_verified < mask_sample:
                _verify_mask(where, tok, record, spans, report)


def _check_arguments_in_text(where: str, msgs: list[dict], text: str, report: CheckReport) -> None:
    for m in msgs:
        for c in m.get("tool_calls") or []:
            args = c["function"]["arguments"]
            as_json = json.dumps(args, ensure_ascii=False)  # transformers' tojson
            if as_json not in text:
                report.fail(where, "tool call arguments not rendered as JSON", f"{c['function']['name']}")
            elif json.dumps(as_json, ensure_ascii=False) in text:
                report.fail(where, "double-encoded arguments", f"{c['function']['name']}")


def _verify_mask(where: str, tok: Any, record: dict, spans: list, report: CheckReport) -> None:
    out = tok.tokenizer.apply_chat_template(record["messages"], tools=record["tools"] or None, tokenize=True,
                                            return_dict=True, return_assistant_tokens_mask=True,
                                            chat_template=tok.chat_template)
    report.mask_verified += 1
    if sum(out["assistant_masks"]) == 0:
        report.fail(where, "no assistant tokens in the loss mask", "transformers' assistant_masks is all 0")


def sentinel_supports_tool_calling(tok: Any) -> bool:
    """TRL's own sentinel render: the template prints tool name, arguments and tool result."""
    from trl.chat_template_utils import supports_tool_calling

    tok.tokenizer.chat_template = tok.chat_template
    return bool(supports_tool_calling(tok.tokenizer))


# -- OpenAI ---------------------------------------------------------------------------------------
OPENAI_KEYS = {"role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id", "refusal"}
OPENAI_ROLES = {"system", "developer", "user", "assistant", "function", "tool"}


def openai_row_errors(row: Any) -> list[tuple[str, str]]:
    """The cookbook's format error kinds (data_type, missing_messages_list, message_missing_key,
    message_unrecognized_key, unrecognized_role, missing_content, example_missing_assistant_message)
    plus tool checks: tools_type, tool_call_format, arguments_not_json_object, unknown_tool,
    tool_result_without_call."""
    if not isinstance(row, dict):
        return [("data_type", "row is not an object")]
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return [("missing_messages_list", "no messages list")]
    errs: list[tuple[str, str]] = []
    offered = set()
    tools = row.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or not all(
                isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("function"), dict)
                and isinstance(t["function"].get("name"), str) for t in tools):
            errs.append(("tools_type", "tools must be [{type: function, function: {name, parameters}}]"))
        else:
            offered = {t["function"]["name"] for t in tools}
    if "parallel_tool_calls" in row and not isinstance(row["parallel_tool_calls"], bool):
        errs.append(("parallel_tool_calls_type", "must be a boolean"))
    pending: set[str] = set()
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m or ("content" not in m and "tool_calls" not in m):
            errs.append(("message_missing_key", f"messages[{i}]"))
            continue
        if set(m) - OPENAI_KEYS:
            errs.append(("message_unrecognized_key", f"messages[{i}]: {sorted(set(m) - OPENAI_KEYS)}"))
        if m["role"] not in OPENAI_ROLES:
            errs.append(("unrecognized_role", f"messages[{i}]: {m['role']}"))
        content, calls = m.get("content"), m.get("tool_calls")
        if calls:
            if m["role"] != "assistant":
                errs.append(("tool_call_format", f"messages[{i}]: only assistant turns call tools"))
            for c in calls:
                fn = c.get("function") if isinstance(c, dict) else None
                if not (isinstance(fn, dict) and c.get("type") == "function" and isinstance(c.get("id"), str)
                        and isinstance(fn.get("name"), str) and isinstance(fn.get("arguments"), str)):
                    errs.append(("tool_call_format", f"messages[{i}]: expected id, type, function.name, "
                                 "function.arguments (a JSON string)"))
                    continue
                try:
                    args = json.loads(fn["arguments"])
                except json.JSONDecodeError:
                    args = None
                if not isinstance(args, dict):
                    errs.append(("arguments_not_json_object", f"messages[{i}]: {fn['name']}: {fn['arguments'][:60]}"))
                if offered and fn["name"] not in offered:
                    errs.append(("unknown_tool", f"messages[{i}]: {fn['name']} is not in tools"))
                pending.add(c["id"])
            if content is not None and not isinstance(content, str):
                errs.append(("missing_content", f"messages[{i}]: content must be a string or null"))
        elif not isinstance(content, str):
            errs.append(("missing_content", f"messages[{i}]: content must be a string"))
        if m["role"] == "tool":
            if m.get("tool_call_id") not in pending:
                errs.append(("tool_result_without_call", f"messages[{i}]: {m.get('tool_call_id')}"))
            pending.discard(m.get("tool_call_id"))
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        errs.append(("example_missing_assistant_message", "no assistant message"))
    return errs


def check_openai_file(path: Path, report: CheckReport) -> None:
    for line, row in read_jsonl(path):
        report.checked += 1
        for kind, detail in openai_row_errors(row):
            report.fail(f"{path}:{line}", kind, detail)


def check_sharegpt_file(path: Path, report: CheckReport) -> None:
    """LLaMA-Factory's rules, so a row it would drop or choke on fails here: the converter's strict
    alternation and even turn count, function_call values its FunctionFormatter parses (dict
    arguments, names among the row's tools), ``tools`` a JSON list, and in a KTO file a boolean label."""
    from factory.export.llamafactory import parse_function_call, sharegpt_turn_error

    kto = path.name.startswith("kto_")
    for line, row in read_jsonl(path):
        report.checked += 1
        where = f"{path}:{line}"
        conv = row.get("conversations")
        if not isinstance(conv, list) or not all(
                isinstance(t, dict) and isinstance(t.get("from"), str) and isinstance(t.get("value"), str)
                for t in conv):
            report.fail(where, "conversations not a list of {from, value} strings", "")
            continue
        if why := sharegpt_turn_error(conv):
            report.fail(where, "LLaMA-Factory drops the row", why)
        offered: set[str] | None = None
        if row.get("tools"):
            try:
                tools = json.loads(row["tools"]) if isinstance(row["tools"], str) else None
            except json.JSONDecodeError:
                tools = None
            if not isinstance(tools, list) or not all(isinstance(t, dict) and "name" in t for t in tools):
                report.fail(where, "tools not a JSON list of functions", str(row["tools"])[:60])
            else:
                offered = {t["name"] for t in tools}
        for turn in conv:
            if turn["from"] != "function_call":
                continue
            parsed = parse_function_call(turn["value"])
            if isinstance(parsed, str):
                report.fail(where, "function_call LLaMA-Factory cannot parse", parsed)
                continue
            _text, calls = parsed
            for c in calls:
                if not isinstance(c["arguments"], dict):
                    report.fail(where, "double-encoded arguments", f"{c.get('name')}")
                if offered is not None and c["name"] not in offered and row.get("label") is not False:
                    report.fail(where, "call to a tool the row does not offer", f"{c.get('name')}")
        if kto and not isinstance(row.get("label"), bool):
            report.fail(where, "KTO row without a boolean label", "LLaMA-Factory's kto_tag must be true or false")
        if not kto and row.get("label") is False:
            report.fail(where, "label-false row in an SFT file", "negatives belong in kto_*.jsonl")


def check_dataset_info(out_dir: Path, report: CheckReport) -> None:
    """Each ``dataset_info.json`` entry names a file that is there."""
    info_path = out_dir / "dataset_info.json"
    if not info_path.exists():
        report.fail(str(info_path), "missing dataset_info.json", "LLaMA-Factory's --dataset_dir needs it")
        return
    for name, entry in json.loads(info_path.read_text()).items():
        if not (out_dir / entry.get("file_name", "")).is_file():
            report.fail(str(info_path), "dataset entry without its file", f"{name}: {entry.get('file_name')}")


def check_alpaca_file(path: Path, report: CheckReport) -> None:
    """The fields LLaMA-Factory's alpaca reader maps present as strings, instruction and output not
    empty, and no tool-call markup: alpaca rows carry no tools to call."""
    for line, row in read_jsonl(path):
        report.checked += 1
        where = f"{path}:{line}"
        if not all(isinstance(row.get(k), str) for k in ("system", "instruction", "input", "output")):
            report.fail(where, "missing field", "system, instruction, input and output must be strings")
            continue
        if not row["instruction"].strip() or not row["output"].strip():
            report.fail(where, "empty field", "instruction and output must not be empty")
        if "<tool_call>" in row["output"] or "<tool_response>" in row["output"]:
            report.fail(where, "tool markup in an alpaca output", "alpaca rows offer no tools")


# -- mlx-lm ------------------------------------------------------------------------------------------
MLX_KINDS = (("prompt", "completion"), ("messages",), ("text",))


def _mlx_kind(row: Any) -> tuple[str, ...] | None:
    return next((k for k in MLX_KINDS if isinstance(row, dict) and all(f in row for f in k)), None)


def check_mlx_file(path: Path, report: CheckReport) -> None:
    """mlx-lm's loader (``mlx_lm/tuner/datasets.py``): the first row picks the dataset kind and every
    row must be of it; a chat row's ``tools`` goes to the chat template as it is. Under ``--mask-prompt``
    only a chat row's last message is trained, so that must be an assistant turn. ``notes`` counts the
    turns and calls that flag trains and the earlier ones it leaves out (``mlx-turns`` rows train
    those in rows of their own)."""
    first = None
    trained_turns = trained_calls = turns_before = calls_before = 0
    for line, row in read_jsonl(path):
        where = f"{path}:{line}"
        kind = _mlx_kind(row)
        first = first or kind
        if kind is None or kind != first:
            report.fail(where, "row kind differs from the file's first row", f"mlx-lm reads every row as {first}")
            continue
        if kind != ("messages",):
            continue
        msgs = row["messages"]
        if row.get("tools") is not None and not isinstance(row["tools"], list):
            report.fail(where, "tools not a list", type(row["tools"]).__name__)
        if not msgs or msgs[-1].get("role") != "assistant":
            report.fail(where, "last message is not an assistant turn", "mlx-lm --mask-prompt trains the last message")
        for i, m in enumerate(msgs):
            if m.get("role") != "assistant":
                continue
            n = len(m.get("tool_calls") or [])
            if i == len(msgs) - 1:
                trained_turns, trained_calls = trained_turns + 1, trained_calls + n
            else:
                turns_before, calls_before = turns_before + 1, calls_before + n
    notes = report.notes.setdefault("mlx --mask-prompt", Counter())
    notes.update({"trained_turns": trained_turns, "trained_calls": trained_calls,
                  "earlier_turns_not_trained": turns_before, "earlier_calls_not_trained": calls_before})


def check_fim_file(path: Path, tok: Any, report: CheckReport) -> None:
    """Each FIM marker is one token of the target vocabulary and appears exactly once per row."""
    fim = tok.fim
    ids = [tok.tokenizer.convert_tokens_to_ids(t) for t in (fim.prefix, fim.suffix, fim.middle)]
    for line, row in read_jsonl(path):
        report.checked += 1
        enc = tok.backend.encode(row["text"], add_special_tokens=False).ids
        if any(enc.count(i) != 1 for i in ids):
            report.fail(f"{path}:{line}", "FIM tokens not single tokens", f"{tok.name}: {fim}")


def check_export(kind: str, paths: list[Path], tok: Any | None, mask_sample: int = 100) -> CheckReport | None:
    """The self-checks ``kind`` (an exporter's ``checks``, see :data:`factory.registry.EXPORT_CHECKS`)
    on ``paths``; None when there are none to run."""
    report = CheckReport()
    if kind in ("chat", "mlx") and tok is not None:
        report.sentinel = sentinel_supports_tool_calling(tok)
        if not report.sentinel:
            report.fail(tok.name, "template drops tool calls or results", "TRL supports_tool_calling is False")
        for p in paths:
            check_conversational_file(p, tok, report, mask_sample)
        if kind == "mlx":
            for p in paths:
                check_mlx_file(p, report)
            names = {p.name for p in paths if p.stat().st_size}
            if "train.jsonl" in names and "valid.jsonl" not in names:
                report.fail(str(paths[0].parent), "no valid.jsonl", "mlx-lm refuses to train without a validation set")
    elif kind == "openai":
        for p in paths:
            check_openai_file(p, report)
    elif kind in ("sharegpt", "alpaca"):
        for p in paths:
            (check_sharegpt_file if kind == "sharegpt" else check_alpaca_file)(p, report)
        if paths:
            check_dataset_info(paths[0].parent, report)
    elif kind == "fim" and tok is not None and tok.fim is not None:
        for p in paths:
            check_fim_file(p, tok, report)
    else:
        return None
    return report
