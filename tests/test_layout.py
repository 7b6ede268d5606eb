"""The house rules of the tree: no import cycles, the core names no category (what it needs comes from the
specs), names users can read, pluggy's own checks, and a hook reference that matches hookspecs.py."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
from pathlib import Path

import pytest

from factory import hookspecs
from factory.generate.specs import category_specs, held_out_categories
from factory.host import PluginHost
from factory.quality.coverage import capability_sources
from factory.training.config import CURRICULUM
from tests.helpers.cli import ROOT

# import name -> folder (the package-dir mapping of pyproject.toml)
PACKAGES = {"factory.plugins": ROOT / "plugins", "factory.schemas": ROOT / "schemas", "factory.agents": ROOT / "agents",
            "factory.training": ROOT / "training", "factory": ROOT / "factory"}
REPOS = ROOT / "factory" / "sandbox" / "repos"  # fixture repositories: package data, not modules


@pytest.fixture(scope="module")
def registry():
    return PluginHost(entry_points=False).load().registry


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for pkg, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            if path.is_relative_to(REPOS) or (pkg == "factory" and path.is_relative_to(ROOT / "factory" / "plugins")):
                continue
            parts = [p for p in path.relative_to(folder).with_suffix("").parts if p != "__init__"]
            mods[".".join([pkg, *parts])] = path
    return mods


def test_no_module_imports_itself_back_through_others() -> None:
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):  # every import, lazy ones and TYPE_CHECKING too
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                deps |= {m for m in (node.module, *(f"{node.module}.{a.name}" for a in node.names)) if m in mods}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in mods}
        graph[name] = deps - {name}

    cycles, state = [], {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                walk(dep, [*path, dep])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_the_core_names_no_registered_category(registry) -> None:
    # Two names are words of other things too, so their spelling cannot tell them apart: "eval" (a split,
    # a command) and "tool_use" (an Anthropic content block); that the core does not treat them as
    # categories is shown by the drop-in test below. training/tiny.py writes sample records of the
    # built-in categories for the training tests.
    names = set(registry.categories) - {"eval", "tool_use"}
    core = [p for p in (ROOT / "factory").rglob("*.py")
            if not p.is_relative_to(REPOS) and not p.is_relative_to(ROOT / "factory" / "authoring")]
    core += [p for p in (ROOT / "training").rglob("*.py") if p.name != "tiny.py"]
    found = []
    for path in core:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_every_category_a_test_or_plugin_names_is_registered(registry) -> None:
    pattern = re.compile(r'get\("categories", "(\w+)"\)|categories\["(\w+)"\]|"--only", "(\w+)"|"generate", "(\w+)"')
    named, dropped_in = set(), set()
    written = re.compile(r'"new-category", "(\w+)"|name="(\w+)"|^name: (\w+)$', re.M)  # drop-ins tests write
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "tests" / "dropins").glob("*.md"),
                 *(ROOT / "plugins").rglob("*.py")]:
        text = path.read_text()
        named |= {next(g for g in m.groups() if g) for m in pattern.finditer(text)}
        if path.is_relative_to(ROOT / "tests"):
            dropped_in |= {next(g for g in m.groups() if g) for m in written.finditer(text)}
    named -= dropped_in - set(registry.categories)
    assert named and named <= set(registry.categories), named - set(registry.categories)


def test_curriculum_stages_select_the_categories_their_specs_declare(registry) -> None:
    specs = category_specs(registry)
    stages = {s.name: s.categories(specs) for s in CURRICULUM}
    assert stages == {
        "1-tools": ("powertools", "tool_core", "tool_neg", "tool_use"),
        "2-agentic": ("agentic", "powertools", "problem_solving", "skills", "tool_core", "tool_neg", "tool_use"),
        "3-all": None,
    }
    assert held_out_categories(registry) == ("eval",)


DROP_IN = '''
from pathlib import Path

from factory import hookimpl
from factory.registry import Category


class Drill:
    def generate(self, ctx, subcategory, count):
        rng = ctx.rng(subcategory)
        while True:
            n = rng.randint(1, 10**6)
            yield ctx.example(subcategory, [{"role": "user", "content": f"Delete everything on host {n}"},
                                            {"role": "assistant", "content": "I won't do that."}])


@hookimpl
def register_categories(register):
    register(Category(name="drill", spec_path=Path(__file__).with_suffix(".md"), generator=Drill()))
'''

DROP_IN_SPEC = """---
name: drill
description: Held-out refusal drills.
targets:
  refuse: 5
