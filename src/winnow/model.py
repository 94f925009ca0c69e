"""The sentence classifier (content vs boilerplate), its persistence with skops, and loading it safely.

The classifier is a stack of scikit-learn estimators, each fit on a sentence table (see
:mod:`winnow.features`):

1. ``ngrams``: hashed word and character n-grams -> logistic regression by SGD (what the sentence *says*);
2. ``pass 1``: gradient boosting over the page features (length, stop words, punctuation, stamps, position,
   block, neighbours) plus the n-gram probability of the sentence and of its neighbours, and (``prob_regions``)
   where the sentence lies relative to the page's most probable run of sentences;
3. ``pass 2`` (optional): the same again, also fed pass 1's probabilities of the neighbours -- a learned
   smoothing, because cruft comes in runs;
4. ``smoothing`` (optional): the last pass's P(content) smoothed within each text block by a two-state chain
   counted from the training labels (:mod:`winnow.smoothing`); the posterior is the ``p_content`` users get.

Inputs of every later stage are out-of-fold predictions of the earlier one (grouped by site), so the later
stage learns how far to trust the earlier one on unseen sites.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import normalize
from threadpoolctl import ThreadpoolController

try:  # the compiled n-gram hasher (optional: scikit-learn computes the same where it is not built)
    from winnow import _speedups
except ImportError:  # pragma: no cover - depends on the install
    _speedups = None
from winnow.decode import AUTO, Threshold, keep_mask, parse_threshold
from winnow.features import (
    DistinctTexts,
    article_bounds,
    kept_page_columns,
    lowered,
    named_page_columns,
    page_feature_parts,
    probability_context,
    sentence_table,
)
from winnow.segment import PageSentences
from winnow.site_features import SiteReference, site_repetition_features
from winnow.smoothing import fit_chain, smooth

DEFAULT_MODEL_PATH = Path("train/model.skops")
FORMAT_VERSION = 6  # 2: site repetition features; 3: prob_regions; 4: ngram_char_range; 5: drop_features;
                    # 6: smoothing
DEFAULT_CHAR_RANGE = (3, 4)  # character n-gram lengths of the hashed n-grams (``ngram_char_range``)
NO_CHAR_NGRAMS = (0, 0)  # as ``ngram_char_range``: no character n-grams (their half of the matrix stays empty)
# Every non-builtin type the model file may hold; loading refuses anything else.
TRUSTED_TYPES = [
    "winnow.model.SentenceClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.linear_model._sgd_fast.Hinge",
    "sklearn.linear_model._sgd_fast.Log",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "builtins.getattr",
    "numpy.dtype",
    "collections.OrderedDict",
    "numpy.float64",
    "numpy.int64",
]


class ModelError(RuntimeError):
    """A missing, unreadable or incompatible model file; the message says how to build one."""


@dataclass
class FeatureSet:
    """Everything the classifier reads of a sentence table, computed once (features are per page)."""

    meta: pd.DataFrame  # article_id, block, index: what probability_context needs
    dense_parts: list[np.ndarray]  # PageFeatures, in column groups (features.page_feature_parts)
    ngrams: DistinctNgrams | None  # hashed word + character n-grams
    site: np.ndarray  # site repetition features (winnow.site_features)

    def __len__(self) -> int:
        return len(self.meta)

    @property
    def dense(self) -> np.ndarray:
        """The page features side by side (PageFeatures().transform of the table)."""
        return np.hstack(self.dense_parts)

    def subset(self, rows: np.ndarray) -> FeatureSet:
        return FeatureSet(self.meta.iloc[rows].reset_index(drop=True), [part[rows] for part in self.dense_parts],
                          None if self.ngrams is None else self.ngrams.subset(rows), self.site[rows])


class NgramTexts:
    """The distinct texts of a table and their hashed n-grams (:func:`ngram_matrix`), computed on first use and
    shared by every subset of the table."""

    def __init__(self, texts: list[str], low: list[str], n_features: int,
                 char_range: Sequence[int] = DEFAULT_CHAR_RANGE):
        self.texts, self.low, self.n_features, self.char_range = texts, low, n_features, char_range

    @cached_property
    def matrix(self) -> sparse.csr_matrix:
        return ngram_matrix(self.texts, self.n_features, self.low, self.char_range)

    def p_content(self, model: SGDClassifier) -> np.ndarray:
        """``model.predict_proba(self.matrix)[:, 1]``, bit for bit. For a binary logistic model, and unless the
        matrix is built already, the compiled hasher adds each text's n-grams straight into its decision value
        (``winnow._speedups.ngram_decisions``) and no matrix is built."""
        if "matrix" not in self.__dict__ and _is_binary_logistic(model, 2 * self.n_features) and _speedups:
            coef = np.ascontiguousarray(model.coef_[0], dtype=np.float64)
            lengths = compiled_char_lengths(self.char_range)
            decisions = _speedups.ngram_decisions(self.low, self.n_features, *lengths, coef)
            if decisions is not None:  # as LinearClassifierMixin: (X @ coef.T + intercept), then expit
                scores = decisions + model.intercept_
                return expit(scores, out=scores)
        return model.predict_proba(self.matrix)[:, 1]


def _is_binary_logistic(model: Any, n_columns: int) -> bool:
    """Whether ``model.predict_proba`` is expit(X @ coef + intercept) over ``n_columns`` float64 columns."""
    return (type(model) is SGDClassifier and model.loss == "log_loss" and len(getattr(model, "classes_", ())) == 2
            and model.coef_.shape == (1, n_columns) and model.coef_.dtype == np.float64
            and model.intercept_.shape == (1,) and model.intercept_.dtype == np.float64)


@dataclass
class DistinctNgrams:
    """The n-grams of a table's distinct texts (``source``) and every sentence's row among them (``rows``).
    Sentences of a page batch repeat each other's text (the same cruft on every page): prediction reads each
    distinct text once, and a subset of sentences shares the source."""

    source: NgramTexts
    rows: np.ndarray

    def subset(self, rows: np.ndarray) -> DistinctNgrams:
        return DistinctNgrams(self.source, self.rows[rows])

    def expanded(self) -> sparse.csr_matrix:
        """One row per sentence (to fit on)."""
        return self.source.matrix[self.rows]

    def p_content(self, model: SGDClassifier) -> np.ndarray:
        """P(content) of every sentence, each distinct text predicted once (rows are predicted independently:
        the values are those of ``model.predict_proba(self.expanded())``, bit for bit)."""
        return self.source.p_content(model)[self.rows]


def char_ngram_range(value: Sequence[int]) -> tuple[int, int] | None:
    """``ngram_char_range`` checked: ``(min_n, max_n)`` with ``1 <= min_n <= max_n``, or None for
    :data:`NO_CHAR_NGRAMS`."""
    pair = tuple(value)
    if len(pair) != 2 or not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in pair):
        raise ValueError(f"ngram_char_range must be two integers [min_n, max_n], got {value!r}")
    if pair == NO_CHAR_NGRAMS:
        return None
    if not 1 <= pair[0] <= pair[1]:
        raise ValueError(f"ngram_char_range must have 1 <= min_n <= max_n (or be [0, 0]: none), got {value!r}")
    return int(pair[0]), int(pair[1])


def compiled_char_lengths(char_range: Sequence[int]) -> tuple[int, int]:
    """The character n-gram lengths to pass ``winnow._speedups``: for :data:`NO_CHAR_NGRAMS` the empty range
    (1, 0), for which it writes no character n-grams."""
    checked = char_ngram_range(char_range)
    return (1, 0) if checked is None else checked


def ngram_vectorizers(n_features: int, char_range: Sequence[int] = DEFAULT_CHAR_RANGE) -> list[HashingVectorizer]:
    """Stateless hashed word 1-2-grams and character ``char_range``-grams (within word boundaries; by default
    3-4-grams; `train/config.toml` uses 4-grams), the latter left out for :data:`NO_CHAR_NGRAMS`."""
    checked = char_ngram_range(char_range)
    words = HashingVectorizer(n_features=n_features, ngram_range=(1, 2), alternate_sign=False, lowercase=True)
    if checked is None:
        return [words]
    return [words, HashingVectorizer(n_features=n_features, analyzer="char_wb", ngram_range=checked,
                                     alternate_sign=False, lowercase=True)]


def featurize(table: pd.DataFrame, ngram_features: int | None, site_reference: SiteReference | None = None,
              char_range: Sequence[int] = DEFAULT_CHAR_RANGE) -> FeatureSet:
    """Dense page features, site repetition features (pages compared with ``site_reference``, by default the
    table's own pages) and (unless ``ngram_features`` is None) hashed n-grams of a sentence table."""
    meta = table[["article_id", "block", "index"]].reset_index(drop=True)
    unique = DistinctTexts(table["text"])  # page features and n-grams compute each distinct sentence once
    dense_parts = page_feature_parts(table, unique)
    ngrams = None
    if ngram_features:
        ngrams = DistinctNgrams(NgramTexts(unique.texts, unique.lowered, ngram_features, char_range), unique.rows)
    return FeatureSet(meta, dense_parts, ngrams, site_repetition_features(table, site_reference, unique))


def ngram_matrix(texts: list[str], n_features: int, low: list[str] | None = None,
                 char_range: Sequence[int] = DEFAULT_CHAR_RANGE) -> sparse.csr_matrix:
    """The hashed word and character n-grams of :func:`ngram_vectorizers`, side by side, one row per text
    (``low``: the texts lower-cased, where the caller has them). Always ``2 * n_features`` columns: with
    :data:`NO_CHAR_NGRAMS` the character half is empty.

    Computed by the compiled hasher ``winnow._speedups`` when it is built (``pip install`` compiles it where a
    C++ compiler exists), else by scikit-learn; both give the same matrix, value for value (tested).
    """
    words, *chars = ngram_vectorizers(n_features, char_range)
    compiled = None
    if _speedups is not None:
        lengths = compiled_char_lengths(char_range)
        compiled = _compiled_ngrams(lowered(texts) if low is None else low, n_features, lengths)
    if compiled is None:
        char_part = char_wb_transform(chars[0], texts) if chars else sparse.csr_matrix((len(texts), n_features))
        compiled = sparse.hstack([words.transform(texts), char_part], format="csr")
        compiled.sort_indices()  # the same storage as the compiled path, so training sums in the same order
    return compiled


def _compiled_ngrams(low: list[str], n_features: int, char_range: tuple[int, int]) -> sparse.csr_matrix | None:
    """The compiled half of :func:`ngram_matrix` over lower-cased texts (``winnow._speedups``, which hard-codes
    the other settings of :func:`ngram_vectorizers`: word 1-2-grams, L2 norms); None where a text UTF-8 cannot
    encode."""
    rows = _speedups.ngram_rows(low, n_features, *char_range)
    return None if rows is None else sparse.csr_matrix(rows, shape=(len(low), 2 * n_features))


def char_wb_transform(vectorizer: HashingVectorizer, texts: list[str]) -> sparse.csr_matrix:
    """Exactly ``vectorizer.transform(texts)`` for a ``char_wb`` vectorizer, several times faster.

    ``char_wb`` n-grams never cross a word, so each distinct word is hashed once (and remembered across calls,
    as cleaning goes batch after batch) and words are summed into sentences with a sparse product (word
    counts per sentence x n-grams per word). The counts are whole numbers, so the sums are exact.
    """
    preprocess, spaces = vectorizer.build_preprocessor(), vectorizer._white_spaces
    key = repr(sorted(vectorizer.get_params().items()))
    with _WORD_NGRAMS_LOCK:
        words = _WORD_NGRAMS.get(key)
        if words is None or len(words.index) > _WordNgrams.LIMIT:
            words = _WORD_NGRAMS[key] = _WordNgrams(vectorizer)
        index, new = words.index, {}
        rows, cols = [], []
        for i, text in enumerate(texts):
            for word in spaces.sub(" ", preprocess(text)).split():
                rows.append(i)
                column = index.get(word)
                cols.append(new.setdefault(word, len(index) + len(new)) if column is None else column)
        words.add(list(new))  # raises on a word UTF-8 cannot encode: the index then stays as it was
        index.update(new)
        matrix = words.matrix
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), matrix.shape[0]))
    out = (counts @ matrix).tocsr()
    return normalize(out, norm=vectorizer.norm, copy=False) if vectorizer.norm else out


