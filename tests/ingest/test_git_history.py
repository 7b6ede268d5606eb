"""git history -> records, on real repositories built in a temp dir with the git CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from factory.errors import FactoryError
from factory.ingest.git_history import GitHistoryOptions, ingest_git_history
from factory.ingest.licenses import LicensePolicy
from factory.ingest.sink import IngestReport, RecordSink
from factory.quality.validate import validate_file
from factory.store.jsonl import read_jsonl

MIT = """MIT License

Copyright (c) 2024 Acme

Permission is hereby granted, free of charge, to any person obtaining a copy of this software...
"""


def git(repo: Path, *args: str, author: str = "Ada Lovelace <ada@acme.io>") -> str:
    name, email = author[:-1].split(" <")
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


def commit(repo: Path, files: dict[str, str], message: str, **kw) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, **kw)


CALC_V1 = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
CALC_V2 = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "calc"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"LICENSE": MIT, "calc.py": CALC_V1}, "Add calculator with add and mul")
    commit(repo, {"calc.py": CALC_V2}, "Fix add returning the difference\n\nadd() subtracted its arguments.\n\n"
           "Signed-off-by: Ada Lovelace <ada@acme.io>")
    commit(repo, {"calc.py": CALC_V2.replace("    return a * b", "    return a  *  b")}, "Tidy spacing in mul")
    commit(repo, {"requirements.txt": "requests==2.32.0\n"}, "Bump requests from 2.31.0 to 2.32.0",
           author="dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>")
    commit(repo, {"big.py": "".join(f"X_{i} = {i}\n" for i in range(2000))}, "Add generated constants table")
    commit(repo, {"calc.py": CALC_V2 + "\n\ndef div(a, b):\n    return a / b\n"}, "wip")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"calc.py": CALC_V2 + "\n\ndef sub(a, b):\n    \"\"\"Subtract b from a.\"\"\"\n"
                  "    return a - b\n"}, "Add sub() with a docstring")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README.md": "# calc\n\nA tiny calculator.\nContact: ada@acme.io\n"}, "Write a README")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch 'feature'", "feature")
    return repo


def _ingest(repo: Path, out: Path, **opts) -> tuple[IngestReport, list[dict]]:
    with RecordSink(out, IngestReport("git-history")) as sink:
        sink.feed(ingest_git_history(str(repo), sink.report, GitHistoryOptions(**opts)))
    return sink.report, [o for _, o in read_jsonl(out)]


def test_commits_become_change_and_commit_message_records_skipping_noise(repo, tmp_path):
    report, records = _ingest(repo, tmp_path / "out.jsonl")
    assert validate_file(tmp_path / "out.jsonl").errors == []
    subjects = {r["meta"]["commit"]: r for r in records}
    kept = {r["messages"][-1]["content"].splitlines()[0] for r in records if r["subcategory"] == "commit_message"}
    assert kept == {"Add calculator with add and mul", "Fix add returning the difference",
                    "Add sub() with a docstring", "Write a README"}
    assert report.units_skipped == {"merge commit": 1, "bot author": 1, "huge change": 1,
                                    "trivial change: throwaway message": 1,
                                    "trivial change: too few lines or whitespace only": 1}
    assert report.units_read == 9 and report.written == 8 and report.reconciles
    assert len(subjects) == 4
    assert all(r["meta"]["license"] == {"spdx": "MIT", "source": "LICENSE"} for r in records)


def test_change_record_shows_the_code_before_and_answers_with_the_diff(repo, tmp_path):
    _, records = _ingest(repo, tmp_path / "out.jsonl", modes=("change",))
    fix = next(r for r in records if "Fix add returning" in r["messages"][0]["content"])
    ask, answer = fix["messages"][0]["content"], fix["messages"][1]["content"]
    assert "`calc.py` from line 1:" in ask and "    return a - b" in ask
    assert "Signed-off-by" not in ask
    assert answer.startswith("```diff\ndiff --git a/calc.py b/calc.py")
    assert "-    return a - b\n+    return a + b" in answer and "\nindex " not in answer


def test_personal_data_in_commits_is_scrubbed(repo, tmp_path):
    report, _ = _ingest(repo, tmp_path / "out.jsonl")
    text = (tmp_path / "out.jsonl").read_text()
    assert "ada@acme.io" not in text and "<EMAIL_1>" in text
    assert report.scrubbed["email"] >= 1


def test_unlicensed_or_refused_repositories_are_refused_before_reading(repo, tmp_path):
    with pytest.raises(FactoryError, match=r"license MIT .* refused"):
        _ingest(repo, tmp_path / "a.jsonl", license=LicensePolicy(refused=frozenset({"mit"})))
    git(repo, "rm", "-q", "LICENSE")
    git(repo, "commit", "-q", "-m", "Drop the license file")
    with pytest.raises(FactoryError, match="no license found"):
        _ingest(repo, tmp_path / "b.jsonl")
    assert not (tmp_path / "b.jsonl").exists()
    _, records = _ingest(repo, tmp_path / "c.jsonl", license=LicensePolicy(refuse_unlicensed=False))
    assert records and records[0]["meta"]["license"]["spdx"] is None


def test_max_commits_stops_early_and_cli_reports(repo, tmp_path):
    _, records = _ingest(repo, tmp_path / "out.jsonl", max_commits=1, modes=("commit_message",))
    assert len(records) == 1 and records[0]["messages"][1]["content"] == "Write a README"
    out = tmp_path / "cli.jsonl"
    proc = subprocess.run([sys.executable, "-m", "factory.cli.main", "ingest", "git-history", str(repo),
                           "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "8 written" in proc.stdout and "bot author" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "factory.cli.main", "ingest", "git-history", str(tmp_path),
                          "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 1 and "not a git repository" in bad.stderr
