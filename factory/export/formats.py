"""The built-in export formats, one row function each.

- ``trl``: SFT conversations, ``messages`` + ``tools`` (label-true records only; negatives are for
  preference formats);
- ``trl-prompt-completion``: ``prompt`` / ``completion`` message lists + ``tools``;
- ``kto``: ``prompt`` / ``completion`` / ``label`` -- label-true records, and both sides of every
  tool_neg defect and of every original -> enhanced pair;
- ``dpo``: ``prompt`` / ``chosen`` / ``rejected`` from tool_neg defects vs their correct calls and from
  originals vs their enhanced versions when both answer the same prompt;
- ``openai``: chat fine-tuning rows, arguments as JSON strings, ``tools`` and ``parallel_tool_calls``;
- ``sharegpt``: ``conversations`` (from/value: human, gpt, function_call, observation), ``system``,
  ``tools`` (JSON string) and ``label`` (LLaMA-Factory's layout, with the label);
- ``alpaca``: ``task_type`` / ``instruction`` / ``input`` / ``output``, single-turn only;
- ``mlx``: mlx-lm's chat files (``messages`` + ``tools``) as ``train.jsonl`` / ``valid.jsonl``;
- ``fim``: ``text`` with the tokenizer family's fill-in-the-middle tokens, from ``meta.fim``.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from factory.export.base import ExportContext, Row, chat_messages, iter_defect_pairs, split_prompt
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


# -- ShareGPT / Alpaca --------------------------------------------------------------------------------
def _call_text(call: Row) -> str:
    return orjson.dumps({"name": call["function"]["name"], "arguments": call["function"]["arguments"]}).decode()


def sharegpt_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
    if _is_fim(record):
        yield FIM_ONLY
        return
    conv, system = [], None
    for m in record["messages"]:
        role = m["role"]
        if role == "system":
            system = m["content"]
        elif role == "user":
            conv.append({"from": "human", "value": m["content"]})
        elif role == "tool":
            conv.append({"from": "observation", "value": m["content"]})
        elif m.get("tool_calls"):
            if m.get("content"):
                conv.append({"from": "gpt", "value": m["content"]})
            # LLaMA-Factory: one function_call turn; several calls become a JSON list
            calls = [orjson.loads(_call_text(c)) for c in m["tool_calls"]]
            conv.append({"from": "function_call", "value": orjson.dumps(calls[0] if len(calls) == 1 else calls).decode()})
        else:
            conv.append({"from": "gpt", "value": m["content"]})
    row: Row = {"conversations": conv}
    if system is not None:
        row["system"] = system
    if record.get("tools"):
        row["tools"] = orjson.dumps([t["function"] for t in record["tools"] if "function" in t]).decode()
    row["label"] = record.get("label")
    yield row


def alpaca_rows(record: Row, ctx: ExportContext) -> Iterator[Row | str]:
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
    context = [m["content"] for m in msgs if m["role"] == "system"]
    output = []
    for m in msgs[msgs.index(users[0]) + 1:]:
        if m["role"] == "assistant":
            if m.get("content"):
                output.append(m["content"])
            output.extend(f"<tool_call>\n{_call_text(c)}\n</tool_call>" for c in m.get("tool_calls") or [])
        elif m["role"] == "tool":
            output.append(f"<tool_response>\n{m['content']}\n</tool_response>")
    yield {"task_type": record.get("category", ""), "instruction": users[0]["content"],
           "input": "\n\n".join(context), "output": "\n".join(output)}


# -- MLX / FIM ----------------------------------------------------------------------------------------
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
    Exporter("sharegpt", "ShareGPT conversations (from/value) + label", sharegpt_rows, checks="sharegpt"),
    Exporter("alpaca", "Alpaca: task_type, instruction, input, output", alpaca_rows, checks="alpaca"),
    Exporter("mlx", "mlx-lm chat files: messages + tools; train.jsonl / valid.jsonl", trl_rows,
             files={"train": "train.jsonl", "eval": "valid.jsonl"}, checks="chat"),
    Exporter("fim", "fill-in-the-middle text with the tokenizer family's FIM tokens", fim_rows, checks="fim"),
]
