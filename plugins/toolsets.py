"""Built-in tool sets: ``continue`` -- the Continue extension's real tool schemas (Apache-2.0, see
schemas/toolsets/NOTICE.md)."""

from __future__ import annotations

from importlib.resources import files

from factory import hookimpl
from factory.generate.tools import load_toolset_file

TOOLSETS_DIR = files("factory.schemas") / "toolsets"


@hookimpl
def register_toolsets(register):
    register(load_toolset_file(TOOLSETS_DIR / "continue.json", name="continue"))
