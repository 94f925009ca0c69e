"""`winnow dataset build|publish`: the annotated dataset as a Hugging Face Hub folder, and its upload."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from winnow.cli_console import err, fail, labelled

dataset_app = typer.Typer(
    help="Build the annotated dataset (parquet + dataset card) and publish it on the Hugging Face Hub.",
    no_args_is_help=True,
)


BUILD_HELP = (
    "Build OUT_DIR: parquet shards of the `sentences` and `articles` configs, a README.md dataset card and "
    "build_manifest.json.\n\n"
    "Only articles whose metadata says rights=redistributable go in; the others are counted in the log "
    "(the build refuses when none is left, see --include-restricted). Rows of `sentences` are the "
    "gold-labelled sentences (newest record per annotator, adjudicator first, else unique majority; ties are "
    "left out). Splits are by site, so no site is in two splits; deterministic.\n\n"
    "Check the result with datasets.load_dataset(OUT_DIR, \"sentences\")."
)
PUBLISH_HELP = (
    "Upload the built folder to the Hugging Face Hub as one commit (token: HF_TOKEN or `hf auth login`)."
    "\n\nRefuses a folder that differs from its build manifest or contains restricted articles. "
    "--dry-run lists the files and sizes that would be uploaded; it needs no token and no network."
)


@dataset_app.command("build", help=BUILD_HELP)
def build(
    processed_dir: Path = typer.Option(Path("data/processed"), help="articles.jsonl + sentences.jsonl (make data)."),
    annotations_dir: Path = typer.Option(Path("annotations"), help="Root of the gold annotation JSONL files."),
    out_dir: Path = typer.Option(Path("data/dataset"), help="The dataset folder to (re)create: new, empty, or "
                                                           "an earlier build (it is replaced whole)."),
    include_restricted: bool = typer.Option(
        False, "--include-restricted",
        help="Also include articles whose rights are restricted: a LOCAL/PRIVATE build that the card marks "
             "and that `publish` refuses."),
    metrics: Path = typer.Option(Path("eval/metrics.json"), help="Evaluation metrics (optional file)."),
    metrics_key: str = typer.Option("agreement", help="Dotted key of the agreement numbers in --metrics."),
    adjudicator: list[str] = typer.Option(
        ["adjudicator"], help="Annotator name whose label overrides the others (repeatable)."),
    license_id: str = typer.Option("cc-by-4.0", "--license", help="Hub license id for the annotations."),
    guidelines: str = typer.Option("annotations/guidelines.md", help="Link or path to the annotation guidelines."),
    homepage: str = typer.Option("", help="Project URL for the card and citation."),
) -> None:
    import datasets

    from winnow.dataset import BuildSettings, DatasetBuildError, build_dataset, read_metrics
    from winnow.jsonio import JsonlError

    datasets.disable_progress_bars()
    settings = BuildSettings(
        include_restricted=include_restricted, adjudicators=tuple(adjudicator), license=license_id,
        guidelines=guidelines, homepage=homepage or None, agreement=read_metrics(metrics, metrics_key),
    )
    try:
        result = build_dataset(processed_dir, annotations_dir, out_dir, settings)
    except (DatasetBuildError, JsonlError) as error:
        raise fail(str(error)) from error
    manifest = result.manifest
    counts = "; ".join(f"{config}: " + ", ".join(f"{split} {n}" for split, n in splits.items())
                       for config, splits in manifest["rows"].items())
    excluded = manifest["excluded"]
    err.print(f"built {out_dir}: {counts}. Excluded: {len(excluded['rights'])} article(s) for rights, "
              f"{len(excluded['no_gold_label'])} with no gold label, {len(excluded['unresolved_sentences'])} "
              "tied sentence(s).", highlight=False)
    if manifest["contains_restricted"]:
        err.print(labelled("warning:", "bold yellow", f"contains {len(manifest['restricted_articles'])} restricted "
                           "article(s): local/private use only, `winnow dataset publish` will refuse it"))


@dataset_app.command("publish", help=PUBLISH_HELP)
def publish(
    repo_id: str = typer.Argument("", help="Hub dataset repository, e.g. your-name/winnow-news.",
                                  show_default=False, metavar="REPO_ID"),
    dataset_dir: Path = typer.Option(Path("data/dataset"), help="The folder made by `winnow dataset build`."),
    private: bool = typer.Option(False, "--private", help="Create the repository as private."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the files and sizes; upload nothing."),
    metadata: Path = typer.Option(Path("data/raw/articles.jsonl"),
                                  help="Raw metadata, re-checked so no article now restricted is sent."),
) -> None:
    from winnow import publish as pub

    try:
        repo_id = pub.validate_repo(repo_id)
        if dry_run:
            _dry_run(pub.check_publishable(dataset_dir, pub.resolve_token(), metadata), repo_id, private)
            return
        url = pub.publish(dataset_dir, repo_id, private=private, metadata_path=metadata)
    except pub.PublishError as error:
        raise fail(str(error)) from error
    err.print(f"published {dataset_dir} to https://huggingface.co/datasets/{repo_id} ({url})", highlight=False)


def _dry_run(files, repo_id: str, private: bool) -> None:
    from rich.table import Table

    from winnow.publish import human_size

    table = Table(title=f"would upload to datasets/{repo_id} ({'private' if private else 'public'}), one commit")
    table.add_column("file")
    table.add_column("bytes", justify="right")
    table.add_column("size", justify="right")
    for planned in files:
        table.add_row(planned.path_in_repo, str(planned.size), human_size(planned.size))
    total = sum(f.size for f in files)
    table.add_row(f"{len(files)} files", str(total), human_size(total), end_section=True)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
