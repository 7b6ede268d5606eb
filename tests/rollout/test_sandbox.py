"""The rollout sandbox: a private copy per rollout, commands under an allowlist, nothing outside changes."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from factory.rollout.commands import Refused, check_command
from factory.rollout.sandbox import namespaces_available, open_sandbox
from factory.rollout.tools import SandboxTools
from factory.sandbox.workspace import FIXTURE_REPO

ISOLATIONS = ["copy"] + (["namespace"] if not namespaces_available() else [])


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".ruff_cache" not in path.parts:
            h.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("command", [
    "cat /etc/passwd", "ls ~/.ssh", "rm -rf ../..", "curl http://example.com", "wget x", "pip install requests",
    "python -c 'import os'", "echo x > /tmp/outside", "ls $(pwd)", "cat `which ls`", "find . -exec rm {} +",
    "nc -l 9000", "npm install left-pad", "git push origin main", "cd .. && ls", "ssh host",
    # shell patterns, line breaks and options that would reach outside once the shell expands them
    "cat .?/.?/.?/etc/hostname", "ls .?/.?/.?/", "cd .? && cd .? && cat etc/passwd", "cat {/etc/passwd,x}",
    "true\nbash -c id", "cat \\\n/etc/hostname", "python3 - <<'EOF'\nprint(1)\nEOF", "env sh -c id",
    "/usr/bin/env sh", "node -e 'x'", "python3 -X utf8 -c 'x'", "python3 -I -c x", "python -W ignore -c 1",
    "GIT_EXTERNAL_DIFF='sh' git diff", "LD_PRELOAD=/tmp/x.so ls", "PATH=/tmp ls", "/tmp/evil/ls", "make -C/",
    "make -f/etc/passwd", "sort -o/tmp/x README.md", "cp -t/tmp README.md", "grep -rf/etc/shadow .", "python -",
    "git -c core.pager=sh log", "git -C / status", "pytest --rootdir=/", "echo a\0b",
    "node --test --import=/tmp/x.mjs test/", "node --test-reporter=./evil.mjs --test", "node --require x test/a.js",
    "node --test-reporter-destination=/tmp/x --test",
])
def test_commands_that_reach_outside_or_the_network_are_refused(command: str) -> None:
    with pytest.raises(Refused):
        check_command(command, "/work/repo")


@pytest.mark.parametrize("command", [
    "python -m pytest -q tests/test_cart.py", "pytest -q", "ls -la src && cat README.md | head -5",
    "git status", "git diff", "go test ./...", "cd worker && go vet ./...", "grep -rn 'def ' src | wc -l",
    "echo hi > notes.txt", "cat /work/repo/README.md", "python -m pytest -q 2>&1 | tail -3", "rm -rf build",
    "grep -n 'def foo$' x.py", "sed 's/ *$//' x", "git -C src status", "./run_tests.sh", "node scripts/build.js",
    "PYTHONPATH=src python -m pytest -q", "ls src/*.py", "find . -name '*.py'",
    "node --test --test-reporter=dot test/", "node --test-reporter=spec --test test/plural.test.js", "node --test",
])
def test_everyday_commands_are_allowed(command: str) -> None:
    check_command(command, "/work/repo")


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_copy_takes_changes_and_the_repository_keeps_none(isolation: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE_REPO, repo, ignore=shutil.ignore_patterns(".ruff_cache"))
    before = _tree_digest(repo)
    with open_sandbox(repo, isolation=isolation) as a, open_sandbox(repo, isolation=isolation) as b:
        assert a.isolation == isolation
        assert a.run("echo changed > README.md && rm tests/test_cart.py && mkdir new && touch new/x").ok
        (a.root / "src" / "shoplite" / "cart.py").write_text("# rewritten\n")
        assert a.run("cat README.md").output.strip() == "changed"
        assert "test_cart.py" in b.run("ls tests").output  # the other rollout's copy is untouched
        kinds = {(c.path, c.kind) for c in a.changes()}
        assert {("README.md", "modified"), ("tests/test_cart.py", "deleted"), ("new/x", "added"),
                ("src/shoplite/cart.py", "modified")} <= kinds
        assert "-# shoplite" in a.diff() and "+changed" in a.diff()
    assert _tree_digest(repo) == before


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_real_test_runners_run_in_the_copy(isolation: str) -> None:
    with open_sandbox(FIXTURE_REPO, isolation=isolation) as box:
        result = box.run("python -m pytest -q")
        assert result.ok, result.text()
        assert "passed" in result.output
        (box.root / "tests" / "test_broken.py").write_text("def test_it():\n    assert 1 == 2\n")
        failing = box.run("python -m pytest -q tests/test_broken.py")
        assert failing.exit_code == 1 and "assert 1 == 2" in failing.output
        assert failing.text().startswith("Exit code 1")
        if shutil.which("go"):
            (box.root / "worker" / "main_test.go").write_text(
                'package main\n\nimport "testing"\n\nfunc TestOrder(t *testing.T) {\n'
                '\to := Order{ID: 7}\n\tif o.ID != 7 {\n\t\tt.Fatal("id")\n\t}\n}\n')
            go = box.run("cd worker && go test ./...", timeout=120)
            assert go.ok and "ok" in go.output, go.text()


def test_a_command_that_runs_too_long_is_killed() -> None:
    with open_sandbox(FIXTURE_REPO) as box:
        result = box.run("sleep 600", timeout=1)
        assert result.timed_out and result.seconds < 10
        assert "timed out" in result.text()


@pytest.mark.skipif(bool(namespaces_available()), reason="no namespace jail on this system")
def test_the_jail_has_no_network_and_a_read_only_world(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    with open_sandbox(FIXTURE_REPO) as box:
        # model-written code is not bound by the allowlist: the jail is what holds it
        (box.root / "tests" / "test_escape.py").write_text(
            "import socket, pathlib\n\n\ndef test_escape():\n"
            "    s = socket.socket()\n    s.settimeout(2)\n"
            "    try:\n        s.connect(('1.1.1.1', 80))\n        net = 'connected'\n"
            "    except OSError as exc:\n        net = type(exc).__name__\n"
            f"    try:\n        pathlib.Path({str(outside)!r}).write_text('gone')\n        wrote = 'wrote'\n"
            "    except OSError as exc:\n        wrote = type(exc).__name__\n"
            "    print('NET', net, 'WRITE', wrote)\n")
        result = box.run("python -m pytest -q -s tests/test_escape.py")
        assert "NET connected" not in result.output and "WRITE wrote" not in result.output, result.output
        assert "NET " in result.output
    assert outside.read_text() == "keep"


def test_file_tools_stay_inside_and_follow_the_tool_rules(tmp_path: Path) -> None:
    with open_sandbox(FIXTURE_REPO) as box:
        tools = SandboxTools(box)
        os.symlink("/etc/passwd", box.root / "passwd_link")
        for name, args in [("read", {"file_path": "/etc/passwd"}), ("read", {"file_path": "../../etc/passwd"}),
                           ("read", {"file_path": "passwd_link"}), ("read", {"file_path": "~/.ssh/id_rsa"}),
                           ("write", {"file_path": "../escape.txt", "content": "x"})]:
            done = tools.run(name, args)
            assert not done.ok and done.refused, (name, args, done.output)
        # edit needs a read first, then a unique old_string
        edit = {"file_path": "src/shoplite/cart.py", "old_string": "def ", "new_string": "def  "}
        assert "read it first" in tools.run("edit", edit).output
        assert tools.run("read", {"file_path": "src/shoplite/cart.py"}).ok
        assert "occurs" in tools.run("edit", edit).output
        assert "not found" in tools.run("edit", {**edit, "old_string": "no such text"}).output
        assert tools.run("edit", {**edit, "old_string": "class Cart:", "new_string": "class Basket:"}).ok
        assert "class Basket" in (box.root / "src/shoplite/cart.py").read_text()
        assert "class Basket" in tools.run("grep", {"pattern": "class Basket", "output_mode": "content"}).output
        assert "+class Basket" in tools.run("view_diff", {}).output
        assert not tools.run("create_new_file", {"filepath": "README.md", "contents": "x"}).ok
    assert "class Cart" in (FIXTURE_REPO / "src/shoplite/cart.py").read_text()


@pytest.mark.skipif(bool(namespaces_available()), reason="no namespace jail on this system")
def test_root_inside_the_jail_cannot_remount_unmask_or_read_the_factorys_keys(monkeypatch: pytest.MonkeyPatch,
                                                                               tmp_path: Path) -> None:
    from factory.rollout.sandbox import Limits

    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-the-jail")
    canary = tmp_path / "after_remount.txt"
    with open_sandbox(FIXTURE_REPO) as box:
        script = (f"mount -o remount,bind,rw / ; echo y > {canary} ; umount /dev ; "
                  "cat /proc/1/environ ; env ; echo b > /proc/sysrq-trigger ; ls /dev")
        out = box._jail.run(["/bin/sh", "-c", script], Limits(), box.shown, 20).output
    assert not canary.exists()
    assert "sk-not-for-the-jail" not in out
    assert "null" in out and "vda" not in out and "sda" not in out


@pytest.mark.skipif(bool(namespaces_available()), reason="no namespace jail on this system")
@pytest.mark.parametrize("remount", ["all at once", "one by one"])  # util-linux >= 2.34, and older ones
def test_the_jail_hides_credentials_and_cgroups_and_only_its_own_mounts_are_writable(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, remount: str) -> None:
    from factory.rollout import sandbox
    from factory.rollout.sandbox import Limits

    how = sandbox._REMOUNT_ALL if remount == "all at once" else sandbox._REMOUNT_EACH
    monkeypatch.setattr(sandbox, "_jail_script", lambda: sandbox._JAIL.replace("REMOUNT", how))

    home = tmp_path / "a home"  # blanks in the paths: the jail's mount table escapes them
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE-KEY-CANARY")
    (home / ".netrc").write_text("machine example.com password NETRC-CANARY")
    monkeypatch.setenv("HOME", str(home))
    repo = tmp_path / "a repo"
    shutil.copytree(FIXTURE_REPO, repo)
    with open_sandbox(repo) as box:
        jail = box._jail
        script = (f"cat '{home}/.ssh/id_ed25519' '{home}/.netrc'; echo CGROUPS $(ls -A /sys/fs/cgroup | wc -l); echo MOUNTS; "
                  "cat /proc/self/mounts; echo edit > README.md && echo EDITED")
        out = jail.run(["/bin/sh", "-c", script], Limits(), box.shown, 20).output
        seen: dict[str, list[str]] = {}  # the mount each path shows: the last one on it
        for line in out.split("MOUNTS", 1)[1].splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[1].startswith("/"):
                seen[fields[1].replace("\\040", " ")] = fields[3].split(",")
        assert (box.root / "README.md").read_text() == "edit\n"
    assert "CANARY" not in out and "EDITED" in out
    assert "CGROUPS 0" in out  # the cgroup mounts are hidden under an empty read-only tmpfs
    writable = {path for path, options in seen.items() if "rw" in options}
    assert writable == {box.shown, str(jail.base / "layer"), str(jail.base / "dev" / "shm"), "/dev/shm",
                        str(jail.scratch), str(jail.home)}
    assert (FIXTURE_REPO / "README.md").read_text() != "edit\n"


@pytest.mark.skipif(bool(namespaces_available()), reason="no namespace jail on this system")
def test_a_jail_in_which_a_mount_stayed_writable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from factory.rollout import sandbox

    monkeypatch.setattr(sandbox, "_jail_script", lambda: sandbox._JAIL.replace("REMOUNT", "true"))
    with pytest.raises(OSError, match="stayed writable in it: /"):
        open_sandbox(FIXTURE_REPO, isolation="namespace")


@pytest.mark.skipif(bool(namespaces_available()) or os.geteuid() != 0, reason="needs the jail, and root to mount")
def test_a_jail_is_not_refused_for_mounts_it_cannot_reach_nor_for_a_linked_tmpdir(tmp_path: Path) -> None:
    """Writable mounts under the host's /proc and /dev (systemd's binfmt_misc, a container runtime's
    masks) are covered by the jail's own /proc and /dev: out of its reach, they must not refuse it."""
    import subprocess
    import sys

    real = tmp_path / "real-tmp"
    real.mkdir()
    link = tmp_path / "tmp-link"
    link.symlink_to(real)
    code = ("from factory.rollout.sandbox import open_sandbox\n"
            "from factory.sandbox.workspace import FIXTURE_REPO\n"
            "with open_sandbox(FIXTURE_REPO, isolation='namespace') as box:\n"
            "    print('JAIL', box.run('cat README.md').ok)\n")
    script = f'mount --bind /dev/null /proc/version && mount -t tmpfs under-dev /dev/shm && exec {sys.executable} -c "$CODE"'
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script],
                          env={**os.environ, "TMPDIR": str(link), "CODE": code}, capture_output=True, text=True,
                          timeout=120)
    assert "JAIL True" in done.stdout, done.stderr[-2000:]