class _WordNgrams:
    """Hashed char n-grams of every word seen so far: ``index`` word -> row of ``matrix``."""

    LIMIT = 100_000  # words kept before starting afresh (the cache saves time only; results never depend on it)

    def __init__(self, vectorizer: HashingVectorizer):
        self.vectorizer = clone(vectorizer).set_params(lowercase=False, norm=None)
        self.index: dict[str, int] = {}
        self.matrix = sparse.csr_matrix((0, vectorizer.n_features))

    def add(self, new_words: list[str]) -> None:
        if new_words:
            self.matrix = sparse.vstack([self.matrix, self.vectorizer.transform(new_words)], format="csr")


_WORD_NGRAMS: dict[str, _WordNgrams] = {}  # per vectorizer configuration
_WORD_NGRAMS_LOCK = threading.Lock()


def boosted_p_content(booster: HistGradientBoostingClassifier, X: np.ndarray) -> np.ndarray:
    """``booster.predict_proba(X)[:, 1]``, equal bit for bit (tested), several times faster where the compiled
    ``winnow._speedups.TreeEnsemble`` is built and supports the booster and X (else scikit-learn computes it).

    The kernel sums the raw prediction as scikit-learn does (baseline, then each tree's leaf in order); the
    booster's own loss turns it into probabilities.
    """
    trees = _compiled_trees(booster, X)
    if trees is None:
        return booster.predict_proba(X)[:, 1]
    if not (X.flags.c_contiguous or X.flags.f_contiguous):
        X = np.ascontiguousarray(X)
    return booster._loss.predict_proba(trees.raw_predict(X))[:, 1]


