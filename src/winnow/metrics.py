"""Evaluation metrics: sentence-level P/R/F1, page-level shingle F1, bootstrap confidence intervals, breakdowns.

Page-level shingle F1 re-implements the metric of the Scrapinghub article-extraction benchmark
(https://github.com/scrapinghub/article-extraction-benchmark, ``evaluate.py``: ``string_shingle_matching``,
``_ngrams``, ``metrics_from_tp_fp_fns``, ``precision_score``, ``recall_score``):

* tokens are ``\\w+`` matches (Unicode, case kept);
* shingles are the token 4-grams with their counts (a multiset); a text with 1 to 3 tokens has exactly one
  shingle, the whole token tuple (as upstream: ``range(max(1, len(tokens) - n + 1))``); a text with no
  tokens has none;
* per page, tp = sum of min(gold count, predicted count), fp / fn = the predicted / gold surplus, then
  (tp, fp, fn) is divided by its sum so each page weighs the same;
* page precision is 1 when fp == fn == 0, 0 when tp == fp == 0, else tp / (tp + fp) (recall alike);
* precision is averaged over pages with predicted text (tp + fp > 0), recall over pages with gold text
  (tp + fn > 0), and F1 is the harmonic mean of the two averages.

All functions take and return plain data (lists, dicts, floats); none of them prints or writes files.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

SHINGLE_SIZE = 4
TOKEN_RE = re.compile(r"\w+")
CONTENT = 1  # y value of the content class (the positive class everywhere here)
BOILERPLATE = 0

Shingle = tuple[str, ...]


# --- page-level shingle F1 -------------------------------------------------------------------------------

def shingle_tokens(text: str | None) -> list[str]:
    """The ``\\w+`` tokens of a text (``None`` is empty)."""
    return TOKEN_RE.findall(text or "")


def shingles(text: str | None, n: int = SHINGLE_SIZE) -> Counter[Shingle]:
    """Multiset of token n-grams; a text shorter than ``n`` tokens (but not empty) is one shingle."""
    tokens = shingle_tokens(text)
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)))


def page_shingle_scores(pred_text: str | None, gold_text: str | None, n: int = SHINGLE_SIZE) -> dict[str, Any]:
    """Normalised tp/fp/fn of one page, its precision and recall (``None`` where the page is skipped).

    ``precision`` is ``None`` when the prediction has no shingles, ``recall`` when the gold has none.
    ``raw_tp``/``raw_fp``/``raw_fn`` are the shingle counts before normalisation.
    """
    gold, pred = shingles(gold_text, n), shingles(pred_text, n)
    tp = sum((gold & pred).values())
    fp = sum((pred - gold).values())
    fn = sum((gold - pred).values())
    total = tp + fp + fn
    ntp, nfp, nfn = (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)
    return {
        "tp": ntp, "fp": nfp, "fn": nfn, "raw_tp": tp, "raw_fp": fp, "raw_fn": fn,
        "precision": _ratio_score(ntp, nfp, nfn) if ntp + nfp > 0 else None,
        "recall": _ratio_score(ntp, nfn, nfp) if ntp + nfn > 0 else None,
    }


def _ratio_score(tp: float, wrong: float, other: float) -> float:
    """Upstream's precision_score / recall_score: tp / (tp + wrong), 1 when nothing is wrong either way."""
    if wrong == other == 0:
        return 1.0
    if tp == wrong == 0:
        return 0.0
    return tp / (tp + wrong)


