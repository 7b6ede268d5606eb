"""Values checked at the door: a count that is not a positive whole number, a category name nothing
registers (with the names it was probably meant to be), a directory option naming a file and a new
category shadowing a registered one each end in one clear message, a non-zero exit and no change on
disk -- never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import factory_cli

MISSPELT = "tool_cor"  # a category nothing registers, one letter from tool_core


def _clean(proc) -> str:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    return out


@pytest.mark.parametrize("args, message", [
    (["generate", "tool_core", "--count", "0"], "N a whole number at least 1, got '0'"),
    (["generate", "tool_core", "--count", "-5"], "N a whole number at least 1, got '-5'"),
    (["run", "--count", "tool_core=0", "--no-tokens"], "N a whole number at least 1, got 'tool_core=0'"),
    (["generate", "tool_core", "--count", "=4"], "no category before '='"),
    (["run", "--count", f"{MISSPELT}=3", "--no-tokens"], "did you mean 'tool_core'"),
    (["generate", MISSPELT], "did you mean 'tool_core'"),
])
def test_bad_counts_and_names_stop_before_anything_is_written(args: list[str], message: str, tmp_path: Path) -> None:
    proc = factory_cli(*args, "--out", tmp_path / "data", cwd=tmp_path)
    assert proc.returncode != 0 and message in _clean(proc)
    assert not (tmp_path / "data").exists()


def test_a_misspelt_category_in_the_config_counts_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "factory.toml").write_text(f"[counts]\n{MISSPELT} = 3\n")
    proc = factory_cli("generate", "tool_neg", "--count", "5", "--out", tmp_path / "data", cwd=tmp_path)
    out = _clean(proc)
    assert proc.returncode == 1 and "unknown category 'tool_cor' in factory.toml [counts]" in out
    assert "did you mean 'tool_core'" in out and not (tmp_path / "data").exists()


def test_data_naming_a_file_is_a_clear_error_and_the_file_is_kept(tmp_path: Path) -> None:
    existing = tmp_path / "notes.jsonl"
    existing.write_text('{"keep": true}\n')
    for command in (["generate", "tool_neg", "--count", "5"], ["run", "--only", "tool_neg", "--count", "tool_neg=5"]):
        for flag in ("--data", "--out"):
            proc = factory_cli(*command, flag, existing, cwd=tmp_path)
            assert proc.returncode == 2 and f"'{flag}': Directory '{existing}' is a file" in _clean(proc), command
            assert existing.read_text() == '{"keep": true}\n'


def test_a_new_category_may_not_shadow_a_registered_one(tmp_path: Path) -> None:
    proc = factory_cli("new-category", "tool_core", "--dir", tmp_path / "mine", cwd=tmp_path)
    assert proc.returncode == 1 and "already registered" in _clean(proc)
    assert not (tmp_path / "mine").exists()
    # and the registry still loads: every command keeps working
    assert factory_cli("plugins", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("command", [["ingest", "claude-logs"], ["score"]])
def test_a_wrong_input_never_empties_a_good_output(command: list[str], tmp_path: Path) -> None:
    # a plain text file, and rows of a format nothing reads: the old output keeps its bytes
    wrong = tmp_path / ("notes.txt" if command[0] == "ingest" else "unknown.jsonl")
    wrong.write_text("line one\nline two\n" if command[0] == "ingest" else '{"weird": 1}\n{"x": 2}\n')
    existing = tmp_path / "existing.jsonl"
    existing.write_bytes(b'{"kept": 1}\n' * 16)
    proc = factory_cli(*command, wrong, "--out", existing, cwd=tmp_path)
    out = _clean(proc)
    assert proc.returncode == 1 and f"{existing} was left as it was" in out and "--force" in out
    assert ("unreadable line 2" if command[0] == "ingest" else "line 1: unknown record format") in out
    assert existing.read_bytes() == b'{"kept": 1}\n' * 16
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left
    forced = factory_cli(*command, wrong, "--out", existing, "--force", cwd=tmp_path)
    assert forced.returncode == 0 and existing.read_bytes() == b"", forced.stderr
