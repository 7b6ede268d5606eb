"""The built-in export formats, one row function each.

- ``trl``: SFT conversations, ``messages`` + ``tools`` (label-true records only; negatives are for
  preference formats);
- ``trl-prompt-completion``: ``prompt`` / ``completion`` message lists + ``tools``;
- ``kto``: ``prompt`` / ``completion`` / ``label`` -- label-true records, and both sides of every
  tool_neg defect and of every original -> enhanced pair;
- ``dpo``: ``prompt`` / ``chosen`` / ``rejected`` from tool_neg defects vs their correct calls and from
  originals vs their enhanced versions when both answer the same prompt;
- ``openai``: chat fine-tuning rows, arguments as JSON strings, ``tools`` and ``parallel_tool_calls``;
- ``sharegpt``: LLaMA-Factory's sharegpt layout (``conversations`` of human / gpt / function_call /
  observation turns that alternate as its converter requires, ``system``, ``tools`` as a JSON string):
  label-true records in ``train.jsonl`` / ``eval.jsonl``, the KTO rows (negatives included, ``label``
  as ``kto_tag``) in ``kto_train.jsonl`` / ``kto_eval.jsonl``, and ``dataset_info.json`` naming them;
- ``alpaca``: ``system`` / ``instruction`` / ``input`` / ``output`` (+ ``task_type``), single-turn
  records without tools only, with ``dataset_info.json``;
- ``mlx``: mlx-lm's chat files (``messages`` + ``tools``) as ``train.jsonl`` / ``valid.jsonl``;
  ``mlx-turns`` the same with one row per assistant turn, for ``--mask-prompt``;
- ``fim``: ``text`` with the tokenizer family's fill-in-the-middle tokens, from ``meta.fim``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from factory.export.base import ExportContext, Row, SideRow, chat_messages, iter_defect_pairs, split_prompt
from factory.export.llamafactory import OBSERVATION_JOIN, TOOL_CALL_WORDS, sharegpt_turn_error
from factory.quality.tokens import FIM_TOKENS
from factory.registry import Exporter

NOT_POSITIVE = "label is not true (negatives go to kto/dpo)"
FIM_ONLY = "fill-in-the-middle record (use --format fim)"


def _is_fim(record: Row) -> bool:
    return bool((record.get("meta") or {}).get("fim"))


def _sft_skip(record: Row) -> str | None:
    """Why a record is not an SFT row: FIM records go to the fim format, label-false ones to KTO/DPO."""
    if _is_fim(record):
        return FIM_ONLY
    if record.get("label") is False:
        return NOT_POSITIVE
    return None


def _with_tools(row: Row, record: Row) -> Row:
    if record.get("tools"):
        row["tools"] = record["tools"]
    return row


# -- TRL ----------------------------------------------------------------------------------------------
def trl_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    if skip := _sft_skip(record):
        yield skip
        return
    yield _with_tools({"messages": chat_messages(record["messages"])}, record)


def prompt_completion_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    if skip := _sft_skip(record):
        yield skip
        return
    prompt, completion = split_prompt(chat_messages(record["messages"]))
    yield _with_tools({"prompt": prompt, "completion": completion}, record)


def kto_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    if _is_fim(record):
        yield FIM_ONLY
        return
    pairs = list(iter_defect_pairs(record))
    if pairs:
        for prompt, chosen, rejected in pairs:
            prompt = chat_messages(prompt)
            yield _with_tools({"prompt": prompt, "completion": chat_messages([rejected]), "label": False}, record)
            yield _with_tools({"prompt": prompt, "completion": chat_messages([chosen]), "label": True}, record)
        return
    if record.get("label") is None:
        yield "no label"
        return
    prompt, completion = split_prompt(chat_messages(record["messages"]))
    yield _with_tools({"prompt": prompt, "completion": completion, "label": bool(record["label"])}, record)
    original = ctx.originals.get((record.get("meta") or {}).get("parent_id") or "")
    if original is not None:
        o_prompt, o_completion = split_prompt(chat_messages(original["messages"]))
        yield _with_tools({"prompt": o_prompt, "completion": o_completion, "label": False}, original)


def dpo_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    pairs = list(iter_defect_pairs(record))
    for prompt, chosen, rejected in pairs:
        yield _with_tools({"prompt": chat_messages(prompt), "chosen": chat_messages([chosen]),
                           "rejected": chat_messages([rejected])}, record)
    if pairs:
        return
    parent = (record.get("meta") or {}).get("parent_id")
    original = ctx.originals.get(parent or "")
    if original is None:
        yield "no preference pair (neither a defect nor an enhanced version of a known original)"
        return
    prompt, chosen = split_prompt(chat_messages(record["messages"]))
    o_prompt, rejected = split_prompt(chat_messages(original["messages"]))
    if o_prompt != prompt:
        yield "enhanced record changed the prompt: no DPO pair"
        return
    yield _with_tools({"prompt": prompt, "chosen": chosen, "rejected": rejected}, record)


# -- OpenAI -------------------------------------------------------------------------------------------
def openai_message(m: Row) -> Row:
    out: Row = {"role": m["role"]}
    if m["role"] == "assistant" and m.get("tool_calls"):
        out["content"] = m.get("content") or None
        out["tool_calls"] = [{"id": c["id"], "type": "function", "function": {
            "name": c["function"]["name"], "arguments": orjson.dumps(c["function"]["arguments"]).decode()}}
            for c in m["tool_calls"]]
    else:
        out["content"] = m.get("content") or ""
    if m["role"] == "tool":
        out["tool_call_id"] = m["tool_call_id"]
    return out


def openai_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    if skip := _sft_skip(record):
        yield skip
        return
    msgs = [openai_message(m) for m in record["messages"]]
    row: Row = {"messages": msgs}
    if record.get("tools"):
        row["tools"] = record["tools"]
        row["parallel_tool_calls"] = any(len(m.get("tool_calls") or []) > 1 for m in record["messages"])
    yield row


# -- ShareGPT / Alpaca (LLaMA-Factory) ---------------------------------------------------------------
def _call_text(call: Row) -> str:
    return orjson.dumps({"name": call["function"]["name"], "arguments": call["function"]["arguments"]}).decode()


def function_call_value(text: str, calls: list[Row]) -> str:
    """A ``function_call`` turn's value as LLaMA-Factory's FunctionFormatter parses it: the call (one
    JSON object) or calls (a JSON list); text said beside the calls goes before them, with the calls
    inside its ``tool_call_words``, which the formatter keeps as the turn's text."""
    payload = [orjson.loads(_call_text(c)) for c in calls]
    body = orjson.dumps(payload[0] if len(payload) == 1 else payload).decode()
    if not text:
        return body
    return f"{text}\n{TOOL_CALL_WORDS[0]}{body}{TOOL_CALL_WORDS[1]}"


