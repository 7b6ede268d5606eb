"""The dataset manifest: per output file its count, sha256, spec name + hash, provider and seed.

Updating one entry rewrites the manifest atomically and leaves every other entry exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from factory.errors import InputError
from factory.store.jsonl import write_json

MANIFEST = "manifest.json"


def load_manifest(out_dir: str | Path) -> dict[str, Any]:
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return {"version": 1, "files": {}}
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(path, None, f"manifest is not valid JSON: {exc}", "delete it and rerun `factory run`") from None
    data.setdefault("files", {})
    return data


def update_manifest(out_dir: str | Path, entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    manifest = load_manifest(out_dir)
    manifest["files"].update(entries)
    write_json(Path(out_dir) / MANIFEST, manifest)
    return manifest