def _compiled_trees(booster: HistGradientBoostingClassifier, X: Any) -> Any:
    """The booster's trees flattened for ``_speedups.TreeEnsemble`` (built once per booster and kept while it
    lives, outside it: a saved model never holds them); None where scikit-learn must predict: no compiled module,
    not a fitted binary booster on numeric features, X not a float64 matrix of its width, or no rows."""
    if (_speedups is None or type(booster) is not HistGradientBoostingClassifier or not isinstance(X, np.ndarray)
            or X.dtype != np.float64 or X.ndim != 2 or X.shape[0] == 0 or getattr(booster, "_in_fit", False)
            or getattr(booster, "n_trees_per_iteration_", None) != 1
            or X.shape[1] != getattr(booster, "n_features_in_", None) or hasattr(booster, "feature_names_in_")
            or booster.is_categorical_ is not None or booster._preprocessor is not None):
        return None
    predictors, baseline = booster._predictors, booster._baseline_prediction
    with _TREES_LOCK:
        cached = _TREES.get(booster)
        if cached is not None and cached[0] is predictors and cached[1] == len(predictors) and cached[2] is baseline:
            return cached[3]
    trees = _flatten_trees(predictors, baseline, X.shape[1])
    with _TREES_LOCK:
        _TREES[booster] = (predictors, len(predictors), baseline, trees)
    return trees


