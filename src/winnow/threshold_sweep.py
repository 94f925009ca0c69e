"""What ``--threshold`` does, measured: winnow's shingle precision, recall and F1 on unseen sites at thresholds
other than the model's own, beside the HTML extractors' scores on the same pages.

The model is run once; each page's kept text is joined again at every threshold (:func:`kept_texts`), and at
"auto" (each page's own cut, :mod:`winnow.decode`). A lower threshold keeps a superset of the sentences, so it
trades precision for recall: the table and plot show how much of each, corpus by corpus, so a user can pick a
value for their pages instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from winnow.clean import join_kept
from winnow.decode import AUTO, Threshold, keep_mask
from winnow.metrics import page_shingle_rows, shingle_prf_from_scores
from winnow.segment import SentenceRecord

SWEEP_THRESHOLDS: tuple[Threshold, ...] = (AUTO, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def kept_texts(text: str, records: Sequence[SentenceRecord], p_content: np.ndarray,
               thresholds: Sequence[Threshold] = SWEEP_THRESHOLDS) -> list[str]:
    """The page's cleaned text at each threshold, as ``winnow clean --threshold T`` writes it."""
    texts = [record["text"] for record in records] if AUTO in thresholds else None
    return [join_kept(text, records, keep_mask(p_content, threshold, texts)) for threshold in thresholds]


def threshold_label(threshold: Threshold) -> str:
    return threshold if isinstance(threshold, str) else f"{threshold:g}"


def _is_default(threshold: Threshold, default: Threshold) -> bool:
    if isinstance(threshold, str) or isinstance(default, str):
        return threshold == default
    return bool(np.isclose(threshold, default))


def sweep_summary(pages: Sequence[Mapping[str, Any]], swept: Sequence[Sequence[str]],
                  groups: Mapping[str, np.ndarray], thresholds: Sequence[float] = SWEEP_THRESHOLDS,
                  reference: np.ndarray | None = None) -> dict[str, dict[str, Any]]:
    """``{group: {"thresholds", "precision", "recall", "f1", "pages_without_output" (one value per threshold),
    "pages"}}``: macro shingle scores over each group's pages (``groups``: row masks) of ``swept[page][k]``, the
    page's text at ``thresholds[k]``. ``reference``: a bool mask of the pages to score (those an HTML extractor
    also ran on, so that the numbers compare with its own; default every page)."""
    if len(swept) != len(pages) or any(len(texts) != len(thresholds) for texts in swept):
        raise ValueError("swept needs one text per threshold for every page")
    scores = np.stack([page_shingle_rows([texts[k] for texts in swept], pages) for k in range(len(thresholds))])
    scored = np.ones(len(pages), dtype=bool) if reference is None else reference
    out: dict[str, dict[str, Any]] = {}
    for group, members in groups.items():
        rows = members & scored
        if not rows.any():
            continue
        values = [shingle_prf_from_scores(scores[k][rows]) for k in range(len(thresholds))]
        out[group] = {"thresholds": list(thresholds), "pages": int(rows.sum()),
                      **{key: [v[key] for v in values] for key in ("precision", "recall", "f1")},
                      "pages_without_output": [int(np.isnan(scores[k][rows][:, 0]).sum())
                                               for k in range(len(thresholds))]}
    return out


def sweep_markdown(sweep: Mapping[str, Mapping[str, Any]], default: Threshold,
                   others: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """The report section: F1 per group (rows) and threshold (columns), the model's default marked and each
    row's best in bold, then the HTML extractors' F1 on the same pages (``others``: ``{group: {system: F1}}``)."""
    if not sweep:
        return []
    thresholds = next(iter(sweep.values()))["thresholds"]
    systems = sorted({name for by_system in (others or {}).values() for name in by_system})
    header = [threshold_label(t) + (" (default)" if _is_default(t, default) else "") for t in thresholds]
    lines = ["", "## The threshold (`--threshold`)", "",
             "`winnow` on the same pages at other thresholds (a number: a sentence is kept at P(content) ≥ it; "
             "auto: each page keeps the sentences that maximise its expected precision + recall). Shingle "
             "F1, the best of each row in bold; precision and recall per threshold are in `unseen.json` "
             "(`threshold_sweep`) and the plot `unseen-threshold.png`. A lower threshold keeps more: higher recall, "
             "lower precision.", "",
             "| group | pages | " + " | ".join(header) + "".join(f" | {name} †" for name in systems) + " |",
             "|---|---:|" + "---:|" * (len(thresholds) + len(systems))]
    for group, v in sweep.items():
        f1 = [np.nan if value is None else value for value in v["f1"]]
        best = np.nanmax(f1) if not np.isnan(f1).all() else None
        cells = ["–" if np.isnan(value) else (f"**{value:.3f}**" if value == best else f"{value:.3f}") for value in f1]
        extra = [(others or {}).get(group, {}).get(name) for name in systems]
        lines.append(f"| {group} | {v['pages']} | " + " | ".join(cells)
                     + "".join(" | –" if value is None else f" | {value:.3f}" for value in extra) + " |")
    return lines


def plot_sweep(sweep: Mapping[str, Mapping[str, Any]], default: Threshold, path: Path,
               others: Mapping[str, Mapping[str, Mapping[str, float | None]]] | None = None) -> None:
    """Shingle precision against recall as the threshold moves, one panel per group, each threshold labelled and
    the default ringed; the HTML extractors as single points (``others``: ``{group: {system: {"precision",
    "recall"}}}``)."""
    from winnow.report import _figure, save_png

    groups = list(sweep)
    fig, axes = _figure(ncols=max(1, len(groups)), width=3.4, height=3.4)
    markers = iter(("*", "D", "s", "^"))
    system_markers = {name: next(markers, "o") for name in
                      sorted({name for by_system in (others or {}).values() for name in by_system})}
    for axis, group in zip(axes, groups, strict=False):
        v = sweep[group]
        recall = np.array([np.nan if x is None else x for x in v["recall"]])
        precision = np.array([np.nan if x is None else x for x in v["precision"]])
        fixed = np.array([not isinstance(t, str) for t in v["thresholds"]])
        axis.plot(recall[fixed], precision[fixed], "o-", markersize=3, label="winnow, threshold T")
        if not fixed.all():
            axis.plot(recall[~fixed], precision[~fixed], "P", markersize=6, label="winnow, auto")
        for t, x, y in zip(v["thresholds"], recall, precision, strict=True):
            if not (np.isnan(x) or np.isnan(y)):
                axis.annotate(threshold_label(t), (x, y), textcoords="offset points", xytext=(3, 3), fontsize=6)
                if _is_default(t, default):
                    axis.plot([x], [y], "o", markersize=8, markerfacecolor="none", color="black")
        for name, point in (others or {}).get(group, {}).items():
            if point.get("precision") is not None and point.get("recall") is not None:
                axis.plot([point["recall"]], [point["precision"]], system_markers[name], label=f"{name} †")
        axis.set_title(f"{group} ({v['pages']} pages)", fontsize="small")
        axis.set_xlabel("shingle recall")
        axis.set_ylabel("shingle precision")
        axis.grid(alpha=0.3)
        axis.legend(fontsize="x-small", loc="lower left")
    save_png(fig, path)
