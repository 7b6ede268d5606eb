"""Grounded tool execution: confined to the workspace, read-only, real results, dry-run edits, and
re-verification of records."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from factory.sandbox.workspace import FIXTURE_REPO, Workspace, glob_regex, verify_record, verify_records


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return Workspace()


def test_paths_outside_the_workspace_are_refused(ws: Workspace, tmp_path: Path) -> None:
    for bad in ("../README.md", "/etc/passwd", "~/.bashrc", "src/../../grounding.py"):
        out = ws.execute("read_file", {"filepath": bad})
        assert not out.ok and "outside the workspace" in out.output, bad
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", repo / "link.txt")
    out = Workspace(repo).execute("read", {"file_path": "link.txt"})
    assert not out.ok and "outside the workspace" in out.output


def test_read_file_returns_the_real_contents_and_missing_files_fail(ws: Workspace) -> None:
    out = ws.execute("read_file", {"filepath": "src/shoplite/cart.py"})
    assert out.ok and out.output == (FIXTURE_REPO / "src/shoplite/cart.py").read_text().rstrip("\n")
    missing = ws.execute("read_file", {"filepath": "src/shoplite/nothing.py"})
    assert not missing.ok and missing.output == "no such file or directory: src/shoplite/nothing.py"
    rng = ws.execute("read_file_range", {"filepath": "src/shoplite/auth.py", "startLine": 7, "endLine": 8})
    assert rng.output.splitlines()[0].startswith("def hash_token")
    assert not ws.execute("read_file_range", {"filepath": "src/shoplite/auth.py", "startLine": 90, "endLine": 95}).ok


def test_glob_ls_and_grep_match_what_is_on_disk(ws: Workspace) -> None:
    assert ws.execute("file_glob_search", {"pattern": "**/*.go"}).output == "worker/main.go"
    assert glob_regex("src/**/*.py").match("src/shoplite/cart.py")
    assert not glob_regex("src/*.py").match("src/shoplite/cart.py")
    listing = ws.execute("ls", {"dirPath": "web"}).output.splitlines()
    assert listing == ["src/"]
    hits = ws.execute("grep_search", {"query": r"def (reserve|release)"}).output.splitlines()
    assert [h.split(":")[0] for h in hits] == ["src/shoplite/inventory.py"] * 2
    bad = ws.execute("grep_search", {"query": "def ("})
    assert not bad.ok and "invalid regular expression" in bad.output
    counts = ws.execute("grep", {"pattern": "import", "output_mode": "count", "glob": "*.py"}).output
    assert "src/shoplite/api.py:" in counts


def test_powertools_find_definitions_in_four_languages(ws: Workspace) -> None:
    for symbol, file, text in [("OrderService", "src/shoplite/orders.py", "class OrderService"),
                               ("adler32", "native/src/lib.rs", "pub fn adler32"),
                               ("paidOrders", "worker/main.go", "func paidOrders"),
                               ("LineInput", "web/src/client.ts", "interface LineInput")]:
        out = ws.execute("goto_definition", {"symbol": symbol})
        loc = out.output.splitlines()[0].split(": ")[0]
        path, line = loc.rsplit(":", 1)
        assert path == file
        assert text in (FIXTURE_REPO / file).read_text().splitlines()[int(line) - 1], symbol
    funcs = ws.execute("functions", {"file": "src/shoplite/cart.py"}).output
    assert "add_item" in funcs and "class" not in funcs
    assert "ShopClient" in ws.execute("classes", {"file": "web/src/client.ts"}).output
    refs = ws.execute("find_references", {"symbol": "cart_total_cents"}).output
    assert refs.startswith("3 references") and "src/shoplite/orders.py" in refs
    assert not ws.execute("find_references", {"symbol": "no_such_symbol"}).ok
    assert "python: 11 files" in ws.execute("stats", {}).output


def test_edits_are_checked_as_a_dry_run_and_write_nothing(ws: Workspace) -> None:
    before = (FIXTURE_REPO / "src/shoplite/pricing.py").read_bytes()
    ok = ws.execute("edit", {"file_path": "src/shoplite/pricing.py", "old_string": "def tax_cents",
                             "new_string": "def tax_amount_cents"})
    assert ok.ok
    twice = ws.execute("edit", {"file_path": "src/shoplite/pricing.py", "old_string": "return",
                                "new_string": "return "})
    assert not twice.ok and "occurs" in twice.output
    absent = ws.execute("single_find_and_replace", {"filepath": "src/shoplite/pricing.py", "old_string": "nope",
                                                    "new_string": "x"})
    assert not absent.ok
    assert not ws.execute("create_new_file", {"filepath": "README.md", "contents": "x"}).ok
    assert (FIXTURE_REPO / "src/shoplite/pricing.py").read_bytes() == before


def test_verification_catches_an_invented_tool_result(ws: Workspace) -> None:
    record = {"messages": [
        {"role": "user", "content": "show cart"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                              "function": {"name": "read_file", "arguments": {"filepath": "src/shoplite/cart.py"}}}]},
        {"role": "tool", "tool_call_id": "c1", "content": ws.execute("read_file", {"filepath": "src/shoplite/cart.py"}).output},
        {"role": "assistant", "content": "done"}]}
    assert verify_record(record, ws) == []
    forged = copy.deepcopy(record)
    forged["messages"][2]["content"] = "class Cart: pass"
    assert verify_record(forged, ws) == ["read_file: recorded result differs from execution"]
    report = verify_records([record, forged], ws)
    assert (report.checked, report.matched, report.pass_rate) == (2, 1, 0.5)


def test_long_search_results_are_capped_with_a_count_of_what_was_left_out(tmp_path: Path) -> None:
    import random

    from factory.authoring.observe import describe
    from factory.sandbox.workspace import MAX_MATCHES

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "many.py").write_text("".join(f"value_{i} = {i}  # marker\n" for i in range(MAX_MATCHES + 12)))
    ws = Workspace(repo)
    for name, args in (("grep_search", {"query": "marker"}),
                       ("grep", {"pattern": "marker", "output_mode": "content"})):
        out = ws.execute(name, args)
        lines = out.output.splitlines()
        assert out.ok and len(lines) == MAX_MATCHES + 1, name
        assert lines[-1] == "... (12 more matches)", name
        assert lines[0].endswith("value_0 = 0  # marker"), name  # the shown hits are the real first lines
        said = describe(random.Random(0), ws, name, args, out.output)
        assert f"matches {MAX_MATCHES + 12} lines" in said, said


# The patterns a model greps for, and ones whose whole-file match differs from a line's: anchors,
# classes and gaps that reach over a line break, empty matches, lookaround, \A and \Z, inline flags,
# possessive quantifiers, \K, verbs, fuzzy limits (some only the regex module compiles), and one
# that backtracks over every line break of a file.
GREP_PATTERNS = [r"def ", r"^\s*class \w+", r"\)$", r"^$", r"x*", r"a[^b]*c", r"a\s+c", r"\bfoo\b", r"foo(?=\n)",
                 r"foo(?!\n)", r"(?<!\n)bar", r"(?<=\n)bar", r"\Abar", r"baz\Z", r"(?s)a.c", r"(?m)^c", r"(a|b)\1",
                 r"\(?", r"[\s\S]{3}", r".", r"a\s*+$", r"a\s*\K", r"a[^c]*(*SKIP)(*F)|b", r"^(ba.){i<=1}",
                 r"(\s|\s)*z\d", r"\w++ \d", r"a.*+$"]
GREP_TEXTS = ["", "\n", "a\nc\n", "a\r\nc\r\n", "foo\nbar\nbaz", "a b\n\nc\n\n", "def f():\n  class  K:\n    pass)\n",
              "aa\nbb\nab\n", "bar\rfoo\x0cbaz\u2028a c", "x\n" * 5 + "xyz", "a\n\n\nc", "foo bar foo\nbarfoo\n", "a\nb",
              "a\n\nb", " ba ", "    \n" * 8 + "z", "word 1\n"]
@pytest.mark.parametrize("limited", [False, True], ids=["re", "regex with a time limit"])
def test_grep_finds_exactly_the_lines_a_line_by_line_search_finds(tmp_path: Path, limited: bool) -> None:
    import re

    import regex

    repo = tmp_path / "repo"
    repo.mkdir()
    for i, text in enumerate(GREP_TEXTS):
        (repo / f"f{i}.txt").write_bytes(text.encode())
    ws = Workspace(repo)
    ws.search_seconds = 10.0 if limited else None
    engine = regex if limited else re
    for pattern in GREP_PATTERNS:
        try:
            rx = engine.compile(pattern)
        except engine.error:
            continue  # the standard library has no verbs or fuzzy matching
        for i, text in enumerate(GREP_TEXTS):
            expected = [(f"f{i}.txt", n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if rx.search(line)]
            assert ws._grep_lines(ws._regex(pattern), [f"f{i}.txt"]) == expected, (pattern, text)
