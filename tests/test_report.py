"""Report building on small synthetic prediction tables (all texts invented for these tests)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from winnow.metrics import sentence_prf
from winnow.report import (
    as_records,
    curve_points,
    error_analysis,
    gold_texts_from_predictions,
    md_table,
    metrics_dict,
    page_rows_from_predictions,
    render_report_md,
    sentence_table,
    write_metrics_json,
    write_plots,
)

# (corpus, site, page, [(text, y_true, kind, p_content)])
PAGES = [
    ("alpha", "one.example", "p1", [
        ("Home News Sport", 0, "navigation", 0.10),
        ("Harbour budget approved by council", 0, "headline", 0.70),
        ("The council approved the harbour budget on Tuesday.", 1, None, 0.95),
        ("Work on the piers starts in March.", 1, None, 0.80),
        ("Subscribe to our newsletter", 0, "promo", 0.65),
    ]),
    ("alpha", "two.example", "p2", [
        ("Menu", 0, "navigation", 0.05),
        ("Rain is expected across the valley this weekend.", 1, None, 0.40),
        ("Farmers welcomed the forecast after a dry summer.", 1, None, 0.90),
        ("Share this story", 0, "promo", 0.20),
    ]),
    ("beta", "three.example", "p3", [
        ("The museum reopens on Saturday with a new wing.", 1, None, 0.85),
        ("Tickets are free for children under twelve.", 1, None, 0.30),
        ("Related: Five museums to visit", 0, "related", 0.55),
    ]),
]


def prediction_rows() -> list[dict]:
    rows = []
    for corpus, site, page_id, sentences in PAGES:
        for index, (text, y_true, kind, p) in enumerate(sentences):
            base = {"corpus": corpus, "site": site, "page_id": page_id, "sentence_id": f"{page_id}:{index}",
                    "index": index, "text": text, "y_true": y_true, "kind": kind}
            rows.append({**base, "system": "model", "p_content": p, "y_pred": int(p >= 0.5)})
            rows.append({**base, "system": "keep_everything", "p_content": None, "y_pred": 1})
    return rows


def page_table(rows: list[dict]) -> list[dict]:
    gold = gold_texts_from_predictions(rows)
    pages = page_rows_from_predictions(rows, gold)
    pages.append({"system": "trafilatura", "corpus": "beta", "page_id": "p3", "gold_text": gold[("beta", "p3")],
                  "pred_text": "The museum reopens on Saturday with a new wing."})
    return pages


def build(n_boot: int = 200) -> dict:
    rows = prediction_rows()
    return metrics_dict(rows, page_table(rows), systems={"trafilatura": {"dom": True}},
                        learning_curve=[(1, 0.5), (2, 0.7)], n_boot=n_boot, seed=0)


def test_gold_and_predicted_page_texts() -> None:
    rows = prediction_rows()
    gold = gold_texts_from_predictions(rows)
    assert gold[("beta", "p3")] == ("The museum reopens on Saturday with a new wing.\n"
                                    "Tickets are free for children under twelve.")
    pages = {(p["system"], p["page_id"]): p for p in page_rows_from_predictions(rows, gold)}
    assert pages[("model", "p3")]["pred_text"] == ("The museum reopens on Saturday with a new wing.\n"
                                                   "Related: Five museums to visit")
    assert pages[("model", "p3")]["gold_text"] == gold[("beta", "p3")]
    assert pages[("keep_everything", "p2")]["pred_text"].count("\n") == 3


def test_sentence_metrics_per_system_and_corpus() -> None:
    metrics = build()
    model_alpha = metrics["sentence"]["model"]["alpha"]
    # alpha: tp 3 (0.95, 0.80, 0.90), fp 2 (headline 0.70, promo 0.65), fn 1 (0.40)
    assert (model_alpha["tp"], model_alpha["fp"], model_alpha["fn"], model_alpha["tn"]) == (3, 2, 1, 3)
    assert model_alpha["precision"] == pytest.approx(0.6)
    assert model_alpha["recall"] == pytest.approx(0.75)
    assert model_alpha["n_pages"] == 2
    keep_beta = metrics["sentence"]["keep_everything"]["beta"]
    assert keep_beta["recall"] == 1.0 and keep_beta["precision"] == pytest.approx(2 / 3, abs=1e-6)
    assert set(model_alpha["ci"]) == {"precision", "recall", "f1", "page_mean_f1"}
    assert model_alpha["ci"]["f1"]["low"] <= model_alpha["f1"] <= model_alpha["ci"]["f1"]["high"]
    # alpha's two pages are on two sites: the page mean is the mean of the sites' F1
    by_site = metrics["sentence_by_site"]["model"]["alpha"]
    assert model_alpha["page_mean_f1"] == pytest.approx(np.mean([r["f1"] for r in by_site.values()]), abs=1e-6)
    assert "| F1, mean over pages [95% CI] |" in sentence_table(metrics)


def test_breakdowns_shingles_and_flags() -> None:
    metrics = build()
    assert metrics["kind_leakage"]["model"]["alpha"]["promo"] == {"n": 2, "leaked": 1, "leak_rate": 0.5}
    assert metrics["kind_leakage"]["keep_everything"]["alpha"]["navigation"]["leak_rate"] == 1.0
    assert set(metrics["sentence_by_site"]["model"]["alpha"]) == {"one.example", "two.example"}
    site = metrics["sentence_by_site"]["model"]["alpha"]["two.example"]
    expected = sentence_prf([0, 1, 1, 0], [0, 0, 1, 0])
    assert site == {**{k: pytest.approx(v, abs=1e-6) for k, v in expected.items()}, "n_pages": 1}
    # keep_everything on p3: prediction = gold + the related line -> recall 1, precision < 1
    shingle = metrics["page_shingle"]["keep_everything"]["beta"]
    assert shingle["recall"] == 1.0 and 0 < shingle["precision"] < 1
    assert metrics["page_shingle"]["trafilatura"]["beta"]["precision"] == 1.0
    assert metrics["systems"]["trafilatura"] == {"dom": True, "has_scores": False, "sentence_level": False}
    assert metrics["systems"]["model"] == {"dom": False, "has_scores": True, "sentence_level": True}
    assert metrics["learning_curve"] == [{"n_train": 1, "f1": 0.5}, {"n_train": 2, "f1": 0.7}]


def test_metrics_json_is_stable(tmp_path) -> None:
    write_metrics_json(build(), tmp_path / "a.json")
    write_metrics_json(build(), tmp_path / "b.json")
    first = (tmp_path / "a.json").read_bytes()
    assert first == (tmp_path / "b.json").read_bytes()
    loaded = json.loads(first)
    assert list(loaded) == sorted(loaded)
    assert list(loaded["sentence"]["model"]["alpha"]) == sorted(loaded["sentence"]["model"]["alpha"])

    def floats(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from floats(v)
        elif isinstance(value, list):
            for v in value:
                yield from floats(v)
        elif isinstance(value, float):
            yield value

    assert all(round(f, 6) == f for f in floats(loaded))


def test_inputs_as_arrow_and_missing_columns() -> None:
    rows = prediction_rows()
    table = pa.Table.from_pylist(rows)
    assert as_records(table) == rows
    assert metrics_dict(table, n_boot=20)["sentence"] == metrics_dict(rows, n_boot=20)["sentence"]
    with pytest.raises(ValueError, match="lacks column"):
        metrics_dict([{k: v for k, v in rows[0].items() if k != "y_pred"}])
    with pytest.raises(ValueError, match="needs n_train and f1"):
        curve_points([{"n_train": 3}])


def test_error_analysis_orders_by_confidence_with_context() -> None:
    result = error_analysis(prediction_rows(), "model", k=2)
    fps, fns = result["false_positives"], result["false_negatives"]
    assert [e["text"] for e in fps] == ["Harbour budget approved by council", "Subscribe to our newsletter"]
    assert fps[0]["previous"] == "Home News Sport"
    assert fps[0]["next"] == "The council approved the harbour budget on Tuesday."
    assert fps[1]["next"] is None  # last sentence of its page
    assert [e["p_content"] for e in fns] == [0.30, 0.40]
    assert fns[1]["previous"] == "Menu"
    assert error_analysis(prediction_rows(), "model", k=1)["false_positives"] == fps[:1]
    unscored = error_analysis(prediction_rows(), "keep_everything")
    assert len(unscored["false_positives"]) == 6 and unscored["false_negatives"] == []


def test_report_markdown_has_the_tables() -> None:
    metrics = build(n_boot=50)
    errors = error_analysis(prediction_rows(), "model", k=3)
    text = render_report_md(metrics, main_system="model", errors=errors,
                            timing={"model": {"n_pages": 3, "seconds": 0.5, "pages_per_s": 6.0}},
                            plots=["pr_curve.png"])
    for heading in ("## Sentence level", "## Page level (shingle F1)", "## Which boilerplate leaks through",
                    "## Sites (model)", "## Speed", "## Most confident false positives (model)", "## Plots"):
        assert heading in text
    assert "trafilatura †" in text
    assert "| alpha | model | 0.600 [" in text
    assert "| promo | 2 |" in text
    assert "**Harbour budget approved by council**" in text
    assert "## Annotation agreement" not in text  # no agreement given


def test_md_table_escapes_and_dashes() -> None:
    assert md_table(["a", "b"], [["x|y", None], [0.5, "two\nlines"]]).splitlines() == [
        "| a | b |", "|---|---|", "| x\\|y | – |", "| 0.500 | two lines |"]


def test_plots_are_written_and_reproducible(tmp_path) -> None:
    rows = prediction_rows()
    metrics = build(n_boot=20)
    curve = [{"n_train": n, "f1": f, "low": f - 0.1, "high": f + 0.1, "series": "alpha"}
             for n, f in [(1, 0.4), (2, 0.6), (3, 0.7)]]
    names = write_plots(rows, metrics, tmp_path / "one", "model", learning_curve=curve)
    write_plots(rows, metrics, tmp_path / "two", "model", learning_curve=curve)
    assert names == ["pr_curve.png", "confusion_matrix.png", "site_f1.png", "calibration.png",
                     "learning_curve.png"]
    for name in names:
        data = (tmp_path / "one" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
        assert b"Software" not in data and b"matplotlib" not in data.lower()
        assert data == (tmp_path / "two" / name).read_bytes()


def test_report_lists_only_disagreements_waiting_for_adjudication() -> None:
    votes = {"a1": {"label": "content", "kind": None, "stance": "favor"},
             "a2": {"label": "content", "kind": None, "stance": "neutral"}}
    rows = [{"sentence_id": "x:1", "disagree_on": ["stance"], "text": "One.", "annotations": votes,
             "adjudicated": None},
            {"sentence_id": "x:2", "disagree_on": ["stance"], "text": "Two.", "annotations": votes,
             "adjudicated": {"label": "content", "kind": None, "stance": "favor"}}]
    text = render_report_md(build(n_boot=10), disagreements=rows)
    assert "1 sentence(s) wait for adjudication, 1 already adjudicated" in text
    assert "| x:1 | stance | One. | a1: content/favor; a2: content/neutral |" in text
    assert "x:2" not in text
