"""The plugin host: finds plugins, calls their hooks, and keeps one broken plugin from stopping the rest.

Sources, in order: the built-in modules (``factory.plugins.*``), entry points of the group
``factory.plugins``, and ``*.py`` files in drop-in directories. Each is registered the same way
(``PluginManager.register(module)``); a plugin that fails to import, implements an unknown hook, or
raises inside a hook is recorded in ``registry.failures`` with its file and reason.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from factory import hookspecs
from factory.registry import DuplicateNameError, PluginFailure, Registry

ENTRY_POINT_GROUP = "factory.plugins"



def builtin_plugins() -> tuple[str, ...]:
    """Every module of ``factory.plugins`` and its sub-packages (``categories``, ...) whose name does
    not start with ``_``: dropping a module in is enough."""
    import pkgutil

    import factory.plugins as pkg

    return tuple(
        m.name
        for m in sorted(pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."), key=lambda m: m.name)
        if not m.ispkg and not m.name.rsplit(".", 1)[-1].startswith("_")
    )


# hook name -> registry kind
HOOK_KINDS: dict[str, str] = {
    "register_categories": "categories",
    "register_toolsets": "toolsets",
    "register_exporters": "exporters",
    "register_ingestors": "ingestors",
    "register_providers": "providers",
    "register_scorers": "scorers",
}


def _trace(message: str) -> None:
    """FACTORY_TRACE_PLUGINS=1 prints every hook call: cheap, and priceless when a plugin misbehaves."""
    if os.environ.get("FACTORY_TRACE_PLUGINS"):
        print(f"factory-trace: {message}", file=sys.stderr)


def get_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager with the factory's hookspecs and no plugins: tests build their own."""
    pm = pluggy.PluginManager("factory")
    pm.add_hookspecs(hookspecs)
    if os.environ.get("FACTORY_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda msg: print(msg, end="", file=sys.stderr))
        pm.enable_tracing()
    return pm


@dataclass
class PluginInfo:
    name: str
    origin: str
    file: str
    module: ModuleType


@dataclass
class PluginHost:
    """Loads plugins into a fresh plugin manager and fills a registry from their hooks."""

    plugin_dirs: list[Path] = field(default_factory=list)
    builtins: tuple[str, ...] | None = None
    entry_points: bool = True
    pm: pluggy.PluginManager = field(default_factory=get_plugin_manager)
    registry: Registry = field(default_factory=Registry)
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    _filled: bool = False

    # -- discovery -------------------------------------------------------------------------------
    def load(self) -> PluginHost:
        for modname in builtin_plugins() if self.builtins is None else self.builtins:
            self._load_module(modname, "built-in", lambda m=modname: importlib.import_module(m))
        if self.entry_points:
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                self._load_module(ep.name, "entry point", ep.load, file=ep.value)
        for directory in self.plugin_dirs:
            self._load_dir(Path(directory))
        self._fill()
        return self

    def _load_dir(self, directory: Path) -> None:
        if not directory.is_dir():
            self.registry.failures.append(
                PluginFailure(str(directory), str(directory), "plugin directory does not exist")
            )
            return
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            modname = f"factory_dropin_{abs(hash(str(path.resolve()))):x}_{path.stem}"

            def _import(path: Path = path, modname: str = modname) -> ModuleType:
                spec = importlib.util.spec_from_file_location(modname, path)
                assert spec and spec.loader
                module = importlib.util.module_from_spec(spec)
                sys.modules[modname] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(modname, None)
                    raise
                return module

            self._load_module(path.stem, "drop-in", _import, file=str(path))

    def _load_module(self, name: str, origin: str, importer: Any, file: str = "") -> None:
        try:
            module = importer()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            self.registry.failures.append(PluginFailure(name, file or name, _reason(exc)))
            return
        file = getattr(module, "__file__", None) or file or name
        if name in self.plugins:
            prev = self.plugins[name]
            self.registry.failures.append(
                PluginFailure(name, file, f"a plugin named '{name}' is already loaded from {prev.file}")
            )
            return
        unknown = [
            attr
            for attr in dir(module)
            if attr.startswith("register_")
            and callable(getattr(module, attr))
            and hasattr(getattr(module, attr), "factory_impl")
            and not hasattr(self.pm.hook, attr)
        ]
        if unknown:
            self.registry.failures.append(
                PluginFailure(name, file, f"implements unknown hook(s): {', '.join(unknown)}")
            )
            return
        try:
            self.pm.register(module, name=name)
        except Exception as exc:  # noqa: BLE001 - e.g. a misspelt hook: recorded, the others go on
            self.registry.failures.append(PluginFailure(name, file, _reason(exc)))
            return
        self.plugins[name] = PluginInfo(name, origin, file, module)

    # -- hooks -----------------------------------------------------------------------------------
    def _fill(self) -> None:
        """Call every registering hook plugin by plugin, so one raising plugin is isolated."""
        if self._filled:
            return
        self._filled = True
        for hook_name, kind in HOOK_KINDS.items():
            caller = getattr(self.pm.hook, hook_name)
            for impl in caller.get_hookimpls():
                info = self.plugins.get(impl.plugin_name)
                origin = info.origin if info else "unknown"
                file = info.file if info else impl.plugin_name
                staged: list[Any] = []
                try:
                    impl.function(register=staged.append)
                    _trace(f"{hook_name} on {impl.plugin_name} ({file}) registered "
                           f"{[getattr(o, 'name', o) for o in staged]}")
                    for obj in staged:
                        self.registry.add(kind, obj, impl.plugin_name, origin, file)
                except DuplicateNameError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a hook that raises: recorded, the others go on
                    self.registry.failures.append(
                        PluginFailure(impl.plugin_name, file, f"{hook_name} raised: {_reason(exc)}")
                    )

    def add_commands(self, cli: Any) -> None:
        for impl in self.pm.hook.register_commands.get_hookimpls():
            try:
                _trace(f"register_commands on {impl.plugin_name}")
                impl.function(cli=cli)
            except Exception as exc:  # noqa: BLE001 - a hook that raises: recorded, the others go on
                info = self.plugins.get(impl.plugin_name)
                self.registry.failures.append(
                    PluginFailure(
                        impl.plugin_name,
                        info.file if info else "",
                        f"register_commands raised: {_reason(exc)}",
                    )
                )


def _reason(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" ({tb[-1].filename}:{tb[-1].lineno})" if tb else ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f" ({exc.filename}:{exc.lineno})"
    return f"{type(exc).__name__}: {exc}{where}"
