"""Every fixture task is real: on a copy of its repository, the task's test fails with the lines the
records show, and the task's edit makes it and the whole suite pass -- with pytest, Go's test runner and
Node's, as the records say."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from factory.authoring import flows
from factory.authoring.dialog import Dialog, GroundingStats
from factory.sandbox.fixtures import REPOS, TRAINING_REPOS
from factory.sandbox.held_out import HELD_OUT_TASKS
from factory.sandbox.tasks import BUGS, TASKS, Task
from factory.sandbox.workspace import open_workspace

RUNNERS = {"go": "go", "node": "node"}
MARKERS = ("FAILED ", "--- FAIL: ", "FAIL\t", "\u2716 ")


def _untimed(line: str) -> str:
    return re.sub(r"(\s\([\d.]+m?s\)|\t[\d.]+s|\t\(cached\)|(?<=duration_ms) [\d.]+)$", "", line)


def _env(repo: Path) -> dict[str, str]:
    # no network for the Go tool (a module needing a download fails), no bytecode in the copy
    return {**os.environ, "PYTHONPATH": str(repo / "src"), "PYTHONDONTWRITEBYTECODE": "1", "GOPROXY": "off",
            "GOFLAGS": "", "GOTOOLCHAIN": "local", "NODE_NO_WARNINGS": "1"}


def _run(repo: Path, command: str) -> subprocess.CompletedProcess:
    if command.startswith(("python -m pytest", "pytest")):
        args = command.split()[3 if command.startswith("python") else 1:]
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    else:
        argv = command.split()
    return subprocess.run(argv, check=False, cwd=repo, capture_output=True, text=True, env=_env(repo), timeout=300)


def _run_task(task: Task, root: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """The task's test on a copy of its repository before its edit, and the whole suite after it."""
    repo = root / task.key
    shutil.copytree(task.fixture.root, repo, ignore=shutil.ignore_patterns(".ruff_cache", "__pycache__"))
    assert not (repo / task.test_file).exists(), f"{task.key}: the task writes a new test file"
    (repo / task.test_file).write_text(task.test_code)
    before = _run(repo, task.fixture.test_commands(task.test_file, task.test_name)[0])
    source = (repo / task.file).read_text()
    assert source.count(task.old) == 1, f"{task.key}: the edit's old text must occur once in {task.file}"
    (repo / task.file).write_text(source.replace(task.old, task.new))
    after = _run(repo, task.fixture.suite_commands()[0])
    return before, after


def _tests_in(task: Task, repo: Path) -> int:
    files = list(repo.glob(task.fixture.test_glob))
    if task.fixture.runner == "node":
        return sum(p.read_text().count("\ntest(") for p in files)
    return sum(p.read_text().count("\ndef test_") for p in files)


@pytest.mark.parametrize("repo", sorted(REPOS))
def test_every_fixture_task_fails_as_recorded_and_its_edit_makes_the_whole_suite_pass(repo: str, tmp_path: Path) -> None:
    tasks = [t for t in TASKS + HELD_OUT_TASKS if t.repo == repo]
    runner = RUNNERS.get(REPOS[repo].runner)
    if runner and shutil.which(runner) is None:
        pytest.skip(f"{runner} is not installed (CI installs it)")
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(tasks, pool.map(lambda t: _run_task(t, tmp_path), tasks)))
    for task, (before, after) in runs.items():
        shown = (before.stdout + before.stderr).splitlines()
        assert before.returncode == 1, (task.key, before.stdout[-800:], before.stderr[-800:])
        assert all(line in shown for line in task.failure.splitlines()), (task.key, before.stdout[-1200:])
        # the runner's own lines about the failure, as recorded (timings aside)
        markers = [_untimed(r) for r in task.fail_output.splitlines() if r.startswith(MARKERS)]
        real = [_untimed(line) for line in shown]
        assert markers and all(any(r.startswith(m) for r in real) for m in markers), (task.key, markers)
        assert after.returncode == 0, (task.key, after.stdout[-800:], after.stderr[-800:])
        # what a record shows for the whole suite is what the runner printed (timings aside)
        dialog = Dialog(open_workspace(str(task.fixture.root)), GroundingStats())
        shown_suite = [_untimed(line) for line in flows.suite_output(random.Random(0), dialog, task).splitlines()]
        real_suite = [_untimed(line) for line in after.stdout.strip().splitlines()]
        if REPOS[repo].runner == "pytest":
            assert shown_suite[-1].split(" in ")[0] == real_suite[-1].split(" in ")[0], task.key
        else:
            assert shown_suite == real_suite, task.key
        if REPOS[repo].runner == "pytest":
            n = _tests_in(task, tmp_path / task.key)
            assert f"{n} passed" in after.stdout.splitlines()[-1]
            assert task.pass_output.splitlines()[-1].startswith(f"{task.passed_before + 1} passed")
        elif REPOS[repo].runner == "node":
            n = _tests_in(task, tmp_path / task.key)
            assert after.stdout.strip() == "." * n  # the dot reporter: one dot per passing test
            assert task.pass_output == "."
        else:
            package = task.pass_output.split("\t")[1]
            assert any(line.startswith(f"ok  \t{package}\t") for line in after.stdout.splitlines()), after.stdout
    assert len({t.key for t in tasks}) == len(tasks) >= 5


def test_the_repositories_have_different_stacks_and_enough_tasks() -> None:
    assert {r.language for r in TRAINING_REPOS.values()} == {"python", "go", "javascript"}
    assert len({t.key for t in TASKS}) == len(TASKS) >= 24 and len(BUGS) >= 19
    # the eval's own repository: only held-out tasks work in it, and no training task does
    assert {t.repo for t in HELD_OUT_TASKS} == {r for r, repo in REPOS.items() if repo.held_out} == {"tracklist"}
    assert not {t.repo for t in TASKS} & {"tracklist"}
    assert len({t.key for t in TASKS + HELD_OUT_TASKS}) == len(TASKS) + len(HELD_OUT_TASKS)
    for repo in REPOS.values():
        assert (repo.root / "README.md").is_file() and (repo.root / "docs" / "ARCHITECTURE.md").is_file(), repo.name
