"""The heavy passes past one process: the executor switch shared by merge's near-dedupe and token counting.

Both run as pipelines of datatrove (Hugging Face's data-processing library) on one of its executors:
``local`` (worker processes on this machine), ``ray`` (a Ray cluster: ``RAY_ADDRESS``, or the one
``ray start`` left on this machine) or ``slurm`` (a job array a stage, submitted with ``sbatch`` from
this machine, which waits for it). ``in-process`` is the plain path, ``auto`` picks the engine above
each pass's measured break-even size when datatrove is installed. Every pass writes the same answer on
every executor; a killed run resumes from the tasks datatrove marked finished.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.errors import FactoryError

EXECUTORS = ("auto", "in-process", "local", "ray", "slurm")
SLURM_ENV = {  # the job arrays' settings, from the environment of the command that submits them
    "FACTORY_SLURM_PARTITION": "the partition (default: the cluster's default partition)",
    "FACTORY_SLURM_TIME": "each task's time limit (default 4:00:00)",
    "FACTORY_SLURM_MEM_GB": "memory a task, in GB (default 2)",
    "FACTORY_SLURM_QOS": "the quality of service (default: none named)",
}


@dataclass
class EngineOptions:
    """Where a heavy pass runs: ``executor`` one of :data:`EXECUTORS`; ``workers`` tasks at once
    (0: this machine's cores); ``tasks`` shards of the input (0: the pass's own shard size)."""

    executor: str = "auto"
    workers: int = 0
    tasks: int = 0

    def chosen(self, records: int, engine_above: int) -> str:
        """The executor for ``records`` input lines; ``auto`` takes the local engine above ``engine_above``."""
        if self.executor not in EXECUTORS:
            raise FactoryError(f"--executor must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.workers < 0 or self.tasks < 0:
            raise FactoryError("--workers and --tasks must be 0 (automatic) or more")
        if self.executor == "auto":  # the engine where it is faster, when it is installed
            big = records > engine_above and importlib.util.find_spec("datatrove") is not None
            return "local" if big else "in-process"
        return self.executor

    def shards(self, records: int, per_shard: int) -> int:
        """Records a shard: ``--tasks`` cuts the input into that many, else ``per_shard`` a shard."""
        return max(1, -(-records // self.tasks)) if self.tasks else per_shard


def default_workers(executor: str, workers: int, tasks: int) -> int:
    """Tasks at once: ``--workers``, else this machine's cores (on Slurm every task: the scheduler decides)."""
    return max(1, min(workers or (tasks if executor == "slurm" else os.cpu_count() or 1), tasks))


def require_datatrove(executor: str, what: str) -> None:
    """A clear error when ``executor`` needs a package that is not installed; ``what`` names the pass."""
    try:
        import datatrove  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        raise FactoryError(f"--executor {executor} runs {what} on datatrove, which is not installed: "
                           "pip install 'factory[scale]' (or --executor in-process)") from None
    if executor == "slurm":
        import shutil

        missing = [c for c in ("sbatch", "squeue", "srun") if shutil.which(c) is None]
        if missing:
            raise FactoryError(f"--executor slurm submits job arrays with sbatch, and {', '.join(missing)} "
                               "is not on PATH: run it on a machine of the cluster (a login node), or use "
                               "--executor local")
    if executor == "ray":
        _ray_token_mode()
        try:
            import ray  # noqa: F401
        except ImportError:
            raise FactoryError("--executor ray needs Ray: pip install 'factory[scale]' 'ray[default]' "
                               "(and a cluster: `ray start --head`, or RAY_ADDRESS)") from None


def _ray_token_mode() -> None:
    """``ray start`` makes a token-authenticated cluster, and a driver given its address (RAY_ADDRESS)
    does not pick the token up by itself (only when it finds the cluster on its own). Ray reads the
    mode when it is imported, so this runs before the first ``import ray``."""
    token = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    if os.environ.get("RAY_ADDRESS") and "RAY_AUTH_MODE" not in os.environ \
            and (token.exists() or os.environ.get("RAY_AUTH_TOKEN")):
        os.environ["RAY_AUTH_MODE"] = "token"


@contextlib.contextmanager
def quiet(log: Path) -> Iterator[None]:
    """datatrove logs every task to stderr; its tasks' output goes to ``log`` instead (the forked
    workers inherit the redirected descriptor), and its loguru handlers are put back afterwards."""
    from loguru import logger

    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "ab") as fh:
        os.dup2(fh.fileno(), 2)
        handler = logger.add(fh, level="INFO")
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            with contextlib.suppress(ValueError):
                logger.remove(handler)


