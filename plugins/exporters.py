"""Built-in export formats (see factory/export/formats.py), registered like any plugin's."""

from __future__ import annotations

from factory import hookimpl


@hookimpl
def register_exporters(register):
    from factory.export.formats import FORMATS

    for exporter in FORMATS:
        register(exporter)
