"""LLaMA-Factory's rules for its sharegpt layout, as its own code applies them (0.9.5:
``data/converter.py`` ``SharegptDatasetConverter``, ``data/formatter.py`` ``FunctionFormatter``):
the rules the sharegpt export follows and its self-check enforces. Imports nothing of the export,
so the formats, the checks and ``factory score``'s reader share it."""

from __future__ import annotations

from typing import Any

import orjson

Row = dict[str, Any]

# Consecutive tool results become one LLaMA-Factory observation turn. Its qwen template wraps an
# observation in one <tool_response> block; Qwen2.5's own template gives each result its block inside
# one user turn, so for that family the results are joined with the tags between them and the text is
# the Hugging Face rendering byte for byte. Other families get a blank line between results.
OBSERVATION_JOIN = {"qwen2.5": "\n</tool_response>\n<tool_response>\n"}
TOOL_CALL_WORDS = ("<tool_call>", "</tool_call>")  # LLaMA-Factory's default tool_call_words


def parse_function_call(value: str) -> tuple[str, list[Row]] | str:
    """(text, calls) of a function_call value as LLaMA-Factory's FunctionFormatter reads it -- the
    JSON inside the first ``<tool_call>...</tool_call>`` when there is one (the rest is text), else the
    whole value; one object or a list, each with ``name`` and ``arguments`` -- or why it would raise."""
    start, end = TOOL_CALL_WORDS
    text, body = "", value
    head, sep, rest = value.partition(start)
    if sep and end in rest:
        body, _, tail = rest.partition(end)
        if start in tail:
            return "more than one <tool_call> block (LLaMA-Factory reads only the first)"
        text = (head + tail).strip()
    try:
        calls = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "not JSON (LLaMA-Factory raises 'Invalid JSON format in function message')"
    calls = calls if isinstance(calls, list) else [calls]
    if not all(isinstance(c, dict) and "name" in c and "arguments" in c for c in calls):
        return "a call without name and arguments"
    return text, calls


def sharegpt_turn_error(conv: list[Row]) -> str:
    """LLaMA-Factory's SharegptDatasetConverter rule, which drops a row that breaks it: turn 0, 2, ...
    human or observation, turn 1, 3, ... gpt or function_call, an even number of turns."""
    odd, even = ("human", "observation"), ("gpt", "function_call")
    for i, turn in enumerate(conv):
        if turn.get("from") not in (odd if i % 2 == 0 else even):
            got = turn.get("from")
            return (f"turn {i} is {got} where LLaMA-Factory expects {' or '.join(odd if i % 2 == 0 else even)} "
                    "(it drops the row)")
    if not conv or len(conv) % 2:
        return "conversation does not end on an assistant turn (LLaMA-Factory drops the row)"
    return ""
