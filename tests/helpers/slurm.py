"""A real one-node Slurm cluster for the tests: munge, slurmctld and slurmd from Debian's packages
(``apt-get install slurmctld slurmd slurm-client munge``, which .ci/run does), started as root in a
container without systemd, with no cgroups and no accounting. The configuration lives in the test's
folder and reaches every Slurm command through ``SLURM_CONF``; munge keeps its system key and socket."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.helpers.serving import free_port

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "srun")


def missing() -> str | None:
    """Why no cluster can start here, or None."""
    absent = [d for d in DAEMONS if shutil.which(d, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None]
    if absent:
        return f"Slurm is not installed ({', '.join(absent)}): apt-get install slurmctld slurmd slurm-client munge"
    if os.geteuid() != 0:
        return "the Slurm daemons of the test cluster run as root"
    return None


def _munge() -> None:
    key = Path("/etc/munge/munge.key")
    if subprocess.run("munge -n </dev/null | unmunge", shell=True, capture_output=True).returncode == 0:
        return  # already running
    if not key.exists() or key.stat().st_size == 0:
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_bytes(os.urandom(1024))
    for folder in ("/run/munge", "/var/lib/munge", "/var/log/munge"):
        Path(folder).mkdir(parents=True, exist_ok=True)
    subprocess.run(["chown", "munge:munge", "/etc/munge", str(key), "/run/munge", "/var/lib/munge", "/var/log/munge"],
                   check=True)
    key.chmod(0o400)
    subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True)
    for _ in range(50):
        if subprocess.run("munge -n </dev/null | unmunge", shell=True, capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("munged did not start")


def _detected_memory() -> int:
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True).stdout
    for word in out.split():
        if word.startswith("RealMemory="):
            return int(word.split("=")[1])
    return 4096


@contextlib.contextmanager
def slurm_cluster(base: Path, cpus: int = 2) -> Iterator[dict[str, str]]:
    """Start the cluster under ``base``; yields the environment its commands need (SLURM_CONF)."""
    base.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool", "log"):
        (base / sub).mkdir(exist_ok=True)
    node = socket.gethostname().split(".")[0]
    hosts = Path("/etc/hosts")
    if subprocess.run(["getent", "hosts", node], capture_output=True).returncode != 0:
        text = hosts.read_text()
        hosts.write_text(text + ("" if text.endswith("\n") or not text else "\n") + f"127.0.0.1 {node}\n")
    _munge()
    conf = base / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=factorytests", f"SlurmctldHost={node}", "SlurmUser=root", "SlurmdUser=root",
        "AuthType=auth/munge", "CredType=cred/munge", "MpiDefault=none", "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none", "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/none", "MailProg=/bin/true", "SchedulerType=sched/backfill", "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU", "ReturnToService=2", "MinJobAge=600", "KillWait=5", "InactiveLimit=0",
        f"StateSaveLocation={base / 'state'}", f"SlurmdSpoolDir={base / 'spool'}",
        f"SlurmctldPidFile={base / 'slurmctld.pid'}", f"SlurmdPidFile={base / 'slurmd.pid'}",
        f"SlurmctldLogFile={base / 'log' / 'slurmctld.log'}", f"SlurmdLogFile={base / 'log' / 'slurmd.log'}",
        f"SlurmctldPort={free_port()}", f"SlurmdPort={free_port()}",
        f"NodeName={node} NodeAddr=127.0.0.1 CPUs={min(cpus, os.cpu_count() or 1)} RealMemory={min(4096, _detected_memory())} State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""]))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        subprocess.run(["slurmctld", "-c", "-f", str(conf)], check=True, env=env)
        subprocess.run(["slurmd", "-f", str(conf)], check=True, env=env)
        state = ""
        for _ in range(600):
            state = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True, env=env,
                                   timeout=10).stdout.strip()
            if state == "idle":
                break
            time.sleep(0.1)
        if state != "idle":
            logs = "".join(p.read_text()[-1500:] for p in (base / "log").glob("*.log"))
            raise RuntimeError(f"the Slurm node is {state!r}, not idle, after 60 s:\n{logs}")
        yield {"SLURM_CONF": str(conf)}
    finally:
        for pid_file in ("slurmd.pid", "slurmctld.pid"):
            with contextlib.suppress(OSError, ValueError):
                pid = int((base / pid_file).read_text())
                os.kill(pid, 15)
                for _ in range(200):
                    os.kill(pid, 0)  # raises once it is gone
                    time.sleep(0.05)
                os.kill(pid, 9)
