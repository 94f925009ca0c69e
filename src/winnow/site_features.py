"""Repetition across pages of the same site: templated cruft (menus, footers, "related" lists, comment
widgets) comes back on every page of a site, article prose does not.

Pages are compared with a *reference set*: up to :data:`REFERENCE_PAGES` pages of the same site (the first by
article id). Training builds it from the training table itself; ``winnow clean --by-site`` from the first
pages of each site directory, before cleaning any page. So a page's features depend only on its site's
reference pages, never on batch sizes or on the order pages arrive in.

Input is a sentence table (see :mod:`winnow.features`) with the columns ``article_id``, ``block``, ``text`` and
optionally ``site``, rows grouped by article (a page is its run of rows, and its site is its first row's) and
ordered by ``index``. A page whose site is unknown (no ``site`` column, a missing or empty value, or a catch-all
group ending in :data:`UNKNOWN_SITE_SUFFIX`, which is how training tables group silver pages without a site) is a
site of its own: all its features are 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from winnow.features import DistinctTexts, article_bounds, page_of_rows, stack_columns, window_means
from winnow.segment import PageSentences

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
_UNKNOWN = object()  # the site of a page that is a site of its own


def normalise(texts: Iterable[str]) -> list[str]:
    """Lower case, every digit -> 0, runs of white space -> one space, stripped (dates/counts still match)."""
    return _normalised(DistinctTexts(texts))


def _normalised(unique: DistinctTexts) -> list[str]:
    """:func:`normalise` of every row of ``unique``: from its lower-cased, digits-as-0 texts, which the in-page
    repetition count shares (``str.split`` splits on the white space ``\\s`` matches)."""
    return np.array([" ".join(text.split()) for text in unique.normalised], dtype=object)[unique.rows].tolist()


def _known_site(value: object) -> object:
    """A page's site as given, or _UNKNOWN (missing, empty, or a training table's catch-all group)."""
    site = "" if value is None or pd.isna(value) else str(value)
    return _UNKNOWN if site == "" or site.endswith(UNKNOWN_SITE_SUFFIX) else site


class _Pages:
    """A sentence table's pages (runs of rows: rows are grouped by page) with their site, and its rows'
    normalised sentences and lines (computed on first use, once)."""

    def __init__(self, table: pd.DataFrame, unique: DistinctTexts | None = None):
        self.table, self.unique = table, unique
        self.bounds = article_bounds(table["article_id"].to_numpy())
        firsts = self.bounds[:-1]
        self.ids = [str(page) for page in table["article_id"].to_numpy()[firsts].tolist()]
        given = table["site"].to_numpy()[firsts].tolist() if "site" in table else [None] * len(self.ids)
        known: dict[object, object] = {}
        sites = [known[value] if value in known else known.setdefault(value, _known_site(value)) for value in given]
        # a page whose site is unknown is a site of its own
        self.sites = [site if site is not _UNKNOWN else "\x00page:" + page for site, page in zip(sites, self.ids,
                                                                                                strict=True)]

    def runs(self) -> Iterator[tuple[str, str, int, int]]:
        """``(site, page, first row, end row)`` of every page."""
        return zip(self.sites, self.ids, self.bounds[:-1].tolist(), self.bounds[1:].tolist(), strict=True)

    def per_row(self, values: Sequence[float]) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=np.float64), np.diff(self.bounds))

    @cached_property
    def sentences(self) -> list[str]:
        unique = self.unique
        if unique is None:
            unique = DistinctTexts(text if isinstance(text, str) else str(text) for text in self.table["text"].tolist())
        return _normalised(unique)

    @cached_property
    def lines(self) -> list[str]:
        """Per row, the normalised text of its whole block (its page's run of rows with the same block number),
        each sentence followed by a space."""
        blocks = self.table["block"].to_numpy()
        starts = np.union1d(self.bounds[:-1], np.flatnonzero(blocks[1:] != blocks[:-1]) + 1).tolist()
        sentences, lines = self.sentences, []
        for lo, hi in zip(starts, [*starts[1:], len(blocks)], strict=True):
            lines += [" ".join(sentences[lo:hi]) + " "] * (hi - lo)
        return lines


@dataclass(frozen=True)
class SiteReference:
    """What the reference pages of each site hold, per site: ``pages``, how many reference pages it has;
    ``members``, their article ids; ``sentences`` / ``blocks``, for each normalised sentence / line, on how many of
    them it occurs. ``segmented`` (not part of the reference's value): where the caller segmented the reference
    pages, their ``(text, PageSentences)`` by article id, so cleaning them need not do it again."""

    pages: dict[str, int]
    members: dict[str, frozenset[str]]
    sentences: dict[str, dict[str, int]]
    blocks: dict[str, dict[str, int]]
    segmented: dict[str, tuple[str, PageSentences]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, table: pd.DataFrame, limit: int = REFERENCE_PAGES) -> SiteReference:
        """The reference of the sites in ``table``: the first ``limit`` pages (by article id) of each site."""
        return cls._of_pages(_Pages(table), limit)

    @classmethod
    def _of_pages(cls, pages: _Pages, limit: int = REFERENCE_PAGES) -> SiteReference:
        ids_of: dict[str, set[str]] = {}
        for site, page in zip(pages.sites, pages.ids, strict=True):
            ids_of.setdefault(site, set()).add(page)
        members = {site: frozenset(sorted(ids)[:limit]) for site, ids in ids_of.items()}
        sentences: dict[str, dict[str, int]] = {site: {} for site in members}
        blocks: dict[str, dict[str, int]] = {site: {} for site in members}
        for site, page, lo, hi in pages.runs():
            if page in members[site]:
                _count_once(sentences[site], pages.sentences[lo:hi])
                _count_once(blocks[site], pages.lines[lo:hi])
        return cls({site: len(ids) for site, ids in members.items()}, members, sentences, blocks)

    @classmethod
    def merge(cls, references: Iterable[SiteReference]) -> SiteReference:
        """One reference for the sites of several (each site in one of them only)."""
        refs = list(references)
        return cls(*({site: value for r in refs for site, value in getattr(r, name).items()}
                     for name in ("pages", "members", "sentences", "blocks")))


def _count_once(counts: dict[str, int], texts: list[str]) -> None:
    """Add one to the count of every distinct text of one page."""
    for text in set(texts):
        counts[text] = counts.get(text, 0) + 1


def site_repetition_features(table: pd.DataFrame, reference: SiteReference | None = None,
                             unique: DistinctTexts | None = None) -> np.ndarray:
    """Per sentence, how much of it recurs on the other reference pages of its site (columns:
    :data:`SITE_FEATURES`). ``reference`` defaults to the one built from ``table`` itself; ``unique``:
    ``DistinctTexts(table["text"])``, where the caller has it.

    A text counts once per page however often the page repeats it (in-page repetition is a page feature).
    Shares are 0 when the site has no other reference page.
    """
    nothing = np.zeros((len(table), len(SITE_FEATURES)), order="F")
    if len(table) == 0 or "site" not in table:  # without sites every page is a site of its own: nothing recurs
        return nothing
    pages = _Pages(table, unique)
    if reference is None:
        if len(set(zip(pages.sites, pages.ids, strict=True))) == len(set(pages.sites)):  # no site with two pages
            return nothing
        reference = SiteReference._of_pages(pages)
    own_page = [page in reference.members.get(site, ()) for site, page in zip(pages.sites, pages.ids, strict=True)]
    own = pages.per_row(own_page)  # the row's page is a reference page
    other_pages = pages.per_row([reference.pages.get(site, 0) for site in pages.sites]) - own
    if not (other_pages > 0).any():  # nothing to compare with (e.g. every page alone): skip the text work
        return nothing

    def share(texts: list[str], holding: dict[str, dict[str, int]]) -> np.ndarray:
        counts: list[int] = []
        for site, _, lo, hi in pages.runs():
            on_site = holding.get(site, {})
            counts += [on_site.get(text, 0) for text in texts[lo:hi]]
        others_holding = np.array(counts, dtype=np.float64) - own
        return np.divide(others_holding, other_pages, out=np.zeros(len(texts)), where=other_pages > 0)

    sentence_share = share(pages.sentences, reference.sentences)
    block_share = share(pages.lines, reference.blocks)
    page_share = pd.Series(sentence_share).groupby(page_of_rows(pages.bounds)).transform("mean").to_numpy()
    windows = window_means(sentence_share, pages.bounds, _WINDOWS)
    return stack_columns([np.log1p(np.maximum(other_pages, 0)), sentence_share, block_share, *windows,
                          page_share])
