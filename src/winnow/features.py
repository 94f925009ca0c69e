"""Features of a sentence from text alone, and from its place in the page.

Input everywhere is a *sentence table*: a pandas DataFrame with one row per sentence and at least the
columns ``article_id``, ``block``, ``index`` and ``text``, rows grouped by article and ordered by ``index``
(:func:`sentence_table` builds one from sentence records). All transformers are scikit-learn transformers
so they compose in pipelines and persist with skops.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from spacy.lang.en.stop_words import STOP_WORDS

try:  # compiled text statistics (optional: the Python definition gives the same numbers where it is not built)
    from winnow import _speedups
except ImportError:  # pragma: no cover - depends on the install
    _speedups = None

TABLE_COLUMNS = ("article_id", "block", "index", "text")
_WORD = re.compile(r"\w+", re.UNICODE)
_DIGIT = re.compile(r"\d")
_TIMESTAMP = re.compile(
    r"\b\d{1,2}\s?(?:m|h|d|min|mins|hr|hrs|hours?|minutes?|days?)\b(?:\s+ago)?|\b\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b",
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


def _literals(*literals: str) -> re.Pattern:
    return re.compile("|".join(map(re.escape, literals)))


# Prefilters (see prefiltered_rows): every match of the pattern holds one of these, on lower-cased text.
_PREFILTERS: dict[re.Pattern, re.Pattern] = {
    _PROMO: _literals("subscribe", "newsletter", "sign up", "donat", "support", "follow us", "share", "cookie",
                      "advert", "click", "read more", "log", "register", "download", "app"),
    _META: _literals("updated", "published", "posted", "copyright", "all rights reserved", "tag", "topic", "©"),
    _CAPTION: _literals("image", "photo", "picture", "gallery", "getty", "reuters", "afp", "credit"),
}
_SOURCE_PREFILTER = re.compile(r"\s-|\.\.\.|…")

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
    """Per-sentence statistics of the text itself (see ``TEXT_FEATURES`` for the columns).

    Vectorised over many texts at once (a per-sentence Python loop dominated cleaning time): character classes
    come from a per-code-point lookup table summed per text, word statistics from one flat word list. Values are
    exactly those of the plain per-text definitions (tests compare against a reference implementation).
    """
    texts, rows = distinct(texts)  # pages repeat their cruft: compute each distinct text once
    chunks = [_text_features_chunk(texts[i:i + _TEXT_CHUNK]) for i in range(0, len(texts), _TEXT_CHUNK)]
    return np.vstack(chunks)[rows] if chunks else np.zeros((0, len(TEXT_FEATURES)), dtype=np.float64)


def distinct(texts: Iterable[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts in order of first appearance, and for every input text its row among them."""
    index: dict[str, int] = {}
    rows = [index.setdefault(text, len(index)) for text in texts]
    return list(index), np.array(rows, dtype=np.int64)


_TEXT_CHUNK = 50_000  # texts per vectorised chunk (bounds the per-character arrays)
_BMP = 0x10000


# Whole-number statistics of each text, from which the text features are computed (see text_counts).
TEXT_COUNTS = ("chars", "upper", "digit", "other", "words", "word_chars", "stop_words", "capitalised",
               "ends_sentence_punct", "ends_ellipsis", "ends_colon_or_dash", "starts_upper", "has_quote", "commas")
_STRIPPED_AT_END = "\"'”’)] "  # closing quotes, brackets and spaces ignored when looking at how a text ends


def text_counts(texts: list[str]) -> np.ndarray:
    """:data:`TEXT_COUNTS` of every text, shape (n, 14): the compiled ``winnow._speedups.text_counts`` where
    it is built, else :func:`_text_counts_python`, the definition (tests compare the two on every kind of
    character)."""
    if _speedups is not None:
        return _speedups.text_counts(texts, STOP_WORDS)
    return _text_counts_python(texts)