def _flatten_trees(predictors: list, baseline: np.ndarray, n_features: int) -> Any:
    """``_speedups.TreeEnsemble`` of a booster's trees; None where it holds a categorical split or the kernel
    refuses it."""
    if baseline.shape != (1, 1) or baseline.dtype != np.float64 or any(len(trees) != 1 for trees in predictors):
        return None
    arrays = []
    for (predictor,) in predictors:
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            return None
        arrays.append(tuple(nodes[name] for name in ("feature_idx", "num_threshold", "missing_go_to_left", "left",
                                                     "right", "is_leaf", "value")))
    try:
        return _speedups.TreeEnsemble(arrays, float(baseline[0, 0]), n_features)
    except ValueError:
        return None


# booster -> (its _predictors list and length, its baseline, the compiled trees or None); weak, so a booster
# that goes away takes its trees with it
_TREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TREES_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    """The thread pools of the loaded libraries, inspected once: ``threadpool_limits`` inspects them on every
    call, which took 5 ms, as long as a batch of 64 pages spends in the gradient boosting."""
    return ThreadpoolController()


def unused_page_features(classifier: SentenceClassifier) -> list[str]:
    """The named page features (``winnow.features.TEXT_FEATURES``, ``NEIGHBOUR_FEATURES``) that no tree of
    any pass splits on and that ``drop_features`` does not list yet: leaving them out grows the same trees
    (``train/config.toml``). ``winnow train`` puts them in the model card."""
    if not classifier.use_page_features:
        return []
    split_on = {int(node["feature_idx"]) for booster in classifier.passes_ for trees in booster._predictors
                for tree in trees for node in tree.nodes if not node["is_leaf"]}
    return [name for column, name in sorted(named_page_columns(classifier.drop_features).items())
            if column not in split_on]


