"""Does sequence smoothing of the classifier's P(content) help? An HMM / CRF-like second pass, measured.

Input: the site-held-out predictions that ``winnow train`` writes (``train/cv-predictions.parquet``: one row
per sentence with ``p_unsmoothed``, the classifier's own score from the fold that did not see its site, before
the product's smoothing within blocks; ``label``, ``fold``, ``block``; a table without ``p_unsmoothed`` is read
through ``p_content``).
Each sentence's P(content) becomes a scaled emission of a hidden-Markov chain over the page's sentences
("hybrid" HMM: emission ~ (P(state | x) / P(state)) ** tau), and the chain's transitions are counted from
the labels. Two transition matrices: between sentences of the same text block and across a block break.

Variants (every parameter for the rows of fold f is estimated from rows with fold != f only):

* ``baseline``: the classifier's P(content) >= ``--threshold``, unsmoothed.
* ``block chain (shipped)``: :mod:`winnow.smoothing`, the product's smoothing: a 2-state chain over each
  text block's sentences only (blocks do not smooth each other), posterior >= 0.5.
* ``threshold 0.45``: the same scores at a lower threshold: a control, since smoothing moves scores up.
* ``hmm2 posterior tau=1``: 2-state chain (content / boilerplate), forward-backward, posterior >= 0.5.
* ``hmm2 posterior tau=CV``: the same with tau chosen by an inner CV over the training folds of each
  outer fold (inner fold g scored with parameters fitted on folds other than f and g).
* ``hmm2 viterbi tau=1``: the most likely label sequence of the 2-state chain.
* ``hmm4 posterior tau=1``: a 4-state page layout chain (header boilerplate, content, inline boilerplate,
  footer boilerplate; states derived from the labels), posterior of the content state >= 0.5.

Reported: sentence-level content F1 per corpus (``winnow.metrics``), pooled and macro over corpora; the pooled
F1 delta against the baseline with a paired percentile bootstrap over sites (fixed seed); threshold-free
average precision of the scores (scikit-learn); page-level shingle F1 per corpus when the silver page
tables (``data/interim/silver/<corpus>-pages.parquet``, built by ``make silver``) are present; and page-level
shingle F1 on the unseen pages of unseen sites (as ``make eval-unseen`` picks them) cleaned by ``--model``, plain
and smoothed, with paired page-bootstrap intervals (:func:`unseen_shingle`).

Writes ``train/smoothing.md`` and ``train/smoothing.json`` (numbers only, no corpus text). Deterministic:
the same input gives the same bytes. The forward-backward and Viterbi code lives here, not in the
``winnow`` package, because the product does not use them (it smooths within blocks, :mod:`winnow.smoothing`).

Also reported: how many hand-labelled sentences of the seed pages (which the model trains on) each variant
decides against their label, scored by ``--model`` (its own chain for the shipped variant): a chain across
block breaks keeps the Independent's uncertain captions between paragraphs of the body.

    .venv/bin/python bench/smoothing.py [--predictions train/cv-predictions.parquet] [--no-shingle]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EPS = 1e-6  # P(content) is clipped to [EPS, 1 - EPS] before it becomes an emission
PSEUDOCOUNT = 1.0  # added to every transition / start count
TAU_GRID = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
CONTROL_THRESHOLD = 0.45
N_BOOT = 2000
SEED = 0
REQUIRED_COLUMNS = ("corpus", "site", "article_id", "block", "index", "text", "label", "p_content", "fold")
SHIPPED = "block chain (shipped)"

# 4-state layout chain: boilerplate before the first content sentence (header), content, boilerplate between
# content sentences (inline), boilerplate after the last content sentence (footer).
HEADER, CONTENT, INLINE, FOOTER = 0, 1, 2, 3
CONTENT_STATES_2 = np.array([False, True])
CONTENT_STATES_4 = np.array([False, True, False, False])

Params = dict[str, np.ndarray]  # "trans" (2, S, S): [new block, same block]; "start" (S,); "prior" (2,)


# ------------------------------------------------------------------------------------------ sentence table


@dataclass(frozen=True)
class Rows:
    """Sentences in page order (sorted by article, then index), as aligned arrays."""

    p: np.ndarray  # P(content)
    label: np.ndarray  # 1 content, 0 boilerplate
    fold: np.ndarray
    first: np.ndarray  # first sentence of its article
    same_block: np.ndarray  # same text block as the previous sentence of the same article
    corpus: np.ndarray
    site: np.ndarray
    article: np.ndarray

    def subset(self, mask: np.ndarray) -> Rows:
        """The rows of ``mask``, which must keep or drop whole articles (folds never split an article)."""
        return Rows(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})

    def __len__(self) -> int:
        return len(self.p)


def rows_from_arrays(article: Sequence, block: Sequence[int], p: Sequence[float], label: Sequence[int] | None = None,
                     fold: Sequence[int] | None = None, corpus: Sequence | None = None,
                     site: Sequence | None = None) -> Rows:
    """:class:`Rows` from arrays already in page order (consecutive rows of one article are contiguous)."""
    article = np.asarray(article)
    block = np.asarray(block)
    n = len(article)
    first = np.r_[True, article[1:] != article[:-1]] if n else np.zeros(0, bool)
    same_block = ~first & np.r_[False, block[1:] == block[:-1]] if n else np.zeros(0, bool)
    return Rows(p=np.asarray(p, float), label=np.zeros(n, int) if label is None else np.asarray(label, int),
                fold=np.zeros(n, int) if fold is None else np.asarray(fold, int), first=first, same_block=same_block,
                corpus=np.full(n, "-") if corpus is None else np.asarray(corpus),
                site=np.full(n, "-") if site is None else np.asarray(site), article=article)


def load_rows(path: Path) -> Rows:
    """The out-of-fold table, sorted into page order; exits with a clear message on a bad file."""
    import pandas as pd

    if not path.is_file():
        sys.exit(f"error: {path} not found; run `make train` (its cross-validation writes it)")
    frame = pd.read_parquet(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        sys.exit(f"error: {path} lacks columns {missing}; rebuild it with `make train`")
    score = "p_unsmoothed" if "p_unsmoothed" in frame.columns else "p_content"
    if frame[score].isna().any():
        sys.exit(f"error: {path}: some sentences have no out-of-fold P(content)")
    frame = frame.sort_values(["article_id", "index"], kind="stable").reset_index(drop=True)
    if frame.duplicated(["article_id", "index"]).any():
        sys.exit(f"error: {path}: duplicate (article_id, index) rows")
    if (frame.groupby("article_id")["fold"].nunique() > 1).any():
        sys.exit(f"error: {path}: an article spans several folds")
    return rows_from_arrays(frame["article_id"].to_numpy(), frame["block"].to_numpy(), frame[score].to_numpy(),
                            frame["label"].to_numpy(), frame["fold"].to_numpy(), frame["corpus"].to_numpy(),
                            frame["site"].to_numpy())


# ------------------------------------------------------------------------------------------ chain parameters


def layout_states(label: np.ndarray, first: np.ndarray) -> np.ndarray:
    """4-state layout of labelled rows: boilerplate before its article's first content sentence is HEADER,
    after the last one FOOTER, in between INLINE (an article without content is all HEADER)."""
    label = np.asarray(label, int)
    article = np.cumsum(first) - 1
    pos = np.arange(len(label))
    n_articles = int(article[-1]) + 1 if len(label) else 0
    first_content = np.full(n_articles, len(label))
    last_content = np.full(n_articles, -1)
    np.minimum.at(first_content, article[label == 1], pos[label == 1])
    np.maximum.at(last_content, article[label == 1], pos[label == 1])
    states = np.where(label == 1, CONTENT, INLINE)
    states[(label == 0) & (pos < first_content[article])] = HEADER
    states[(label == 0) & (pos > last_content[article]) & (last_content[article] >= 0)] = FOOTER
    return states


def fit_chain(states: np.ndarray, label: np.ndarray, first: np.ndarray, same_block: np.ndarray,
              n_states: int) -> Params:
    """Transition (by block break / same block), start and label-prior probabilities counted from rows."""
    states = np.asarray(states, int)
    follows = ~first[1:]  # pair (i-1, i) inside one article
    trans = np.zeros((2, n_states, n_states))
    for kind in (0, 1):
        pair = follows & (same_block[1:] == bool(kind))
        counts = np.full((n_states, n_states), PSEUDOCOUNT)
        np.add.at(counts, (states[:-1][pair], states[1:][pair]), 1)
        trans[kind] = counts / counts.sum(axis=1, keepdims=True)
    start = np.bincount(states[first], minlength=n_states) + PSEUDOCOUNT
    prior = np.bincount(np.asarray(label, int), minlength=2) + PSEUDOCOUNT
    return {"trans": trans, "start": start / start.sum(), "prior": prior / prior.sum()}


def fit_rows(rows: Rows, n_states: int) -> Params:
    states = rows.label if n_states == 2 else layout_states(rows.label, rows.first)
    return fit_chain(states, rows.label, rows.first, rows.same_block, n_states)


def out_of_fold_params(rows: Rows, n_states: int, held_out: Sequence[int] = ()) -> dict[int, Params]:
    """For each fold g of ``rows`` (not in ``held_out``): parameters fitted on rows of folds not in
    ``held_out`` and not g. With ``held_out=(f,)`` this is the inner CV of outer fold f."""
    usable = ~np.isin(rows.fold, held_out)
    return {int(g): fit_rows(rows.subset(usable & (rows.fold != g)), n_states)
            for g in np.unique(rows.fold[usable])}


def chain_inputs(rows: Rows, params_by_fold: dict[int, Params], content_states: np.ndarray,
                 taus: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row ``(emit (K, n, S), trans (n, S, S), start (n, S))`` for taus ``K``; each row uses its fold's
    parameters. ``trans[i]`` is the transition from row i-1 into row i (unused on an article's first row)."""
    folds = sorted(params_by_fold)
    which = np.searchsorted(folds, rows.fold)
    trans = np.stack([params_by_fold[g]["trans"] for g in folds])[which, rows.same_block.astype(int)]
    start = np.stack([params_by_fold[g]["start"] for g in folds])[which]
    prior = np.stack([params_by_fold[g]["prior"] for g in folds])[which]  # (n, 2)
    p = np.clip(rows.p, EPS, 1 - EPS)
    ratio = np.where(content_states[None, :], (p / prior[:, 1])[:, None], ((1 - p) / prior[:, 0])[:, None])
    log_ratio = np.log(ratio)
    emit = np.exp(np.asarray(taus, float)[:, None, None] * (log_ratio - log_ratio.max(axis=1, keepdims=True)))
    return emit, trans, start


