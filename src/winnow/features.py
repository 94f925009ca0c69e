"""Features of a sentence from text alone, and from its place in the page.

Input everywhere is a *sentence table*: a pandas DataFrame with one row per sentence and at least the
columns ``article_id``, ``block``, ``index`` and ``text``, rows grouped by article and ordered by ``index``
(:func:`sentence_table` builds one from sentence records). All transformers are scikit-learn transformers
so they compose in pipelines and persist with skops.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from spacy.lang.en.stop_words import STOP_WORDS

from winnow.segment import PageSentences

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
# Lines that open or belong to a comment thread (see comment_features).
_COMMENT_MARKER = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|responses?|replies|reactions?)\b|\b(?:leave|post|add|write) (?:a|your) "
    r"(?:comment|reply)\b|\bcomments? (?:are )?closed\b|^\W*reply\W*$|\bsays:?\s*$|\b(?:said|wrote) on\b",
    re.I,
)
_CAPTION = re.compile(r"\b(?:image|photo|picture|gallery|getty|reuters|ap photo|afp|credit)\b", re.I)


# Every character ``\s`` matches (str.isspace: a test checks the regex agrees).
_WHITESPACE = tuple(char for char in map(chr, range(0x3001)) if char.isspace())

# Literal prefilters (see FoldedTexts): every match of a pattern holds one of its literals once the text is
# folded by FoldedTexts, so only the texts holding one are searched with the pattern.
_PREFILTER_LITERALS: dict[re.Pattern, tuple[str, ...]] = {
    _PROMO: ("subscribe", "newsletter", "sign up", "donat", "support us", "support now", "follow us", "share",
             "cookie", "advert", "click", "read more", "login", "log in", "register", "download", "app"),
    _META: ("updated", "published", "posted", "copyright", "all rights reserved", "tag", "topic", "©"),
    _CAPTION: ("image", "photo", "picture", "gallery", "getty", "reuters", "afp", "credit"),
    _SOURCE_STAMP: (*(space + "-" for space in _WHITESPACE), "...", "…"),
    _URLISH: ("http", "www.", ".com", ".co.uk", "@", "#", "|"),
    _COMMENT_MARKER: ("comment", "respons", "repl", "reaction", "says", "said on", "wrote on"),
}

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
SHIFTS = (-2, -1, 1, 2)  # shift_within offsets: -2 brings the value of the sentence two after, 2 two before
# The columns of neighbour_features: for each source, its value in the sentences two and one after, one and two
# before ("stop_density@+2", "@+1", "@-1", "@-2"), then its window means ("stop_density@w1", "@w3", "@w8").
NEIGHBOUR_FEATURES = tuple(f"{source}@{position}" for source in WINDOW_SOURCES
                           for position in (*(f"{-k:+d}" for k in SHIFTS), *(f"w{r}" for r in WINDOWS)))
# Page feature groups (page_feature_parts) whose columns have names, so that a model can leave some out.
NAMED_PAGE_PARTS = {0: TEXT_FEATURES, 2: NEIGHBOUR_FEATURES}


def sentence_table(articles: Iterable[Sequence[dict]]) -> pd.DataFrame:
    """One row per sentence record, articles kept in order, sentences in ``index`` order."""
    articles = list(articles)
    if articles and all(type(article) is PageSentences for article in articles):
        return _table_of_pages(articles)
    rows = [record for article in articles for record in sorted(article, key=lambda r: r["index"])]
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in TABLE_COLUMNS})
    columns = dict.fromkeys(itertools.chain.from_iterable(rows))  # every key, in order of first appearance
    return pd.DataFrame({column: _column([row.get(column) for row in rows]) for column in columns}, copy=False)


def _table_of_pages(pages: list[PageSentences]) -> pd.DataFrame:
    """:func:`sentence_table` of pages segmented as columns: the same table, without a dict per sentence."""
    sizes = [len(page) for page in pages]
    if not sum(sizes):
        return sentence_table([])
    with_ids = [page.sentence_ids is not None for page in pages]
    if any(with_ids) and not all(with_ids):
        return sentence_table([list(page) for page in pages])

    def chained(name: str) -> list:
        return list(itertools.chain.from_iterable(getattr(page, name) for page in pages))

    def integers(name: str) -> np.ndarray:
        return np.fromiter(itertools.chain.from_iterable(getattr(page, name) for page in pages), dtype=np.int64,
                           count=sum(sizes))

    return pd.DataFrame({
        "article_id": pd.Series(np.repeat(np.array([page.article_id for page in pages], dtype=object), sizes),
                                dtype=object),
        "sentence_id": _column(chained("sentence_ids") if all(with_ids) else [None] * sum(sizes)),
        "block": integers("blocks"),
        "index": np.concatenate([np.arange(size, dtype=np.int64) for size in sizes]),
        "char_start": integers("char_starts"),
        "char_end": integers("char_ends"),
        "text": _column(chained("texts")),
    }, copy=False)


def _column(values: list) -> pd.Series:
    """A column of Python strings stays an object column: pandas' default Arrow strings are built and read
    back one Python string at a time, which cost more than every feature of the page put together."""
    return pd.Series(values, dtype=object if isinstance(values[0], str) else None)


def text_features(texts: Sequence[str]) -> np.ndarray:
    """Per-sentence statistics of the text itself (see ``TEXT_FEATURES`` for the columns).

    Vectorised over many texts at once (a per-sentence Python loop dominated cleaning time): character classes
    come from a per-code-point lookup table summed per text, word statistics from one flat word list. Values are
    exactly those of the plain per-text definitions (tests compare against a reference implementation).
    """
    return text_features_and_comment_markers(texts)[0]


def text_features_and_comment_markers(texts: Sequence[str], unique: DistinctTexts | None = None,
                                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`text_features`, and whether each text is a comment-thread marker (see :func:`comment_features`):
    both from one pass over the distinct texts (they share its keyword scan). ``unique``: ``DistinctTexts(texts)``,
    where the caller has it already."""
    if unique is None:  # pages repeat their cruft: compute each distinct text once
        unique = DistinctTexts(texts)
    texts, low = unique.texts, unique.lowered
    chunks = [_text_features_chunk(texts[i:i + _TEXT_CHUNK], low[i:i + _TEXT_CHUNK])
              for i in range(0, len(texts), _TEXT_CHUNK)]
    if not chunks:
        return np.zeros((0, len(TEXT_FEATURES)), dtype=np.float64, order="F"), np.zeros(0)
    rows = unique.rows
    # one row per feature: each feature is gathered in one pass, and transposed back the matrix is Fortran-ordered
    by_column = np.hstack([features.T for features, _ in chunks])
    return np.take(by_column, rows, axis=1).T, np.concatenate([m for _, m in chunks])[rows]


