"""Tasks mined from a real git history: only commits that change code and tests, on the parent's tree
without the new tests, failing before and passing with the reference patch, with a cached export."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from factory.errors import InputError
from factory.rollout.blueprints import Blueprint
from factory.rollout.mining import is_test_path, mine_git
from factory.rollout.sandbox import open_sandbox

PYPROJECT = '[project]\nname = "calc"\nversion = "0.1"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'
CALC_V1 = "def add(a, b):\n    return a + b\n\n\ndef divide(a, b):\n    return a // b\n"
CALC_V2 = CALC_V1.replace("a // b", "a / b")
CALC_V3 = CALC_V2.replace("return a + b", "return sum((a, b))")
TEST_ADD = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
TEST_DIVIDE = "from calc import divide\n\n\ndef test_divide_returns_a_float():\n    assert divide(1, 2) == 0.5\n"
TEST_ADD_MORE = "from calc import add\n\n\ndef test_add_negative():\n    assert add(-2, 3) == 1\n"
FIX_SUBJECT = "Fix divide rounding down to an integer"
FIX_BODY = "divide(1, 2) gave 0; it is true division now.\n\nSigned-off-by: t <t@t>\n"


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                          "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for rel, content in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(autouse=True)
def _no_outer_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a directory under tmp_path is never taken for part of a repository above it
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


@pytest.fixture
def calc_repo(tmp_path: Path) -> tuple[Path, str]:
    """A Python package with four commits; only the second makes a task. Returns the repo and its sha."""
    repo = tmp_path / "calc"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, {"pyproject.toml": PYPROJECT, "src/calc/__init__.py": CALC_V1, "tests/test_add.py": TEST_ADD},
           "Add the calculator")
    fix = commit(repo, {"src/calc/__init__.py": CALC_V2, "tests/test_divide.py": TEST_DIVIDE},
                 f"{FIX_SUBJECT}\n\n{FIX_BODY}")
    commit(repo, {"README.md": "# calc\n\nAdds and divides.\n"}, "Describe the package")
    commit(repo, {"src/calc/__init__.py": CALC_V3, "tests/test_add_more.py": TEST_ADD_MORE},
           "Write add with sum and test negative numbers")  # the new test passes on the parent already
    return repo, fix


def check_task(bp: Blueprint, scratch: Path) -> None:
    """Independently of the miner: the task fails as set up and passes with its reference patch."""
    assert bp.verify
    with open_sandbox(bp.repo) as box:
        for rel, content in bp.setup.items():
            (box.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (box.root / rel).write_text(content)
        before = box.run(bp.verify)
    assert not before.refused, before.refused
    assert before.exit_code not in (0, None), before.output
    patched = scratch / "patched"
    shutil.copytree(bp.repo, patched)
    subprocess.run(["git", "apply", "-"], cwd=patched, input=bp.reference, text=True, check=True,
                   capture_output=True)
    with open_sandbox(patched) as box:
        for rel, content in bp.setup.items():
            (box.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (box.root / rel).write_text(content)
        after = box.run(bp.verify)
    assert after.exit_code == 0, after.output


def test_a_commit_with_code_and_tests_becomes_a_checked_task(calc_repo: tuple[Path, str], tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    repo, fix = calc_repo
    work = tmp_path / "work"
    with caplog.at_level(logging.DEBUG, logger="factory.rollout.mining"):
        found = list(mine_git(repo, work_dir=work))
    skipped = [r.getMessage() for r in caplog.records]
    assert len(skipped) == 2, skipped  # the root commit is not even looked at
    assert "the tests already pass on the parent" in skipped[0]
    assert "does not change both tests and source code" in skipped[1]
    assert [bp.key for bp in found] == [f"calc-{fix[:10]}"]
    bp = found[0]
    assert bp.kind == "fix" and bp.source == f"git:calc@{fix[:10]}"
    assert bp.repo.parent == work
    assert not (bp.repo / "tests/test_divide.py").exists()
    assert (bp.repo / "src/calc/__init__.py").read_text() == CALC_V1  # the parent's tree
    assert not (bp.repo / "README.md").exists()
    assert bp.setup == {"tests/test_divide.py": TEST_DIVIDE}
    assert bp.verify == "python -m pytest -q tests/test_divide.py"
    assert "src/calc/__init__.py" in bp.reference and "tests/" not in bp.reference
    assert bp.prompt.startswith(FIX_SUBJECT)
    assert "it is true division now" in bp.prompt and "Signed-off-by" not in bp.prompt
    assert "FAILED tests/test_divide.py::test_divide_returns_a_float" in bp.prompt
    assert bp.prompt.rstrip().endswith("Make them pass without changing the tests.")
    check_task(bp, tmp_path)


def test_a_second_mining_reuses_the_exported_tree(calc_repo: tuple[Path, str], tmp_path: Path) -> None:
    repo, _ = calc_repo
    work = tmp_path / "work"
    first = next(mine_git(repo, max_tasks=1, work_dir=work))
    stamp = first.repo.stat()
    exported = sorted(p.name for p in work.iterdir())
    again = list(mine_git(repo, max_tasks=1, work_dir=work))
    assert [bp.repo for bp in again] == [first.repo]
    assert (first.repo.stat().st_ino, first.repo.stat().st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
    assert sorted(p.name for p in work.iterdir()) == exported
    assert list(mine_git(repo, max_tasks=0, work_dir=work)) == []


def test_what_is_not_a_repository_with_history_is_a_readable_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text("x = 1\n")
    with pytest.raises(InputError, match="not a git repository") as err:
        list(mine_git(plain))
    assert "fatal" not in str(err.value) and str(plain) in str(err.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    with pytest.raises(InputError, match="no commits"):
        list(mine_git(empty))
    with pytest.raises(InputError, match="not a directory"):
        list(mine_git(tmp_path / "missing"))


@pytest.mark.parametrize(("path", "expected"), [
    ("tests/test_x.py", True), ("pkg/test_x.py", True), ("pkg/x_test.py", True), ("test/helpers.py", True),
    ("worker/worker_test.go", True), ("tests/integration.rs", True), ("web/app.test.ts", True),
    ("web/app.spec.ts", True), ("web/app.test.js", True),
    ("src/calc/__init__.py", False), ("worker/worker.go", False), ("src/lib.rs", False), ("web/app.ts", False),
    ("tests/README.md", False), ("docs/testing.md", False), ("src/contest.py", False),
])
def test_test_paths_by_language(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


@pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed")
def test_a_go_fix_with_its_test_becomes_a_task(tmp_path: Path) -> None:
    repo = tmp_path / "shapes"
    repo.mkdir()
    git(repo, "init", "-q")
    buggy = "package shapes\n\n// Square is n squared.\nfunc Square(n int) int {\n\treturn n + n\n}\n"
    commit(repo, {"go.mod": "module example.com/shapes\n\ngo 1.19\n", "shapes/square.go": buggy}, "Add Square")
    test = ('package shapes\n\nimport "testing"\n\nfunc TestSquare(t *testing.T) {\n'
            '\tif got := Square(3); got != 9 {\n\t\tt.Fatalf("Square(3) = %d, want 9", got)\n\t}\n}\n')
    fix = commit(repo, {"shapes/square.go": buggy.replace("n + n", "n * n"), "shapes/square_test.go": test},
                 "Square added instead of multiplying")
    found = list(mine_git(repo, work_dir=tmp_path / "work"))
    assert [bp.key for bp in found] == [f"shapes-{fix[:10]}"]
    bp = found[0]
    assert bp.verify == "go test ./shapes/"
    assert bp.kind == "feature"  # the subject names no fix, bug, error or crash
    assert not (bp.repo / "shapes/square_test.go").exists() and "shapes/square_test.go" in bp.setup
    assert "Square(3) = 6, want 9" in bp.prompt
    check_task(bp, tmp_path)
