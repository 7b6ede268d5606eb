"""SpecLoader: reads an ``agents/*.md`` file into a validated :class:`AgentSpec`.

Errors name the file and the line of the offending key, e.g.
``agents/tool_core.md:4: targets: Input should be a valid dictionary``.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from factory.errors import SpecError
from factory.schemas import AgentSpec

_FENCE = re.compile(r"^---\s*$")


def spec_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """Return (front matter, body, line number where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0]):
        raise SpecError(f"{path}:1: expected YAML front matter opening with '---' on the first line")
    for i in range(1, len(lines)):
        if _FENCE.match(lines[i]):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise SpecError(f"{path}: front matter opened on line 1 is never closed with '---'")


def _key_line(front: str, loc: tuple) -> int:
    """1-based line (in the file) of the first key of ``loc`` found in the front matter."""
    keys = [str(k) for k in loc if isinstance(k, str)]
    lines = front.splitlines()
    start = 0
    best = 0
    for key in keys:
        pat = re.compile(rf"^\s*{re.escape(key)}\s*:")
        for i in range(start, len(lines)):
            if pat.match(lines[i]):
                best, start = i + 1, i + 1
                break
    return best + 1 if best else 1  # +1 for the opening fence


def load_spec(path: str | Path) -> AgentSpec:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read agent spec: {exc.strerror}") from None
    return _parse(str(path), data)


@lru_cache(maxsize=256)
def _parse(path: str, data: bytes) -> AgentSpec:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 (byte {exc.start}); save the spec as UTF-8") from None
    front, body, _ = split_front_matter(text, path)
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"{path}:{line}: invalid YAML in front matter: {problem}") from None
    if not isinstance(meta, dict):
        raise SpecError(f"{path}:2: front matter must be a mapping of keys, got {type(meta).__name__}")
    try:
        spec = AgentSpec.model_validate(meta)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _key_line(front, loc)
        field = ".".join(str(p) for p in loc) or "front matter"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise SpecError(f"{path}:{line}: {field}: {err['msg']}{more}") from None
    if not body.strip():
        raise SpecError(f"{path}: the markdown body (the system prompt) is empty")
    spec.body = body.strip() + "\n"
    spec.hash = spec_hash(data)
    spec.path = path
    return spec


def category_specs(registry: Any) -> dict[str, AgentSpec]:
    """Every registered category's spec, by category name: what the core knows of a category (held
    out, curriculum stage, capabilities, tags) comes from here, never from its name. A spec that does
    not load is left out here (``factory plugins`` and ``generate`` report it with file and line), so
    one broken drop-in cannot stop a merge or a training run that does not use it."""
    specs = {}
    for name in registry.categories:
        try:
            specs[name] = load_spec(registry.categories[name].spec_path)
        except SpecError:
            continue
    return specs


def warn_failed_plugins(registry: Any, echo: Any = None) -> None:
    """Before a merge: a plugin that failed to load cannot say its category is held out, so say so."""
    if registry.failures:
        import sys

        names = ", ".join(sorted({f.plugin for f in registry.failures}))
        message = (f"warning: {len(registry.failures)} plugin failure(s) ({names}; see `factory plugins`): a "
                   "category they declare held out is not known, and its file would be merged")
        (echo or (lambda m: print(m, file=sys.stderr)))(message)


def held_out_categories(registry: Any) -> tuple[str, ...]:
    """Categories whose spec says ``held_out: true``: evaluation data, never trained on."""
    return tuple(name for name, spec in category_specs(registry).items() if spec.held_out)
