"""Cleaning page dumps: keep the content sentences, in order, one block per line as in the input."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from winnow.features import sentence_table
from winnow.model import WinnowModel
from winnow.segment import SentenceRecord, segment_many
from winnow.site_features import REFERENCE_PAGES, SiteReference

PAGE_BATCH = 64  # pages classified together (featurisation and prediction are vectorised per batch)


Prediction = tuple[str, str, list[SentenceRecord], np.ndarray]  # article_id, text, sentences, P(content)


def predict_texts(items: Iterable[tuple[str, str]], model: WinnowModel, batch_size: int = PAGE_BATCH,
                  site: str | None = None, site_reference: SiteReference | None = None) -> Iterator[Prediction]:
    """For each ``(article_id, text)``: its sentence records and their P(content), batched over pages.

    Pages of one known ``site`` are compared with its ``site_reference`` (see :func:`site_reference`) to
    recognise the site's template; without one, each page stands alone.
    """
    pages: list[tuple[str, str]] = []
    for item in items:
        pages.append(item)
        if len(pages) >= batch_size:
            yield from _predict_batch(pages, model, site, site_reference)
            pages = []
    if pages:
        yield from _predict_batch(pages, model, site, site_reference)


def _predict_batch(pages: list[tuple[str, str]], model: WinnowModel, site: str | None,
                   reference: SiteReference | None) -> Iterator[Prediction]:
    sentences = list(segment_many(pages))
    sites = None if site is None or reference is None else [site] * len(pages)
    probabilities = model.predict_proba(sentences, sites, reference)
    for (article_id, text), records, p in zip(pages, sentences, probabilities, strict=True):
        yield article_id, text, records, p


def site_reference(items: Iterable[tuple[str, str]], site: str) -> SiteReference:
    """The pages of ``site`` every page of it is compared with: its first :data:`REFERENCE_PAGES` pages by id
    (``items`` are ``(article_id, text)`` pairs of the site, any order)."""
    pages = heapq.nsmallest(REFERENCE_PAGES, items)
    table = sentence_table(list(segment_many(pages)))
    table["site"] = site
    return SiteReference.build(table)


def join_kept(text: str, records: Sequence[SentenceRecord], keep: Sequence[bool]) -> str:
    """The kept sentences, one input block per output line; adjacent kept sentences keep their spacing."""
    lines: list[str] = []
    current_block, pieces, prev_end = None, [], None
    for record, kept in zip(records, keep, strict=True):
        if not kept:
            prev_end = None
            continue
        if record["block"] != current_block:
            if pieces:
                lines.append("".join(pieces))
            current_block, pieces = record["block"], [record["text"]]
        else:
            gap = text[prev_end:record["char_start"]] if prev_end is not None else " "
            pieces += [gap if gap.strip() == "" and gap else " ", record["text"]]
        prev_end = record["char_end"]
    if pieces:
        lines.append("".join(pieces))
    return "".join(line + "\n" for line in lines)


def clean_text(text: str, model: WinnowModel, threshold: float | None = None) -> str:
    """The content of one page dump (see :func:`join_kept`)."""
    _, _, records, p = next(predict_texts([("page", text)], model))
    cut = model.threshold if threshold is None else threshold
    return join_kept(text, records, p >= cut)
