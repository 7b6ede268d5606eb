"""The heavy passes past one process: the executor switch shared by merge's near-dedupe, token
counting (``validate --tokenizer``, ``factory run``), ``factory check`` and the repo-fim ingest.

They run as pipelines of datatrove (Hugging Face's data-processing library) on one of its executors:
``local`` (worker processes on this machine), ``ray`` (a Ray cluster: ``RAY_ADDRESS``, or the one
``ray start`` left on this machine) or ``slurm`` (a job array a stage, submitted with ``sbatch`` from
this machine, which waits for it). ``in-process`` is the plain path, ``auto`` picks the engine above
each pass's measured break-even size when datatrove is installed. Every pass writes the same answer on
every executor; a killed run resumes from the tasks datatrove marked finished.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.errors import FactoryError

EXECUTORS = ("auto", "in-process", "local", "ray", "slurm")


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

    def balanced(self, records: int, largest: int, smallest: int = 1) -> int:
        """Records a shard: ``--tasks`` cuts the input into that many; else at most ``largest`` and at
        least four shards a worker (records differ in cost: equal counts are not equal work), but not
        under ``smallest`` (a task costs 35-75 ms to start: on many cores, tiny shards are all start-up)."""
        workers = self.workers or os.cpu_count() or 1
        return self.shards(records, min(largest, max(smallest, -(-records // (4 * workers)))))

    def shards(self, records: int, per_shard: int) -> int:
        """Records a shard: ``--tasks`` cuts the input into that many, else ``per_shard`` a shard."""
        return max(1, -(-records // self.tasks)) if self.tasks else per_shard


def default_workers(executor: str, workers: int, tasks: int) -> int:
    """Tasks at once: ``--workers``, else this machine's cores (on Slurm every task: the scheduler decides)."""
    return max(1, min(workers or (tasks if executor == "slurm" else os.cpu_count() or 1), tasks))


def require_datatrove(executor: str, what: str, extra: tuple[str, ...] = ()) -> None:
    """A clear error when ``executor`` needs a package that is not installed; ``what`` names the pass,
    ``extra`` the modules it needs beside datatrove."""
    for module in ("datatrove", "numpy", *extra):
        try:
            importlib.import_module(module)
        except ImportError:
            raise FactoryError(f"--executor {executor} runs {what} on datatrove, and {module} is not installed: "
                               "pip install 'factory[scale]' (or --executor in-process)") from None
    if executor == "slurm":
        slurm_settings()
        missing = [c for c in ("sbatch", "squeue", "scancel", "srun") if shutil.which(c) is None]
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
        handler = logger.add(lambda message: (fh.write(str(message).encode()), fh.flush()), level="INFO")
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
    import uuid

    from factory.slurm_executor import FactorySlurmExecutor

    venv = Path(sys.prefix) / "bin" / "activate"
    return FactorySlurmExecutor(
        pipeline, tasks=tasks, workers=workers or -1, cpus_per_task=1, **slurm_settings(),
        # a name of its own, so that squeue and scancel find every array of this stage and no other
        job_name=f"{name}-{uuid.uuid4().hex[:8]}", logging_dir=str(logs), requeue=False, mail_type="NONE",
        # the jobs run this interpreter's environment (they inherit this one's variables too)
        venv_path=str(venv) if sys.prefix != sys.base_prefix and venv.exists() else None)


def _wait_for_slurm(executor: Any, what: str, work: Path) -> None:
    """Poll ``squeue`` until the stage's job arrays have left the queue; Ctrl-C cancels them. Only a
    clear answer counts as gone (no line, or "Invalid job id"); a controller that does not answer is
    asked again, for up to ten minutes in a row."""
    import subprocess

    job = executor.job_id
    if job in (None, -1):  # every task was finished already
        return
    # datatrove submits one array per 1,001 tasks; the last id is the newest, and all share the job name
    print(f"{what}: Slurm job {job} ({executor.job_name}) submitted; waiting for it (Ctrl-C cancels it)",
          flush=True)
    wait, silent_since = 1.0, None
    try:
        while True:
            try:
                out = subprocess.run(["squeue", "-h", "--name", executor.job_name, "-o", "%i %T"],
                                     capture_output=True, text=True, timeout=60)
                answered = out.returncode == 0 or "Invalid job id" in out.stderr
            except subprocess.TimeoutExpired:
                out, answered = None, False
            if answered:
                silent_since = None
                if out is not None and not out.stdout.strip():
                    return
            else:
                silent_since = silent_since or time.monotonic()
                if time.monotonic() - silent_since > 600:
                    raise FactoryError(f"{what}: the Slurm controller has not answered squeue for 10 minutes; "
                                       f"job {job} may still run (squeue -j {job}); rerun the same command once it "
                                       "is done to pick up its finished tasks")
            time.sleep(wait)
            wait = min(wait * 1.5, 15.0)
    except KeyboardInterrupt:
        subprocess.run(["scancel", "--name", executor.job_name], capture_output=True, timeout=60)
        raise FactoryError(f"{what}: interrupted; Slurm job {job} cancelled (the finished tasks stay done)") from None


