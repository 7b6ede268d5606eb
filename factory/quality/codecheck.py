"""Code checks for records: every fenced code block parses with its language's parser, and Python
blocks pass ``ruff check`` with ruff's default rules.

Python parses with :mod:`ast`; Rust, TypeScript, Go and JavaScript with the tree-sitter grammars from
PyPI (``tree-sitter-rust`` ...), which ship compiled and work offline. Ruff is a subprocess, so
:func:`ruff_check_sources` lints many blocks in one call; :func:`check_records` batches a whole
stream. Blocks in other languages (bash, json, diff, markdown ...) are not checked.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.MULTILINE | re.DOTALL)
LANGUAGE_ALIASES = {
    "python": "python", "py": "python", "python3": "python",
    "rust": "rust", "rs": "rust",
    "typescript": "typescript", "ts": "typescript", "tsx": "tsx",
    "go": "go", "golang": "go",
    "javascript": "javascript", "js": "javascript", "jsx": "javascript", "mjs": "javascript",
}
RUFF_BATCH = 400


@dataclass(frozen=True)
class CodeBlock:
    language: str  # normalised language, or the raw info string when not checked
    code: str
    where: str  # e.g. "messages[2] block 1"
    role: str = "assistant"  # who wrote it: user code must parse, assistant code must also lint


def extract_blocks(text: str, where: str = "", role: str = "assistant") -> list[CodeBlock]:
    out = []
    for i, m in enumerate(FENCE.finditer(text or ""), 1):
        info = m.group("info").strip().split()[0].lower() if m.group("info").strip() else ""
        lang = LANGUAGE_ALIASES.get(info, info)
        body = m.group("body")
        indent = m.group("indent")
        if indent:
            body = "\n".join(line.removeprefix(indent) for line in body.splitlines()) + "\n"
        out.append(CodeBlock(lang, body, f"{where} block {i}".strip(), role))
    return out


def record_blocks(example: Any) -> list[CodeBlock]:
    """Fenced blocks of every user/assistant message of an Example or record dict, and of the
    string arguments of tool calls that write files (their content is code too).

    Code the user pastes (the "before" side of an idiom or refactoring pair) may be unidiomatic: it
    must parse but is not linted. Code the assistant writes must parse and lint clean."""
    record = example if isinstance(example, dict) else example.to_dict()
    blocks = []
    for i, msg in enumerate(record.get("messages", [])):
        if msg.get("role") in ("user", "assistant"):
            blocks.extend(extract_blocks(msg.get("content") or "", f"messages[{i}]", msg["role"]))
        for call in msg.get("tool_calls") or []:
            args = call["function"]["arguments"]
            for key in ("contents", "content", "new_string"):
                value = args.get(key) if isinstance(args, dict) else None
                path = str(args.get("filepath") or args.get("file_path") or "")
                lang = LANGUAGE_ALIASES.get(Path(path).suffix.lstrip("."), "")
                if isinstance(value, str) and lang and key != "new_string":
                    blocks.append(CodeBlock(lang, value, f"messages[{i}] {call['function']['name']}.{key} {path}"))
    return blocks


@cache
def parser_for(language: str) -> Any:
    """A tree-sitter parser for ``language``, or None when its grammar package is not installed."""
    try:
        from tree_sitter import Language, Parser

        if language == "rust":
            import tree_sitter_rust as mod

            lang = mod.language()
        elif language in ("typescript", "tsx"):
            import tree_sitter_typescript as mod

            lang = mod.language_tsx() if language == "tsx" else mod.language_typescript()
        elif language == "go":
            import tree_sitter_go as mod

            lang = mod.language()
        elif language == "javascript":
            import tree_sitter_javascript as mod

            lang = mod.language()
        elif language == "python":
            import tree_sitter_python as mod

            lang = mod.language()
        else:
            return None
    except ImportError:
        return None
    return Parser(Language(lang))


def _first_error(node: Any) -> Any:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


def parse_error(block: CodeBlock) -> str | None:
    """Why the block does not parse, or None. Languages without a parser are not checked."""
    if block.language == "python":
        try:
            ast.parse(block.code)
        except SyntaxError as exc:
            return f"{block.where}: python does not parse: {exc.msg} (line {exc.lineno})"
        return None
    parser = parser_for(block.language) if block.language in set(LANGUAGE_ALIASES.values()) else None
    if parser is None:
        return None
    tree = parser.parse(block.code.encode("utf-8"))
    if tree.root_node.has_error:
        bad = _first_error(tree.root_node)
        line = bad.start_point[0] + 1 if bad is not None else "?"
        return f"{block.where}: {block.language} does not parse (syntax error near line {line})"
    return None


def _ruff_command() -> list[str]:
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(exe).exists():
        raise RuntimeError("ruff is not installed: pip install 'factory[quality]'")
    return [exe]


def ruff_check_sources(sources: list[str]) -> list[list[str]]:
    """Lint many Python sources with ruff's default rules in few subprocess calls.

    Returns, per source, its findings as ``"CODE message (line N)"``. Each batch writes the sources to
    a temporary directory and runs ``ruff check --isolated`` (default rules, no project config).
    """
    findings: list[list[str]] = [[] for _ in sources]
    for start in range(0, len(sources), RUFF_BATCH):
        chunk = sources[start : start + RUFF_BATCH]
        with tempfile.TemporaryDirectory(prefix="factory-ruff-") as tmp:
            names = []
            for i, src in enumerate(chunk):
                name = f"block_{start + i:06d}.py"
                Path(tmp, name).write_text(src, encoding="utf-8")
                names.append(name)
            proc = subprocess.run(
                [*_ruff_command(), "check", "--isolated", "--no-cache", "--output-format", "json",
                 "--exit-zero", *names],
                cwd=tmp, capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"ruff failed: {proc.stderr.strip()[:500]}")
            for item in json.loads(proc.stdout or "[]"):
                idx = int(Path(item["filename"]).stem.split("_")[1])
                row = item.get("location", {}).get("row")
                findings[idx].append(f"{item['code']} {item['message']} (line {row})")
    return findings


def check_blocks(blocks: list[CodeBlock], lint: bool = True) -> list[str]:
    problems = [p for b in blocks if (p := parse_error(b))]
    if lint:
        py = [b for b in blocks if b.language == "python" and b.role == "assistant" and parse_error(b) is None]
        for block, found in zip(py, ruff_check_sources([b.code for b in py])):
            problems.extend(f"{block.where}: ruff {f}" for f in found)
    return problems


def check_record_code(example: Any, lint: bool = True) -> list[str]:
    """Every reason the record's code fails: parse errors, and ruff findings on Python blocks."""
    return check_blocks(record_blocks(example), lint)


def check_records(records: Iterable[Any], lint: bool = True) -> list[list[str]]:
    """:func:`check_record_code` for many records with one ruff call per batch of Python blocks."""
    per_record: list[list[str]] = []
    py_blocks: list[tuple[int, CodeBlock]] = []
    for i, record in enumerate(records):
        blocks = record_blocks(record)
        problems = [p for b in blocks if (p := parse_error(b))]
        per_record.append(problems)
        if lint:
            py_blocks.extend((i, b) for b in blocks if b.language == "python" and b.role == "assistant"
                             and not any(p.startswith(b.where + ":") for p in problems))
    if py_blocks:
        for (i, block), found in zip(py_blocks, ruff_check_sources([b.code for _, b in py_blocks])):
            per_record[i].extend(f"{block.where}: ruff {f}" for f in found)
    return per_record
