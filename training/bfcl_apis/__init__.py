"""The Berkeley Function Calling Leaderboard's multi-turn backends, copied from PyPI's ``bfcl-eval``
2026.3.23 (Apache-2.0; NOTICE.md): the file system, messaging, posting, ticket, math, trading, travel
and vehicle APIs whose state the multi-turn categories are checked against, and their function docs
(``func_doc/``). Only the one import of ``long_context`` was changed to this package's name."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

FUNC_DOCS = Path(__file__).parent / "func_doc"

# class name -> (module, function-doc file), as bfcl_eval.constants.executable_backend_config maps them
CLASSES: dict[str, tuple[str, str]] = {
    "GorillaFileSystem": ("gorilla_file_system", "gorilla_file_system"),
    "MathAPI": ("math_api", "math_api"),
    "MessageAPI": ("message_api", "message_api"),
    "TwitterAPI": ("posting_api", "posting_api"),
    "TicketAPI": ("ticket_api", "ticket_api"),
    "TradingBot": ("trading_bot", "trading_bot"),
    "TravelAPI": ("travel_booking", "travel_booking"),
    "VehicleControlAPI": ("vehicle_control", "vehicle_control"),
}
STATELESS = frozenset({"MathAPI"})


def backend_class(name: str) -> Any:
    module, _doc = CLASSES[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