def slurm_settings() -> dict[str, Any]:
    """The ``FACTORY_SLURM_*`` settings, checked: one message for a bad value."""
    mem = os.environ.get("FACTORY_SLURM_MEM_GB", "2")
    if not mem.isdigit() or int(mem) < 1:
        raise FactoryError(f"FACTORY_SLURM_MEM_GB must be a whole number of GB (1 or more), got {mem!r}")
    return {"time": os.environ.get("FACTORY_SLURM_TIME", "4:00:00"),
            "partition": os.environ.get("FACTORY_SLURM_PARTITION", ""),
            "qos": os.environ.get("FACTORY_SLURM_QOS", ""), "mem_per_cpu_gb": int(mem)}


def default_work_root(what: str) -> Path:
    """``~/.cache/factory/work/WHAT`` (``FACTORY_CACHE_DIR`` / ``XDG_CACHE_HOME`` move it)."""
    base = os.environ.get("FACTORY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "factory")
    return Path(base) / "work" / what


def package_version(name: str) -> str:
    """An installed distribution's version, "-" when it is not installed (work keys hold them)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def versions(*names: str) -> dict[str, str]:
    """What a work key holds of the code: the versions of the factory, pydantic, orjson and the named
    distributions, and a stamp of the factory's own source files (an editable install keeps one version
    number through every edit, and a part written by other code must not be resumed from)."""
    found = {name: package_version(name) for name in ("factory", "pydantic", "orjson", *names)}
    found["factory source"] = _source_stamp()
    return found


@functools.cache
def _source_stamp() -> str:
    """The sizes and times of the factory's Python files (its package and the schemas and plugins
    folders it maps in)."""
    import hashlib
    import importlib.util

    digest = hashlib.blake2b(digest_size=12)
    for package in ("factory", "factory.schemas", "factory.plugins"):
        spec = importlib.util.find_spec(package)
        folders = sorted(spec.submodule_search_locations or []) if spec is not None else []
        for folder in folders:
            for path in sorted(Path(folder).rglob("*.py")):
                st = path.stat()
                digest.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def shard_size(work: Path, wanted: int) -> int:
    """The shard size the work folder's first run chose (``wanted`` on a first run): a rerun with other
    ``--workers``, or on a machine with other cores, resumes from the same cut instead of starting afresh."""
    return int(_saved_once(work / "shard_size", lambda: str(wanted).encode()))


def _saved_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """``path``'s bytes; on the first run, ``make()``'s, written whole before they are used."""
    if path.exists():
        return path.read_bytes()
    data = make()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data


def work_dir(root: Path, identity: Any) -> Path:
    """``root/KEY``: KEY names everything the work files depend on (``identity``), so a rerun with
    anything else starts afresh instead of resuming from them."""
    import hashlib

    import orjson

    key = hashlib.blake2b(orjson.dumps(identity, default=str), digest_size=12).hexdigest()
    work = root.resolve() / key
    work.mkdir(parents=True, exist_ok=True)
    return work


def shard_plan(work: Path, paths: Any, per_shard: int, labels: Any = None) -> list:
    """The shards of ``work/plan.json``, written on the first run (a resumed run keeps its shards);
    ``labels`` name the files in the segments (default: the paths as given)."""
    import orjson

    from factory.store.shards import plan_shards

    saved = _saved_once(work / "plan.json", lambda: orjson.dumps(
        {"inputs": [str(p) for p in paths], "shards": plan_shards(paths, per_shard, labels)}))
    return orjson.loads(saved)["shards"]


def shard_segments(work: Path, rank: int) -> list:
    """Shard ``rank``'s segments, in a task: ``[absolute path, start, stop, first line, label]``."""
    import orjson

    return orjson.loads((work / "plan.json").read_bytes())["shards"][rank]


def part_files(work: Path, count: int, suffix: str, what: str) -> list[Path]:
    """``work/parts/RANK{suffix}`` of every shard; an error when a finished task's part is gone."""
    parts = [work / "parts" / f"{rank:05d}{suffix}" for rank in range(count)]
    missing = [p.name for p in parts if not p.exists()]
    if missing:  # finished tasks whose files are gone (a work directory half removed)
        raise FactoryError(f"{work}: {len(missing)} finished {what} part(s) are missing; remove that directory "
                           "and run again")
    return parts


def remove_work(work: Path) -> None:
    """Renamed first, so that a removal cut short never leaves completion markers without the parts."""
    import tempfile

    doomed = tempfile.mkdtemp(prefix=f"{work.name}.removing.", dir=work.parent)
    os.replace(work, Path(doomed) / "work")
    shutil.rmtree(doomed, ignore_errors=True)


def run_shards(step: Any, executor: str, workers: int, count: int, work: Path, *, label: str, what: str,
               rerun: str, suffix: str, mem_gb: float = 1.0, echo: Callable[[str], Any] | None = None) -> list[Path]:
    """Run ``step`` as ``count`` datatrove tasks (one a shard of ``work``'s plan) on ``executor``;
    returns the tasks' parts (``work/parts/RANK{suffix}``) in shard order. Tasks finished by an
    earlier run are skipped, and the echo line says how many."""
    logs = work / "logs"
    done = finished_tasks(logs)
    t = time.perf_counter()
    with quiet(work / "datatrove.log"):
        stage = make_executor(executor, [step], count, workers, logs, mem_per_cpu_gb=mem_gb, name=f"factory-{label}")
        run_stage(stage, work, what, rerun)
    parts = part_files(work, count, suffix, label)
    if echo:
        resumed = f"; resumed: {done} of them were done" if done else ""
        echo(f"{label} on datatrove ({executor}, {workers} workers, {count} shards): "
             f"{time.perf_counter() - t:.1f} s{resumed}")
    return parts


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

