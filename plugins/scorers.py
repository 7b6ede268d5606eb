"""The built-in offline scorer, registered like any plugin's."""

from __future__ import annotations

from typing import Any

from factory import hookimpl
from factory.registry import Scorer


def _heuristic_score(example: Any, rubric: Any) -> dict[str, float]:
    from factory.score.scoring import HeuristicScorer, view_record

    return HeuristicScorer().score(view_record(example.to_dict()), rubric)


@hookimpl
def register_scorers(register):
    register(Scorer("heuristic", _heuristic_score, "offline rubric scores from what the record shows"))
