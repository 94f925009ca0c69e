"""``winnow ls push`` / ``winnow ls pull``: the Label Studio round trip (see winnow.labelstudio)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from winnow.cli_console import err, fail

ls_app = typer.Typer(
    help="Label Studio round trip. Connection: LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY (personal access "
    "token or legacy token) from the environment or a git-ignored .env. Start a local server: `make label-studio`.",
    no_args_is_help=True,
)

PROJECT = typer.Option("winnow", "--project", help="Label Studio project title (created if missing).")
ENV_FILE = typer.Option(
    Path(".env"), "--env-file", help="Read the connection from this file if not in the environment.")
SENTENCES = typer.Option(
    Path("data/processed/sentences.jsonl"), "--sentences", help="Segmented sentences (`make data`).")
SILVER_DIR = typer.Option(
    Path("data/interim/silver"), "--silver-dir", help="Silver tables (`make silver`): sentences of corpus pages.")


def _quiet_http() -> None:
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _read_jsonl(path: Path, what: str) -> list[dict[str, Any]]:
    from winnow.jsonio import JsonlError, read_jsonl

    if not path.exists():
        raise fail(f"{path} not found; run `make data` first ({what})")
    try:
        return read_jsonl(path)
    except JsonlError as error:
        raise fail(str(error)) from None


def _predictor(model: Path, use_model: bool) -> Any:
    if not use_model:
        return None
    from winnow.model import ModelError, load_model

    try:
        return load_model(model)
    except ModelError as error:
        raise fail(f"{error} (or push without pre-annotations: --no-predictions)") from None


def push_command(
    project: str = PROJECT,
    article: list[str] = typer.Option([], "--article", "-a", help="Send only this article (repeatable)."),
    corpus_page: list[str] = typer.Option(
        [], "--corpus-page", "-p", help="Send this benchmark-corpus page, e.g. dragnet/R630 (repeatable; read "
        "from --silver-dir). Its labels are stored by sentence id only, never with the corpus's text."),
    disputed: int = typer.Option(
        0, "--disputed-pages", min=0, help="Also send the N corpus pages whose out-of-fold predictions "
        "(--cv-predictions) most often contradict their silver labels with confidence: where the model or the "
        "silver alignment is wrong."),
    disputed_corpus: list[str] = typer.Option(
        [], "--disputed-corpus", help="Choose --disputed-pages from this corpus only (repeatable)."),
    cv_predictions: Path = typer.Option(
        Path("train/cv-predictions.parquet"), "--cv-predictions", help="Out-of-fold predictions (`make train`)."),
    strategy: str = typer.Option(
        "document", "--strategy",
        help="document: article by article in reading order. uncertain: the sentences the model is least "
        "sure of first (|P(content) - 0.5| ascending; Label Studio's free edition has no active learning).",
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Send at most N sentences (after ordering)."),
    model: Path = typer.Option(Path("train/model.skops"), "--model", help="Model that pre-annotates (`make train`)."),
    use_model: bool = typer.Option(True, "--predictions/--no-predictions", help="Attach model predictions."),
    skip_annotated: bool = typer.Option(
        False, "--skip-annotated", help="Leave out sentences that already have a record under --annotations-dir."),
    annotations_dir: Path = typer.Option(Path("annotations"), "--annotations-dir", help="Gold annotations root."),
    context: int = typer.Option(3, "--context", min=0, help="Neighbouring sentences shown on each side."),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Tasks per import request."),
    sentences: Path = SENTENCES,
    articles: Path = typer.Option(
        Path("data/processed/articles.jsonl"), "--articles", help="Headlines and stance targets."),
    config: Path = typer.Option(Path("annotations/labelstudio/config.xml"), "--config", help="Labeling config."),
    silver_dir: Path = SILVER_DIR,
    env_file: Path = ENV_FILE,
) -> None:
    """Create or update the project and import sentences as tasks, each pre-annotated by the model.

    What is sent: every article of --sentences, or only those named by --article, --corpus-page and
    --disputed-pages. A corpus page's task shows the page's headline as its stance target; its text goes to
    the Label Studio server only, and `winnow ls pull` stores its labels by sentence id (annotations/README.md).

    Idempotent: sentences already in the project are not imported again (they only get a prediction if
    they have none from this model version), so running it twice creates no duplicate tasks. --limit is
    applied before that check: `--strategy uncertain --limit 200` keeps the project at the 200 least
    certain sentences; raise the limit to send more.
    """
    from winnow.labelstudio.connection import LabelStudioError, load_settings
    from winnow.labelstudio.tasks import STRATEGIES
    from winnow.labelstudio.workflow import plan_push, push

    _quiet_http()
    if strategy not in STRATEGIES:
        raise fail(f"unknown --strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if strategy == "uncertain" and not use_model:
        raise fail("--strategy uncertain needs model predictions; drop --no-predictions")
    if not config.exists():
        raise fail(f"labeling config {config} not found")
    try:
        settings = load_settings(env_file)
    except LabelStudioError as error:
        raise fail(str(error)) from None
    records: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {}
    if disputed:
        corpus_page = [*corpus_page, *_disputed_pages(cv_predictions, disputed, disputed_corpus, corpus_page)]
    if article or not corpus_page:
        records = _read_jsonl(sentences, "sentences")
        metadata = {str(a.get("article_id")): a for a in _read_jsonl(articles, "articles")}
    if corpus_page:
        records, metadata = _with_corpus_pages(records, metadata, corpus_page, silver_dir)
    exclude = _annotated_sentences(annotations_dir) if skip_annotated else set()
    predictor = _predictor(model, use_model)
    try:
        tasks = plan_push(records, metadata, predictor, article_ids=[*article, *corpus_page], exclude=exclude,
                          strategy=strategy, limit=limit, context=context)
    except ValueError as error:
        raise fail(str(error)) from None
    version = predictor.version if predictor else None
    try:
        result = push(settings, tasks, model_version=version, project=project,
                      config=config.read_text(encoding="utf-8"), batch_size=batch_size)
    except LabelStudioError as error:
        raise fail(settings.scrub(str(error))) from None
    made = "created" if result.project_created else ("updated config of" if result.config_updated else "using")
    source = f"pre-annotated by model {version}" if version else "without model predictions"
    err.print(
        f"{made} project {project!r} (id {result.project_id}): imported {result.imported} new task(s) {source}; "
        f"{result.already_there} already there ({result.predictions_added} given a prediction from this model)",
        highlight=False, soft_wrap=True,
    )


def _with_corpus_pages(records: list[dict[str, Any]], metadata: dict[str, Any], pages: list[str],
                       silver_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``records`` and ``metadata`` with the sentences and headlines of the corpus ``pages`` added."""
    from winnow.corpus_refs import CorpusRefError, load_page_sentences, page_metadata

    try:
        return records + load_page_sentences(silver_dir, pages), {**metadata, **page_metadata(silver_dir, pages)}
    except CorpusRefError as error:
        raise fail(str(error)) from None


