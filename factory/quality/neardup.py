"""The near-duplicate share of a set of records: how many records are, after normalising numbers and
identifiers, nearly the same as an earlier record of the set.

What is compared is what the model learns to answer to: user and assistant text plus tool-call names
and arguments (system prompts and tool results are context, not authored text). Normalising maps
numbers to ``0``, identifier-like tokens in prose (snake_case, camelCase, dotted names, paths,
backticked spans) and every non-keyword name in fenced code to ``id``, so a template filled with other
names or numbers is caught. Records are compared by word 5-gram shingles with MinHash LSH and the
candidates confirmed by exact Jaccard; the default threshold 0.85 is BigCode's near-dedup setting.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

THRESHOLD = 0.85
NGRAM = 5
NUM_PERM = 128

_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[./-][A-Za-z0-9_]+)*|\d[\d_.,]*")
_NUMBER = re.compile(r"\d")
_IDENTIFIER = re.compile(r"[A-Za-z]*(?:_|[a-z][A-Z]|\d|[./-][A-Za-z0-9])")
CODE_KEYWORDS = frozenset(["and", "as", "assert", "async", "await", "break", "case", "catch", "class", "const", "continue", "def", "default", "defer", "del", "do", "elif", "else", "enum", "except", "export", "extends", "false", "final", "finally", "fn", "for", "from", "func", "function", "go", "if", "impl", "implements", "import", "in", "interface", "is", "lambda", "let", "loop", "match", "mod", "mut", "new", "nil", "none", "not", "null", "or", "package", "pass", "pub", "raise", "return", "select", "self", "static", "struct", "super", "switch", "throw", "trait", "true", "try", "type", "typeof", "use", "var", "where", "while", "with", "yield"])


def _norm_token(tok: str, in_code: bool) -> str:
    low = tok.lower()
    if _NUMBER.match(tok):
        return "0"
    if in_code:
        return low if low in CODE_KEYWORDS else "id"
    return "id" if _IDENTIFIER.match(tok) else low


def normalise(text: str) -> list[str]:
    """Tokens of ``text`` with numbers and identifiers normalised (see the module docstring)."""
    out: list[str] = []
    pos = 0
    text = re.sub(r"`[^`\n]+`", " ident ", text or "")
    for m in _FENCE.finditer(text):
        out.extend(_norm_token(t, False) for t in _WORD.findall(text[pos : m.start()]))
        out.extend(_norm_token(t, True) for t in _WORD.findall(m.group(1)))
        pos = m.end()
    out.extend(_norm_token(t, False) for t in _WORD.findall(text[pos:]))
    return ["id" if t == "ident" else t for t in out]


def record_text(record: Any) -> str:
    """The authored text of a record: user and assistant turns and tool calls."""
    rec = record if isinstance(record, dict) else record.to_dict()
    parts = []
    for msg in rec.get("messages", []):
        if msg.get("role") not in ("user", "assistant"):
            continue
        parts.append(msg.get("content") or "")
        for call in msg.get("tool_calls") or []:
            fn = call["function"]
            parts.append(fn["name"] + " " + orjson.dumps(fn["arguments"], option=orjson.OPT_SORT_KEYS).decode())
    return "\n".join(parts)


def shingles(tokens: list[str], n: int = NGRAM) -> set[str]:
    if len(tokens) < n:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass
class NearDupReport:
    total: int = 0
    near_duplicates: int = 0
    threshold: float = THRESHOLD
    examples: list[tuple[int, int, float]] = field(default_factory=list)  # (index, earlier index, jaccard)

    @property
    def share(self) -> float:
        return self.near_duplicates / self.total if self.total else 0.0


def near_duplicate_share(records: Iterable[Any], threshold: float = THRESHOLD, ngram: int = NGRAM,
                         num_perm: int = NUM_PERM, max_examples: int = 10) -> NearDupReport:
    """Share of records nearly identical (Jaccard >= ``threshold``) to an earlier record.

    ``records`` are Example objects, record dicts or plain strings; one streaming pass, memory is the
    shingle sets of the records seen (fine for a category; use it per category)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    # One set of permutations for all records (datasketch would draw them per MinHash) and crc32 in C
    # instead of sha1 per shingle: together most of the cost on large categories.
    template = MinHash(num_perm=num_perm)
    perms, scheme = template.permutations, template.scheme
    kept: dict[int, set[str]] = {}
    report = NearDupReport(threshold=threshold)
    for i, record in enumerate(records):
        text = record if isinstance(record, str) else record_text(record)
        sh = shingles(normalise(text), ngram)
        mh = MinHash(num_perm=num_perm, hashfunc=zlib.crc32, permutations=perms, scheme=scheme)
        mh.update_batch([s.encode("utf-8") for s in sh])
        best = 0.0
        best_j = -1
        for j in lsh.query(mh):
            other = kept[j]
            jac = len(sh & other) / len(sh | other)
            if jac > best:
                best, best_j = jac, j
        report.total += 1
        if best >= threshold:
            report.near_duplicates += 1
            if len(report.examples) < max_examples:
                report.examples.append((i, best_j, round(best, 3)))
        else:
            lsh.insert(i, mh)
            kept[i] = sh
    return report
