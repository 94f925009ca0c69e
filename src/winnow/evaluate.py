"""The ``make eval`` run: gather predictions and gold, run the baselines, compute metrics, write the report.

Inputs (all produced by earlier stages):

* ``train/cv-predictions.parquet`` (``make train``): out-of-fold P(content) of every training sentence from
  models that never saw its site (GroupKFold by site), for the hand-annotated ``gold`` corpus and every
  imported development corpus;
* ``train/model-card.json``: the decision threshold; ``train/model.skops``: timed on the same pages;
* ``annotations/`` + ``data/processed/sentences.jsonl``: kinds of gold boilerplate, annotator agreement;
* ``data/interim/silver/<corpus>-pages.parquet`` (``make silver``): each corpus page's gold text;
* ``<corpora>/<corpus>/pages.jsonl.gz``: the pages' HTML for the HTML extractors (read in place).

Every function returns plain data; :func:`write_evaluation` is the only one that writes files.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from winnow.agreement import ADJUDICATORS, agreement, disagreements
from winnow.annotations import load_annotations
from winnow.baselines import SYSTEMS, gold_text_of, run_baselines
from winnow.corpus_refs import pages_table_path
from winnow.decode import AUTO, Threshold, keep_rows, parse_threshold
from winnow.jsonio import read_jsonl, write_jsonl_atomic, write_text_atomic
from winnow.report import (
    N_BOOT,
    SEED,
    error_analysis,
    metrics_dict,
    page_rows_from_predictions,
    write_metrics_json,
    write_plots,
    write_report_md,
)

log = logging.getLogger(__name__)
MAIN_SYSTEM = "winnow"
MODEL_BATCH = 64


class EvaluationError(ValueError):
    """Missing or inconsistent evaluation inputs; the message says which and how to make them."""


def gold_kinds(annotations: Sequence[Mapping[str, Any]], adjudicators: Sequence[str] = ADJUDICATORS
               ) -> dict[str, str]:
    """The gold kind of each resolved boilerplate sentence, resolved as the published dataset does
    (:func:`winnow.dataset.gold_labels`: adjudicator first, else a unique majority; ties have no kind)."""
    from winnow.dataset import gold_labels

    gold, _ = gold_labels(annotations, adjudicators)
    return {sid: g["kind"] for sid, g in gold.items() if g["label"] == "boilerplate" and g["kind"]}


def load_cv_predictions(path: str | Path) -> list[dict[str, Any]]:
    """The out-of-fold table written by ``winnow train`` as records."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise EvaluationError(f"{path} not found; run `make train` (cross-validation writes it)")
    records = pd.read_parquet(path).to_dict("records")
    missing = [r["sentence_id"] for r in records if r["p_content"] is None or r["p_content"] != r["p_content"]]
    if missing:
        raise EvaluationError(f"{path}: {len(missing)} sentences have no out-of-fold P(content), e.g. {missing[0]}")
    return records


def cv_prediction_rows(cv: Sequence[Mapping[str, Any]], threshold: Threshold, kinds: Mapping[str, str],
                       system: str = MAIN_SYSTEM) -> list[dict[str, Any]]:
    """Prediction-table rows of the classifier from the out-of-fold table (page_id = article_id); ``y_pred``
    is the page decision at ``threshold`` (:func:`winnow.decode.keep_rows`)."""
    kept = keep_rows([r["article_id"] for r in cv], np.array([float(r["p_content"]) for r in cv]),
                     [r["text"] for r in cv], threshold)
    return [{"system": system, "corpus": r["corpus"], "site": r["site"], "page_id": r["article_id"],
             "sentence_id": r["sentence_id"], "index": int(r["index"]), "block": int(r["block"]), "text": r["text"],
             "y_true": int(r["label"]), "kind": None if int(r["label"]) else kinds.get(r["sentence_id"]),
             "p_content": float(r["p_content"]), "y_pred": int(keep)}
            for r, keep in zip(cv, kept.tolist(), strict=True)]


def pages_from_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Page dicts for :func:`winnow.baselines.run_baselines` from prediction rows of one system."""
    grouped: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[(row["corpus"], row["page_id"])].append(row)
    pages = []
    for (corpus, page_id), group in sorted(grouped.items()):
        group = sorted(group, key=lambda r: r["index"])
        sentences = [{"article_id": page_id, "sentence_id": r["sentence_id"], "block": r["block"],
                      "index": r["index"], "text": r["text"], "y_true": r["y_true"], "kind": r["kind"]}
                     for r in group]
        pages.append({"corpus": corpus, "page_id": page_id, "site": group[0]["site"], "sentences": sentences})
    return pages


def body_gold(gold_text: str | None, gold_headline: str | None) -> str:
    """The gold main text without the article's own headline, which this project counts as boilerplate.

    The import records the gold paragraphs it recognised as the page's headline (``gold_headline``); every
    system is scored against the same headline-free gold.
    """
    gold_text = gold_text if isinstance(gold_text, str) else ""
    if isinstance(gold_headline, str) and gold_headline and gold_text.startswith(gold_headline):
        return gold_text[len(gold_headline):].lstrip()
    return gold_text


def attach_corpus_pages(pages: list[dict[str, Any]], silver_dir: Path | None, corpora_root: Path | None,
                        with_html: bool = True) -> dict[str, int]:
    """Add ``gold_text`` (silver page tables) and ``html`` (corpora, read in place) to corpus pages.

    Corpus pages have article ids ``<corpus>/<page id>`` (see :func:`winnow.corpus.import_page`); pages of
    the hand-annotated data keep their gold sentences as gold text. Returns counts of what was attached.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    from winnow.corpus import PAGES_FILE, iter_pages

    wanted: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for page in pages:
        corpus, _, source_id = str(page["page_id"]).partition("/")
        if corpus == page["corpus"] and source_id:
            wanted[corpus][source_id] = page
    counts = {"gold_text": 0, "html": 0}
    for corpus, by_id in sorted(wanted.items()):
        table = pages_table_path(silver_dir, corpus) if silver_dir else None
        if table and table.is_file():
            wanted_columns = ["page_id", "gold_text", "gold_headline"]
            present = [c for c in wanted_columns if c in pq.read_schema(table).names]  # older imports lack headlines
            frame = pd.read_parquet(table, columns=present)
            for row in frame.reindex(columns=wanted_columns).to_dict("records"):
                if row["page_id"] in by_id:
                    by_id[row["page_id"]]["gold_text"] = body_gold(row["gold_text"], row["gold_headline"])
                    counts["gold_text"] += 1
        source = corpora_root / corpus / PAGES_FILE if corpora_root else None
        if with_html and source and source.is_file():
            for raw in iter_pages(source):
                if str(raw["id"]) in by_id and raw.get("html"):
                    by_id[str(raw["id"])]["html"] = raw["html"]
                    counts["html"] += 1
    return counts


