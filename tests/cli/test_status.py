"""`factory status` tells the truth: per category the records on disk against the target, the seed
and provider it was generated with, the spec then and now; merged/, export/FORMAT/ and report/ marked
stale, naming the input that changed, once an input changed after they were built; drop-in categories
from `plugins_dirs` in factory.toml listed like built-in ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import factory_cli

CONFIG = '[counts]\ntool_neg = 12\nguardrail = 14\n'


def _status(tmp_path: Path) -> tuple[dict[str, list[str]], dict[str, str], str]:
    proc = factory_cli("status", "--data", tmp_path / "data", cwd=tmp_path, check=True)
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    rows = {ln.split()[0]: ln.split() for ln in lines[1:] if ln and not ln.split()[0].endswith("/")}
    outputs = {ln.split()[0]: ln.split(None, 1)[1] for ln in lines if ln.split() and ln.split()[0].endswith("/")}
    return rows, outputs, proc.stdout


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    (tmp_path / "factory.toml").write_text(CONFIG)
    factory_cli("run", "--data", tmp_path / "data", "--only", "tool_neg", "--only", "guardrail", "--no-tokens",
                cwd=tmp_path, check=True)
    return tmp_path


def test_a_fresh_run_is_fresh_everywhere(dataset: Path) -> None:
    rows, outputs, _ = _status(dataset)
    # category records target seed made-by then now state
    assert rows["tool_neg"][1:5] == ["12", "12", "42", "template"] and rows["tool_neg"][-1] == "fresh"
    assert rows["guardrail"][1:3] == ["14", "14"] and rows["guardrail"][-1] == "fresh"
    assert rows["tool_core"][1] == "-" and rows["tool_core"][-1] == "missing"
    assert outputs == {"merged/": "fresh", "export/trl/": "fresh", "report/": "fresh"}


def test_regenerating_one_category_shows_its_count_seed_and_the_stale_outputs(dataset: Path) -> None:
    factory_cli("generate", "tool_neg", "--count", "5", "--seed", "7", "--data", dataset / "data", cwd=dataset,
                check=True)
    rows, outputs, text = _status(dataset)
    assert rows["tool_neg"][1:4] == ["5", "12", "7"] and rows["tool_neg"][-4:] == ["5", "of", "target", "12"]
    assert rows["guardrail"][-1] == "fresh"
    assert "different seeds (7, 42)" in text
    assert outputs["merged/"].startswith("stale: ") and "data/tool_neg.jsonl changed" in outputs["merged/"]
    assert "factory merge --data" in outputs["merged/"]
    assert outputs["export/trl/"].startswith("stale: merged/ is stale")
    assert "data/tool_neg.jsonl changed" in outputs["report/"]


def test_an_edited_split_makes_the_export_stale_and_a_new_category_the_merge(dataset: Path) -> None:
    train = dataset / "data" / "merged" / "train.jsonl"
    train.write_bytes(b"".join(train.read_bytes().splitlines(keepends=True)[1:]))
    _rows, outputs, _ = _status(dataset)
    assert outputs["merged/"] == "fresh"
    assert "merged/train.jsonl changed" in outputs["export/trl/"]
    factory_cli("generate", "style_core", "--count", "3", "--data", dataset / "data", cwd=dataset, check=True)
    _rows, outputs, _ = _status(dataset)
    assert "data/style_core.jsonl is new" in outputs["merged/"]


def test_a_file_edited_by_hand_is_flagged_even_with_the_same_line_count(dataset: Path) -> None:
    path = dataset / "data" / "guardrail.jsonl"
    path.write_text(path.read_text().replace('"content":', '"content": ', 1))
    rows, _outputs, _ = _status(dataset)
    assert " ".join(rows["guardrail"]).endswith("changed on disk since it was generated")


def test_plugins_dirs_in_the_config_are_listed(tmp_path: Path) -> None:
    factory_cli("new-category", "api_notes", "--dir", tmp_path / "plugs", cwd=tmp_path, check=True)
    (tmp_path / "factory.toml").write_text('plugins_dirs = ["plugs"]\n')
    factory_cli("generate", "api_notes", "--count", "4", "--data", tmp_path / "data", cwd=tmp_path, check=True)
    rows, _outputs, _ = _status(tmp_path)
    assert rows["api_notes"][1] == "4" and rows["api_notes"][4] == "template"
