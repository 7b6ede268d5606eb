"""The factory's hooks: the whole plugin author's manual.

Every hook receives a host-owned ``register`` callback (or the CLI group). Register as many things as
you like; names must be unique across all plugins, and a duplicate fails at start-up naming both
sources. Implement a hook with::

    from factory import hookimpl

    @hookimpl
    def register_categories(register):
        register(Category(name="my_category", spec_path=..., generator=MyGenerator()))

A plugin is a module: a built-in one (``factory.plugins.*``), one named by an entry point of the group
``factory.plugins`` in a third-party package, or a ``NAME.py`` file in a drop-in directory
(``--plugins-dir`` or ``plugins_dirs`` in ``factory.toml``). Set ``FACTORY_TRACE_PLUGINS=1`` to print
every hook call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from factory.registry import Category, Exporter, Ingestor, ProviderFactory, Scorer, Toolset

hookspec = pluggy.HookspecMarker("factory")


@hookspec
def register_categories(register: Callable[[Category], None]) -> None:
    """Register dataset categories.

    :param register: call ``register(Category(name, spec_path, generator))`` once per category.
        ``spec_path`` is the agents/*.md file whose front matter sets the toolset and the subcategory
        counts and whose body is the LLM system prompt. ``generator`` has
        ``generate(ctx, subcategory, count)`` yielding :class:`factory.schemas.Example` records built
        with ``ctx.example(...)``; the host validates each one, rejects duplicates and stops at
        ``count``.
    """


@hookspec
def register_toolsets(register: Callable[[Toolset], None]) -> None:
    """Register tool sets: named lists of OpenAI-style function schemas that records offer.

    :param register: call ``register(Toolset(name, tools, source))``. A spec's ``toolset:`` names
        one of these, or a path to a JSON file of function schemas.
    """


@hookspec
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register export formats for ``factory export --format NAME``.

    :param register: call ``register(Exporter(name, description, rows, files=..., checks=...))`` where
        ``rows(record, ctx)`` yields the rows one merged record becomes (or a reason string when the
        record does not fit the format). The host writes each split atomically, counts records read,
        rows written and skips with their reasons in ``export_report.json``, and runs the self-checks
        ``checks`` names (``"chat"``, ``"mlx"``, ``"openai"``, ``"sharegpt"``, ``"alpaca"``, ``"fim"``)
        -- for a plugin's format exactly as for a built-in one. A format with a second file per split
        yields ``SideRow(stream, row)`` for it; ``metadata(report)`` adds files such as
        ``dataset_info.json``.
    """


@hookspec
def register_ingestors(register: Callable[[Ingestor], None]) -> None:
    """Register ingestors for ``factory ingest NAME ...``: real sources turned into Example records.

    :param register: call ``register(Ingestor(name, description, ingest, params=(...), help=...))``.
        ``params`` are the click arguments and options of ``factory ingest NAME`` (the host adds
        ``--out``); ``ingest(report, **values)`` checks the values and returns the candidate records
        (:class:`factory.ingest.sink.Candidate`, usually from a generator), counting what it reads and
        skips on ``report`` (an :class:`factory.ingest.sink.IngestReport`). The host opens the sink:
        every candidate is scrubbed of secrets and personal data, validated, deduplicated and written
        atomically, and the report (read = written + rejected, with reasons) is printed and saved.
    """


@hookspec
def register_providers(register: Callable[[ProviderFactory], None]) -> None:
    """Register LLM providers for ``--provider NAME`` (generate, enhance) and ``--judge NAME:MODEL``
    (score, enhance).

    :param register: call ``register(ProviderFactory(name, create))`` where
        ``create(model=..., base_url=..., timeout=..., max_connections=...)`` returns an object
        implementing the provider interface of :mod:`factory.llm` (``model`` may be None: use
        yours). The engine wraps it (cache, limits, retries, ledger); with ``[engine] workers`` it is
        also called in each worker process, so define ``create`` at module level.
    """


@hookspec
def register_scorers(register: Callable[[Scorer], None]) -> None:
    """Register offline record scorers for ``factory score --scorer NAME`` and ``factory enhance
    --scorer NAME`` (used when there is no ``--judge``; the built-in one is ``heuristic``).

    :param register: call ``register(Scorer(name, score))`` where ``score(view, rubric)`` returns a
        ``{dimension: float}`` mapping on the rubric's scale. ``view`` is a
        :class:`factory.score.scoring.RecordView`: any supported format (factory, OpenAI, ShareGPT,
        Alpaca) seen as ``messages`` + ``tools``, with ``category`` and ``to_example()``.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add top-level CLI commands.

    :param cli: the root ``click.Group``; call ``cli.add_command(...)`` or use ``@cli.command()``.
        Import heavy libraries inside the command body so ``factory --help`` stays fast.
    """