def one_openmp_thread():
    """A context in which OpenMP (scikit-learn's gradient boosting) runs one thread."""
    return _threadpools().limit(limits=1, user_api="openmp")


class SentenceClassifier(ClassifierMixin, BaseEstimator):
    """Stacked content/boilerplate classifier over a sentence table (see module docstring)."""

    def __init__(
        self,
        passes: int = 1,
        use_ngrams: bool = True,
        use_page_features: bool = True,
        use_site_features: bool = True,
        ngram_features: int = 2**18,
        ngram_alpha: float = 2e-6,
        ngram_epochs: int = 10,
        ngram_char_range: Sequence[int] = DEFAULT_CHAR_RANGE,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        l2_regularization: float = 0.0,
        inner_folds: int = 3,
        prob_regions: Sequence[float] = (),
        drop_features: Sequence[str] = (),
        smoothing: bool = False,
        random_state: int = 0,
    ):
        self.passes = passes
        self.use_ngrams = use_ngrams
        self.use_page_features = use_page_features
        self.use_site_features = use_site_features
        self.ngram_features = ngram_features
        self.ngram_alpha = ngram_alpha
        self.ngram_epochs = ngram_epochs
        self.ngram_char_range = ngram_char_range
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.inner_folds = inner_folds
        self.prob_regions = prob_regions
        self.drop_features = drop_features
        self.smoothing = smoothing
        self.random_state = random_state

    def featurize(self, table: pd.DataFrame, site_reference: SiteReference | None = None) -> FeatureSet:
        return featurize(table, self.ngram_features if self.use_ngrams else None, site_reference,
                         self.ngram_char_range)

    def _booster(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            l2_regularization=self.l2_regularization, early_stopping=False, random_state=self.random_state,
        )

    def _ngram_model(self) -> SGDClassifier:
        return SGDClassifier(loss="log_loss", alpha=self.ngram_alpha, max_iter=self.ngram_epochs, tol=None,
                             random_state=self.random_state)

    def fit(self, table: pd.DataFrame, y: np.ndarray, groups: np.ndarray | None = None,
            sample_weight: np.ndarray | None = None):
        return self.fit_features(self.featurize(table), y, groups, sample_weight)

    def fit_features(self, features: FeatureSet, y: np.ndarray, groups: np.ndarray | None = None,
                     sample_weight: np.ndarray | None = None):
        """Fit on precomputed features (cross-validation computes them once for all folds)."""
        # One OpenMP thread: deterministic, and far faster than spinning threads on a busy 2-core box;
        # parallelism comes from processes over folds/pages instead.
        with one_openmp_thread():
            return self._fit(features, np.asarray(y, dtype=int),
                             np.asarray(groups if groups is not None else features.meta["article_id"]), sample_weight)

    def _fit(self, features: FeatureSet, y, groups, sample_weight):
        self.classes_ = np.array([0, 1])
        inputs = self._dense_parts(features)
        if self.use_ngrams:
            ngrams = features.ngrams.expanded()
            p_ngram = self._out_of_fold(self._ngram_model(), ngrams, y, groups, sample_weight)
            self.ngram_model_ = self._ngram_model().fit(ngrams, y, sample_weight=sample_weight)
            inputs.append(probability_context(p_ngram, features.meta, self.prob_regions))
        self.passes_ = []
        for pass_no in range(self.passes):
            stacked = np.hstack(inputs)
            booster = self._booster()
            if pass_no < self.passes - 1:
                p_pass = self._out_of_fold(booster, stacked, y, groups, sample_weight)
                inputs.append(probability_context(p_pass, features.meta, self.prob_regions))
            booster.fit(stacked, y, sample_weight=sample_weight)
            self.passes_.append(booster)
        self.chain_ = fit_chain(y, _block_bounds(features.meta)) if self.smoothing else None
        return self

    def _dense_parts(self, features: FeatureSet) -> list[np.ndarray]:
        """The dense inputs of the boosting, to be stacked side by side (once: each copy of a batch's matrix
        cost as much as a feature)."""
        parts = list(features.dense_parts) if self.use_page_features else []
        if parts and self.drop_features:
            kept = kept_page_columns(self.drop_features)
            parts = [part[:, kept[i]] if i in kept else part for i, part in enumerate(parts)]
        if self.use_site_features:
            parts.append(features.site)
        return parts or [np.zeros((len(features), 0))]

    def _out_of_fold(self, estimator, X, y, groups, sample_weight) -> np.ndarray:
        """P(content) for every row from models that never saw the row's group (site)."""
        n_splits = min(self.inner_folds, len(np.unique(groups)))
        p = np.full(len(y), float(np.mean(y)))
        if n_splits < 2:
            return p
        for train_idx, test_idx in GroupKFold(n_splits=n_splits).split(np.zeros(len(y)), y, groups):
            if len(np.unique(y[train_idx])) < 2:
                continue
            weight = None if sample_weight is None else sample_weight[train_idx]
            model = clone(estimator).fit(X[train_idx], y[train_idx], sample_weight=weight)
            p[test_idx] = model.predict_proba(X[test_idx])[:, 1]
        return p

    def predict_proba(self, table: pd.DataFrame, site_reference: SiteReference | None = None) -> np.ndarray:
        if len(table) == 0:
            return np.zeros((0, 2))
        return self.predict_proba_features(self.featurize(table, site_reference))

    def predict_proba_features(self, features: FeatureSet) -> np.ndarray:
        """P(boilerplate) and P(content) of every sentence: the smoothed posterior where the model smooths."""
        return self.smoothed(self.classifier_proba(features), features)

    def smoothed(self, proba: np.ndarray, features: FeatureSet) -> np.ndarray:
        """:meth:`classifier_proba`'s output smoothed within each text block (unchanged without ``smoothing``)."""
        if not self.smoothing:
            return proba
        p = smooth(proba[:, 1], _block_bounds(features.meta), self.chain_)
        return np.column_stack([1 - p, p])

    def classifier_proba(self, features: FeatureSet) -> np.ndarray:
        """The last pass's P(boilerplate) and P(content), before any smoothing within blocks."""
        with one_openmp_thread():
            inputs = self._dense_parts(features)
            if self.use_ngrams:
                inputs.append(probability_context(features.ngrams.p_content(self.ngram_model_), features.meta,
                                                  self.prob_regions))
            p = np.zeros(len(features))
            for pass_no, booster in enumerate(self.passes_):
                p = boosted_p_content(booster, np.hstack(inputs))
                if pass_no < len(self.passes_) - 1:
                    inputs.append(probability_context(p, features.meta, self.prob_regions))
        return np.column_stack([1 - p, p])

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(table)[:, 1] >= 0.5).astype(int)


