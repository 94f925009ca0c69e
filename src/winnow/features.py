"""Features of a sentence from text alone, and from its place in the page.

Input everywhere is a *sentence table*: a pandas DataFrame with one row per sentence and at least the
columns ``article_id``, ``block``, ``index`` and ``text``, rows grouped by article and ordered by ``index``
(:func:`sentence_table` builds one from sentence records). All transformers are scikit-learn transformers
so they compose in pipelines and persist with skops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from spacy.lang.en.stop_words import STOP_WORDS

TABLE_COLUMNS = ("article_id", "block", "index", "text")
_WORD = re.compile(r"\w+", re.UNICODE)
_TIMESTAMP = re.compile(
    r"\b\d{1,2}\s?(?:m|h|d|min|mins|hr|hrs|hours?|minutes?|days?)\b(?:\s+ago)?|\b\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b",
    re.I,
)
_SOURCE_STAMP = re.compile(r"(?:\s-\s|\s-$|\.{3}|…)")
_URLISH = re.compile(r"https?://|www\.|\.com\b|\.co\.uk\b|@\w|#\w|\|")
_PROMO = re.compile(
    r"\b(?:subscribe|newsletter|sign up|donat\w*|support (?:us|now)|follow us|share|cookie|advert\w*|click|"
    r"read more|log ?in|register|download|app)\b",
    re.I,
)
_META = re.compile(r"\b(?:updated|published|posted|copyright|all rights reserved|tags?|topics?)\b|©", re.I)
_CAPTION = re.compile(r"\b(?:image|photo|picture|gallery|getty|reuters|ap photo|afp|credit)\b", re.I)

TEXT_FEATURES = (
    "log_chars", "log_words", "mean_word_len", "stop_density", "ends_sentence_punct", "ends_ellipsis",
    "ends_colon_or_dash", "starts_upper", "title_case_share", "upper_share", "digit_share", "punct_share",
    "has_urlish", "n_timestamps", "has_source_stamp", "has_promo_word", "has_meta_word", "has_caption_word",
    "has_quote", "n_commas", "is_short",
)
CONTEXT_FEATURES = (
    "rel_position", "rel_block", "block_n_sents", "block_log_chars", "pos_in_block", "is_block_start",
    "block_is_single", "page_log_sents", "dup_in_page", "run_len_short",
)
# Text features averaged over neighbouring sentences (jusText: cruft comes in runs).
WINDOW_SOURCES = ("log_words", "stop_density", "ends_sentence_punct", "title_case_share", "n_timestamps",
                  "has_source_stamp", "is_short")
WINDOWS = (1, 3, 8)


def sentence_table(articles: Iterable[Sequence[dict]]) -> pd.DataFrame:
    """One row per sentence record, articles kept in order, sentences in ``index`` order."""
    rows = [record for article in articles for record in sorted(article, key=lambda r: r["index"])]
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in TABLE_COLUMNS})
    return pd.DataFrame.from_records(rows)


def text_features(texts: Sequence[str]) -> np.ndarray:
    """Per-sentence statistics of the text itself (see ``TEXT_FEATURES`` for the columns)."""
    return np.array([_one_text(text) for text in texts], dtype=np.float64).reshape(len(texts), len(TEXT_FEATURES))


def _one_text(text: str) -> list[float]:
    words = _WORD.findall(text)
    n_words = len(words)
    n_chars = max(len(text), 1)
    lowered = [w.lower() for w in words]
    stripped = text.rstrip("\"'”’)] ")
    return [
        np.log1p(len(text)),
        np.log1p(n_words),
        sum(map(len, words)) / n_words if n_words else 0.0,
        sum(w in STOP_WORDS for w in lowered) / n_words if n_words else 0.0,
        float(stripped.endswith((".", "!", "?"))),
        float(stripped.endswith(("...", "…"))),
        float(stripped.endswith((":", "-", "|", "—"))),
        float(text[:1].isupper()),
        sum(w[:1].isupper() for w in words) / n_words if n_words else 0.0,
        sum(c.isupper() for c in text) / n_chars,
        sum(c.isdigit() for c in text) / n_chars,
        sum((not c.isalnum()) and (not c.isspace()) for c in text) / n_chars,
        float(bool(_URLISH.search(text))),
        float(len(_TIMESTAMP.findall(text))),
        float(bool(_SOURCE_STAMP.search(text))),
        float(bool(_PROMO.search(text))),
        float(bool(_META.search(text))),
        float(bool(_CAPTION.search(text))),
        float(any(q in text for q in "\"“”")),
        float(text.count(",")),
        float(n_words <= 4),
    ]


def article_bounds(article_ids: np.ndarray) -> np.ndarray:
    """Start offsets of each article's run of rows, plus the end (rows must be grouped by article)."""
    if len(article_ids) == 0:
        return np.array([0])
    change = np.flatnonzero(article_ids[1:] != article_ids[:-1]) + 1
    return np.concatenate([[0], change, [len(article_ids)]])


