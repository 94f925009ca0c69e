"""Metric functions on hand-computed cases (texts written for these tests)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from winnow.metrics import (
    bootstrap_ci,
    confusion_counts,
    fast_sentence_prf,
    kind_leakage,
    page_mean_f1,
    page_shingle_scores,
    per_group_sentence_prf,
    per_group_shingle_f1,
    prf_from_counts,
    sentence_prf,
    sentence_scores_from_counts,
    shingle_f1,
    shingle_prf_from_scores,
    shingle_score_rows,
    shingle_tokens,
    shingles,
)


def test_tokens_are_word_runs_and_case_is_kept() -> None:
    assert shingle_tokens("Mayor's plan: 3,500 homes!") == ["Mayor", "s", "plan", "3", "500", "homes"]
    assert shingle_tokens(None) == []
    assert shingle_tokens("— … !") == []


def test_shingles_are_counted_4grams() -> None:
    assert shingles("a b c d e") == Counter({("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1})


def test_short_text_is_one_shingle_and_empty_text_none() -> None:
    assert shingles("read more") == Counter({("read", "more"): 1})
    assert shingles("x y z w") == Counter({("x", "y", "z", "w"): 1})
    assert shingles("") == Counter()
    assert shingles("...") == Counter()


def test_repeated_shingles_count_with_multiplicity() -> None:
    # gold shingles: abcd x2, bcda, cdab, dabc (5); prediction: abcd x1 -> tp 1, fp 0, fn 4
    page = page_shingle_scores("a b c d", "a b c d a b c d")
    assert (page["raw_tp"], page["raw_fp"], page["raw_fn"]) == (1, 0, 4)
    assert page["tp"] == pytest.approx(0.2) and page["fn"] == pytest.approx(0.8) and page["fp"] == 0
    assert page["precision"] == 1.0
    assert page["recall"] == pytest.approx(0.2)


def test_repeated_prediction_is_a_false_positive_surplus() -> None:
    # prediction repeats the only gold shingle three times: tp 1, fp 2
    page = page_shingle_scores("a b c d\na b c d\na b c d", "a b c d")
    # predicted tokens are 12 long: abcd x3, bcda x2, cdab x2, dabc x2 -> tp 1, fp 8
    assert (page["raw_tp"], page["raw_fp"], page["raw_fn"]) == (1, 8, 0)
    assert page["precision"] == pytest.approx(1 / 9)
    assert page["recall"] == 1.0


def test_empty_prediction_skips_precision_and_scores_zero_recall() -> None:
    page = page_shingle_scores("", "the council met on monday night")
    assert page["precision"] is None
    assert page["recall"] == 0.0
    assert (page["tp"], page["fp"], page["fn"]) == (0.0, 0.0, 1.0)


def test_empty_gold_skips_recall_and_scores_zero_precision() -> None:
    page = page_shingle_scores("subscribe to our newsletter today", None)
    assert page["recall"] is None
    assert page["precision"] == 0.0


def test_both_empty_is_skipped_for_both() -> None:
    page = page_shingle_scores("", "")
    assert page["precision"] is None and page["recall"] is None


def test_identical_and_disjoint_pages() -> None:
    text = "The bridge reopened after two years of repairs."
    same = page_shingle_scores(text, text)
    assert (same["precision"], same["recall"]) == (1.0, 1.0)
    other = page_shingle_scores("Sign up for alerts now please", text)
    assert (other["precision"], other["recall"]) == (0.0, 0.0)
    assert page_shingle_scores("Bridge", "bridge")["precision"] == 0.0  # case matters, as upstream


def test_shingle_f1_averages_over_eligible_pages() -> None:
    pages = [
        page_shingle_scores("a b c d", "a b c d a b c d"),  # P 1, R 0.2
        page_shingle_scores("", "e f g h"),  # P skipped, R 0
        page_shingle_scores("i j k l", ""),  # P 0, R skipped
    ]
    result = shingle_f1(pages)
    assert result["precision"] == pytest.approx(0.5)
    assert result["recall"] == pytest.approx(0.1)
    assert result["f1"] == pytest.approx(2 * 0.5 * 0.1 / 0.6)
    assert (result["n_pages"], result["n_pages_precision"], result["n_pages_recall"]) == (3, 2, 2)
    assert (result["n_pages_no_prediction"], result["n_pages_no_gold"]) == (1, 1)


def test_shingle_f1_undefined_when_no_page_has_prediction() -> None:
    result = shingle_f1([page_shingle_scores("", "a b c d")])
    assert result["precision"] is None and result["f1"] is None and result["recall"] == 0.0
    assert shingle_f1([])["f1"] is None


def test_shingle_rows_give_the_same_scores() -> None:
    pages = [page_shingle_scores("a b c d", "a b c d a b c d"), page_shingle_scores("", "e f g h"),
             page_shingle_scores("i j k l", "")]
    rows = shingle_score_rows(pages)
    assert np.isnan(rows[1, 0]) and np.isnan(rows[2, 1])
    fast = shingle_prf_from_scores(rows)
    slow = shingle_f1(pages)
    assert fast == {key: pytest.approx(slow[key]) for key in ("precision", "recall", "f1")}


def test_sentence_prf_hand_computed() -> None:
    result = sentence_prf([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (2, 1, 1, 1)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 / 3)
    assert result["support"] == 3


def test_sentence_prf_edge_cases() -> None:
    nothing_kept = sentence_prf([1, 0], [0, 0])
    assert (nothing_kept["precision"], nothing_kept["recall"], nothing_kept["f1"]) == (0.0, 0.0, 0.0)
    assert sentence_prf([], [])["f1"] is None
    with pytest.raises(ValueError, match="y_pred has 1"):
        sentence_prf([1, 0], [1])


def test_counts_match_sklearn() -> None:
    pages = [([1, 1, 0], [1, 0, 0]), ([0, 0, 1, 1], [1, 0, 1, 1]), ([0], [0])]
    counts = np.stack([confusion_counts(t, p) for t, p in pages])
    assert counts[1].tolist() == [2, 1, 0, 1]
    flat_true = [y for t, _ in pages for y in t]
    flat_pred = [y for _, p in pages for y in p]
    reference = sentence_prf(flat_true, flat_pred)
    fast = prf_from_counts(counts)
    assert fast == {key: pytest.approx(reference[key]) for key in ("precision", "recall", "f1")}


@pytest.mark.parametrize("y_true, y_pred", [
    ([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]), ([1, 0], [0, 0]), ([0, 0, 0], [0, 1, 0]), ([1, 1], [1, 1]), ([], []),
])
def test_fast_sentence_prf_equals_sklearn(y_true: list[int], y_pred: list[int]) -> None:
    assert fast_sentence_prf(y_true, y_pred) == pytest.approx(sentence_prf(y_true, y_pred))


def test_page_mean_f1_weighs_pages_alike() -> None:
    # one long page kept whole and right (F1 1), two short pages whose content is all dropped (F1 0)
    long_page = confusion_counts([1] * 900 + [0] * 100, [1] * 900 + [0] * 100)
    short = confusion_counts([1, 1, 0], [0, 0, 0])
    counts = np.stack([long_page, short, short])
    assert prf_from_counts(counts)["f1"] == pytest.approx(2 * 900 / (2 * 900 + 4))  # pooled: the long page rules
    assert page_mean_f1(counts) == pytest.approx(1 / 3)
    per_page = [fast_sentence_prf(t, p)["f1"] for t, p in [([1, 0, 1], [1, 1, 1]), ([1, 1], [1, 0])]]
    two = np.stack([confusion_counts([1, 0, 1], [1, 1, 1]), confusion_counts([1, 1], [1, 0])])
    assert page_mean_f1(two) == pytest.approx(np.mean(per_page))


def test_page_mean_f1_skips_pages_without_content_either_way() -> None:
    nothing = confusion_counts([0, 0], [0, 0])  # no gold content, none kept: no F1
    kept_cruft = confusion_counts([0, 0], [1, 0])  # no gold content, cruft kept: F1 0
    right = confusion_counts([1, 0], [1, 0])
    assert page_mean_f1(np.stack([nothing, right])) == pytest.approx(1.0)
    assert page_mean_f1(np.stack([nothing, kept_cruft, right])) == pytest.approx(0.5)
    assert page_mean_f1(np.stack([nothing])) is None
    assert page_mean_f1(np.zeros((0, 4))) is None
    scores = sentence_scores_from_counts(np.stack([nothing, right]))
    assert scores == {**prf_from_counts(np.stack([nothing, right])), "page_mean_f1": pytest.approx(1.0)}
    ci = bootstrap_ci(np.stack([right, kept_cruft] * 5), sentence_scores_from_counts, n_boot=100, seed=0)
    assert 0.0 <= ci["page_mean_f1"]["low"] < 0.5 < ci["page_mean_f1"]["high"] <= 1.0


def test_bootstrap_is_deterministic_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(7)
    counts = np.stack([confusion_counts(rng.integers(0, 2, 20), rng.integers(0, 2, 20)) for _ in range(30)])
    first = bootstrap_ci(counts, prf_from_counts, n_boot=200, seed=3)
    again = bootstrap_ci(counts, prf_from_counts, n_boot=200, seed=3)
    other = bootstrap_ci(counts, prf_from_counts, n_boot=200, seed=4)
    assert first == again
    assert first != other
    point = prf_from_counts(counts)
    for key in ("precision", "recall", "f1"):
        assert first[key]["low"] < point[key] < first[key]["high"]
        assert first[key]["n_boot"] == 200


def test_bootstrap_of_identical_pages_has_zero_width() -> None:
    counts = np.tile(np.array([[3, 1, 1, 5]]), (10, 1))
    ci = bootstrap_ci(counts, prf_from_counts, n_boot=50, seed=0)
    assert ci["f1"]["low"] == ci["f1"]["high"] == pytest.approx(0.75)
    assert ci["f1"]["std"] == 0.0


def test_bootstrap_over_plain_lists_and_undefined_replicates() -> None:
    pages = [page_shingle_scores("a b c d", "a b c d"), page_shingle_scores("", "e f g h")]
    ci = bootstrap_ci(pages, shingle_f1, n_boot=100, seed=1)
    # resamples made only of the empty-prediction page have no precision: fewer defined replicates
    assert ci["precision"]["n_boot"] < 100 == ci["recall"]["n_boot"]
    assert ci["recall"]["low"] == 0.0 and ci["recall"]["high"] == 1.0
    assert bootstrap_ci([], shingle_f1) == {}
    with pytest.raises(ValueError):
        bootstrap_ci(pages, shingle_f1, n_boot=0)


ROWS = [
    {"site": "a.example", "page_id": "p1", "y_true": 1, "y_pred": 1, "kind": None},
    {"site": "a.example", "page_id": "p1", "y_true": 0, "y_pred": 1, "kind": "promo"},
    {"site": "a.example", "page_id": "p2", "y_true": 0, "y_pred": 0, "kind": "navigation"},
    {"site": "b.example", "page_id": "p3", "y_true": 1, "y_pred": 0, "kind": None},
    {"site": "b.example", "page_id": "p3", "y_true": 0, "y_pred": 1, "kind": "promo"},
    {"site": "b.example", "page_id": "p3", "y_true": 0, "y_pred": 0, "kind": None},
]


def test_per_site_breakdown() -> None:
    result = per_group_sentence_prf(ROWS, "site")
    assert list(result) == ["a.example", "b.example"]
    assert result["a.example"]["precision"] == pytest.approx(0.5)
    assert result["a.example"]["recall"] == 1.0
    assert result["a.example"]["n_pages"] == 2
    assert result["b.example"]["f1"] == 0.0


def test_kind_leakage_counts_boilerplate_predicted_as_content() -> None:
    result = kind_leakage(ROWS)
    assert result == {
        "(none)": {"n": 1, "leaked": 0, "leak_rate": 0.0},
        "navigation": {"n": 1, "leaked": 0, "leak_rate": 0.0},
        "promo": {"n": 2, "leaked": 2, "leak_rate": 1.0},
    }


def test_per_group_shingle_f1() -> None:
    pages = [dict(page_shingle_scores("a b c d", "a b c d"), corpus="x"),
             dict(page_shingle_scores("", "a b c d"), corpus="y")]
    result = per_group_shingle_f1(pages, "corpus")
    assert result["x"]["f1"] == 1.0
    assert result["y"]["f1"] is None and result["y"]["recall"] == 0.0
