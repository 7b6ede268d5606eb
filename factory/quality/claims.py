"""Claim consistency: what an assistant says about a result it has seen must agree with that result.

For every assistant turn, statements about earlier tool results are read from the text and compared
with the results themselves (the state :func:`factory.quality.transcript.replay` reconstructs):

- ``search`` -- "nothing matches `P`" after a search for P that found hits, and hit, line and file
  counts for a search ("`P` occurs on 3 lines", "appears in 2 files", "4 files match `G`");
- ``file`` -- a file's length ("`F` (40 lines)", "`F` is 40 lines long"), the names it is said to
  define, and the lines a range read is said to show;
- ``location`` -- "`S` is defined at `F:N`" and any cited `F:N` inside a file the conversation showed;
- ``tests`` -- passing or failing claims right after a test run, and counts of passed tests;
- ``exit`` -- an exit code stated differently from the one a result showed;
- ``tools`` -- a tool the assistant says it has that the record does not offer;
- ``echo`` -- a keyword doubled the way a badly formatted result reads ("class class X").

Only statements the check can read are judged: an unreadable or unsupported sentence is never an
error, a readable one that disagrees with the result always is. Works on any record, whatever made it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from factory.quality.transcript import Seen, Turn, norm_path, path_of, replay
from factory.sandbox.workspace import Workspace

SEARCH_TOOLS = {"grep", "grep_search", "find_references", "glob", "file_glob_search", "codebase"}
FILE_SEARCHES = {"glob", "file_glob_search"}
SHELL_TOOLS = {"bash", "run_terminal_command"}
TEST_COMMAND = re.compile(r"\b(?:pytest|go test|cargo test|npm (?:run )?test|yarn test|jest|vitest|unittest)\b"
                          r"|\bnode (?:--test\b|--test-reporter=\S+ --test\b)")

GREP_ROW = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):")  # path:line: text -- one search hit
_MORE = re.compile(r"^\.\.\. \((\d+) more matches\)$", re.MULTILINE)
_EMPTY = ("No matches found", "No files found", "No files match")
_TICK = r"`([^`\n]+)`"


def pattern_of(seen: Seen) -> str | None:
    args = seen.args
    for key in ("pattern", "query", "symbol"):
        if isinstance(args.get(key), str):
            return args[key]
    return None


def search_hits(seen: Seen) -> tuple[int, set[str]] | None:
    """(matching lines, matching files) a search result shows, counting the hits it says it left out;
    None when the result is not a search listing the check understands."""
    out = seen.output or ""
    if seen.failed:
        return (0, set()) if seen.name in FILE_SEARCHES else None
    if not out.strip() or out.startswith(_EMPTY):
        return 0, set()
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if seen.name in FILE_SEARCHES:
        return len(lines), set(lines)
    if seen.name == "grep" and seen.args.get("output_mode", "files_with_matches") == "files_with_matches":
        return None, set(lines)  # type: ignore[return-value]  # files only: no line count
    if seen.name == "grep" and seen.args.get("output_mode") == "count":
        rows = [ln.rsplit(":", 1) for ln in lines if ":" in ln]
        return sum(int(n) for _, n in rows if n.isdigit()), {f for f, _ in rows}
    if seen.name in ("grep", "grep_search", "find_references"):
        rows = [m for m in map(GREP_ROW.match, lines) if m]
        hidden = sum(int(n) for n in _MORE.findall(out))
        if seen.name == "find_references":
            head = re.match(r"^(\d+) references? to ", out)
            if head:
                return int(head.group(1)), {m.group("file") for m in rows}
        return len(rows) + hidden, {m.group("file") for m in rows}
    return None


def _latest_search(before: list[Seen], pattern: str) -> Seen | None:
    for seen in reversed(before):
        if seen.name in SEARCH_TOOLS and pattern_of(seen) == pattern:
            return seen
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


_EMPTY_CLAIMS = [re.compile(p) for p in (
    rf"Nothing matches {_TICK}", rf"[Tt]he search for {_TICK} came back empty", rf"No files match {_TICK}",
    rf"[Nn]o (?:matches|results|hits) for {_TICK}",
    rf"{_TICK} (?:does not occur|doesn't occur|is not used|has no matches|matches nothing)")]
_COUNT_CLAIMS = [(re.compile(p), unit) for p, unit in (
    (rf"{_TICK} (?:occurs on|matches|is on) (\d+) lines?", "lines"),
    (rf"[Tt]he search for {_TICK} finds (\d+) hits?", "lines"),
    (rf"{_TICK} (?:appears|occurs|is used) in (\d+) files?", "files"),
    (rf"(\d+) files? match(?:es)? {_TICK}", "files*"))]


def search_claims(text: str, before: list[Seen]) -> Iterable[str]:
    for rx in _EMPTY_CLAIMS:
        for m in rx.finditer(text):
            seen = _latest_search(before, m.group(1))
            hits = search_hits(seen) if seen else None
            if hits is not None and (hits[0] or hits[1]):
                n = hits[0] if hits[0] is not None else len(hits[1])
                yield f"claim search: says nothing matches `{m.group(1)}`, but the {seen.name} result shows {n} hit(s)"
    for rx, unit in _COUNT_CLAIMS:
        for m in rx.finditer(text):
            pattern, n = (m.group(2), int(m.group(1))) if unit == "files*" else (m.group(1), int(m.group(2)))
            seen = _latest_search(before, pattern)
            hits = search_hits(seen) if seen else None
            if hits is None:
                continue
            real = len(hits[1]) if unit.startswith("files") else hits[0]
            if real is not None and real != n:
                what = "file" if unit.startswith("files") else "line"
                yield (f"claim search: says `{pattern}` has {_plural(n, what)}, but the {seen.name} result "
                       f"shows {_plural(real, what)}")


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return text[left + 1: right]


def file_claims(text: str, turn: Turn) -> Iterable[str]:
    files = turn.files
    for rx in (rf"{_TICK} \((\d+) lines\)", rf"{_TICK} is (\d+) lines long", rf"{_TICK} has (\d+) lines\b",
               rf"{_TICK} starts with .{{0,120}}? and runs (\d+) lines", rf"In {_TICK} I see .{{0,200}}? across (\d+) lines"):
        for m in re.finditer(rx, text):
            path = norm_path(m.group(1))
            whole = files.text(path)
            if whole is None:
                continue
            real = len(whole.splitlines())
            if real != int(m.group(2)):
                yield f"claim file: says `{m.group(1)}` has {m.group(2)} lines, but it has {real}"
    # Names a file is said to define must be in it.
    for m in re.finditer(rf"{_TICK}[^.\n]{{0,40}}?(?:defines|top-level names are|I see) ((?:`[^`\n]+`(?:, | and )?)+)", text):
        whole = files.text(norm_path(m.group(1)))
        if whole is None:
            continue
        for name in re.findall(_TICK, m.group(2)):
            if not re.search(rf"\b{re.escape(name)}\b", whole):
                yield f"claim file: says `{m.group(1)}` defines `{name}`, which it does not contain"
    # "Lines a-b of `F`": the lines a read showed, and the names said to be in them.
    for m in re.finditer(rf"Lines (\d+)-(\d+) of {_TICK}", text):
        path = norm_path(m.group(3))
        shown = files.shown.get(path or "")
        a, b = int(m.group(1)), int(m.group(2))
        if not shown:
            continue
        missing = [n for n in range(a, b + 1) if n not in shown]
        if missing:
            yield f"claim file: cites lines {a}-{b} of `{m.group(3)}`, but line {missing[0]} was never shown"
            continue
        sentence = _sentence_around(text, m.start(), m.end())
        held = re.search(r"(?:hold|cover|contain)s? ((?:`[^`\n]+`(?:, | and )?)+)", sentence)
        if held:
            body = "\n".join(shown[n] for n in range(a, b + 1))
            for name in re.findall(_TICK, held.group(1)):
                if name != m.group(3) and not re.search(rf"\b{re.escape(name)}\b", body):
                    yield f"claim file: says lines {a}-{b} of `{m.group(3)}` hold `{name}`, which they do not"


_LOC = re.compile(r"`(?P<file>[\w./-]+\.[A-Za-z]+):(?P<line>\d+)`")


def location_claims(text: str, turn: Turn) -> Iterable[str]:
    files = turn.files
    loc = r"`([\w./-]+\.[A-Za-z]+):(\d+)`"
    for m in re.finditer(rf"(?:{_TICK} is defined at|[Tt]he definition of {_TICK} lives at) {loc}", text):
        name = m.group(1) or m.group(2)
        file, line = m.group(3), int(m.group(4))
        shown = files.shown.get(norm_path(file) or "", {})
        rows = [s for s in turn.before if (s.output or "") and re.search(
            rf"^{re.escape(file)}:{line}:", s.output or "", re.MULTILINE)]
        whole = files.text(norm_path(file))
        body = shown.get(line) or (whole.splitlines()[line - 1] if whole and line <= len(whole.splitlines()) else None)
        if rows or body is not None:
            evidence = body or "".join(s.output or "" for s in rows)
            if not re.search(rf"\b{re.escape(name.rsplit('.', 1)[-1])}\b", evidence):
                yield f"claim location: says `{name}` is defined at `{file}:{line}`, but that line does not name it"
    for m in _LOC.finditer(text):
        whole = files.text(norm_path(m.group("file")))
        if whole is not None and int(m.group("line")) > len(whole.splitlines()):
            yield f"claim location: cites `{m.group(0)[1:-1]}`, past the end of the file ({len(whole.splitlines())} lines)"


def test_outcome(seen: Seen) -> tuple[str, int | None] | None:
    """('pass' | 'fail', passed count) of a test run's output; None when it is not one."""
    if seen.name not in SHELL_TOOLS or not TEST_COMMAND.search(str(seen.args.get("command", ""))):
        return None
    out = seen.output or ""
    if re.match(r"\.*X?$", out.split("\n", 1)[0]) and out.strip() and "node" in str(seen.args.get("command", "")):
        # Node's dot reporter: a dot per passing test, an X per failing one, then the failures
        first = out.split("\n", 1)[0]
        return ("fail" if "X" in first or "Failed tests:" in out else "pass"), first.count(".")
    passed = re.search(r"\b(\d+) passed\b", out)
    n = int(passed.group(1)) if passed else None
    if re.search(r"\b\d+ failed\b|\bFAILED\b|^FAIL\b|\b\d+ errors?\b|test result: FAILED|^E\s", out, re.MULTILINE):
        return "fail", n
    if passed or re.search(r"^ok\s|test result: ok|\bTests:\s+\d+ passed", out, re.MULTILINE):
        return "pass", n
    return None


