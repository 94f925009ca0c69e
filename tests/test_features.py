"""Page features on small hand-written pages: blocks, the main prose region, comment threads, neighbours."""

import numpy as np
import pandas as pd

from winnow.features import (
    PageFeatures,
    _max_subarray,
    block_features,
    comment_features,
    main_region_features,
    page_feature_parts,
    probability_region,
    sentence_table,
    stack_columns,
    text_features,
)
from winnow.segment import segment_text

PAGE = (
    "Home | World | Sport\n"
    "Sign in\n"
    "The council approved the budget on Tuesday after a long debate in the chamber. Members said it would "
    "fund schools.\n"
    "The mayor called it a fair compromise for everyone in the city.\n"
    "Related: Ten things to know about the budget\n"
    "3 Comments\n"
    "Anna says:\n"
    "I think this is a very good decision for the whole town and its people.\n"
    "Reply\n"
)


def _table():
    return sentence_table([segment_text("p", PAGE)])


def test_main_region_is_the_run_of_prose():
    table = _table()
    region = main_region_features(table, text_features(table["text"].tolist()))
    inside = [t for t, flag in zip(table["text"], region[:, 0], strict=True) if flag]
    assert inside[0].startswith("The council") and inside[-1].startswith("The mayor")
    assert _max_subarray(np.array([-1.0, 2.0, 3.0, -10.0, 4.0])) == (1, 3)
    assert _max_subarray(np.array([])) == (0, 0)


def test_probability_region_is_the_most_probable_run_of_each_page():
    p = np.array([0.1, 0.9, 0.4, 0.8, 0.2, 0.3, 0.45, 0.2])
    bounds = np.array([0, 5, 8])  # two pages: 5 and 3 sentences
    inside, distance, position, share = probability_region(p, bounds)
    assert inside.tolist() == [0, 1, 1, 1, 0, 0, 1, 0]  # a weak sentence between strong ones stays in
    assert np.allclose(distance, np.log1p([1, 0, 0, 0, 1, 1, 0, 1]))
    assert position[:5].tolist() == [-1 / 3, 0.0, 1 / 3, 2 / 3, 1.0]
    assert np.allclose(share, [0.6] * 5 + [1 / 3] * 3)  # a page below 0.5 everywhere: its best sentence


def test_block_features_describe_the_whole_line():
    table = _table()
    blocks = block_features(table, text_features(table["text"].tolist()))
    by_text = dict(zip(table["text"], blocks[:, -3], strict=True))  # the block's last sentence ends in . ! ?
    assert by_text["Home | World | Sport"] == 0.0
    assert by_text["Members said it would fund schools."] == 1.0
    first_two = table.index[table["block"] == 2]
    assert (blocks[first_two[0]] == blocks[first_two[1]]).all()  # one line, one description


def test_comment_markers_and_what_follows_them():
    table = _table()
    comments = comment_features(table)
    markers = [t for t, flag in zip(table["text"], comments[:, 0], strict=True) if flag]
    assert markers == ["3 Comments", "Anna says:", "Reply"]
    reader = table.index[table["text"].str.startswith("I think")][0]
    council = table.index[table["text"].str.startswith("The council")][0]
    assert comments[reader, 1] > 0 and comments[council, 1] == 0


def test_page_features_never_mix_pages():
    one = sentence_table([segment_text("p", PAGE)])
    two = sentence_table([segment_text("p", PAGE), segment_text("q", "A different page.\nWith lines.")])
    features = PageFeatures()
    assert np.array_equal(features.transform(one), features.transform(two)[: len(one)])
    assert isinstance(two, pd.DataFrame)