def sharegpt_conversation(messages: list[Row], tokenizer: str = "qwen2.5") -> tuple[list[Row], str] | str:
    """(turns, system) in LLaMA-Factory's sharegpt form, or why the messages cannot be one: turns go
    human/observation, then gpt/function_call, strictly alternating, and end on the assistant's side;
    an assistant message with text and calls is one function_call turn, consecutive tool results one
    observation."""
    conv: list[Row] = []
    system = ""
    results: list[str] = []
    join = OBSERVATION_JOIN.get(tokenizer, "\n\n")
    for i, m in enumerate(messages):
        role = m["role"]
        if role != "tool" and results:
            conv.append({"from": "observation", "value": join.join(results)})
            results = []
        if role == "system":
            if i != 0:
                return "a system message after the first turn (sharegpt has one system prompt)"
            system = m.get("content") or ""
        elif role == "tool":
            results.append(m.get("content") or "")
        elif role == "user":
            conv.append({"from": "human", "value": m.get("content") or ""})
        elif m.get("tool_calls"):
            conv.append({"from": "function_call", "value": function_call_value(m.get("content") or "", m["tool_calls"])})
        else:
            conv.append({"from": "gpt", "value": m.get("content") or ""})
    if results:
        conv.append({"from": "observation", "value": join.join(results)})
    if why := sharegpt_turn_error(conv):
        return why
    return conv, system


