from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import factory_cli


@pytest.fixture(scope="session")
def generated_dataset(tmp_path_factory) -> Path:
    """A real main-job dataset, small: seven categories generated (8 records each), merged, exported for DPO and reported. Tests
    copy it (``dataset``) before changing anything."""
    data = tmp_path_factory.mktemp("viewdata") / "data"
    factory_cli("generate", "tool_core", "tool_neg", "style_core", "guardrail", "security", "eval", "agentic",
                "--data", data, "--count", "8", check=True)
    factory_cli("merge", "--data", data, check=True)
    factory_cli("export", "--data", data, "--format", "dpo", check=True)
    factory_cli("report", "--data", data, "--no-tokens", check=True)
    return data


@pytest.fixture
def dataset(generated_dataset: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(generated_dataset, copy)
    return copy
