"""Converting a Label Studio JSON export into winnow annotation records (pure functions).

Every annotation that was not cancelled (skipped) becomes one record with ``source="label-studio"``: the
annotator's e-mail, Label Studio's timestamps and lead time, the labels of the three controls, the note, and
the prediction the annotator started from (Label Studio stores the prediction shown at annotation time on the
annotation; failing that, the one named by ``parent_prediction``). Anything unexpected raises
:class:`ExportError` naming the task and the reason, so nothing half-converted is ever written.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from winnow.annotations import KINDS, LABELS, STANCES, record_problems
from winnow.labelstudio.tasks import KIND_CONTROL, LABEL_CONTROL, NOTE_CONTROL, STANCE_CONTROL

CHOICES = {LABEL_CONTROL: LABELS, KIND_CONTROL: KINDS, STANCE_CONTROL: STANCES}


class ExportError(ValueError):
    """A Label Studio export that cannot be converted; the message names the task and the problem."""


@dataclass(frozen=True)
class Converted:
    """A record and the time Label Studio last saved its annotation (used to date a revised record)."""

    record: dict[str, Any]
    updated_at: str


def export_tasks(export: Any) -> list[dict[str, Any]]:
    """The task list of a JSON export (checks its shape only)."""
    if not isinstance(export, list):
        raise ExportError(f"malformed export: expected a JSON list of tasks, got {type(export).__name__}")
    for number, task in enumerate(export, start=1):
        if not isinstance(task, dict):
            raise ExportError(f"malformed export: item {number} is a {type(task).__name__}, not a task object")
        where = f"task {task.get('id', f'#{number}')}"
        if not isinstance(task.get("data"), dict) or not task["data"].get("sentence_id"):
            raise ExportError(f"malformed export: {where} has no data.sentence_id (not a winnow task)")
        if not isinstance(task.get("annotations", []), list):
            raise ExportError(f"malformed export: {where} has 'annotations' that is not a list")
    return export


def choice_of(result: Sequence[Any], control: str, where: str) -> str | None:
    """The single choice made in ``control``, None if the control was left empty."""
    values = [item for item in result if isinstance(item, dict) and item.get("from_name") == control]
    if not values:
        return None
    if len(values) > 1:
        raise ExportError(f"{where}: control '{control}' has {len(values)} results, expected one")
    choices = (values[0].get("value") or {}).get("choices")
    if not isinstance(choices, list) or len(choices) != 1:
        raise ExportError(f"{where}: control '{control}' must hold exactly one choice, got {choices!r}")
    choice = choices[0]
    if choice not in CHOICES[control]:
        raise ExportError(
            f"{where}: unknown {control} {choice!r} (expected one of {', '.join(CHOICES[control])}); "
            "is the project's labeling config annotations/labelstudio/config.xml?"
        )
    return str(choice)


def note_of(result: Sequence[Any]) -> str | None:
    texts = [
        text
        for item in result
        if isinstance(item, dict) and item.get("from_name") == NOTE_CONTROL
        for text in (item.get("value") or {}).get("text", [])
    ]
    note = " ".join(str(t).strip() for t in texts if str(t).strip())
    return note or None


def labels_of(result: Any, where: str) -> tuple[str, str | None, str | None]:
    """(label, kind, stance) of an annotation result; kind/stance of the hidden control are ignored."""
    if not isinstance(result, list):
        raise ExportError(f"{where}: 'result' is not a list")
    label = choice_of(result, LABEL_CONTROL, where)
    if label is None:
        raise ExportError(f"{where}: no content/boilerplate label (control '{LABEL_CONTROL}' is empty)")
    if label == "content":
        return label, None, choice_of(result, STANCE_CONTROL, where)
    return label, choice_of(result, KIND_CONTROL, where), None


def annotator_of(annotation: Mapping[str, Any], users: Mapping[int, str], where: str) -> str:
    """The annotator's e-mail: from the expanded ``completed_by`` or, for an id, from ``users``."""
    completed_by = annotation.get("completed_by")
    if isinstance(completed_by, dict) and completed_by.get("email"):
        return str(completed_by["email"])
    user_id = completed_by.get("id") if isinstance(completed_by, dict) else completed_by
    if isinstance(user_id, int) and user_id in users:
        return users[user_id]
    raise ExportError(
        f"{where}: annotator {completed_by!r} has no e-mail in the export; pull from the server "
        "(`winnow ls pull`), which exports with annotators expanded"
    )


