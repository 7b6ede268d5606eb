"""Merge with near-dedupe on datatrove (its local executor, and a real local Ray cluster): the same
files, byte for byte, as the in-process path; a killed run resumes from the finished shards. The Ray
test also counts tokens on its cluster (the local executor's token tests: tests/quality/test_token_engine.py)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from factory.errors import FactoryError
from factory.merge.dataset import MergeOptions, inputs_from, merge
from factory.merge.distributed import ENGINE_ABOVE
from factory.scale import EngineOptions
from tests.helpers.datasets import WORDS, edit_words, enhanced_pair, text_record
from tests.helpers.serving import free_port
from tests.helpers.sources import APACHE, GO, PY, RUBY, commit_files

pytest.importorskip("datatrove")
FACTORY = [sys.executable, "-m", "factory.cli.main"]
OUTPUTS = ("train.jsonl", "eval.jsonl", "dropped.jsonl", "originals.jsonl")


def _copy(rec: dict, rid: str) -> dict:
    dup = orjson.loads(orjson.dumps(rec))
    dup["id"] = rid
    return dup


def _dataset(folder: Path, n: int = 2400, seed: int = 3) -> tuple[list[Path], dict]:
    """Category files with every kind of drop merge knows, in an order where duplicates come before
    and after their originals: near copies (1-3 word edits), copies of copies, exact copies of near
    copies, look-alikes that must be kept, invalid lines, an enhanced batch replacing originals, and
    review decisions (a reject with a near and an exact copy of it, relabels)."""
    rng = random.Random(seed)
    rows = [text_record(i, rng.choice(["style_core", "guardrail", "tool_core"]), words=rng.randint(50, 90), rng=rng)
            for i in range(n)]
    for r in rows[: n // 2]:
        r["meta"] = {**r.get("meta", {}), "source": "tests"}
    planted = []
    for j in range(n // 8):
        src = rng.choice(rows)
        near = _copy(src, f"near{j}")
        near["messages"][1]["content"] = edit_words(near["messages"][1]["content"], rng, rng.randint(1, 3))
        planted.append(near)
        if j % 4 == 0:  # a copy of the copy, and an exact copy (case, spaces) of the copy
            again = _copy(near, f"again{j}")
            again["messages"][1]["content"] = edit_words(again["messages"][1]["content"], rng, 1)
            exact = _copy(near, f"exact{j}")
            exact["messages"][1]["content"] = "  " + exact["messages"][1]["content"].upper()
            planted += [again, exact]
        if j % 5 == 0:  # a look-alike: same prompt, half the answer new
            alike = _copy(src, f"alike{j}")
            words = alike["messages"][1]["content"].split()
            alike["messages"][1]["content"] = " ".join(words[: len(words) // 2] + [rng.choice(WORDS) for _ in range(len(words) // 2)])
            planted.append(alike)
    rejected = rows[7]
    near_rejected = _copy(rejected, "near-rejected")
    near_rejected["messages"][1]["content"] = edit_words(near_rejected["messages"][1]["content"], rng, 1)
    exact_rejected = _copy(rejected, "exact-rejected")
    exact_rejected["messages"][0]["content"] = exact_rejected["messages"][0]["content"].upper()
    nameless = _copy(rows[30], "x")  # a near copy without an id: its drop names none, on both paths
    del nameless["id"]
    nameless["messages"][1]["content"] = edit_words(nameless["messages"][1]["content"], rng, 1)
    everything = rows + planted + [near_rejected, exact_rejected]
    rng.shuffle(everything)
    everything.remove(rejected)
    everything.insert(5, rejected)  # the rejected record comes before its copies
    everything.append(nameless)  # after its original
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    per = len(everything) // 3 + 1
    for k in range(3):
        lines = [orjson.dumps(r) for r in everything[k * per:(k + 1) * per]]
        if k == 1:
            lines[10:10] = [b"{not json", b'{"category": "style_core"}']
        files.append(folder / f"part{k}.jsonl")
        files[-1].write_bytes(b"\n".join(lines) + b"\n")
    originals, better = zip(*(enhanced_pair(i) for i in range(30)), strict=True)
    (folder / "enhanced.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in better))
    with open(files[0], "ab") as fh:
        fh.write(b"".join(orjson.dumps(r) + b"\n" for r in originals))
    reviews = {rejected["id"]: {"decision": "reject", "label": None},
               rows[20]["id"]: {"decision": "relabel", "label": False},
               rows[21]["id"]: {"decision": "relabel", "label": False}}
    return files, reviews


def _repo(folder: Path) -> Path:
    """A small repository for the repo-fim ingest on a cluster: 24 files in three languages."""
    files = {"LICENSE": APACHE}
    for i in range(8):
        files[f"src/m{i}.py"] = PY.replace("Item", f"Item{i}")
        files[f"pkg/p{i}.go"] = GO.replace("Item", f"Item{i}")
        files[f"lib/r{i}.rb"] = RUBY.replace("Inventory", f"Inventory{i}")
    commit_files(folder, files)
    return folder


def _ingest_alike(engine: subprocess.CompletedProcess, args: list[str], out: Path) -> None:
    """The repo-fim ingest ``engine`` ran writes what the in-process one writes."""
    assert engine.returncode == 0, engine.stderr[-3000:]
    here = subprocess.run([*args, "--out", str(out.with_name("here.jsonl")), "--executor", "in-process"],
                          capture_output=True, text=True, timeout=300)
    assert here.returncode == 0, here.stderr[-3000:]
    assert out.read_bytes() == out.with_name("here.jsonl").read_bytes() and out.stat().st_size > 0


def _inputs(folder: Path, files: list[Path]):
    return inputs_from(files, enhanced=[folder / "enhanced.jsonl"])


def _same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ra, rb = orjson.loads((a / "merge_report.json").read_bytes()), orjson.loads((b / "merge_report.json").read_bytes())
    assert ra.pop("near_dedupe") == ra.pop("executor") == "in-process"
    assert rb.pop("near_dedupe") == rb.pop("executor") != "in-process"
    assert ra == rb


def test_the_local_engine_keeps_and_drops_exactly_what_the_in_process_path_does(tmp_path):
    files, reviews = _dataset(tmp_path / "data")
    opts = MergeOptions(exclude_categories=(), reviews=reviews, too_long={str(files[2]): {3, 4}})
    here = merge(_inputs(tmp_path / "data", files), tmp_path / "in-process", opts,
                 engine=EngineOptions("in-process"))
    lines = []
    engine = merge(_inputs(tmp_path / "data", files), tmp_path / "local", opts,
                   engine=EngineOptions("local", workers=2, tasks=4), echo=lines.append)
    rep = here.report
    assert rep["reconciles"] and engine.report["reconciles"]
    # every kind of drop happened, so the comparison covers each path through the code
    for reason in ("near duplicate", "exact duplicate", "invalid", "superseded by enhanced version",
                   "rejected in review", "duplicate of a record rejected in review", "over --max-tokens"):
        assert rep["dropped"].get(reason), reason
    assert rep["dropped"]["near duplicate"] > 250 and rep["review"]["relabelled"] == 2
    _same_outputs(tmp_path / "in-process", tmp_path / "local")
    assert lines[0].startswith("prepare on datatrove (local, 2 workers, 4 shards): ")
    assert "near-dedupe on datatrove (local, 2 workers, 4 shards, 9x13 bands)" in lines[1]
    assert not (tmp_path / "local" / ".dedupe").exists()  # the work directory goes once the merge is done
    listed = [orjson.loads(line) for line in (tmp_path / "local" / "dropped.jsonl").read_bytes().splitlines()]
    drops = {d["id"]: d for d in listed}
    assert sum(d["id"] is None and d["reason"] == "near duplicate" for d in listed) == 1
    assert drops["near-rejected"]["reason"] == "duplicate of a record rejected in review"
    assert drops["exact-rejected"]["reason"] == "duplicate of a record rejected in review"
    # auto picks the engine only above the measured break-even
    assert EngineOptions().chosen(ENGINE_ABOVE, ENGINE_ABOVE) == "in-process"
    assert EngineOptions().chosen(ENGINE_ABOVE + 1, ENGINE_ABOVE) == "local"


def _kill_once(args: list[str], pattern: str, folder: Path) -> list[Path]:
    """Run ``args`` and SIGKILL it once a file matching ``pattern`` under ``folder`` appears."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    found: list[Path] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(folder.glob(pattern))
        if found:
            break
        time.sleep(0.01)
    assert found, f"no {pattern} before the merge finished"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return found