def _disputed_pages(cv_predictions: Path, n: int, corpora: list[str], already: list[str]) -> list[str]:
    from winnow.corpus_refs import CorpusRefError, disputed_pages

    try:
        pages = disputed_pages(cv_predictions, n + len(already), corpora)
    except CorpusRefError as error:
        raise fail(str(error)) from None
    chosen = [page for page in pages if page not in already][:n]
    err.print(f"disputed pages: {', '.join(chosen) or 'none'}", highlight=False, soft_wrap=True)
    return chosen


def _annotated_sentences(root: Path) -> set[str]:
    from winnow.annotations import load_annotations
    from winnow.jsonio import JsonlError

    try:
        return {str(r.get("sentence_id")) for r in load_annotations(root)} if root.exists() else set()
    except JsonlError as error:
        raise fail(str(error)) from None


def pull_command(
    project: str = typer.Option("winnow", "--project", help="Label Studio project title."),
    annotations_dir: Path = typer.Option(Path("annotations"), "--annotations-dir", help="Gold annotations root."),
    out: Path | None = typer.Option(None, "--out", help="Records file (default: ANNOTATIONS_DIR/labelstudio.jsonl)."),
    sentences: Path = SENTENCES,
    silver_dir: Path = SILVER_DIR,
    export_file: Path | None = typer.Option(
        None, "--export-file", help="Convert this Label Studio JSON export instead of asking the server."),
    env_file: Path = ENV_FILE,
) -> None:
    """Export every task and merge its annotations into ANNOTATIONS_DIR/labelstudio.jsonl (append-only).

    Each non-cancelled annotation becomes one record (annotator e-mail, created_at, lead_time, labels,
    note, the prediction it started from, ls_task_id, ls_annotation_id). Existing lines are never changed
    or deleted; a re-pull adds nothing; an annotation edited in Label Studio since the last pull adds a new
    record dated with its updated_at. Different annotators' labels stay side by side. Any problem (malformed
    export, unknown label, unknown sentence id, server down, bad token) writes nothing and exits 1. Sentences of
    corpus pages (`ls push --corpus-page`) are checked against --silver-dir, and their records hold no text.
    """
    import json

    from winnow.corpus_refs import CorpusRefError, KnownSentences
    from winnow.jsonio import JsonlError
    from winnow.labelstudio.connection import LabelStudioError, load_settings
    from winnow.labelstudio.convert import ExportError
    from winnow.labelstudio.workflow import fetch_export, merge_export

    _quiet_http()
    out = out or annotations_dir / "labelstudio.jsonl"
    sentence_ids = KnownSentences((str(r["sentence_id"]) for r in _read_jsonl(sentences, "sentences")), silver_dir,
                                  strict=True)
    users: dict[int, str] = {}
    settings = None
    try:
        if export_file is not None:
            export = json.loads(export_file.read_text(encoding="utf-8"))
        else:
            settings = load_settings(env_file)
            export, users = fetch_export(settings, project)
        result = merge_export(export, out, annotations_dir, sentence_ids, users)
    except (LabelStudioError, ExportError, JsonlError, CorpusRefError) as error:
        message = settings.scrub(str(error)) if settings else str(error)
        raise fail(f"{message}\nnothing was written") from None
    except (OSError, ValueError) as error:
        raise fail(f"cannot read {export_file}: {error}\nnothing was written") from None
    err.print(
        f"{out}: added {len(result.added)} record(s), {len(result.revised)} revision(s) of annotations edited "
        f"in Label Studio; {result.unchanged} already pulled",
        highlight=False, soft_wrap=True,
    )


def _unwrap(doc: str | None) -> str:
    """A docstring with each paragraph on one line, so --help wraps it to the terminal."""
    import inspect

    return "\n\n".join(" ".join(p.split("\n")) for p in inspect.cleandoc(doc or "").split("\n\n"))


ls_app.command("push", help=_unwrap(push_command.__doc__))(push_command)
ls_app.command("pull", help=_unwrap(pull_command.__doc__))(pull_command)


def register(app: typer.Typer) -> None:
    app.add_typer(ls_app, name="ls")
