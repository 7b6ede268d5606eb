"""Grounded tool results: read-only tool calls really executed, confined, against a real source tree.

A :class:`Workspace` wraps a directory (one of the fixture repositories shipped in
``factory/sandbox/repos/``, or one the user names with ``FACTORY_GROUNDING_REPO``) and executes the read-only tools the records use:
the Continue extension's ``read_file``, ``read_file_range``, ``ls``, ``file_glob_search``,
``grep_search``, ``view_subdirectory``; the Claude-Code-like ``read``, ``glob``, ``grep``; and the
powertools (``index``, ``goto_definition``, ``find_references``, ``functions``, ``classes``, ``stats``).
Editing tools are checked as a dry run (the file exists, ``old_string`` occurs) and write nothing.

Every path is resolved and must stay inside the root; a call that fails returns ``ok=False`` with the
reason, which is what the generators drop records for (APIGen's execution check) and what
:func:`verify_records` reports. Results are cached per call: the tree is small and read-only.
"""

from __future__ import annotations

import ast
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import orjson

FIXTURE_REPO = Path(__file__).with_name("repos") / "shoplite"  # the default workspace
REPO_ENV = "FACTORY_GROUNDING_REPO"
SKIP_DIRS = {".git", "__pycache__", "node_modules", "target", ".venv", ".mypy_cache", ".pytest_cache"}
MAX_LINES = 400
MAX_MATCHES = 30  # search hits shown, then a '... (N more matches)' line, as agents cap output
# Patterns with a part that may match a line break or look past one (see Workspace._grep_lines):
# escapes other than \d \w \b \B and punctuation (\s, \n, \x0a, \A, \Z, \K, ...), negated
# classes, any (? but (?: (lookaround, inline flags), verbs, fuzzy limits, and control characters
# (a literal tab can start a range that holds the line break). And the line breaks other than "\n"
# that str.splitlines() knows.
_MAY_CROSS_A_LINE = re.compile(r"\\[^dwbB\W]|\[\^|\(\?(?!:)|\(\*|\{[^}]*[A-Za-z]|[\x00-\x1f\x7f]")
_OTHER_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

LANGUAGE_BY_SUFFIX = {".py": "python", ".rs": "rust", ".ts": "typescript", ".go": "go", ".js": "javascript"}
# Tools whose results are executed here; everything else in a record is authored text.
READ_ONLY_TOOLS = frozenset({
    "read_file", "read_file_range", "ls", "file_glob_search", "grep_search", "view_subdirectory",
    "read", "glob", "grep",
    "index", "goto_definition", "find_references", "functions", "classes", "stats",
})
DRY_RUN_TOOLS = frozenset({"edit_existing_file", "single_find_and_replace", "edit", "create_new_file", "write"})


@dataclass(frozen=True)
class ToolOutcome:
    ok: bool
    output: str  # the tool result text, or the reason the call failed


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # function | method | class | struct | interface | type | enum | trait
    file: str
    line: int
    signature: str

    @property
    def described(self) -> str:
        """The kind and the declaration line, without saying the kind twice ("class Cart", not
        "class class Cart"; "function def total(...)" stays: Python spells functions ``def``)."""
        first = self.signature.split(" ", 1)[0]
        return self.signature if first == self.kind else f"{self.kind} {self.signature}"


class CallFailed(Exception):
    pass


@lru_cache(maxsize=8)
def open_workspace(root: str) -> Workspace:
    """The workspace at ``root``, opened once per process (its tree and symbol index are cached)."""
    return Workspace(root)


