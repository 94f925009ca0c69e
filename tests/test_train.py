"""Training tables (winnow.train): how silver sentences are weighed (on the invented corpus "toy")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from winnow.train import length_weights, silver_table

MAYOR_QUOTE = "toy/p3:1791f12fd634"  # a silver sentence of toy/p3 (see tests/test_corpus_refs.py)


def test_length_weights_count_words_up_to_the_cap_over_the_silver_mean():
    texts = pd.Series(["Share", "Read more", "one two three four five six", "", "a b c d e f g h i j"])
    is_human = np.array([False, False, False, False, True])
    weights = length_weights(texts, is_human, cap=4)
    words = np.array([1.0, 2.0, 4.0, 1.0, 4.0])  # capped at 4; an empty text counts as one word
    np.testing.assert_array_equal(weights, words / 2.0)  # the silver rows' mean is (1 + 2 + 4 + 1) / 4
    assert weights[~is_human].mean() == 1.0  # the corpus keeps its total weight
    assert length_weights(texts, is_human, cap=0) == 1.0


def test_silver_sentences_weigh_their_words_and_hand_labels_weigh_gold_weight(toy_silver):
    config = {"max_pages_per_corpus": 0, "drop_ambiguous": False, "gold_weight": 5.0}
    flat = silver_table(toy_silver / "toy.parquet", config)
    assert set(flat["weight"]) == {1.0}

    weighed = silver_table(toy_silver / "toy.parquet", {**config, "word_weight_cap": 12}, {MAYOR_QUOTE: 1})
    assert weighed["sentence_id"].tolist() == flat["sentence_id"].tolist()
    human = weighed["sentence_id"] == MAYOR_QUOTE
    assert weighed.loc[human, "weight"].tolist() == [5.0]
    silver = weighed[~human]
    words = silver["text"].str.split().str.len().clip(1, 12)
    assert silver["weight"].mean() == pytest.approx(1.0)
    np.testing.assert_allclose(silver["weight"], words / words.mean())
    assert silver["weight"].nunique() > 1  # the toy pages mix short lines and long sentences