def distinct(texts: Iterable[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts in order of first appearance, and for every input text its row among them."""
    index: dict[str, int] = {}
    rows = [index.setdefault(text, len(index)) for text in texts]
    return list(index), np.array(rows, dtype=np.int64)


class DistinctTexts:
    """The distinct sentence texts of a table (:func:`distinct`), with their lower-cased and normalised forms
    computed on first use: the text features, the in-page repetition count, the n-gram hasher and the site
    repetition features all read them, so a batch of pages computes each once."""

    def __init__(self, texts: Iterable[str]):
        self.texts, self.rows = distinct(texts)

    @cached_property
    def lowered(self) -> list[str]:
        return lowered(self.texts)

    @cached_property
    def normalised(self) -> list[str]:
        """Each distinct text lower-cased, digits as 0."""
        return _normalised(self.texts, self.lowered)

    @cached_property
    def normalised_rows(self) -> np.ndarray:
        """Each distinct text's row among the distinct normalised texts (lower case, digits as 0)."""
        return distinct(self.normalised)[1]


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


def _text_features_chunk(texts: list[str], low: list[str]) -> tuple[np.ndarray, np.ndarray]:
    n = len(texts)
    counts = text_counts(texts)
    lengths, upper, digit, other, n_words, word_chars, stops, capitalised = counts[:, :8].T
    n_chars = np.maximum(lengths, 1)
    some = np.maximum(n_words, 1)
    flags = counts[:, 8:12].T
    # Exact shortcut: the pattern runs only where it can match (compiled check; else: every timestamp holds a
    # digit, and ``\d`` implies ``str.isdigit``).
    candidates = digit > 0 if _speedups is None else _speedups.timestamp_candidates(texts)
    ascii_lowered = [lower if text.isascii() else None for text, lower in zip(texts, low, strict=True)]
    timestamps = [len(_findall_ignorecase(_TIMESTAMP, text, low)) if candidate else 0
                  for text, low, candidate in zip(texts, ascii_lowered, candidates.tolist(), strict=True)]
    folded = FoldedTexts(texts, low)
    searches = [folded.search(_URLISH), [count > 0 for count in timestamps],
                *(folded.search(pattern) for pattern in (_SOURCE_STAMP, _PROMO, _META, _CAPTION))]
    markers = np.array(folded.search(_COMMENT_MARKER), dtype=np.float64)
    return stack_columns([
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
    ]).reshape(n, len(TEXT_FEATURES)), markers


@lru_cache(maxsize=16)
def _case_sensitive(pattern: re.Pattern) -> re.Pattern:
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


# The characters IGNORECASE equates with an ASCII letter that ``str.lower`` does not turn into that letter (the
# dotted capital I lowers to two characters); a test checks the list is complete.
_FOLD_TO_ASCII = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}


class FoldedTexts:
    """Many texts searched for literal-prefiltered patterns (:data:`_PREFILTER_LITERALS`), many times faster
    than running each pattern on each text.

    The texts are joined by newlines and case-folded once (:data:`_FOLD_TO_ASCII`, then ``str.lower``; every
    character keeps its position). The literals of every pattern are found in one compiled scan of the folded
    text (``winnow._speedups.literal_rows``; where it is not built, with ``str.find``, one literal at a time:
    either way not the regex engine's position-by-position scan), and only the texts holding one are searched
    with the pattern. Results equal ``bool(pattern.search(text))`` for every text (a fuzz test checks every
    pattern, both ways).
    """

    def __init__(self, texts: Sequence[str], low: Sequence[str] | None = None):
        """``low``: the texts lower-cased, where the caller has them (an ASCII text is then not lowered again)."""
        self.texts = list(texts)
        self.low = low
        joined = "\n".join(self.texts)
        if joined.isascii() or not any(char in joined for char in _FOLD_TO_ASCII):
            # lower-casing goes character by character, and a newline reads as the end of a text to the final-sigma
            # rule (the one rule that looks at neighbours): the joined lowered texts are the joined text lowered
            self.folded = joined.lower() if low is None else "\n".join(low)
        else:
            for char, letter in _FOLD_TO_ASCII.items():
                joined = joined.replace(char, letter)
            self.folded = joined.lower()
        lengths = np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.texts)) + 1
        self.ends = np.cumsum(lengths)  # one past each text's separator
        self._candidates: dict[re.Pattern, list[int]] | None = None

    def candidates(self, pattern: re.Pattern) -> list[int]:
        """The rows holding one of ``pattern``'s prefilter literals: for every pattern at once, in one compiled
        scan (``winnow._speedups.literal_rows``) where it is built, else :meth:`rows_holding`."""
        if _speedups is None:
            return self.rows_holding(_PREFILTER_LITERALS[pattern])
        if self._candidates is None:
            rows = _speedups.literal_rows(self.folded, self.ends, list(_PREFILTER_LITERALS.values()))
            self._candidates = dict(zip(_PREFILTER_LITERALS, rows, strict=True))
        return self._candidates[pattern]

    def rows_holding(self, literals: Iterable[str]) -> list[int]:
        """The rows whose folded text holds one of ``literals`` (lower case, no newline), in order."""
        ends = self.ends.tolist()
        rows: set[int] = set()
        for literal in literals:
            found = self.folded.find(literal)
            while found >= 0:
                row = bisect.bisect_right(ends, found)
                rows.add(row)  # the rest of this text cannot add anything: go on from the next one
                found = self.folded.find(literal, ends[row]) if row + 1 < len(ends) else -1
        return sorted(rows)

    def search(self, pattern: re.Pattern) -> list[bool]:
        """``bool(pattern.search(text))`` for every text; ``pattern`` must have prefilter literals."""
        hits = [False] * len(self.texts)
        ignorecase = bool(pattern.flags & re.IGNORECASE)
        fast = _case_sensitive(pattern)
        for row in self.candidates(pattern):
            text = self.texts[row]
            if ignorecase and text.isascii():  # on ASCII, lower-casing then matching case-sensitively is the same
                hits[row] = bool(fast.search(text.lower() if self.low is None else self.low[row]))
            else:
                hits[row] = bool(pattern.search(text))
        return hits


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