def test_links_and_fifos_in_the_copy_are_neither_followed_nor_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the host's secret")
    with open_sandbox(FIXTURE_REPO) as box:
        tools = SandboxTools(box)
        os.symlink(secret, box.root / "notes.txt")
        os.mkfifo(box.root / "pipe")
        assert "host's secret" not in tools.run("grep_search", {"query": "secret"}).output
        assert "host's secret" not in tools.run("grep", {"pattern": "secret", "output_mode": "content"}).output
        assert tools.run("write", {"file_path": "notes.txt", "content": "mine"}).refused
        from factory.rollout.tools import write_inside

        write_inside(box.root, "notes.txt", b"replaced")  # what set-up and hidden tests use: the link is replaced
        assert (box.root / "notes.txt").read_text() == "replaced" and not (box.root / "notes.txt").is_symlink()
    assert secret.read_text() == "the host's secret"


def test_a_nul_byte_is_a_tool_error_not_a_crash() -> None:
    with open_sandbox(FIXTURE_REPO) as box:
        tools = SandboxTools(box)
        assert not tools.run("read", {"file_path": "src/a\u0000b.py"}).ok
        assert not tools.run("bash", {"command": "echo a\u0000b"}).ok


def test_a_killed_runs_sandbox_copies_are_removed_by_the_next_run(tmp_path):
    import subprocess

    from factory.rollout.sandbox import SANDBOX_PREFIX

    child = subprocess.Popen(["true"])
    child.wait()  # exited and reaped: no process has this id now
    dead_pid = child.pid
    base = tmp_path / "tmp"
    base.mkdir()
    stale = base / f"{SANDBOX_PREFIX}{dead_pid}-abc123"
    (stale / "repo").mkdir(parents=True)
    (stale / "repo" / "big.bin").write_bytes(b"x" * 1000)
    live = base / f"{SANDBOX_PREFIX}{os.getppid()}-def456"  # a running process's copy stays
    live.mkdir()
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.py").write_text("x = 1\n")
    box = open_sandbox(source, base_dir=base, isolation="copy")
    try:
        assert not stale.exists() and live.exists()
        assert box.base.name.startswith(f"{SANDBOX_PREFIX}{os.getpid()}-")
    finally:
        box.close()


