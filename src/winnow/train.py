"""Training: assemble gold + silver sentence tables, cross-validate by site, fit, write model and card.

Plain functions; ``winnow train`` and ``make train`` only call :func:`train`.
"""

from __future__ import annotations

import hashlib
import platform
import time
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from winnow.annotations import gold_labels, load_annotations
from winnow.corpus_refs import corpus_of, sentence_table_path
from winnow.decode import AUTO, Threshold, keep_rows, parse_threshold
from winnow.jsonio import atomic_open, read_jsonl, write_text_atomic
from winnow.memory import peak_memory_mb
from winnow.model import FeatureSet, SentenceClassifier, featurize, save_model, unused_page_features
from winnow.site_features import UNKNOWN_SITE_SUFFIX
from winnow.smoothing import chain_summary

GOLD_CORPUS = "gold"
LIBRARIES = ("winnow", "scikit-learn", "numpy", "scipy", "pandas", "spacy", "skops", "pyarrow")
TABLE_COLUMNS = ["corpus", "site", "article_id", "sentence_id", "block", "index", "text", "label", "weight"]


@dataclass
class TrainingData:
    table: pd.DataFrame  # TABLE_COLUMNS; label 1 = content
    sources: dict[str, str]  # input file -> sha256
    # corpora with hand labels on their pages that training could not use (corpus not configured, no silver
    # table, or the sentence not in it): the CLI warns about them
    unused_label_corpora: list[str] = field(default_factory=list)
    corpus_hand_labels: int = 0  # sentences of corpus pages trained on with a person's label

    @property
    def y(self) -> np.ndarray:
        return self.table["label"].to_numpy(dtype=int)

    @property
    def groups(self) -> np.ndarray:
        return self.table["site"].to_numpy()


