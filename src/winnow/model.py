"""The sentence classifier (content vs boilerplate), its persistence with skops, and loading it safely.

The classifier is a stack of scikit-learn estimators, each fit on a sentence table (see
:mod:`winnow.features`):

1. ``ngrams``: hashed word and character n-grams -> logistic regression (what the sentence *says*);
2. ``pass 1``: gradient boosting over the page features (length, stop words, punctuation, stamps, position,
   block, neighbours) plus the n-gram probability of the sentence and of its neighbours;
3. ``pass 2`` (optional): the same again, also fed pass 1's probabilities of the neighbours -- a learned
   smoothing, because cruft comes in runs.

Inputs of every later stage are out-of-fold predictions of the earlier one (grouped by site), so the later
stage learns how far to trust the earlier one on unseen sites.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from winnow.features import PageFeatures, TextColumn, probability_context, sentence_table

DEFAULT_MODEL_PATH = Path("train/model.skops")
FORMAT_VERSION = 1
# Every non-builtin type the model file may hold; loading refuses anything else.
TRUSTED_TYPES = [
    "winnow.model.SentenceClassifier",
    "winnow.features.PageFeatures",
    "winnow.features.TextColumn",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "builtins.getattr",
    "numpy.dtype",
    "collections.OrderedDict",
    "numpy.float64",
    "numpy.int64",
]


class ModelError(RuntimeError):
    """A missing, unreadable or incompatible model file; the message says how to build one."""


def ngram_pipeline(n_features: int, c: float, random_state: int) -> Pipeline:
    words = HashingVectorizer(n_features=n_features, ngram_range=(1, 2), alternate_sign=False, lowercase=True)
    chars = HashingVectorizer(
        n_features=n_features, analyzer="char_wb", ngram_range=(3, 4), alternate_sign=False, lowercase=True,
    )
    return Pipeline([
        ("text", TextColumn()),
        ("ngrams", FeatureUnion([("words", words), ("chars", chars)])),
        ("lr", LogisticRegression(C=c, max_iter=2000, solver="liblinear", random_state=random_state)),
    ])


class SentenceClassifier(ClassifierMixin, BaseEstimator):
    """Stacked content/boilerplate classifier over a sentence table (see module docstring)."""

    def __init__(
        self,
        passes: int = 2,
        use_ngrams: bool = True,
        use_page_features: bool = True,
        ngram_features: int = 2**18,
        ngram_c: float = 1.0,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        l2_regularization: float = 0.0,
        inner_folds: int = 4,
        random_state: int = 0,
    ):
        self.passes = passes
        self.use_ngrams = use_ngrams
        self.use_page_features = use_page_features
        self.ngram_features = ngram_features
        self.ngram_c = ngram_c
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.inner_folds = inner_folds
        self.random_state = random_state

    def _booster(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            l2_regularization=self.l2_regularization, early_stopping=False, random_state=self.random_state,
        )

    def fit(self, table: pd.DataFrame, y: np.ndarray, groups: np.ndarray | None = None,
            sample_weight: np.ndarray | None = None):
        # One OpenMP thread: deterministic, and far faster than spinning threads on a busy 2-core box;
        # parallelism comes from processes over folds/pages instead.
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._fit(table, y, groups, sample_weight)

    def _fit(self, table, y, groups, sample_weight):
        y = np.asarray(y, dtype=int)
        groups = np.asarray(groups if groups is not None else table["article_id"].to_numpy())
        self.classes_ = np.array([0, 1])
        self.page_features_ = PageFeatures()
        dense = self.page_features_.transform(table) if self.use_page_features else np.zeros((len(table), 0))
        inputs = [dense]
        if self.use_ngrams:
            self.ngrams_ = ngram_pipeline(self.ngram_features, self.ngram_c, self.random_state)
            p_ngram = self._out_of_fold(self.ngrams_, table, y, groups, sample_weight, "lr")
            self.ngrams_.fit(table, y, lr__sample_weight=sample_weight)
            inputs.append(probability_context(p_ngram, table))
        self.passes_ = []
        for pass_no in range(self.passes):
            features = np.hstack(inputs)
            booster = self._booster()
            if pass_no < self.passes - 1:
                p_pass = self._out_of_fold(booster, features, y, groups, sample_weight, None)
                inputs.append(probability_context(p_pass, table))
            booster.fit(features, y, sample_weight=sample_weight)
            self.passes_.append(booster)
        return self

    def _out_of_fold(self, estimator, X, y, groups, sample_weight, step: str | None) -> np.ndarray:
        """P(content) for every row from models that never saw the row's group (site)."""
        n_splits = min(self.inner_folds, len(np.unique(groups)))
        p = np.full(len(y), float(np.mean(y)))
        if n_splits < 2:
            return p
        for train_idx, test_idx in GroupKFold(n_splits=n_splits).split(np.zeros(len(y)), y, groups):
            if len(np.unique(y[train_idx])) < 2:
                continue
            model = clone(estimator)
            rows = (lambda idx: X.iloc[idx]) if isinstance(X, pd.DataFrame) else (lambda idx: X[idx])
            weight = None if sample_weight is None else sample_weight[train_idx]
            key = f"{step}__sample_weight" if step else "sample_weight"
            model.fit(rows(train_idx), y[train_idx], **{key: weight})
            p[test_idx] = model.predict_proba(rows(test_idx))[:, 1]
        return p

    def predict_proba(self, table: pd.DataFrame) -> np.ndarray:
        if len(table) == 0:
            return np.zeros((0, 2))
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._predict_proba(table)

    def _predict_proba(self, table: pd.DataFrame) -> np.ndarray:
        dense = self.page_features_.transform(table) if self.use_page_features else np.zeros((len(table), 0))
        inputs = [dense]
        if self.use_ngrams:
            inputs.append(probability_context(self.ngrams_.predict_proba(table)[:, 1], table))
        p = None
        for pass_no, booster in enumerate(self.passes_):
            p = booster.predict_proba(np.hstack(inputs))[:, 1]
            if pass_no < len(self.passes_) - 1:
                inputs.append(probability_context(p, table))
        return np.column_stack([1 - p, p])

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(table)[:, 1] >= 0.5).astype(int)


@dataclass
class WinnowModel:
    """A trained classifier with its provenance; ``version`` is a hash of the model file."""

    classifier: SentenceClassifier
    version: str
    threshold: float = 0.5
    card: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, articles: Sequence[Sequence[dict]]) -> list[np.ndarray]:
        """P(content) for each sentence of each article (articles are lists of sentence records)."""
        table = sentence_table(articles)
        p = self.classifier.predict_proba(table)[:, 1] if len(table) else np.zeros(0)
        sizes = np.cumsum([len(article) for article in articles])[:-1]
        ordered = np.split(p, sizes)
        # sentence_table sorts each article by index; map back to the caller's order
        out = []
        for article, probs in zip(articles, ordered, strict=True):
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


def load_model(path: str | Path = DEFAULT_MODEL_PATH, threshold: float = 0.5) -> WinnowModel:
    """Load a model file, trusting only :data:`TRUSTED_TYPES`; :class:`ModelError` says what to do."""
    import skops.io as sio

    path = Path(path)
    how = "build one with `make train` (or `winnow train`), or pass --model PATH"
    if not path.is_file():
        raise ModelError(f"model file {path} not found; {how}")
    data = path.read_bytes()
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
    return WinnowModel(payload["classifier"], hashlib.sha256(data).hexdigest()[:12], threshold, card)
