"""`factory report`: the dataset card parsed by huggingface_hub, and the HTML report rendered by a real
headless Debian chromium (screenshot: every plot's colour is on screen)."""

from __future__ import annotations

import os
import shutil
import subprocess

import orjson
import pytest

from factory.export.base import run_export
from factory.export.formats import FORMATS
from factory.merge.dataset import inputs_from, merge
from factory.quality.tokens import load_tokenizer, scan_token_lengths
from factory.report.build import build_report
from tests.helpers.datasets import write_category_files

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The plot colours of factory/report.py: category mix, token lengths, tool usage, merge drops.
PLOT_COLOURS = {"category mix": (0x4C, 0x72, 0xB0), "token lengths": (0x55, 0xA8, 0x68),
                "tool usage": (0xC4, 0x4E, 0x52), "merge drops": (0x81, 0x72, 0xB2)}


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    data = tmp_path_factory.mktemp("rep") / "data"
    files = write_category_files(data, n_tool=30, n_style=20, n_neg=8, n_guard=6, n_eval=4)
    # a near-duplicate so merge drops something
    dup = orjson.loads(files["style_core.jsonl"].read_bytes().splitlines()[0])
    dup["messages"][1]["content"] += " indeed"
    dup["id"] = "dup"
    with open(files["style_core.jsonl"], "ab") as fh:
        fh.write(orjson.dumps(dup) + b"\n")
    res = merge(inputs_from(sorted(files.values())), data / "merged")
    trl = next(f for f in FORMATS if f.name == "trl")
    run_export(trl, {"train": res.train, "eval": res.eval}, data / "export" / "trl")
    tokens = scan_token_lengths(sorted(files.values()), load_tokenizer("qwen2.5"), roundtrip=False)
    paths = build_report(data, sorted(files.values()), tokens)
    return data, paths, res.report


def test_card_metadata_is_valid_hugging_face_yaml_with_configs_and_sizes(reported):
    from huggingface_hub import DatasetCard

    data, paths, merge_report = reported
    card = DatasetCard(paths["card"].read_text())
    meta = card.data.to_dict()
    assert meta["license"] == "apache-2.0" and meta["size_categories"] == ["n<1K"]
    configs = {c["config_name"]: c["data_files"] for c in meta["configs"]}
    assert configs["default"] == [{"split": "train", "path": "merged/train.jsonl"},
                                  {"split": "validation", "path": "merged/eval.jsonl"}]
    assert configs["trl"][0]["path"] == "export/trl/train.jsonl"
    for files in configs.values():
        assert all((data / f["path"]).exists() for f in files)
    sizes = {s["name"]: s["num_examples"] for s in meta["dataset_info"][0]["splits"]}
    assert sizes == {"train": merge_report["train"]["count"], "validation": merge_report["eval"]["count"]}
    assert "| tool_core | 30 |" in card.text and "near duplicate" in card.text
    assert "p95" in card.text


def test_report_json_lists_every_plot(reported):
    _data, paths, _ = reported
    rep = orjson.loads(paths["json"].read_bytes())
    assert rep["plots"] == ["Category mix", "Token lengths per category", "Tool usage per tool set",
                           "Score distributions", "What was dropped, and why"]
    assert rep["tools"] == {"read_file": 30, "create_new_file": 8}


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run installs it)")
def test_html_report_renders_with_visible_plots_in_headless_chromium(reported, tmp_path):
    import matplotlib.image as mpimg
    import numpy as np

    _data, paths, _ = reported
    shot = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,4200", f"--screenshot={shot}",
           paths["html"].resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.exists(), "chromium wrote no screenshot"
    pixels = (mpimg.imread(shot)[:, :, :3] * 255).round().astype(int)
    assert pixels.shape[0] >= 2000
    for name, rgb in PLOT_COLOURS.items():
        hits = np.all(np.abs(pixels - np.array(rgb)) <= 3, axis=-1).sum()
        assert hits > 200, f"{name} plot not visible in the rendered page ({hits} pixels of its colour)"
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          f"--user-data-dir={tmp_path / 'profile2'}", paths["html"].resolve().as_uri()],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    assert dom.count("class=\"plot\"") == 5 and "merge: " in dom


def test_the_card_says_what_each_category_teaches_how_varied_it_is_and_what_it_cannot_teach(reported):
    _, paths, _ = reported
    text = paths["card"].read_text()
    assert text.splitlines()[text.splitlines().index("---", 1) + 2] == (
        "# data: fine-tuning data for coding and tool-using assistants")
    row = next(line for line in text.splitlines() if line.startswith("| tool_core | 30 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2].startswith("Correct, well-chosen calls") and cells[3] == "template"
    assert int(cells[4].split()[0]) >= 1 and cells[4].endswith(")")  # distinct task sentences (90% cover)
    assert "**Held out: never trained on.**" in next(line for line in text.splitlines() if line.startswith("| eval |"))
    assert "## What this data cannot teach" in text and "## More and better data: the LLM path" in text


def test_the_reports_bars_link_into_the_viewer(reported):
    """Each bar is an SVG link: a category's bar opens its records, a tool's bar the records calling it
    (good and negative apart), a drop reason's bar what merge dropped for it."""
    import re
    from urllib.parse import parse_qs, urlparse

    _, paths, merge_report = reported
    page = paths["html"].read_text()
    links = [urlparse(h.replace("&amp;", "&")) for h in re.findall(r'<a xlink:href="([^"]+)"', page)]
    assert all(u.netloc == "127.0.0.1:8765" for u in links)
    by_table: dict[str, list[dict]] = {}
    for u in links:
        by_table.setdefault(u.path, []).append({k: v[0] for k, v in parse_qs(u.query).items()})
    categories = {q["category"] for q in by_table["/dataset/records"] if "category" in q}
    assert {"tool_core", "style_core", "tool_neg", "guardrail", "eval"} <= categories
    tools = {(q["_search"], q["label"]) for q in by_table["/dataset/records"] if "_search" in q}
    assert ('"read_file"', "true") in tools and ('"create_new_file"', "false") in tools
    assert {q["reason__startswith"] for q in by_table["/dataset/dropped"]} == set(merge_report["dropped"])
    # one token plot for every category, on one axis
    assert page.count("<h2>Token lengths") == 1 and page.count("id='token-lengths-per-category'") == 1


def test_the_card_has_splits_a_sample_per_category_how_it_was_made_and_a_license(reported):
    _, paths, merge_report = reported
    text = paths["card"].read_text()
    assert "## Splits" in text and "## A sample per category" in text and "## License" in text
    row = next(line for line in text.splitlines() if line.startswith("| tool_core |") and line.count("|") == 5)
    assert row == (f"| tool_core | {merge_report['train']['by_category']['tool_core']:,} | "
                   f"{merge_report['eval']['by_category']['tool_core']:,} |  |")
    assert "| eval | 0 | 0 | held out (evaluation only) |" in text
    assert "**tool_core** /" in text and "assistant: read_file(" in text