def load_config(path: str | Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gold_content_labels(annotations_dir: Path) -> dict[str, int]:
    """1/0 (content/boilerplate) per resolved sentence: adjudicator, else a unique majority; ties left out."""
    resolved, _ = gold_labels(load_annotations(annotations_dir), require_detail=False)
    return {sentence_id: int(gold["label"] == "content") for sentence_id, gold in resolved.items()}


def gold_table(processed_dir: Path, labels: dict[str, int], weight: float) -> pd.DataFrame:
    """The hand-labelled sentences of ``data/processed`` (``labels``: :func:`gold_content_labels`)."""
    sentences = read_jsonl(processed_dir / "sentences.jsonl")
    sites = {a["article_id"]: a.get("site") or a["article_id"] for a in read_jsonl(processed_dir / "articles.jsonl")}
    rows = [
        {**s, "corpus": GOLD_CORPUS, "site": sites[s["article_id"]], "label": labels[s["sentence_id"]],
         "weight": weight}
        for s in sentences if s["sentence_id"] in labels
    ]
    return pd.DataFrame.from_records(rows, columns=TABLE_COLUMNS)


def silver_table(path: Path, data_config: dict[str, Any], human: dict[str, int] | None = None) -> pd.DataFrame:
    """Sentences of one imported corpus; optionally capped in pages and without ambiguous sentences.

    ``human``: labels people gave sentences of corpus pages (annotation records naming them by id, see
    :mod:`winnow.corpus_refs`). They replace the silver label and weigh ``gold_weight``; their pages are
    trained on even beyond the page cap, and their sentences are never left out as ambiguous.
    """
    human = human or {}
    table = pd.read_parquet(path)
    table = table.sort_values(["article_id", "index"], kind="stable").reset_index(drop=True)
    is_human = table["sentence_id"].isin(human.keys()).to_numpy()
    cap = int(data_config.get("max_pages_per_corpus", 0))
    if cap:
        keep = set(sorted(table["article_id"].unique())[:cap]) | set(table.loc[is_human, "article_id"])
        in_pages = table["article_id"].isin(keep).to_numpy()
        table, is_human = table[in_pages], is_human[in_pages]
    if data_config.get("drop_ambiguous", True):
        low, high = data_config.get("ambiguous_band", [0.3, 0.7])
        clear = ~table["align_score"].between(low, high, inclusive="neither").to_numpy() | is_human
        table, is_human = table[clear], is_human[clear]
    silver_label = (table["label"] == "content").astype(int)
    label = np.where(is_human, table["sentence_id"].map(human).fillna(-1).to_numpy(), silver_label)
    silver_weight = length_weights(table["text"], is_human, int(data_config.get("word_weight_cap", 0)))
    weight = np.where(is_human, float(data_config.get("gold_weight", 1.0)), silver_weight)
    table = table.assign(label=label.astype(int), weight=weight)
    # A page without a known site could share a template with any other unknown-site page of its corpus:
    # group them all together so none of them is in training and test at once.
    table["site"] = table["site"].fillna(table["corpus"] + UNKNOWN_SITE_SUFFIX)
    return table[TABLE_COLUMNS].reset_index(drop=True)


def length_weights(texts: pd.Series, is_human: np.ndarray, cap: int) -> np.ndarray | float:
    """Weights of silver sentences by length: each sentence's whitespace-separated words, at most ``cap``, over
    their mean on the corpus's silver sentences (so a corpus keeps its total weight); 1.0 for ``cap`` 0.

    The shingle F1 that users are scored by counts a page's word 4-grams, so a 40-word paragraph moves it and a
    2-word menu line hardly does; weighting training the same way spends the model on what the metric counts.
    The cap keeps a whole unsplit block from outweighing the rest of its page. ``is_human`` rows (hand labels,
    weighed ``gold_weight`` instead) are left out of the mean. Counting the metric's ``\\w+`` tokens instead
    was measured worse on unseen sites (docs/measurements.md).
    """
    if cap <= 0:
        return 1.0
    words = np.clip(texts.str.split().str.len().to_numpy(dtype=float), 1, float(cap))
    silver = words[~is_human]
    return words / silver.mean() if len(silver) else words


def load_training_data(config: dict[str, Any], processed_dir: Path, annotations_dir: Path) -> TrainingData:
    data_config = config.get("data", {})
    labels = gold_content_labels(annotations_dir)
    parts = [gold_table(processed_dir, labels, float(data_config.get("gold_weight", 1.0)))]
    sources = {str(p): sha256_of(p) for p in [processed_dir / "sentences.jsonl", *_annotation_paths(annotations_dir)]}
    on_pages: dict[str, dict[str, int]] = {}  # corpus -> its sentences' labels, the seed articles' left out
    in_gold = set(parts[0]["sentence_id"])
    for sentence_id, label in labels.items():
        corpus = corpus_of(sentence_id)
        if corpus and sentence_id not in in_gold:
            on_pages.setdefault(corpus, {})[sentence_id] = label
    silver_dir = Path(data_config.get("silver_dir", "data/interim/silver"))
    for corpus in data_config.get("corpora", []):
        path = sentence_table_path(silver_dir, corpus)
        if path.exists():
            parts.append(silver_table(path, data_config, on_pages.get(corpus)))
            sources[str(path)] = sha256_of(path)
    table = pd.concat(parts, ignore_index=True)
    labelled = {sentence_id for human in on_pages.values() for sentence_id in human}
    used = labelled & set(table["sentence_id"]) if labelled else set()
    unused = sorted({str(corpus_of(sid)) for sid in labelled - used})
    return TrainingData(table, sources, unused, len(used))


def _annotation_paths(root: Path) -> list[Path]:
    return sorted(root.rglob("*.jsonl"))


def make_classifier(config: dict[str, Any]) -> SentenceClassifier:
    return SentenceClassifier(**config.get("model", {}), random_state=int(config.get("seed", 0)))


def cross_validate(data: TrainingData, classifier: SentenceClassifier, features: FeatureSet, folds: int,
                   n_jobs: int = 2, fit_final: bool = False) -> tuple[pd.DataFrame, SentenceClassifier | None]:
    """Out-of-fold P(content) for every sentence, from models that never saw its site (GroupKFold by site),
    and, with ``fit_final``, the model fitted on everything (run alongside the folds to fill the threads).

    Jobs run in ``n_jobs`` threads: the heavy fitting code releases the GIL, features are shared, not copied.
    """
    from joblib import Parallel, delayed

    y, groups, weights = data.y, data.groups, data.table["weight"].to_numpy()
    n_splits = min(folds, len(np.unique(groups)))
    splits = list(GroupKFold(n_splits=n_splits).split(y, y, groups))
    everything = np.arange(len(y))

    def fit(rows: np.ndarray) -> SentenceClassifier:
        return clone(classifier).fit_features(features.subset(rows), y[rows], groups[rows], weights[rows])

    def run_fold(train_idx: np.ndarray, test_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        model, test = fit(train_idx), features.subset(test_idx)
        proba = model.classifier_proba(test)
        return model.smoothed(proba, test)[:, 1], proba[:, 1]

    jobs = [delayed(run_fold)(tr, te) for tr, te in splits] + ([delayed(fit)(everything)] if fit_final else [])
    results = Parallel(n_jobs=n_jobs, backend="threading")(jobs)
    p, unsmoothed = np.full(len(y), np.nan), np.full(len(y), np.nan)
    fold = np.full(len(y), -1)
    for fold_no, ((_, test_idx), (p_fold, unsmoothed_fold)) in enumerate(zip(splits, results[:n_splits], strict=True)):
        p[test_idx], unsmoothed[test_idx] = p_fold, unsmoothed_fold
        fold[test_idx] = fold_no
    # p_unsmoothed: the classifier's own scores, which `make smoothing` smooths again to measure the chain
    return (data.table.assign(p_content=p, p_unsmoothed=unsmoothed, fold=fold),
            (results[-1] if fit_final else None))


def scores_by_corpus(oof: pd.DataFrame, threshold: Threshold) -> dict[str, dict[str, float]]:
    """Sentence-level precision/recall/F1 of the content class (kept at ``threshold``: each page's decision,
    :mod:`winnow.decode`), per corpus and over everything."""
    out = {}
    oof = oof.assign(y_pred=keep_rows(oof["article_id"].to_numpy(), oof["p_content"].to_numpy(),
                                      oof["text"].tolist(), threshold).astype(int))
    for corpus, part in [("all", oof), *sorted(oof.groupby("corpus"))]:
        y_pred = part["y_pred"]
        precision, recall, f1, _ = precision_recall_fscore_support(
            part["label"], y_pred, average="binary", zero_division=0
        )
        out[corpus] = {"precision": round(float(precision), 6), "recall": round(float(recall), 6),
                       "f1": round(float(f1), 6), "sentences": int(len(part)),
                       "sites": int(part["site"].nunique()), "pages": int(part["article_id"].nunique())}
    return out


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def cv_predictions_path(model_path: Path) -> Path:
    """Where ``train`` writes a model's out-of-fold predictions: beside it."""
    return Path(model_path).with_name("cv-predictions.parquet")


def training_pages_path(model_path: Path) -> Path:
    """Where ``train`` writes the pages a model trained on (``corpus``, ``site``, ``article_id``): beside it,
    with or without cross-validation, so that ``eval-unseen`` and ``compare-models`` can leave them out."""
    return Path(model_path).with_name("training-pages.parquet")


def write_training_pages(table: pd.DataFrame, model_path: Path) -> None:
    """One row per training page, sorted: the same data gives the same bytes."""
    pages = (table[["corpus", "site", "article_id"]].drop_duplicates("article_id")
             .sort_values("article_id", kind="stable").reset_index(drop=True))
    with atomic_open(training_pages_path(model_path), "wb") as handle:
        pages.to_parquet(handle, index=False)


def train(config_path: Path, processed_dir: Path, annotations_dir: Path, model_path: Path,
          cv: bool = True, seed: int | None = None) -> dict[str, Any]:
    """Cross-validate (by site), fit on everything, write the model and its card; return the card.

    ``seed`` replaces the config's (repeated runs of one config); the card's config holds the seed used."""
    config = load_config(config_path)
    if seed is not None:
        config["seed"] = seed
    started = time.perf_counter()
    data = load_training_data(config, processed_dir, annotations_dir)
    threshold = parse_threshold(config.get("threshold", AUTO))
    classifier = make_classifier(config)
    features = classifier.featurize(data.table)
    cv_scores: dict[str, Any] = {}
    if cv:
        oof, classifier = cross_validate(data, classifier, features, int(config.get("cv_folds", 5)),
                                         int(config.get("n_jobs", 2)), fit_final=True)
        with atomic_open(cv_predictions_path(model_path), "wb") as handle:
            oof.to_parquet(handle, index=False)
        cv_scores = scores_by_corpus(oof, threshold)
    else:
        classifier.fit_features(features, data.y, data.groups, data.table["weight"].to_numpy())
    version = save_model(classifier, model_path)
    write_training_pages(data.table, model_path)
    if not cv:  # an earlier run's out-of-fold table beside the model would describe another model
        cv_predictions_path(model_path).unlink(missing_ok=True)
    card = {
        "model": str(model_path), "version": version, "threshold": threshold, "config": config,
        "config_sha256": sha256_of(config_path), "data": data.sources,
        "training_rows": {c: int(n) for c, n in sorted(data.table["corpus"].value_counts().items())},
        "content_share": round(float(data.y.mean()), 6), "libraries": library_versions(),
        "hand_labels_on_corpus_pages": {"sentences": data.corpus_hand_labels,
                                        "unused_corpora": data.unused_label_corpora},
        "unused_page_features": unused_page_features(classifier),  # candidates for [model] drop_features
        "smoothing_chain": chain_summary(classifier.chain_) if classifier.chain_ is not None else None,
        "cv": {"splitter": "GroupKFold by site", "folds": int(config.get("cv_folds", 5)), "scores": cv_scores},
        "training_seconds": round(time.perf_counter() - started, 1),
        "peak_memory_mb": peak_memory_mb(),  # of the whole process (featurising, CV folds in threads, final fit)
    }
    write_text_atomic(model_path.with_name("model-card.json"), _dumps(card))
    return card


def _dumps(card: dict[str, Any]) -> str:
    import json

    return json.dumps(card, indent=2, ensure_ascii=False) + "\n"


def learning_curve(config_path: Path, processed_dir: Path, annotations_dir: Path,
                   fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)) -> list[dict[str, Any]]:
    """Held-out F1 against the amount of training data.

    One GroupKFold split by site (fold 0 held out); the model is trained on growing, nested random subsets
    of the remaining sites (fixed seed) and scored on the held-out sites' sentences.
    """
    from joblib import Parallel, delayed

    config = load_config(config_path)
    data = load_training_data(config, processed_dir, annotations_dir)
    classifier = make_classifier(config)
    features = classifier.featurize(data.table)
    y, groups, weights = data.y, data.groups, data.table["weight"].to_numpy()
    n_splits = min(int(config.get("cv_folds", 5)), len(np.unique(groups)))
    train_idx, test_idx = next(GroupKFold(n_splits=n_splits).split(y, y, groups))
    sites = np.unique(groups[train_idx])
    order = np.random.default_rng(int(config.get("seed", 0))).permutation(len(sites))
    threshold = parse_threshold(config.get("threshold", AUTO))

    def point(fraction: float) -> dict[str, Any]:
        chosen = set(sites[order[: max(2, int(round(fraction * len(sites))))]])
        rows = train_idx[np.isin(groups[train_idx], list(chosen))]
        model = clone(classifier).fit_features(features.subset(rows), y[rows], groups[rows], weights[rows])
        p = model.predict_proba_features(features.subset(test_idx))[:, 1]
        pred = keep_rows(data.table["article_id"].to_numpy()[test_idx], p,
                         data.table["text"].to_numpy()[test_idx].tolist(), threshold).astype(int)
        _, _, f1, _ = precision_recall_fscore_support(y[test_idx], pred, average="binary", zero_division=0)
        return {"n_train": int(data.table["article_id"].iloc[rows].nunique()), "n_sentences": int(len(rows)),
                "f1": round(float(f1), 6), "series": "held-out sites (fold 0)"}

    return Parallel(n_jobs=int(config.get("n_jobs", 2)), backend="threading")(delayed(point)(f) for f in fractions)


ABLATIONS: dict[str, dict[str, Any]] = {
    "page features only (1 pass)": {"use_ngrams": False, "passes": 1, "use_site_features": False,
                                    "prob_regions": ()},
    "n-grams only (their probabilities and the neighbours')": {"use_page_features": False, "passes": 1,
                                                               "use_site_features": False, "prob_regions": ()},
    "page features + n-grams (1 pass)": {"passes": 1, "use_site_features": False, "prob_regions": ()},
    "page features + n-grams + site repetition (1 pass)": {"passes": 1, "prob_regions": ()},
    "+ the page's most probable run of sentences (1 pass)": {"passes": 1, "prob_regions": (0.5,)},
    "+ a second, wider run: P(content) 0.4 and up (1 pass; shipped)": {"passes": 1, "prob_regions": (0.4, 0.5)},
    "+ neighbour smoothing (2 passes)": {"passes": 2, "prob_regions": (0.4, 0.5)},
}


def ablation(config_path: Path, processed_dir: Path, annotations_dir: Path,
             max_pages_per_corpus: int | None = None) -> list[dict[str, Any]]:
    """Cross-validated (by site) scores of each model variant in :data:`ABLATIONS`, per corpus."""
    config = load_config(config_path)
    if max_pages_per_corpus is not None:
        config.setdefault("data", {})["max_pages_per_corpus"] = max_pages_per_corpus
    data = load_training_data(config, processed_dir, annotations_dir)
    threshold = parse_threshold(config.get("threshold", AUTO))
    base = make_classifier(config)
    features = featurize(data.table, base.ngram_features, char_range=base.ngram_char_range)
    rows = []
    for name, params in ABLATIONS.items():
        started = time.perf_counter()
        variant = clone(base).set_params(**params)
        oof, _ = cross_validate(data, variant, features, int(config.get("cv_folds", 5)), int(config.get("n_jobs", 2)))
        rows.append({"variant": name, "params": params, "scores": scores_by_corpus(oof, threshold),
                     "seconds": round(time.perf_counter() - started, 1)})
    return rows


def ablation_markdown(rows: list[dict[str, Any]], note: str) -> str:
    corpora = list(rows[0]["scores"]) if rows else []
    lines = ["# Ablation: sentence-level content F1, cross-validated by site (GroupKFold)", "", note, "",
             "| variant | " + " | ".join(corpora) + " | CV seconds |", "|---|" + "---:|" * (len(corpora) + 1)]
    for row in rows:
        cells = [f"{row['scores'][c]['f1']:.3f}" for c in corpora]
        lines.append(f"| {row['variant']} | " + " | ".join(cells) + f" | {row['seconds']} |")
    return "\n".join(lines) + "\n"
