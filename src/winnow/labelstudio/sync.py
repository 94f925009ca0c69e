"""Talking to the server: find or create the project, import tasks idempotently, export a snapshot."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from winnow.labelstudio.connection import LabelStudioError, Settings, call

DESCRIPTION = "winnow: is each sentence article content or page boilerplate? Guidelines: annotations/guidelines.md"


@dataclass
class PushResult:
    project_id: int
    project_created: bool
    config_updated: bool
    imported: int
    already_there: int
    predictions_added: int


def find_project(client: Any, settings: Settings, title: str) -> Any | None:
    """The project titled exactly ``title``, None if there is none, an error if there are several."""
    projects = call(settings, "listing projects", lambda: [p for p in client.projects.list(title=title)])
    matches = [p for p in projects if p.title == title]
    if len(matches) > 1:
        ids = ", ".join(str(p.id) for p in matches)
        raise LabelStudioError(f"{len(matches)} projects are titled {title!r} (ids {ids}); rename all but one")
    return matches[0] if matches else None


def ensure_project(client: Any, settings: Settings, title: str, config: str) -> tuple[int, bool, bool]:
    """(project id, created?, config updated?): creates the project or brings its config up to date."""
    project = find_project(client, settings, title)
    if project is None:
        created = call(settings, f"creating project {title!r}", client.projects.create, title=title,
                       label_config=config, description=DESCRIPTION, show_collab_predictions=True)
        return int(created.id), True, False
    changed = (project.label_config or "").strip() != config.strip()
    if changed:
        call(settings, f"updating the labeling config of project {title!r} (id {project.id})",
             client.projects.update, project.id, label_config=config)
    return int(project.id), False, changed


def show_predictions_of(client: Any, settings: Settings, project_id: int, model_version: str) -> None:
    """Make Label Studio show annotators this model's predictions (it refuses versions it has not seen)."""
    call(settings, f"selecting model version {model_version} in project {project_id}", client.projects.update,
         project_id, model_version=model_version, show_collab_predictions=True)


def existing_tasks(client: Any, settings: Settings, project_id: int) -> dict[str, tuple[int, set[str]]]:
    """sentence_id -> (task id, model versions of its predictions) for every task in the project."""
    def fetch() -> dict[str, tuple[int, set[str]]]:
        found: dict[str, tuple[int, set[str]]] = {}
        for task in client.tasks.list(project=project_id, fields="all"):
            sentence_id = (task.data or {}).get("sentence_id")
            if sentence_id:
                versions = {_get(p, "model_version") for p in task.predictions or []}
                found[str(sentence_id)] = (int(task.id), {str(v) for v in versions if v})
        return found

    return call(settings, f"listing tasks of project {project_id}", fetch)


def push_tasks(
    client: Any, settings: Settings, title: str, config: str, tasks: Sequence[dict[str, Any]],
    model_version: str | None, batch_size: int = 500,
) -> PushResult:
    """Import the tasks whose sentence is not in the project yet, in batches; give existing tasks that lack
    a prediction from ``model_version`` one. Running it twice imports nothing the second time."""
    project_id, created, config_updated = ensure_project(client, settings, title, config)
    existing = existing_tasks(client, settings, project_id)
    new = [t for t in tasks if t["data"]["sentence_id"] not in existing]
    for start in range(0, len(new), batch_size):
        batch = new[start : start + batch_size]
        call(settings, f"importing tasks {start + 1}-{start + len(batch)} into project {project_id}",
             client.projects.import_tasks, project_id, request=batch, return_task_ids=True)
    refresh = [
        {"task": existing[t["data"]["sentence_id"]][0], **t["predictions"][0]}
        for t in tasks
        if t["data"]["sentence_id"] in existing and t.get("predictions")
        and model_version not in existing[t["data"]["sentence_id"]][1]
    ]
    for start in range(0, len(refresh), batch_size):
        call(settings, f"importing predictions into project {project_id}", client.projects.import_predictions,
             project_id, request=refresh[start : start + batch_size])
    if model_version and (new or refresh or any(model_version in versions for _, versions in existing.values())):
        show_predictions_of(client, settings, project_id, model_version)
    return PushResult(project_id, created, config_updated, len(new), len(tasks) - len(new), len(refresh))


def export_snapshot(client: Any, settings: Settings, project_id: int, timeout: float = 600) -> list[Any]:
    """All tasks of the project as JSON, with full predictions and annotators' e-mails (snapshot export)."""
    options = {"predictions": {"only_id": False}, "annotations__completed_by": {"only_id": False}}
    doing = f"exporting project {project_id}"
    export = call(settings, doing, client.projects.exports.create, project_id, title="winnow ls pull",
                  serialization_options=options)
    deadline = time.monotonic() + timeout
    while export.status not in ("completed", "failed"):
        if time.monotonic() > deadline:
            raise LabelStudioError(f"{doing}: export {export.id} not finished after {timeout:.0f} s")
        time.sleep(0.5)
        export = call(settings, doing, client.projects.exports.get, project_id, export.id)
    if export.status == "failed":
        raise LabelStudioError(f"{doing}: Label Studio reports export {export.id} failed")
    payload = call(settings, doing, lambda: b"".join(
        client.projects.exports.download(project_id, export.id, export_type="JSON")))
    call(settings, f"deleting export {export.id}", client.projects.exports.delete, project_id, export.id)
    try:
        return json.loads(payload)
    except ValueError as error:
        raise LabelStudioError(f"{doing}: the export is not valid JSON ({error})") from None


def user_emails(client: Any, settings: Settings) -> dict[int, str]:
    return call(settings, "listing users", lambda: {int(u.id): str(u.email) for u in client.users.list() if u.email})


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)
