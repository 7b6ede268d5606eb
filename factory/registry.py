"""What plugins register, and the host-owned registry that holds it: one typed table per kind
(``registry.categories[name]``, ``registry.toolsets``, ``registry.exporters``, ...).

A table refuses a duplicate name, naming both sources, and records where each entry came from
(``built-in``, ``entry point``, ``drop-in``) so ``factory plugins`` can show it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from factory.errors import FactoryError

if TYPE_CHECKING:
    import click

    from factory.schemas import Example

T = TypeVar("T")


class Generator(Protocol):
    def generate(self, ctx: Any, subcategory: str, count: int) -> Iterable[Example]:
        """``ctx`` is a :class:`factory.generate.category.GenerationContext`. Yield records for one subcategory. Yield more than ``count`` freely: the host stops at
        ``count`` unique, valid records and reports what it rejected."""


@dataclass(frozen=True)
class Category:
    name: str
    spec_path: Path
    generator: Generator
    description: str = ""


@dataclass(frozen=True)
class Toolset:
    """Function schemas, and the rules their descriptions state as data (``rules``: tool name -> list of
    ``{"rule": KIND, ...}``; the kinds are in :mod:`factory.quality.preconditions`), checked on every
    record that calls those tools."""

    name: str
    tools: list[dict[str, Any]]
    source: str = ""
    rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def by_name(self) -> dict[str, dict[str, Any]]:
        return {t["function"]["name"]: t for t in self.tools}

    @property
    def names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools]


# The self-checks an exporter's files can get (``Exporter.checks``): ``chat`` -- TRL reads the rows as
# conversations, they render through the tokenizer's chat template with their tools, assistant tokens
# are in the loss mask, arguments are never double-encoded; ``mlx`` -- ``chat`` plus mlx-lm's rules
# (one row kind per file, what ``--mask-prompt`` trains); ``openai`` -- the OpenAI fine-tuning format
# checks, tools included; ``sharegpt``, ``alpaca`` -- LLaMA-Factory's own rules for those formats;
# ``fim`` -- FIM tokens in order.
EXPORT_CHECKS = ("chat", "mlx", "openai", "sharegpt", "alpaca", "fim")


@dataclass(frozen=True)
class Exporter:
    """An export format. ``rows(record, ctx)`` yields the rows one merged record becomes (zero or
    more), or a reason string for a record the format cannot take (counted, never silent); ``ctx`` is
    a :class:`factory.export.base.ExportContext` (split, tokenizer family, originals). ``files`` names
    each split's output file. ``checks`` names the self-checks run on what was written (one of
    :data:`EXPORT_CHECKS`, or None for none beyond valid JSON lines).

    A format with more than one file per split (sharegpt's SFT file and its KTO file) yields
    :class:`factory.export.base.SideRow` for the others; ``files`` names them ``"STREAM:SPLIT"``
    (default ``STREAM_SPLIT.jsonl``). ``metadata(report)`` returns ``{file name: JSON object}`` written
    beside the rows once every split is written (LLaMA-Factory's ``dataset_info.json``)."""

    name: str
    description: str
    rows: Callable[[dict[str, Any], Any], Iterable[Any]]
    files: dict[str, str] = field(default_factory=lambda: {"train": "train.jsonl", "eval": "eval.jsonl"})
    checks: str | None = None
    metadata: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.checks is not None and self.checks not in EXPORT_CHECKS:
            raise FactoryError(f"exporter '{self.name}': unknown checks '{self.checks}' "
                               f"(known: {', '.join(EXPORT_CHECKS)}, or None)")


@dataclass(frozen=True)
class Ingestor:
    """A real source turned into records: ``factory ingest NAME``. ``params`` are the command's click
    arguments and options (the host adds ``--out``); ``ingest(report, **values)`` returns the
    candidate records (:class:`factory.ingest.sink.Candidate`, an iterable, usually a generator) and
    may count what it reads and skips on ``report``. The host owns the command and the sink, so every
    candidate is scrubbed, validated, deduplicated and written atomically, whichever plugin made it."""

    name: str
    description: str
    ingest: Callable[..., Iterable[Any]]
    params: tuple[click.Parameter, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        import click

        if isinstance(self.ingest, click.Command):
            raise FactoryError(f"ingestor '{self.name}': pass ingest(report, **values) and its click params, not a "
                               "click command -- the host builds the command and owns the sink (docs/plugins.md)")


@dataclass(frozen=True)
class ProviderFactory:
    name: str
    create: Callable[..., Any]
    description: str = ""


@dataclass(frozen=True)
class Scorer:
    name: str
    score: Callable[..., Any]
    description: str = ""


class DuplicateNameError(FactoryError):
    pass


class UnknownName(FactoryError, KeyError):
    """A name no plugin registered; the message lists the names that are."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Entry(Generic[T]):
    """A registered object with the plugin that registered it."""

    obj: T
    plugin: str
    origin: str  # built-in | entry point | drop-in
    file: str


class Table(Mapping[str, T]):
    """One kind of registered thing, by name: ``registry.categories["tool_core"]`` is the
    :class:`Category`, ``list(registry.categories)`` the names in registration order, and
    ``registry.categories.entries()`` the objects with the plugin, origin and file behind each."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def __getitem__(self, name: str) -> T:
        entry = self._entries.get(name)
        if entry is None:
            known = ", ".join(sorted(self._entries)) or "none"
            raise UnknownName(f"unknown {self.kind} '{name}' (known: {known})")
        return entry.obj

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[Entry[T]]:
        return list(self._entries.values())

    def entry(self, name: str) -> Entry[T]:
        self[name]  # the error for an unknown name
        return self._entries[name]

    def _add(self, entry: Entry[T]) -> None:
        name = entry.obj.name
        if name in self._entries:
            first = self._entries[name]
            raise DuplicateNameError(
                f"{self.kind} '{name}' is registered twice: by {first.plugin} ({first.file}) "
                f"and by {entry.plugin} ({entry.file}); rename one of them"
            )
        self._entries[name] = entry


@dataclass
class PluginFailure:
    plugin: str
    file: str
    reason: str


@dataclass
class Registry:
    """What the plugins registered, one typed table per hook."""

    categories: Table[Category] = field(default_factory=lambda: Table("category"))
    toolsets: Table[Toolset] = field(default_factory=lambda: Table("toolset"))
    exporters: Table[Exporter] = field(default_factory=lambda: Table("exporter"))
    ingestors: Table[Ingestor] = field(default_factory=lambda: Table("ingestor"))
    providers: Table[ProviderFactory] = field(default_factory=lambda: Table("provider"))
    scorers: Table[Scorer] = field(default_factory=lambda: Table("scorer"))
    failures: list[PluginFailure] = field(default_factory=list)

    KINDS: ClassVar[tuple[str, ...]] = ("categories", "toolsets", "exporters", "ingestors", "providers", "scorers")

    def table(self, kind: str) -> Table[Any]:
        if kind not in self.KINDS:
            raise FactoryError(f"no registry table '{kind}' (tables: {', '.join(self.KINDS)})")
        return getattr(self, kind)

    def add(self, kind: str, obj: Any, plugin: str, origin: str, file: str) -> None:
        self.table(kind)._add(Entry(obj, plugin, origin, file))
