"""One CLI vocabulary: every command's help ends in examples, one per line; every example, and every
`factory` line in the README's code blocks, parses against the command it names (options exist,
required ones are given, values convert); `--data` names the dataset directory everywhere (`--out`
still works there, hidden); `--count` has one syntax in `run` and `generate`."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from factory.cli.main import AppState, build_cli
from factory.config import load_config
from tests.helpers.cli import ROOT, factory_cli

GLOBAL_OPTIONS = ("--plugins-dir", "--config")


@pytest.fixture(scope="module")
def cli() -> click.Group:
    state = AppState(load_config(None), [])
    group = build_cli(state)
    group.state = state
    return group


def _commands(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, click.Context(cmd, parent=ctx, info_name=name, obj=ctx.obj), (*prefix, name))


def _resolve(cli: click.Group, words: list[str]) -> tuple[click.Context, click.Command, list[str], str]:
    """The command a line's words name, its context's parent and the words left for its options."""
    ctx = click.Context(cli, info_name="factory", obj=cli.state)
    cmd: click.Command = cli
    name = "factory"
    while isinstance(cmd, click.Group) and words and not words[0].startswith("-"):
        name = words.pop(0)
        sub = cmd.get_command(ctx, name)
        assert sub is not None, f"no command '{name}'"
        if isinstance(sub, click.Group):
            ctx = click.Context(sub, parent=ctx, info_name=name, obj=ctx.obj)
        cmd = sub
    return ctx, cmd, words, name


def parse_line(cli: click.Group, line: str) -> click.Context:
    """Parse one `factory ...` command line as the CLI would, without running it: path options need
    not exist (they name the user's files), everything else is checked."""
    words = shlex.split(line, comments=True)
    assert words and words[0].endswith("factory"), line
    words = words[1:]
    for option in GLOBAL_OPTIONS:  # main() takes these out wherever they stand
        while option in words:
            i = words.index(option)
            del words[i:i + 2]
    parent, cmd, rest, name = _resolve(cli, words)
    relaxed = [p for p in cmd.params if isinstance(p.type, click.Path) and p.type.exists]
    for p in relaxed:
        p.type.exists = False
    try:
        return cmd.make_context(name, rest, parent=parent, obj=cli.state)
    finally:
        for p in relaxed:
            p.type.exists = True


def _examples(help_text: str) -> list[str]:
    block = help_text.split("Examples:\n", 1)
    if len(block) < 2:
        return []
    lines = []
    for line in block[1].splitlines():
        if not line.startswith("  "):
            break
        lines.append(line.strip())
    return lines


def test_every_command_ends_its_help_with_examples_that_parse(cli: click.Group) -> None:
    root = click.Context(cli, info_name="factory", obj=cli.state)
    missing, broken, seen = [], [], 0
    for path in _commands(cli, root):
        proc_help = _help(cli, path)
        lines = _examples(proc_help)
        if not lines:
            missing.append(" ".join(path))
        for line in lines:
            seen += 1
            assert line.startswith("factory "), (path, line)  # one example per line, never run together
            assert "Example" not in line, line
            try:
                parse_line(cli, line)
            except (click.ClickException, AssertionError) as exc:
                broken.append(f"{line}: {exc}")
    assert missing == [] and broken == []
    assert seen >= 40


def _help(cli: click.Group, path: tuple[str, ...]) -> str:
    parent, cmd, _rest, name = _resolve(cli, list(path))
    return cmd.get_help(click.Context(cmd, parent=parent, info_name=name, obj=cli.state, max_content_width=200))


def _readme_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for raw in block.splitlines():
            for part in raw.split("&&"):
                part = part.strip()
                if re.match(r"(\.venv/bin/)?factory\b", part):
                    lines.append(part)
    return lines


def test_every_factory_line_in_the_readme_parses(cli: click.Group) -> None:
    lines = _readme_lines()
    assert len(lines) >= 25
    broken = []
    for line in lines:
        try:
            parse_line(cli, line)
        except (click.ClickException, AssertionError) as exc:
            broken.append(f"{line}: {exc}")
    assert broken == []


def test_the_readme_lists_every_command(cli: click.Group) -> None:
    named = {shlex.split(line, comments=True)[1:][0] for line in _readme_lines()
             if not shlex.split(line)[1].startswith("--")}
    named |= {shlex.split(line)[3] for line in _readme_lines() if shlex.split(line)[1] == "--plugins-dir"}
    ctx = click.Context(cli, info_name="factory")
    assert set(cli.list_commands(ctx)) - named == set()


def test_a_wrong_option_in_an_example_would_be_caught(cli: click.Group) -> None:
    with pytest.raises(click.NoSuchOption):
        parse_line(cli, "factory status --dataset data")
    with pytest.raises(click.MissingParameter):
        parse_line(cli, "factory merge-adapter --base B --adapter A")
    with pytest.raises(click.BadParameter):
        parse_line(cli, "factory run --count tool_core=zero")


def test_data_names_the_dataset_directory_and_out_still_works_hidden(tmp_path: Path) -> None:
    for args in (["--data", tmp_path / "a"], ["--out", tmp_path / "b"]):
        factory_cli("generate", "tool_neg", "--count", "3", *args, cwd=tmp_path, check=True)
    assert (tmp_path / "a" / "tool_neg.jsonl").read_bytes() == (tmp_path / "b" / "tool_neg.jsonl").read_bytes()
    for command in ("run", "status", "coverage", "merge", "export", "report", "generate"):
        text = factory_cli(command, "--help", check=True).stdout
        assert "--data DIR" in text, command
        if command in ("run", "status", "coverage", "generate"):
            assert "--out" not in text.split("Options:")[1], command  # the older name is hidden
    both = factory_cli("status", "--data", tmp_path / "a", "--out", tmp_path / "b", cwd=tmp_path)
    assert both.returncode == 2 and "both name the dataset directory" in both.stderr


@pytest.mark.parametrize("command", [["run", "--only", "tool_neg", "--only", "guardrail", "--no-merge",
                                      "--no-tokens"], ["generate", "tool_neg", "guardrail"]])
def test_count_has_one_syntax_in_run_and_generate(command: list[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    factory_cli(*command, "--count", "4", "--count", "guardrail=7", "--data", data, cwd=tmp_path, check=True)
    assert len((data / "tool_neg.jsonl").read_text().splitlines()) == 4
    assert len((data / "guardrail.jsonl").read_text().splitlines()) == 7
    unselected = factory_cli(*command, "--count", "style_core=3", "--data", tmp_path / "other", cwd=tmp_path)
    assert unselected.returncode == 1 and "'style_core' is not among the categories" in unselected.stderr
    assert not (tmp_path / "other").exists()


def test_a_model_name_given_as_provider_suggests_the_provider(tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n')
    judge = factory_cli("score", records, "--judge", "gpt-4o-mini", cwd=tmp_path)
    assert judge.returncode == 1 and "use --judge openai:gpt-4o-mini" in judge.stderr
    generate = factory_cli("generate", "tool_neg", "--provider", "claude-haiku-4-5", "--data", tmp_path, cwd=tmp_path)
    assert generate.returncode == 1 and "use --provider anthropic --model claude-haiku-4-5" in generate.stderr


def test_package_needs_no_out(tmp_path: Path) -> None:
    """The README's `factory package --model merged/ --gguf --quant Q4_K_M` parses and its --out
    defaults beside the model (what happens next needs llama.cpp: docs/training.md)."""
    proc = factory_cli("package", "--model", tmp_path / "merged", "--gguf", "--quant", "Q4_K_M", cwd=tmp_path)
    assert "Missing option" not in proc.stderr and "Traceback" not in proc.stdout + proc.stderr
