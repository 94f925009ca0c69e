"""Shared test fixtures: repository paths and the benchmark corpora root (skip when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = REPO / "data" / "raw"
SEED_FILES = sorted(RAW_DIR.glob("*.txt"))


def corpora_root() -> Path | None:
    root = Path(os.environ.get("WINNOW_CORPORA", REPO.parent / "shared" / "corpora"))
    return root if (root / "README.md").exists() else None


@pytest.fixture
def corpora() -> Path:
    root = corpora_root()
    if root is None:
        pytest.skip("benchmark corpora not found (set WINNOW_CORPORA or put ../shared/corpora beside the repo)")
    return root


@pytest.fixture
def seed_texts() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in SEED_FILES}