_SAYS_PASS = re.compile(r"\b(?:passes|pass) now\b|\bnow pass(?:es)?\b|\ball (?:\d+ )?tests? pass|\bsuite (?:still )?passes\b"
                        r"|\beverything passes\b|\ball green\b|\bit passes\b|\btests? (?:is|are) green\b", re.IGNORECASE)
_SAYS_FAIL = re.compile(r"\bfails? (?:as expected|for the (?:right|predicted) reason|as predicted|as reported)\b"
                        r"|\bfailure confirmed\b|\bred, as expected\b|\bit reproduces\b|\bthe test fails\b|\bstill fails\b",
                        re.IGNORECASE)


def test_claims(text: str, turn: Turn) -> Iterable[str]:
    runs = [(s, o) for s in turn.last_results() if (o := test_outcome(s))]
    if runs:
        outcome = runs[-1][1][0]
        if outcome == "pass" and (m := _SAYS_FAIL.search(text)):
            yield f"claim tests: says \"{m.group(0)}\" right after a test run that passed"
        if outcome == "fail" and (m := _SAYS_PASS.search(text)):
            yield f"claim tests: says \"{m.group(0)}\" right after a test run that failed"
    counts = {o[1] for s in turn.before if (o := test_outcome(s)) and o[1] is not None}
    if counts:
        for m in re.finditer(r"\b(\d+) (?:tests? )?passed\b|\ball (\d+) tests? pass", text):
            n = int(m.group(1) or m.group(2))
            if n not in counts:
                yield f"claim tests: says {n} passed, but the runs shown passed {', '.join(map(str, sorted(counts)))}"