# ------------------------------------------------------------------------------------------ inference


def _positions(first: np.ndarray) -> list[np.ndarray]:
    """Row indices grouped by their position inside the article: element t holds every article's row t."""
    n = len(first)
    article_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    pos = np.arange(n) - article_start
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(pos.max() + 2)) if n else np.zeros(1, int)
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def state_posteriors(emit: np.ndarray, trans: np.ndarray, start: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Forward-backward with per-step normalisation over every article at once: P(state_i | all emissions of
    i's article), shape (K, n, S). ``emit`` (K, n, S) >= 0, ``trans`` (n, S, S), ``start`` (n, S)."""
    by_pos = _positions(first)
    alpha = np.empty_like(emit)
    beta = np.ones_like(emit)
    for t, rows in enumerate(by_pos):
        prev = start[rows][None] if t == 0 else np.einsum("kms,mst->kmt", alpha[:, rows - 1], trans[rows])
        a = prev * emit[:, rows]
        alpha[:, rows] = a / a.sum(axis=2, keepdims=True)
    for rows in reversed(by_pos[1:]):  # rows at position t+1 update their predecessors at t
        b = np.einsum("mst,kmt->kms", trans[rows], emit[:, rows] * beta[:, rows])
        beta[:, rows - 1] = b / b.sum(axis=2, keepdims=True)
    gamma = alpha * beta
    return gamma / gamma.sum(axis=2, keepdims=True)


def viterbi_states(emit: np.ndarray, trans: np.ndarray, start: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Most likely state sequence of each article (ties: lowest state), shape (K, n)."""
    by_pos = _positions(first)
    with np.errstate(divide="ignore"):
        log_emit, log_trans, log_start = np.log(emit), np.log(trans), np.log(start)
    delta = np.empty_like(emit)
    back = np.zeros(emit.shape, dtype=np.int64)
    for t, rows in enumerate(by_pos):
        if t == 0:
            delta[:, rows] = log_start[rows][None] + log_emit[:, rows]
            continue
        cand = delta[:, rows - 1][:, :, :, None] + log_trans[rows][None]  # (K, m, from, to)
        back[:, rows] = cand.argmax(axis=2)
        delta[:, rows] = cand.max(axis=2) + log_emit[:, rows]
    n = emit.shape[1]
    last = np.r_[first[1:], True] if n else np.zeros(0, bool)
    states = np.zeros(emit.shape[:2], dtype=np.int64)
    for rows in reversed(by_pos):
        nxt = np.minimum(rows + 1, n - 1)
        from_next = np.take_along_axis(back[:, nxt], states[:, nxt][:, :, None], axis=2)[:, :, 0]
        states[:, rows] = np.where(last[rows][None], delta[:, rows].argmax(axis=2), from_next)
    return states


def smoothed_scores(rows: Rows, params_by_fold: dict[int, Params], content_states: np.ndarray,
                    taus: Sequence[float]) -> np.ndarray:
    """Posterior P(content) of every row for each tau, shape (K, n)."""
    emit, trans, start = chain_inputs(rows, params_by_fold, content_states, taus)
    return state_posteriors(emit, trans, start, rows.first)[:, :, content_states].sum(axis=2)


def viterbi_content(rows: Rows, params_by_fold: dict[int, Params], content_states: np.ndarray,
                    tau: float) -> np.ndarray:
    emit, trans, start = chain_inputs(rows, params_by_fold, content_states, [tau])
    return content_states[viterbi_states(emit, trans, start, rows.first)[0]].astype(int)


def block_bounds_of(rows: Rows) -> np.ndarray:
    """Row offsets of the rows' text blocks (a new block at each article's first row or block break)."""
    return np.r_[np.flatnonzero(rows.first | ~rows.same_block), len(rows)].astype(np.int64)


def shipped_chain(rows: Rows) -> dict[str, np.ndarray]:
    """The product's chain (:func:`winnow.smoothing.fit_chain`) counted from the labels of ``rows``."""
    from winnow.smoothing import fit_chain

    return fit_chain(rows.label, block_bounds_of(rows))


def shipped_smoothing(rows: Rows, labels_from: Rows | None = None) -> np.ndarray:
    """The product's smoothing (:mod:`winnow.smoothing`) of ``rows.p``: per fold, with the chain counted from
    the other folds; with ``labels_from``, one chain counted from those rows for all of them."""
    from winnow.smoothing import smooth

    if labels_from is not None:
        return smooth(rows.p, block_bounds_of(rows), shipped_chain(labels_from))
    out = np.zeros(len(rows))
    for f in np.unique(rows.fold):
        test = rows.fold == f
        out[test] = smooth(rows.p[test], block_bounds_of(rows.subset(test)),
                           shipped_chain(rows.subset(rows.fold != f)))
    return out


def tune_tau(rows: Rows, outer_fold: int) -> tuple[float, dict[str, float]]:
    """Tau with the best pooled F1 over the inner folds of ``outer_fold`` (its rows never used)."""
    from winnow.metrics import fast_sentence_prf

    inner = rows.subset(rows.fold != outer_fold)
    scores = smoothed_scores(inner, out_of_fold_params(rows, 2, held_out=(outer_fold,)), CONTENT_STATES_2, TAU_GRID)
    f1 = [fast_sentence_prf(inner.label, (s >= 0.5).astype(int))["f1"] for s in scores]
    return TAU_GRID[int(np.argmax(f1))], {str(tau): round(v, 6) for tau, v in zip(TAU_GRID, f1, strict=True)}


# ------------------------------------------------------------------------------------------ variants


def run_variants(rows: Rows, threshold: float, step: Callable[[str], None]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({name: {"pred": 0/1 array, "score": array or None}}, details)`` of every variant."""
    params2 = out_of_fold_params(rows, 2)
    params4 = out_of_fold_params(rows, 4)
    out: dict[str, Any] = {
        "baseline": {"pred": (rows.p >= threshold).astype(int), "score": rows.p},
        f"threshold {CONTROL_THRESHOLD}": {"pred": (rows.p >= CONTROL_THRESHOLD).astype(int), "score": None},  # = raw
    }
    step(SHIPPED)
    block = shipped_smoothing(rows)
    out[SHIPPED] = {"pred": (block >= threshold).astype(int), "score": block}
    step("hmm2 posterior tau=1")
    post = smoothed_scores(rows, params2, CONTENT_STATES_2, [1.0])[0]
    out["hmm2 posterior tau=1"] = {"pred": (post >= 0.5).astype(int), "score": post}
    chosen: dict[str, Any] = {}
    tuned = np.zeros(len(rows))
    for f in sorted(params2):
        step(f"hmm2 tau by inner CV (outer fold {f})")
        tau, grid = tune_tau(rows, f)
        chosen[str(f)] = {"tau": tau, "inner_f1": grid}
        mask = rows.fold == f
        tuned[mask] = smoothed_scores(rows.subset(mask), params2, CONTENT_STATES_2, [tau])[0]
    out["hmm2 posterior tau=CV"] = {"pred": (tuned >= 0.5).astype(int), "score": tuned}
    step("hmm2 viterbi tau=1")
    out["hmm2 viterbi tau=1"] = {"pred": viterbi_content(rows, params2, CONTENT_STATES_2, 1.0), "score": None}
    step("hmm4 posterior tau=1")
    post4 = smoothed_scores(rows, params4, CONTENT_STATES_4, [1.0])[0]
    out["hmm4 posterior tau=1"] = {"pred": (post4 >= 0.5).astype(int), "score": post4}
    details = {"tau_by_outer_fold": chosen,
               "params_by_fold": {"hmm2": _rounded_params(params2), "hmm4": _rounded_params(params4)}}
    return out, details


def _rounded_params(params_by_fold: dict[int, Params]) -> dict[str, Any]:
    return {str(f): {k: np.round(v, 6).tolist() for k, v in p.items()} for f, p in params_by_fold.items()}


# ------------------------------------------------------------------------------------------ metrics


def sentence_f1(rows: Rows, pred: np.ndarray) -> dict[str, float]:
    """Content F1 per corpus, ``pooled`` (all rows) and ``macro`` (mean over corpora)."""
    from winnow.metrics import fast_sentence_prf

    out = {c: fast_sentence_prf(rows.label[rows.corpus == c], pred[rows.corpus == c])["f1"]
           for c in np.unique(rows.corpus)}
    macro = float(np.mean(list(out.values())))
    out["pooled"] = fast_sentence_prf(rows.label, pred)["f1"]
    out["macro"] = macro
    return out


def average_precision(rows: Rows, score: np.ndarray) -> dict[str, float | None]:
    """Threshold-free average precision of the scores per corpus and pooled (None: one class only)."""
    from sklearn.metrics import average_precision_score

    def ap(mask: np.ndarray) -> float | None:
        y = rows.label[mask]
        return float(average_precision_score(y, score[mask])) if 0 < y.sum() < len(y) else None

    out = {c: ap(rows.corpus == c) for c in np.unique(rows.corpus)}
    out["pooled"] = ap(np.ones(len(rows), bool))
    return out


def site_delta_ci(rows: Rows, base: np.ndarray, new: np.ndarray) -> dict[str, float]:
    """Pooled F1(new) - F1(base) and its 95% percentile interval, resampling sites (paired, fixed seed)."""
    from winnow.metrics import bootstrap_ci, confusion_counts

    sites = np.char.add(np.char.add(rows.corpus.astype(str), "/"), rows.site.astype(str))
    names, site_of = np.unique(sites, return_inverse=True)
    counts = np.zeros((len(names), 2, 4))
    for s in range(len(names)):
        mask = site_of == s
        counts[s] = [confusion_counts(rows.label[mask], base[mask]), confusion_counts(rows.label[mask], new[mask])]

    def delta(sample: np.ndarray) -> dict[str, float]:
        tp, fp, fn = (sample[:, :, k].sum(axis=0) for k in range(3))
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        return {"delta": float(f1[1] - f1[0])}

    ci = bootstrap_ci(counts, delta, n_boot=N_BOOT, seed=SEED)["delta"]
    return {"delta": delta(counts)["delta"], "low": ci["low"], "high": ci["high"], "n_sites": len(names)}


def shingle_scores(rows: Rows, texts: np.ndarray, blocks: np.ndarray, index: np.ndarray, silver_dir: Path,
                   variants: dict[str, Any], step: Callable[[str], None]) -> tuple[dict[str, Any] | None, str]:
    """Page-level shingle F1 per corpus for every variant, or ``(None, why)`` when gold texts are missing."""
    from winnow.baselines import join_kept
    from winnow.evaluate import attach_corpus_pages
    from winnow.metrics import page_shingle_scores, shingle_f1

    starts = np.flatnonzero(rows.first)
    ends = np.r_[starts[1:], len(rows)]
    pages = [{"corpus": str(rows.corpus[s]), "page_id": str(rows.article[s]), "span": (s, e)}
             for s, e in zip(starts, ends, strict=True)]
    corpus_pages = [p for p in pages if p["page_id"].partition("/")[0] == p["corpus"]]
    attached = attach_corpus_pages(pages, silver_dir, None, with_html=False)["gold_text"]
    if attached < len(corpus_pages):
        return None, (f"skipped: {len(corpus_pages) - attached} of {len(corpus_pages)} corpus pages have no gold text "
                      f"in {silver_dir} (run `make silver`)")
    for page in pages:
        s, e = page["span"]
        page["sentences"] = [{"text": str(t), "block": int(b), "index": int(i)}
                             for t, b, i in zip(texts[s:e], blocks[s:e], index[s:e], strict=True)]
        if "gold_text" not in page:  # hand-annotated pages: their gold content sentences
            page["gold_text"] = join_kept(page["sentences"], rows.label[s:e].tolist())
    out = {}
    for name, variant in variants.items():
        step(f"shingle F1: {name}")
        by_corpus: dict[str, list] = {}
        for page in pages:
            s, e = page["span"]
            pred_text = join_kept(page["sentences"], variant["pred"][s:e].tolist())
            by_corpus.setdefault(page["corpus"], []).append(page_shingle_scores(pred_text, page["gold_text"]))
        out[name] = {c: shingle_f1(scores)["f1"] for c, scores in sorted(by_corpus.items())}
    return out, "4-gram shingle F1 against the silver pages' gold text (hand-annotated pages: gold sentences)"


UNSEEN_VARIANTS = {"hmm2 posterior tau=1": (2, CONTENT_STATES_2), "hmm4 posterior tau=1": (4, CONTENT_STATES_4)}
UNSEEN_BOOT = 1000


def unseen_shingle(rows: Rows, model_path: Path, silver_dir: Path, corpora: Sequence[str], threshold: float,
                   step: Callable[[str], None]) -> tuple[dict[str, Any] | None, str]:
    """Page shingle F1 on the unseen pages of unseen sites (picked as `make eval-unseen` picks them, from the
    ``training-pages.parquet`` beside the model): the model's plain threshold against HMM smoothing of its
    P(content), with chains counted from every row of the out-of-fold table (no unseen page's labels).

    ``(None, why)`` where the model, its training pages or the silver page tables are missing. Otherwise, per
    group of :func:`winnow.unseen.page_groups`, each variant's F1 and its difference from the baseline with a
    paired page-bootstrap interval.
    """
    from winnow.baselines import join_kept
    from winnow.clean import predict_sites
    from winnow.model import load_model
    from winnow.unseen import page_groups, page_shingle_rows, shingle_summary, trained_pages, unseen_pages

    training = model_path.parent / "training-pages.parquet"
    if not (model_path.is_file() and training.is_file()):
        return None, f"skipped: {_display_path(model_path)} or its training-pages.parquet is missing (`make train`)"
    ids, sites = trained_pages(training)
    pages, _ = unseen_pages(silver_dir, corpora, ids, sites)
    if not pages:
        return None, f"skipped: no unseen corpus page in {_display_path(silver_dir)} (run `make silver`)"
    step("unseen pages: the model's P(content)")
    jobs = [(None, [(page["page_id"], page["text"]) for page in pages], None)]
    model = load_model(model_path)
    chain = shipped_chain(rows)
    if model.classifier.smoothing and not all(
            np.allclose(model.classifier.chain_[key], chain[key], rtol=0, atol=1e-12) for key in chain):
        sys.exit(f"error: {model_path}'s smoothing chain differs from the one counted from {len(rows)} out-of-fold "
                 "rows: is the out-of-fold table this model's?")
    model.classifier.set_params(smoothing=False)  # the classifier's own scores, which every variant smooths
    predicted = [(records, p) for _, _, _, records, p in predict_sites(jobs, model, ids=False)]
    lengths = [len(p) for _, p in predicted]
    page_rows = rows_from_arrays(np.repeat(np.arange(len(pages)), lengths),
                                 [r["block"] for records, _ in predicted for r in records],
                                 np.concatenate([p for _, p in predicted]))
    ends = np.cumsum(lengths)
    decisions = {"baseline": page_rows.p >= threshold}
    step(f"unseen pages: {SHIPPED}")
    decisions[SHIPPED] = shipped_smoothing(page_rows, labels_from=rows) >= threshold
    for name, (n_states, content_states) in UNSEEN_VARIANTS.items():
        step(f"unseen pages: {name}")
        post = smoothed_scores(page_rows, {0: fit_rows(rows, n_states)}, content_states, [1.0])[0]
        decisions[name] = post >= 0.5
    scores = {}
    for name, keep in decisions.items():
        texts = [join_kept(records, part.tolist()) for (records, _), part in
                 zip(predicted, np.split(keep, ends[:-1]), strict=True)]
        scores[name] = page_shingle_rows(texts, pages)
    out: dict[str, Any] = {}
    for group, mask in page_groups(pages).items():
        base = scores["baseline"][mask]
        out[group] = {name: shingle_summary(score[mask], None if name == "baseline" else base, UNSEEN_BOOT, SEED)
                      for name, score in scores.items()}
    return out, (f"{len(pages)} pages; chains counted from all {len(rows)} rows of the out-of-fold table; "
                 f"model {_display_path(model_path)}")


def seed_disagreements(rows: Rows, model_path: Path, threshold: float, processed_dir: Path,
                       annotations_dir: Path) -> tuple[dict[str, Any] | None, str]:
    """Hand-labelled sentences of the seed pages (in training) that each variant decides against their label:
    ``--model``'s own scores of whole seed pages, smoothed by chains counted from the out-of-fold rows (as on the
    unseen pages). ``(None, why)`` where the model or the seed data is missing."""
    from winnow.jsonio import read_jsonl
    from winnow.model import load_model
    from winnow.train import gold_content_labels

    sentences_path = processed_dir / "sentences.jsonl"
    if not (model_path.is_file() and sentences_path.is_file()):
        return None, f"skipped: {_display_path(model_path)} or {_display_path(sentences_path)} is missing"
    labels = gold_content_labels(annotations_dir)
    pages: dict[str, list[dict]] = {}
    for record in read_jsonl(sentences_path):
        pages.setdefault(record["article_id"], []).append(record)
    articles = [sorted(page, key=lambda r: r["index"]) for page in pages.values()]
    model = load_model(model_path)
    model.classifier.set_params(smoothing=False)
    p = np.concatenate(model.predict_proba(articles))
    records = [r for article in articles for r in article]
    seed_rows = rows_from_arrays([r["article_id"] for r in records], [r["block"] for r in records], p)
    label = np.array([labels.get(r["sentence_id"], -1) for r in records])
    scores = {"baseline": p >= threshold, SHIPPED: shipped_smoothing(seed_rows, labels_from=rows) >= threshold}
    for name, (n_states, content_states) in UNSEEN_VARIANTS.items():
        scores[name] = smoothed_scores(seed_rows, {0: fit_rows(rows, n_states)}, content_states, [1.0])[0] >= 0.5
    labelled = label >= 0
    out = {}
    for name, keep in scores.items():
        wrong = np.flatnonzero(labelled & (keep != (label == 1)))
        out[name] = {"wrong": len(wrong), "kept_boilerplate": [records[i]["text"][:60] for i in wrong if label[i] == 0],
                     "dropped_content": [records[i]["text"][:60] for i in wrong if label[i] == 1]}
    return out, (f"{int(labelled.sum())} hand-labelled sentences of {len(articles)} seed pages; "
                 f"model {_display_path(model_path)}")


# ------------------------------------------------------------------------------------------ report


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1),
            *["| " + " | ".join(r) + " |" for r in body]]


def verdict(result: dict[str, Any]) -> list[str]:
    """3-5 lines of conclusions computed from the numbers (the text follows the data, not the other way)."""
    f1, ci, ap = result["sentence_f1"], result["pooled_delta"], result["average_precision"]
    hmms = [n for n in f1 if n.startswith("hmm")]  # the chains across block breaks (not shipped)
    corpora = [c for c in f1["baseline"] if c not in ("pooled", "macro", "gold")]
    gains = [n for n in hmms if ci[n]["low"] > 0]
    deltas = [ci[n]["delta"] for n in hmms]
    lines = [f"- Pooled sentence F1 delta of the HMM variants: {min(deltas):+.4f} to {max(deltas):+.4f}; "
             + ("every paired site-bootstrap 95% interval includes 0." if not gains and all(
                 ci[n]["high"] >= 0 for n in hmms) else f"intervals above 0: {', '.join(gains) or 'none'}.")]
    helped = [c for c in corpora if all(f1[n][c] > f1["baseline"][c] for n in hmms)]
    hurt = [c for c in corpora if all(f1[n][c] < f1["baseline"][c] for n in hmms)]
    lines.append(f"- Every HMM variant helps {', '.join(helped) or 'no corpus'} and hurts {', '.join(hurt) or 'none'}"
                 f"; macro F1 over corpora: baseline {f1['baseline']['macro']:.4f}, HMMs "
                 f"{min(f1[n]['macro'] for n in hmms):.4f}-{max(f1[n]['macro'] for n in hmms):.4f}.")
    control = f"threshold {CONTROL_THRESHOLD}"
    lines.append(f"- Lowering the threshold to {CONTROL_THRESHOLD} alone gives {ci[control]['delta']:+.4f} pooled "
                 f"[{ci[control]['low']:+.4f}, {ci[control]['high']:+.4f}], "
                 + ("as much as" if ci[control]["delta"] >= max(deltas) else
                    f"{max(deltas) - ci[control]['delta']:.4f} less than") + " the best HMM variant.")
    scored = [ap[n]["pooled"] for n in hmms if ap[n] is not None]
    raw = ap["baseline"]["pooled"]
    lines.append(f"- Threshold-free average precision (pooled): raw scores {raw:.4f}, HMM posteriors "
                 f"{min(scored):.4f}-{max(scored):.4f}"
                 + (": smoothing does not rank sentences better." if max(scored) <= raw else
                    ": a smoothed ranking is better than the raw one."))
    shipped = ci[SHIPPED]
    lines.append(f"- The product's {SHIPPED}: pooled sentence F1 {shipped['delta']:+.4f} "
                 f"[{shipped['low']:+.4f}, {shipped['high']:+.4f}].")
    lines += _unseen_verdict(result.get("unseen"))
    lines += _decision(result)
    return lines


def _decision(result: dict[str, Any]) -> list[str]:
    """Whether the data still back the shipped smoothing, and why chains across blocks stay out."""
    unseen, seeds = result.get("unseen"), result.get("seeds")
    lines = []
    if seeds is not None:
        others = ", ".join(f"{name} {v['wrong']}" for name, v in seeds.items() if name not in ("baseline", SHIPPED))
        lines.append(f"- Seed pages (in training): hand labels overruled by the classifier's threshold "
                     f"{seeds['baseline']['wrong']}, by the {SHIPPED} {seeds[SHIPPED]['wrong']}, by {others}.")
    lost = [] if unseen is None else [
        group for group, by in unseen.items() if "(" not in group
        and (by[SHIPPED]["f1_minus_reference"]["high"] or 0) < 0]
    loses_labels = seeds is not None and seeds[SHIPPED]["wrong"] > seeds["baseline"]["wrong"]
    across = [] if seeds is None else [name for name, v in seeds.items()
                                       if name not in ("baseline", SHIPPED) and v["wrong"] > seeds["baseline"]["wrong"]]
    if lost or loses_labels:
        verdict_text = (f"the {SHIPPED} loses {', '.join(lost) or 'no corpus'} on unseen sites"
                        + (" and overrules hand labels" if loses_labels else "")
                        + ": reconsider `smoothing = true` in train/config.toml.")
    elif unseen is None:
        verdict_text = f"the product smooths within blocks ({SHIPPED}); the unseen sites were not measured here."
    else:
        verdict_text = (f"the product smooths within blocks ({SHIPPED}): no unseen corpus falls below 0 beyond its "
                        "interval, and no hand label of the seed pages is overruled.")
    if across:
        verdict_text += (f" Chains across block breaks ({', '.join(across)}) are not adopted: they overrule hand "
                         "labels of the seed pages (captions and appeal lines between paragraphs of the body).")
    return [*lines, "- Decision: " + verdict_text]


def _unseen_verdict(unseen: dict[str, Any] | None) -> list[str]:
    """One line per HMM variant: the corpora of the unseen sites' section it lifts or lowers beyond its interval."""
    if unseen is None:
        return []
    corpora = [group for group in unseen if "(" not in group]  # not the page-type subgroups
    lines = []
    for name in [n for n in next(iter(unseen.values())) if n != "baseline"]:
        diff = {c: unseen[c][name]["f1_minus_reference"] for c in corpora}
        up = [c for c in corpora if diff[c]["low"] is not None and diff[c]["low"] > 0]
        down = [c for c in corpora if diff[c]["high"] is not None and diff[c]["high"] < 0]
        values = [diff[c]["value"] for c in corpora if diff[c]["value"] is not None]
        lines.append(f"- Unseen sites, {name}: shingle F1 {min(values):+.4f} to {max(values):+.4f} per corpus; "
                     f"interval above 0: {', '.join(up) or 'none'}; below 0: {', '.join(down) or 'none'}.")
    return lines


def render_markdown(result: dict[str, Any]) -> str:
    f1, ci, ap, shingle = (result[k] for k in ("sentence_f1", "pooled_delta", "average_precision", "shingle_f1"))
    names = list(f1)
    corpora = [c for c in f1["baseline"] if c not in ("pooled", "macro")]
    lines = ["# Sequence smoothing of P(content): HMM / CRF-like second pass (issue #4)", "",
             f"Built by `make smoothing` (`bench/smoothing.py`) from `{result['input']['path']}` "
             f"({result['input']['rows']} sentences, {result['input']['articles']} pages, sha256 "
             f"{result['input']['sha256'][:12]}). Site-held-out predictions; chain parameters for fold f are "
             f"counted from the other folds only; tau=CV is chosen per outer fold by an inner CV over its training "
             f"folds (grid {list(TAU_GRID)}). Baseline threshold {result['settings']['threshold']}.", "",
             "## Sentence-level content F1", "",
             f"Delta: pooled F1 minus the baseline's, 95% paired percentile bootstrap over "
             f"{ci['baseline']['n_sites']} sites ({N_BOOT} resamples, seed {SEED}). Macro: unweighted mean over "
             f"the corpus columns.", ""]
    header = ["variant", *corpora, "pooled", "macro", "delta pooled [95% CI]"]
    body = [[n, *(_fmt(f1[n][c]) for c in corpora), _fmt(f1[n]["pooled"]), _fmt(f1[n]["macro"]),
             f"{ci[n]['delta']:+.4f} [{ci[n]['low']:+.4f}, {ci[n]['high']:+.4f}]"] for n in names]
    lines += [*_table(header, body), "", "## Average precision of the scores (threshold-free)", ""]
    body = [[n, *(_fmt(ap[n][c]) for c in corpora), _fmt(ap[n]["pooled"])] for n in names if ap[n] is not None]
    lines += [*_table(["scores of", *corpora, "pooled"], body), "", "## Page-level shingle F1", ""]
    if shingle is None:
        lines += [result["shingle_note"], ""]
    else:
        sc = list(shingle["baseline"])
        lines += [*_table(["variant", *sc], [[n, *(_fmt(shingle[n][c]) for c in sc)] for n in names]), ""]
    lines += [*unseen_lines(result), *seed_lines(result), "## Verdict", "", *verdict(result), ""]
    return "\n".join(lines)


def unseen_lines(result: dict[str, Any]) -> list[str]:
    """The report's section on the unseen sites (:func:`unseen_shingle`), or the note saying why it is absent."""
    lines = ["## Unseen sites: page-level shingle F1", "",
             "The pages `make eval-unseen` scores (no page or site of them in training), cleaned by the model whose "
             "out-of-fold table this is; each HMM's chain is counted from that table's labels. In brackets: the "
             f"difference from the baseline, 95% paired page-bootstrap interval ({UNSEEN_BOOT} resamples, seed "
             f"{SEED}).", ""]
    unseen = result.get("unseen")
    if unseen is None:
        return [*lines, result.get("unseen_note", "skipped"), ""]
    variants = list(next(iter(unseen.values())))
    body = [[group, str(by["baseline"]["pages"]), *(_unseen_cell(by[name]) for name in variants)]
            for group, by in unseen.items()]
    return [*lines, *_table(["pages", "count", *variants], body), "", result["unseen_note"] + ".", ""]


def seed_lines(result: dict[str, Any]) -> list[str]:
    """The report's section on the hand-labelled seed pages (:func:`seed_disagreements`)."""
    lines = ["## The seed pages (in training): hand labels overruled", "",
             "The model's own scores of the two seed pages, whose hand labels it trains on; each chain counted from "
             "the out-of-fold table's labels, as on the unseen pages.", ""]
    seeds = result.get("seeds")
    if seeds is None:
        return [*lines, result.get("seeds_note", "skipped"), ""]
    body = [[name, str(v["wrong"]), "; ".join(f"`{t}`" for t in v["kept_boilerplate"]) or "–",
             "; ".join(f"`{t}`" for t in v["dropped_content"]) or "–"] for name, v in seeds.items()]
    return [*lines, *_table(["variant", "against the label", "boilerplate kept", "content dropped"], body), "",
            result["seeds_note"] + ".", ""]


def _unseen_cell(summary: dict[str, Any]) -> str:
    f1 = _fmt(summary["f1"]["value"])
    diff = summary.get("f1_minus_reference")
    if diff is None or diff["value"] is None:
        return f1
    return f"{f1} ({diff['value']:+.4f} [{diff['low']:+.4f}, {diff['high']:+.4f}])"


# ------------------------------------------------------------------------------------------ main


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _round(value: Any) -> Any:
    """Floats rounded to 6 digits all the way down (stable, readable JSON)."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure HMM smoothing of the classifier's site-held-out P(content) against the plain "
                    "threshold (sentence F1 per corpus with a site-bootstrap CI, average precision, shingle F1); "
                    "writes a Markdown table and a JSON file. About 35 s on 2 cores (15 s with --no-shingle).")
    parser.add_argument("--predictions", type=Path, default=REPO / "train" / "cv-predictions.parquet",
                        help="out-of-fold table written by `make train` (default: train/cv-predictions.parquet)")
    parser.add_argument("--silver-dir", type=Path, default=REPO / "data" / "interim" / "silver",
                        help="silver page tables with gold texts for shingle F1 (skipped with a note when absent)")
    parser.add_argument("--no-shingle", action="store_true", help="skip page-level shingle F1")
    parser.add_argument("--model", type=Path, default=REPO / "train" / "model.skops",
                        help="the model whose out-of-fold table this is, for the unseen sites' section (its "
                             "training-pages.parquet beside it says which pages are unseen)")
    parser.add_argument("--no-unseen", action="store_true",
                        help="skip the unseen sites' section (it cleans ~2,000 pages: about 20 s)")
    parser.add_argument("--threshold", type=float, default=0.5, help="baseline threshold on P(content) (0.5)")
    parser.add_argument("--output-md", type=Path, default=REPO / "train" / "smoothing.md", help="Markdown report")
    parser.add_argument("--output-json", type=Path, default=REPO / "train" / "smoothing.json", help="JSON results")
    return parser.parse_args(argv)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> None:
    import pandas as pd
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from winnow.jsonio import write_text_atomic

    args = parse_args(argv)
    started = time.perf_counter()
    rows = load_rows(args.predictions)
    console = Console(stderr=True)
    n_steps = 5 + len(np.unique(rows.fold)) + (0 if args.no_shingle else 7) + (0 if args.no_unseen else 5)
    with Progress(TextColumn("{task.description:<44}"), BarColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("fitting chains", total=n_steps)

        def step(description: str) -> None:
            progress.update(task, description=description, advance=1)

        variants, details = run_variants(rows, args.threshold, step)
        step("metrics and bootstrap")
        base = variants["baseline"]["pred"]
        result: dict[str, Any] = {
            "input": {"path": _display_path(args.predictions), "sha256": file_sha256(args.predictions),
                      "rows": len(rows), "articles": int(rows.first.sum())},
            "settings": {"threshold": args.threshold, "control_threshold": CONTROL_THRESHOLD, "tau_grid": TAU_GRID,
                         "eps": EPS, "pseudocount": PSEUDOCOUNT, "n_boot": N_BOOT, "seed": SEED},
            "sentence_f1": {n: sentence_f1(rows, v["pred"]) for n, v in variants.items()},
            "pooled_delta": {n: site_delta_ci(rows, base, v["pred"]) for n, v in variants.items()},
            "average_precision": {n: None if v["score"] is None else average_precision(rows, v["score"])
                                  for n, v in variants.items()},
            "shingle_f1": None, "shingle_note": "skipped (--no-shingle)", **details,
            "unseen": None, "unseen_note": "skipped (--no-unseen)",
            "seeds": None, "seeds_note": "skipped (--no-unseen)",
        }
        if not args.no_shingle:
            frame = pd.read_parquet(args.predictions, columns=["article_id", "index", "block", "text"])
            frame = frame.sort_values(["article_id", "index"], kind="stable")
            result["shingle_f1"], result["shingle_note"] = shingle_scores(
                rows, frame["text"].to_numpy(), frame["block"].to_numpy(), frame["index"].to_numpy(),
                args.silver_dir, variants, step)
        if not args.no_unseen:
            result["unseen"], result["unseen_note"] = unseen_shingle(
                rows, args.model, args.silver_dir, sorted(set(rows.corpus.tolist())), args.threshold, step)
            step("seed pages")
            result["seeds"], result["seeds_note"] = seed_disagreements(
                rows, args.model, args.threshold, REPO / "data" / "processed", REPO / "annotations")
    result = _round(result)
    write_text_atomic(args.output_json, json.dumps(result, indent=1, sort_keys=False) + "\n")
    write_text_atomic(args.output_md, render_markdown(result))
    console.print(render_markdown(result), markup=False, highlight=False)
    console.print(f"wrote {args.output_md} and {args.output_json} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
