"""Options shared by commands that make LLM calls."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from factory.errors import FactoryError


def provider_create(state: Any, name: str, flag: str = "--provider") -> Callable[..., Any] | None:
    """The ``create`` registered for LLM provider ``name`` (built-ins register theirs like any plugin:
    ``factory.plugins.providers``); a clear error for any other name, suggesting the provider a model
    name belongs to (``gpt-4o-mini`` given as a provider: ``openai:gpt-4o-mini``)."""
    registry = state.host.registry
    names = [n for n in registry.providers if n != "template"]
    if name not in names:
        owner = _provider_of_model(name)
        hint = ""
        if owner in names:
            hint = (f"; '{name}' looks like a model name: use --judge {owner}:{name}" if flag == "--judge"
                    else f"; '{name}' looks like a model name: use --provider {owner} --model {name}")
        raise FactoryError(f"unknown LLM provider '{name}'{hint} (known: {', '.join(sorted(names))}; plugins "
                           "add more through register_providers)")
    return registry.providers[name].create


def _provider_of_model(model: str) -> str | None:
    """The built-in provider whose models are named like ``model``, if any."""
    lowered = model.lower()
    if lowered.startswith(("gpt-", "gpt4", "o1", "o3", "o4", "chatgpt", "text-embedding", "davinci")):
        return "openai"
    if lowered.startswith("claude"):
        return "anthropic"
    if "/" in lowered or lowered.startswith(("qwen", "llama", "mistral", "deepseek", "gemma", "phi")):
        return "openai-compatible"
    return None


def _engine_override(key: str) -> Callable[[click.Context, Any, Any], None]:
    """A click callback that sets ``[engine] KEY`` for this command when the option is given."""
    def callback(ctx: click.Context, _param: Any, value: Any) -> None:
        if value is not None and ctx.obj is not None:
            cfg = ctx.obj.config
            ctx.obj.config = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={key: value})})

    return callback


def workers_option(f: Any) -> Any:
    """``--workers N``: overrides ``[engine] workers`` for this command (see factory.llm.workers)."""
    return click.option(
        "--workers", type=click.IntRange(min=0), expose_value=False, callback=_engine_override("workers"),
        help="Processes making provider calls (a call costs ~4.5 ms of SDK CPU) [default: [engine] workers = "
             "0, auto: one per 20 calls in flight, at most cores + 1; 1 = in this process].")(f)


def concurrency_option(f: Any) -> Any:
    """``--concurrency N``: overrides ``[engine] max_concurrency`` for this command."""
    return click.option(
        "--concurrency", type=click.IntRange(min=1), expose_value=False, callback=_engine_override("max_concurrency"),
        help="Model requests at once [default: [engine] max_concurrency = 16].")(f)


def timeout_option(f: Any) -> Any:
    """``--timeout S``: overrides ``[engine] timeout`` for this command."""
    return click.option(
        "--timeout", type=click.FloatRange(min=1), expose_value=False, callback=_engine_override("timeout"), metavar="SECONDS",
        help="Seconds one provider request may take before it is retried [default: [engine] timeout = 120]. "
             "An endpoint that cannot be reached at all stops the command at once.")(f)


def examples(*lines: str) -> Callable[[Any], Any]:
    """Append an ``Examples:`` block to a command's help, one command line per line (click's ``\\b``
    keeps the lines from being rewrapped into one paragraph). ``tests/cli/test_vocabulary.py`` parses
    every one of them against the command it documents."""
    def deco(f: Any) -> Any:
        block = "\n\n\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
        f.__doc__ = inspect.cleandoc(f.__doc__ or "") + block + "\n"
        return f

    return deco


def dataset_dir_option(help_text: str, *, exists: bool = False) -> Callable[[Any], Any]:
    """``--data DIR``: the dataset directory, the same name in every command that reads or writes one
    (``--out`` is accepted as an older spelling where it meant the dataset directory, and hidden).
    The command receives it as ``data_dir`` (None when neither is given)."""
    kind = click.Path(file_okay=False, exists=exists, path_type=Path)

    def deco(f: Any) -> Any:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            alias = kwargs.pop("data_dir_alias")
            if alias is not None:
                if kwargs["data_dir"] is not None and kwargs["data_dir"] != alias:
                    raise click.UsageError(f"--data {kwargs['data_dir']} and --out {alias} both name the dataset "
                                           "directory; give one (--out is the older name of --data)")
                kwargs["data_dir"] = alias
            return f(*args, **kwargs)

        wrapper = click.option("--out", "data_dir_alias", type=kind, hidden=True)(wrapper)
        return click.option("--data", "data_dir", type=kind, metavar="DIR", help=help_text)(wrapper)

    return deco


class CountType(click.ParamType):
    """One ``--count`` value: ``N`` (every selected category) or ``CATEGORY=N``; N a whole number >= 1."""

    name = "count"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str | None, int]:
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        name, sep, number = text.rpartition("=")
        if sep and not name:
            self.fail(f"expected N or CATEGORY=N, got '{value}' (no category before '=')", param, ctx)
        if not number.isdigit() or int(number) < 1:
            self.fail(f"expected N or CATEGORY=N with N a whole number at least 1, got '{value}' (to leave a "
                      "category out, use --skip or `skip` in factory.toml)", param, ctx)
        return (name or None, int(number))


def counts_option(f: Any) -> Any:
    """``--count N`` / ``--count CATEGORY=N`` (repeatable), the same syntax in ``run`` and ``generate``."""
    return click.option(
        "--count", "counts", type=CountType(), multiple=True, metavar="[CATEGORY=]N",
        help="Records to generate: N for every selected category, CATEGORY=N for one (repeatable; the last "
             "one given wins) [default: factory.toml [counts], else the spec's total].")(f)


def resolve_counts(values: tuple[tuple[str | None, int], ...], names: list[str], registered: list[str]
                   ) -> dict[str, int]:
    """``--count`` values -> category -> N for the selected ``names``. A name nothing registers is an
    error with the names it was probably meant to be; a registered one that is not selected too."""
    from factory.pipeline import unknown_category

    counts: dict[str, int] = {}
    for name, n in values:
        if name is None:
            counts.update(dict.fromkeys(names, n))
        elif name not in registered:
            raise unknown_category(name, registered, " in --count")
        elif name not in names:
            raise FactoryError(f"--count {name}={n}: '{name}' is not among the categories this command runs "
                               f"({', '.join(names)})")
        else:
            counts[name] = n
    return counts


def executor_params(what: str, table: str, auto: str, tasks_help: str) -> tuple[click.Option, ...]:
    """``--executor / --workers / --tasks`` of a pass that can run on datatrove (factory.scale);
    ``table``: the factory.toml table that holds their defaults."""
    from factory.scale import EXECUTORS

    return (
        click.Option(["--executor"], type=click.Choice(EXECUTORS), default=None,
                     help=f"Where {what} runs: in this process, or on datatrove's local, Ray or Slurm executor (the "
                          f"same answer); auto: {auto} when datatrove is installed [default: factory.toml "
                          f"[{table}] or auto]."),
        click.Option(["--workers"], type=click.IntRange(min=0), default=None,
                     help="Engine tasks at once [default: this machine's cores; on Slurm, every task]."),
        click.Option(["--tasks"], type=click.IntRange(min=0), default=None, help=tasks_help),
    )


def work_dir_param(done: str, folder: str) -> click.Option:
    """``--work-dir``: where an engine pass keeps its shards' results until it is ``done``."""
    return click.Option(["--work-dir"], type=click.Path(file_okay=False, path_type=Path), default=None,
                        help=f"Where the engine keeps its shards' results until the {done} is done (on a cluster: "
                             f"a folder every node sees) [default: ~/.cache/factory/work/{folder}].")


def executor_options(what: str, table: str, auto: str, tasks_help: str, done: str = "", folder: str = "") \
        -> Callable[[Any], Any]:
    """:func:`executor_params` (and :func:`work_dir_param` when ``folder`` is given) as a decorator."""

    def wrap(f: Any) -> Any:
        work = [work_dir_param(done, folder)] if folder else []
        for param in reversed([*executor_params(what, table, auto, tasks_help), *work]):
            click.decorators._param_memo(f, param)
        return f

    return wrap
