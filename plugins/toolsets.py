"""Built-in tool sets, registered like any plugin's:

- ``continue``: the Continue extension's real tool schemas (Apache-2.0, see schemas/toolsets/NOTICE.md);
- ``powertools``: semantic code navigation (index, goto_definition, find_references, functions, classes, stats);
- ``claude_code``: a Claude-Code-like set (read, write, edit, bash, glob, grep).

The read-only tools execute in :mod:`factory.sandbox.workspace`.
"""

from __future__ import annotations

from importlib.resources import files

from factory import hookimpl
from factory.generate.tools import load_toolset_file

TOOLSETS_DIR = files("factory.schemas") / "toolsets"


@hookimpl
def register_toolsets(register):
    for name in ("continue", "powertools", "claude_code"):
        register(load_toolset_file(TOOLSETS_DIR / f"{name}.json", name=name))
