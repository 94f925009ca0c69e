"""Which sentences of a page to keep, given each sentence's P(content): the page decision.

Two rules, chosen by the one knob ``threshold``:

- a number T: keep every sentence with P(content) >= T, each sentence on its own;
- ``"auto"`` (the default): each page keeps the set of sentences that maximises its *expected* shingle precision
  plus recall, where a sentence counts by its ``\\w+`` tokens (the words the metric's shingles are made of) and is
  content with probability P. The sets tried are the page's k most probable sentences, k = 1..n; a page on which no
  sentence reaches :data:`GATE` keeps nothing, as it would at threshold 0.5.

Why ``auto``: the shingle metric averages precision and recall over pages, so a page's best cut depends on the
page. On a page whose article the model is unsure of, a sentence at P 0.4 among sentences at 0.45 is worth
keeping (it raises the expected recall more than it lowers the expected precision); on a page of sure prose and
sure cruft the cut stays near 0.5. Measured on unseen sites and in cross-validation (``docs/measurements.md``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

try:  # the compiled word counter and page decision (optional: the Python definitions give the same results)
    from winnow import _speedups
except ImportError:  # pragma: no cover - depends on the install
    _speedups = None

AUTO = "auto"
GATE = 0.5  # with "auto", a page keeps nothing unless one of its sentences reaches this P(content)
Threshold = float | str  # a number in [0, 1], or AUTO

_WORD = re.compile(r"\w+")


def parse_threshold(value: object) -> Threshold:
    """``"auto"`` or a number in [0, 1] (a string holding one is read as a number); else a ValueError that says
    what is accepted."""
    if isinstance(value, str):
        if value.strip().lower() == AUTO:
            return AUTO
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"threshold must be 'auto' or a number between 0 and 1, not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"threshold must be 'auto' or a number between 0 and 1, not {value!r}")
    return float(value)


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """How many ``\\w+`` tokens each text holds (int64), compiled where ``winnow._speedups`` is built."""
    texts = list(texts)
    if _speedups is not None:
        return _speedups.word_counts(texts)
    return _word_counts_python(texts)


def _word_counts_python(texts: list[str]) -> np.ndarray:
    return np.fromiter((len(_WORD.findall(text)) for text in texts), dtype=np.int64, count=len(texts))


def keep_mask(p: np.ndarray, threshold: Threshold, texts: Sequence[str] | None = None,
              words: np.ndarray | None = None) -> np.ndarray:
    """The kept sentences of one page (a boolean array in the page's order) under ``threshold``. ``"auto"``
    needs each sentence's ``\\w+`` token count: ``words``, or ``texts`` to count them in."""
    p = np.asarray(p, dtype=np.float64)
    if threshold != AUTO:
        return p >= float(threshold)
    if words is None:
        if texts is None:
            raise ValueError("threshold 'auto' needs the sentences' texts or word counts")
        words = word_counts(texts)
    return best_expected_set(p, np.asarray(words, dtype=np.float64))


def best_expected_set(p: np.ndarray, words: np.ndarray, gate: float = GATE) -> np.ndarray:
    """The page's k most probable sentences, for the k that maximises expected precision + recall (see the
    module's docstring); nothing where no sentence reaches ``gate``. Expected true words are sum(P x words) over
    the kept sentences, expected gold words the same sum over the page. Ties in P keep page order, and the
    smallest best k wins, so the result is deterministic. Compiled in ``winnow._speedups`` where it is built
    (:func:`_best_expected_set_python` is the definition; tests compare the two)."""
    if len(p) != len(words):
        raise ValueError(f"{len(p)} probabilities but {len(words)} word counts")
    if _speedups is not None:
        return _speedups.best_expected_set(np.ascontiguousarray(p, dtype=np.float64),
                                           np.ascontiguousarray(words, dtype=np.float64), float(gate))
    return _best_expected_set_python(p, words, gate)


def _best_expected_set_python(p: np.ndarray, words: np.ndarray, gate: float = GATE) -> np.ndarray:
    keep = np.zeros(len(p), dtype=bool)
    if len(p) == 0 or p.max() < gate:
        return keep
    order = np.argsort(-p, kind="stable")
    weighted = p[order] * words[order]
    true_words = np.cumsum(weighted)
    kept_words = np.cumsum(words[order])
    gold_words = true_words[-1]
    if gold_words <= 0:  # no sentence holds a word: nothing to weigh, so the plain cut
        return p >= gate
    precision = np.divide(true_words, kept_words, out=np.zeros_like(true_words), where=kept_words > 0)
    best = int(np.argmax(precision + true_words / gold_words))
    keep[order[:best + 1]] = True
    return keep


def keep_rows(article_ids: Sequence, p: np.ndarray, texts: Sequence[str], threshold: Threshold) -> np.ndarray:
    """:func:`keep_mask` over a table of many pages' sentences (one row per sentence; a page's rows need not be
    adjacent, and keep their order within the page)."""
    p = np.asarray(p, dtype=np.float64)
    if threshold != AUTO:
        return p >= float(threshold)
    words = word_counts(texts).astype(np.float64)
    codes = np.unique(np.asarray(article_ids, dtype=object).astype(str), return_inverse=True)[1]
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes))]
    keep = np.zeros(len(p), dtype=bool)
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        rows = order[start:end]
        keep[rows] = best_expected_set(p[rows], words[rows])
    return keep
