"""Code checks: real parsers per language, ruff's default rules on the assistant's Python, batched."""

from __future__ import annotations

import pytest

from factory.quality.codecheck import (
    check_record_code,
    check_records,
    extract_blocks,
    parse_error,
    ruff_check_sources,
)
from factory.quality.neardup import near_duplicate_share, normalise

GOOD = {
    "python": "def add(a: int, b: int) -> int:\n    return a + b\n",
    "rust": "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    "go": "package main\n\nfunc add(a, b int) int {\n\treturn a + b\n}\n",
    "typescript": "function add(a: number, b: number): number {\n  return a + b;\n}\n",
    "javascript": "function add(a, b) {\n  return a + b;\n}\n",
}
BAD = {
    "python": "def add(a, b)\n    return a + b\n",
    "rust": "fn add(a: i32 -> i32 { a }\n",
    "go": "package main\n\nfunc add(a, b int int {\n}\n",
    "typescript": "function add(a: number, : number {\n}\n",
    "javascript": "function add(a, b {\n  return a +;\n}\n",
}


def _record(user: str, assistant: str) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


@pytest.mark.parametrize("lang", sorted(GOOD))
def test_each_language_parser_accepts_good_code_and_names_the_line_of_bad_code(lang: str) -> None:
    good = extract_blocks(f"Here:\n```{lang}\n{GOOD[lang]}```\n", "m")[0]
    bad = extract_blocks(f"```{lang}\n{BAD[lang]}```", "m")[0]
    assert parse_error(good) is None
    err = parse_error(bad)
    assert err is not None and err.startswith(f"m block 1: {lang} does not parse")
    assert "line" in err


def test_unchecked_languages_are_skipped() -> None:
    blocks = extract_blocks("```bash\nif then fi ((\n```\n```json\n{nope\n```")
    assert [parse_error(b) for b in blocks] == [None, None]


def test_assistant_python_must_pass_ruff_but_user_code_only_has_to_parse() -> None:
    messy = "import os\n\n\ndef f(x):\n    try:\n        return 1 / x\n    except:\n        return None\n"
    rec = _record(f"Fix this:\n```python\n{messy}```", f"Better:\n```python\n{messy}```")
    problems = check_record_code(rec)
    assert problems and all(p.startswith("messages[1] block 1: ruff") for p in problems)
    assert any("F401" in p for p in problems) and any("E722" in p for p in problems)
    clean = _record(f"```python\n{messy}```", "```python\ndef f(x: int | None) -> int | None:\n"
                                              "    return 1 if x is None else None\n```")
    assert check_record_code(clean) == []
    assert check_record_code(_record(f"```python\n{BAD['python']}```", "ok")) != []


def test_file_contents_written_by_tool_calls_are_checked() -> None:
    rec = {"messages": [{"role": "user", "content": "write it"},
                        {"role": "assistant", "tool_calls": [{"id": "1", "type": "function", "function": {
                            "name": "write", "arguments": {"file_path": "lib.rs", "content": BAD["rust"]}}}]}]}
    assert check_record_code(rec) == ["messages[1] write.content lib.rs: rust does not parse (syntax error near line 1)"]


def test_batched_ruff_maps_findings_back_to_each_source() -> None:
    sources = [GOOD["python"] if i % 3 else "import sys\n" for i in range(905)]
    findings = ruff_check_sources(sources)
    assert len(findings) == 905
    assert [i for i, f in enumerate(findings) if f] == list(range(0, 905, 3))
    assert findings[0][0].startswith("F401")
    recs = [_record("q", f"```python\n{s}```") for s in sources[:10]]
    assert [bool(p) for p in check_records(recs)] == [i % 3 == 0 for i in range(10)]


def test_near_duplicates_ignore_renamed_identifiers_and_numbers() -> None:
    a = "Rename `user_id` to `account_id` in src/app.py, 3 places.\n```python\ndef get_user(uid):\n    return db[uid]\n```"
    b = "Rename `order_no` to `orderNumber` in lib/orders.py, 12 places.\n```python\ndef load_order(n):\n    return store[n]\n```"
    c = "Explain why the build fails on Windows but passes on Linux when paths contain spaces."
    assert normalise(a) == normalise(b)
    report = near_duplicate_share([a, b, c])
    assert report.near_duplicates == 1 and report.examples[0][:2] == (1, 0)
    assert near_duplicate_share([a, c]).share == 0.0
