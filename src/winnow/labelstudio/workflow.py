"""The two round-trip operations, on plain data: ``push`` sentences (+ predictions) and ``pull`` labels."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from winnow.labelstudio.connection import Settings, connect
from winnow.labelstudio.convert import convert_export
from winnow.labelstudio.merge import MergeResult, merge_into
from winnow.labelstudio.sync import PushResult, export_snapshot, find_project, push_tasks, user_emails
from winnow.labelstudio.tasks import Predictor, build_tasks, group_by_article, load_config, score_articles, select

DEFAULT_PROJECT = "winnow"


def plan_push(
    sentences: Iterable[Mapping[str, Any]],
    metadata: Mapping[str, Mapping[str, Any]],
    predictor: Predictor | None,
    *,
    article_ids: Sequence[str] = (),
    exclude: set[str] | frozenset[str] = frozenset(),
    strategy: str = "document",
    limit: int | None = None,
    context: int = 3,
) -> list[dict[str, Any]]:
    """The task payloads to send: the chosen articles' sentences, minus ``exclude``, ordered and limited.

    Articles are scored whole (the model may look at neighbours); selection happens afterwards.
    """
    articles = group_by_article(sentences)
    if article_ids:
        unknown = sorted(set(article_ids) - set(articles))
        if unknown:
            raise ValueError(f"unknown article id(s): {', '.join(unknown)}")
        articles = {aid: articles[aid] for aid in article_ids}
    candidates = [c for c in score_articles(articles, predictor) if c.sentence["sentence_id"] not in exclude]
    chosen = select(candidates, strategy, limit)
    return build_tasks(chosen, articles, metadata, predictor.version if predictor else None, context)


def push(
    settings: Settings,
    tasks: Sequence[dict[str, Any]],
    *,
    model_version: str | None,
    project: str = DEFAULT_PROJECT,
    config: str | None = None,
    batch_size: int = 500,
) -> PushResult:
    client = connect(settings)
    return push_tasks(client, settings, project, config or load_config(), tasks, model_version, batch_size)


def fetch_export(settings: Settings, project: str = DEFAULT_PROJECT) -> tuple[list[Any], dict[int, str]]:
    """A snapshot export of ``project`` and the server's user id -> e-mail map."""
    from winnow.labelstudio.connection import LabelStudioError

    client = connect(settings)
    found = find_project(client, settings, project)
    if found is None:
        raise LabelStudioError(f"no project titled {project!r} on {settings.url}; run `winnow ls push` first")
    return export_snapshot(client, settings, int(found.id)), user_emails(client, settings)


def merge_export(
    export: Any,
    out: str | Path,
    annotations_dir: str | Path,
    sentence_ids: Container[str] | None,
    users: Mapping[int, str] | None = None,
) -> MergeResult:
    """Convert ``export`` (all-or-nothing) and append what is new to ``out``; raises before writing."""
    return merge_into(out, annotations_dir, convert_export(export, sentence_ids, users))