def stack_columns(columns: Sequence[np.ndarray]) -> np.ndarray:
    """``np.column_stack(columns)`` as float64 in Fortran order: each column (a 1-D array, or every column of a
    2-D one) is copied whole. Feature matrices are built column by column, and ``np.column_stack`` writes a
    C-ordered matrix element by element across rows, three times slower; the gradient boosting reads either
    order (the values, and so the model, are the same)."""
    rows = [column.reshape(1, -1) if column.ndim == 1 else column.T for column in columns]
    return np.concatenate(rows, axis=0, dtype=np.float64).T


def article_bounds(article_ids: np.ndarray, blocks: np.ndarray | None = None) -> np.ndarray:
    """Start offsets of each article's run of rows, plus the end (rows must be grouped by article); with
    ``blocks``, of each run of rows that share an article and a block (a line of the page)."""
    article_ids = np.asarray(article_ids)
    if len(article_ids) == 0:
        return np.array([0])
    change = article_ids[1:] != article_ids[:-1]
    if blocks is not None:
        blocks = np.asarray(blocks)
        change |= blocks[1:] != blocks[:-1]
    return np.concatenate([[0], np.flatnonzero(change) + 1, [len(article_ids)]])


def page_of_rows(bounds: np.ndarray) -> np.ndarray:
    """For every row, the number of its page (0, 1, ...) from the pages' :func:`article_bounds`."""
    return np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))


