"""Every hook of factory/hookspecs.py, driven through the command line by one drop-in plugin
(tests/plugins/every_hook.py): what a third party registers works like a built-in."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson

from factory import hookspecs
from factory.schemas.spec import DEFAULT_RUBRIC
from factory.testing.loopback import LoopbackServer
from tests.helpers.cli import DROPINS

PLUGINS = DROPINS


def _cli(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "factory.cli.main", "--plugins-dir", str(PLUGINS), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def test_the_plugin_implements_every_hook() -> None:
    source = (PLUGINS / "every_hook.py").read_text()
    hooks = [n for n, _ in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("register_")]
    assert len(hooks) == 7 and all(f"def {n}(" in source for n in hooks)


def test_every_hook_of_a_drop_in_plugin_works_from_the_command_line(tmp_path: Path) -> None:
    listing = _cli(tmp_path, "plugins")
    assert listing.returncode == 0 and "failed to load" not in listing.stdout, listing.stdout + listing.stderr
    for name in ("glossary", "glossary_tools", "glossary-chat", "qa-lines", "glossary-gateway", "length"):
        assert name in listing.stdout

    # register_categories + register_toolsets: the category offers the plugin's own tool set
    proc = _cli(tmp_path, "generate", "glossary", "--count", "12", "--out", "data")
    assert proc.returncode == 0, proc.stderr
    records = [orjson.loads(line) for line in (tmp_path / "data" / "glossary.jsonl").read_bytes().splitlines()]
    assert len(records) == 12 and all(r["tools"][0]["function"]["name"] == "lookup_word" for r in records)

    # register_exporters: the host writes, counts and self-checks a plugin's format like a built-in one
    assert _cli(tmp_path, "merge", "--data", "data", "--eval-frac", "0.25").returncode == 0
    proc = _cli(tmp_path, "export", "--data", "data", "--format", "glossary-chat")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "data" / "export" / "glossary-chat" / "export_report.json").read_text())
    assert report["splits"]["train"]["records_read"] == report["splits"]["train"]["rows_written"] == 9
    assert report["checks"]["failures"] == {} and report["checks"]["supports_tool_calling"] is True

    # register_ingestors: the host's sink scrubs what a plugin's ingestor yields, and the counts reconcile
    (tmp_path / "notes.txt").write_text("How do I reach ops? => Mail ops-lead@acme.io or page the on-call engineer\nnot a pair\n"
                                        "Where are the docs? => In docs/.\n")
    proc = _cli(tmp_path, "ingest", "qa-lines", "notes.txt", "--out", "qa.jsonl")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "qa.jsonl").read_text()
    assert "ops-lead@acme.io" not in text and "<EMAIL_1>" in text and len(text.splitlines()) == 2
    ingest = json.loads((tmp_path / "qa.jsonl.report.json").read_text())
    assert ingest["units_skipped"] == {"not a 'question => answer' line": 1} and ingest["written"] == 2

    # register_scorers: an offline scorer chosen by name
    proc = _cli(tmp_path, "score", "qa.jsonl", "--scorer", "length", "--out", "scored.jsonl")
    assert proc.returncode == 0, proc.stderr
    scored = [orjson.loads(line) for line in (tmp_path / "scored.jsonl").read_bytes().splitlines()]
    assert [r["label"] for r in scored] == [True, False]
    assert [set(r["scores"].values()) for r in scored] == [{5.0}, {1.0}]

    # register_providers: the plugin's gateway judges, through the engine, against a real HTTP server
    with LoopbackServer(lambda kind, body: {d: 4 for d in DEFAULT_RUBRIC.dimensions}) as srv:
        proc = _cli(tmp_path, "score", "qa.jsonl", "--judge", "glossary-gateway:judge-1", "--out", "judged.jsonl",
                    env={"GATEWAY_URL": srv.openai_url, "OPENAI_API_KEY": "sk-test"})
        assert proc.returncode == 0, proc.stderr
        assert [r.body["model"] for r in srv.requests] == ["judge-1", "judge-1"]

    # register_commands
    proc = _cli(tmp_path, "glossary-count", "qa.jsonl")
    assert proc.returncode == 0 and proc.stdout.strip() == "2 records"


BROKEN = '''
import click

from factory import hookimpl
from factory.registry import Exporter, Ingestor, ProviderFactory


def failing_rows(record, ctx):
    raise KeyError("messages")


def create(model=None, base_url=None, timeout=120.0, max_connections=16):
    import not_installed_sdk  # noqa: F401


@click.command("old-style")
def old_style():
    pass


@hookimpl
def register_exporters(register):
    register(Exporter("failing", "raises on every record", failing_rows))


@hookimpl
def register_providers(register):
    register(ProviderFactory("no-sdk", create))


@hookimpl
def register_ingestors(register):
    register(Ingestor("old-style", "a click command where ingest() belongs", old_style))
'''


def test_a_plugin_that_breaks_its_contract_gets_one_clear_error_and_no_traceback(tmp_path: Path) -> None:
    plugs = tmp_path / "plugs"
    plugs.mkdir()
    (plugs / "broken.py").write_text(BROKEN)

    def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "factory.cli.main", "--plugins-dir", str(plugs), *args],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", **env})

    listing = cli("plugins")
    assert "register_ingestors raised" in listing.stdout and "not a click command" in listing.stdout

    assert cli("generate", "guardrail", "--count", "20", "--out", "data").returncode == 0
    assert cli("merge", "--data", "data").returncode == 0
    proc = cli("export", "--data", "data", "--format", "failing")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "export format 'failing' failed on record" in proc.stderr and "KeyError" in proc.stderr

    proc = cli("score", "data/guardrail.jsonl", "--judge", "no-sdk:m", OPENAI_API_KEY="sk-test")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "provider 'no-sdk'" in proc.stderr and "ModuleNotFoundError" in proc.stderr