def _sharegpt_row(messages: list[Row], record: Row, tokenizer: str) -> Row | str:
    made = sharegpt_conversation(messages, tokenizer)
    if isinstance(made, str):
        return made
    conv, system = made
    tools = [t["function"] for t in record.get("tools") or [] if "function" in t]
    return {"conversations": conv, "system": system, "tools": orjson.dumps(tools).decode() if tools else ""}


def sharegpt_rows(record: Row, ctx: ExportContext) -> Iterator[Row | SideRow | str]:
    """Label-true records as SFT rows; every KTO row (negatives included) to the ``kto`` stream."""
    if _is_fim(record):
        yield FIM_ONLY
        return
    if record.get("label") is False:
        yield "label is not true (in kto_*.jsonl only)"
    else:
        yield _sharegpt_row(chat_messages(record["messages"]), record, ctx.tokenizer)
    for kto in kto_rows(record, ctx):
        if isinstance(kto, str):
            continue
        row = _sharegpt_row(kto["prompt"] + kto["completion"], kto, ctx.tokenizer)
        if isinstance(row, str):
            yield f"kto row: {row}"
            continue
        yield SideRow("kto", row | {"label": kto["label"]})


SHAREGPT_COLUMNS = {"messages": "conversations", "system": "system", "tools": "tools"}
SHAREGPT_TAGS = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system"}
DATASET_NAME = "factory"


def _written_files(report: Row) -> Iterator[tuple[str, str, Path]]:
    """(stream, split, path) of every non-empty file an export wrote; the main stream is ``""``."""
    for split, r in report["splits"].items():
        if r.get("rows_written"):
            yield "", split, Path(r["path"])
        for stream, s in (r.get("streams") or {}).items():
            if s["rows_written"]:
                yield stream, split, Path(s["path"])


def _entry_name(stream: str, split: str) -> str:
    name = f"{DATASET_NAME}_{stream or 'sft'}"
    return name if split == "train" else f"{name}_{split}"


def sharegpt_dataset_info(report: Row) -> dict[str, Row]:
    """``dataset_info.json``: one LLaMA-Factory entry per file, ``factory_sft`` / ``factory_kto`` for
    train and ``..._eval`` for eval, so ``--dataset_dir EXPORT --dataset factory_sft`` reads it."""
    info = {}
    for stream, split, path in _written_files(report):
        columns = dict(SHAREGPT_COLUMNS) | ({"kto_tag": "label"} if stream == "kto" else {})
        info[_entry_name(stream, split)] = {"file_name": path.name, "formatting": "sharegpt",
                                            "columns": columns, "tags": dict(SHAREGPT_TAGS)}
    return {"dataset_info.json": info}


def alpaca_dataset_info(report: Row) -> dict[str, Row]:
    columns = {"prompt": "instruction", "query": "input", "response": "output", "system": "system"}
    return {"dataset_info.json": {
        _entry_name(stream, split).replace("_sft", "_alpaca"): {"file_name": path.name, "columns": columns}
        for stream, split, path in _written_files(report)}}


TOOLS_IN_ALPACA = "tool calls or tool results (alpaca has no place for tools; use sharegpt)"


