"""Shared fixtures. Hypothesis profiles: "ci" (default, bounded) and "thorough" (HYPOTHESIS_PROFILE=thorough)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
TEST_RULESETS = Path(__file__).resolve().parent / "rulesets"


@pytest.fixture(scope="session")
def mini_model():
    from endgame_game.engine import CompiledModel

    return CompiledModel.load(TEST_RULESETS / "mini.toml")


@pytest.fixture
def mini_path() -> Path:
    return TEST_RULESETS / "mini.toml"