def shingle_f1(pages: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Macro shingle precision/recall over pages and F1 of the two averages, with page counts.

    ``pages`` are :func:`page_shingle_scores` dicts. A metric with no eligible page is ``None``.
    """
    pages = list(pages)
    precisions = [p["precision"] for p in pages if p["precision"] is not None]
    recalls = [p["recall"] for p in pages if p["recall"] is not None]
    precision = float(np.mean(precisions)) if precisions else None
    recall = float(np.mean(recalls)) if recalls else None
    return {
        "precision": precision, "recall": recall, "f1": _f1(precision, recall),
        "n_pages": len(pages), "n_pages_precision": len(precisions), "n_pages_recall": len(recalls),
        "n_pages_no_prediction": sum(1 for p in pages if p["precision"] is None),
        "n_pages_no_gold": sum(1 for p in pages if p["recall"] is None),
    }


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


# --- sentence-level P/R/F1 ---------------------------------------------------------------------------------

def sentence_prf(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, Any]:
    """Precision, recall, F1 of the content class (label 1) with the confusion counts (scikit-learn)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if len(y_true) == 0:
        return {"precision": None, "recall": None, "f1": None, "support": 0, "tp": 0, "fp": 0, "fn": 0,
                "tn": 0, "n": 0}
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=[CONTENT], average="binary", pos_label=CONTENT, zero_division=0.0,
    )
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred, labels=[BOILERPLATE, CONTENT]).tolist()
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1), "support": tp + fn,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "n": len(y_true)}


def confusion_counts(y_true: Sequence[int], y_pred: Sequence[int]) -> np.ndarray:
    """``[tp, fp, fn, tn]`` of the content class for one page (the unit bootstrap resamples)."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    return np.array([np.sum(t & p), np.sum(~t & p), np.sum(t & ~p), np.sum(~t & ~p)], dtype=np.int64)


def prf_from_counts(counts: np.ndarray) -> dict[str, float]:
    """Micro P/R/F1 from per-page ``[tp, fp, fn, tn]`` rows (zero_division=0, as :func:`sentence_prf`)."""
    tp, fp, fn, _ = np.asarray(counts).reshape(-1, 4).sum(axis=0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def page_mean_f1(counts: np.ndarray) -> float | None:
    """The mean over pages of each page's own content F1, from per-page ``[tp, fp, fn, tn]`` rows.

    Pooled F1 weighs a page by its sentences, and page sizes differ a thousandfold (one training page holds 4,046
    sentences, most pages 50-300): this weighs every page alike, as the shingle metric does. A page with neither
    gold nor predicted content has no F1 and is skipped; None where no page has one."""
    tp, fp, fn, _ = np.asarray(counts, dtype=np.int64).reshape(-1, 4).T
    denominator = 2 * tp + fp + fn
    scored = denominator > 0
    return float(np.mean(2 * tp[scored] / denominator[scored])) if scored.any() else None


def sentence_scores_from_counts(counts: np.ndarray) -> dict[str, float | None]:
    """:func:`prf_from_counts` (pooled over sentences) and :func:`page_mean_f1`: the bootstrap statistic."""
    return {**prf_from_counts(counts), "page_mean_f1": page_mean_f1(counts)}


def shingle_prf_from_scores(scores: np.ndarray) -> dict[str, float | None]:
    """:func:`shingle_f1`'s P/R/F1 from rows ``[page precision, page recall]`` (NaN = skipped page)."""
    scores = np.asarray(scores, dtype=float).reshape(-1, 2)
    values = []
    for column in scores.T:
        kept = column[~np.isnan(column)]
        values.append(float(kept.mean()) if kept.size else None)
    return {"precision": values[0], "recall": values[1], "f1": _f1(values[0], values[1])}


