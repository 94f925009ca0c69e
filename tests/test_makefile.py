"""The Makefile's data stage uses real file targets: a second `make data` does no work, a changed input rebuilds."""

import os
import shutil
import subprocess
import time

import pytest

from .conftest import REPO

COPIED = ("Makefile", "pyproject.toml", "setup.py", "constraints.txt", "data/raw", "annotations", "src")


@pytest.fixture
def project(tmp_path):
    if not (REPO / ".venv" / ".installed").exists():
        pytest.skip("needs the installed .venv (run through `make test`)")
    for name in COPIED:
        source, target = REPO / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, target)
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    return tmp_path


# The copy shares the repository's .venv: make must never reinstall into it from the copy (the editable install
# would then point at a temporary directory), whatever the copied files' times say.
KEEP_VENV = ("-o", ".venv/.installed")


def make(project, *args, corpora="/nonexistent"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(["make", "--no-print-directory", *KEEP_VENV, *args, f"CORPORA={corpora}"], cwd=project,
                          capture_output=True, text=True, env=env)


def test_help_is_the_default_goal(project):
    out = make(project).stdout
    assert "data" in out and "train" in out and "test" in out


def test_second_make_data_does_no_work_and_a_changed_input_rebuilds(project):
    first = make(project, "data")
    assert first.returncode == 0, first.stderr
    assert (project / "data/processed/sentences.jsonl").is_file()
    assert make(project, "-q", "data").returncode == 0
    second = make(project, "data")
    assert "winnow" not in second.stdout
    time.sleep(1.1)
    (project / "data/raw/articles.jsonl").touch()
    assert make(project, "-q", "data").returncode == 1


def test_the_copies_never_reinstall_into_the_shared_venv(project):
    """An edited pyproject.toml makes `make data` reinstall first; in these copies it must not (see KEEP_VENV)."""
    os.utime(project / "pyproject.toml")  # newer than .venv/.installed
    plan = make(project, "-n", "data")
    assert plan.returncode == 0, plan.stderr
    assert "winnow segment" in plan.stdout and "pip install" not in plan.stdout


def test_checksum_mismatch_fails_make_data(project):
    raw = project / "data/raw/000_b936a8f9ba5b5a2d.txt"
    raw.write_bytes(raw.read_bytes().replace(b"Pentagon", b"Pentagram", 1))
    result = make(project, "data")
    assert result.returncode != 0
    assert "sha256 mismatch" in result.stderr and "000_b936a8f9ba5b5a2d.txt" in result.stderr
    assert not (project / "data/processed/sentences.jsonl").exists()


def test_compare_trains_seeded_runs_of_both_configs_then_compares_them(project):
    corpora = project / "corpora"
    (corpora / "democorp").mkdir(parents=True)
    (corpora / "democorp" / "pages.jsonl.gz").write_bytes(b"")
    (project / "train").mkdir()
    shutil.copy(REPO / "train" / "config.toml", project / "train" / "config.toml")
    (project / "mine.toml").write_text("seed = 0\n", encoding="utf-8")

    missing = make(project, "compare", corpora=corpora)
    assert missing.returncode != 0 and "needs CANDIDATE=" in missing.stderr
    plan = make(project, "-n", "compare", "CANDIDATE=mine.toml", "SEEDS=0 1", corpora=corpora)
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    train = ".venv/bin/winnow train --config"
    for seed in ("0", "1"):  # the comparison needs no cross-validation
        assert f"{train} train/config.toml --seed {seed} --model runs/base-s{seed}/model.skops --no-cv" in lines
        assert f"{train} mine.toml --seed {seed} --model runs/mine-s{seed}/model.skops --no-cv" in lines
    with_cv = make(project, "-n", "compare", "CANDIDATE=mine.toml", "SEEDS=0", "COMPARE_TRAIN_FLAGS=", corpora=corpora)
    assert f"{train} mine.toml --seed 0 --model runs/mine-s0/model.skops " in with_cv.stdout.splitlines()
    assert (".venv/bin/winnow compare-models --baseline runs/base-s0/model.skops --baseline runs/base-s1/model.skops "
            "--candidate runs/mine-s0/model.skops --candidate runs/mine-s1/model.skops --output runs/mine.md") in lines
