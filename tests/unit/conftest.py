"""Fixtures of the unit tier."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.dialplans import WriteYaml, write_plan


@pytest.fixture
def plan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WriteYaml:
    """plan_file(text) writes a dialplan as `plan.yaml` in a fresh working directory and returns its path."""
    monkeypatch.chdir(tmp_path)
    return write_plan