def exit_claims(text: str, turn: Turn) -> Iterable[str]:
    codes = []
    for s in turn.last_results():
        for m in re.finditer(r"exit (?:code|status)[:= ]+(\d+)", s.output or "", re.IGNORECASE):
            codes.append(int(m.group(1)))
    if not codes:
        return
    for m in re.finditer(r"\bexit(?:ed)? (?:with )?(?:code|status) (\d+)\b", text, re.IGNORECASE):
        if int(m.group(1)) not in codes:
            yield f"claim exit: says exit code {m.group(1)}, but the result shows {', '.join(map(str, codes))}"


def tool_claims(text: str, offered: set[str]) -> Iterable[str]:
    """Tools the assistant says it has must be the ones the record offers."""
    for m in re.finditer(r"(?:the tools I have (?:here )?are|I only have|I have only|my tools are) "
                         r"((?:`[\w.-]+`(?:, | and |,? and )?)+)", text):
        for name in re.findall(r"`([\w.-]+)`", m.group(1)):
            if name not in offered:
                yield f"claim tools: says it has `{name}`, which the record does not offer"


_ECHO = re.compile(r"\b(class|def|fn|func|function|struct|interface|type|enum|trait|impl) \1\b")


def echo_claims(text: str) -> Iterable[str]:
    for m in _ECHO.finditer(text):
        yield f"claim echo: repeats \"{m.group(0)}\""


def claim_errors(record: dict[str, Any], workspace: Workspace | None = None,
                 skip_turn: int | None = None) -> list[str]:
    """Every statement of ``record``'s assistant turns that disagrees with a result shown before it,
    as ``messages[i]: claim KIND: why``."""
    errors: list[str] = []
    offered = {t.get("function", {}).get("name") for t in record.get("tools") or [] if isinstance(t, dict)}
    for turn in replay(record, workspace):
        text = turn.text
        if not text or turn.index == skip_turn:
            continue
        found = [*test_claims(text, turn), *exit_claims(text, turn), *echo_claims(text)]
        if "`" in text:  # the other claims name what they are about in backticks
            found += [*search_claims(text, turn.before), *file_claims(text, turn), *location_claims(text, turn),
                      *tool_claims(text, offered)]
        errors.extend(f"messages[{turn.index}]: {why}" for why in found)
    return errors


__all__ = ["claim_errors", "path_of", "search_hits", "test_outcome"]