def prediction_of(annotation: Mapping[str, Any], task: Mapping[str, Any]) -> dict[str, Any] | None:
    """The model pre-annotation the annotator started from, as {model_version, label, p_content, score, ...}.

    ``parent_prediction`` names it when the annotator started from a prediction; otherwise Label Studio's
    own copy of the prediction shown at annotation time (``annotation.prediction``) is used.
    """
    parent = annotation.get("parent_prediction")
    shown = next((p for p in task.get("predictions", []) if isinstance(p, dict) and p.get("id") == parent), None)
    if shown is None and isinstance(annotation.get("prediction"), dict) and annotation["prediction"].get("result"):
        shown = annotation["prediction"]
    if shown is None:
        return None
    items = [i for i in shown.get("result") or [] if isinstance(i, dict) and i.get("from_name") == LABEL_CONTROL]
    label = ((items[0].get("value") or {}).get("choices") or [None])[0] if items else None
    score = items[0].get("score", shown.get("score")) if items else shown.get("score")
    p_content = None
    if label in LABELS and isinstance(score, int | float):
        p_content = round(float(score) if label == "content" else 1.0 - float(score), 6)
    return {"model_version": shown.get("model_version"), "label": label, "p_content": p_content,
            "score": score, "ls_prediction_id": shown.get("id")}


def annotation_record(
    task: Mapping[str, Any], annotation: Mapping[str, Any], users: Mapping[int, str]
) -> dict[str, Any]:
    """One winnow annotation record for one Label Studio annotation (not validated against sentences)."""
    where = f"task {task.get('id')} annotation {annotation.get('id')}"
    if not isinstance(annotation.get("id"), int) or not annotation.get("created_at"):
        raise ExportError(f"malformed export: {where} lacks an integer id or created_at")
    label, kind, stance = labels_of(annotation.get("result"), where)
    data = task["data"]
    record: dict[str, Any] = {
        "sentence_id": str(data["sentence_id"]),
        "article_id": str(data.get("article_id") or str(data["sentence_id"]).split(":", 1)[0]),
        "annotator": annotator_of(annotation, users, where),
        "created_at": str(annotation["created_at"]),
        "label": label,
        "kind": kind,
        "stance": stance,
        "source": "label-studio",
        "lead_time": annotation.get("lead_time"),
        "prediction": prediction_of(annotation, task),
        "ls_task_id": task.get("id"),
        "ls_annotation_id": annotation["id"],
    }
    note = note_of(annotation.get("result") or [])
    if note:
        record["note"] = note
    return record


def convert_export(
    export: Any, sentence_ids: Container[str] | None = None, users: Mapping[int, str] | None = None
) -> list[Converted]:
    """Every non-cancelled annotation in ``export`` converted and checked with ``record_problems``.

    Raises :class:`ExportError` listing every problem (task id, annotation id, reason) if any record is bad.
    """
    converted, problems = [], []
    for task in export_tasks(export):
        for annotation in task.get("annotations", []):
            where = f"task {task.get('id')} annotation {annotation.get('id') if isinstance(annotation, dict) else '?'}"
            if not isinstance(annotation, dict):
                problems.append(f"malformed export: {where} is not an object")
                continue
            if annotation.get("was_cancelled"):
                continue
            try:
                record = annotation_record(task, annotation, users or {})
            except ExportError as error:
                problems.append(str(error))
                continue
            problems += [f"{where}: {reason}" for reason in record_problems(record, sentence_ids)]
            updated_at = str(annotation.get("updated_at") or annotation["created_at"])
            converted.append(Converted(record, updated_at))
    if problems:
        raise ExportError(f"{len(problems)} problem(s) in the export:\n  " + "\n  ".join(problems))
    return sorted(converted, key=lambda c: (c.record["ls_task_id"] or 0, c.record["ls_annotation_id"]))


def export_to_records(
    export: Any, sentence_ids: Container[str] | None = None, users: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """The records of :func:`convert_export`, ordered by Label Studio task and annotation id."""
    return [item.record for item in convert_export(export, sentence_ids, users)]


def record_to_result(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Label Studio annotation ``result`` that encodes a record's labels (the reverse direction)."""
    def choice(control: str, value: str) -> dict[str, Any]:
        return {"from_name": control, "to_name": "sentence", "type": "choices", "value": {"choices": [value]}}

    result = [choice(LABEL_CONTROL, record["label"])]
    if record["label"] == "boilerplate" and record.get("kind"):
        result.append(choice(KIND_CONTROL, record["kind"]))
    if record["label"] == "content" and record.get("stance"):
        result.append(choice(STANCE_CONTROL, record["stance"]))
    if record.get("note"):
        result.append({"from_name": NOTE_CONTROL, "to_name": "sentence", "type": "textarea",
                       "value": {"text": [record["note"]]}})
    return result
