"""The built-in offline scorer, registered like any plugin's (``factory score --scorer heuristic``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from factory import hookimpl
from factory.registry import Scorer


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from factory.score.scoring import HeuristicScorer

    return HeuristicScorer()


def heuristic_score(view: Any, rubric: Any) -> dict[str, float]:
    return _scorer().score(view, rubric)


@hookimpl
def register_scorers(register):
    register(Scorer("heuristic", heuristic_score, "offline rubric scores from what the record shows"))
