"""Shared test fixtures: repository paths and the benchmark corpora root (skip when absent)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = REPO / "data" / "raw"
SEED_FILES = sorted(RAW_DIR.glob("*.txt"))


def load_bench(script: str):
    """A script of bench/ (``bench/<script>.py``) imported as the module ``bench_<script>``."""
    spec = importlib.util.spec_from_file_location(f"bench_{script}", REPO / "bench" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module while the class is created
    spec.loader.exec_module(module)
    return module


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


# A small, fast training configuration on the seed gold only (no corpora).
FAST_CONFIG = """
seed = 3
threshold = "auto"
cv_folds = 2
[data]
silver_dir = "does-not-exist"
corpora = []
gold_weight = 1.0
[model]
passes = 2
smoothing = true
ngram_features = 4096
max_iter = 30
inner_folds = 2
"""


@pytest.fixture(scope="session")
def seed_processed(tmp_path_factory) -> Path:
    """`winnow segment` of data/raw into a temporary directory."""
    out = tmp_path_factory.mktemp("processed")
    subprocess.run([sys.executable, "-m", "winnow.cli", "segment", "--raw-dir", str(RAW_DIR), "--out-dir", str(out)],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def seed_model(seed_processed, tmp_path_factory) -> tuple[Path, dict]:
    """A model trained (with CV) on the seed gold with FAST_CONFIG: (its directory, its card)."""
    from winnow.train import train

    work = tmp_path_factory.mktemp("model")
    config = work / "config.toml"
    config.write_text(FAST_CONFIG, encoding="utf-8")
    return work, train(config, seed_processed, REPO / "annotations", work / "model.skops")


@pytest.fixture(scope="session")
def toy_silver(tmp_path_factory) -> Path:
    """Silver tables (`winnow import-corpus`) of the invented corpus "toy" of tests/test_corpus.py, whose
    pages are toy/p1, toy/p2, toy/p3 and toy/p5."""
    from tests.test_corpus import make_pages
    from winnow.corpus import import_corpus, write_corpus

    folder = tmp_path_factory.mktemp("corpora") / "toy"
    folder.mkdir()
    with gzip.open(folder / "pages.jsonl.gz", "wt", encoding="utf-8") as handle:
        for page in make_pages():
            handle.write(json.dumps(page) + "\n")
    out = tmp_path_factory.mktemp("silver")
    write_corpus(import_corpus(folder, workers=1), out)
    return out
