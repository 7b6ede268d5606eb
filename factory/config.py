"""``factory.toml``: validated configuration. CLI flags win over the file; the file wins over defaults.

Example::

    out = "data"
    seed = 42
    plugins_dirs = ["my_plugins"]

    [counts]
    tool_core = 500
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from factory.errors import FactoryError

CONFIG_FILE = "factory.toml"


class FactoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out: Path = Path("data")
    seed: int = 42
    plugins_dirs: list[Path] = Field(default_factory=list)
    # Category -> record count, overriding the spec's total.
    counts: dict[str, int] = Field(default_factory=dict)
    # Categories `factory run` skips.
    skip: list[str] = Field(default_factory=list)


def load_config(path: str | Path | None = None) -> FactoryConfig:
    """Load ``path``, or ``./factory.toml`` if present, else defaults. Relative paths are relative
    to the config file."""
    if path is None:
        if not Path(CONFIG_FILE).exists():
            return FactoryConfig()
        path = CONFIG_FILE
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FactoryError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FactoryError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise FactoryError(f"{path}: not UTF-8") from None
    try:
        cfg = FactoryConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise FactoryError(f"{path}: {loc}: {err['msg']}") from None
    base = path.parent
    cfg.plugins_dirs = [p if p.is_absolute() else base / p for p in cfg.plugins_dirs]
    if "out" in data and not cfg.out.is_absolute():
        cfg.out = base / cfg.out
    return cfg
