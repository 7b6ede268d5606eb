"""What plugins register, and the host-owned registry that holds it.

The registry refuses a duplicate name, naming both sources, and records where each entry came from
(``built-in``, ``entry point``, ``drop-in``) so ``factory plugins`` can show it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from factory.errors import FactoryError

if TYPE_CHECKING:
    import click

    from factory.schemas import Example


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
    name: str
    tools: list[dict[str, Any]]
    source: str = ""

    def by_name(self) -> dict[str, dict[str, Any]]:
        return {t["function"]["name"]: t for t in self.tools}

    @property
    def names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools]


@dataclass(frozen=True)
class Exporter:
    name: str
    description: str
    export: Callable[..., Any]


@dataclass(frozen=True)
class Ingestor:
    name: str
    description: str
    command: click.Command


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


SINGULAR = {"categories": "category", "toolsets": "toolset", "exporters": "exporter",
            "ingestors": "ingestor", "providers": "provider", "scorers": "scorer"}


@dataclass
class Entry:
    """A registered object with the plugin that registered it."""

    obj: Any
    plugin: str
    origin: str  # built-in | entry point | drop-in
    file: str


@dataclass
class PluginFailure:
    plugin: str
    file: str
    reason: str


@dataclass
class Registry:
    kinds: dict[str, dict[str, Entry]] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    def add(self, kind: str, obj: Any, plugin: str, origin: str, file: str) -> None:
        table = self.kinds.setdefault(kind, {})
        name = obj.name
        if name in table:
            first = table[name]
            raise DuplicateNameError(
                f"{SINGULAR.get(kind, kind)} '{name}' is registered twice: by {first.plugin} ({first.file}) "
                f"and by {plugin} ({file}); rename one of them"
            )
        table[name] = Entry(obj, plugin, origin, file)

    def entries(self, kind: str) -> list[Entry]:
        return list(self.kinds.get(kind, {}).values())

    def get(self, kind: str, name: str) -> Any:
        table = self.kinds.get(kind, {})
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise FactoryError(f"unknown {SINGULAR.get(kind, kind)} '{name}' (known: {known})")
        return table[name].obj

    def names(self, kind: str) -> list[str]:
        return list(self.kinds.get(kind, {}))

    def __iter__(self) -> Iterator[str]:
        return iter(self.kinds)
