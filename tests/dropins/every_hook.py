"""A third-party plugin that implements every hook of factory/hookspecs.py; tests/test_every_hook.py
drives each one through the command line, as a user of the plugin would."""

from __future__ import annotations

import os
from pathlib import Path

import click

from factory import hookimpl
from factory.registry import Category, Exporter, Ingestor, ProviderFactory, Scorer, Toolset

LOOKUP = {"type": "function", "function": {
    "name": "lookup_word", "description": "Look a word up in the team glossary.",
    "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]}}}


class GlossaryGenerator:
    def generate(self, ctx, subcategory, count):
        rng = ctx.rng(subcategory)
        while True:
            word = f"term{rng.randint(1, 10**6)}"
            call = {"id": "call_1", "type": "function", "function": {"name": "lookup_word", "arguments": {"word": word}}}
            yield ctx.example(subcategory, [
                {"role": "user", "content": f"What does {word} mean in our docs?"},
                {"role": "assistant", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "call_1", "name": "lookup_word", "content": f"{word}: a sample term"},
                {"role": "assistant", "content": f"The glossary says {word} is a sample term."},
            ], tools=ctx.toolset.tools)


def glossary_rows(record, ctx):
    if not record.get("tools"):
        yield "offers no tools"
        return
    yield {"messages": record["messages"], "tools": record["tools"]}


def qa_lines(report, paths):
    from factory.ingest.sink import Candidate

    for path in paths:
        report.sources += 1
        for line in Path(path).read_text().splitlines():
            report.units_read += 1
            question, sep, answer = line.partition(" => ")
            if not sep:
                report.units_skipped["not a 'question => answer' line"] += 1
                continue
            yield Candidate("qa_lines", "qa", [{"role": "user", "content": question},
                                               {"role": "assistant", "content": answer}], [], {"generator": "ingest:qa"})


def create_gateway(model=None, base_url=None, timeout=120.0, max_connections=16):
    from factory.llm import create_provider

    return create_provider("openai-compatible", model or "gateway-default", base_url or os.environ["GATEWAY_URL"],
                           timeout=timeout, max_connections=max_connections)


def length_score(view, rubric):
    chars = sum(len(m.get("content") or "") for m in view.messages)
    return {dim: 5.0 if chars > 40 else 1.0 for dim in rubric.dimensions}


@click.command("glossary-count")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def glossary_count(file):
    """Count the records of FILE."""
    click.echo(f"{len(Path(file).read_text().splitlines())} records")


@hookimpl
def register_categories(register):
    register(Category(name="glossary", spec_path=Path(__file__).with_suffix(".md"), generator=GlossaryGenerator()))


@hookimpl
def register_toolsets(register):
    register(Toolset("glossary_tools", [LOOKUP], source="every_hook plugin"))


@hookimpl
def register_exporters(register):
    register(Exporter("glossary-chat", "messages + tools rows", glossary_rows, checks="chat"))


@hookimpl
def register_ingestors(register):
    register(Ingestor("qa-lines", "'question => answer' lines -> records", qa_lines,
                      params=(click.Argument(["paths"], nargs=-1, required=True, type=click.Path(exists=True)),)))


@hookimpl
def register_providers(register):
    register(ProviderFactory("glossary-gateway", create_gateway, "the team's OpenAI-compatible gateway"))


@hookimpl
def register_scorers(register):
    register(Scorer("length", length_score, "long answers score high"))


@hookimpl
def register_commands(cli):
    cli.add_command(glossary_count)
