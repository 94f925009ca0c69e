"""Cleaning page dumps: keep the content sentences, in order, one block per line as in the input."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from winnow.decode import Threshold, keep_mask, parse_threshold
from winnow.features import sentence_table
from winnow.model import WinnowModel
from winnow.segment import PageSentences, SentenceRecord, segment_pages
from winnow.site_features import REFERENCE_PAGES, SiteReference

try:  # the compiled join (optional: the Python definition gives the same text where it is not built)
    from winnow import _speedups
except ImportError:  # pragma: no cover - depends on the install
    _speedups = None

PAGE_BATCH = 64  # pages classified together (featurisation and prediction are vectorised per batch)


# article_id, text, sentences (a PageSentences: its records, in order), P(content)
Prediction = tuple[str, str, Sequence[SentenceRecord], np.ndarray]


def predict_texts(items: Iterable[tuple[str, str]], model: WinnowModel, batch_size: int = PAGE_BATCH,
                  site: str | None = None, site_reference: SiteReference | None = None, ids: bool = True,
                  ) -> Iterator[Prediction]:
    """For each ``(article_id, text)``: its sentence records and their P(content), batched over pages.

    Pages of one known ``site`` are compared with its ``site_reference`` (see :func:`site_reference`) to
    recognise the site's template; without one, each page stands alone. ``ids=False``: the records' sentence
    ids are None (see :func:`winnow.segment.segment_many`), for callers that only need the kept text.
    """
    for _, article_id, text, records, p in predict_sites([(site, items, site_reference)], model, batch_size, ids):
        yield article_id, text, records, p


def predict_sites(sites: Iterable[tuple[str | None, Iterable[tuple[str, str]], SiteReference | None]],
                  model: WinnowModel, batch_size: int = PAGE_BATCH, ids: bool = True,
                  ) -> Iterator[tuple[str | None, str, str, Sequence[SentenceRecord], np.ndarray]]:
    """:func:`predict_texts` over the pages of many sites, given as ``(site, items, reference)``: batches span
    sites (a crawl of many small sites is classified as fast as loose pages), and every page is compared with
    its own site's reference. Yields ``(site, article_id, text, records, p_content)`` in input order.

    A reference page is not segmented again: its sentences are the reference's own (:func:`site_reference`
    keeps them; a page's sentences never depend on what it is segmented with)."""
    batch: list[tuple[str | None, str, str, PageSentences | None]] = []
    references: dict[str, SiteReference] = {}
    for site, items, reference in sites:
        segmented = reference.segmented if reference is not None else {}
        for article_id, text in items:
            done = segmented.get(article_id)
            batch.append((site, article_id, text, done[1] if done is not None and done[0] == text else None))
            if site is not None and reference is not None:
                references[site] = reference
            if len(batch) >= batch_size:
                yield from _predict_batch(batch, references, model, ids)
                batch, references = [], {}
    if batch:
        yield from _predict_batch(batch, references, model, ids)


def _predict_batch(batch: list[tuple[str | None, str, str, PageSentences | None]],
                   references: dict[str, SiteReference], model: WinnowModel, ids: bool = True,
                   ) -> Iterator[tuple[str | None, str, str, Sequence[SentenceRecord], np.ndarray]]:
    fresh = segment_pages(((article_id, text) for _, article_id, text, done in batch if done is None), ids)
    sentences = [next(fresh) if done is None else done.renamed(article_id, ids)
                 for _, article_id, _, done in batch]
    # pages of different sites may share an id: features tell them apart by site-qualified keys
    keys = [_page_key(site, article_id) for site, article_id, _, _ in batch]
    if references:
        sites = [site for site, _, _, _ in batch]
        probabilities = model.predict_proba(sentences, sites, SiteReference.merge(references.values()), keys)
    else:
        probabilities = model.predict_proba(sentences, page_keys=keys)
    for (site, article_id, text, _), records, p in zip(batch, sentences, probabilities, strict=True):
        yield site, article_id, text, records, p


def _page_key(site: str | None, article_id: str) -> str:
    """A page's key in features: its id, qualified by its site (pages of two sites may share an id)."""
    return article_id if site is None else f"{site}\x1f{article_id}"


def site_reference(items: Iterable[tuple[str, str]], site: str) -> SiteReference | None:
    """The pages of ``site`` every page of it is compared with: its first :data:`REFERENCE_PAGES` pages by id
    (``items`` are ``(article_id, text)`` pairs of the site, any order); None for a site of one page, which
    has nothing to be compared with. The reference keeps their sentences (without ids) for cleaning them."""
    pages = heapq.nsmallest(REFERENCE_PAGES, items)
    if len(pages) < 2:
        return None
    sentences = list(segment_pages(((_page_key(site, article_id), text) for article_id, text in pages), ids=False))
    table = sentence_table(sentences)
    table["site"] = site
    segmented = {article_id: (text, page) for (article_id, text), page in zip(pages, sentences, strict=True)}
    return dataclasses.replace(SiteReference.build(table), segmented=segmented)


def join_kept(text: str, records: Sequence[SentenceRecord], keep: Sequence[bool]) -> str:
    """The kept sentences, one input block per output line; adjacent kept sentences keep their spacing."""
    if isinstance(records, PageSentences) and _speedups is not None:  # the same text, compiled (tests compare)
        return _speedups.join_kept(text, records.blocks, records.char_starts, records.char_ends, records.texts,
                                   np.ascontiguousarray(keep, dtype=bool).view(np.uint8))
    return _join_kept_python(text, records, keep)


def _join_kept_python(text: str, records: Sequence[SentenceRecord], keep: Sequence[bool]) -> str:
    if isinstance(records, PageSentences):  # the columns themselves, without a record per sentence
        columns = zip(records.blocks, records.char_starts, records.char_ends, records.texts, strict=True)
    else:
        columns = ((r["block"], r["char_start"], r["char_end"], r["text"]) for r in records)
    lines: list[str] = []
    current_block, pieces, prev_end = None, [], None
    for (block, start, end, sentence), kept in zip(columns, keep, strict=True):
        if not kept:
            prev_end = None
            continue
        if block != current_block:
            if pieces:
                lines.append("".join(pieces))
            current_block, pieces = block, [sentence]
        else:
            gap = text[prev_end:start] if prev_end is not None else " "
            pieces += [gap if gap.strip() == "" and gap else " ", sentence]
        prev_end = end
    if pieces:
        lines.append("".join(pieces))
    return "".join(line + "\n" for line in lines)


def clean_text(text: str, model: WinnowModel, threshold: Threshold | None = None) -> str:
    """The content of one page dump (see :func:`join_kept`), at ``threshold`` (default: the model's)."""
    _, _, records, p = next(predict_texts([("page", text)], model, ids=False))
    cut = model.threshold if threshold is None else parse_threshold(threshold)
    return join_kept(text, records, keep_mask(p, cut, records.texts))