def shift_within(values: np.ndarray, article_ids: np.ndarray, offset: int, fill: float = -1.0) -> np.ndarray:
    """``values`` (1-D, or 2-D: every column) moved by ``offset`` rows, never across an article boundary
    (``fill`` where nothing is)."""
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
    if _speedups is not None:  # the same arithmetic, compiled (tests compare the two)
        columns = np.ascontiguousarray(values, dtype=np.float64).reshape(len(values), -1)
        sums, sizes = _speedups.window_sums(columns, np.asarray(bounds, dtype=np.int64), list(radii))
        return [(sums[r].reshape(values.shape), sizes[r]) for r in range(len(radii))]
    return _window_sums_python(values, bounds, radii)


def _window_sums_python(values: np.ndarray, bounds: np.ndarray, radii: Sequence[int],
                        ) -> list[tuple[np.ndarray, np.ndarray]]:
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


def context_features(table: pd.DataFrame, texts: np.ndarray, unique: DistinctTexts | None = None) -> np.ndarray:
    """Position in the page, the block a sentence sits in, repetition in the page, runs of short lines.

    Computed for all pages at once: a page's rows are a run, and every per-page quantity is a group statistic.
    ``unique``: the table's distinct texts, where the caller has them already.
    """
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    page_of = page_of_rows(bounds)
    page_size, page_start = np.diff(bounds)[page_of], bounds[:-1][page_of]
    blocks = table["block"].to_numpy()
    # the blocks of each page, numbered in sorted order within the page (np.unique per page)
    blocks = blocks.astype(np.int64) - blocks.min(initial=0)
    page_and_block = page_of * (int(blocks.max(initial=0)) + 1) + blocks
    _, block_group, block_sizes = np.unique(page_and_block, return_inverse=True, return_counts=True)
    first_group = np.full(len(bounds) - 1, len(block_sizes), dtype=np.int64)
    np.minimum.at(first_group, page_of, block_group)
    block_of = block_group - first_group[page_of]
    last_block = np.zeros(len(bounds) - 1, dtype=np.int64)
    np.maximum.at(last_block, page_of, block_of)
    lengths = np.fromiter(map(len, table["text"].tolist()), dtype=np.int64, count=len(table))
    block_chars = np.bincount(block_group, weights=lengths)
    row = np.arange(len(table))
    first_in_block = (row == page_start) | np.r_[True, blocks[1:] != blocks[:-1]]
    pos_in_block = row - np.maximum.accumulate(np.where(first_in_block, row, 0))
    repeats = _repeats_in_page(DistinctTexts(table["text"]) if unique is None else unique, page_of)
    block_n = block_sizes[block_group]
    return stack_columns([
        table["index"].to_numpy() / np.maximum(page_size - 1, 1),
        block_of / np.maximum(last_block[page_of], 1),
        np.log1p(block_n),
        np.log1p(block_chars[block_group]),
        np.log1p(pos_in_block),
        first_in_block.astype(float),
        (block_n == 1).astype(float),
        np.log1p(page_size),
        np.log1p(repeats - 1),
        _run_lengths(texts[:, TEXT_FEATURES.index("is_short")], row == page_start),
    ]).reshape(len(table), len(CONTEXT_FEATURES))


