"""Ingest benchmarks (prints figures; not a test).

1. Claude Code logs: the four real sessions of tests/fixtures/claude_logs copied with varied text until
   the input reaches 25 MB and 100 MB; each size is ingested in a fresh process (keep-filter off, so
   every window is scrubbed, validated and written). Reports seconds, MB/s and peak RSS: streaming
   means the peak should not grow with the input. Target: 100 MB in <= 60 s.
2. repo-fim: a git repository of 5,000 source files in five languages (the project's own Python files
   plus generated Go, Rust, TypeScript and Ruby), ingested with --per-file 6 --max-len 1600.
   Target: <= 60 s.

Run: python bench/bench_ingest.py [--sizes 25,100] [--files 5000] [--keep-temp]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "claude_logs"


def make_logs(folder: Path, megabytes: int) -> int:
    """Copies of the real sessions, each copy's user prompts and tool results made distinct."""
    folder.mkdir(parents=True)
    sessions = {p.name: [json.loads(line) for line in p.read_text().splitlines()] for p in FIXTURES.glob("*.jsonl")}
    total, copy = 0, 0
    while total < megabytes * 1_000_000:
        for name, entries in sessions.items():
            lines = []
            for e in entries:
                e = json.loads(json.dumps(e))
                msg = e.get("message") or {}
                if e.get("type") == "user" and isinstance(msg.get("content"), str):
                    msg["content"] += f" (copy {copy})"
                elif e.get("type") == "user" and isinstance(msg.get("content"), list):
                    for b in msg["content"]:
                        if b.get("type") == "tool_result" and isinstance(b.get("content"), str):
                            b["content"] = f"[{copy}] " + b["content"]
                lines.append(json.dumps(e))
            data = "\n".join(lines) + "\n"
            project = folder / f"-home-bench-project{copy % 20}"
            project.mkdir(exist_ok=True)
            (project / f"{copy:05d}-{name}").write_text(data)
            total += len(data)
            copy += 1
    return total


def make_repo(folder: Path, n_files: int) -> None:
    folder.mkdir(parents=True)
    own = sorted(p for p in ROOT.glob("**/*.py") if ".venv" not in p.parts and "bench" not in p.parts)
    templates = {
        "go": ("go", "package pkg{i}\n\nimport \"fmt\"\n\ntype Item{i} struct {{\n\tName string\n\tCount int\n}}\n\n"
               "func (it Item{i}) Describe() string {{\n\tif it.Count > {i} {{\n\t\treturn fmt.Sprintf(\"%s many\", it.Name)\n"
               "\t}}\n\treturn fmt.Sprintf(\"%s x%d\", it.Name, it.Count)\n}}\n"),
        "rs": ("rust", "pub struct Item{i} {{\n    pub name: String,\n    pub count: u32,\n}}\n\nimpl Item{i} {{\n"
               "    pub fn describe(&self) -> String {{\n        if self.count > {i} {{\n            format!(\"{{}} many\", self.name)\n"
               "        }} else {{\n            format!(\"{{}} x{{}}\", self.name, self.count)\n        }}\n    }}\n}}\n"),
        "ts": ("typescript", "export interface Item{i} {{\n  name: string;\n  count: number;\n}}\n\n"
               "export function describe{i}(it: Item{i}): string {{\n  if (it.count > {i}) {{\n    return `${{it.name}} many`;\n"
               "  }}\n  return `${{it.name}} x${{it.count}}`;\n}}\n"),
        "rb": ("ruby", "class Item{i}\n  def initialize(name, count)\n    @name = name\n    @count = count\n  end\n\n"
               "  def describe\n    return \"#{{@name}} many\" if @count > {i}\n    \"#{{@name}} x#{{@count}}\"\n  end\nend\n"),
    }
    written = 0
    for i, src in enumerate(own):
        if written >= n_files // 3:
            break
        dest = folder / "py" / f"{i:05d}_{src.name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        written += 1
    i = 0
    while written < n_files:
        ext = list(templates)[i % len(templates)]
        dest = folder / ext / f"f{i:05d}.{ext}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(templates[ext][1].format(i=i))
        written += 1
        i += 1
    (folder / "LICENSE").write_text("Permission is hereby granted, free of charge, to any person ...\n")
    env = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run(["git", "-C", str(folder), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(folder), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(folder), *env, "commit", "-qm", "bench"], check=True)


def child(args: list[str]) -> None:
    """Run one ingest command in this process; print seconds and peak RSS as JSON."""
    from factory.cli.main import main

    start = time.perf_counter()
    try:
        main(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("BENCH " + json.dumps({"seconds": seconds, "peak_rss_mb": rss_mb}))


def measure(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH "))
    summary = proc.stdout.splitlines()[0]
    return {**json.loads(line[6:]), "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="25,100", help="MB of session logs to ingest, comma-separated")
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--keep-temp", action="store_true")
    opts = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:
        for mb in (int(s) for s in opts.sizes.split(",")):
            logs = tmp / f"logs_{mb}"
            size = make_logs(logs, mb)
            r = measure(["ingest", "claude-logs", str(logs), "--out", str(tmp / f"logs_{mb}.jsonl"), "--keep", "all"])
            print(f"claude-logs {size / 1e6:7.1f} MB: {r['seconds']:6.1f} s  {size / 1e6 / r['seconds']:5.1f} MB/s  "
                  f"peak RSS {r['peak_rss_mb']:6.0f} MB   | {r['summary']}")
        repo = tmp / "repo"
        make_repo(repo, opts.files)
        r = measure(["ingest", "repo-fim", str(repo), "--out", str(tmp / "fim.jsonl"), "--per-file", "6",
                     "--max-len", "1600"])
        print(f"repo-fim {opts.files} files: {r['seconds']:6.1f} s  peak RSS {r['peak_rss_mb']:6.0f} MB   | {r['summary']}")
    finally:
        if not opts.keep_temp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