def alpaca_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    """Single-turn, tool-free, label-true records: ``system`` in its own column, as LLaMA-Factory's
    alpaca reader takes it (an ``input`` is appended to the instruction)."""
    if _is_fim(record):
        yield FIM_ONLY
        return
    msgs = record["messages"]
    users = [m for m in msgs if m["role"] == "user"]
    if len(users) != 1:
        yield "multi-turn conversation (alpaca holds one instruction)"
        return
    if record.get("label") is False:
        yield NOT_POSITIVE
        return
    if any(m["role"] == "tool" or m.get("tool_calls") for m in msgs):
        yield TOOLS_IN_ALPACA
        return
    answers = [m.get("content") or "" for m in msgs[msgs.index(users[0]) + 1:] if m["role"] == "assistant"]
    if len(answers) != 1:
        yield "more than one assistant turn (alpaca holds one output)"
        return
    system = "\n\n".join(m["content"] for m in msgs if m["role"] == "system")
    yield {"task_type": record.get("category", ""), "system": system, "instruction": users[0]["content"],
           "input": "", "output": answers[0]}


# -- MLX / FIM ----------------------------------------------------------------------------------------
def mlx_turn_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    """One row per assistant turn: the conversation up to and including that turn. mlx-lm's
    ``--mask-prompt`` trains only a row's last message, so this way every answer and every call is
    trained once (the whole-conversation ``mlx`` rows train only the final answer under that flag)."""
    if skip := _sft_skip(record):
        yield skip
        return
    msgs = chat_messages(record["messages"])
    for i, m in enumerate(msgs):
        if m["role"] == "assistant":
            yield _with_tools({"messages": msgs[: i + 1]}, record)


def fim_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    fim = (record.get("meta") or {}).get("fim")
    if not fim:
        yield "not a fill-in-the-middle record (no meta.fim)"
        return
    tokens = FIM_TOKENS.get(ctx.tokenizer)
    if tokens is None:
        yield f"no FIM tokens known for tokenizer {ctx.tokenizer}"
        return
    end = {"qwen2.5": "<|endoftext|>", "deepseek": "<｜end▁of▁sentence｜>"}[ctx.tokenizer]
    yield {"text": tokens.render(fim["prefix"], fim["suffix"], fim["middle"]) + end}


FORMATS = [
    Exporter("trl", "TRL SFT: messages + tools, arguments as dicts", trl_rows, checks="chat"),
    Exporter("trl-prompt-completion", "TRL prompt/completion message lists + tools", prompt_completion_rows,
             checks="chat"),
    Exporter("kto", "TRL KTO: prompt, completion, label", kto_rows, checks="chat"),
    Exporter("dpo", "TRL DPO: prompt, chosen, rejected (defects, original vs enhanced)", dpo_rows, checks="chat"),
    Exporter("openai", "OpenAI chat fine-tuning: arguments as JSON strings, tools, parallel_tool_calls",
             openai_rows, checks="openai"),
    Exporter("sharegpt", "LLaMA-Factory sharegpt: SFT rows (label true) + kto_*.jsonl + dataset_info.json",
             sharegpt_rows, files={"train": "train.jsonl", "eval": "eval.jsonl", "kto:train": "kto_train.jsonl",
                                   "kto:eval": "kto_eval.jsonl"}, checks="sharegpt", metadata=sharegpt_dataset_info),
    Exporter("alpaca", "LLaMA-Factory alpaca: system, instruction, output; tool-free single turns only",
             alpaca_rows, checks="alpaca", metadata=alpaca_dataset_info),
    Exporter("mlx", "mlx-lm chat files: messages + tools; train.jsonl / valid.jsonl", trl_rows,
             files={"train": "train.jsonl", "eval": "valid.jsonl"}, checks="mlx"),
    Exporter("mlx-turns", "mlx-lm chat files, one row per assistant turn (every call trained under --mask-prompt)",
             mlx_turn_rows, files={"train": "train.jsonl", "eval": "valid.jsonl"}, checks="mlx"),
    Exporter("fim", "fill-in-the-middle text with the tokenizer family's FIM tokens", fim_rows, checks="fim"),
]
