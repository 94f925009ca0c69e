"""Cleaning page dumps: keep the content sentences, in order, one block per line as in the input."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from winnow.model import WinnowModel
from winnow.segment import SentenceRecord, segment_many

PAGE_BATCH = 64  # pages classified together (featurisation and prediction are vectorised per batch)


Prediction = tuple[str, str, list[SentenceRecord], np.ndarray]  # article_id, text, sentences, P(content)


def predict_texts(items: Iterable[tuple[str, str]], model: WinnowModel, batch_size: int = PAGE_BATCH,
                  ) -> Iterator[Prediction]:
    """For each ``(article_id, text)``: its sentence records and their P(content), batched over pages."""
    pages: list[tuple[str, str]] = []
    for item in items:
        pages.append(item)
        if len(pages) >= batch_size:
            yield from _predict_batch(pages, model)
            pages = []
    if pages:
        yield from _predict_batch(pages, model)


def _predict_batch(pages: list[tuple[str, str]], model: WinnowModel) -> Iterator[Prediction]:
    sentences = list(segment_many(pages))
    for (article_id, text), records, p in zip(pages, sentences, model.predict_proba(sentences), strict=True):
        yield article_id, text, records, p


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