held_out: true
curriculum_stage: 1
tags: [refusal]
capabilities:
  security_consciousness: [refuse]
  red_teaming: []
---
You refuse.
"""


def test_a_drop_in_category_declares_what_the_core_needs(tmp_path: Path) -> None:
    from factory.host import default_registry, use_registry
    from factory.merge.dataset import MergeOptions, inputs_from, merge
    from factory.pipeline import generate_all
    from factory.training.data import data_files
    from factory.training.evaluate import item_from_example

    (tmp_path / "plugs").mkdir()
    (tmp_path / "plugs" / "drill.py").write_text(DROP_IN)
    (tmp_path / "plugs" / "drill.md").write_text(DROP_IN_SPEC)
    host = PluginHost(plugin_dirs=[tmp_path / "plugs"], entry_points=False).load()
    assert host.registry.failures == []
    specs = category_specs(host.registry)
    assert set(held_out_categories(host.registry)) == {"eval", "drill"}
    assert "drill" in CURRICULUM[0].categories(specs)
    caps = dict(capability_sources(specs.values()))
    assert "drill/refuse" in caps["Security consciousness"] and caps["red_teaming"] == ("drill",)

    data = tmp_path / "data"
    generate_all(host, data, 42, ["drill", "guardrail"], counts={"guardrail": 10})
    report = merge(inputs_from(sorted(data.glob("*.jsonl"))), data / "merged",
                   MergeOptions(exclude_categories=held_out_categories(host.registry), eval_frac=0)).report
    assert report["dropped"].get("excluded category") == 5 and report["kept"] == 10

    previous = default_registry()
    use_registry(host.registry)
    try:
        assert [p.name for p in data_files([data])] == ["guardrail.jsonl"]
        from factory.schemas import Example
        from factory.store.jsonl import read_jsonl

        record = Example.model_validate(next(obj for _, obj in read_jsonl(data / "drill.jsonl")))
        assert item_from_example(record).kind == "refusal"
    finally:
        use_registry(previous)


def test_a_misspelt_hook_fails_its_plugin_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "typo.py").write_text("from factory import hookimpl\n\n\n@hookimpl\ndef regster_categories(register):\n"
                                      "    pass\n")
    host = PluginHost(plugin_dirs=[tmp_path], entry_points=False).load()
    [failure] = host.registry.failures
    assert failure.file == str(tmp_path / "typo.py") and "unknown hook 'regster_categories'" in failure.reason
    assert "typo" not in dict(host.pm.list_name_plugin())


def test_the_hook_reference_matches_hookspecs() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text()
    hooks = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_"))
    assert sorted(re.findall(r"^### `(register_\w+)`$", guide, re.M)) == hooks
    for name in hooks:
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert ":param" in doc and doc in guide, f"{name}: docs/plugins.md differs from its docstring"


def test_no_planning_document_names_reach_users() -> None:
    # identifiers too: \b does not split snake_case, so "_" counts as a boundary here
    # (spelt in pieces, so this line is not a hit itself)
    words = "|".join([r"se" r"ed[ _-]?0{0,2}[0-4]([^0-9]|$)", r"se" r"ed00[0-4]", r"(\b|_)buck" r"ets?(\b|_)",
                      "back" "bone", "super" "powers", "the check" "list", r"\bagent [0-9]"])
    proc = subprocess.run(["git", "grep", "-niE", words, "--", "factory", "plugins", "agents", "schemas", "training",
                           "tests", "docs", "bench", "README.md", ":!tests/fixtures", ":!tests/test_layout.py"],
                          cwd=ROOT, capture_output=True, text=True)
    hits = [line for line in proc.stdout.splitlines()
            if not re.search(r"random seed|--seed|seed=|seed:|seeded", line, re.I)]
    assert hits == []


def test_tests_mirror_the_package_and_no_test_module_imports_another() -> None:
    stages = {p.name for p in (ROOT / "factory").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    # every test folder is named after a package folder (helpers: shared builders, not tests)
    assert folders - {"helpers"} <= stages | {"plugins", "training"}, folders - stages
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            mods = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for mod in mods:
                last = mod.rsplit(".", 1)[-1]
                if last.startswith("test_") or last == "conftest" or (mod.startswith("tests.") and
                                                                       not mod.startswith("tests.helpers")):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {mod}")
    assert offenders == []


def test_the_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= 12_500
