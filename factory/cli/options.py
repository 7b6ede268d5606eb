"""Options shared by commands that make LLM calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from factory.errors import FactoryError


def provider_create(state: Any, name: str) -> Callable[..., Any] | None:
    """The ``create`` registered for LLM provider ``name`` (built-ins register theirs like any plugin:
    ``factory.plugins.providers``); a clear error for any other name."""
    registry = state.host.registry
    names = [n for n in registry.providers if n != "template"]
    if name not in names:
        raise FactoryError(f"unknown LLM provider '{name}' (known: {', '.join(sorted(names))}; plugins add more "
                           "through register_providers)")
    return registry.providers[name].create


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


def timeout_option(f: Any) -> Any:
    """``--timeout S``: overrides ``[engine] timeout`` for this command."""
    return click.option(
        "--timeout", type=click.FloatRange(min=1), expose_value=False, callback=_engine_override("timeout"), metavar="SECONDS",
        help="Seconds one provider request may take before it is retried [default: [engine] timeout = 120]. "
             "An endpoint that cannot be reached at all stops the command at once.")(f)