def test_a_catastrophic_search_pattern_is_stopped_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from factory.rollout import tools as rollout_tools

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "slow.txt").write_text("a" * 40 + "b\n")
    monkeypatch.setattr(rollout_tools.SandboxTools, "search_seconds", 0.5)
    with open_sandbox(repo, isolation="copy") as box:
        tools = SandboxTools(box)
        start = time.monotonic()
        result = tools.run("grep", {"pattern": "(a|aa)+$", "output_mode": "content"})
        assert time.monotonic() - start < 5  # a backtracking engine tries about 2**40 ways on this line
        assert not result.ok and "took longer than 0.5 s" in result.output
        assert tools.run("grep", {"pattern": "a{3}b", "output_mode": "count"}).output == "slow.txt:1"


@pytest.mark.skipif(bool(namespaces_available()), reason="no namespace jail on this system")
def test_the_copys_changes_are_capped_and_so_are_the_processes_commands_start(tmp_path: Path) -> None:
    from factory.rollout.sandbox import Limits

    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_big.py").write_text(
        "import pytest\n\n\ndef test_fill_the_disk():\n    with pytest.raises(OSError) as err:\n"
        "        with open('big.bin', 'wb') as f:\n            for _ in range(64):\n"
        "                f.write(b'x' * (1 << 20))\n    assert err.value.errno == 28  # ENOSPC\n")
    (repo / "tests" / "test_fork.py").write_text(
        "import os\nimport time\n\n\ndef test_fork_many():\n    children, refused = [], 0\n"
        "    for _ in range(200):\n        try:\n            pid = os.fork()\n        except BlockingIOError:\n"
        "            refused += 1\n            break\n        if pid == 0:\n            time.sleep(30)\n            os._exit(0)\n"
        "        children.append(pid)\n    print('forked', len(children), 'refused', refused)\n"
        "    assert refused and len(children) < 64\n")
    with open_sandbox(repo, limits=Limits(disk=16 << 20, processes=64), isolation="namespace") as box:
        filled = box.run("python -m pytest -q -s tests/test_big.py")
        assert filled.exit_code == 0, filled.output  # the write stopped at the cap, not at the host's disk
        if box._jail is not None and box._jail.cgroup is None and os.geteuid() == 0:
            pytest.skip("running as root without a pids cgroup to join: no process cap here (warned)")
        forked = box.run("python -m pytest -q -s tests/test_fork.py", timeout=60)
        assert forked.exit_code == 0, forked.output
        assert forked.seconds < 20  # the sleeping children went with the command


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_builtin_task_s_copy_is_a_git_checkout(isolation: str, tmp_path: Path) -> None:
    from factory.rollout.blueprints import builtin_blueprints

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    first = builtin_blueprints(tmp_path / "trees")
    again = builtin_blueprints(tmp_path / "trees")
    bp = next(b for b in first if b.key == "release_overflow")
    assert bp.repo == next(b for b in again if b.key == "release_overflow").repo  # made once, reused
    with open_sandbox(bp.repo, isolation=isolation) as box:
        clean = box.run("git status --short")
        assert clean.exit_code == 0 and clean.output.strip() == "", clean.output
        log = box.run("git log --oneline")
        assert log.exit_code == 0 and "The task's starting point" in log.output
        SandboxTools(box).run("write", {"file_path": "NOTES.md", "content": "checked\n"})
        status = box.run("git status --short")
        assert "?? NOTES.md" in status.output
        assert [c.path for c in box.changes()] == ["NOTES.md"]  # git's own index is not a change of the work
    assert not (bp.repo / "NOTES.md").exists()


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_link_the_model_makes_is_never_followed_by_the_factory(isolation: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # the factory reads the copy from outside the jail: a link to /proc/self/environ there would be the
    # factory's own environment (its API keys), and a link to ~/.ssh the host's keys
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    secret = tmp_path / "host_secret.txt"
    secret.write_text("the host's secret\n")
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_link.py").write_text(
        "import os\n\n\ndef test_link():\n    os.symlink('/proc/self/environ', 'env.txt')\n"
        f"    os.symlink({str(secret)!r}, 'notes.txt')\n")
    with open_sandbox(repo, isolation=isolation) as box:
        assert box.run("python -m pytest -q tests/test_link.py").exit_code == 0
        diff = SandboxTools(box).run("view_diff", {}).output
        changes = {c.path: c.kind for c in box.changes()}
    assert "sk-must-not-leak" not in diff and "the host's secret" not in diff
    assert changes.get("env.txt") == "added" and changes.get("notes.txt") == "added"
    assert "symbolic link to /proc/self/environ" in diff


@pytest.mark.skipif(bool(namespaces_available()), reason="no namespace jail on this system")
def test_a_process_that_leaves_its_process_group_is_killed_with_its_command(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_daemon.py").write_text(
        "import os\nimport time\n\n\ndef test_daemon():\n    if os.fork() == 0:\n        os.setsid()\n"
        "        time.sleep(60)\n        os._exit(0)\n")
    with open_sandbox(repo, isolation="namespace") as box:
        if box._jail is None or box._jail.cgroup is None:
            pytest.skip("no pids cgroup here")
        assert box.run("python -m pytest -q tests/test_daemon.py").exit_code == 0
        assert (box._jail.cgroup / "cgroup.procs").read_text().split() == []
