"""Shared test fixtures. Tests run the real CLI in subprocesses against real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.cli import factory_cli

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def main_job_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The main job's output, produced once per session by `factory run --out DIR`, offline."""
    out = tmp_path_factory.mktemp("main_job") / "data"
    factory_cli("run", "--out", out, check=True)
    return out