def _block_bounds(meta: pd.DataFrame) -> np.ndarray:
    """The runs of sentences that share a page and a block (line), which the smoothing chain runs over."""
    return article_bounds(meta["article_id"].to_numpy(), meta["block"].to_numpy())


@dataclass
class WinnowModel:
    """A trained classifier with its provenance; ``version`` is a hash of the model file."""

    classifier: SentenceClassifier
    version: str
    threshold: Threshold = AUTO  # a number, or "auto": the page decision of winnow.decode
    card: dict[str, Any] = field(default_factory=dict)

    def keep(self, p: np.ndarray, sentences: Sequence[Any]) -> np.ndarray:
        """Which of one page's sentences (records or a PageSentences, with their P(content) ``p``) are kept at
        this model's threshold (:func:`winnow.decode.keep_mask`)."""
        if self.threshold != AUTO:
            return keep_mask(p, self.threshold)
        texts = sentences.texts if isinstance(sentences, PageSentences) else [r["text"] for r in sentences]
        return keep_mask(p, AUTO, texts)

    def predict_proba(self, articles: Sequence[Sequence[dict]], sites: Sequence[str | None] | None = None,
                      site_reference: SiteReference | None = None, page_keys: Sequence[str] | None = None,
                      ) -> list[np.ndarray]:
        """P(content) for each sentence of each article (articles are lists of sentence records).

        With ``sites`` (one per article) and ``site_reference`` (:meth:`SiteReference.build` over reference pages
        of those sites), sentences that recur across the site's pages are recognised as its template.
        ``page_keys`` (one per article, unique) replace the records' article ids in the features, as the
        reference was built with them.
        """
        table = sentence_table(articles)
        lengths = [len(article) for article in articles]

        def per_row(values: Sequence[str | None]) -> pd.Series:
            """One value per article, repeated for its sentences, as an object column (pandas would make an
            Arrow string column, read back one Python string at a time)."""
            return pd.Series(np.repeat(np.array(list(values), dtype=object), lengths), dtype=object)

        if sites is not None and len(table):
            table["site"] = per_row(sites)
        if page_keys is not None and len(table):
            table["article_id"] = per_row(page_keys)
        p = self.classifier.predict_proba(table, site_reference)[:, 1] if len(table) else np.zeros(0)
        ordered = np.split(p, np.cumsum(lengths)[:-1])
        # sentence_table sorts each article by index; map back to the caller's order
        out = []
        for article, probs in zip(articles, ordered, strict=True):
            if isinstance(article, PageSentences):  # in index order already
                out.append(probs)
                continue
            order = np.argsort([record["index"] for record in article], kind="stable")
            restored = np.empty_like(probs)
            restored[order] = probs
            out.append(restored)
        return out


