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


def _tracer(pm: pluggy.PluginManager) -> None:
    """FACTORY_TRACE_PLUGINS=1: pluggy's own hook-call monitoring prints every hook call with the
    plugin it went to and what came back -- cheap, and priceless when a plugin misbehaves."""

    def before(hook_name: str, impls: list, kwargs: dict) -> None:
        print(f"factory-trace: {hook_name} -> {', '.join(i.plugin_name for i in impls)}", file=sys.stderr)

    def after(outcome: Any, hook_name: str, impls: list, kwargs: dict) -> None:
        failed = outcome.exception
        print(f"factory-trace: {hook_name} done" + (f" (raised {failed!r})" if failed else ""), file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def get_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager with the factory's hookspecs and no plugins: tests build their own."""
    pm = pluggy.PluginManager("factory")
    pm.add_hookspecs(hookspecs)
    if os.environ.get("FACTORY_TRACE_PLUGINS"):
        _tracer(pm)
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
        self._check_pending()
        self._fill()
        return self

    def _check_pending(self) -> None:
        """pluggy's ``check_pending``, plugin by plugin: a hook implementation that matches no hook
        spec (a misspelt ``regster_categories``, say) fails its plugin, which is unregistered, and
        the others go on."""
        for hook_name in sorted(vars(self.pm.hook)):
            caller = getattr(self.pm.hook, hook_name)
            if hook_name.startswith("_") or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook or impl.plugin_name not in self.plugins:
                    continue
                info = self.plugins.pop(impl.plugin_name)
                self.pm.unregister(name=impl.plugin_name)
                known = ", ".join(sorted(n for n in vars(self.pm.hook) if not n.startswith("_")
                                         and getattr(self.pm.hook, n).has_spec()))
                self.registry.failures.append(PluginFailure(
                    info.name, info.file, f"implements unknown hook '{hook_name}' (hooks: {known})"))
        self.pm.check_pending()

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
                    self._only(hook_name, impl.plugin_name)(register=staged.append)
                    if os.environ.get("FACTORY_TRACE_PLUGINS"):
                        print(f"factory-trace: {impl.plugin_name} registered "
                              f"{', '.join(str(getattr(o, 'name', o)) for o in staged) or 'nothing'}", file=sys.stderr)
                    for obj in staged:
                        self.registry.add(kind, obj, impl.plugin_name, origin, file)
                except DuplicateNameError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a hook that raises: recorded, the others go on
                    self.registry.failures.append(
                        PluginFailure(impl.plugin_name, file, f"{hook_name} raised: {_reason(exc)}")
                    )

    def _only(self, hook_name: str, plugin_name: str) -> Any:
        """The hook's caller restricted to one plugin: a call still goes through pluggy (tracing
        included), and one plugin's exception cannot hide another's registrations."""
        others = [p for n, p in self.pm.list_name_plugin() if n != plugin_name]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=others)

    def add_commands(self, cli: Any) -> None:
        for impl in self.pm.hook.register_commands.get_hookimpls():
            try:
                self._only("register_commands", impl.plugin_name)(cli=cli)
            except Exception as exc:  # noqa: BLE001 - a hook that raises: recorded, the others go on
                info = self.plugins.get(impl.plugin_name)
                self.registry.failures.append(
                    PluginFailure(
                        impl.plugin_name,
                        info.file if info else "",
                        f"register_commands raised: {_reason(exc)}",
                    )
                )


_current: list[Registry] = []


def use_registry(registry: Registry) -> None:
    """Make ``registry`` the one :func:`default_registry` returns (the CLI does, with its drop-ins)."""
    _current[:] = [registry]


def default_registry() -> Registry:
    """The registry the running command loaded (drop-in directories included), or else the built-in
    and entry-point plugins', loaded once: for code that needs what the categories' specs declare
    (training, evaluation) without being handed a host."""
    if not _current:
        from factory.config import load_config

        use_registry(PluginHost(plugin_dirs=list(load_config().plugins_dirs)).load().registry)
    return _current[0]


def _reason(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" ({tb[-1].filename}:{tb[-1].lineno})" if tb else ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f" ({exc.filename}:{exc.lineno})"
    return f"{type(exc).__name__}: {exc}{where}"