def time_model(model_path: Path, pages: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Pages/s of the trained classifier on these pages (batched as ``winnow clean`` does); None if no model."""
    from winnow.model import ModelError, load_model

    try:
        model = load_model(model_path)
    except ModelError as err:
        log.warning("not timing the classifier: %s", err)
        return None
    start = time.perf_counter()
    for i in range(0, len(pages), MODEL_BATCH):
        model.predict_proba([page["sentences"] for page in pages[i:i + MODEL_BATCH]])
    seconds = time.perf_counter() - start
    return {"n_pages": len(pages), "seconds": seconds,
            "pages_per_s": len(pages) / seconds if seconds > 0 else None, "n_errors": 0}


def evaluate(
    cv_path: Path = Path("train/cv-predictions.parquet"),
    model_path: Path = Path("train/model.skops"),
    annotations_dir: Path = Path("annotations"),
    sentences_path: Path = Path("data/processed/sentences.jsonl"),
    silver_dir: Path | None = Path("data/interim/silver"),
    corpora_root: Path | None = None,
    learning_curve: Sequence[Any] | None = None,
    threshold: Threshold | None = None,
    with_html: bool = True,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> dict[str, Any]:
    """The whole evaluation as data: ``metrics`` (reproducible), ``timing``, ``errors``, ``disagreements``,
    ``predictions`` and ``pages`` (the tables the metrics come from) and ``inputs`` (counts)."""
    annotations = load_annotations(annotations_dir) if annotations_dir.is_dir() else []
    sentences = read_jsonl(sentences_path) if sentences_path.is_file() else []
    threshold = _threshold(model_path, threshold)
    cv = load_cv_predictions(cv_path)
    predictions = cv_prediction_rows(cv, threshold, gold_kinds(annotations))
    pages = pages_from_rows(predictions)
    attached = attach_corpus_pages(pages, silver_dir, corpora_root, with_html)
    baselines = run_baselines(pages, SYSTEMS, dummy_labels=[r["y_true"] for r in predictions], seed=seed)
    gold_texts = {(p["corpus"], p["page_id"]): gold_text_of(p) for p in pages}
    page_rows = page_rows_from_predictions(predictions, gold_texts) + baselines["pages"]
    timing = dict(baselines["timing"])
    model_timing = time_model(model_path, pages)
    if model_timing:
        timing[MAIN_SYSTEM] = model_timing
    all_predictions = predictions + baselines["predictions"]
    metrics = metrics_dict(
        all_predictions, page_rows, systems={name: {"dom": s["dom"]} for name, s in SYSTEMS.items()},
        agreement=agreement(annotations), learning_curve=learning_curve, n_boot=n_boot, seed=seed,
    )
    metrics["settings"]["threshold"] = threshold
    return {
        "metrics": metrics, "timing": timing, "errors": error_analysis(all_predictions, MAIN_SYSTEM),
        "disagreements": disagreements(annotations, sentences), "predictions": all_predictions,
        "pages": page_rows,
        "inputs": {"sentences": len(predictions), "pages": len(pages), **attached,
                   "corpora": sorted({p["corpus"] for p in pages})},
    }


def _threshold(model_path: Path, threshold: Threshold | None) -> Threshold:
    if threshold is not None:
        return parse_threshold(threshold)
    card = model_path.with_name("model-card.json")
    if card.is_file():
        return parse_threshold(json.loads(card.read_text(encoding="utf-8")).get("threshold", AUTO))
    return AUTO


def write_evaluation(result: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """metrics.json, report.md, the plots, timing.json and disagreements.jsonl into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = result["metrics"]
    plots = write_plots(result["predictions"], metrics, out_dir, MAIN_SYSTEM, metrics.get("learning_curve"))
    write_metrics_json(metrics, out_dir / "metrics.json")
    write_text_atomic(out_dir / "timing.json", json.dumps(result["timing"], indent=2, sort_keys=True) + "\n")
    write_jsonl_atomic(out_dir / "disagreements.jsonl", result["disagreements"])
    write_report_md(metrics, out_dir / "report.md", main_system=MAIN_SYSTEM, errors=result["errors"],
                    disagreements=result["disagreements"], timing=result["timing"], plots=plots)
    return [out_dir / name for name in ("metrics.json", "report.md", "timing.json", "disagreements.jsonl", *plots)]