def test_a_killed_engine_run_resumes_from_its_finished_shards(tmp_path, monkeypatch):
    files, _ = _dataset(tmp_path / "data", n=6000, seed=5)
    args = [*FACTORY, "merge", *map(str, files), "--enhanced", str(tmp_path / "data" / "enhanced.jsonl"),
            "--executor", "local", "--workers", "1", "--tasks", "6", "--out", str(tmp_path / "local")]
    dedupe = tmp_path / "local" / ".dedupe"
    # killed while preparing the lines, then again while computing signatures
    work = _kill_once(args, "*/prepare/logs/completions/*", dedupe)[0].parents[3]
    prepared = sorted(p.name for p in (work / "prepare" / "logs" / "completions").iterdir())
    assert 1 <= len(prepared) < 6
    parts = {r: (work / "prepare" / "parts" / f"{int(r):05d}.rows").stat().st_mtime_ns for r in prepared}
    assert _kill_once(args, "*/logs/signatures/completions/*", dedupe)[0].parents[3] == work
    assert {r: (work / "prepare" / "parts" / f"{int(r):05d}.rows").stat().st_mtime_ns for r in prepared} == parts
    finished = sorted(p.name for p in (work / "logs" / "signatures" / "completions").iterdir())
    assert 1 <= len(finished) < 6
    before = {r: (work / "signatures" / "full" / f"{r}.sig").stat().st_mtime_ns for r in finished}
    assert not (tmp_path / "local" / "train.jsonl").exists()  # nothing half-written took the outputs' place

    # the last rerun, in this process so that the work files can be looked at before the merge removes
    # its work directory: the finished shards' files are still the ones the killed runs wrote
    import factory.merge.distributed as distributed

    seen = {}
    real = distributed.keep_first

    def looking(sigs, *rest):
        seen.update({r: (sigs / "full" / f"{r}.sig").stat().st_mtime_ns for r in finished})
        return real(sigs, *rest)

    monkeypatch.setattr(distributed, "keep_first", looking)
    lines = []
    merge(_inputs(tmp_path / "data", files), tmp_path / "local", MergeOptions(exclude_categories=("eval",)),
          engine=EngineOptions("local", workers=1, tasks=6), echo=lines.append)
    assert seen == before
    assert "resumed: 6 of them were done" in lines[0]
    assert f"resumed: {len(finished)} signature and 0 band tasks were done" in lines[1]
    assert not dedupe.exists()
    merge(_inputs(tmp_path / "data", files), tmp_path / "in-process", MergeOptions(exclude_categories=("eval",)),
          engine=EngineOptions("in-process"))
    _same_outputs(tmp_path / "in-process", tmp_path / "local")