def _text_counts_python(texts: list[str]) -> np.ndarray:
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    upper, digit, other = _char_class_counts(texts, lengths).T
    words = [_WORD.findall(text) for text in texts]
    n_words = np.fromiter(map(len, words), dtype=np.int64, count=n)
    flat = [word for text_words in words for word in text_words]
    # Lower-casing is per character and "\n" is neither a word character nor cased, so lowering the joined
    # words equals lowering each word (Greek final sigma included).
    lowered = "\n".join(flat).lower().split("\n") if flat else []
    word_chars = _sum_per_text(np.fromiter(map(len, flat), dtype=np.int64, count=len(flat)), n_words)
    stops = _sum_per_text(np.fromiter(map(STOP_WORDS.__contains__, lowered), dtype=np.int64, count=len(flat)),
                          n_words)
    capitalised = _sum_per_text(_char_class_counts(["".join(w[0] for w in flat)], np.array([len(flat)]),
                                                   per_char=True)[:, 0], n_words)
    stripped = [text.rstrip(_STRIPPED_AT_END) for text in texts]
    flags = [
        [s.endswith((".", "!", "?")) for s in stripped],
        [s.endswith(("...", "…")) for s in stripped],
        [s.endswith((":", "-", "|", "—")) for s in stripped],
        [text[:1].isupper() for text in texts],
        [any(q in text for q in "\"“”") for text in texts],
        [text.count(",") for text in texts],
    ]
    return np.column_stack([lengths, upper, digit, other, n_words, word_chars, stops, capitalised,
                            *(np.array(column, dtype=np.int64) for column in flags)]).reshape(n, len(TEXT_COUNTS))


def _text_features_chunk(texts: list[str]) -> np.ndarray:
    n = len(texts)
    counts = text_counts(texts)
    lengths, upper, digit, other, n_words, word_chars, stops, capitalised = counts[:, :8].T
    n_chars = np.maximum(lengths, 1)
    some = np.maximum(n_words, 1)
    flags = counts[:, 8:12].T
    # Exact shortcut: every timestamp holds a digit (``\d`` implies ``str.isdigit``).
    ascii_lowered = _ascii_lowered(texts)
    timestamps = [len(_findall_ignorecase(_TIMESTAMP, text, low)) if has_digit else 0
                  for text, low, has_digit in zip(texts, ascii_lowered, (digit > 0).tolist(), strict=True)]
    searches = [
        [bool(_URLISH.search(text)) for text in texts],
        [count > 0 for count in timestamps],
        search_prefiltered(_SOURCE_STAMP, _SOURCE_PREFILTER, texts),
        *(search_ignorecase(pattern, texts, ascii_lowered) for pattern in (_PROMO, _META, _CAPTION)),
    ]
    return np.column_stack([
        np.log1p(lengths),
        np.log1p(n_words),
        np.where(n_words > 0, word_chars / some, 0.0),
        np.where(n_words > 0, stops / some, 0.0),
        *(column.astype(np.float64) for column in flags),
        np.where(n_words > 0, capitalised / some, 0.0),
        upper / n_chars,
        digit / n_chars,
        other / n_chars,
        np.array(searches[0], dtype=np.float64),
        np.array(timestamps, dtype=np.float64),
        *(np.array(column, dtype=np.float64) for column in searches[2:]),
        counts[:, 12].astype(np.float64),
        counts[:, 13].astype(np.float64),
        (n_words <= 4).astype(np.float64),
    ]).reshape(n, len(TEXT_FEATURES))


def _ascii_lowered(texts: Sequence[str]) -> list[str | None]:
    """Each text lower-cased if it is pure ASCII, else None."""
    return [text.lower() if text.isascii() else None for text in texts]


@lru_cache(maxsize=16)
def _case_sensitive(pattern: re.Pattern) -> re.Pattern:
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def search_ignorecase(pattern: re.Pattern, texts: Sequence[str], ascii_lowered: Sequence[str | None]) -> list[bool]:
    """``bool(pattern.search(text))`` for an IGNORECASE pattern with lower-case literals, many times faster.

    On pure-ASCII text, lower-casing and matching case-sensitively is the same (Unicode case folding only
    adds non-ASCII equivalents such as the long s or the Kelvin sign); other texts use the pattern as is.
    Only the texts the pattern's prefilter (:data:`_PREFILTERS`, required) hits are searched.
    """
    fast = _case_sensitive(pattern)
    prefilter = _PREFILTERS[pattern]
    hits = [False] * len(texts)
    ascii_rows = [i for i, low in enumerate(ascii_lowered) if low is not None]
    other_rows = [i for i, low in enumerate(ascii_lowered) if low is None]
    for row in prefiltered_rows(prefilter, [ascii_lowered[i] for i in ascii_rows]):
        hits[ascii_rows[row]] = bool(fast.search(ascii_lowered[ascii_rows[row]]))
    # other texts: fold every character the pattern matches with an ASCII letter to that letter for the prefilter
    folds = _ascii_folds()
    folded = [texts[i].translate(folds) for i in other_rows]
    for row in prefiltered_rows(prefilter, folded):
        hits[other_rows[row]] = bool(pattern.search(texts[other_rows[row]]))
    return hits