def make_executor(kind: str, pipeline: list, tasks: int, workers: int, logs: Path, mem_per_cpu_gb: float = 0.5,
                  name: str = "factory") -> Any:
    """datatrove's executor of ``kind`` for ``pipeline``: ``tasks`` ranks, ``workers`` at once."""
    if kind == "slurm":
        return _slurm_executor(pipeline, tasks, workers, logs, name)
    if kind == "ray":
        address = os.environ.get("RAY_ADDRESS") or None
        import ray
        from datatrove.executor import RayPipelineExecutor

        if not ray.is_initialized():
            # RAY_ADDRESS, else the cluster `ray start` left on this machine, else a new local one
            try:
                ray.init(address=address, log_to_driver=False, include_dashboard=False, configure_logging=False)
            except Exception as exc:  # noqa: BLE001 - Ray's errors share no base class: one message for all
                raise FactoryError(f"--executor ray: no Ray cluster at {address or 'this machine'} ({exc}); start "
                                   "one with `ray start --head` and set RAY_ADDRESS to its address, or use "
                                   "--executor local") from None
        return RayPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=str(logs),
                                   cpus_per_task=1, mem_per_cpu_gb=mem_per_cpu_gb)
    from datatrove.executor import LocalPipelineExecutor

    return LocalPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=str(logs), start_method="fork")


def _slurm_executor(pipeline: list, tasks: int, workers: int, logs: Path, name: str) -> Any:
    from factory.slurm_executor import FactorySlurmExecutor

    venv = Path(sys.prefix) / "bin" / "activate"
    return FactorySlurmExecutor(
        pipeline, tasks=tasks, workers=workers or -1, time=os.environ.get("FACTORY_SLURM_TIME", "4:00:00"),
        partition=os.environ.get("FACTORY_SLURM_PARTITION", ""), qos=os.environ.get("FACTORY_SLURM_QOS", ""),
        cpus_per_task=1, mem_per_cpu_gb=int(os.environ.get("FACTORY_SLURM_MEM_GB", "2")), job_name=name,
        logging_dir=str(logs), requeue=False, mail_type="NONE",
        # the jobs run this interpreter's environment (they inherit this one's variables too)
        venv_path=str(venv) if sys.prefix != sys.base_prefix and venv.exists() else None)


def _wait_for_slurm(executor: Any, what: str, work: Path) -> None:
    """Poll ``squeue`` until the stage's job array has left the queue; Ctrl-C cancels it."""
    import subprocess

    job = executor.job_id
    if job in (None, -1):  # every task was finished already
        return
    try:
        while True:
            out = subprocess.run(["squeue", "-h", "-j", str(job), "-o", "%T"], capture_output=True, text=True,
                                 timeout=60)
            if out.returncode != 0 or not out.stdout.strip():  # gone (or already purged)
                return
            time.sleep(1.0)
    except KeyboardInterrupt:
        subprocess.run(["scancel", str(job)], capture_output=True, timeout=60)
        raise FactoryError(f"{what}: interrupted; Slurm job {job} cancelled (the finished tasks stay done)") from None


def finished_tasks(logs: Path) -> int:
    """Tasks of a stage that datatrove marked finished (a resumed run skips them)."""
    return len(list((logs / "completions").glob("*")))


def run_stage(executor: Any, work: Path, what: str, rerun: str) -> None:
    """Run one datatrove stage; a failed or unfinished task is one message naming the log."""
    try:
        executor.run()
        if getattr(executor, "job_id", None) is not None:  # Slurm: run() only submits the job array
            _wait_for_slurm(executor, what, work)
    except FactoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a task's failure: its traceback is in the log, the finished tasks stay done
        raise FactoryError(f"{what} on datatrove failed ({type(exc).__name__}: {exc}); see "
                           f"{work / 'datatrove.log'}; {rerun} to resume from the finished shards") from None
    incomplete = executor.get_incomplete_ranks()
    if incomplete:
        where = executor.logging_dir.resolve_paths("slurm_logs") if hasattr(executor, "job_id") \
            else work / "datatrove.log"
        raise FactoryError(f"{what} on datatrove left {len(incomplete)} task(s) unfinished; see "
                           f"{where}; {rerun} to resume")

