"""No traceback for any user error: every command that reads a file or a directory is driven with a
missing path, an unreadable one, a directory where a file belongs (a file where a directory does), a
binary file and an empty one, and every command with a malformed value. Each ends with a non-zero
exit and one short message that names the path or the option -- never a Python traceback.

Unreadable paths need a process without root's power to read anything: as root the cases run under
`setpriv` with the capabilities that bypass file permissions dropped."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from factory.cli.main import AppState, build_cli
from factory.config import load_config

DEAD = "http://127.0.0.1:9/v1"  # nothing listens on the discard port: no test reaches a network
LLM = ["--provider", "openai-compatible", "--base-url", DEAD, "--model", "m"]

# One invocation per path a command reads; {F} takes a file, {D} a directory.
INVOCATIONS: list[list[str]] = [
    ["validate", "{F}"],
    ["check", "{F}"],
    ["score", "{F}"],
    ["enhance", "{F}", *LLM],
    ["merge", "{F}", "--out", "merged"],
    ["merge", "--data", "{D}"],
    ["export", "--format", "trl", "--data", "{D}"],
    ["export", "--format", "trl", "--merged", "{D}", "--out", "exported"],
    ["report", "--data", "{D}", "--no-tokens"],
    ["coverage", "--data", "{D}"],
    ["view", "{D}", "--index-only", "--no-tokens"],
    ["status", "--data", "{D}"],
    ["generate", "tool_neg", "--count", "2", "--repo", "{D}", "--data", "out"],
    ["run", "--only", "tool_neg", "--count", "2", "--repo", "{D}", "--data", "out"],
    ["generate", "tool_neg", "--count", "2", "--data", "{D}"],
    ["ingest", "claude-logs", "{F}", "--out", "o.jsonl"],
    ["ingest", "claude-ai", "{F}", "--out", "o.jsonl"],
    ["ingest", "git-history", "{D}", "--out", "o.jsonl"],
    ["ingest", "repo-fim", "{D}", "--out", "o.jsonl"],
    ["train", "--config-file", "{F}"],
    ["train", "--stage", "dry-run", "--model", "{D}", "--data", "{F}"],
    ["eval", "--model", "{D}", "--data", "{F}"],
    ["merge-adapter", "--base", "{D}", "--adapter", "{D}", "--out", "merged_model"],
    ["package", "--model", "{D}", "--no-gguf", "--out", "pkg"],
    ["modelfile", "--from", "model.gguf", "--model", "{D}"],
    ["serve", "{F}"],
    ["rollout", "--tasks", "{F}", *LLM],
    ["new-category", "api_notes", "--dir", "{D}"],
    ["--config", "{F}", "plugins"],
    ["--plugins-dir", "{D}", "plugins"],
]
# (command, option) pairs where a case is no error: a directory the command writes into need not exist,
# may be empty or may already hold files; an empty config is the defaults; status of an empty or odd
# directory reports what it finds; a plugins directory of data files has no plugin in it; a repository
# to ground tool results in may hold binary files.
WRITES = {("generate", "--data"), ("new-category", "--dir")}
MAY_BE_EMPTY = {*WRITES, ("--config", "--config"), ("status", "--data"), ("--plugins-dir", "--plugins-dir")}
MAY_BE_BINARY = {*WRITES, ("status", "--data"), ("--plugins-dir", "--plugins-dir"), ("generate", "--repo"),
                 ("run", "--repo")}
# A malformed value for each command that takes no path at all.
BAD_VALUES: list[list[str]] = [
    ["batches", "--limit", "many"],
    ["setup", "bogus"],
    ["plugins", "--json", "--bogus"],
    ["run", "--eval-frac", "lots", "--data", "out"],
    ["run", "--count", "tool_neg=-2", "--data", "out"],
    ["generate", "tool_neg", "--count", "two", "--data", "out"],
    ["generate", "tool_neg", "--max-cost", "free", *LLM],
    ["score", "x.jsonl", "--threshold", "high"],
    ["rollout", "--tasks", "builtin", "--samples", "0", *LLM],
    ["train", "--stage", "huge"],
    ["validate", "x.jsonl", "--max-chars", "0"],
    ["merge", "--near-threshold", "near"],
    ["export", "--format", "no-such-format"],
    ["new-category", "Not A Name"],
]
KINDS = ("missing", "unreadable", "wrong kind", "binary", "empty")


def _make(kind: str, slot: str, where: Path) -> Path:
    path = where / ("input" if slot == "{F}" else "folder")
    if kind == "missing":
        return path
    file_slot = slot == "{F}"
    if kind == "wrong kind":
        if file_slot:
            path.mkdir()
        else:
            path.write_text("not a directory\n")
    elif kind == "binary":
        if file_slot:
            path.write_bytes(bytes(range(256)) * 8 + b"\x00\xff\xfe\n\x89PNG\r\n")
        else:  # a directory of binary files where records or sources belong
            path.mkdir()
            (path / "train.jsonl").write_bytes(b"\x00\xff\xfe\x89PNG" * 40)
            (path / "tool_neg.jsonl").write_bytes(b"\x00\xff\xfe\x89PNG" * 40)
            (path / "config.json").write_bytes(b"\x00\xff\xfe\x89PNG" * 40)
    elif kind == "empty":
        if file_slot:
            path.write_bytes(b"")
        else:
            path.mkdir()
    elif kind == "unreadable":
        if file_slot:
            path.write_text('{"messages": []}\n')
        else:
            path.mkdir()
            (path / "tool_neg.jsonl").write_text("{}\n")
        path.chmod(0)
    return path


def _cases() -> list[tuple[str, list[str], str]]:
    cases = []
    for words in INVOCATIONS:
        slot = [w for w in words if w in ("{F}", "{D}")][-1]
        key = (words[0], words[words.index(slot) - 1] if words.index(slot) else words[0])
        if not key[1].startswith("-"):
            key = (words[0], words[0])
        for kind in KINDS:
            if (kind == "missing" and key in WRITES) or (kind == "empty" and key in MAY_BE_EMPTY) or \
                    (kind == "binary" and key in MAY_BE_BINARY):
                continue
            cases.append((kind, words, slot))
    return cases


def _privileges() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"] if setpriv else []


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*_privileges(), sys.executable, "-m", "factory", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"})


def _judge(label: str, proc: subprocess.CompletedProcess, mention: str) -> str | None:
    out = proc.stdout + proc.stderr
    if "Traceback" in out:
        return f"{label}: traceback\n{out[-1500:]}"
    if proc.returncode == 0:
        return f"{label}: exit 0\n{out[-800:]}"
    # "error: ...", click's "Error: ...", or validate's "FILE:LINE: reason"
    errors = [ln for ln in proc.stderr.splitlines() if ln.lower().startswith("error") or re.match(r"\S+:\d+: ", ln)]
    if not errors:
        return f"{label}: no error line on stderr\n{out[-800:]}"
    if len(proc.stderr.splitlines()) > 12:
        return f"{label}: {len(proc.stderr.splitlines())} lines on stderr, not one clear message\n{proc.stderr[-800:]}"
    if mention not in proc.stderr:
        return f"{label}: the message does not name {mention!r}\n{proc.stderr[-800:]}"
    return None


def _one(case: tuple[str, list[str], str], root: Path) -> str | None:
    kind, words, slot = case
    if kind == "unreadable" and os.geteuid() == 0 and not _privileges():
        return None
    where = root / f"{'-'.join(w.strip('{}-') for w in words)[:60]}-{kind.replace(' ', '_')}"
    where.mkdir(parents=True)
    path = _make(kind, slot, where)
    args = [str(path) if w in ("{F}", "{D}") else w for w in words]
    try:
        proc = _run(args, where)
    finally:
        if path.exists():
            path.chmod(0o755)
    return _judge(f"{kind}: factory {' '.join(words)}", proc, path.name)


def test_every_bad_path_ends_in_one_clear_message(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    cases = _cases()
    assert len(cases) >= 120
    with ThreadPoolExecutor(4) as pool:
        problems = [p for p in pool.map(lambda c: _one(c, tmp_path), cases) if p]
    assert problems == [], "\n\n".join(problems)


@pytest.mark.parametrize("args", BAD_VALUES, ids=lambda a: " ".join(a[:3]))
def test_a_malformed_value_ends_in_one_clear_message(args: list[str], tmp_path: Path) -> None:
    problem = _judge(" ".join(args), _run(args, tmp_path), "")
    assert problem is None, problem
    assert not (tmp_path / "out").exists()


def test_every_command_is_driven_here() -> None:
    cli = build_cli(AppState(load_config(None), []))
    ctx = click.Context(cli, info_name="factory")
    names = set(cli.list_commands(ctx))
    driven = {w[0] for w in INVOCATIONS + BAD_VALUES} | {w[2] for w in INVOCATIONS if w[0].startswith("--")}
    assert names - driven == set()
