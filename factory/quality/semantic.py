"""The semantic check of a record: its claims agree with the results it shows
(:mod:`factory.quality.claims`), the conventions it says its code follows are in the code
(:mod:`factory.quality.conventions`), and its calls meet the preconditions their tool sets state
(:mod:`factory.quality.preconditions`). Grounded records are replayed against the workspace they name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from factory.quality.claims import claim_errors
from factory.quality.conventions import convention_errors
from factory.quality.preconditions import Rules, precondition_errors, rules_by_tool
from factory.quality.refactors import refactor_errors
from factory.sandbox.workspace import REPO_ENV, Workspace, fixture_workspace, grounded_in, open_workspace


def workspace_for(record: dict[str, Any], extra: tuple[Path, ...] = ()) -> Workspace | None:
    """The workspace a grounded record names (``meta.grounding.workspace``): ``$FACTORY_GROUNDING_REPO``
    or one of ``extra`` with that directory name, or a shipped fixture repository."""
    name = grounded_in(record)
    if not name:
        return None
    roots = list(extra)
    if os.environ.get(REPO_ENV):
        roots.insert(0, Path(os.environ[REPO_ENV]))
    for root in roots:
        if Path(root).resolve().name == name:
            try:
                return open_workspace(str(Path(root).resolve()))
            except FileNotFoundError:
                return None
    return fixture_workspace(name)


_RULES: dict[int, Rules] = {}


def current_rules() -> Rules:
    """The preconditions of the tool sets the running command's registry holds."""
    from factory.host import default_registry

    registry = default_registry()
    key = id(registry.toolsets)
    if key not in _RULES:
        _RULES.clear()
        _RULES[key] = rules_by_tool(registry.toolsets.values())
    return _RULES[key]


def semantic_errors(record: dict[str, Any], rules: Rules | None = None, skip_turn: int | None = None,
                    workspace: Workspace | None = None) -> list[str]:
    conventions = convention_errors(record) + refactor_errors(record)
    if not record.get("tools") and not any(m.get("tool_calls") for m in record.get("messages") or ()
                                           if isinstance(m, dict)):
        return conventions  # no tools, nothing called: no claim about a result, no precondition
    ws = workspace or workspace_for(record)
    rules = current_rules() if rules is None else rules
    return conventions + claim_errors(record, ws, skip_turn) + precondition_errors(record, rules, ws, skip_turn)
