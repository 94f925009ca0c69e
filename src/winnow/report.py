"""The evaluation report: prediction tables in, metrics dict, ``metrics.json``, ``report.md`` and PNG plots out.

Inputs are plain tables (a list of dicts, a ``pyarrow.Table`` or a ``pandas.DataFrame``):

* the **prediction table**, one row per (system, sentence): ``system, corpus, site, page_id, sentence_id,
  index, text, y_true`` (1 content, 0 boilerplate), ``kind`` (gold kind of boilerplate, may be null),
  ``p_content`` (float, or null for systems that only decide) and ``y_pred`` (0/1);
* the **page table**, one row per (system, page): ``system, corpus, page_id, gold_text, pred_text`` (and
  optionally ``site``), for page-level shingle F1. :func:`page_rows_from_predictions` builds it for systems
  that decide per sentence; HTML extractors add their own rows.

Everything here is deterministic: sorted keys, floats rounded to :data:`DIGITS` digits, bootstrap with a fixed
seed and the same resampled pages for every system (paired), PNGs without timestamps or version metadata.
Timings vary between runs, so they go to the report only, never into ``metrics.json``.
"""

from __future__ import annotations

import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from winnow.jsonio import atomic_open, write_text_atomic
from winnow.metrics import (
    bootstrap_ci,
    confusion_counts,
    group_rows,
    kind_leakage,
    page_mean_f1,
    page_shingle_scores,
    per_group_sentence_prf,
    sentence_prf,
    sentence_scores_from_counts,
    shingle_f1,
    shingle_prf_from_scores,
    shingle_score_rows,
)

SCHEMA_VERSION = 1
DIGITS = 6
N_BOOT = 1000
SEED = 0
ERROR_EXAMPLES = 30
PREDICTION_COLUMNS = ("system", "corpus", "site", "page_id", "sentence_id", "index", "text", "y_true", "kind",
                      "p_content", "y_pred")
PAGE_COLUMNS = ("system", "corpus", "page_id", "gold_text", "pred_text")
PNG_DPI = 100


# --- input tables -------------------------------------------------------------------------------------------------

def as_records(table: Any, required: Sequence[str] = ()) -> list[dict[str, Any]]:
    """A list of dicts from a list of dicts, a pyarrow Table or a pandas DataFrame; checks required columns."""
    if hasattr(table, "to_pylist"):
        records = table.to_pylist()
    elif hasattr(table, "to_dict"):
        records = table.to_dict("records")
    else:
        records = [dict(row) for row in table]
    for number, record in enumerate(records):
        missing = [c for c in required if c not in record]
        if missing:
            raise ValueError(f"row {number} lacks column(s) {', '.join(missing)}: {sorted(record)}")
    return records


def page_rows_from_predictions(
    predictions: Any, gold_texts: Mapping[tuple[str, str], str],
) -> list[dict[str, Any]]:
    """Page-table rows for sentence-deciding systems: each page's kept sentences joined, one block per line.

    ``gold_texts`` maps ``(corpus, page_id)`` to the gold text (see :func:`gold_texts_from_predictions` for
    gold made of annotated sentences). Sentences are ordered by ``index``; a change of ``block`` (if the rows
    carry it) starts a new line, otherwise every sentence is its own line.
    """
    rows = as_records(predictions, PREDICTION_COLUMNS)
    pages: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        pages[(row["system"], row["corpus"], row["page_id"])].append(row)
    out = []
    for (system, corpus, page_id), group in sorted(pages.items()):
        kept = [r for r in sorted(group, key=lambda r: r["index"]) if int(r["y_pred"]) == 1]
        out.append({"system": system, "corpus": corpus, "page_id": page_id, "site": group[0].get("site"),
                    "gold_text": gold_texts.get((corpus, page_id), ""), "pred_text": _lines(kept)})
    return out