def _string_key_block_means(values: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """The definition the model was trained with: pandas' groupby mean over "<article_id>#<block>" keys."""
    key = table["article_id"].astype(str) + "#" + table["block"].astype(str)
    return pd.Series(values).groupby(key.to_numpy()).transform("mean").to_numpy()


def test_block_means_equal_the_string_key_groupby_bit_for_bit():
    """features.block_means against the string-key definition on batches of pages whose ids hold "#" and
    non-ASCII, with blocks past 9 (so "10" sorts before "9"), blocks in order and out of order, a lone page
    with few blocks, and values of every scale (pandas' mean differs in the last bit where the groups are
    numbered otherwise)."""
    from winnow.features import block_means

    rng = np.random.default_rng(11)
    ids = ["a", "a#1", "b/ü", "page#7#2", "z", "Ω", "cleaneval/12"]
    checked = 0
    for trial in range(300):
        pages = rng.choice(ids, size=rng.integers(1, 5), replace=False)
        article, block = [], []
        for page in pages:
            n_blocks = int(rng.integers(1, 4 if trial % 3 == 0 else 30))
            per_block = rng.integers(1, 9, size=n_blocks)
            numbers = np.arange(n_blocks) if trial % 2 else rng.permutation(n_blocks)
            block += np.repeat(numbers, per_block).tolist()
            article += [str(page)] * int(per_block.sum())
        table = pd.DataFrame({"article_id": pd.Series(article, dtype=object), "block": block})
        values = rng.random(len(table)) * (10.0 ** rng.integers(-3, 4))
        expected = _string_key_block_means(values, table)
        got = block_means(values, table)
        assert got.tobytes() == expected.tobytes(), trial
        checked += len(table)
    assert checked > 20_000
    assert block_means(np.zeros(0), pd.DataFrame({"article_id": [], "block": []})).shape == (0,)


def _region_reference(p: np.ndarray, bounds: np.ndarray, offset: float) -> list[np.ndarray]:
    """probability_region's definition, page by page."""
    out = np.zeros((len(p), 4), dtype=np.float64)
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        lo, hi = _max_subarray(p[start:end] - offset)
        idx = np.arange(end - start)
        distance = np.where(idx < lo, lo - idx, np.where(idx >= hi, idx - hi + 1, 0))
        out[start:end] = np.column_stack([((idx >= lo) & (idx < hi)).astype(float), np.log1p(distance),
                                          np.clip((idx - lo) / max(hi - lo, 1), -1.0, 2.0),
                                          np.full(end - start, (hi - lo) / (end - start))])
    return list(out.T)


def test_probability_region_equals_its_page_by_page_definition():
    """All pages at once (runs found by features.max_runs) give the page-by-page values bit for bit: one-row
    pages, pages below the offset everywhere, ties, and offsets other than 0.5."""
    from winnow.features import probability_region

    rng = np.random.default_rng(2)
    for trial in range(200):
        sizes = rng.integers(1, 40, size=rng.integers(1, 8))
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        p = rng.random(bounds[-1]) if trial % 3 else rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], bounds[-1])
        for offset in (0.5, 0.3, 0.9):
            got, expected = probability_region(p, bounds, offset), _region_reference(p, bounds, offset)
            assert all(a.tobytes() == b.tobytes() for a, b in zip(got, expected, strict=True)), (trial, offset)


def test_stack_columns_equals_column_stack_in_fortran_order():
    """Columns side by side as np.column_stack puts them (1-D arrays and 2-D groups, ints upcast), stored
    column-major so each column is one contiguous copy."""
    rng = np.random.default_rng(0)
    parts = [rng.normal(size=7), rng.integers(0, 9, size=(7, 3)), np.asfortranarray(rng.normal(size=(7, 2))),
             rng.normal(size=(7, 4))[:, ::2], np.arange(7)]
    stacked = stack_columns(parts)
    assert stacked.dtype == np.float64 and stacked.flags.f_contiguous
    assert np.array_equal(stacked, np.column_stack(parts).astype(np.float64))


def test_page_feature_parts_are_the_page_features_in_fortran_order(seed_texts):
    """The classifier stacks the parts once with its other inputs: side by side they are PageFeatures, and
    each part is already column-major (no copy in between)."""
    seed_table = sentence_table([segment_text(name, text) for name, text in seed_texts.items()] + [
        segment_text("p", PAGE)])
    parts = page_feature_parts(seed_table)
    assert all(part.flags.f_contiguous and part.dtype == np.float64 for part in parts)
    assert np.hstack(parts).tobytes() == PageFeatures().transform(seed_table).tobytes()
