"""The leaderboard's own AST checker, loaded from its vendored copy in tests/fixtures/bfcl_official/.

bfcl-eval's package imports every model handler and their SDKs (about 6 GB with its CUDA torch) when
its checker module loads; the checker itself needs only its constants and type converters, so those
files are copied unchanged (tests/fixtures/SOURCES.md) and ``constants/model_config.py``, the one
module that pulls the handlers in, is replaced by the two settings the checker reads.
"""

from __future__ import annotations

import sys

from tests.helpers.cli import FIXTURES

OFFICIAL = FIXTURES / "bfcl_official"
LOCAL_MODEL = "local-model"  # underscore_to_dot False, as the leaderboard configures local models
API_MODEL = "api-model-FC"  # underscore_to_dot True, as for OpenAI / Anthropic / Mistral FC models


def official_checker():
    if str(OFFICIAL) not in sys.path:
        sys.path.insert(0, str(OFFICIAL))
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    return ast_checker, Language.PYTHON


def official_verdict(functions: list[dict], calls: list[dict], answers: list[dict], category: str,
                     model: str = LOCAL_MODEL) -> bool:
    """``ast_checker`` called as bfcl-eval's eval runner calls it, on calls ``[{"name", "arguments"}]``."""
    ast_checker, python = official_checker()
    output = [{c["name"]: c["arguments"]} for c in calls]
    try:
        return bool(ast_checker(functions, output, answers, python, category, model)["valid"])
    except (KeyError, TypeError, AttributeError, IndexError):
        return False  # the official checker crashes on some malformed candidates: scored as invalid