@lru_cache(maxsize=1)
def _ascii_folds() -> dict[int, str]:
    """Every character that IGNORECASE matching equates with an ASCII letter (A, the Kelvin sign, the long s,
    the dotless i...), mapped to the lower-case letter; all of them lie below U+10000 (a test checks)."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    found = [chr(cp) for cp in range(_BMP) if letter.fullmatch(chr(cp))]
    return {ord(char): next(x for x in string.ascii_lowercase if re.fullmatch(x, char, re.IGNORECASE))
            for char in found}


def search_prefiltered(pattern: re.Pattern, prefilter: re.Pattern, texts: Sequence[str]) -> list[bool]:
    """``bool(pattern.search(text))`` for every text, searching only the texts ``prefilter`` hits."""
    hits = [False] * len(texts)
    for row in prefiltered_rows(prefilter, texts):
        hits[row] = bool(pattern.search(texts[row]))
    return hits


def prefiltered_rows(prefilter: re.Pattern, texts: Sequence[str]) -> list[int]:
    """Rows of the texts that ``prefilter`` matches in, found in one scan of the texts joined by newlines.

    A prefilter is a cheap pattern matching inside every match of the pattern it guards (a set of literals
    each match must hold, see :data:`_PREFILTERS`): texts it never hits cannot match, and the pattern runs
    only on the rest. A hit spanning a separator counts for the text before it (a superset is harmless).
    """
    if not texts:
        return []
    joined = "\n".join(texts)
    spans = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    starts = np.cumsum(spans) - spans
    positions = np.fromiter((match.start() for match in prefilter.finditer(joined)), dtype=np.int64)
    return np.unique(np.searchsorted(starts, positions, side="right") - 1).tolist()


def _findall_ignorecase(pattern: re.Pattern, text: str, low: str | None) -> list:
    return _case_sensitive(pattern).findall(low) if low is not None else pattern.findall(text)


def _sum_per_text(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sums of consecutive runs of ``values``, run lengths ``counts`` (zero-length runs sum to 0)."""
    total = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    ends = np.cumsum(counts)
    return total[ends] - total[ends - counts]


@lru_cache(maxsize=1)
def _bmp_classes() -> np.ndarray:
    """For every code point below U+10000: (isupper, isdigit, neither alphanumeric nor space)."""
    return np.array([_classes(chr(cp)) for cp in range(_BMP)], dtype=np.int8)


def _classes(char: str) -> tuple[bool, bool, bool]:
    return char.isupper(), char.isdigit(), (not char.isalnum()) and (not char.isspace())


def _char_class_counts(texts: list[str], lengths: np.ndarray, per_char: bool = False) -> np.ndarray:
    """Per text, how many characters are upper case, digits, and other (punctuation/symbols): shape (n, 3).

    With ``per_char`` the classes of every character of the (single) text instead: shape (len, 3).
    """
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    classes = _bmp_classes()[np.minimum(points, _BMP - 1)]
    for i in np.flatnonzero(points >= _BMP):
        classes[i] = _classes(chr(points[i]))
    if per_char:
        return classes
    total = np.vstack([np.zeros((1, 3), dtype=np.int64), np.cumsum(classes, axis=0, dtype=np.int64)])
    ends = np.cumsum(lengths)
    return total[ends] - total[ends - lengths]


def article_bounds(article_ids: np.ndarray) -> np.ndarray:
    """Start offsets of each article's run of rows, plus the end (rows must be grouped by article)."""
    if len(article_ids) == 0:
        return np.array([0])
    change = np.flatnonzero(article_ids[1:] != article_ids[:-1]) + 1
    return np.concatenate([[0], change, [len(article_ids)]])


def article_index(article_ids: np.ndarray) -> np.ndarray:
    """For every row, the number of its article's run of rows (0, 1, ...; rows grouped by article)."""
    bounds = article_bounds(article_ids)
    return np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))


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


