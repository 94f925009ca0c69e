"""Repetition across pages of the same site: templated cruft (menus, footers, "related" lists, comment
widgets) comes back on every page of a site, article prose does not.

Pages are compared with a *reference set*: up to :data:`REFERENCE_PAGES` pages of the same site (the first by
article id). Training builds it from the training table itself; ``winnow clean --by-site`` from the first
pages of each site directory, before cleaning any page. So a page's features depend only on its site's
reference pages, never on batch sizes or on the order pages arrive in.

Input is a sentence table (see :mod:`winnow.features`) with the columns ``article_id``, ``block``, ``text`` and
optionally ``site``, rows grouped by article and ordered by ``index``. A page whose site is unknown (no
``site`` column, a missing or empty value, or a catch-all group ending in :data:`UNKNOWN_SITE_SUFFIX`, which is
how training tables group silver pages without a site) is a site of its own: all its features are 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from winnow.features import article_bounds, digits_to_zero, distinct, stack_columns, window_means

REFERENCE_PAGES = 30  # pages of a site every page is compared with (training sites have at most 30)
UNKNOWN_SITE_SUFFIX = ":unknown-site"
SITE_FEATURES = (
    "site_log_other_pages",  # log1p(other reference pages of the site): how much evidence there is
    "site_sentence_share",  # share of those pages holding the same normalised sentence
    "site_block_share",  # share of those pages holding the same normalised line (block)
    "site_sentence_share_w2",  # mean of site_sentence_share over sentences i-2 .. i+2 of the page
    "site_sentence_share_w5",  # the same over i-5 .. i+5
    "site_page_share",  # mean of site_sentence_share over the whole page (how templated the page is)
)
_WINDOWS = (2, 5)
_SEP = "\x1f"
_SPACES = re.compile(r"\s+")


def normalise(texts: pd.Series) -> pd.Series:
    """Lower case, every digit -> 0, runs of white space -> one space, stripped (dates/counts still match)."""
    distinct_texts, rows = distinct(texts.astype(str))
    normalised = np.array([_SPACES.sub(" ", digits_to_zero(text.lower())).strip() for text in distinct_texts],
                          dtype=object)
    return pd.Series(normalised[rows], index=texts.index, dtype=object)


def site_of_rows(table: pd.DataFrame) -> pd.Series:
    """The site of every row; a page with an unknown site gets a key of its own."""
    pages = table["article_id"].astype(str)
    if "site" not in table:
        return "\x00page:" + pages
    site = table["site"].astype(object).where(table["site"].notna(), "").astype(str)
    unknown = (site == "") | site.str.endswith(UNKNOWN_SITE_SUFFIX)
    return site.where(~unknown, "\x00page:" + pages)


@dataclass(frozen=True)
class SiteReference:
    """What the reference pages of each site hold.

    ``pages``: number of reference pages per site; ``members``: ``site + SEP + article_id`` of every reference
    page; ``sentences`` / ``blocks``: for ``site + SEP + normalised text``, on how many reference pages it occurs.
    """

    pages: pd.Series
    members: frozenset[str]
    sentences: pd.Series
    blocks: pd.Series

    @classmethod
    def build(cls, table: pd.DataFrame, limit: int = REFERENCE_PAGES) -> SiteReference:
        """The reference of the sites in ``table``: the first ``limit`` pages (by article id) of each site."""
        return cls._from_rows(_Rows(table), limit)

    @classmethod
    def _from_rows(cls, rows: _Rows, limit: int = REFERENCE_PAGES) -> SiteReference:
        first = (pd.DataFrame({"site": rows.site, "page": rows.page}).drop_duplicates()
                 .sort_values(["site", "page"], kind="stable"))
        first = first[first.groupby("site").cumcount() < limit]
        members = first["site"] + _SEP + first["page"]
        chosen = rows.member_key.isin(set(members)).to_numpy()
        return cls(
            pages=first["site"].value_counts(),
            members=frozenset(members),
            sentences=_pages_holding(rows.sentence_key[chosen], rows.member_key[chosen]),
            blocks=_pages_holding(rows.block_key[chosen], rows.member_key[chosen]),
        )

    @classmethod
    def merge(cls, references: Iterable[SiteReference]) -> SiteReference:
        """One reference for the sites of several (each site in one of them only)."""
        refs = list(references)
        return cls(pages=pd.concat([r.pages for r in refs]), members=frozenset().union(*(r.members for r in refs)),
                   sentences=pd.concat([r.sentences for r in refs]), blocks=pd.concat([r.blocks for r in refs]))


class _Rows:
    """The keys of every row of a sentence table: its site and page (cheap), its sentence and its line (the
    text work, done on first use and once)."""

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self.site = site_of_rows(table).reset_index(drop=True)
        self.page = table["article_id"].astype(str).reset_index(drop=True)
        self.member_key = self.site + _SEP + self.page
        self.page_no = pd.factorize(table["article_id"])[0]

    @cached_property
    def _sentences(self) -> pd.Series:
        return normalise(self.table["text"]).reset_index(drop=True)

    @cached_property
    def sentence_key(self) -> pd.Series:
        return self.site + _SEP + self._sentences

    @cached_property
    def block_key(self) -> pd.Series:
        blocks = _block_texts(self._sentences.to_numpy(dtype=object), self.page_no, self.table["block"].to_numpy())
        return self.site + _SEP + blocks


def _pages_holding(keys: pd.Series, pages: pd.Series) -> pd.Series:
    """For every key, on how many distinct pages it occurs."""
    return pd.DataFrame({"key": keys, "page": pages}).drop_duplicates()["key"].value_counts()


def _block_texts(texts: np.ndarray, pages: np.ndarray, blocks: np.ndarray) -> pd.Series:
    """Per row, the text of its whole block: its run of rows with the same page and block, joined by spaces."""
    if len(texts) == 0:
        return pd.Series([], dtype=object)
    new_block = np.r_[True, (pages[1:] != pages[:-1]) | (blocks[1:] != blocks[:-1])]
    joined = np.add.reduceat(texts + " ", np.flatnonzero(new_block))  # object arrays: string concatenation
    return pd.Series(joined[np.cumsum(new_block) - 1])


def site_repetition_features(table: pd.DataFrame, reference: SiteReference | None = None) -> np.ndarray:
    """Per sentence, how much of it recurs on the other reference pages of its site (columns:
    :data:`SITE_FEATURES`). ``reference`` defaults to the one built from ``table`` itself.

    A text counts once per page however often the page repeats it (in-page repetition is a page feature).
    Shares are 0 when the site has no other reference page.
    """
    if len(table) == 0 or "site" not in table:  # without sites every page is a site of its own: nothing recurs
        return np.zeros((len(table), len(SITE_FEATURES)), order="F")
    rows = _Rows(table)
    if reference is None:
        if not rows.site[~rows.member_key.duplicated()].duplicated().any():  # no site with two pages
            return np.zeros((len(table), len(SITE_FEATURES)), order="F")
        reference = SiteReference._from_rows(rows)
    own = rows.member_key.isin(reference.members).to_numpy(dtype=np.float64)  # the page is a reference page
    other_pages = rows.site.map(reference.pages).fillna(0).to_numpy(dtype=np.float64) - own
    if not (other_pages > 0).any():  # nothing to compare with (e.g. every page alone): skip the text work
        return np.zeros((len(table), len(SITE_FEATURES)), order="F")

    def share(keys: pd.Series, holding: pd.Series) -> np.ndarray:
        others_holding = keys.map(holding).fillna(0).to_numpy(dtype=np.float64) - own
        return np.divide(others_holding, other_pages, out=np.zeros(len(keys)), where=other_pages > 0)

    sentence_share = share(rows.sentence_key, reference.sentences)
    block_share = share(rows.block_key, reference.blocks)
    page_share = pd.Series(sentence_share).groupby(rows.page_no).transform("mean").to_numpy()
    windows = window_means(sentence_share, article_bounds(rows.page_no), _WINDOWS)
    return stack_columns([np.log1p(np.maximum(other_pages, 0)), sentence_share, block_share, *windows,
                          page_share])
