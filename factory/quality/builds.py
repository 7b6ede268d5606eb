"""Code that builds, checked with the languages' own toolchains where they are installed.

- Go: ``gofmt -l -e`` on every block (syntax, e.g. an import after a declaration, and layout), then
  ``go vet`` on every block that is a whole file (a ``package`` clause, standard-library imports, not a
  ``_test.go`` file, which needs its package);
- Rust: ``rustc`` type-checks every block as a module of one library crate (blocks that use an outside
  crate, such as integration tests under ``tests/``, are left out);
- TypeScript: ``tsc --noEmit`` when ``tsc`` is on PATH (the npm registry has it).

Blocks are batched: one toolchain call for thousands of blocks. A toolchain that is not installed is
reported as skipped, never as a pass. Python is :mod:`factory.quality.codecheck`'s (ast + ruff).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from factory.quality.codecheck import CodeBlock

_IMPORT_BLOCK = re.compile(r"^import\s*\((.*?)^\)", re.MULTILINE | re.DOTALL)
_IMPORT_LINE = re.compile(r'^import\s+(?:\w+\s+)?"([^"]+)"', re.MULTILINE)


@dataclass
class BuildReport:
    problems: dict[int, list[str]] = field(default_factory=dict)  # block index -> reasons
    skipped: dict[str, str] = field(default_factory=dict)  # language -> why it was not checked
    counts: dict[str, int] = field(default_factory=dict)  # language -> blocks checked

    def add(self, index: int, reason: str) -> None:
        self.problems.setdefault(index, []).append(reason)


def _run(cmd: list[str], cwd: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GO111MODULE": "on", "GOTOOLCHAIN": "local",
           "GOCACHE": os.environ.get("GOCACHE") or str(Path(tempfile.gettempdir()) / "factory-gocache")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout, env=env)


def _go_whole_file(block: CodeBlock) -> bool:
    code = block.code
    if not re.search(r"^package \w+", code, re.MULTILINE) or block.where.endswith("_test.go"):
        return False
    imports = _IMPORT_LINE.findall(code) + [
        imp for group in _IMPORT_BLOCK.findall(code) for imp in re.findall(r'"([^"]+)"', group)]
    return all("." not in imp.split("/")[0] for imp in imports)  # the standard library only


def check_go(blocks: Sequence[tuple[int, CodeBlock]], report: BuildReport) -> None:
    if not shutil.which("gofmt") or not shutil.which("go"):
        report.skipped["go"] = "gofmt/go not installed"
        return
    report.counts["go"] = len(blocks)
    with tempfile.TemporaryDirectory(prefix="factory-go-") as tmp:
        Path(tmp, "go.mod").write_text("module factorycheck\n\ngo 1.19\n")
        by_dir: dict[str, int] = {}
        block_of: dict[str, CodeBlock] = {}
        for n, (idx, block) in enumerate(blocks):
            d = f"b{n:06d}"
            Path(tmp, d).mkdir()
            name = "x_test.go" if "_test.go" in block.where else "x.go"
            Path(tmp, d, name).write_text(block.code if block.code.endswith("\n") else block.code + "\n")
            by_dir[d] = idx
            block_of[d] = block
        proc = _run(["gofmt", "-l", "-e", "."], tmp)
        bad_syntax = set()
        for line in proc.stderr.splitlines():
            m = re.match(r"^\.?/?(b\d{6})/[^:]+:(\d+):\d+: (.*)$", line)
            if m and m.group(1) in by_dir:
                if m.group(1) not in bad_syntax:
                    report.add(by_dir[m.group(1)], f"go does not parse: {m.group(3)} (line {m.group(2)})")
                bad_syntax.add(m.group(1))
        for line in proc.stdout.splitlines():
            d = line.strip().lstrip("./").split("/", 1)[0]
            if d in by_dir and d not in bad_syntax:
                report.add(by_dir[d], "go is not gofmt-formatted (gofmt -l lists it)")
        vet = [d for d in by_dir if d not in bad_syntax and _go_whole_file(block_of[d])]
        if not vet:
            return
        proc = _run(["go", "vet", *[f"./{d}" for d in vet]], tmp)
        seen = set()
        for line in (proc.stderr + proc.stdout).splitlines():
            m = re.match(r"^(?:vet: )?\.?/?(b\d{6})/[^:]+:(\d+):\d+: (.*)$", line)
            if m and m.group(1) in by_dir and m.group(1) not in seen:
                seen.add(m.group(1))
                report.add(by_dir[m.group(1)], f"go vet: {m.group(3)} (line {m.group(2)})")


def _rust_standalone(block: CodeBlock) -> bool:
    code = block.code
    uses = re.findall(r"^\s*(?:pub\s+)?use\s+(\w+)", code, re.MULTILINE)
    return not re.search(r"(?:^|[\s/])tests/", block.where) and all(u in ("std", "core", "alloc", "self", "super", "crate") for u in uses) \
        and "#![" not in code and "extern crate" not in code


def check_rust(blocks: Sequence[tuple[int, CodeBlock]], report: BuildReport) -> None:
    rustc = shutil.which("rustc")
    if not rustc:
        report.skipped["rust"] = "rustc not installed"
        return
    chosen = [(i, b) for i, b in blocks if _rust_standalone(b)]
    report.counts["rust"] = len(chosen)
    # rustc stops at the first block it cannot parse, before it type-checks any other: the blocks a
    # parse-level error (one without an error code) names are reported and the rest compiled again
    _until_parsed(chosen, lambda todo: _rustc(rustc, todo, report))


def _until_parsed(blocks: list[tuple[int, CodeBlock]],
                  run: Callable[[list[tuple[int, CodeBlock]]], set[int]]) -> None:
    """Run a toolchain over ``blocks`` until no block stops it from parsing: ``run`` reports what it
    finds and returns the blocks it could not parse, which leave the batch before the next run. So
    what a block gets never depends on which blocks share its batch."""
    while blocks:
        broken = run(blocks)
        if not broken:
            return
        blocks = [(i, b) for i, b in blocks if i not in broken]


def _rustc(rustc: str, chosen: list[tuple[int, CodeBlock]], report: BuildReport) -> set[int]:
    """One crate of ``chosen``; reports each block's first error; returns the blocks that failed to parse."""
    parts, ranges, line = [], [], 1
    for n, (idx, block) in enumerate(chosen):
        head = f"#[allow(dead_code, unused)]\nmod b{n:06d} {{\n"
        body = block.code if block.code.endswith("\n") else block.code + "\n"
        start = line + head.count("\n")
        parts.append(head + body + "}\n")
        line += head.count("\n") + body.count("\n") + 1
        ranges.append((start, line - 1, idx))
    with tempfile.TemporaryDirectory(prefix="factory-rust-") as tmp:
        Path(tmp, "lib.rs").write_text("".join(parts))
        proc = _run([rustc, "--edition", "2021", "--crate-type", "lib", "--emit=metadata", "--error-format=json",
                     "-o", str(Path(tmp, "out.rmeta")), "lib.rs"], tmp)
    seen: set[int] = set()
    unparsed: set[int] = set()
    for raw in proc.stderr.splitlines():
        try:
            diag = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if diag.get("level") != "error" or not diag.get("spans"):
            continue
        at = diag["spans"][0]["line_start"]
        for start, end, idx in ranges:
            if start <= at <= end:
                if not diag.get("code"):
                    unparsed.add(idx)
                if idx not in seen:
                    seen.add(idx)
                    # the module a block was wrapped in is the batch's business, not the block's
                    message = _RUST_MODULE.sub("", diag["message"])
                    report.add(idx, f"rustc: {message} (line {at - start + 1})")
                break
    return unparsed