def lowered(texts: Sequence[str]) -> list[str]:
    """``[text.lower() for text in texts]``: one call per text is three times faster than lowering the joined
    texts, as most sentences are ASCII, which ``str.lower`` lowers by a fast path that a joined text with one
    non-ASCII character anywhere loses."""
    return [text.lower() for text in texts]


def _joined_without_newlines(texts: Sequence[str]) -> str | None:
    """The texts joined by newlines, or None where a text holds a newline itself (or there is none)."""
    joined = "\n".join(texts)
    return joined if texts and joined.count("\n") == len(texts) - 1 else None


def _normalised(texts: list[str], low: list[str] | None = None) -> list[str]:
    """Each text lower-cased (``low``, where the caller has it), digits as 0 (both steps go character by
    character: one pass over the joined texts, as :func:`lowered` does)."""
    joined = _joined_without_newlines(texts)
    if joined is None:
        return [digits_to_zero(text.lower()) for text in texts]
    return digits_to_zero(joined.lower() if low is None else "\n".join(low)).split("\n")


def digits_to_zero(text: str) -> str:
    """``text`` with every digit ``\\d`` matches replaced by "0" (compiled where ``winnow._speedups`` is built;
    a test compares the two on every code point)."""
    return _DIGIT.sub("0", text) if _speedups is None else _speedups.digits_to_zero(text)


def _repeats_in_page(unique: DistinctTexts, page_of: np.ndarray) -> np.ndarray:
    """How often each sentence's text, lower-cased with digits as 0, occurs in its page."""
    normalised = unique.normalised_rows
    page_and_text = page_of * (int(normalised.max(initial=0)) + 1) + normalised[unique.rows]
    _, occurrence, occurrences = np.unique(page_and_text, return_inverse=True, return_counts=True)
    return occurrences[occurrence]


def _run_lengths(flags: np.ndarray, starts_page: np.ndarray) -> np.ndarray:
    """For each row, log1p of the length of the run of equal flags it belongs to (runs end at page starts),
    signed by the flag."""
    if len(flags) == 0:
        return np.zeros(0)
    starts = np.flatnonzero(starts_page | np.r_[True, flags[1:] != flags[:-1]])
    lengths = np.diff(np.r_[starts, len(flags)])
    signed = np.log1p(lengths) * np.where(flags[starts] != 0, 1, -1)
    return np.repeat(signed, lengths)


