"""The gold annotation schema, loading and validation.

Annotations live in ``annotations/**/*.jsonl``, one record per (sentence, annotator) -- see
``annotations/README.md`` for the schema. Records are never edited in place: a correction is a new record
with a later ``created_at``; conflicting labels from different annotators stay side by side.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from winnow.corpus_refs import corpus_of
from winnow.jsonio import JsonlError, iter_jsonl

LABELS = ("content", "boilerplate")
KINDS = ("headline", "byline", "caption", "related", "navigation", "promo", "metadata", "other")
STANCES = ("favor", "against", "neutral")
SOURCES = ("manual", "label-studio")
REQUIRED_FIELDS = ("sentence_id", "article_id", "annotator", "created_at", "label", "kind", "stance", "source")
DEFAULT_ADJUDICATORS = ("adjudicator",)  # an annotator whose record settles a sentence outright
OPTIONAL_FIELDS = ("lead_time", "prediction", "ls_task_id", "ls_annotation_id", "note")


@dataclass(frozen=True)
class Problem:
    """One validation error, located by file and line."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def annotation_files(root: str | Path) -> list[Path]:
    """Every ``*.jsonl`` under the annotations root, in a stable order."""
    return sorted(Path(root).rglob("*.jsonl"))


def iter_annotations(root: str | Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    for path in annotation_files(root):
        for line_no, record in iter_jsonl(path):
            yield path, line_no, record


def load_annotations(root: str | Path) -> list[dict[str, Any]]:
    """All annotation records (raises :class:`JsonlError` on malformed JSON)."""
    return [record for _, _, record in iter_annotations(root)]


def record_problems(record: dict[str, Any], sentence_ids: Container[str] | None) -> list[str]:
    """Reasons why one annotation record is invalid (empty if it is valid).

    ``sentence_ids``: the sentences a record may name (a set, or :class:`winnow.corpus_refs.KnownSentences`,
    which also knows corpus pages); None skips that check."""
    reasons = [f"missing field '{name}'" for name in REQUIRED_FIELDS if name not in record]
    unknown = sorted(set(record) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    reasons += [f"unknown field '{name}'" for name in unknown]
    if reasons:
        return reasons
    label, kind, stance = record["label"], record["kind"], record["stance"]
    if sentence_ids is not None and record["sentence_id"] not in sentence_ids:
        where = "the silver table of its corpus" if corpus_of(str(record["sentence_id"])) else "the segmented data"
        reasons.append(f"sentence_id '{record['sentence_id']}' does not exist in {where}")
    if not str(record["sentence_id"]).startswith(f"{record['article_id']}:"):
        reasons.append(f"sentence_id '{record['sentence_id']}' does not belong to article '{record['article_id']}'")
    if label not in LABELS:
        reasons.append(f"label '{label}' is not one of {', '.join(LABELS)}")
    elif label == "content":
        if stance not in STANCES:
            reasons.append(f"content sentence needs a stance in {', '.join(STANCES)}, got {stance!r}")
        if kind is not None:
            reasons.append(f"content sentence must have kind null, got {kind!r}")
    else:
        if kind not in KINDS:
            reasons.append(f"boilerplate sentence needs a kind in {', '.join(KINDS)}, got {kind!r}")
        if stance is not None:
            reasons.append(f"boilerplate sentence must have stance null, got {stance!r}")
    if record["source"] not in SOURCES:
        reasons.append(f"source '{record['source']}' is not one of {', '.join(SOURCES)}")
    if not isinstance(record["annotator"], str) or not record["annotator"].strip():
        reasons.append("annotator must be a non-empty string")
    try:
        datetime.fromisoformat(str(record["created_at"]))
    except ValueError:
        reasons.append(f"created_at {record['created_at']!r} is not an ISO 8601 timestamp")
    return reasons


def validate_annotations(root: str | Path, sentence_ids: Container[str] | None) -> list[Problem]:
    """Check every annotation file; duplicates of (sentence, annotator, created_at) are errors too."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], str] = {}
    for path in annotation_files(root):
        try:
            rows = list(iter_jsonl(path))
        except JsonlError as err:
            problems.append(Problem(str(path), err.line, err.reason))
            continue
        for line_no, record in rows:
            problems += [Problem(str(path), line_no, reason) for reason in record_problems(record, sentence_ids)]
            key = (str(record.get("sentence_id")), str(record.get("annotator")), str(record.get("created_at")))
            if key in seen:
                problems.append(Problem(str(path), line_no, f"duplicate of {seen[key]}"))
            seen.setdefault(key, f"{path}:{line_no}")
    return problems


def latest_per_annotator(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The newest record of each (sentence_id, annotator): corrections supersede, nothing is deleted."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        key = (record["sentence_id"], record["annotator"])
        if key not in latest or str(record["created_at"]) >= str(latest[key]["created_at"]):
            latest[key] = record
    return latest


def _unique_top(counter: Counter) -> Any | None:
    """The single most common key, or None when the top count is shared (a tie)."""
    ranked = counter.most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def resolve_sentence(records: Sequence[dict], adjudicators: Iterable[str] = DEFAULT_ADJUDICATORS,
                     require_detail: bool = True) -> dict[str, Any] | None:
    """Gold (label, kind, stance, annotator_count, agreement) of one sentence from the newest record of each
    annotator, or None when the annotators tie and nobody adjudicated. With ``require_detail=False`` a tie
    on kind/stance alone still resolves the label (kind/stance then None): enough for training."""
    adjudicators = set(adjudicators)
    decisive = sorted((r for r in records if r["annotator"] in adjudicators), key=lambda r: str(r["created_at"]))
    if decisive:
        label, kind, stance = decisive[-1]["label"], decisive[-1]["kind"], decisive[-1]["stance"]
    else:
        label = _unique_top(Counter(r["label"] for r in records))
        if label is None:
            return None
        voters = [r for r in records if r["label"] == label]
        detail = "kind" if label == "boilerplate" else "stance"
        value = _unique_top(Counter(r[detail] for r in voters))
        if value is None and require_detail:
            return None
        kind, stance = (value, None) if detail == "kind" else (None, value)
    agreement = len({(r["label"], r["stance"] if r["label"] == "content" else None) for r in records}) == 1
    return {"label": label, "kind": kind, "stance": stance,
            "annotator_count": len({r["annotator"] for r in records}), "agreement": agreement}


def gold_labels(annotations: Iterable[dict], adjudicators: Iterable[str] = DEFAULT_ADJUDICATORS,
                require_detail: bool = True) -> tuple[dict[str, dict], list[str]]:
    """Gold label per sentence id, and the sorted ids of unresolved (tied) sentences."""
    by_sentence: dict[str, list[dict]] = defaultdict(list)
    for record in latest_per_annotator(annotations).values():
        by_sentence[record["sentence_id"]].append(record)
    gold, unresolved = {}, []
    for sentence_id in sorted(by_sentence):
        resolved = resolve_sentence(by_sentence[sentence_id], adjudicators, require_detail)
        if resolved is None:
            unresolved.append(sentence_id)
        else:
            gold[sentence_id] = resolved
    return gold, unresolved
