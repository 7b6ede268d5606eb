"""Loading tool sets: OpenAI-style function schemas from a registered name or a JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from factory.errors import FactoryError, InputError
from factory.registry import Registry, Toolset


def _normalise(tool: Any, path: str, index: int) -> dict[str, Any]:
    if isinstance(tool, dict) and "function" not in tool and "name" in tool:
        tool = {"type": "function", "function": tool}  # bare {name, description, parameters}
    fn = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise InputError(path, None, f"tools[{index}]: expected an OpenAI function schema with a name",
                         '{"type": "function", "function": {"name": ..., "parameters": {...}}}')
    params = fn.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(params, dict) or params.get("type", "object") != "object":
        raise InputError(path, None, f"tools[{index}] '{fn['name']}': parameters must be a JSON schema object")
    return {"type": "function", "function": {**fn, "parameters": params}}


def load_toolset_file(path: str | Path, name: str | None = None) -> Toolset:
    path = Path(path)
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(path, None, f"cannot read tool set: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(path, None, f"tool set is not valid JSON: {exc}") from None
    if isinstance(data, dict) and "tools" in data:
        data = data["tools"]
    if not isinstance(data, list) or not data:
        raise InputError(path, None, "expected a non-empty JSON list of function schemas (or {\"tools\": [...]})")
    tools = [_normalise(t, str(path), i) for i, t in enumerate(data)]
    names = [t["function"]["name"] for t in tools]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(path, None, f"tool names used twice: {', '.join(dupes)}")
    return Toolset(name or path.stem, tools, str(path), load_rules(path, names))


def load_rules(path: Path, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """``NAME.rules.json`` beside a tool set's file: the preconditions its tool descriptions state."""
    rules_path = path.with_name(path.stem + ".rules.json")
    if not rules_path.exists():
        return {}
    try:
        data = orjson.loads(rules_path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(rules_path, None, f"cannot read tool rules: {exc}") from None
    rules = {k: v for k, v in data.items() if not k.startswith("_")} if isinstance(data, dict) else None
    if rules is None or not all(isinstance(v, list) and all(isinstance(r, dict) and "rule" in r for r in v)
                                for v in rules.values()):
        raise InputError(rules_path, None, "expected {tool name: [{\"rule\": KIND, ...}, ...]}")
    unknown = sorted(set(rules) - set(names))
    if unknown:
        raise InputError(rules_path, None, f"rules for tools the set does not have: {', '.join(unknown)}")
    return rules


def resolve_toolset(ref: str, registry: Registry, base_dir: Path | None = None) -> Toolset:
    """A registered tool-set name, or a path to a JSON file (relative to ``base_dir``, then cwd)."""
    if ref in registry.toolsets:
        return registry.toolsets[ref]
    looks_like_path = ref.endswith(".json") or "/" in ref or "\\" in ref
    if looks_like_path:
        for cand in ([base_dir / ref] if base_dir else []) + [Path(ref)]:
            if cand.exists():
                return load_toolset_file(cand)
    known = ", ".join(sorted(registry.toolsets)) or "none"
    raise FactoryError(f"unknown toolset '{ref}' (registered: {known}; or give a path to a JSON file)")
