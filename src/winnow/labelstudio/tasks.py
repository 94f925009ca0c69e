"""Building Label Studio tasks and model pre-annotations from sentence records (pure functions).

One task per sentence. Its ``data`` carries the sentence, a few neighbouring sentences as context (one line
per block, so paragraph breaks stay visible), the article's headline and stance target. Its prediction holds
the model's content/boilerplate guess for the ``label`` control, with the model version and a score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

CONFIG_PATH = Path(__file__).resolve().parents[3] / "annotations" / "labelstudio" / "config.xml"
OBJECT_NAME = "sentence"  # the <Text> tag every control labels
LABEL_CONTROL, KIND_CONTROL, STANCE_CONTROL, NOTE_CONTROL = "label", "kind", "stance", "note"
STRATEGIES = ("document", "uncertain")


class Predictor(Protocol):
    """What push needs from a model: winnow.model.WinnowModel satisfies it."""

    version: str

    def predict_proba(self, articles: Sequence[Sequence[Mapping[str, Any]]]) -> list[np.ndarray]: ...


@dataclass(frozen=True)
class Candidate:
    """A sentence to send, with the model's P(content) if there is a model."""

    sentence: Mapping[str, Any]
    p_content: float | None


def load_config(path: str | Path | None = None) -> str:
    return Path(path or CONFIG_PATH).read_text(encoding="utf-8")


def group_by_article(sentences: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Sentences per article, each list in reading order (by ``index``)."""
    articles: dict[str, list[Mapping[str, Any]]] = {}
    for sentence in sentences:
        articles.setdefault(str(sentence["article_id"]), []).append(sentence)
    return {aid: sorted(rows, key=lambda s: int(s["index"])) for aid, rows in articles.items()}


def score_articles(
    articles: Mapping[str, Sequence[Mapping[str, Any]]], predictor: Predictor | None
) -> list[Candidate]:
    """Every sentence of ``articles`` (in article-id, then reading order) with P(content) from ``predictor``."""
    ids = sorted(articles)
    if predictor is None:
        return [Candidate(s, None) for aid in ids for s in articles[aid]]
    probabilities = predictor.predict_proba([articles[aid] for aid in ids])
    candidates = []
    for aid, proba in zip(ids, probabilities, strict=True):
        if len(proba) != len(articles[aid]):
            raise ValueError(f"model returned {len(proba)} probabilities for {len(articles[aid])} sentences of {aid}")
        candidates += [Candidate(s, float(p)) for s, p in zip(articles[aid], proba, strict=True)]
    return candidates


def select(candidates: Sequence[Candidate], strategy: str = "document", limit: int | None = None) -> list[Candidate]:
    """Order candidates by ``strategy`` and keep the first ``limit``.

    ``document``: article by article, in reading order. ``uncertain``: the sentences the model is least sure
    of first (|P(content) - 0.5| ascending, ties by sentence_id): our own active learning.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    ordered = list(candidates)
    if strategy == "uncertain":
        if any(c.p_content is None for c in ordered):
            raise ValueError("the 'uncertain' strategy needs model predictions")
        ordered.sort(key=lambda c: (abs(float(c.p_content or 0.0) - 0.5), str(c.sentence["sentence_id"])))
    return ordered if limit is None else ordered[: max(limit, 0)]


def context_lines(sentences: Sequence[Mapping[str, Any]]) -> str:
    """Sentences joined as they stood: one line per block, each line headed by its block number."""
    lines: list[str] = []
    current: int | None = None
    for sentence in sentences:
        block = int(sentence["block"])
        if block != current:
            lines.append(f"[block {block}] {sentence['text']}")
            current = block
        else:
            lines[-1] += f" {sentence['text']}"
    return "\n".join(lines)


def task_data(
    article: Sequence[Mapping[str, Any]], position: int, meta: Mapping[str, Any], context: int = 3
) -> dict[str, Any]:
    """The ``data`` of the task for ``article[position]``, with ``context`` sentences either side."""
    sentence = article[position]
    before = article[max(0, position - context) : position]
    after = article[position + 1 : position + 1 + context]
    return {
        "sentence_id": sentence["sentence_id"],
        "article_id": sentence["article_id"],
        "block": int(sentence["block"]),
        "index": int(sentence["index"]),
        "text": sentence["text"],
        "context_before": context_lines(before),
        "context_after": context_lines(after),
        "headline": str(meta.get("headline") or ""),
        "stance_target": str(meta.get("stance_target") or ""),
        "position": (
            f"{sentence['article_id']} · block {int(sentence['block'])} · "
            f"sentence {position + 1} of {len(article)}"
        ),
    }


def prediction(p_content: float, model_version: str) -> dict[str, Any]:
    """A Label Studio prediction for the ``label`` control: the more likely label, scored by its probability.

    The model predicts only content/boilerplate, so kind and stance are left for the annotator.
    """
    label = "content" if p_content >= 0.5 else "boilerplate"
    score = round(p_content if label == "content" else 1.0 - p_content, 6)
    return {
        "model_version": model_version,
        "score": score,
        "result": [
            {
                "from_name": LABEL_CONTROL,
                "to_name": OBJECT_NAME,
                "type": "choices",
                "value": {"choices": [label]},
                "score": score,
            }
        ],
    }


def build_tasks(
    chosen: Sequence[Candidate],
    articles: Mapping[str, Sequence[Mapping[str, Any]]],
    metadata: Mapping[str, Mapping[str, Any]],
    model_version: str | None,
    context: int = 3,
) -> list[dict[str, Any]]:
    """Label Studio import payloads for ``chosen``, in the same order, each with a prediction if scored."""
    positions = {
        s["sentence_id"]: (aid, pos) for aid, rows in articles.items() for pos, s in enumerate(rows)
    }
    tasks = []
    for candidate in chosen:
        aid, pos = positions[candidate.sentence["sentence_id"]]
        task: dict[str, Any] = {"data": task_data(articles[aid], pos, metadata.get(aid, {}), context)}
        if candidate.p_content is not None and model_version:
            task["predictions"] = [prediction(candidate.p_content, model_version)]
        tasks.append(task)
    return tasks