def _window_sums(values: np.ndarray, bounds: np.ndarray, radii: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each radius: per row, the sum of ``values`` (1-D, or 2-D column-wise) over rows ``i-radius ..
    i+radius`` clipped to the row's article, and how many rows that window holds. One cumulative sum per
    article serves every radius and column."""
    out = [(np.empty(values.shape, dtype=np.float64), np.empty(len(values), dtype=np.int64)) for _ in radii]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        csum = np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values[start:end], axis=0)])
        idx = np.arange(end - start)
        for radius, (sums, sizes) in zip(radii, out, strict=True):
            lo, hi = np.maximum(idx - radius, 0), np.minimum(idx + radius + 1, end - start)
            sums[start:end] = csum[hi] - csum[lo]
            sizes[start:end] = hi - lo
    return out


def window_means(values: np.ndarray, bounds: np.ndarray, radii: Sequence[int]) -> list[np.ndarray]:
    """For each radius, the mean of ``values`` over rows ``i-radius .. i+radius`` clipped to the row's article."""
    return [sums / np.maximum(sizes, 1).reshape(-1, *([1] * (values.ndim - 1)))
            for sums, sizes in _window_sums(values, bounds, radii)]


def window_mean(values: np.ndarray, bounds: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over rows ``i-radius .. i+radius`` clipped to the row's article."""
    return window_means(values, bounds, (radius,))[0]


def window_sum(values: np.ndarray, bounds: np.ndarray, radius: int) -> np.ndarray:
    """Sum of ``values`` over rows ``i-radius .. i+radius`` clipped to the row's article."""
    return _window_sums(values, bounds, (radius,))[0][0]


def context_features(table: pd.DataFrame, texts: np.ndarray) -> np.ndarray:
    """Position in the page, the block a sentence sits in, repetition in the page, runs of short lines."""
    article_ids = table["article_id"].to_numpy()
    blocks = table["block"].to_numpy()
    index = table["index"].to_numpy()
    lengths = table["text"].str.len().to_numpy()
    bounds = article_bounds(article_ids)
    out = np.zeros((len(table), len(CONTEXT_FEATURES)), dtype=np.float64)
    distinct_texts, rows = distinct(table["text"])
    normalised = distinct(_DIGIT.sub("0", text.lower()) for text in distinct_texts)[1]
    # how often each sentence's normalised text occurs in its page
    page_and_text = article_index(article_ids) * (int(normalised.max(initial=0)) + 1) + normalised[rows]
    _, occurrence, occurrences = np.unique(page_and_text, return_inverse=True, return_counts=True)
    repeats = occurrences[occurrence]
    short = texts[:, TEXT_FEATURES.index("is_short")]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        n = end - start
        blk = blocks[start:end]
        _, block_of, block_sizes = np.unique(blk, return_inverse=True, return_counts=True)
        block_chars = np.bincount(block_of, weights=lengths[start:end])
        first_in_block = np.r_[True, blk[1:] != blk[:-1]]
        pos_in_block = np.arange(n) - np.maximum.accumulate(np.where(first_in_block, np.arange(n), 0))
        out[start:end] = np.column_stack([
            index[start:end] / max(n - 1, 1),
            block_of / max(block_of.max(), 1),
            np.log1p(block_sizes[block_of]),
            np.log1p(block_chars[block_of]),
            np.log1p(pos_in_block),
            first_in_block.astype(float),
            (block_sizes[block_of] == 1).astype(float),
            np.full(n, np.log1p(n)),
            np.log1p(repeats[start:end] - 1),
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
    sources = texts[:, [TEXT_FEATURES.index(name) for name in WINDOW_SOURCES]]
    means = window_means(sources, bounds, WINDOWS)
    parts = []
    for j in range(sources.shape[1]):
        parts += [shift_within(sources[:, j], article_ids, k) for k in (-2, -1, 1, 2)]
        parts += [mean[:, j] for mean in means]
    return np.column_stack(parts) if parts else np.zeros((len(texts), 0))


class PageFeatures(TransformerMixin, BaseEstimator):
    """Dense features of each sentence: its text, its place in the page, and its neighbours."""

    def fit(self, table: pd.DataFrame, y=None):
        return self

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        texts = text_features(table["text"].tolist())
        article_ids = table["article_id"].to_numpy()
        bounds = article_bounds(article_ids)
        return np.hstack([texts, context_features(table, texts), neighbour_features(texts, article_ids, bounds),
                          main_region_features(table, texts), block_features(table, texts),
                          comment_features(table)])


def probability_context(p: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Features from a previous pass's P(content): neighbours' values, window and block means."""
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    block_key = table["article_id"].astype(str) + "#" + table["block"].astype(str)
    block_mean = pd.Series(p).groupby(block_key.to_numpy()).transform("mean").to_numpy()
    parts = [p, block_mean]
    parts += [shift_within(p, article_ids, k, fill=0.5) for k in (-3, -2, -1, 1, 2, 3)]
    parts += window_means(p, bounds, (1, 2, 5, 10))
    return np.column_stack(parts)


def main_region_features(table: pd.DataFrame, texts: np.ndarray) -> np.ndarray:
    """Where a sentence lies relative to the page's main run of prose.

    The main region is the contiguous run of sentences with the largest sum of a prose score (+words for a
    sentence of 6+ words ending in . ! or ?, -words - 2 otherwise): the stretch a reader's eye would call
    "the article". Columns: inside it, log distance to it (sentences), its share of the page's words, the
    sentence's relative position inside it, and the share of the page's words before the sentence.
    """
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    words = np.expm1(texts[:, TEXT_FEATURES.index("log_words")])
    prose = (texts[:, TEXT_FEATURES.index("ends_sentence_punct")] > 0) & (words >= 6)
    score = np.where(prose, words, -words - 2.0)
    out = np.zeros((len(table), 5), dtype=np.float64)
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        lo, hi = _max_subarray(score[start:end])
        idx = np.arange(end - start)
        page_words = max(words[start:end].sum(), 1.0)
        inside = (idx >= lo) & (idx < hi)
        distance = np.where(idx < lo, lo - idx, np.where(idx >= hi, idx - hi + 1, 0))
        cumulative = np.concatenate([[0.0], np.cumsum(words[start:end])[:-1]]) / page_words
        out[start:end] = np.column_stack([
            inside.astype(float),
            np.log1p(distance),
            np.full(end - start, words[start + lo:start + hi].sum() / page_words),
            np.clip((idx - lo) / max(hi - lo, 1), -1.0, 2.0),
            cumulative,
        ])
    return out


def _max_subarray(values: np.ndarray) -> tuple[int, int]:
    """``(lo, hi)`` of the contiguous slice with the largest sum (Kadane); an empty page gives (0, 0)."""
    best, best_lo, best_hi = -np.inf, 0, 0
    running, lo = 0.0, 0
    for i, value in enumerate(values.tolist()):
        if running <= 0:
            running, lo = value, i
        else:
            running += value
        if running > best:
            best, best_lo, best_hi = running, lo, i + 1
    return best_lo, best_hi


BLOCK_MEAN_SOURCES = ("log_words", "stop_density", "ends_sentence_punct", "title_case_share", "digit_share",
                      "punct_share", "n_timestamps", "has_source_stamp", "has_promo_word", "has_caption_word")


def block_features(table: pd.DataFrame, texts: np.ndarray) -> np.ndarray:
    """The line a sentence sits in, as a whole: means of text features over the block, and how the block
    ends and starts (a line that does not end in . ! ? is rarely article prose: C4's strongest line rule)."""
    key = table["article_id"].astype(str).to_numpy() + "\x1f" + table["block"].astype(str).to_numpy()
    _, block_of = np.unique(key, return_inverse=True)
    counts = np.bincount(block_of)
    columns = []
    for name in BLOCK_MEAN_SOURCES:
        values = texts[:, TEXT_FEATURES.index(name)]
        columns.append((np.bincount(block_of, weights=values) / counts)[block_of])
    order = np.arange(len(table))
    last_row = np.zeros(len(counts), dtype=np.int64)
    np.maximum.at(last_row, block_of, order)
    first_row = np.full(len(counts), len(table), dtype=np.int64)
    np.minimum.at(first_row, block_of, order)
    ends = texts[:, TEXT_FEATURES.index("ends_sentence_punct")]
    starts_upper = texts[:, TEXT_FEATURES.index("starts_upper")]
    words = np.expm1(texts[:, TEXT_FEATURES.index("log_words")])
    block_words = np.bincount(block_of, weights=words)
    columns += [ends[last_row][block_of], starts_upper[first_row][block_of], np.log1p(block_words)[block_of]]
    return np.column_stack(columns) if len(table) else np.zeros((0, len(BLOCK_MEAN_SOURCES) + 3))


_COMMENT_MARKER = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|responses?|replies|reactions?)\b|\b(?:leave|post|add|write) (?:a|your) "
    r"(?:comment|reply)\b|\bcomments? (?:are )?closed\b|^\W*reply\W*$|\bsays:?\s*$|\b(?:said|wrote) on\b",
    re.I,
)
_PREFILTERS[_COMMENT_MARKER] = _literals("comment", "respons", "repl", "reaction", "says", "said", "wrote")


def comment_features(table: pd.DataFrame) -> np.ndarray:
    """Comment threads read like prose but are not the article: flag marker lines ("12 Comments", "Leave a
    reply", "Reply", "Anna says:") and, for every sentence, how many markers precede it in the page and how
    many lie within 5 sentences."""
    texts, rows = distinct(table["text"])
    marker = np.array(search_ignorecase(_COMMENT_MARKER, texts, _ascii_lowered(texts)), dtype=float)[rows]
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    before = np.zeros(len(table))
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        before[start:end] = np.concatenate([[0.0], np.cumsum(marker[start:end])[:-1]])
    return np.column_stack([marker, np.log1p(before), window_sum(marker, bounds, 5)])