_RUST_MODULE = re.compile(r"\bb\d{6}::")


def check_typescript(blocks: Sequence[tuple[int, CodeBlock]], report: BuildReport) -> None:
    tsc = shutil.which("tsc")
    if not tsc:
        report.skipped["typescript"] = "tsc not installed (npm install -g typescript); parsed with tree-sitter only"
        return
    report.counts["typescript"] = len(blocks)
    # a syntax error (TS1xxx) in one file can hide other files' type errors: those files are
    # reported and the rest checked again
    _until_parsed(list(blocks), lambda todo: _tsc(tsc, todo, report))


def _tsc(tsc: str, blocks: list[tuple[int, CodeBlock]], report: BuildReport) -> set[int]:
    with tempfile.TemporaryDirectory(prefix="factory-ts-") as tmp:
        names = {}
        for n, (idx, block) in enumerate(blocks):
            name = f"b{n:06d}.{'tsx' if block.language == 'tsx' else 'ts'}"
            # "export {}" makes each block its own module: blocks without imports would share one scope
            Path(tmp, name).write_text(block.code + "\nexport {};\n")
            names[name] = idx
        proc = _run([tsc, "--noEmit", "--skipLibCheck", "--isolatedModules", "--jsx", "preserve", "--target", "es2022",
                     "--moduleResolution", "bundler", "--module", "esnext", *names], tmp)
    seen: set[str] = set()
    unparsed: set[int] = set()
    for line in proc.stdout.splitlines():
        m = re.match(r"^(b\d{6}\.tsx?)\((\d+),\d+\): error (TS\d+): (.*)$", line)
        # Unresolvable imports and globals (react, vitest, the project's own modules) are not the block's fault.
        if not m or m.group(3) in ("TS2307", "TS2304", "TS2503", "TS2875", "TS7026") or m.group(1) not in names:
            continue
        if re.fullmatch(r"TS1\d{3}", m.group(3)):
            unparsed.add(names[m.group(1)])
        if m.group(1) not in seen:
            seen.add(m.group(1))
            report.add(names[m.group(1)], f"tsc {m.group(3)}: {m.group(4)} (line {m.group(2)})")
    return unparsed


def build_check(blocks: Sequence[tuple[int, CodeBlock]]) -> BuildReport:
    """Build problems per block index, over ``(index, block)`` pairs of any languages."""
    report = BuildReport()
    by_lang: dict[str, list[tuple[int, CodeBlock]]] = {}
    for idx, b in blocks:
        key = "typescript" if b.language in ("typescript", "tsx") else b.language
        by_lang.setdefault(key, []).append((idx, b))
    if by_lang.get("go"):
        check_go(by_lang["go"], report)
    if by_lang.get("rust"):
        check_rust(by_lang["rust"], report)
    if by_lang.get("typescript"):
        check_typescript(by_lang["typescript"], report)
    return report
