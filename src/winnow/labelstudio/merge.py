"""Append-only merge of pulled Label Studio records into ``annotations/labelstudio.jsonl``.

Existing lines are kept byte for byte; new records are appended; the file is replaced atomically. The key
of a Label Studio annotation is ``(ls_task_id, ls_annotation_id)``, looked up in every file under the
annotations root. A known annotation adds nothing unless its labels (label, kind, stance, note) changed in
Label Studio since the newest record of it: then a *new* record is appended, dated with Label Studio's
``updated_at``, and the old one stays (the newest record per sentence and annotator counts). Annotations
deleted in Label Studio are never deleted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from winnow.annotations import iter_annotations
from winnow.jsonio import atomic_open, dumps_line
from winnow.labelstudio.convert import Converted

COMPARED = ("label", "kind", "stance", "note")
Key = tuple[int, int]


@dataclass
class MergeResult:
    added: list[dict[str, Any]] = field(default_factory=list)
    revised: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def new_records(self) -> list[dict[str, Any]]:
        return self.added + self.revised


def known_annotations(root: str | Path) -> dict[Key, dict[str, Any]]:
    """The newest record of each Label Studio annotation already under ``root`` (raises on bad JSON)."""
    latest: dict[Key, dict[str, Any]] = {}
    if not Path(root).exists():
        return latest
    for _, _, record in iter_annotations(root):
        task_id, annotation_id = record.get("ls_task_id"), record.get("ls_annotation_id")
        if task_id is None or annotation_id is None:
            continue
        key = (int(task_id), int(annotation_id))
        if key not in latest or str(record.get("created_at")) >= str(latest[key].get("created_at")):
            latest[key] = record
    return latest


def plan_merge(pulled: Sequence[Converted], known: dict[Key, dict[str, Any]]) -> MergeResult:
    """Which pulled records are new, which are revisions of known annotations, how many are unchanged."""
    result = MergeResult()
    for item in pulled:
        record = item.record
        key = (int(record["ls_task_id"]), int(record["ls_annotation_id"]))
        previous = known.get(key)
        if previous is None:
            result.added.append(record)
        elif any(previous.get(name) != record.get(name) for name in COMPARED):
            revised = {**record, "created_at": item.updated_at}
            if str(revised["created_at"]) <= str(previous["created_at"]):
                continue  # an older state than what we already hold: nothing new
            result.revised.append(revised)
        else:
            result.unchanged += 1
    return result


def append_records(path: str | Path, records: Sequence[dict[str, Any]]) -> None:
    """Atomically rewrite ``path`` as its old bytes followed by ``records`` (no-op if there are none)."""
    if not records:
        return
    path = Path(path)
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    with atomic_open(path, "wb") as handle:
        handle.write(old)
        handle.write("".join(dumps_line(r) for r in records).encode("utf-8"))


def merge_into(path: str | Path, root: str | Path, pulled: Sequence[Converted]) -> MergeResult:
    result = plan_merge(pulled, known_annotations(root))
    append_records(path, result.new_records)
    return result