def neighbour_features(texts: np.ndarray, article_ids: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Selected text features of the previous/next two sentences and window means around each sentence."""
    sources = texts[:, [TEXT_FEATURES.index(name) for name in WINDOW_SOURCES]]
    means = window_means(sources, bounds, WINDOWS)
    shifted = [shift_within(sources, article_ids, k) for k in SHIFTS]  # every column at once
    parts = []
    for j in range(sources.shape[1]):
        parts += [shift[:, j] for shift in shifted]
        parts += [mean[:, j] for mean in means]
    return stack_columns(parts) if parts else np.zeros((len(texts), 0), order="F")


class PageFeatures(TransformerMixin, BaseEstimator):
    """Dense features of each sentence: its text, its place in the page, and its neighbours."""

    def fit(self, table: pd.DataFrame, y=None):
        return self

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        return page_features(table)


def page_features(table: pd.DataFrame, unique: DistinctTexts | None = None) -> np.ndarray:
    """:class:`PageFeatures` of a sentence table; ``unique``: its distinct texts, where the caller has them."""
    return np.hstack(page_feature_parts(table, unique))


def page_feature_parts(table: pd.DataFrame, unique: DistinctTexts | None = None) -> list[np.ndarray]:
    """The column groups of :func:`page_features`, in order, not yet side by side: the classifier stacks them
    once with its other inputs (every copy of a batch's matrix costs as much as computing a feature group)."""
    if unique is None:
        unique = DistinctTexts(table["text"])
    texts, markers = text_features_and_comment_markers(table["text"], unique)
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    return [texts, context_features(table, texts, unique), neighbour_features(texts, article_ids, bounds),
            main_region_features(table, texts), block_features(table, texts), comment_features(table, markers)]


def kept_page_columns(drop: Sequence[str]) -> dict[int, np.ndarray]:
    """For each page feature group with columns named in ``drop`` (:data:`TEXT_FEATURES`,
    :data:`NEIGHBOUR_FEATURES`), the indices of its other columns; an unknown name is a ValueError."""
    unknown = sorted(set(drop) - {name for names in NAMED_PAGE_PARTS.values() for name in names})
    if unknown:
        raise ValueError(f"drop_features: unknown feature(s) {', '.join(unknown)}; names are those of "
                         "winnow.features.TEXT_FEATURES and NEIGHBOUR_FEATURES")
    dropped = set(drop)
    return {part: np.array([i for i, name in enumerate(names) if name not in dropped], dtype=np.intp)
            for part, names in NAMED_PAGE_PARTS.items() if dropped & set(names)}


def named_page_columns(drop: Sequence[str] = ()) -> dict[int, str]:
    """Where each named page feature (:data:`NAMED_PAGE_PARTS`) not in ``drop`` sits among the columns of
    :func:`page_feature_parts` side by side after :func:`kept_page_columns` (the boosting's first inputs)."""
    kept = kept_page_columns(drop)
    widths = [len(TEXT_FEATURES), len(CONTEXT_FEATURES), len(NEIGHBOUR_FEATURES)]
    columns: dict[int, str] = {}
    offset = 0
    for part, width in enumerate(widths):
        names = NAMED_PAGE_PARTS.get(part, ())
        indices = kept[part].tolist() if part in kept else list(range(width))
        columns.update({offset + position: names[i] for position, i in enumerate(indices) if names})
        offset += len(indices)
    return columns


def block_groups(table: pd.DataFrame) -> np.ndarray:
    """For every row, the number of its (article, block) pair: 0, 1, ... in order of first appearance."""
    pages = pd.factorize(table["article_id"].to_numpy())[0].astype(np.int64)
    blocks = table["block"].to_numpy().astype(np.int64)
    blocks -= blocks.min(initial=0)
    return pd.factorize(pages * (int(blocks.max(initial=0)) + 1) + blocks)[0]


def probability_context(p: np.ndarray, table: pd.DataFrame, regions: Sequence[float] = ()) -> np.ndarray:
    """Features from a previous pass's P(content): neighbours' values, window and block means, and for each
    offset in ``regions`` where the sentence lies relative to the page's most probable run
    (:func:`probability_region`)."""
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    parts = [p, block_means(p, table)]
    parts += [shift_within(p, article_ids, k, fill=0.5) for k in (-3, -2, -1, 1, 2, 3)]
    parts += window_means(p, bounds, (1, 2, 5, 10))
    for offset in regions:
        parts += probability_region(p, bounds, offset)
    return stack_columns(parts)


def block_means(values: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Each row's mean of ``values`` over its (article, block), exactly as pandas' groupby mean over the keys
    ``"<article_id>#<block>"`` computes it (the model was trained on those values).

    pandas' mean depends in the last bit on how the groups are numbered (blocks numbered in order of appearance
    give other values on some blocks), so the blocks are numbered in the sorted order of those keys, which are
    built once per block rather than once per row (that took most of the time).
    """
    groups = block_groups(table)
    n_groups = int(groups.max(initial=-1)) + 1
    first_row = np.zeros(n_groups, dtype=np.int64)
    first_row[groups[::-1]] = np.arange(len(groups))[::-1]
    keys = np.array([f"{article}#{block}" for article, block in zip(
        table["article_id"].to_numpy()[first_row].tolist(), table["block"].to_numpy()[first_row].tolist(),
        strict=True)], dtype=object)
    rank = np.empty(n_groups, dtype=np.int64)
    rank[np.argsort(keys, kind="stable")] = np.arange(n_groups)
    return pd.Series(values).groupby(rank[groups]).transform("mean").to_numpy()


def probability_region(p: np.ndarray, bounds: np.ndarray, offset: float = 0.5) -> list[np.ndarray]:
    """Where each sentence lies relative to its page's most probable run of content: the contiguous run of
    sentences with the largest sum of ``p - offset`` (:func:`main_region_features` with learned scores).

    A page is judged against itself: even where every sentence is below ``offset`` its best run is nominated,
    and a weak sentence between strong ones is inside. Columns: inside the run, log distance to it (sentences),
    relative position inside it, the run's share of the page's sentences.
    """
    lo, hi = max_runs(p - offset, bounds)
    sizes = np.diff(bounds)
    page_of = page_of_rows(bounds)
    idx = np.arange(len(p)) - bounds[:-1][page_of]
    row_lo, row_hi = lo[page_of], hi[page_of]
    distance = np.where(idx < row_lo, row_lo - idx, np.where(idx >= row_hi, idx - row_hi + 1, 0))
    return [((idx >= row_lo) & (idx < row_hi)).astype(float), np.log1p(distance),
            np.clip((idx - row_lo) / np.maximum(row_hi - row_lo, 1), -1.0, 2.0),
            ((hi - lo) / np.maximum(sizes, 1))[page_of]]


def max_runs(values: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each page (rows ``bounds[k]`` to ``bounds[k + 1]``), ``(lo, hi)`` of :func:`_max_subarray` of its
    values (compiled in ``winnow._speedups`` where it is built; tests compare the two)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    if _speedups is not None:
        return _speedups.max_runs(values, bounds)
    runs = [_max_subarray(values[start:end]) for start, end in zip(bounds[:-1], bounds[1:], strict=True)]
    return (np.array([lo for lo, _ in runs], dtype=np.int64).reshape(-1),
            np.array([hi for _, hi in runs], dtype=np.int64).reshape(-1))


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
    out = np.zeros((len(table), 5), dtype=np.float64, order="F")
    lows, highs = max_runs(score, bounds)  # every page's main run at once (compiled where built)
    for start, end, lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), lows.tolist(), highs.tolist(),
                                  strict=True):
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
    block_of = block_groups(table)
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
    return stack_columns(columns) if len(table) else np.zeros((0, len(BLOCK_MEAN_SOURCES) + 3), order="F")


def comment_features(table: pd.DataFrame, marker: np.ndarray | None = None) -> np.ndarray:
    """Comment threads read like prose but are not the article: flag marker lines ("12 Comments", "Leave a
    reply", "Reply", "Anna says:") and, for every sentence, how many markers precede it in the page and how
    many lie within 5 sentences. ``marker``: the flags, where :func:`text_features_and_comment_markers` found
    them already."""
    if marker is None:
        texts, rows = distinct(table["text"])
        marker = np.array(FoldedTexts(texts).search(_COMMENT_MARKER), dtype=float)[rows]
    article_ids = table["article_id"].to_numpy()
    bounds = article_bounds(article_ids)
    # markers before each row in its page: whole numbers, so one running sum over all pages is exact
    running = np.concatenate([[0.0], np.cumsum(marker)])
    page_start = np.repeat(bounds[:-1], np.diff(bounds))
    before = running[:-1] - running[page_start]
    return stack_columns([marker, np.log1p(before), window_sum(marker, bounds, 5)])
