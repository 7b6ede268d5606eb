"""A private, confined copy of a repository for one rollout.

The copy is an overlay: the repository is the read-only lower layer, the rollout's changes go to an
upper directory of its own, so setting one up costs a mount, not a copy (``bench/bench_rollout.py``).
The overlay lives in a jail: new mount, network and PID namespaces (``unshare``) in which every other
mount is read-only, the home directories are empty and the network has only a loopback device that
is down. Python-side tools reach the copy through ``/proc/PID/root`` of the jail, commands run in it
through ``nsenter``. Where the system allows no namespaces the copy is a real copy and the
network is kept out by the command allowlist alone (``isolation == "copy"``).

Commands pass :func:`~factory.rollout.commands.check_command` first: a documented allowlist of programs (file inspection, git
read commands, test runners, build tools), no command substitution, no path outside the copy. They
run with a timeout, CPU, memory and file-size limits, in a clean environment. A refused or failing
command is a :class:`CommandResult` whose text goes back to the model as a tool error; nothing
outside the copy changes.
"""

from __future__ import annotations

import os
import re
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from factory.rollout.cgroups import CGROUP_PREFIX, kill_members, pids_cgroup, pids_root, remove_cgroup
from factory.rollout.commands import Refused, check_command

MAX_OUTPUT = 30_000  # characters of command output the model sees (head and tail kept)
DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 300.0


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT  # seconds per command unless the call asks for less
    memory: int = 4 << 30  # bytes of address space per command
    file_size: int = 256 << 20  # the largest file a command may write
    processes: int = 1024  # tasks at once: a pids cgroup per jail for root, RLIMIT_NPROC for other users
    disk: int = 1 << 30  # bytes the copy's changes may take (the overlay's upper layer is a tmpfs this size)


@dataclass
class CommandResult:
    command: str
    exit_code: int | None  # None: refused or timed out
    output: str
    refused: str = ""  # why the command was not run
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def text(self) -> str:
        """What the model gets back, as coding agents show it."""
        if self.refused:
            return f"Error: {self.refused}"
        if self.timed_out:
            return f"{self.output}\nError: command timed out after {self.seconds:.0f} s and was killed".lstrip()
        if self.exit_code:
            return f"Exit code {self.exit_code}\n{self.output}".rstrip()
        return self.output.rstrip() or "(no output)"


# --- the jail --------------------------------------------------------------------------------------

# The jail's set-up, in as few processes as the mount tool allows (each one costs 1-2 ms of CPU,
# and a rollout sets up a jail): every mount there is made read-only by one ``mount -a -o remount``
# (util-linux 2.34 and later walk the mount table for it; older ones read /etc/fstab, so there each
# mount is remounted by a loop); then the jail's own writable mounts (the overlay's layer, /dev,
# /dev/shm, scratch and home) come from one table, ``$BASE/fstab``; then the overlay; then
# ``$BASE/masks``, which hides the cgroup mounts and the credentials in home directories. The
# factory then checks, from outside, that nothing but the jail's own mounts is writable.
_JAIL = r"""
set -e
REMOUNT
mount -a -T "$BASE/fstab"
mkdir "$BASE/layer/upper" "$BASE/layer/work"
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$BASE/layer/upper,workdir=$BASE/layer/work" "$MERGED"
mount -a -T "$BASE/masks" 2>/dev/null || true
echo ready
read -r _ || true
"""
_REMOUNT_ALL = "mount -a -o remount,bind,ro 2>/dev/null || true"
_REMOUNT_EACH = (r"""while read -r _ m _; do mount -o remount,bind,ro "$(printf '%b' "$m")" 2>/dev/null || true; """
                 r"""done < /proc/self/mounts""")  # printf %b: the table writes a blank in a path as \040


@lru_cache(maxsize=1)
def _jail_script() -> str:
    """The set-up script for the installed util-linux (see ``_JAIL``)."""
    try:
        out = subprocess.run(["mount", "--version"], capture_output=True, text=True, timeout=10).stdout
        found = re.search(r"util-linux (\d+)\.(\d+)", out)
        new = found is not None and (int(found.group(1)), int(found.group(2))) >= (2, 34)
    except (OSError, subprocess.TimeoutExpired):
        new = False
    return _JAIL.replace("REMOUNT", _REMOUNT_ALL if new else _REMOUNT_EACH)


DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


