"""Built-in export formats (see factory/exporters/formats.py), registered like any plugin's."""

from __future__ import annotations

from factory import hookimpl
from factory.registry import Exporter


@hookimpl
def register_exporters(register):
    from factory.export.formats import FORMATS

    for fmt in FORMATS:
        register(Exporter(name=fmt.name, description=fmt.description, export=fmt))  # RowFormat is callable
