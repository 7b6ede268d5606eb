"""Packaging: one import namespace, data files in the wheel, plugin tracing."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.helpers.cli import ROOT, factory_cli


def test_generic_top_level_names_are_not_importable(tmp_path: Path) -> None:
    code = ("import importlib.util as u\n"
            "print([n for n in ('plugins', 'schemas', 'training', 'agents') if u.find_spec(n)])\n"
            "import factory.plugins, factory.schemas, factory.training, factory.agents\nprint('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["[]", "ok"]


def test_the_wheel_ships_the_agent_specs_and_tool_sets(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(tmp_path.glob("factory-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for spec in (ROOT / "agents").glob("*.md"):
        assert f"factory/agents/{spec.name}" in names
    assert "factory/schemas/toolsets/continue.json" in names
    assert "factory/schemas/toolsets/NOTICE.md" in names
    mapping = {"factory": "factory", "plugins": "factory/plugins", "training": "factory/training",
               "schemas": "factory/schemas", "agents": "factory/agents"}
    for top, dest in mapping.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.relative_to(ROOT / top)
            if rel.parts[:2] == ("sandbox", "repos"):
                continue  # package data, not a package
            assert f"{dest}/{rel.as_posix()}" in names, f"{init} is missing from the wheel"
    assert "factory/plugins/categories/tool_core.py" in names
    for repo in ("shoplite", "ratelimit", "mdlinks"):
        assert any(n.startswith(f"factory/sandbox/repos/{repo}/") for n in names), repo
    assert not any(n.startswith(("plugins/", "schemas/", "training/", "agents/")) for n in names)


def test_plugin_hook_calls_can_be_traced() -> None:
    proc = factory_cli("plugins", env={"FACTORY_TRACE_PLUGINS": "1"})
    assert "register_categories" in proc.stderr


def test_the_ci_script_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert command in readme and command in ci
    assert os.access(ROOT / ".ci/run", os.X_OK)


def test_run_skips_a_stage_whose_packages_are_missing_and_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    from factory import pipeline
    from factory.host import PluginHost

    out = tmp_path / "data"
    factory_cli("run", "--out", out, "--only", "guardrail", "--count", "guardrail=10", "--no-tokens",
                "--no-merge", "--no-report", check=True)
    monkeypatch.setitem(pipeline.STAGE_NEEDS, "report", ("no_such_plotting_lib_xyz",))
    lines: list[str] = []
    options = pipeline.FinishOptions(tokenizer=None, merge=False, formats=(), report=True)
    pipeline.finish_dataset(PluginHost().load(), out, options, echo=lines.append)
    assert lines == ["warning: report stage skipped: needs no_such_plotting_lib_xyz "
                     "(pip install -e '.[train,quality]')"]
    assert not (out / "report").exists()
