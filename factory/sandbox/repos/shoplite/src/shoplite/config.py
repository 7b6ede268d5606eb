"""Settings read from the environment, with safe defaults for development."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_path: str
    tax_rate_percent: int
    max_items_per_cart: int
    allowed_origins: tuple[str, ...]


def load_settings() -> Settings:
    origins = os.environ.get("SHOPLITE_ALLOWED_ORIGINS", "http://localhost:3000")
    return Settings(
        database_path=os.environ.get("SHOPLITE_DB", "shoplite.db"),
        tax_rate_percent=int(os.environ.get("SHOPLITE_TAX_RATE", "20")),
        max_items_per_cart=int(os.environ.get("SHOPLITE_MAX_ITEMS", "50")),
        allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
    )