def gold_texts_from_predictions(predictions: Any) -> dict[tuple[str, str], str]:
    """Gold page texts made of the gold content sentences (for data annotated per sentence)."""
    rows = as_records(predictions, PREDICTION_COLUMNS)
    first_system = min(r["system"] for r in rows) if rows else None
    pages: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["system"] == first_system:
            pages[(row["corpus"], row["page_id"])].append(row)
    return {key: _lines([r for r in sorted(group, key=lambda r: r["index"]) if int(r["y_true"]) == 1])
            for key, group in sorted(pages.items())}


def _lines(rows: list[dict[str, Any]]) -> str:
    """Sentences as text: one line per ``block`` when rows carry it, else one line per sentence.
    (Line breaks do not change shingles: tokens run across them.)"""
    lines: list[tuple[Any, list[str]]] = []
    for number, row in enumerate(rows):
        block = row.get("block", ("sentence", number))
        if not lines or lines[-1][0] != block:
            lines.append((block, []))
        lines[-1][1].append(row["text"])
    return "\n".join(" ".join(texts) for _, texts in lines)


def curve_points(points: Iterable[Any]) -> list[dict[str, Any]]:
    """Learning-curve points as dicts: ``(n_train, f1)`` pairs or dicts with ``n_train`` and ``f1`` (and
    optionally ``low``, ``high``, ``series``)."""
    out = []
    for point in points:
        if isinstance(point, Mapping):
            if "n_train" not in point or "f1" not in point:
                raise ValueError(f"learning-curve point needs n_train and f1: {dict(point)}")
            out.append(dict(point))
        else:
            n_train, f1 = point
            out.append({"n_train": n_train, "f1": f1})
    return out


# --- metrics -----------------------------------------------------------------------------------------------------

def sentence_metrics(rows: list[dict[str, Any]], n_boot: int = N_BOOT, seed: int = SEED) -> dict[str, Any]:
    """Sentence P/R/F1 of one system on one corpus, with page-bootstrap intervals."""
    result = sentence_prf([int(r["y_true"]) for r in rows], [int(r["y_pred"]) for r in rows])
    by_page = group_rows(rows, "page_id")
    counts = np.stack([confusion_counts([int(r["y_true"]) for r in page], [int(r["y_pred"]) for r in page])
                       for page in by_page.values()]) if by_page else np.zeros((0, 4))
    result["n_pages"] = len(by_page)
    result["page_mean_f1"] = page_mean_f1(counts)
    result["ci"] = {k: {"low": v["low"], "high": v["high"]}
                    for k, v in bootstrap_ci(counts, sentence_scores_from_counts, n_boot, seed).items()}
    return result


def page_metrics(pages: list[dict[str, Any]], n_boot: int = N_BOOT, seed: int = SEED) -> dict[str, Any]:
    """Shingle P/R/F1 of one system on one corpus, with page-bootstrap intervals."""
    scores = [page_shingle_scores(p["pred_text"], p["gold_text"]) for p in sorted(pages, key=_page_key)]
    result = shingle_f1(scores)
    result["ci"] = {k: {"low": v["low"], "high": v["high"]}
                    for k, v in bootstrap_ci(shingle_score_rows(scores), shingle_prf_from_scores,
                                             n_boot, seed).items()}
    return result


def _page_key(page: Mapping[str, Any]) -> str:
    return str(page["page_id"])


