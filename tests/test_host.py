"""The plugin host: discovery from three sources, isolation of broken plugins, scaffolding, status."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from factory import hookspecs
from factory.errors import FactoryError
from factory.host import PluginHost
from tests.helpers.cli import ROOT, factory_cli


def _write_plugin(directory: Path, name: str, body: str, spec: str | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.py").write_text(textwrap.dedent(body))
    if spec is not None:
        (directory / f"{name}.md").write_text(textwrap.dedent(spec))


def _plugins_json(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
    proc = factory_cli(*args, "plugins", "--json", cwd=cwd)
    return proc.returncode, json.loads(proc.stdout)


def test_plugins_lists_every_builtin_category_with_origin_spec_hash_and_toolset() -> None:
    code, data = _plugins_json()
    assert code == 0, data["failed"]
    cats = {c["name"]: c for c in data["categories"]}
    for name in ("tool_core", "tool_neg", "style_core", "style_refactor", "guardrail", "eval"):
        c = cats[name]
        assert c["origin"] == "built-in"
        spec = Path(c["spec"])
        assert spec.name == f"{name}.md"
        assert c["spec_hash"] == hashlib.sha256(spec.read_bytes()).hexdigest()[:12]
    assert cats["tool_core"]["toolset"] == "continue"
    assert "continue" in data["registered"]["toolsets"]
    assert data["failed"] == []


def test_new_category_scaffold_appears_from_a_plugins_dir_and_generates_valid_records(tmp_path: Path) -> None:
    plugdir = tmp_path / "my_plugins"
    factory_cli("new-category", "api_design", "--dir", plugdir, check=True)
    assert (plugdir / "api_design.py").exists() and (plugdir / "api_design.md").exists()

    _code, data = _plugins_json("--plugins-dir", str(plugdir))
    cats = {c["name"]: c for c in data["categories"]}
    assert cats["api_design"]["origin"] == "drop-in"
    assert cats["api_design"]["plugin_file"] == str(plugdir / "api_design.py")

    out = tmp_path / "data"
    factory_cli("--plugins-dir", plugdir, "generate", "api_design", "--out", out, check=True)
    assert sum(1 for _ in (out / "api_design.jsonl").open()) == 100
    assert factory_cli("validate", out / "api_design.jsonl").returncode == 0

    # The config file names the directory just as well as the flag does.
    (tmp_path / "factory.toml").write_text('plugins_dirs = ["my_plugins"]\n')
    _, data = _plugins_json(cwd=tmp_path)
    assert "api_design" in {c["name"] for c in data["categories"]}


def test_a_plugin_that_fails_to_import_is_reported_while_the_others_keep_working(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    _write_plugin(plugdir, "broken", "import definitely_not_a_module_xyz\n")
    _write_plugin(plugdir, "raises_in_hook", """
        from factory import hookimpl

        @hookimpl
        def register_categories(register):
            raise RuntimeError("boom in hook")
    """)
    _write_plugin(plugdir, "typo_hook", """
        from factory import hookimpl

        @hookimpl
        def register_categorys(register):
            pass
    """)
    code, data = _plugins_json("--plugins-dir", str(plugdir))
    assert code == 1
    failed = {f["plugin"]: f for f in data["failed"]}
    assert "ModuleNotFoundError" in failed["broken"]["reason"]
    assert failed["broken"]["file"].endswith("broken.py")
    assert "boom in hook" in failed["raises_in_hook"]["reason"]
    assert failed["raises_in_hook"]["file"].endswith("raises_in_hook.py")
    assert "register_categorys" in failed["typo_hook"]["reason"]
    assert "tool_core" in {c["name"] for c in data["categories"]}
    # The main job still runs for the healthy categories.
    out = tmp_path / "out"
    factory_cli("--plugins-dir", plugdir, "generate", "guardrail", "--count", "20", "--out", out, check=True)


def test_a_category_with_invalid_spec_is_reported_with_file_and_line(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "bad_spec", "--dir", plugdir, check=True)
    spec = plugdir / "bad_spec.md"
    spec.write_text(spec.read_text().replace("version: 1\n", "version: 1\nunknown_key: 3\n"))
    code, data = _plugins_json("--plugins-dir", str(plugdir))
    assert code == 1
    row = {c["name"]: c for c in data["categories"]}["bad_spec"]
    assert re.search(r"bad_spec\.md:5: unknown_key: Extra inputs are not permitted", row["error"])
    proc = factory_cli("--plugins-dir", plugdir, "generate", "bad_spec", "--out", tmp_path / "o")
    assert proc.returncode == 1 and "bad_spec.md:5" in proc.stderr and "Traceback" not in proc.stderr


def test_malformed_front_matter_names_the_file_and_line(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "yaml_oops", "--dir", plugdir, check=True)
    spec = plugdir / "yaml_oops.md"
    spec.write_text(spec.read_text().replace("targets:\n  general: 100", "targets: [general: 100"))
    proc = factory_cli("--plugins-dir", plugdir, "generate", "yaml_oops", "--out", tmp_path / "o")
    assert proc.returncode == 1
    assert re.search(r"yaml_oops\.md:\d+: invalid YAML in front matter", proc.stderr)


def test_an_unknown_toolset_is_a_clear_error(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "no_tools", "--dir", plugdir, check=True)
    spec = plugdir / "no_tools.md"
    spec.write_text(spec.read_text().replace("version: 1\n", "version: 1\ntoolset: nonexistent\n"))
    proc = factory_cli("--plugins-dir", plugdir, "generate", "no_tools", "--out", tmp_path / "o")
    assert proc.returncode == 1
    assert "unknown toolset 'nonexistent'" in proc.stderr and "continue" in proc.stderr


def test_a_generator_that_raises_fails_cleanly_and_damages_nothing_already_written(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "flaky", "--dir", plugdir, check=True)
    out = tmp_path / "data"
    factory_cli("--plugins-dir", plugdir, "generate", "flaky", "--count", "50", "--out", out, check=True)
    good = (out / "flaky.jsonl").read_bytes()
    manifest = (out / "manifest.json").read_bytes()
    py = plugdir / "flaky.py"
    py.write_text(py.read_text().replace(
        "            n = rng.randint(2, 9)\n",
        "            n = rng.randint(2, 9)\n            if rng.random() < 0.2:\n"
        "                raise ValueError('template exploded')\n"))
    proc = factory_cli("--plugins-dir", plugdir, "generate", "flaky", "--count", "50", "--out", out)
    assert proc.returncode == 1
    assert "template exploded" in proc.stderr and "flaky.py" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "flaky.jsonl").read_bytes() == good
    assert (out / "manifest.json").read_bytes() == manifest
    assert not list(out.glob(".*.tmp"))


def test_status_marks_a_category_stale_when_its_spec_changes(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "drifting", "--dir", plugdir, check=True)
    out = tmp_path / "data"
    factory_cli("--plugins-dir", plugdir, "generate", "drifting", "guardrail", "--count", "10", "--out", out,
                check=True)
    spec = plugdir / "drifting.md"
    before = hashlib.sha256(spec.read_bytes()).hexdigest()[:12]
    spec.write_text(spec.read_text() + "\nAlso: prefer short answers.\n")
    after = hashlib.sha256(spec.read_bytes()).hexdigest()[:12]
    proc = factory_cli("--plugins-dir", plugdir, "status", "--out", out, check=True)
    rows = {ln.split()[0]: ln.split() for ln in proc.stdout.splitlines()[1:]}
    # category records target seed made-by then now state
    assert rows["drifting"][1] == "10" and rows["drifting"][5:7] == [before, after]
    assert rows["drifting"][-3:] == ["stale", "(spec", "changed)"]
    assert rows["guardrail"][-4:] == ["10", "of", "target", rows["guardrail"][2]]
    assert rows["tool_core"][1] == "-" and rows["tool_core"][-1] == "missing"


def test_duplicate_category_names_fail_naming_both_sources(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "guardrail_copy", "--dir", plugdir, check=True)
    py = plugdir / "guardrail_copy.py"
    py.write_text(py.read_text().replace('name="guardrail_copy"', 'name="guardrail"'))
    with pytest.raises(FactoryError, match=r"registered twice: by factory\.plugins\.categories\.guardrail .*guardrail\.py.* "
                                           r"and by guardrail_copy .*guardrail_copy\.py"):
        PluginHost(plugin_dirs=[plugdir]).load()
    proc = factory_cli("--plugins-dir", plugdir, "plugins")
    assert proc.returncode == 1 and "registered twice" in proc.stderr


def test_third_party_packages_register_through_the_entry_point_group(tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "site"
    pkg = site / "thirdparty_cats"
    factory_cli("new-category", "vendor_cat", "--dir", pkg, check=True)
    (pkg / "__init__.py").write_text("")
    dist = site / "thirdparty_cats-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-cats\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[factory.plugins]\nvendor_cat = thirdparty_cats.vendor_cat\n")
    monkeypatch.syspath_prepend(str(site))
    host = PluginHost().load()
    entry = {e.obj.name: e for e in host.registry.categories.entries()}["vendor_cat"]
    assert entry.origin == "entry point"
    assert entry.file.endswith("vendor_cat.py")
    sys.modules.pop("thirdparty_cats.vendor_cat", None)


def test_a_fresh_plugin_manager_isolates_plugins_between_hosts(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "isolated_cat", "--dir", plugdir, check=True)
    with_dir = PluginHost(plugin_dirs=[plugdir]).load()
    without = PluginHost().load()
    assert "isolated_cat" in with_dir.registry.categories
    assert "isolated_cat" not in without.registry.categories


def test_every_hook_is_documented_and_named_in_the_plugin_guide() -> None:
    readme = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_")]
    assert len(hooks) >= 7
    for name in hooks:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert ":param" in doc and len(doc) > 80, name
        assert f"`{name}`" in readme, name


def test_help_is_fast_to_import_and_never_loads_torch_or_transformers() -> None:
    code = ("import sys\nfrom factory.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'trl', 'peft', 'openai', 'anthropic', 'instructor', "
            "'datasets') if m in sys.modules]\nprint('HEAVY', heavy)\n")
    import subprocess

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stdout
    assert "Commands:" in proc.stdout and "validate" in proc.stdout


def test_run_keeps_going_past_a_failing_category_and_exits_non_zero(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "always_fails", "--dir", plugdir, check=True)
    py = plugdir / "always_fails.py"
    py.write_text(py.read_text().replace("        while True:\n", "        raise RuntimeError('no templates')\n"
                                                                     "        while True:\n"))
    out = tmp_path / "data"
    proc = factory_cli("--plugins-dir", plugdir, "run", "--out", out, "--only", "always_fails",
                       "--only", "guardrail", "--count", "guardrail=15")
    assert proc.returncode == 1
    assert "always_fails" in proc.stderr and "no templates" in proc.stderr
    assert "1 of 2 categories failed" in proc.stderr
    assert sum(1 for _ in (out / "guardrail.jsonl").open()) == 15
    assert not (out / "always_fails.jsonl").exists()


def test_records_a_generator_drops_itself_are_counted_in_the_manifest(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugs"
    factory_cli("new-category", "picky", "--dir", plugdir, check=True)
    py = plugdir / "picky.py"
    py.write_text(py.read_text().replace(
        "            n = rng.randint(2, 9)\n",
        "            n = rng.randint(2, 9)\n            if n == 2:\n"
        "                ctx.reject('tool call failed to execute')\n                continue\n"))
    out = tmp_path / "data"
    factory_cli("--plugins-dir", plugdir, "generate", "picky", "--count", "40", "--out", out, check=True)
    entry = json.loads((out / "manifest.json").read_text())["files"]["picky.jsonl"]
    assert entry["count"] == 40
    assert entry["rejected"]["generator: tool call failed to execute"] > 0