def shingle_score_rows(pages: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """``[precision, recall]`` rows of :func:`page_shingle_scores` dicts, NaN where skipped."""
    rows = [[np.nan if p["precision"] is None else p["precision"],
             np.nan if p["recall"] is None else p["recall"]] for p in pages]
    return np.array(rows, dtype=float).reshape(-1, 2)


def page_shingle_rows(texts: Sequence[str | None], pages: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """``[precision, recall]`` rows of each page's text against its ``gold_text`` (NaN where a system did not
    run, its text None)."""
    return shingle_score_rows([page_shingle_scores(text, page["gold_text"]) if text is not None else
                               {"precision": None, "recall": None} for text, page in zip(texts, pages, strict=True)])


# --- bootstrap -----------------------------------------------------------------------------------------------

def bootstrap_ci(
    items: np.ndarray | Sequence[Any],
    statistic: Callable[[Any], Mapping[str, float | None]],
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, dict[str, float | None]]:
    """Percentile bootstrap intervals of each value ``statistic`` returns, resampling pages with replacement.

    ``items`` holds one entry per page (an array row, e.g. :func:`confusion_counts`, or any object);
    ``statistic`` maps a resample (same type as ``items``) to a dict of floats. Deterministic for a fixed
    ``seed`` (``numpy.random.default_rng``). Returns ``{name: {"low", "high", "std", "n_boot"}}`` where
    low/high are the (1 - confidence)/2 and (1 + confidence)/2 quantiles of the replicates that are defined
    (a replicate can be ``None``, e.g. precision of a resample without predicted text).
    """
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    n = len(items)
    if n == 0:
        return {}
    rng = np.random.default_rng(seed)
    array = items if isinstance(items, np.ndarray) else None
    replicates: dict[str, list[float]] = defaultdict(list)
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        sample = array[idx] if array is not None else [items[i] for i in idx]
        for key, value in statistic(sample).items():
            if value is not None and not np.isnan(value):
                replicates[key].append(float(value))
    alpha = (1 - confidence) / 2
    out: dict[str, dict[str, float | None]] = {}
    for key, values in sorted(replicates.items()):
        arr = np.asarray(values)
        out[key] = {"low": float(np.quantile(arr, alpha)), "high": float(np.quantile(arr, 1 - alpha)),
                    "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0, "n_boot": int(arr.size)}
    return out


# --- breakdowns ----------------------------------------------------------------------------------------------

def group_rows(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, list[Mapping[str, Any]]]:
    """Rows grouped by ``row[key]`` (``None`` becomes ``"(none)"``), groups sorted by name."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        value = row.get(key)
        groups["(none)" if value is None else str(value)].append(row)
    return dict(sorted(groups.items()))


def fast_sentence_prf(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, Any]:
    """:func:`sentence_prf` computed with numpy from the confusion counts (same keys and values; the
    scikit-learn call costs ~10 ms of input validation, too slow for thousands of per-site groups)."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    counts = confusion_counts(y_true, y_pred)
    tp, fp, fn, tn = (int(c) for c in counts)
    scores = prf_from_counts(counts) if len(y_true) else {"precision": None, "recall": None, "f1": None}
    return {**scores, "support": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "n": len(y_true)}


def per_group_sentence_prf(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """Sentence P/R/F1 (:func:`fast_sentence_prf`) of the rows (dicts with ``y_true``, ``y_pred``) in each
    group of ``key`` (e.g. ``"site"`` or ``"corpus"``), with the group's number of pages (``page_id``)."""
    out = {}
    for name, group in group_rows(rows, key).items():
        result = fast_sentence_prf([int(r["y_true"]) for r in group], [int(r["y_pred"]) for r in group])
        result["n_pages"] = len({r.get("page_id") for r in group})
        out[name] = result
    return out


def per_group_shingle_f1(pages: Iterable[Mapping[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """:func:`shingle_f1` per group of page-score dicts that also carry ``key`` (e.g. ``"corpus"``)."""
    return {name: shingle_f1(group) for name, group in group_rows(pages, key).items()}


def kind_leakage(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Which kinds of boilerplate leak through: per gold ``kind`` of boilerplate rows (``y_true`` 0), how
    many there are, how many were predicted content, and that share (the kind's false-positive rate)."""
    boilerplate = [r for r in rows if int(r["y_true"]) == BOILERPLATE]
    out = {}
    for kind, group in group_rows(boilerplate, "kind").items():
        leaked = sum(1 for r in group if int(r["y_pred"]) == CONTENT)
        out[kind] = {"n": len(group), "leaked": leaked, "leak_rate": leaked / len(group)}
    return out
