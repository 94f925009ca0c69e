"""Inter-annotator agreement on the gold annotations, and the disagreements to adjudicate.

Two dimensions are measured on sentences that two or more annotators labelled (each annotator's latest
record counts, see :func:`winnow.annotations.latest_per_annotator`):

* ``label``: boilerplate vs content, on every such sentence;
* ``stance``: favor / against / neutral, on the sentences at least two annotators called content (a pair
  of annotators is compared on the sentences both of them called content).

For each dimension: Cohen's kappa for every pair of annotators (scikit-learn), Cohen's kappa itself when
exactly two annotators took part, and Krippendorff's alpha (nominal) over all annotators, which also
handles more than two annotators and sentences not everyone labelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from winnow.annotations import latest_per_annotator

DIMENSIONS = ("label", "stance")
ADJUDICATORS = ("adjudicator",)  # annotators/README.md: their record settles a sentence; not an annotator


def krippendorff_alpha_nominal(units: Iterable[Sequence[Any]]) -> float | None:
    """Krippendorff's alpha for nominal data from the coincidence matrix.

    ``units`` holds, per unit (sentence), the values the coders gave it (missing coders simply absent;
    ``None`` values are ignored). Following Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
    https://repository.upenn.edu/asc_papers/43: units with fewer than two values are unpairable and dropped;
    each unit with m_u values adds 1/(m_u - 1) to o_ck for every ordered pair (c, k) of values from
    different coders; n_c = sum_k o_ck, n = sum_c n_c, and

        alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k.

    Returns ``None`` when alpha is undefined (no pairable values, or only one category used).
    """
    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [unit for unit in pairable if len(unit) >= 2]
    categories = sorted({v for unit in pairable for v in unit}, key=str)
    if not pairable or len(categories) < 2:
        return None
    index = {c: i for i, c in enumerate(categories)}
    coincidence = np.zeros((len(categories), len(categories)))
    for unit in pairable:
        counts = np.bincount([index[v] for v in unit], minlength=len(categories)).astype(float)
        # ordered pairs of values from different coders: counts_c * counts_k, minus self-pairs on the diagonal
        coincidence += (np.outer(counts, counts) - np.diag(counts)) / (len(unit) - 1)
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    observed = coincidence.sum() - np.trace(coincidence)
    expected = n_c.sum() ** 2 - (n_c**2).sum()
    return float(1 - (n - 1) * observed / expected)


def _cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """scikit-learn's Cohen's kappa, ``None`` when undefined (both annotators used one and the same value)."""
    from sklearn.metrics import cohen_kappa_score

    if len(a) == 0 or len(set(a) | set(b)) < 2:
        return None
    return float(cohen_kappa_score(a, b))


def _values(latest: Mapping[tuple[str, str], Mapping[str, Any]], dimension: str) -> dict[str, dict[str, str]]:
    """``{sentence_id: {annotator: value}}`` for one dimension (stance only where the label is content)."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for (sentence_id, annotator), record in latest.items():
        if dimension == "stance" and record["label"] != "content":
            continue
        table[sentence_id][annotator] = record[dimension]
    return table


def dimension_agreement(table: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Agreement on one dimension given ``{sentence_id: {annotator: value}}``."""
    shared = {sid: by for sid, by in table.items() if len(by) >= 2}
    annotators = sorted({a for by in shared.values() for a in by})
    pairs = []
    for first, second in combinations(annotators, 2):
        both = sorted(sid for sid, by in shared.items() if first in by and second in by)
        a = [shared[sid][first] for sid in both]
        b = [shared[sid][second] for sid in both]
        pairs.append({
            "annotators": [first, second], "n": len(both), "kappa": _cohen_kappa(a, b),
            "observed_agreement": (sum(x == y for x, y in zip(a, b, strict=True)) / len(both)) if both else None,
        })
    units = [list(by.values()) for _, by in sorted(shared.items())]
    return {
        "n_sentences": len(shared),
        "n_annotators": len(annotators),
        "n_values": sum(len(u) for u in units),
        "n_disagreements": sum(1 for u in units if len(set(u)) > 1),
        "cohen_kappa": pairs[0]["kappa"] if len(annotators) == 2 else None,
        "krippendorff_alpha": krippendorff_alpha_nominal(units),
        "pairwise": pairs,
    }


def agreement(annotations: Iterable[Mapping[str, Any]], adjudicators: Iterable[str] = ADJUDICATORS
              ) -> dict[str, dict[str, Any]]:
    """Agreement on ``label`` and ``stance`` from annotation records (latest per annotator counts);
    adjudicators' records settle disagreements and are not part of the agreement."""
    latest = {key: r for key, r in latest_per_annotator(annotations).items() if key[1] not in set(adjudicators)}
    return {dimension: dimension_agreement(_values(latest, dimension)) for dimension in DIMENSIONS}


def disagreements(
    annotations: Iterable[Mapping[str, Any]], sentences: Iterable[Mapping[str, Any]],
    adjudicators: Iterable[str] = ADJUDICATORS,
) -> list[dict[str, Any]]:
    """Sentences whose annotators differ on label, kind (all boilerplate) or stance (all content).

    One row per sentence, ordered by article and position: sentence_id, article_id, index, text (``None``
    if the sentence is not among ``sentences``), ``disagree_on`` (e.g. ``["label"]``), ``annotations``,
    ``{annotator: {"label", "kind", "stance"}}`` (adjudicators left out) and ``adjudicated``: the newest
    adjudicator decision (same keys), or ``None`` while the sentence still waits for adjudication.
    """
    adjudicators = set(adjudicators)
    by_id = {s["sentence_id"]: s for s in sentences}
    grouped: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    decisions: dict[str, Mapping[str, Any]] = {}
    for (sentence_id, annotator), record in latest_per_annotator(annotations).items():
        if annotator not in adjudicators:
            grouped[sentence_id][annotator] = record
        elif sentence_id not in decisions or str(record["created_at"]) >= str(decisions[sentence_id]["created_at"]):
            decisions[sentence_id] = record
    rows = []
    for sentence_id, by in grouped.items():
        fields = _differing_fields(list(by.values()))
        if len(by) < 2 or not fields:
            continue
        sentence = by_id.get(sentence_id, {})
        decision = decisions.get(sentence_id)
        rows.append({
            "sentence_id": sentence_id,
            "article_id": next(iter(by.values()))["article_id"],
            "index": sentence.get("index"),
            "text": sentence.get("text"),
            "disagree_on": fields,
            "annotations": {a: _votes(by[a]) for a in sorted(by)},
            "adjudicated": _votes(decision) if decision else None,
        })
    rows.sort(key=lambda r: (r["article_id"], r["index"] if r["index"] is not None else -1, r["sentence_id"]))
    return rows


def _votes(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in ("label", "kind", "stance")}


def _differing_fields(records: list[Mapping[str, Any]]) -> list[str]:
    labels = {r["label"] for r in records}
    if len(labels) > 1:
        return ["label"]
    field = "stance" if labels == {"content"} else "kind"
    return [field] if len({r[field] for r in records}) > 1 else []
