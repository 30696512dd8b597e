"""Shared fixtures: the committed test model and a random-weight model built once."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SEED_ARTICLE = ROOT / "seeds" / "000_5cb57f188978d242.txt"
TEST_MODEL_DIR = TESTS / "data" / "test-model"


@pytest.fixture(scope="session")
def seed_article() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def test_model_dir() -> Path:
    """The small trained model (tests/data/test-model, rebuilt by
    tests/builders/train_test_model.py)."""
    return TEST_MODEL_DIR


@pytest.fixture(scope="session")
def random_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight model, converted through OpusMTConverter like the real one."""
    from tests.builders.random_model import build_random_model

    return build_random_model(tmp_path_factory.mktemp("models") / "random-tiny")
