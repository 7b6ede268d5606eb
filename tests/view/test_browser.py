"""`factory view` as a user meets it: the real command serving the index, driven in Debian's headless
chromium through Playwright -- a screenshot, a search typed into the page, a facet clicked, a tool_neg
record's pair, a review decision saved and then applied by `factory merge`. Every request the page makes
goes to the viewer itself (no CDN)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.helpers.cli import factory_cli
from tests.helpers.serving import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run installs it)")


@pytest.fixture
def viewer(dataset: Path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "factory", "view", str(dataset), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"factory view exited {proc.returncode}:\n{proc.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("factory view did not listen within 120 s")
    yield f"http://127.0.0.1:{port}", dataset
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(15_000)
        yield pg
        browser.close()


def test_browse_search_facet_pair_and_review_in_a_real_browser(viewer, page, tmp_path: Path) -> None:
    base, data = viewer
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))

    page.goto(base + "/")
    assert page.url.startswith(base + "/dataset/records")
    total = sum(1 for p in data.glob("*.jsonl") for line in p.read_bytes().splitlines() if line.strip())
    assert f"{total:,} rows" in page.inner_text("body")
    shot = tmp_path / "records.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one

    # a search typed into the page: the URL carries it (a search is a link) and the count updates
    guard = next(orjson.loads(x) for x in (data / "guardrail.jsonl").read_bytes().splitlines())
    word = max((w for w in guard["messages"][1]["content"].split() if w.isalpha()), key=len)
    page.fill("input[name=_search]", word)
    page.press("input[name=_search]", "Enter")
    page.wait_for_load_state()
    assert f"_search={word}" in page.url
    body = page.inner_text("body")
    assert "where search matches" in body and f"{total:,} rows" not in body

    # a facet clicked: the category facet narrows to one category, and the count updates
    page.goto(base + "/dataset/records")
    page.click(".facet-info[data-column=category] a:text-is('tool_neg')")
    page.wait_for_load_state()
    assert "category=tool_neg" in page.url
    n_neg = sum(1 for x in (data / "tool_neg.jsonl").read_bytes().splitlines() if x.strip())
    assert f"{n_neg} row" in page.inner_text("body")

    # a tool_neg record: conversation rendered, its defective call beside the correct one
    page.click("table.rows-and-columns td.col-prompt a >> nth=0")
    page.wait_for_load_state()
    assert page.locator(".conversation .turn.user").count() >= 1
    assert page.locator(".pair .call.wrong").count() >= 1 and page.locator(".pair .call.right").count() >= 1
    page.screenshot(path=str(tmp_path / "record.png"), full_page=True)

    # a review decision saved from the page, then applied by merge
    record_id = page.locator("form.review").get_attribute("data-id")
    page.fill("form.review textarea[name=note]", "the correct call is wrong too")
    page.click("form.review button[value=reject]")
    page.wait_for_selector("form.review .status.saved")
    decisions = [orjson.loads(x) for x in (data / "review" / "decisions.jsonl").read_bytes().splitlines()]
    assert [(d["id"], d["decision"], d["note"]) for d in decisions] == [
        (record_id, "reject", "the correct call is wrong too")]
    page.reload()
    assert "current: reject" in page.inner_text("form.review")
    page.goto(base + "/dataset/records?review=reject")
    assert "1 row" in page.inner_text("body")

    # the report, served by the viewer: a category's bar opens that category's records
    page.goto(base + "/report")
    bar = page.locator("figure#category-mix a").filter(has=page.locator("path")).nth(
        sorted(p.stem for p in data.glob("*.jsonl")).index("tool_neg"))
    with page.context.expect_page() as opened:  # the report opens records in a new tab
        bar.click()
    records = opened.value
    records.wait_for_load_state()
    assert "category=tool_neg" in records.url and f"{n_neg} row" in records.inner_text("body")
    records.close()

    # what merge dropped, beside the record it duplicates
    page.goto(base + "/?q=" + word)
    assert f"_search={word}" in page.url
    page.goto(base + "/dataset/dropped")
    assert "excluded category" in page.inner_text("body")

    # a DPO pair: rejected beside chosen, each rendered as a conversation
    page.goto(base + "/dataset/pairs?kind=dpo")
    page.click("table.rows-and-columns td.col-n a >> nth=0")
    page.wait_for_load_state()
    assert page.locator(".pair > .side").count() == 2
    assert [h.strip() for h in page.locator(".pair > .side > h3").all_inner_texts()] == ["rejected", "chosen"]
    assert not elsewhere, f"the viewer fetched from elsewhere: {elsewhere[:3]}"

    factory_cli("merge", "--data", data, check=True)
    kept = {orjson.loads(x)["id"] for s in ("train", "eval")
            for x in (data / "merged" / f"{s}.jsonl").read_bytes().splitlines()}
    report = orjson.loads((data / "merged" / "merge_report.json").read_bytes())
    assert record_id not in kept
    assert report["dropped"]["rejected in review"] == 1 and report["review"]["decisions"] == 1


def test_a_decision_without_json_content_type_is_refused(viewer) -> None:
    import httpx

    base, data = viewer
    r = httpx.post(base + "/-/factory/review", content=b'{"id": "x", "decision": "reject"}',
                   headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert not (data / "review" / "decisions.jsonl").exists()
    r = httpx.post(base + "/-/factory/review", json={"id": "no-such-record", "decision": "reject"})
    assert r.status_code == 400 and "no record with id" in r.json()["error"]
    r = httpx.post(base + "/-/factory/review", json={"id": {"a": 1}, "decision": "reject"})
    assert r.status_code == 400 and "'id'" in r.json()["error"]
    assert not (data / "review" / "decisions.jsonl").exists()
    # a page that rebinds its own name to 127.0.0.1 is not answered
    r = httpx.get(base + "/dataset/records.json", headers={"host": "attacker.example"})
    assert r.status_code == 421
