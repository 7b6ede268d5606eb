"""What both consumer checks count in a prepared row, from the trainer's own token ids (imported by
llamafactory_check.py and axolotl_check.py, which run in the consumers' venvs and import no factory)."""

from __future__ import annotations

IGNORE = -100


def calls_in_turns(text: str) -> int:
    """``<tool_call>`` blocks after the system turn (whose tool instructions show the tag too)."""
    return text.split("<|im_end|>", 1)[-1].count("<tool_call>")


def runs(labels: list[int]) -> int:
    """Contiguous stretches of trained tokens: one per assistant turn in the loss."""
    n, inside = 0, False
    for t in labels:
        if t != IGNORE and not inside:
            n += 1
        inside = t != IGNORE
    return n
