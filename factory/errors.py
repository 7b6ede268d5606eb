"""Errors the user can act on: each names the file (and line), what was expected and what to do."""

from __future__ import annotations


class FactoryError(Exception):
    """An error shown to the user as one clear message; the CLI exits non-zero without a traceback."""


class SpecError(FactoryError):
    pass


class InputError(FactoryError):
    """Bad input data: names ``file:line``."""

    def __init__(self, path: str, line: int | None, reason: str, hint: str = "") -> None:
        self.path, self.line, self.reason, self.hint = str(path), line, reason, hint
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}" + (f" ({hint})" if hint else ""))