@pytest.mark.timeout(400)
def test_a_local_ray_cluster_keeps_the_same_records_counts_the_same_tokens_checks_and_ingests_alike(tmp_path):
    ray = shutil.which("ray", path=str(Path(sys.executable).parent))
    if ray is None:
        pytest.skip("ray is not installed (pip install 'factory[ray]')")
    files, _ = _dataset(tmp_path / "data", n=1200, seed=9)
    port = free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    # a head and its workers on this machine (Ray advertises the machine's address, not 127.0.0.1)
    start = subprocess.run([ray, "start", "--head", "--port", str(port),
                            "--num-cpus", "2", "--include-dashboard", "false",
                            "--disable-usage-stats"], capture_output=True, text=True, timeout=180, env=env)
    assert start.returncode == 0, start.stderr[-2000:]
    try:
        out = subprocess.run([*FACTORY, "merge", *map(str, files), "--enhanced", str(tmp_path / "data" / "enhanced.jsonl"),
                              "--executor", "ray", "--workers", "2", "--tasks", "3", "--out", str(tmp_path / "ray")],
                             capture_output=True, text=True, timeout=300,
                             env={**env, "RAY_ADDRESS": f"127.0.0.1:{port}"})
        assert out.returncode == 0, out.stderr[-3000:]
        assert "near-dedupe on datatrove (ray, 2 workers, 3 shards" in out.stdout
        # token counting on the same cluster: the in-process report, finding for finding
        args = [*FACTORY, "validate", *map(str, files), "--max-tokens", "150", "--work-dir", str(tmp_path / "work")]
        counted = subprocess.run([*args, "--executor", "ray", "--workers", "2", "--tasks", "4"], capture_output=True,
                                 text=True, timeout=300, env={**env, "RAY_ADDRESS": f"127.0.0.1:{port}"})
        assert "tokens on datatrove (ray, 2 workers, 4 shards)" in counted.stdout, counted.stderr[-3000:]
        # factory check and the repo-fim ingest too: fresh interpreters load the plugins and the plans
        check_args = [*FACTORY, "check", *map(str, files), "--no-build", "--work-dir", str(tmp_path / "work")]
        checked = subprocess.run([*check_args, "--rejects", str(tmp_path / "ray-rejects.jsonl"), "--executor", "ray",
                                  "--workers", "2", "--tasks", "3"], capture_output=True, text=True, timeout=300,
                                 env={**env, "RAY_ADDRESS": f"127.0.0.1:{port}"})
        assert "check on datatrove (ray, 2 workers, 3 shards)" in checked.stdout, checked.stderr[-3000:]
        fim_args = [*FACTORY, "ingest", "repo-fim", str(_repo(tmp_path / "repo")), "--work-dir", str(tmp_path / "work")]
        ingested = subprocess.run([*fim_args, "--out", str(tmp_path / "fim" / "ray.jsonl"), "--executor", "ray",
                                   "--workers", "2", "--tasks", "3"], capture_output=True, text=True, timeout=300,
                                  env={**env, "RAY_ADDRESS": f"127.0.0.1:{port}"})
        assert "repo-fim on datatrove (ray, 2 workers, 3 shards)" in ingested.stdout, ingested.stderr[-3000:]
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120, env=env)
    merge(_inputs(tmp_path / "data", files), tmp_path / "in-process", MergeOptions(exclude_categories=("eval",)),
          engine=EngineOptions("in-process"))
    _same_outputs(tmp_path / "in-process", tmp_path / "ray")
    here = subprocess.run([*args, "--executor", "in-process"], capture_output=True, text=True, timeout=300)
    assert counted.returncode == here.returncode == 1 and "> --max-tokens 150" in here.stderr
    assert counted.stderr == here.stderr
    assert [line for line in counted.stdout.splitlines() if "on datatrove" not in line] == here.stdout.splitlines()
    plain = subprocess.run([*check_args, "--rejects", str(tmp_path / "rejects.jsonl"), "--executor", "in-process"],
                           capture_output=True, text=True, timeout=300)
    assert checked.returncode == plain.returncode
    assert (tmp_path / "ray-rejects.jsonl").read_bytes() == (tmp_path / "rejects.jsonl").read_bytes()
    _ingest_alike(ingested, fim_args, tmp_path / "fim" / "ray.jsonl")
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.timeout(400)
def test_a_slurm_cluster_keeps_the_same_records_counts_the_same_tokens_checks_and_ingests_alike(tmp_path):
    from tests.helpers import slurm

    why = slurm.missing()
    if why:
        pytest.skip(why)
    files, _ = _dataset(tmp_path / "data", n=1200, seed=9)
    merge_args = [*FACTORY, "merge", *map(str, files), "--enhanced", str(tmp_path / "data" / "enhanced.jsonl")]
    count_args = [*FACTORY, "validate", *map(str, files), "--max-tokens", "150", "--work-dir", str(tmp_path / "work")]
    check_args = [*FACTORY, "check", *map(str, files), "--no-build", "--work-dir", str(tmp_path / "work")]
    with slurm.slurm_cluster(tmp_path / "cluster") as cluster:
        env = {**os.environ, **cluster}
        out = subprocess.run([*merge_args, "--executor", "slurm", "--workers", "2", "--tasks", "3", "--out",
                              str(tmp_path / "slurm")], capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
        assert "near-dedupe on datatrove (slurm, 2 workers, 3 shards" in out.stdout
        counted = subprocess.run([*count_args, "--executor", "slurm", "--workers", "2", "--tasks", "4"],
                                 capture_output=True, text=True, timeout=300, env=env)
        assert "tokens on datatrove (slurm, 2 workers, 4 shards)" in counted.stdout, counted.stderr[-3000:]
        checked = subprocess.run([*check_args, "--rejects", str(tmp_path / "slurm-rejects.jsonl"), "--executor",
                                  "slurm", "--tasks", "3"], capture_output=True, text=True, timeout=300, env=env)
        assert "check on datatrove (slurm, 3 workers, 3 shards)" in checked.stdout, checked.stderr[-3000:]
        fim_args = [*FACTORY, "ingest", "repo-fim", str(_repo(tmp_path / "repo")), "--work-dir", str(tmp_path / "work")]
        ingested = subprocess.run([*fim_args, "--out", str(tmp_path / "fim" / "slurm.jsonl"), "--executor", "slurm",
                                   "--tasks", "2"], capture_output=True, text=True, timeout=300, env=env)
        assert "repo-fim on datatrove (slurm, 2 workers, 2 shards)" in ingested.stdout, ingested.stderr[-3000:]
    _ingest_alike(ingested, fim_args, tmp_path / "fim" / "slurm.jsonl")
    subprocess.run([*merge_args, "--executor", "in-process", "--out", str(tmp_path / "in-process")], check=True,
                   capture_output=True, timeout=300)
    _same_outputs(tmp_path / "in-process", tmp_path / "slurm")
    here = subprocess.run([*count_args, "--executor", "in-process"], capture_output=True, text=True, timeout=300)
    assert counted.returncode == here.returncode == 1 and counted.stderr == here.stderr
    assert "token counting: Slurm job " in counted.stdout  # the user sees what to look for in squeue
    assert [line for line in counted.stdout.splitlines()
            if "on datatrove" not in line and "Slurm job" not in line] == here.stdout.splitlines()
    plain = subprocess.run([*check_args, "--rejects", str(tmp_path / "rejects.jsonl"), "--executor", "in-process"],
                           capture_output=True, text=True, timeout=300)
    assert checked.returncode == plain.returncode
    assert (tmp_path / "slurm-rejects.jsonl").read_bytes() == (tmp_path / "rejects.jsonl").read_bytes()
    assert [line.replace("slurm-rejects", "rejects") for line in checked.stdout.splitlines()
            if "on datatrove" not in line and "Slurm job" not in line] == plain.stdout.splitlines()
    assert not (tmp_path / "slurm" / ".dedupe").exists() and list((tmp_path / "work").iterdir()) == []


def test_an_engine_that_is_not_installed_or_misnamed_is_one_clear_error(tmp_path, monkeypatch):
    files, _ = _dataset(tmp_path / "data", n=200)
    monkeypatch.setitem(sys.modules, "datatrove", None)  # as if the scale extra were not installed
    with pytest.raises(FactoryError, match=r"pip install 'factory\[scale\]'"):
        merge(inputs_from(files), tmp_path / "out", MergeOptions(exclude_categories=()),
              engine=EngineOptions("local"))
    with pytest.raises(FactoryError, match="--executor must be one of auto, in-process, local, ray, slurm"):
        merge(inputs_from(files), tmp_path / "out", MergeOptions(exclude_categories=()),
              engine=EngineOptions("spark"))
    assert not (tmp_path / "out" / "train.jsonl").exists()
    monkeypatch.undo()  # datatrove is back
    # nothing survives: the outputs stay as they were, and so does the directory (no work files left)
    rows = [r for r in map(orjson.loads, files[0].read_bytes().splitlines()[:40]) if r.get("id")]
    (tmp_path / "named.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    rejected = {r["id"]: {"decision": "reject", "label": None} for r in rows}
    with pytest.raises(FactoryError, match="nothing to merge"):
        merge(inputs_from([tmp_path / "named.jsonl"]), tmp_path / "out",
              MergeOptions(exclude_categories=(), reviews=rejected), engine=EngineOptions("local"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_merge_status_and_report_still_import_on_a_base_install_without_numpy(tmp_path):
    # numpy comes with the quality extra; the engine module must not pull it in on import
    _dataset(tmp_path, n=50)
    code = ("import sys; sys.modules['numpy'] = None\n"
            "from factory.cli.main import main\n"
            f"sys.exit(main(['status', '--data', {str(tmp_path)!r}]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in out.stderr and "numpy" not in out.stderr, out.stderr
    assert out.returncode == 0 and "tool_core" in out.stdout


def test_factory_toml_chooses_the_executor_of_merge(tmp_path):
    files, _ = _dataset(tmp_path / "data", n=600, seed=11)
    (tmp_path / "factory.toml").write_text('[merge]\nexecutor = "local"\nworkers = 2\ntasks = 2\n')
    out = subprocess.run([*FACTORY, "merge", *map(str, files), "--out", str(tmp_path / "merged")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "near-dedupe on datatrove (local, 2 workers, 2 shards, 9x13 bands)" in out.stdout
    # the command line wins over the file
    out = subprocess.run([*FACTORY, "merge", *map(str, files), "--out", str(tmp_path / "here"), "--executor",
                          "in-process"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0 and "datatrove" not in out.stdout
    assert (tmp_path / "merged" / "train.jsonl").read_bytes() == (tmp_path / "here" / "train.jsonl").read_bytes()
    (tmp_path / "factory.toml").write_text('[merge]\nexecutor = "spark"\n')
    out = subprocess.run([*FACTORY, "merge", *map(str, files), "--out", str(tmp_path / "x")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "factory.toml: merge.executor: Input should be 'auto', 'in-process', 'local', 'ray' or 'slurm'" \
        in out.stderr