def _field(text: str) -> str:
    """A path as a mount table field: blanks and backslashes escaped in octal, as fstab(5) wants."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in text)


def _unfield(text: str) -> str:
    """A path as the kernel's mount table writes it (blanks and backslashes in octal), unescaped."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _jail_tables(base: Path, disk: int, scratch: Path, home: Path) -> tuple[bytes, bytes]:
    """The jail's mount tables (see ``_JAIL``): its writable mounts, then the masks."""
    rows = [("factory-layer", base / "layer", "tmpfs", f"size={disk},mode=0755")]
    rows += [(f"/dev/{d}", base / "dev" / d, "none", "bind") for d in DEVICES]
    rows += [("factory-shm", base / "dev" / "shm", "tmpfs", "size=64m,mode=1777"),
             (base / "dev", "/dev", "none", "rbind"),
             ("factory-scratch", scratch, "tmpfs", "size=1g,mode=1777"),
             ("factory-home", home, "tmpfs", "size=64m,mode=0755")]
    masks = [("factory-cgroup", "/sys/fs/cgroup", "tmpfs", "ro,size=4k")] if Path("/sys/fs/cgroup").is_dir() else []
    homes = dict.fromkeys([Path.home(), Path("/root"), *sorted(Path("/home").glob("*"))])
    for h in homes:
        masks += [("factory-secret", h / d, "tmpfs", "ro,size=4k") for d in SECRET_DIRS if _is(h / d, stat.S_ISDIR)]
        masks += [("/dev/null", h / f, "none", "bind") for f in SECRET_FILES if _is(h / f, stat.S_ISREG)]

    def table(entries: list) -> bytes:  # paths as the file system has them, whatever their encoding
        return os.fsencode("".join(f"{_field(str(src))} {_field(str(dst))} {kind} {opts} 0 0\n"
                                   for src, dst, kind, opts in entries))

    return table(rows), table(masks)


def _writable_outside(pid: int, own: set[str]) -> list[str]:
    """The mounts the jail can reach that are writable and not its own. A mount is out of reach when
    another was mounted over it (the jail's own /proc over the host's, its /dev over the host's), and
    so is everything mounted under it: /proc/PID/mountinfo says which mount sits on which."""
    mounts: dict[int, tuple[int, str, bool]] = {}  # id -> (parent id, mount point, writable)
    for line in Path(f"/proc/{pid}/mountinfo").read_bytes().splitlines():
        fields = line.split()
        if len(fields) > 5:
            mounts[int(fields[0])] = (int(fields[1]), _unfield(os.fsdecode(fields[4])),
                                      b"rw" in fields[5].split(b","))
    covered = {parent for parent, point, _ in mounts.values() if parent in mounts and mounts[parent][1] == point}

    def reachable(mount: int) -> bool:
        seen: set[int] = set()
        while mount in mounts and mount not in seen:
            if mount in covered:
                return False
            seen.add(mount)
            mount = mounts[mount][0]
        return True

    return sorted(point for mount, (_, point, writable) in mounts.items()
                  if writable and point not in own and reachable(mount))


def _is(path: Path, kind) -> bool:
    try:
        return kind(path.stat().st_mode)
    except OSError:
        return False


# Credentials in home directories, hidden inside the jail (toolchains installed in a home stay usable).
SECRET_DIRS = (".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", ".config/gcloud", ".config/gh",
               ".password-store", ".local/share/keyrings")
SECRET_FILES = (".netrc", ".git-credentials", ".npmrc", ".pypirc", ".bash_history", ".python_history",
                ".zsh_history", ".pgpass", ".my.cnf")


_PROBE_LOCK = threading.Lock()


def namespaces_available() -> str:
    """'' when the namespace jail works here, else why not (then sandboxes are real copies). Probed
    once per process: rollouts starting at once wait for the first probe instead of each making one."""
    with _PROBE_LOCK:
        return _probe_namespaces()


@lru_cache(maxsize=1)
def _probe_namespaces() -> str:
    if sys.platform != "linux" or not all(shutil.which(p) for p in ("unshare", "nsenter", "setpriv")):
        return "unshare/nsenter/setpriv are not installed (Linux util-linux)"
    with tempfile.TemporaryDirectory(prefix="factory-probe-") as tmp:
        lower = Path(tmp, "lower")
        lower.mkdir()
        (lower / "probe").write_text("x")
        try:
            jail = _Jail(lower, Path(tmp, "box"), "probe")
        except Exception as exc:  # noqa: BLE001 - any failure here means: no jail, and why
            return str(exc) or type(exc).__name__
        try:
            r = jail.run(["/bin/sh", "-c", "cat probe && echo y > probe2"], Limits(timeout=10), jail.merged)
            if r.exit_code != 0 or r.output.strip() != "x" or (lower / "probe2").exists():
                return f"the namespace jail did not behave: {r.output.strip()[:200]}"
        finally:
            jail.close()
    return ""