def default_workspace_root() -> Path:
    return Path(os.environ.get(REPO_ENV) or FIXTURE_REPO)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob with ``**`` as a regex over posix paths (fnmatch cannot express ``**/``)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "{" and "}" in pattern[i:]:
            end = pattern.index("}", i)
            out.append("(?:" + "|".join(re.escape(p) for p in pattern[i + 1 : end].split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


class Workspace:
    """A read-only source tree that executes tool calls against itself."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root or default_workspace_root()).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"grounding workspace {self.root} is not a directory ({REPO_ENV})")
        self._cache: dict[bytes, ToolOutcome] = {}
        self._texts: dict[str, str] = {}
        self.handlers: dict[str, Callable[..., str]] = {
            "read_file": self._read_file, "read_file_range": self._read_file_range, "ls": self._ls,
            "file_glob_search": self._file_glob_search, "grep_search": self._grep_search,
            "view_subdirectory": self._view_subdirectory,
            "read": self._read, "glob": self._glob, "grep": self._grep,
            "index": self._index, "goto_definition": self._goto_definition,
            "find_references": self._find_references, "functions": self._functions,
            "classes": self._classes, "stats": self._stats,
            "edit_existing_file": self._dry_edit, "single_find_and_replace": self._dry_edit,
            "edit": self._dry_edit, "create_new_file": self._dry_create, "write": self._dry_write,
        }

    # -- the tree ----------------------------------------------------------------------------------
    @cached_property
    def files(self) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(filenames):
                rel = Path(dirpath, name).relative_to(self.root).as_posix()
                found.append(rel)
        return sorted(found)

    @cached_property
    def dirs(self) -> list[str]:
        out = {str(Path(f).parent.as_posix()) for f in self.files}
        for d in list(out):
            parts = d.split("/")
            out.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return sorted(d for d in out if d != ".")

    def resolve(self, raw: Any, must_exist: bool = True) -> str:
        """A path argument as a posix path relative to the root; refuses anything outside it."""
        if not isinstance(raw, str) or not raw.strip():
            raise CallFailed("path argument is empty")
        text = raw.strip().removeprefix("file://")
        if text.startswith("~"):
            raise CallFailed(f"'{raw}' is outside the workspace")
        path = (self.root / text).resolve() if not os.path.isabs(text) else Path(text).resolve()
        if path != self.root and not path.is_relative_to(self.root):
            raise CallFailed(f"'{raw}' is outside the workspace")
        rel = path.relative_to(self.root).as_posix()
        if must_exist and not path.exists():
            raise CallFailed(f"no such file or directory: {rel}")
        return rel

    def text(self, rel: str) -> str:
        if rel not in self._texts:
            try:
                self._texts[rel] = (self.root / rel).read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise CallFailed(f"{rel} is not a UTF-8 text file") from None
        return self._texts[rel]

    def _file(self, raw: Any) -> str:
        rel = self.resolve(raw)
        if (self.root / rel).is_dir():
            raise CallFailed(f"{rel} is a directory, not a file")
        return rel

    # -- execution ---------------------------------------------------------------------------------
    def can_execute(self, name: str) -> bool:
        return name in self.handlers

    def execute(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        key = orjson.dumps([name, arguments], option=orjson.OPT_SORT_KEYS)
        hit = self._cache.get(key)
        if hit is None:
            handler = self.handlers.get(name)
            if handler is None:
                hit = ToolOutcome(False, f"tool '{name}' cannot be executed read-only")
            else:
                try:
                    hit = ToolOutcome(True, handler(**arguments))
                except CallFailed as exc:
                    hit = ToolOutcome(False, str(exc))
                except TypeError as exc:
                    hit = ToolOutcome(False, f"bad arguments for {name}: {exc}")
            self._cache[key] = hit
        return hit

    # -- Continue tools ----------------------------------------------------------------------------
    def _read_file(self, filepath: str) -> str:
        lines = self.text(self._file(filepath)).splitlines()
        more = f"\n... ({len(lines) - MAX_LINES} more lines)" if len(lines) > MAX_LINES else ""
        return "\n".join(lines[:MAX_LINES]) + more

    def _read_file_range(self, filepath: str, startLine: int, endLine: int) -> str:
        lines = self.text(self._file(filepath)).splitlines()
        if not 1 <= startLine <= endLine or startLine > len(lines):
            raise CallFailed(f"line range {startLine}-{endLine} is outside {filepath} ({len(lines)} lines)")
        return "\n".join(lines[startLine - 1 : endLine])

    def _ls(self, dirPath: str = ".", recursive: bool = False) -> str:
        rel = self.resolve(dirPath or ".")
        if not (self.root / rel).is_dir():
            raise CallFailed(f"{rel} is not a directory")
        prefix = "" if rel == "." else rel + "/"
        entries: set[str] = set()
        for f in self.files:
            if not f.startswith(prefix):
                continue
            rest = f[len(prefix):]
            if recursive:
                entries.add(rest)
            else:
                head, sep, _ = rest.partition("/")
                entries.add(head + ("/" if sep else ""))
        return "\n".join(sorted(entries))

    def _matching(self, pattern: str, base: str = ".") -> list[str]:
        if not isinstance(pattern, str) or not pattern:
            raise CallFailed("glob pattern is empty")
        rx = glob_regex(pattern)
        prefix = "" if base == "." else base + "/"
        out = []
        for f in self.files:
            if not f.startswith(prefix):
                continue
            rest = f[len(prefix):]
            if rx.match(rest) or ("/" not in pattern and rx.match(rest.rsplit("/", 1)[-1])):
                out.append(f)
        return out

    def _file_glob_search(self, pattern: str) -> str:
        hits = self._matching(pattern)
        if not hits:
            raise CallFailed(f"no files match '{pattern}'")
        return "\n".join(hits)

    # Seconds a search may take, or None: the templates' own patterns run with ``re``; a model's patterns
    # (rollouts) run with the ``regex`` package under this limit, so a catastrophic one cannot hold a worker.
    search_seconds: float | None = None

    def _engine(self) -> Any:
        """The regular-expression module patterns are compiled with (see ``search_seconds``)."""
        if self.search_seconds is None:
            return re
        import regex

        return regex

    def _regex(self, query: str) -> Any:
        if not isinstance(query, str) or not query:
            raise CallFailed("search pattern is empty")
        engine = self._engine()
        try:
            return engine.compile(query)
        except (re.error, getattr(engine, "error", re.error)) as exc:
            raise CallFailed(f"invalid regular expression '{query}': {exc}") from None

    def _grep_lines(self, rx: Any, files: Iterable[str]) -> list[tuple[str, int, str]]:
        """The lines of ``files`` that ``rx`` matches, as ``grep`` finds them: line by line.

        Searching a whole file at once is about ten times faster, and finds the same lines when no
        part of the pattern can match a line break or look past one (``_MAY_CROSS_A_LINE``) and the
        file breaks lines only with ``\\n``: every match then lies within one line, and is found at
        the same place as in that line alone (``^``/``$`` match at line ends, ``\\b`` sees the line
        break as a non-word character), with no more backtracking than the line allows. The lines
        the whole-text matches fall in are the candidates, each checked on its own; other patterns
        and files are searched line by line."""
        hits: list[tuple[str, int, str]] = []
        limit = self.search_seconds
        deadline = time.monotonic() + limit if limit is not None else None

        def left() -> dict[str, float]:
            if deadline is None:
                return {}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            return {"timeout": remaining}

        engine = self._engine()
        whole = None if _MAY_CROSS_A_LINE.search(rx.pattern) else engine.compile(rx.pattern, rx.flags | engine.MULTILINE)
        try:
            for f in files:
                try:
                    text = self.text(f)
                except CallFailed:
                    continue
                if whole is None or _OTHER_LINE_BREAKS.search(text):
                    hits.extend((f, n, line.strip()) for n, line in enumerate(text.splitlines(), 1)
                                if rx.search(line, **left()))
                    continue
                lines: list[str] = []
                last = text.count("\n") + (not text.endswith("\n")) if text else 0  # as splitlines() counts
                pos, line_no, checked = 0, 1, 0
                for m in whole.finditer(text, **left()):
                    line_no += text.count("\n", pos, m.start())
                    pos = m.start()
                    end = line_no + text.count("\n", pos, max(pos, m.end() - 1))
                    lines = lines or text.split("\n")
                    for n in range(max(line_no, checked + 1), min(end, last) + 1):
                        if rx.search(lines[n - 1], **left()):
                            hits.append((f, n, lines[n - 1].strip()))
                    checked = max(checked, end)
        except TimeoutError:
            raise CallFailed(f"the search took longer than {limit:g} s and was stopped; use a simpler "
                             "pattern or narrow the path") from None
        return hits

    def _grep_search(self, query: str) -> str:
        hits = self._grep_lines(self._regex(query), self.files)
        if not hits:
            return f"No matches found for '{query}'"
        shown = [f"{f}:{n}: {line}" for f, n, line in hits[:MAX_MATCHES]]
        if len(hits) > MAX_MATCHES:
            shown.append(f"... ({len(hits) - MAX_MATCHES} more matches)")
        return "\n".join(shown)

    def _view_subdirectory(self, directory_path: str) -> str:
        return self._ls(directory_path, recursive=True)

    # -- Claude-Code-like tools --------------------------------------------------------------------
    def _read(self, file_path: str, offset: int = 1, limit: int = MAX_LINES) -> str:
        lines = self.text(self._file(file_path)).splitlines()
        if offset < 1 or offset > max(1, len(lines)):
            raise CallFailed(f"offset {offset} is past the end of {file_path} ({len(lines)} lines)")
        chosen = lines[offset - 1 : offset - 1 + limit]
        return "\n".join(f"{i:>6}\t{line}" for i, line in enumerate(chosen, offset))

    def _glob(self, pattern: str, path: str = ".") -> str:
        base = self.resolve(path)
        hits = self._matching(pattern, base)
        return "\n".join(hits) if hits else "No files found"

    def _grep(self, pattern: str, path: str = ".", glob: str | None = None,
              output_mode: str = "files_with_matches") -> str:
        base = self.resolve(path)
        if (self.root / base).is_file():
            files = [base]
        else:
            files = self._matching(glob, base) if glob else [
                f for f in self.files if base == "." or f.startswith(base + "/")]
        hits = self._grep_lines(self._regex(pattern), files)
        if not hits:
            return "No matches found"
        if output_mode == "content":
            shown = [f"{f}:{n}:{line}" for f, n, line in hits[:MAX_MATCHES]]
            if len(hits) > MAX_MATCHES:
                shown.append(f"... ({len(hits) - MAX_MATCHES} more matches)")
            return "\n".join(shown)
        if output_mode == "count":
            counts = Counter(f for f, _, _ in hits)
            return "\n".join(f"{f}:{n}" for f, n in sorted(counts.items()))
        if output_mode != "files_with_matches":
            raise CallFailed(f"output_mode must be content, files_with_matches or count, not '{output_mode}'")
        return "\n".join(sorted({f for f, _, _ in hits}))

    # -- powertools --------------------------------------------------------------------------------
    @cached_property
    def symbols(self) -> list[Symbol]:
        out: list[Symbol] = []
        for f in self.files:
            lang = LANGUAGE_BY_SUFFIX.get(Path(f).suffix)
            if lang == "python":
                out.extend(_python_symbols(f, self.text(f)))
            elif lang:
                out.extend(_tree_sitter_symbols(f, self.text(f), lang))
        return out

    def _index(self, path: str = ".") -> str:
        base = self.resolve(path)
        files = [f for f in self.files if Path(f).suffix in LANGUAGE_BY_SUFFIX
                 and (base == "." or f.startswith(base + "/"))]
        syms = [s for s in self.symbols if s.file in set(files)]
        langs = Counter(LANGUAGE_BY_SUFFIX[Path(f).suffix] for f in files)
        per = ", ".join(f"{lang} {n}" for lang, n in sorted(langs.items()))
        return f"Indexed {len(files)} source files ({per}); {len(syms)} symbols."

    def _definitions(self, symbol: str) -> list[Symbol]:
        if not isinstance(symbol, str) or not symbol:
            raise CallFailed("symbol is empty")
        name = symbol.rsplit(".", 1)[-1]
        return [s for s in self.symbols if s.name == name]

    def _goto_definition(self, symbol: str, file: str | None = None) -> str:
        found = self._definitions(symbol)
        if file is not None:
            rel = self._file(file)
            found = [s for s in found if s.file == rel]
        if not found:
            raise CallFailed(f"no definition found for '{symbol}'")
        return "\n".join(f"{s.file}:{s.line}: {s.described}" for s in found)

    def _find_references(self, symbol: str) -> str:
        if not self._definitions(symbol):
            raise CallFailed(f"unknown symbol '{symbol}' (run goto_definition or index first)")
        name = symbol.rsplit(".", 1)[-1]
        hits = self._grep_lines(self._regex(rf"\b{re.escape(name)}\b"),
                                [f for f in self.files if Path(f).suffix in LANGUAGE_BY_SUFFIX])
        shown = [f"{f}:{n}: {line}" for f, n, line in hits[:MAX_MATCHES]]
        return f"{len(hits)} references to {name}:\n" + "\n".join(shown)

    def _symbols_in(self, file: str, kinds: set[str]) -> str:
        rel = self._file(file)
        if Path(rel).suffix not in LANGUAGE_BY_SUFFIX:
            raise CallFailed(f"{rel} is not a source file the index understands")
        found = [s for s in self.symbols if s.file == rel and s.kind in kinds]
        if not found:
            return f"No {'/'.join(sorted(kinds))} definitions in {rel}"
        return "\n".join(f"{s.line}: {s.described}" for s in found)

    def _functions(self, file: str) -> str:
        return self._symbols_in(file, {"function", "method"})

    def _classes(self, file: str) -> str:
        return self._symbols_in(file, {"class", "struct", "interface", "type", "enum", "trait"})

    def _stats(self) -> str:
        langs: Counter = Counter()
        lines: Counter = Counter()
        for f in self.files:
            lang = LANGUAGE_BY_SUFFIX.get(Path(f).suffix)
            if lang:
                langs[lang] += 1
                lines[lang] += len(self.text(f).splitlines())
        kinds = Counter(s.kind for s in self.symbols)
        rows = [f"{lang}: {langs[lang]} files, {lines[lang]} lines" for lang in sorted(langs)]
        rows.append("symbols: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        return "\n".join(rows)

    # -- editing tools, dry run --------------------------------------------------------------------
    def _dry_edit(self, filepath: str | None = None, old_string: str | None = None, new_string: str = "",
                  replace_all: bool = False, file_path: str | None = None, changes: str | None = None) -> str:
        rel = self._file(filepath or file_path)
        if changes is not None:  # Continue's edit_existing_file takes a whole-file rewrite
            return f"Applied changes to {rel}"
        count = self.text(rel).count(old_string or "\0")
        if count == 0:
            raise CallFailed(f"old_string not found in {rel}")
        if count > 1 and not replace_all:
            raise CallFailed(f"old_string occurs {count} times in {rel}; give more context or replace_all")
        if old_string == new_string:
            raise CallFailed("old_string and new_string are the same")
        return f"Edited {rel}: {count} replacement{'s' if count > 1 else ''}"

    def _dry_create(self, filepath: str, contents: str) -> str:
        rel = self.resolve(filepath, must_exist=False)
        if (self.root / rel).exists():
            raise CallFailed(f"{rel} already exists; edit it instead")
        return f"Created {rel}"

    def _dry_write(self, file_path: str, content: str) -> str:
        rel = self.resolve(file_path, must_exist=False)
        return f"Wrote {len(content.splitlines())} lines to {rel}"


def _python_symbols(rel: str, text: str) -> list[Symbol]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    lines = text.splitlines()
    out = []

    def visit(body: list[ast.stmt], in_class: bool) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                kind = "method" if in_class else "function"
                out.append(Symbol(node.name, kind, rel, node.lineno, lines[node.lineno - 1].strip().rstrip(":")))
            elif isinstance(node, ast.ClassDef):
                out.append(Symbol(node.name, "class", rel, node.lineno, lines[node.lineno - 1].strip().rstrip(":")))
                visit(node.body, True)

    visit(tree.body, False)
    return out


_TS_KINDS = {
    "rust": {"function_item": "function", "struct_item": "struct", "enum_item": "enum", "trait_item": "trait"},
    "go": {"function_declaration": "function", "method_declaration": "method", "type_spec": "type"},
    "typescript": {"function_declaration": "function", "class_declaration": "class",
                   "interface_declaration": "interface", "type_alias_declaration": "type",
                   "method_definition": "method"},
    "javascript": {"function_declaration": "function", "class_declaration": "class",
                   "method_definition": "method"},
}


def _tree_sitter_symbols(rel: str, text: str, lang: str) -> list[Symbol]:
    from factory.quality.codecheck import parser_for

    parser = parser_for(lang)
    if parser is None:
        return []
    data = text.encode("utf-8")
    tree = parser.parse(data)
    kinds = _TS_KINDS[lang]
    out = []
    stack = [(tree.root_node, False)]
    while stack:
        node, in_impl = stack.pop()
        kind = kinds.get(node.type)
        if kind:
            name_node = node.child_by_field_name("name")
            if name_node is not None:
                name = data[name_node.start_byte:name_node.end_byte].decode()
                if lang == "rust" and kind == "function" and in_impl:
                    kind = "method"
                line = data[node.start_byte:].split(b"\n", 1)[0].decode().strip().rstrip("{").strip()
                out.append(Symbol(name, kind, rel, node.start_point[0] + 1, line))
        for child in reversed(node.children):
            stack.append((child, in_impl or node.type == "impl_item"))
    return sorted(out, key=lambda s: s.line)


# -- verification of records ---------------------------------------------------------------------
@dataclass
class GroundingReport:
    """Pass rate of executed tool calls: ``checked`` read-only calls, ``matched`` whose recorded
    result equals a fresh execution; ``failures`` maps reasons to counts."""

    records: int = 0
    checked: int = 0
    matched: int = 0
    failures: Counter = field(default_factory=Counter)

    @property
    def pass_rate(self) -> float:
        return self.matched / self.checked if self.checked else 1.0

    def add(self, other: GroundingReport) -> None:
        self.records += other.records
        self.checked += other.checked
        self.matched += other.matched
        self.failures.update(other.failures)


def verify_record(record: dict[str, Any], workspace: Workspace) -> list[str]:
    """Re-execute every read-only call of a record and compare with its tool result. Calls the record
    presents as failing (a result starting ``error:``) must fail now too, with the same reason. A call
    with no result in the record (a record that ends on its calls: they are the answer) is not run."""
    results = {m.get("tool_call_id"): m.get("content", "") for m in record.get("messages", [])
               if m.get("role") == "tool"}
    problems = []
    for msg in record.get("messages", []):
        for call in msg.get("tool_calls") or []:
            name, args = call["function"]["name"], call["function"]["arguments"]
            if name not in READ_ONLY_TOOLS or call["id"] not in results:
                continue
            outcome = workspace.execute(name, args)
            recorded = results.get(call["id"])
            expected = outcome.output if outcome.ok else f"error: {outcome.output}"
            if recorded != expected:
                why = outcome.output if not outcome.ok else "recorded result differs from execution"
                problems.append(f"{name}: {why}")
    return problems


def fixture_workspace(name: str) -> Workspace | None:
    """The shipped fixture repository called ``name`` (``fixture_repo``, the name records had before
    there were several, is ``shoplite``)."""
    from factory.sandbox.fixtures import REPOS

    repo = REPOS.get({"fixture_repo": "shoplite"}.get(name, name))
    return open_workspace(str(repo.root.resolve())) if repo else None


def grounded_in(record: dict[str, Any]) -> str | None:
    """The directory name of the workspace a grounded record names (``meta.grounding.workspace``)."""
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    grounding = meta.get("grounding") if isinstance(meta.get("grounding"), dict) else {}
    name = grounding.get("workspace")
    return str(name) if name else None


def record_workspace(record: dict[str, Any], default: Workspace) -> Workspace:
    """The workspace a record names in ``meta.grounding.workspace`` when it is a shipped fixture
    repository other than ``default``; else ``default``."""
    name = grounded_in(record)
    if not name or name == default.root.name:
        return default
    return fixture_workspace(name) or default


def verify_records(records: Iterable[dict[str, Any]], workspace: Workspace) -> GroundingReport:
    """Re-execute the read-only calls of ``records``: each against the fixture repository it names, or
    ``workspace``."""
    report = GroundingReport()
    for record in records:
        report.records += 1
        answered = {m.get("tool_call_id") for m in record.get("messages", []) if m.get("role") == "tool"}
        calls = sum(1 for m in record.get("messages", []) for c in m.get("tool_calls") or []
                    if c["function"]["name"] in READ_ONLY_TOOLS and c["id"] in answered)
        problems = verify_record(record, record_workspace(record, workspace))
        report.checked += calls
        report.matched += calls - len(problems)
        report.failures.update(p.split(":", 1)[0] + ":" + p.split(":", 1)[1][:60] for p in problems)
    return report