def shift_within(values: np.ndarray, article_ids: np.ndarray, offset: int, fill: float = -1.0) -> np.ndarray:
    """``values`` moved by ``offset`` rows, never across an article boundary (``fill`` where nothing is)."""
    out = np.full_like(values, fill, dtype=np.float64)
    n = len(values)
    if offset > 0 and offset < n:
        same = article_ids[offset:] == article_ids[:-offset]
        out[offset:][same] = values[:-offset][same]
    elif offset < 0 and -offset < n:
        same = article_ids[:offset] == article_ids[-offset:]
        out[:offset][same] = values[-offset:][same]
    return out


def window_mean(values: np.ndarray, bounds: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over rows ``i-radius .. i+radius`` clipped to the row's article."""
    out = np.empty(len(values), dtype=np.float64)
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        segment = values[start:end]
        csum = np.concatenate([[0.0], np.cumsum(segment, axis=0)])
        idx = np.arange(len(segment))
        lo = np.clip(idx - radius, 0, len(segment))
        hi = np.clip(idx + radius + 1, 0, len(segment))
        out[start:end] = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
    return out


def context_features(table: pd.DataFrame, texts: np.ndarray) -> np.ndarray:
    """Position in the page, the block a sentence sits in, repetition in the page, runs of short lines."""
    article_ids = table["article_id"].to_numpy()
    blocks = table["block"].to_numpy()
    index = table["index"].to_numpy()
    lengths = table["text"].str.len().to_numpy()
    bounds = article_bounds(article_ids)
    out = np.zeros((len(table), len(CONTEXT_FEATURES)), dtype=np.float64)
    normalised = table["text"].str.lower().str.replace(r"\d", "0", regex=True)
    short = texts[:, TEXT_FEATURES.index("is_short")]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        n = end - start
        blk = blocks[start:end]
        _, block_of, block_sizes = np.unique(blk, return_inverse=True, return_counts=True)
        block_chars = np.bincount(block_of, weights=lengths[start:end])
        first_in_block = np.r_[True, blk[1:] != blk[:-1]]
        pos_in_block = np.arange(n) - np.maximum.accumulate(np.where(first_in_block, np.arange(n), 0))
        counts = normalised.iloc[start:end].map(normalised.iloc[start:end].value_counts())
        out[start:end] = np.column_stack([
            index[start:end] / max(n - 1, 1),
            block_of / max(block_of.max(), 1),
            np.log1p(block_sizes[block_of]),
            np.log1p(block_chars[block_of]),
            np.log1p(pos_in_block),
            first_in_block.astype(float),
            (block_sizes[block_of] == 1).astype(float),
            np.full(n, np.log1p(n)),
            np.log1p(counts.to_numpy() - 1),
            _run_lengths(short[start:end]),
        ])
    return out


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """For each row, log1p of the length of the run of equal flags it belongs to, signed by the flag."""
    out = np.zeros(len(flags))
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            out[start:i] = np.log1p(i - start) * (1 if flags[start] else -1)
            start = i
    return out


def neighbour_features(texts: np.ndarray, article_ids: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Selected text features of the previous/next two sentences and window means around each sentence."""
    cols = [texts[:, TEXT_FEATURES.index(name)] for name in WINDOW_SOURCES]
    parts = []
    for col in cols:
        parts += [shift_within(col, article_ids, k) for k in (-2, -1, 1, 2)]
        parts += [window_mean(col, bounds, radius) for radius in WINDOWS]
    return np.column_stack(parts) if parts else np.zeros((len(texts), 0))


class PageFeatures(TransformerMixin, BaseEstimator):
    """Dense features of each sentence: its text, its place in the page, and its neighbours."""

    def fit(self, table: pd.DataFrame, y=None):
        return self

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        texts = text_features(table["text"].tolist())
        article_ids = table["article_id"].to_numpy()
        bounds = article_bounds(article_ids)
        return np.hstack([texts, context_features(table, texts), neighbour_features(texts, article_ids, bounds)])


class TextColumn(TransformerMixin, BaseEstimator):
    """Select the ``text`` column of a sentence table as a list (for the n-gram vectorizers)."""

    def fit(self, table: pd.DataFrame, y=None):
        return self

    def transform(self, table: pd.DataFrame) -> list[str]:
        return table["text"].tolist()


def probability_context(p: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Features from a previous pass's P(content): neighbours' values, window and block means."""
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    block_key = table["article_id"].astype(str) + "#" + table["block"].astype(str)
    block_mean = pd.Series(p).groupby(block_key.to_numpy()).transform("mean").to_numpy()
    parts = [p, block_mean]
    parts += [shift_within(p, article_ids, k, fill=0.5) for k in (-3, -2, -1, 1, 2, 3)]
    parts += [window_mean(p, bounds, radius) for radius in (1, 2, 5, 10)]
    return np.column_stack(parts)
