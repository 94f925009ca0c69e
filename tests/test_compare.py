"""Comparing two sets of models on the pages none of them saw (winnow.compare), on an invented corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import FAST_CONFIG, REPO
from winnow.clean import clean_text
from winnow.cli import app
from winnow.compare import compare_models, compare_runs, load_scores, save_scores, trained_by
from winnow.metrics import page_shingle_scores
from winnow.model import load_model
from winnow.unseen import unseen_pages

REPORT = ("The harbour board voted on Monday to rebuild the north pier, which storms damaged last winter. "
          "Fishing boats will use the south pier until the work ends in the autumn, the board said.")
PROMO = "Sign up for our newsletter | Follow us\n"
# page id -> (site, page type, dump, gold)
PAGES = {
    "a1": ("alpha.example", "article", PROMO + REPORT + "\n" + PROMO, REPORT),
    "b1": ("beta.example", "article", PROMO + REPORT, REPORT),
    "c1": ("gamma.example", "forum", REPORT + "\nReply\n", REPORT),
    "d1": ("delta.example", "article", "Home | World | Sport\n" + REPORT, REPORT),
}


def _model_dir(path: Path, model: Path, trained: dict[str, str]) -> Path:
    """A copy of ``model`` whose training-pages table says it trained on ``trained`` (page id -> site)."""
    path.mkdir()
    shutil.copy(model, path / "model.skops")
    pd.DataFrame([{"corpus": "democorp", "site": site, "article_id": f"democorp/{page}"}
                  for page, site in trained.items()], columns=["corpus", "site", "article_id"],
                 dtype=str).to_parquet(path / "training-pages.parquet")
    return path / "model.skops"


@pytest.fixture
def silver(tmp_path: Path) -> Path:
    directory = tmp_path / "silver"
    directory.mkdir()
    pd.DataFrame([{"page_id": page, "site": site, "page_type": kind, "text": text, "gold_text": gold,
                   "gold_headline": None} for page, (site, kind, text, gold) in PAGES.items()]
                 ).to_parquet(directory / "democorp-pages.parquet")
    return directory


@pytest.fixture(scope="module")
def other_model(seed_processed, tmp_path_factory) -> Path:
    """A second real model, trained on the same seed gold with one pass instead of two."""
    from winnow.train import train

    work = tmp_path_factory.mktemp("other-model")
    config = work / "config.toml"
    config.write_text(FAST_CONFIG.replace("passes = 2", "passes = 1"), encoding="utf-8")
    train(config, seed_processed, REPO / "annotations", work / "model.skops")
    return work / "model.skops"


def test_pages_any_model_trained_on_or_on_whose_site_are_left_out(seed_model, silver: Path, tmp_path: Path) -> None:
    work, _ = seed_model
    a = _model_dir(tmp_path / "a", work / "model.skops", {"a1": "alpha.example"})
    b = _model_dir(tmp_path / "b", work / "model.skops", {"x9": "beta.example"})  # another page of beta's site
    pages, counts = unseen_pages(silver, ["democorp"], *trained_by([a, b]))
    assert [p["page_id"] for p in pages] == ["democorp/c1", "democorp/d1"]
    assert counts["democorp"] == {"pages": 4, "in_training": 1, "site_in_training": 1, "no_site": 0, "empty": 0,
                                  "kept": 2}


def test_a_model_against_itself_differs_by_exactly_zero(seed_model, silver: Path, tmp_path: Path) -> None:
    work, _ = seed_model
    a = _model_dir(tmp_path / "a", work / "model.skops", {})
    b = _model_dir(tmp_path / "b", work / "model.skops", {})
    wrapped: list[Path] = []
    result = compare_models([a], [b], silver, ["democorp"], n_boot=50,
                            progress=lambda models, _: wrapped.extend(models) or models)
    assert wrapped == [a, b]  # the progress bar wraps the loop over the models
    model = load_model(a)
    # the F1 is that of `winnow clean`'s output, page by page (macro P/R, then F1)
    scores = [page_shingle_scores(clean_text(text, model), gold) for _, (_, _, text, gold) in PAGES.items()]
    precision = np.nanmean([np.nan if s["precision"] is None else s["precision"] for s in scores])
    recall = np.mean([s["recall"] for s in scores])
    row = result["groups"]["democorp"]
    assert row["baseline"] == row["candidate"] == pytest.approx(2 * precision * recall / (precision + recall))
    assert row["difference"] == row["low"] == row["high"] == 0.0
    assert row["pages"] == 4 and result["groups"]["democorp (forum)"]["pages"] == 1


def test_the_interval_is_paired_and_sides_are_means_over_runs() -> None:
    rng = np.random.default_rng(0)
    pages = [{"corpus": "democorp", "page_type": None} for _ in range(40)]
    base = [np.repeat(rng.uniform(0.2, 0.8, (40, 1)), 2, axis=1) for _ in range(2)]  # precision = recall
    shifted = [run + 0.1 for run in base]  # every page of every run 0.1 better
    row = compare_runs(pages, base, shifted, n_boot=200)["democorp"]
    assert row["baseline"] == pytest.approx(np.mean([run[:, 0].mean() for run in base]))
    assert row["difference"] == pytest.approx(0.1)
    # resampling the same pages for both sides leaves no spread; an unpaired interval would be wide
    assert row["low"] == pytest.approx(0.1) and row["high"] == pytest.approx(0.1)
    noisy = compare_runs(pages, base, [base[1] + 0.1, base[0] + 0.1], n_boot=200)["democorp"]
    assert noisy["difference"] == pytest.approx(0.1)  # the mean over runs does not care how runs pair up


def test_cli_writes_the_table_and_numbers(seed_model, other_model: Path, silver: Path, tmp_path: Path) -> None:
    work, _ = seed_model
    a = _model_dir(tmp_path / "a", work / "model.skops", {"a1": "alpha.example"})
    b = _model_dir(tmp_path / "b", other_model, {})
    config = tmp_path / "config.toml"
    config.write_text('[data]\ncorpora = ["democorp"]\n', encoding="utf-8")
    out = tmp_path / "out" / "compare.md"
    out.parent.mkdir()
    args = ["compare-models", "--baseline", str(a), "--candidate", str(b), "--config", str(config),
            "--silver-dir", str(silver), "--n-boot", "50", "--output", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    numbers = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert numbers["pages"]["democorp"]["kept"] == 3
    row = numbers["groups"]["democorp"]
    assert row["low"] <= row["difference"] <= row["high"]
    assert f"| democorp | 3 | {row['baseline']:.4f} | {row['candidate']:.4f} |" in out.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") in result.output
    plot = out.with_suffix(".png").read_bytes()
    assert plot.startswith(b"\x89PNG")
    assert CliRunner().invoke(app, args).output == result.output  # reproducible
    assert out.with_suffix(".png").read_bytes() == plot

    (tmp_path / "b" / "training-pages.parquet").unlink()
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 1 and "training-pages.parquet not found" in missing.output


def test_saved_baseline_scores_compare_exactly_as_the_models_do(seed_model, other_model: Path, silver: Path,
                                                                 tmp_path: Path) -> None:
    work, _ = seed_model
    a = _model_dir(tmp_path / "a", work / "model.skops", {"a1": "alpha.example"})
    b = _model_dir(tmp_path / "b", other_model, {"x9": "beta.example"})
    saved = tmp_path / "base.json"
    assert save_scores([a], silver, ["democorp"], saved) == 3  # every page but a1, which a trained on
    direct = compare_models([a], [b], silver, ["democorp"], n_boot=50)
    from_file = compare_models([], [b], silver, ["democorp"], n_boot=50, baseline_scores=saved)
    # b's training site and a's training page are both left out, whichever side the file stands for
    assert from_file == direct and direct["groups"]["democorp"]["pages"] == 2
    assert json.loads(saved.read_text(encoding="utf-8"))["trained_ids"] == ["democorp/a1"]


def test_saved_scores_of_other_pages_are_refused(seed_model, silver: Path, tmp_path: Path) -> None:
    work, _ = seed_model
    a = _model_dir(tmp_path / "a", work / "model.skops", {})
    saved = tmp_path / "base.json"
    save_scores([a], silver, ["democorp"], saved)
    table = pd.read_parquet(silver / "democorp-pages.parquet")
    table.loc[table["page_id"] == "c1", "text"] = REPORT + "\nReply\nReply\n"
    table.to_parquet(silver / "democorp-pages.parquet")
    with pytest.raises(ValueError, match="democorp/c1 is not the page .* save it again"):
        compare_models([], [a], silver, ["democorp"], n_boot=10, baseline_scores=saved)
    broken = json.loads(saved.read_text(encoding="utf-8"))
    broken["pages"]["democorp/d1"]["runs"] = [[0.5]]
    saved.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match="scores of democorp/d1 are malformed"):
        load_scores(saved)
    broken["pages"]["democorp/d1"]["runs"] = [["0.5", 1.0]]
    saved.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match="scores of democorp/d1 are malformed"):
        load_scores(saved)
    for foreign in ("{}", '{"format": 1, "models": [], "trained_ids": [], "trained_sites": [], "pages": []}',
                    "[1, 2]", "not json"):
        saved.write_text(foreign, encoding="utf-8")
        with pytest.raises(ValueError, match="not a scores file"):
            load_scores(saved)
    with pytest.raises(ValueError, match="not found"):
        load_scores(tmp_path / "missing.json")


def test_cli_saves_scores_then_compares_against_them(seed_model, other_model: Path, silver: Path,
                                                     tmp_path: Path) -> None:
    work, _ = seed_model
    a = _model_dir(tmp_path / "a", work / "model.skops", {"a1": "alpha.example"})
    b = _model_dir(tmp_path / "b", other_model, {})
    config = tmp_path / "config.toml"
    config.write_text('[data]\ncorpora = ["democorp"]\n', encoding="utf-8")
    common = ["compare-models", "--config", str(config), "--silver-dir", str(silver), "--n-boot", "50"]
    saved = tmp_path / "base.json"
    only_save = CliRunner().invoke(app, [*common, "--baseline", str(a), "--save-scores", str(saved)])
    assert only_save.exit_code == 0, only_save.output
    assert "on 3 unseen pages" in only_save.output and saved.is_file()
    direct = CliRunner().invoke(app, [*common, "--baseline", str(a), "--candidate", str(b)])
    from_file = CliRunner().invoke(app, [*common, "--baseline-scores", str(saved), "--candidate", str(b)])
    assert from_file.exit_code == 0 and from_file.output == direct.output
    again = tmp_path / "again.json"
    save_and_compare = CliRunner().invoke(app, [*common, "--baseline", str(a), "--save-scores", str(again),
                                                "--candidate", str(b)])
    assert save_and_compare.exit_code == 0 and direct.output in save_and_compare.output
    assert again.read_bytes() == saved.read_bytes()  # the same scores, byte for byte
    both = CliRunner().invoke(app, [*common, "--baseline", str(a), "--baseline-scores", str(saved),
                                    "--candidate", str(b)])
    assert both.exit_code == 1 and "not both" in both.output
    neither = CliRunner().invoke(app, [*common, "--candidate", str(b)])
    assert neither.exit_code == 1 and "--baseline models or --baseline-scores" in neither.output
