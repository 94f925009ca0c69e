"""Agreement measures on hand-computed cases."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from winnow.agreement import agreement, disagreements, krippendorff_alpha_nominal


def record(sid: str, annotator: str, label: str, *, kind: str | None = None, stance: str | None = None,
           at: str = "2026-01-01T10:00:00+00:00") -> dict:
    if label == "content" and stance is None:
        stance = "neutral"
    if label == "boilerplate" and kind is None:
        kind = "other"
    return {"sentence_id": f"art:{sid}", "article_id": "art", "annotator": annotator, "created_at": at,
            "label": label, "kind": kind, "stance": stance, "source": "manual"}


def test_alpha_two_coders_hand_computed() -> None:
    # o_aa = 2, o_ab = o_ba = 1, o_bb = 4; n_a = 3, n_b = 5, n = 8 -> alpha = 1 - 7 * 2 / (2 * 3 * 5) = 16/30
    units = [["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]
    assert krippendorff_alpha_nominal(units) == pytest.approx(16 / 30)


def test_alpha_three_coders_with_missing_values_hand_computed() -> None:
    # (a,a,a): o_aa += 3; (a,b): o_ab, o_ba += 1; (b,b,a): o_bb += 1, o_ab, o_ba += 1; (b) unpairable
    # o_aa 3, o_ab 2, o_ba 2, o_bb 1; n_a 5, n_b 3, n 8 -> alpha = 1 - 7 * 4 / (2 * 15) = 1/15
    units = [["a", "a", "a"], ["a", "b", None], ["b", "b", "a"], ["b", None, None]]
    assert krippendorff_alpha_nominal(units) == pytest.approx(1 / 15)


def test_alpha_perfect_and_undefined() -> None:
    assert krippendorff_alpha_nominal([["x", "x"], ["y", "y", "y"]]) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([["x", "x"], ["x", "x"]]) is None  # one category: undefined
    assert krippendorff_alpha_nominal([["x"], []]) is None  # nothing pairable


def two_annotator_records() -> list[dict]:
    # label pairs (ann1, ann2): (c,c) (c,b) (b,b) (b,b): po = 3/4, pe = 2/4*1/4 + 2/4*3/4 = 1/2 -> kappa 1/2
    return [
        record("s1", "ann1", "content", stance="favor"), record("s1", "ann2", "content", stance="against"),
        record("s2", "ann1", "content"), record("s2", "ann2", "boilerplate", kind="promo"),
        record("s3", "ann1", "boilerplate", kind="promo"), record("s3", "ann2", "boilerplate", kind="related"),
        record("s4", "ann1", "boilerplate"), record("s4", "ann2", "boilerplate"),
        record("s5", "ann1", "content"),  # one annotator only: not counted
    ]


def test_two_annotators_label_kappa_and_alpha() -> None:
    result = agreement(two_annotator_records())["label"]
    assert result["n_sentences"] == 4 and result["n_annotators"] == 2 and result["n_values"] == 8
    assert result["cohen_kappa"] == pytest.approx(0.5)
    assert result["krippendorff_alpha"] == pytest.approx(16 / 30)
    assert result["n_disagreements"] == 1
    (pair,) = result["pairwise"]
    assert pair == {"annotators": ["ann1", "ann2"], "n": 4, "kappa": pytest.approx(0.5),
                    "observed_agreement": 0.75}


def test_stance_only_on_sentences_both_called_content() -> None:
    result = agreement(two_annotator_records())["stance"]
    assert result["n_sentences"] == 1  # only s1
    assert result["n_disagreements"] == 1
    assert result["cohen_kappa"] == pytest.approx(cohen_kappa_score(["favor"], ["against"]))
    assert result["krippendorff_alpha"] == pytest.approx(0.0)  # n = 2: 1 - (2 - 1) * 2 / (2 * 1 * 1)


def test_latest_record_per_annotator_supersedes() -> None:
    records = two_annotator_records() + [
        record("s2", "ann2", "content", at="2026-02-01T10:00:00+00:00"),  # correction: now agrees
    ]
    result = agreement(records)["label"]
    assert result["n_disagreements"] == 0
    assert result["cohen_kappa"] == pytest.approx(1.0)


def test_three_annotators_pairwise_and_alpha() -> None:
    records = [
        record("s1", "a", "content"), record("s1", "b", "content"), record("s1", "c", "content"),
        record("s2", "a", "content"), record("s2", "b", "boilerplate"),
        record("s3", "a", "boilerplate"), record("s3", "b", "boilerplate"), record("s3", "c", "content"),
        record("s4", "c", "boilerplate"),
    ]
    result = agreement(records)["label"]
    assert result["cohen_kappa"] is None  # more than two annotators: alpha is the summary
    assert result["krippendorff_alpha"] == pytest.approx(1 / 15)  # same coincidences as the unit test above
    assert [p["annotators"] for p in result["pairwise"]] == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert [p["n"] for p in result["pairwise"]] == [3, 2, 2]


def test_no_overlap_gives_empty_counts() -> None:
    result = agreement([record("s1", "a", "content"), record("s2", "b", "content")])
    assert result["label"]["n_sentences"] == 0
    assert result["label"]["krippendorff_alpha"] is None and result["label"]["pairwise"] == []


def test_disagreement_table() -> None:
    sentences = [{"sentence_id": f"art:s{i}", "index": i, "text": f"Sentence {i}."} for i in range(1, 6)]
    rows = disagreements(two_annotator_records(), sentences)
    assert [(r["sentence_id"], r["disagree_on"]) for r in rows] == [
        ("art:s1", ["stance"]), ("art:s2", ["label"]), ("art:s3", ["kind"])]
    assert rows[1]["text"] == "Sentence 2."
    assert all(r["adjudicated"] is None for r in rows)
    assert rows[1]["annotations"] == {
        "ann1": {"label": "content", "kind": None, "stance": "neutral"},
        "ann2": {"label": "boilerplate", "kind": "promo", "stance": None},
    }
    assert disagreements(two_annotator_records(), [])[0]["text"] is None


def test_adjudicator_is_not_an_annotator() -> None:
    records = two_annotator_records() + [record("s2", "adjudicator", "boilerplate", kind="promo")]
    assert agreement(records) == agreement(two_annotator_records())
    rows = disagreements(records, [])
    assert rows[1]["sentence_id"] == "art:s2"
    assert set(rows[1]["annotations"]) == {"ann1", "ann2"}
    assert rows[1]["adjudicated"] == {"label": "boilerplate", "kind": "promo", "stance": None}
    assert rows[0]["adjudicated"] is None and rows[2]["adjudicated"] is None
