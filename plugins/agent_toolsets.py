"""Built-in tool sets of the agent categories: ``powertools`` (semantic code navigation: index,
goto_definition, find_references, functions, classes, stats) and ``claude_code`` (a Claude-Code-like
set: read, write, edit, bash, glob, grep). Their read-only tools execute in :mod:`factory.sandbox.workspace`."""

from __future__ import annotations

from importlib.resources import files

from factory import hookimpl
from factory.generate.tools import load_toolset_file

TOOLSETS_DIR = files("factory.schemas") / "toolsets"


@hookimpl
def register_toolsets(register):
    register(load_toolset_file(TOOLSETS_DIR / "powertools.json", name="powertools"))
    register(load_toolset_file(TOOLSETS_DIR / "claude_code.json", name="claude_code"))
