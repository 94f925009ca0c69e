"""The --threshold sweep (winnow.threshold_sweep): texts as `winnow clean --threshold T` writes them, and their
shingle scores per group."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from winnow.clean import clean_text, predict_texts
from winnow.metrics import page_shingle_scores, shingle_f1, shingle_tokens
from winnow.model import load_model
from winnow.textio import read_article
from winnow.threshold_sweep import SWEEP_THRESHOLDS, kept_texts, plot_sweep, sweep_markdown, sweep_summary

REPO = Path(__file__).resolve().parents[1]


def test_each_swept_text_is_what_winnow_clean_writes_at_that_threshold(seed_model) -> None:
    model = load_model(seed_model[0] / "model.skops")
    for path in sorted((REPO / "data" / "raw").glob("*.txt")):
        text = read_article(path).text
        _, _, records, p = next(predict_texts([(path.stem, text)], model, ids=False))
        assert kept_texts(text, records, p) == [clean_text(text, model, threshold=t) for t in SWEEP_THRESHOLDS]
        # this model is sure of its own training pages: thresholds between its probabilities move the text
        thresholds = tuple(np.unique(p)[[1, len(np.unique(p)) // 2, -1]])
        swept = kept_texts(text, records, p, thresholds)
        assert swept == [clean_text(text, model, threshold=t) for t in thresholds]
        # a lower threshold keeps every word a higher one keeps, and more
        words = [Counter(shingle_tokens(kept)) for kept in swept]
        assert all(not (higher - lower) for lower, higher in zip(words, words[1:], strict=False))
        assert sum(words[0].values()) > sum(words[-1].values())


GOLD = "the council approved the harbour budget on tuesday after a long debate about the piers"
CRUFT = "subscribe to our newsletter for more stories every morning in your inbox today"
PAGES = [{"gold_text": GOLD}, {"gold_text": GOLD}, {"gold_text": GOLD}]
# per page: its text at 0.3, 0.5 and 0.7
SWEPT = [[GOLD + "\n" + CRUFT, GOLD, GOLD], [GOLD, GOLD, ""], [GOLD + "\n" + CRUFT, GOLD + "\n" + CRUFT, GOLD]]


def test_sweep_scores_each_threshold_as_the_shingle_metric_does() -> None:
    groups = {"all": np.array([True, True, True]), "first": np.array([True, False, False])}
    sweep = sweep_summary(PAGES, SWEPT, groups, (0.3, 0.5, 0.7))
    assert set(sweep) == {"all", "first"} and sweep["all"]["pages"] == 3
    for k in range(3):
        expected = shingle_f1([page_shingle_scores(texts[k], page["gold_text"])
                               for texts, page in zip(SWEPT, PAGES, strict=True)])
        assert sweep["all"]["precision"][k] == pytest.approx(expected["precision"])
        assert sweep["all"]["recall"][k] == pytest.approx(expected["recall"])
        assert sweep["all"]["f1"][k] == pytest.approx(expected["f1"])
    assert sweep["all"]["pages_without_output"] == [0, 0, 1]
    precision, recall = sweep["all"]["precision"], sweep["all"]["recall"]
    assert precision[0] < precision[1] < precision[2] == 1.0  # the cruft costs precision...
    assert recall[2] < recall[1] == 1.0  # ...the empty page recall
    assert sweep["first"]["f1"][1:] == [1.0, 1.0]

    only_two = sweep_summary(PAGES, SWEPT, groups, (0.3, 0.5, 0.7), reference=np.array([False, True, True]))
    assert only_two["all"]["pages"] == 2 and "first" not in only_two  # a group with no scored page is left out
    with pytest.raises(ValueError, match="one text per threshold"):
        sweep_summary(PAGES, [texts[:2] for texts in SWEPT], groups, (0.3, 0.5, 0.7))


def test_report_marks_the_default_and_the_best_and_plots(tmp_path: Path) -> None:
    sweep = sweep_summary(PAGES, SWEPT, {"democorp": np.array([True, True, True])}, (0.3, 0.5, 0.7))
    lines = sweep_markdown(sweep, 0.5, {"democorp": {"trafilatura": 0.9}})
    table = "\n".join(lines)
    assert "| group | pages | 0.3 | 0.5 (default) | 0.7 | trafilatura † |" in table
    best = max(sweep["democorp"]["f1"])
    assert f"**{best:.3f}**" in table and "| 0.900 |" in table
    assert sweep_markdown({}, 0.5) == []
    plot_sweep(sweep, 0.5, tmp_path / "a.png", {"democorp": {"trafilatura": {"precision": 0.9, "recall": 0.8}}})
    plot_sweep(sweep, 0.5, tmp_path / "b.png", {"democorp": {"trafilatura": {"precision": 0.9, "recall": 0.8}}})
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