def metrics_dict(
    predictions: Any,
    pages: Any = (),
    *,
    systems: Mapping[str, Mapping[str, Any]] | None = None,
    agreement: Mapping[str, Any] | None = None,
    learning_curve: Iterable[Any] | None = None,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> dict[str, Any]:
    """Every metric of the run as one JSON-ready dict with stable, sorted keys and rounded floats.

    ``systems`` maps a system name to facts about it (e.g. ``{"dom": True}``); unknown systems default to
    ``dom=False``. Sections: ``sentence`` / ``sentence_by_site`` / ``kind_leakage`` ({system: {corpus: ...}}),
    ``page_shingle`` ({system: {corpus: ...}}), ``agreement``, ``learning_curve``, ``systems``, ``settings``.
    """
    rows = as_records(predictions, PREDICTION_COLUMNS)
    page_rows = as_records(pages, PAGE_COLUMNS)
    names = sorted({r["system"] for r in rows} | {p["system"] for p in page_rows})
    systems = systems or {}
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "settings": {"n_boot": n_boot, "seed": seed, "confidence": 0.95, "shingle_size": 4,
                     "positive_class": "content", "bootstrap_unit": "page"},
        "systems": {n: {"dom": bool(systems.get(n, {}).get("dom", False)),
                        "has_scores": any(r["p_content"] is not None for r in rows if r["system"] == n),
                        "sentence_level": any(r["system"] == n for r in rows)} for n in names},
        "sentence": {}, "sentence_by_site": {}, "kind_leakage": {}, "page_shingle": {},
        "agreement": dict(agreement) if agreement is not None else None,
        "learning_curve": curve_points(learning_curve) if learning_curve is not None else None,
    }
    for (system, corpus), group in _by_system_corpus(rows).items():
        out["sentence"].setdefault(system, {})[corpus] = sentence_metrics(group, n_boot, seed)
        out["sentence_by_site"].setdefault(system, {})[corpus] = per_group_sentence_prf(group, "site")
        out["kind_leakage"].setdefault(system, {})[corpus] = kind_leakage(group)
    for (system, corpus), group in _by_system_corpus(page_rows).items():
        out["page_shingle"].setdefault(system, {})[corpus] = page_metrics(group, n_boot, seed)
    return _normalise(out)


def _by_system_corpus(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(str(row["system"]), str(row["corpus"]))].append(row)
    return dict(sorted(groups.items()))


