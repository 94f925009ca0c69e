"""The page decision (winnow.decode): the 'auto' rule against a brute force over every kept set, the word counter
against the regex, and the threshold's parsing."""

import itertools
import re

import numpy as np
import pytest

from winnow import decode
from winnow.decode import AUTO, GATE, best_expected_set, keep_mask, keep_rows, parse_threshold, word_counts


def expected_precision_plus_recall(p: np.ndarray, words: np.ndarray, keep: np.ndarray) -> float:
    true_words = float((p * words)[keep].sum())
    return true_words / words[keep].sum() + true_words / float((p * words).sum())


def test_auto_keeps_the_best_top_k_set_by_brute_force():
    """Among the page's top-k sets, the rule's choice has the largest expected precision + recall, and no other
    subset (of any shape) beats it: for this objective the best set is always a top-k set."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 8))
        p = np.round(rng.random(n), 2)
        p[0] = max(p[0], GATE)  # the page passes the gate
        words = rng.integers(1, 30, n).astype(float)
        keep = best_expected_set(p, words)
        value = expected_precision_plus_recall(p, words, keep)
        best = max(expected_precision_plus_recall(p, words, np.array(mask))
                   for mask in itertools.product([False, True], repeat=n) if any(mask))
        assert value == pytest.approx(best, abs=1e-12)
        assert p[keep].min() >= p[~keep].max(initial=-1)  # a top-k set: nothing kept below something dropped


def test_auto_adapts_the_cut_to_the_page():
    """A sentence at P 0.45 is kept among unsure neighbours and dropped beside sure prose, where a fixed
    threshold treats it alike on both pages."""
    unsure = np.array([0.55, 0.5, 0.45])
    sure = np.array([0.99] * 8 + [0.45])
    assert keep_mask(unsure, AUTO, words=np.full(3, 20.0)).tolist() == [True, True, True]
    assert keep_mask(sure, AUTO, words=np.full(9, 20.0)).tolist() == [True] * 8 + [False]
    assert keep_mask(unsure, 0.5).tolist() == [True, True, False]


def test_auto_keeps_nothing_below_the_gate_and_handles_empty_pages():
    assert not keep_mask(np.array([0.49, 0.3]), AUTO, texts=["A long sentence of words.", "Another one."]).any()
    assert keep_mask(np.zeros(0), AUTO, texts=[]).tolist() == []
    # no sentence holds a word: nothing to weigh, so the plain cut at the gate
    assert keep_mask(np.array([0.9, 0.2]), AUTO, texts=["—", "|"]).tolist() == [True, False]


def test_ties_keep_page_order_and_the_smallest_best_set():
    p = np.array([0.8, 0.8, 0.8])
    words = np.array([0.0, 5.0, 0.0])
    # the wordless sentences add nothing: the first best set is the one that stops at the worded sentence
    assert best_expected_set(p, words).tolist() == [True, True, False]


def test_a_fixed_threshold_is_the_plain_cut():
    p = np.array([0.1, 0.5, 0.7])
    assert keep_mask(p, 0.5).tolist() == [False, True, True]
    assert keep_mask(p, 0.0).all() and not keep_mask(p, 1.0).any()


def test_keep_rows_decides_page_by_page_whatever_the_row_order():
    texts = ["Some words here to count.", "More words in this one.", "Menu", "Body text of another page."] * 2
    p = np.array([0.55, 0.45, 0.05, 0.9, 0.6, 0.3, 0.2, 0.95])
    pages = ["a", "a", "a", "b", "c", "c", "c", "b"]
    kept = keep_rows(pages, p, texts, AUTO)
    for page in set(pages):
        rows = [i for i, name in enumerate(pages) if name == page]
        assert kept[rows].tolist() == keep_mask(p[rows], AUTO, [texts[i] for i in rows]).tolist()
    assert keep_rows(pages, p, texts, 0.5).tolist() == (p >= 0.5).tolist()


@pytest.mark.parametrize("text", ["", "plain words here", "don't stop", "$20-$50 at 9:30", "naïve café—Ünïcode",
                                  "日本語のテキスト", "snake_case and  spaces\t", "١٢٣ digits ², ½", "— | …"])
def test_word_counts_equal_the_metrics_tokens(text):
    assert word_counts([text]).tolist() == [len(re.findall(r"\w+", text))]
    assert decode._word_counts_python([text]).tolist() == word_counts([text]).tolist()


def test_compiled_word_counts_match_python_on_every_character_class():
    if decode._speedups is None:
        pytest.skip("winnow._speedups is not built in this install")
    rng = np.random.default_rng(1)
    alphabet = [chr(c) for c in (*range(32, 127), 0xA0, 0xB2, 0xBD, 0xE9, 0x2014, 0x2019, 0x0661, 0x65E5, 0x1F600)]
    texts = ["".join(rng.choice(alphabet, int(rng.integers(0, 40)))) for _ in range(2000)]
    # texts of one-byte characters only (ASCII and Latin-1: the compiled table's path), every one of the 256
    latin1 = [chr(c) for c in range(256)]
    texts += ["".join(rng.choice(latin1, int(rng.integers(0, 40)))) for _ in range(2000)] + ["".join(latin1)]
    assert np.array_equal(decode._speedups.word_counts(texts), decode._word_counts_python(texts))


@pytest.mark.parametrize("value, expected", [("auto", AUTO), (" AUTO ", AUTO), ("0.4", 0.4), (0, 0.0), (1, 1.0),
                                             (0.5, 0.5)])
def test_parse_threshold_accepts_auto_and_numbers_in_range(value, expected):
    assert parse_threshold(value) == expected


@pytest.mark.parametrize("value", ["1.5", -0.1, "often", True, None, [0.5]])
def test_parse_threshold_refuses_anything_else_with_a_clear_message(value):
    with pytest.raises(ValueError, match="'auto' or a number between 0 and 1"):
        parse_threshold(value)


def test_auto_needs_texts_or_word_counts():
    with pytest.raises(ValueError, match="texts or word counts"):
        keep_mask(np.array([0.9]), AUTO)
    with pytest.raises(ValueError, match="2 probabilities but 1 word counts"):
        best_expected_set(np.array([0.9, 0.8]), np.array([3.0]))


def test_compiled_page_decision_equals_the_python_definition():
    """Random pages with ties, zeros, ones, wordless sentences and pages under the gate: the same kept sets."""
    if decode._speedups is None:
        pytest.skip("winnow._speedups is not built in this install")
    rng = np.random.default_rng(2)
    for _ in range(3000):
        n = int(rng.integers(0, 40))
        p = rng.choice([0.0, 1.0, 0.5, 0.45, *rng.random(6)], n) if rng.random() < 0.5 else rng.random(n)
        words = rng.integers(0, 25, n).astype(float) * (rng.random(n) > 0.1)
        compiled = decode._speedups.best_expected_set(p, words, GATE)
        assert compiled.dtype == bool
        assert np.array_equal(compiled, decode._best_expected_set_python(p, words, GATE)), (p, words)
