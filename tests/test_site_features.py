"""Repetition across pages of the same site (winnow.site_features), on hand-written pages."""

import numpy as np
import pandas as pd

from winnow.model import featurize
from winnow.site_features import REFERENCE_PAGES, SITE_FEATURES, SiteReference, site_repetition_features


def _table(pages: dict[str, tuple[str | None, list[list[str]]]]) -> pd.DataFrame:
    rows = []
    for article_id, (site, blocks) in pages.items():
        index = 0
        for block, sentences in enumerate(blocks):
            for text in sentences:
                rows.append({"site": site, "article_id": article_id, "block": block, "index": index, "text": text})
                index += 1
    return pd.DataFrame(rows, columns=["site", "article_id", "block", "index", "text"])


PAGES = {
    "a1": ("a.com", [["Home", "News"], ["Mayor opens bridge."], ["Posted 12 May 2021"]]),
    "a2": ("a.com", [["home", "News"], ["Rain expected  today."], ["Posted 03 May 2022"], ["Home"]]),
    "a3": ("a.com", [["Home"], ["School wins prize."]]),
    "b1": (None, [["Home", "News"]]),
    "c1": ("dragnet:unknown-site", [["Home", "News"]]),
    "c2": ("dragnet:unknown-site", [["Home", "News"]]),
}


def test_shares_count_other_pages_once_each():
    x = pd.DataFrame(site_repetition_features(_table(PAGES)), columns=SITE_FEATURES)
    a1 = x.iloc[0:4]
    assert np.allclose(x["site_log_other_pages"].iloc[:10], np.log1p(2))
    # "Home" on a1: a2 (twice, counted once) and a3 -> 2/2; "News": only a2 -> 1/2; prose: 0; date line: 1/2
    assert a1["site_sentence_share"].tolist() == [1.0, 0.5, 0.0, 0.5]
    # block "home news" recurs on a2 only; a3's first block is just "home"
    assert a1["site_block_share"].tolist() == [0.5, 0.5, 0.0, 0.5]
    assert np.isclose(a1["site_page_share"].iloc[0], 0.5)


def test_unknown_sites_are_pages_of_their_own():
    x = site_repetition_features(_table(PAGES))
    assert np.all(x[-6:] == 0)
    no_sites = _table(PAGES).drop(columns="site")
    for reference in (None, SiteReference.build(_table(PAGES)), SiteReference.build(no_sites)):
        x = site_repetition_features(no_sites, reference)
        assert x.shape == (len(no_sites), len(SITE_FEATURES)) and np.all(x == 0)


def test_independent_of_page_order_and_of_how_pages_are_batched():
    table = _table(PAGES)
    order = ["c2", "a3", "b1", "a1", "c1", "a2"]
    shuffled = pd.concat([table[table["article_id"] == p] for p in order])
    expected = pd.DataFrame(site_repetition_features(table), index=table.index)
    got = pd.DataFrame(site_repetition_features(shuffled), index=shuffled.index)
    assert np.array_equal(got.loc[table.index].to_numpy(), expected.to_numpy())
    # cleaning batch by batch against the reference of the whole input gives the same numbers, bit for bit
    reference = SiteReference.build(table)
    for batch in (["a1"], ["a2", "b1"], ["a3", "c1", "c2"]):
        rows = table["article_id"].isin(batch).to_numpy()
        assert np.array_equal(site_repetition_features(table[rows], reference), expected.to_numpy()[rows])


def test_pages_beyond_the_reference_are_compared_with_all_reference_pages():
    n = REFERENCE_PAGES + 5
    pages = {f"p{i:03d}": ("big.com", [["Subscribe now"], [f"Story number {'x' * i} here."]]) for i in range(n)}
    x = pd.DataFrame(site_repetition_features(_table(pages)), columns=SITE_FEATURES)
    other = np.expm1(x["site_log_other_pages"].to_numpy()[::2])
    assert np.allclose(other[:REFERENCE_PAGES], REFERENCE_PAGES - 1)  # reference pages: the other 29
    assert np.allclose(other[REFERENCE_PAGES:], REFERENCE_PAGES)  # later pages: all 30
    assert np.all(x["site_sentence_share"].to_numpy()[::2] == 1.0)  # the template line is on every page
    assert np.all(x["site_sentence_share"].to_numpy()[1::2] == 0.0)  # the stories on none


def test_featurize_carries_the_site_columns_and_an_external_reference():
    table = _table(PAGES)
    features = featurize(table, None)
    assert features.site.shape == (len(table), len(SITE_FEATURES))
    assert np.array_equal(features.subset(np.array([0, 1])).site, features.site[:2])
    alone = featurize(table[table["article_id"] == "a1"].reset_index(drop=True), None)
    assert np.all(alone.site[:, 1:] == 0)  # a page without its site's other pages: nothing recurs
    with_reference = featurize(table[table["article_id"] == "a1"], None, SiteReference.build(table))
    assert np.array_equal(with_reference.site, features.site[:4])


def test_empty_table():
    assert site_repetition_features(_table({})).shape == (0, len(SITE_FEATURES))


def test_a_page_outside_a_one_page_reference_is_compared_with_that_page():
    table = _table({"a1": PAGES["a1"], "a2": PAGES["a2"]})
    reference = SiteReference.build(table[table["article_id"] == "a1"])
    x = pd.DataFrame(site_repetition_features(table[table["article_id"] == "a2"], reference), columns=SITE_FEATURES)
    assert np.allclose(x["site_log_other_pages"], np.log1p(1))
    assert x["site_sentence_share"].tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]  # home, News, prose, date line, home


def test_normalise_is_lower_case_digits_as_zero_and_single_spaces():
    import re
    import sys

    from winnow.features import digits_to_zero
    from winnow.site_features import normalise

    spaces = "".join(char for char in map(chr, range(sys.maxunicode + 1)) if re.fullmatch(r"\s", char))
    texts = ["Posted 12 May 2021", f"a{spaces}b", "  Ünïcode ٣ ΣΑΣ  ", "", "nul\x00inside 7", "x\x00", "\x00"]

    def definition(text: str) -> str:
        return re.sub(r"\s+", " ", digits_to_zero(text.lower())).strip()

    for batch in (texts, texts[:4], texts[4:], [texts[0]], []):  # joined in one pass, or (NUL) one by one
        assert normalise(batch) == [definition(text) for text in batch]
    assert normalise(["Posted 12 May 2021"]) == ["posted 00 may 0000"]


def test_merged_references_give_each_site_its_own_numbers():
    table = _table(PAGES)
    expected = site_repetition_features(table)
    sites = ("a.com", "dragnet:unknown-site")
    by_site = [SiteReference.build(table[table["site"].eq(site).to_numpy()]) for site in sites]
    assert np.array_equal(site_repetition_features(table, SiteReference.merge(by_site)), expected)