def _normalise(value: Any) -> Any:
    """Sorted dict keys, floats rounded to DIGITS, NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(value, Mapping):
        return {str(k): _normalise(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else round(float(value), DIGITS) + 0.0
    return value


def write_metrics_json(metrics: Mapping[str, Any], path: str | Path) -> None:
    """``metrics.json``: sorted keys, two-space indent, trailing newline (byte-identical for equal metrics)."""
    write_text_atomic(path, json.dumps(_normalise(metrics), indent=2, sort_keys=True, ensure_ascii=False) + "\n")


# --- error analysis ----------------------------------------------------------------------------------------------

def error_analysis(predictions: Any, system: str, k: int = ERROR_EXAMPLES) -> dict[str, list[dict[str, Any]]]:
    """The ``k`` most confident false positives (highest P(content) on gold boilerplate) and false negatives
    (lowest P(content) on gold content) of one system, each with the previous and next sentence of its page.

    Systems without scores are ordered by page and position. Ties break on (corpus, page_id, index).
    """
    rows = [r for r in as_records(predictions, PREDICTION_COLUMNS) if r["system"] == system]
    neighbours = _neighbours(rows)

    def example(row: dict[str, Any]) -> dict[str, Any]:
        before, after = neighbours[(row["corpus"], row["page_id"], row["index"])]
        return {"corpus": row["corpus"], "site": row["site"], "page_id": row["page_id"],
                "sentence_id": row["sentence_id"], "index": row["index"], "kind": row["kind"],
                "p_content": row["p_content"], "previous": before, "text": row["text"], "next": after}

    def position(row: dict[str, Any]) -> tuple:
        return (str(row["corpus"]), str(row["page_id"]), row["index"])

    fps = [r for r in rows if int(r["y_true"]) == 0 and int(r["y_pred"]) == 1]
    fns = [r for r in rows if int(r["y_true"]) == 1 and int(r["y_pred"]) == 0]
    fps.sort(key=lambda r: (-_score(r, 0.0), *position(r)))
    fns.sort(key=lambda r: (_score(r, 1.0), *position(r)))
    return {"false_positives": [example(r) for r in fps[:k]], "false_negatives": [example(r) for r in fns[:k]]}


def _score(row: Mapping[str, Any], missing: float) -> float:
    return missing if row["p_content"] is None else float(row["p_content"])


def _neighbours(rows: list[dict[str, Any]]) -> dict[tuple, tuple[str | None, str | None]]:
    pages: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        pages[(row["corpus"], row["page_id"])].append(row)
    out = {}
    for (corpus, page_id), group in pages.items():
        group.sort(key=lambda r: r["index"])
        for i, row in enumerate(group):
            before = group[i - 1]["text"] if i > 0 else None
            after = group[i + 1]["text"] if i + 1 < len(group) else None
            out[(corpus, page_id, row["index"])] = (before, after)
    return out


# --- report.md -------------------------------------------------------------------------------------------------

def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _with_ci(result: Mapping[str, Any], key: str) -> str:
    ci = (result.get("ci") or {}).get(key)
    if result.get(key) is None:
        return "–"
    return f"{result[key]:.3f}" + (f" [{ci['low']:.3f}, {ci['high']:.3f}]" if ci else "")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; cell pipes and newlines are escaped."""
    def cell(value: Any) -> str:
        return _fmt(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _system_label(metrics: Mapping[str, Any], system: str) -> str:
    return system + (" †" if metrics["systems"].get(system, {}).get("dom") else "")


def _corpora(section: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted({corpus for by_corpus in section.values() for corpus in by_corpus})


def _scores_table(metrics: Mapping[str, Any], section: str, counts: Sequence[tuple[str, str]],
                  scores: Sequence[tuple[str, str]] = ()) -> str:
    """Precision/recall/F1 with CIs per corpus and system, then the given (header, key) score columns with CIs
    and (header, key) count columns."""
    rows = []
    for corpus in _corpora(metrics[section]):
        for system, by_corpus in metrics[section].items():
            if corpus in by_corpus:
                r = by_corpus[corpus]
                rows.append([corpus, _system_label(metrics, system), _with_ci(r, "precision"),
                             _with_ci(r, "recall"), _with_ci(r, "f1"), *(_with_ci(r, key) for _, key in scores),
                             *(r[key] for _, key in counts)])
    headers = ["corpus", "system", "precision [95% CI]", "recall [95% CI]", "F1 [95% CI]"]
    return md_table(headers + [f"{header} [95% CI]" for header, _ in scores] + [header for header, _ in counts], rows)


def sentence_table(metrics: Mapping[str, Any]) -> str:
    """Pooled P/R/F1 (every sentence counts once) and the page mean of F1 (every page counts once)."""
    return _scores_table(metrics, "sentence", [("sentences", "n"), ("pages", "n_pages")],
                         [("F1, mean over pages", "page_mean_f1")])


def shingle_table(metrics: Mapping[str, Any]) -> str:
    return _scores_table(metrics, "page_shingle", [("pages", "n_pages"),
                                                   ("pages without output", "n_pages_no_prediction")])


def leakage_table(metrics: Mapping[str, Any]) -> str:
    leakage = metrics["kind_leakage"]
    systems = sorted(leakage)
    kinds: dict[str, int] = defaultdict(int)
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for system in systems:
        for by_kind in leakage[system].values():
            for kind, r in by_kind.items():
                totals[(system, kind)][0] += r["leaked"]
                totals[(system, kind)][1] += r["n"]
    for (system, kind), (_, n) in totals.items():
        if system == systems[0]:
            kinds[kind] = n
    rows = [[kind, n] + [_fmt(totals[(s, kind)][0] / totals[(s, kind)][1]) if totals[(s, kind)][1] else "–"
                         for s in systems] for kind, n in sorted(kinds.items())]
    return md_table(["gold kind", "sentences"] + [_system_label(metrics, s) for s in systems], rows)


def site_table(metrics: Mapping[str, Any], system: str, n: int = 10) -> str:
    by_corpus = metrics["sentence_by_site"].get(system, {})
    sites = [(corpus, site, r) for corpus, by_site in by_corpus.items() for site, r in by_site.items()
             if r["f1"] is not None]
    sites.sort(key=lambda x: (x[2]["f1"], x[0], x[1]))
    picked = sites if len(sites) <= 2 * n else sites[:n] + sites[-n:]
    return md_table(["corpus", "site", "F1", "precision", "recall", "sentences", "pages"],
                    [[c, s, r["f1"], r["precision"], r["recall"], r["n"], r["n_pages"]] for c, s, r in picked])


def agreement_table(agreement: Mapping[str, Any]) -> str:
    rows = [[dim, r["n_sentences"], r["n_annotators"], r["n_disagreements"], r["cohen_kappa"],
             r["krippendorff_alpha"]] for dim, r in sorted(agreement.items())]
    return md_table(["dimension", "sentences (2+ annotators)", "annotators", "disagreements", "Cohen's κ",
                     "Krippendorff's α"], rows)


def disagreement_table(rows: Sequence[Mapping[str, Any]], limit: int = 50) -> str:
    def votes(row: Mapping[str, Any]) -> str:
        return "; ".join(f"{a}: {v['label']}/{v['kind'] or v['stance']}" for a, v in row["annotations"].items())

    return md_table(["sentence_id", "on", "text", "annotations"],
                    [[r["sentence_id"], ",".join(r["disagree_on"]), r["text"], votes(r)] for r in rows[:limit]])


def errors_table(examples: Sequence[Mapping[str, Any]]) -> str:
    return md_table(["P(content)", "kind", "previous", "**sentence**", "next", "page"],
                    [[e["p_content"], e["kind"], e["previous"], f"**{e['text']}**", e["next"], e["page_id"]]
                     for e in examples])


def timing_table(timing: Mapping[str, Mapping[str, Any]], metrics: Mapping[str, Any]) -> str:
    return md_table(["system", "pages", "seconds", "pages/s", "errors"],
                    [[_system_label(metrics, s), t["n_pages"], t["seconds"], t["pages_per_s"], t.get("n_errors", 0)]
                     for s, t in sorted(timing.items())])


def render_report_md(
    metrics: Mapping[str, Any],
    *,
    main_system: str | None = None,
    errors: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    disagreements: Sequence[Mapping[str, Any]] | None = None,
    timing: Mapping[str, Mapping[str, Any]] | None = None,
    plots: Sequence[str] = (),
    title: str = "winnow evaluation report",
) -> str:
    """The Markdown report: the tables a person reads first, then breakdowns, agreement and errors."""
    parts = [f"# {title}", "",
             f"Content is the positive class. Intervals: {metrics['settings']['n_boot']} bootstrap resamples of "
             f"pages (seed {metrics['settings']['seed']}, 95% percentile). † = HTML extractor with the DOM "
             "advantage (it reads the page's markup, not the text dump).", ""]
    if metrics["sentence"]:
        parts += ["## Sentence level", "", sentence_table(metrics), ""]
    else:
        parts += ["No sentence-level predictions to evaluate: annotate sentences (annotations/) or import the "
                  "corpora, then `make train` writes the cross-validated predictions.", ""]
    if metrics["page_shingle"]:
        parts += ["## Page level (shingle F1)", "",
                  "Scrapinghub article-extraction metric: 4-gram shingles of \\w+ tokens, precision averaged "
                  "over pages with output, recall over pages with gold text.", "", shingle_table(metrics), ""]
    if metrics["kind_leakage"]:
        parts += ["## Which boilerplate leaks through", "",
                  "Share of gold boilerplate sentences of each kind predicted as content (all corpora; "
                  "(none) = boilerplate without a kind, e.g. silver labels from the corpora).", "",
                  leakage_table(metrics), ""]
    if main_system and main_system in metrics["sentence_by_site"]:
        parts += [f"## Sites ({main_system}): lowest and highest F1", "", site_table(metrics, main_system), ""]
    if timing:
        parts += ["## Speed", "", "Measured in this run; varies between runs, so not in metrics.json.", "",
                  timing_table(timing, metrics), ""]
    if metrics.get("agreement"):
        parts += ["## Annotation agreement", "", agreement_table(metrics["agreement"]), ""]
    if disagreements:
        waiting = [r for r in disagreements if not r.get("adjudicated")]
        parts += ["## Disagreements to adjudicate", "",
                  f"{len(waiting)} sentence(s) wait for adjudication, {len(disagreements) - len(waiting)} already "
                  "adjudicated (a record by annotator `adjudicator` settles a sentence; see annotations/README.md).",
                  "", disagreement_table(waiting), ""]
    if errors:
        parts += [f"## Most confident false positives ({main_system})", "",
                  errors_table(errors.get("false_positives", [])), "",
                  f"## Most confident false negatives ({main_system})", "",
                  errors_table(errors.get("false_negatives", [])), ""]
    if plots:
        parts += ["## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots] + [""]
    if not metrics.get("learning_curve"):
        parts += ["Learning curve: no points were given (`winnow eval --learning-curve FILE`).", ""]
    return "\n".join(parts)


def write_report_md(metrics: Mapping[str, Any], path: str | Path, **kwargs: Any) -> None:
    """Write :func:`render_report_md` atomically (keyword arguments are passed on)."""
    write_text_atomic(path, render_report_md(metrics, **kwargs))


# --- plots -----------------------------------------------------------------------------------------------------

def _figure(ncols: int = 1, width: float = 5.0, height: float = 4.0):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), dpi=PNG_DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def save_png(fig, path: str | Path) -> None:
    """Save a figure as PNG without Software/date metadata, so equal figures give equal bytes; atomic."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    with atomic_open(path, "wb") as handle:
        handle.write(buffer.getvalue())


def _rows_by_corpus(predictions: Any) -> dict[str, list[dict[str, Any]]]:
    return group_rows(as_records(predictions, PREDICTION_COLUMNS), "corpus")


def plot_pr_curves(predictions: Any, path: str | Path) -> None:
    """Precision-recall curves of scored systems (one panel per corpus); deciding systems as points."""
    from sklearn.metrics import PrecisionRecallDisplay

    by_corpus = _rows_by_corpus(predictions)
    fig, axes = _figure(max(1, len(by_corpus)))
    for ax, (corpus, rows) in zip(axes, by_corpus.items(), strict=False):
        for system, group in group_rows(rows, "system").items():
            y = [int(r["y_true"]) for r in group]
            if all(r["p_content"] is not None for r in group) and len(set(y)) == 2:
                PrecisionRecallDisplay.from_predictions(
                    y, [float(r["p_content"]) for r in group], pos_label=1, name=system, ax=ax)
            else:
                point = sentence_prf(y, [int(r["y_pred"]) for r in group])
                ax.plot([point["recall"]], [point["precision"]], "o", label=system)
        ax.set(title=corpus, xlabel="recall (content)", ylabel="precision (content)", xlim=(0, 1.02),
               ylim=(0, 1.02))
        ax.legend(fontsize=7, loc="lower left")
    save_png(fig, path)


def plot_confusion_matrices(predictions: Any, system: str, path: str | Path) -> None:
    """Confusion matrix of one system per corpus (rows gold, columns predicted)."""
    from sklearn.metrics import ConfusionMatrixDisplay

    by_corpus = {c: [r for r in rows if r["system"] == system] for c, rows in _rows_by_corpus(predictions).items()}
    by_corpus = {c: rows for c, rows in by_corpus.items() if rows}
    fig, axes = _figure(max(1, len(by_corpus)), width=4.0, height=3.6)
    for ax, (corpus, rows) in zip(axes, by_corpus.items(), strict=False):
        ConfusionMatrixDisplay.from_predictions(
            [int(r["y_true"]) for r in rows], [int(r["y_pred"]) for r in rows], labels=[0, 1],
            display_labels=["boilerplate", "content"], ax=ax, colorbar=False, values_format="d",
        )
        ax.set_title(f"{system} · {corpus}")
    save_png(fig, path)


def plot_site_f1(metrics: Mapping[str, Any], system: str, path: str | Path, n: int = 15) -> None:
    """Horizontal bars of the ``n`` lowest and ``n`` highest per-site F1 of one system."""
    by_corpus = metrics["sentence_by_site"].get(system, {})
    sites = sorted(((r["f1"], f"{corpus}/{site}") for corpus, by_site in by_corpus.items()
                    for site, r in by_site.items() if r["f1"] is not None))
    picked = sites if len(sites) <= 2 * n else sites[:n] + sites[-n:]
    fig, (ax,) = _figure(1, width=7.0, height=max(2.5, 0.22 * len(picked) + 1))
    colors = ["tab:red" if i < len(picked) // 2 else "tab:blue" for i in range(len(picked))]
    ax.barh(range(len(picked)), [f for f, _ in picked], color=colors)
    ax.set_yticks(range(len(picked)), [name for _, name in picked], fontsize=7)
    ax.set(xlim=(0, 1), xlabel="sentence F1 (content)", title=f"{system}: lowest and highest sites")
    save_png(fig, path)


def plot_calibration(predictions: Any, path: str | Path, n_bins: int = 10) -> None:
    """Reliability diagram (``sklearn.calibration.calibration_curve``) of every scored system, all corpora."""
    from sklearn.calibration import calibration_curve

    rows = as_records(predictions, PREDICTION_COLUMNS)
    fig, (ax,) = _figure(1)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for system, group in group_rows(rows, "system").items():
        if not all(r["p_content"] is not None for r in group):
            continue
        y = [int(r["y_true"]) for r in group]
        if len(set(y)) < 2:
            continue
        true_share, mean_score = calibration_curve(y, [float(r["p_content"]) for r in group], n_bins=n_bins)
        ax.plot(mean_score, true_share, "o-", label=system)
    ax.set(xlabel="mean P(content)", ylabel="share of content", xlim=(0, 1), ylim=(0, 1), title="calibration")
    ax.legend(fontsize=7, loc="upper left")
    save_png(fig, path)


def plot_learning_curve(points: Iterable[Any], path: str | Path) -> None:
    """F1 against training size from :func:`curve_points` input; ``low``/``high`` draw a band and
    ``series`` one line per series (e.g. per corpus)."""
    fig, (ax,) = _figure(1)
    for series, group in group_rows(curve_points(points), "series").items():
        group = sorted(group, key=lambda p: p["n_train"])
        x = [p["n_train"] for p in group]
        ax.plot(x, [p["f1"] for p in group], "o-", label=None if series == "(none)" else series)
        if all("low" in p and "high" in p for p in group):
            ax.fill_between(x, [p["low"] for p in group], [p["high"] for p in group], alpha=0.2)
    ax.set(xlabel="training pages", ylabel="F1 (content)", ylim=(0, 1), title="learning curve")
    if ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize=7)
    save_png(fig, path)


def write_plots(
    predictions: Any, metrics: Mapping[str, Any], out_dir: str | Path, main_system: str,
    learning_curve: Iterable[Any] | None = None,
) -> list[str]:
    """All plots into ``out_dir``; returns their file names (for :func:`render_report_md`)."""
    out_dir = Path(out_dir)
    names = ["pr_curve.png", "confusion_matrix.png", "site_f1.png", "calibration.png"]
    plot_pr_curves(predictions, out_dir / names[0])
    plot_confusion_matrices(predictions, main_system, out_dir / names[1])
    plot_site_f1(metrics, main_system, out_dir / names[2])
    plot_calibration(predictions, out_dir / names[3])
    if learning_curve:
        names.append("learning_curve.png")
        plot_learning_curve(learning_curve, out_dir / names[-1])
    return names