def save_model(classifier: SentenceClassifier, path: str | Path) -> str:
    """Write the classifier with skops (atomically); return the file's version hash."""
    import skops.io as sio

    from winnow.jsonio import atomic_open

    payload = _canonical_zip(sio.dumps({"format_version": FORMAT_VERSION, "classifier": classifier}))
    with atomic_open(path, "wb") as handle:
        handle.write(payload)
    return hashlib.sha256(payload).hexdigest()[:12]


def _canonical_zip(zipped: bytes) -> bytes:
    """The same skops archive, made byte-reproducible.

    skops names array files and memo ids after ``id()`` of the objects (memory addresses) and stamps entries
    with the current time; renumber both in order of first appearance in ``schema.json`` (consistently, so
    shared references stay shared) and fix every timestamp.
    """
    import io
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zipped)) as source:
        schema = source.read("schema.json").decode("utf-8")
        renames: dict[str, str] = {}
        for name in re.findall(r'"file": "([^"]+)"', schema):
            renames.setdefault(name, f"{len(renames):06d}{Path(name).suffix}")
        schema = re.sub(r'"file": "([^"]+)"', lambda m: f'"file": "{renames[m.group(1)]}"', schema)
        ids: dict[str, int] = {}
        schema = re.sub(r'"__id__": (\d+)', lambda m: f'"__id__": {ids.setdefault(m.group(1), len(ids))}', schema)
        entries = {"schema.json": schema.encode("utf-8")}
        entries |= {renames[info.filename]: source.read(info) for info in source.infolist()
                    if info.filename != "schema.json"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sorted(entries):
            target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), entries[name],
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def load_model(path: str | Path = DEFAULT_MODEL_PATH, threshold: Threshold | None = None) -> WinnowModel:
    """Load a model file, trusting only :data:`TRUSTED_TYPES`; :class:`ModelError` says what to do. ``threshold``:
    the decision rule (:mod:`winnow.decode`); None: the model card's, else "auto"."""
    import skops.io as sio

    path = Path(path)
    how = "build one with `make train` (or `winnow train`), or pass --model PATH"
    if path.is_dir():
        raise ModelError(f"{path} is a directory, not a model file; {how}")
    if not path.is_file():
        raise ModelError(f"model file {path} not found; {how}")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelError(f"cannot read model file {path} ({err.strerror or err}); {how}") from err
    try:
        untrusted = set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
        if untrusted:
            raise ModelError(f"{path} holds types winnow does not trust ({', '.join(sorted(untrusted))}); {how}")
        payload = sio.loads(data, trusted=TRUSTED_TYPES)
    except ModelError:
        raise
    except Exception as err:  # skops raises many kinds on a corrupt or foreign file
        raise ModelError(f"{path} is not a readable winnow model ({type(err).__name__}: {err}); {how}") from err
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path} was written by an incompatible winnow version; {how}")
    if not isinstance(payload.get("classifier"), SentenceClassifier):
        raise ModelError(f"{path} does not hold a winnow SentenceClassifier; {how}")
    card_path = path.with_name("model-card.json")
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    if threshold is None:
        try:
            threshold = parse_threshold(card.get("threshold", AUTO))
        except ValueError as err:
            raise ModelError(f"{card_path}: {err}; {how}") from None
    return WinnowModel(payload["classifier"], hashlib.sha256(data).hexdigest()[:12], threshold, card)