def _limits(limits: Limits, cgroup: Path | None = None):
    procs = str(cgroup / "cgroup.procs") if cgroup else None

    def apply() -> None:
        if procs:  # the command and everything it starts count against the jail's pids.max
            fd = os.open(procs, os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
        os.setsid()
        cpu = int(limits.timeout) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
        if os.geteuid() != 0:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    return apply


def _clean_env(home: Path, scratch: Path) -> dict[str, str]:
    path = os.pathsep.join(dict.fromkeys([str(Path(sys.executable).parent), "/usr/local/go/bin",
                                          str(Path.home() / ".cargo/bin"), "/usr/local/bin", "/usr/bin", "/bin"]))
    return {
        "PATH": path, "HOME": str(home), "TMPDIR": str(scratch), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TERM": "dumb", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
        "PYTEST_ADDOPTS": "-p no:cacheprovider", "NO_COLOR": "1", "GIT_PAGER": "cat", "PAGER": "cat",
        "GOCACHE": str(scratch / "go-cache"), "GOPATH": str(scratch / "go"), "GOFLAGS": "-mod=mod",
        "GOPROXY": "off", "GOTOOLCHAIN": "local", "CARGO_NET_OFFLINE": "true",
        "CARGO_TARGET_DIR": str(scratch / "cargo-target"), "npm_config_offline": "true",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "agent", "GIT_AUTHOR_EMAIL": "agent@sandbox.invalid",
        "GIT_COMMITTER_NAME": "agent", "GIT_COMMITTER_EMAIL": "agent@sandbox.invalid",
    }


def _run(argv: list[str], limits: Limits, env: dict[str, str], cwd: str | None, out_dir: Path,
         timeout: float, cgroup: Path | None = None) -> CommandResult:
    start = time.monotonic()
    with tempfile.TemporaryFile(dir=out_dir) as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=cwd, preexec_fn=_limits(limits, cgroup), close_fds=True)
        timed_out = False
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            code = None
        try:  # what the command left running in the background goes with it
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if cgroup is not None:  # and what left the process group (setsid) but not the cgroup
            kill_members(cgroup)
        proc.wait()
        size = out.seek(0, os.SEEK_END)
        out.seek(0)
        if size <= MAX_OUTPUT:
            text = out.read().decode("utf-8", "replace")
        else:  # the head and the real tail (a test run's summary is at the end)
            head = out.read(MAX_OUTPUT // 3).decode("utf-8", "replace")
            out.seek(size - (2 * MAX_OUTPUT) // 3)
            tail = out.read().decode("utf-8", "replace")
            text = head + f"\n... ({size - MAX_OUTPUT // 3 - (2 * MAX_OUTPUT) // 3} bytes cut) ...\n" + tail
    if code is not None and code < 0:
        text += f"\n(killed by signal {-code})"
        code = 128 - code
    return CommandResult(" ".join(argv[-1:]), code, text, timed_out=timed_out, seconds=time.monotonic() - start)


def jail_mount_root() -> Path:
    """Where every jail mounts its copy, each in its own mount namespace: the same path for every
    rollout of a repository, so tool results (``pwd``, a traceback) do not vary between runs."""
    return Path(tempfile.gettempdir()) / "factory-sandbox"


class _Jail:
    """One overlay in one set of namespaces, held open by a shell waiting on its stdin."""

    def __init__(self, lower: Path, base: Path, name: str, limits: Limits | None = None) -> None:
        self.base = base
        limits = limits or Limits()
        (base / "layer").mkdir(parents=True, exist_ok=True)
        fixed = jail_mount_root()
        for d in (name, ".scratch", ".home"):
            (fixed / d).mkdir(parents=True, exist_ok=True)
        self.merged = str(fixed / name)
        self.scratch, self.home = fixed / ".scratch", fixed / ".home"
        self.cgroup = pids_cgroup(limits.processes)
        (base / "dev" / "shm").mkdir(parents=True, exist_ok=True)
        for d in DEVICES:
            (base / "dev" / d).touch()
        fstab, masks = _jail_tables(base, limits.disk, self.scratch, self.home)
        (base / "fstab").write_bytes(fstab)
        (base / "masks").write_bytes(masks)
        # Only what the set-up script reads: the factory's environment (API keys) stays out of the jail.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOWER": str(lower), "BASE": str(base),
               "MERGED": self.merged}
        argv = ["unshare", "--mount", "--propagation", "private", "--net", "--pid", "--fork", "--mount-proc"]
        if os.geteuid() != 0:
            argv.insert(1, "--map-root-user")
        self._proc = subprocess.Popen([*argv, "/bin/sh", "-c", _jail_script()], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if line.strip() != b"ready":
            err = (self._proc.stderr.read() if self._proc.poll() is not None else b"").decode(errors="replace")
            self.close()
            raise OSError(f"cannot set up the namespace jail: {err.strip()[:300] or 'no ready signal'}")
        children = Path(f"/proc/{self._proc.pid}/task/{self._proc.pid}/children").read_text().split()
        self.pid = int(children[0]) if children else self._proc.pid
        own = {self.merged, str(base / "layer"), str(base / "dev" / "shm"), str(self.scratch), str(self.home),
               *(str(base / "dev" / d) for d in DEVICES)}
        own = {os.path.realpath(p) for p in own} | {"/dev/shm", *(f"/dev/{d}" for d in DEVICES)}  # as the kernel lists them
        writable = _writable_outside(self.pid, own)
        if writable:
            self.close()
            raise OSError(f"cannot set up the namespace jail: these mounts stayed writable in it: "
                          f"{', '.join(writable[:5])}")
        self.view = Path(f"/proc/{self.pid}/root{self.merged}")
        self.upper = Path(f"/proc/{self.pid}/root{base}/layer/upper")  # on the jail's own tmpfs

    def run(self, argv: list[str], limits: Limits, cwd: str, timeout: float | None = None) -> CommandResult:
        enter = ["nsenter", "-t", str(self.pid), "-m", "-n", "-p"]
        if os.geteuid() != 0:
            enter[1:1] = ["-U", "--preserve-credentials"]
        # Commands keep uid 0 inside but no capability at all: they cannot mount, unmount, remount
        # read-write, or gain privileges back (no_new_privs); the read-only mounts and masks hold.
        enter += ["--", "setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
        env = _clean_env(self.home, self.scratch)
        # nsenter's --wd opens the directory before it enters the mount namespace: cd inside instead
        inner = ["/bin/sh", "-c", f"cd {shlex.quote(cwd)} && exec \"$@\"", "sh", *argv]
        return _run([*enter, *inner], limits, env, None, self.base, timeout or limits.timeout, self.cgroup)

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        if self.cgroup is not None:
            remove_cgroup(self.cgroup)
            self.cgroup = None


@dataclass
class Change:
    path: str
    kind: str  # added | modified | deleted


@dataclass
class Sandbox:
    """A repository copy for one rollout; use as a context manager (``open_sandbox``)."""

    source: Path
    base: Path
    root: Path  # where Python-side tools read and write the copy
    shown: str  # the copy's path as commands (and the model) see it
    isolation: str  # namespace | copy
    limits: Limits = field(default_factory=Limits)
    _jail: _Jail | None = None
    setup_seconds: float = 0.0
    closed: bool = False

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Check and run one shell command line in the copy."""
        try:
            check_command(command, self.shown)
        except Refused as exc:
            return CommandResult(command, None, "", refused=str(exc))
        wait = min(timeout or self.limits.timeout, self.limits.timeout, MAX_TIMEOUT)
        self._open()
        if self._jail is not None:
            result = self._jail.run(["/bin/sh", "-c", command], self.limits, self.shown, wait)
        else:
            env = _clean_env(self.base / "home", self.base / "scratch")
            result = _run(["/bin/sh", "-c", command], self.limits, env, self.shown, self.base, wait)
        result.command = command
        return result

    def changes(self) -> list[Change]:
        """What the rollout changed, relative to the repository."""
        out: list[Change] = []
        self._open()
        if self._jail is not None:
            upper = self._jail.upper
            for dirpath, dirnames, filenames in os.walk(upper):
                for name in sorted(filenames + [d for d in dirnames if _whiteout(Path(dirpath, d))]):
                    full = Path(dirpath, name)
                    rel = full.relative_to(upper).as_posix()
                    if _skipped(rel):
                        continue
                    if _whiteout(full):
                        out.append(Change(rel, "deleted"))
                    elif (now := content_of(full)) is not None:
                        before = content_of(self.source / rel)
                        if before is None:
                            out.append(Change(rel, "added"))
                        elif before != now:
                            out.append(Change(rel, "modified"))
            return sorted(out, key=lambda c: c.path)
        seen = set()
        for dirpath, _, filenames in os.walk(self.root):
            for name in filenames:
                full = Path(dirpath, name)
                rel = full.relative_to(self.root).as_posix()
                seen.add(rel)
                if _skipped(rel) or (now := content_of(full)) is None:
                    continue
                before = content_of(self.source / rel)
                if before is None:
                    out.append(Change(rel, "added"))
                elif before != now:
                    out.append(Change(rel, "modified"))
        for dirpath, _, filenames in os.walk(self.source):
            for name in filenames:
                rel = Path(dirpath, name).relative_to(self.source).as_posix()
                if rel not in seen and not _skipped(rel):
                    out.append(Change(rel, "deleted"))
        return sorted(out, key=lambda c: c.path)

    def diff(self) -> str:
        """A unified diff of the rollout's changes (``git diff`` style paths)."""
        import difflib

        parts = []
        for ch in self.changes():
            before = _lines(self.source / ch.path) if ch.kind != "added" else []
            after = _lines(self.root / ch.path) if ch.kind != "deleted" else []
            a = f"a/{ch.path}" if ch.kind != "added" else "/dev/null"
            b = f"b/{ch.path}" if ch.kind != "deleted" else "/dev/null"
            parts.append("".join(difflib.unified_diff(before, after, a, b)))
        return "".join(parts)

    def _open(self) -> None:
        """A closed sandbox runs nothing (a jailed one must never fall back to running unjailed)."""
        if self.closed:
            raise RuntimeError("the sandbox is closed")

    def close(self) -> None:
        self.closed = True
        if self._jail is not None:
            self._jail.close()
            self._jail = None
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _skipped(rel: str) -> bool:
    """Not a change of the work: caches, build output, and git's own bookkeeping (``git status`` rewrites
    the index)."""
    parts = rel.split("/")
    return parts[0] == ".git" or any(
        p in {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "node_modules", "target"} for p in parts)


def _whiteout(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def content_of(path: Path) -> bytes | None:
    """What a path of the copy holds, read without following a symbolic link: the factory reads the copy
    from outside the jail (through /proc/PID/root), where a link the model made to ``/proc/self/environ``
    or ``~/.ssh`` would resolve to the host's file. A link is its target's name; a directory, FIFO or
    device is None."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return b"symbolic link to " + os.fsencode(os.readlink(path))
    if not stat.S_ISREG(mode):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _lines(path: Path) -> list[str]:
    data = content_of(path)
    try:
        return data.decode("utf-8").splitlines(keepends=True) if data is not None else []
    except UnicodeDecodeError:
        return []


SANDBOX_PREFIX = "factory-rollout-"  # then the owning process id, then mkdtemp's random part
_swept: set[str] = set()


def remove_stale_sandboxes(base_dir: str | Path | None = None) -> list[Path]:
    """Sandbox copies left by a run that was killed (``kill -9`` leaves no chance to clean up): those
    under ``base_dir`` (the system's temp directory by default) whose process no longer runs. Looked
    for once per process and directory."""
    from factory.store.jsonl import process_alive

    root = Path(base_dir or tempfile.gettempdir())
    if str(root) in _swept:
        return []
    _swept.add(str(root))
    removed = []
    for stale in root.glob(f"{SANDBOX_PREFIX}*-*"):
        pid = stale.name[len(SANDBOX_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and stale.is_dir() and not process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
            removed.append(stale)
    pids = pids_root() if os.geteuid() == 0 else None
    for group in pids.glob(f"{CGROUP_PREFIX}*-*") if pids else ():
        pid = group.name[len(CGROUP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            remove_cgroup(group)
    return removed


def open_sandbox(source: str | Path, limits: Limits | None = None, base_dir: str | Path | None = None,
                 isolation: str = "auto") -> Sandbox:
    """A fresh copy of ``source``. ``isolation``: ``auto`` (the namespace jail where the system allows
    it, else a copy), ``namespace`` (fail if it cannot) or ``copy``."""
    source = Path(source).resolve()
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is not a directory")
    limits = limits or Limits()
    start = time.perf_counter()
    remove_stale_sandboxes(base_dir)
    base = Path(tempfile.mkdtemp(prefix=f"{SANDBOX_PREFIX}{os.getpid()}-", dir=base_dir))
    name = source.name or "repo"
    why = namespaces_available() if isolation != "copy" else "copy asked for"
    if isolation == "namespace" and why:
        shutil.rmtree(base, ignore_errors=True)
        raise OSError(f"no namespace jail on this system: {why}")
    try:
        if not why:
            jail = _Jail(source, base, name, limits)
            box = Sandbox(source, base, jail.view, jail.merged, "namespace", limits, jail)
        else:
            for d in ("scratch", "home"):
                (base / d).mkdir()
            shutil.copytree(source, base / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ruff_cache"))
            box = Sandbox(source, base, base / name, str(base / name), "copy", limits)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    box.setup_seconds = time.perf_counter() - start
    return box
