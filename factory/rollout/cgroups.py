"""The pids cgroup each jail's commands run in (as root): made, capped, emptied and removed.

Where root cannot write a pids cgroup (cgroup v2 without the pids controller delegated), commands have
no process cap; their timeout and the jail's PID namespace still end them, and a warning says so once.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

CGROUP_PREFIX = "factory-sandbox-"  # then the owning process id and a counter


def pids_root() -> Path | None:
    """Where this process may make a pids cgroup (cgroup v2's own group, or v1's pids hierarchy), or
    None where there is none or it is not writable."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "pids":
            root = Path("/sys/fs/cgroup/pids") / path.lstrip("/")
            break
        if controllers == "" and "pids" in _read("/sys/fs/cgroup/cgroup.controllers").split():
            root = Path("/sys/fs/cgroup") / path.lstrip("/")
            break
    else:
        return None
    return root if os.access(root, os.W_OK) else None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


_cgroups = iter(range(1 << 62))


_warned_no_cap: list[bool] = []


def pids_cgroup(limit: int) -> Path | None:
    """A pids cgroup holding at most ``limit`` tasks for one jail's commands (root only: for another user
    RLIMIT_NPROC does the job, and root ignores RLIMIT_NPROC); None where cgroups are not writable.
    On cgroup v2 a group only gets ``pids.max`` where its parent delegates the pids controller, which a
    group holding processes (this one's own) cannot do: the parent's is tried next."""
    if os.geteuid() != 0:
        return None
    root = pids_root()
    for parent in (root, root.parent if root is not None else None):
        if parent is None or not os.access(parent, os.W_OK):
            continue
        group = parent / f"{CGROUP_PREFIX}{os.getpid()}-{next(_cgroups)}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(limit))
            return group
        except OSError:
            remove_cgroup(group)
    if not _warned_no_cap:
        _warned_no_cap.append(True)
        print("warning: running as root with no pids cgroup to join (cgroup v2 without the pids controller "
              "delegated): commands in the sandbox have no process limit; their timeout and PID namespace "
              "still end them", file=sys.stderr)
    return None


def kill_members(group: Path) -> None:
    """Kill every task in ``group`` and wait (half a second at most) until they have left it."""
    for _ in range(50):
        members = _read(str(group / "cgroup.procs")).split()
        if not members:
            return
        for pid in members:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError, ValueError):
                pass
        time.sleep(0.01)


def remove_cgroup(group: Path) -> None:
    """Kill what is still in ``group`` (a process that left the command's process group) and remove it."""
    kill_members(group)
    for _ in range(50):  # the last killed tasks may take a moment to leave
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)
