"""The main job's stages, callable from the CLI or from Python.

``generate_all`` writes every category's file and updates the manifest, one entry per category, so
regenerating one category leaves every other file and manifest entry untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from factory.errors import FactoryError
from factory.generation import CategoryResult, generate_category
from factory.host import PluginHost
from factory.manifest import load_manifest, update_manifest
from factory.specs import load_spec
from factory.validate import RecordValidator


def select_categories(host: PluginHost, only: list[str] | None = None, skip: list[str] | None = None) -> list[str]:
    names = host.registry.names("categories")
    for name in [*(only or []), *(skip or [])]:
        if name not in names:
            raise FactoryError(f"unknown category '{name}' (known: {', '.join(sorted(names))})")
    chosen = [n for n in names if (not only or n in only) and n not in (skip or [])]
    return chosen


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
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    validator = RecordValidator()
    results = []
    for name in categories:
        try:
            category = host.registry.get("categories", name)
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

    @property
    def stale(self) -> bool:
        return self.hash_then is not None and self.hash_then != self.hash_now

    @property
    def state(self) -> str:
        if self.on_disk is None:
            return "missing"
        if self.hash_then is None:
            return "unknown (not in manifest)"
        if self.on_disk != self.manifest_count:
            return "changed on disk"
        return "stale" if self.stale else "fresh"


def dataset_status(host: PluginHost, out_dir: Path) -> list[CategoryStatus]:
    from factory.jsonl import count_lines

    manifest = load_manifest(out_dir)["files"]
    rows = []
    for entry in host.registry.entries("categories"):
        spec = load_spec(entry.obj.spec_path)
        file = spec.output_file
        path = Path(out_dir) / file
        m = manifest.get(file, {})
        rows.append(
            CategoryStatus(
                spec.name, file, count_lines(path) if path.exists() else None, m.get("count"),
                m.get("spec", {}).get("hash"), spec.hash, entry.origin,
            )
        )
    return rows
