"""CLI commands ``winnow eval``, ``eval-unseen`` and ``compare-models``: they only parse options and call
:mod:`winnow.evaluate`, :mod:`winnow.unseen` and :mod:`winnow.compare`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from winnow.cli_console import err, fail
from winnow.cli_model import threshold_callback


def eval_command(
    out_dir: Path = typer.Option(Path("eval"), help="Where metrics.json, report.md and the plots go."),
    cv_predictions: Path = typer.Option(Path("train/cv-predictions.parquet"),
                                        help="Out-of-fold predictions written by `make train`."),
    model: Path = typer.Option(Path("train/model.skops"), help="Trained model (its card gives the threshold)."),
    annotations_dir: Path = typer.Option(Path("annotations"), help="Gold annotations (kinds, agreement)."),
    sentences: Path = typer.Option(Path("data/processed/sentences.jsonl"), help="Segmented sentences."),
    silver_dir: Path = typer.Option(Path("data/interim/silver"), help="Imported corpora (their gold texts)."),
    corpora: Path = typer.Option(Path("../shared/corpora"), help="Corpora root, for the pages' HTML."),
    learning_curve: Path = typer.Option(None, help="JSON list of learning-curve points "
                                        "({n_train, f1[, low, high, series]}); plotted when given."),
    threshold: str = typer.Option(None, metavar="auto|T", callback=threshold_callback,
                                  help="Decision rule: 'auto' or a number (see `winnow clean --help`); "
                                       "default: the model card's."),
    html: bool = typer.Option(True, help="Run the HTML extractors on pages that have HTML."),
    n_boot: int = typer.Option(1000, min=1, help="Bootstrap resamples (of pages) for the intervals."),
    seed: int = typer.Option(0, help="Bootstrap and dummy-baseline seed."),
) -> None:
    """Evaluate the classifier against baselines: metrics.json (reproducible), report.md, PNG plots.

    Sentence P/R/F1 on held-out sites (cross-validation by site) and page-level shingle F1, per corpus, with
    page-bootstrap intervals; baselines (keep everything, dummy, C4 and FineWeb line rules, jusText on text,
    and trafilatura / readability / jusText on HTML, marked †); leakage per kind of boilerplate; per site;
    annotator agreement and disagreements; the most confident errors; pages/s of every system.
    """
    from winnow.evaluate import EvaluationError, evaluate, write_evaluation

    points = None
    if learning_curve is not None:
        if not learning_curve.is_file():
            raise fail(f"{learning_curve} not found")
        points = json.loads(learning_curve.read_text(encoding="utf-8"))
    try:
        result = evaluate(cv_path=cv_predictions, model_path=model, annotations_dir=annotations_dir,
                          sentences_path=sentences, silver_dir=silver_dir,
                          corpora_root=corpora if corpora.is_dir() else None, learning_curve=points,
                          threshold=threshold, with_html=html, n_boot=n_boot, seed=seed)
    except EvaluationError as error:
        raise fail(str(error)) from None
    paths = write_evaluation(result, out_dir)
    inputs = result["inputs"]
    err.print(f"evaluated {inputs['sentences']} sentences on {inputs['pages']} pages "
              f"({', '.join(inputs['corpora'])}); HTML for {inputs['html']} pages")
    err.print("wrote " + ", ".join(str(p) for p in paths))


def eval_unseen_command(
    out_dir: Path = typer.Option(Path("eval"), help="Where unseen.json and unseen.md go."),
    model: Path = typer.Option(Path("train/model.skops"), help="The model to test (its card gives the threshold)."),
    training_pages: Path = typer.Option(Path("train/training-pages.parquet"),
                                        help="The model's training pages (`make train` writes them beside it): "
                                        "they and their sites are left out."),
    config: Path = typer.Option(Path("train/config.toml"), help="Training config: its corpora and the band of "
                                "ambiguous silver labels left out of the sentence scores."),
    silver_dir: Path = typer.Option(Path("data/interim/silver"), help="Imported corpora (`make silver`)."),
    corpora: Path = typer.Option(Path("../shared/corpora"), help="Corpora root, for the pages' HTML."),
    html: bool = typer.Option(True, help="Run trafilatura and readability on the same pages' HTML."),
    n_boot: int = typer.Option(1000, min=1, help="Bootstrap resamples (of pages) for the intervals."),
    seed: int = typer.Option(0, help="Bootstrap seed."),
) -> None:
    """Test the shipped model on every corpus page it never saw, from sites it never saw.

    Pages of training sites are left out, and so are pages without a site when such pages were in training.
    Each page is cleaned alone (as `winnow clean`) and with its site's other pages (as `winnow clean
    --by-site`); trafilatura and readability run on the same pages' HTML. Shingle F1 per corpus (and per page
    type where the corpus has them) with page-bootstrap intervals, the difference from trafilatura with a
    paired interval, and sentence F1 against the silver labels; a plot. ~3 minutes for ~2,000 pages.
    """
    from rich.progress import track

    from winnow.model import ModelError, load_model
    from winnow.train import load_config
    from winnow.unseen import evaluate_unseen, write_unseen

    for path, hint in ((training_pages, "run `make train`"), (config, "pass --config")):
        if not path.is_file():
            raise fail(f"{path} not found: {hint}")
    try:
        loaded = load_model(model)
    except ModelError as error:
        raise fail(str(error)) from None
    data_config = load_config(config).get("data", {})
    try:
        result = evaluate_unseen(
            loaded, silver_dir, list(data_config.get("corpora", [])), training_pages,
            corpora if html and corpora.is_dir() else None,
            ambiguous_band=tuple(data_config.get("ambiguous_band", (0.3, 0.7))), n_boot=n_boot, seed=seed,
            progress=lambda items, name: track(items, description=f"{name} on HTML", console=err,
                                               transient=True))
    except ValueError as error:
        raise fail(str(error)) from None
    pages = sum(c["kept"] for c in result["metrics"]["pages"].values())
    speeds = ", ".join(f"{name} {t['pages_per_s']:.1f}" for name, t in result["timing"].items())
    err.print(f"tested model {loaded.version} on {pages} unseen pages (pages/s: {speeds}); wrote "
              + ", ".join(str(p) for p in write_unseen(result, out_dir)))


def compare_models_command(
    baseline: list[Path] = typer.Option(None, help="Baseline model (repeat: one per seed), e.g. train/model.skops."),
    candidate: list[Path] = typer.Option(None, help="Candidate model (repeat: one per seed), trained by "
                                         "`winnow train --config OTHER.toml --model DIR/model.skops`."),
    save_scores: Path = typer.Option(None, help="Write the baseline models' page scores to this file (JSON), "
                                     "for a later --baseline-scores; without --candidate, only that."),
    baseline_scores: Path = typer.Option(None, help="Instead of --baseline: page scores saved by --save-scores, "
                                         "e.g. from a checkout before a change to the features, whose models "
                                         "this checkout cannot read."),
    output: Path = typer.Option(None, help="Also write the table here (Markdown), and beside it the numbers "
                                "(.json) and a plot of the differences (.png)."),
    config: Path = typer.Option(Path("train/config.toml"), help="Training config: its corpora are compared."),
    silver_dir: Path = typer.Option(Path("data/interim/silver"), help="Imported corpora (`make silver`)."),
    n_boot: int = typer.Option(1000, min=1, help="Bootstrap resamples (of pages) for the interval."),
    seed: int = typer.Option(0, help="Bootstrap seed."),
) -> None:
    """Is a retrained model better than another on sites neither has seen? Shingle F1 per corpus, paired.

    Both sides clean, as `winnow clean` does, every corpus page that no model of either side trained on, from
    sites none of them trained on (each model's training pages are read from the training-pages.parquet that
    `winnow train` writes beside it). A config change often moves F1 by less than a new seed does: give each
    side several runs (--baseline and --candidate repeated, e.g. seeds 0, 1, 2); each side's F1 is the mean
    over its runs, and candidate minus baseline gets a paired page-bootstrap interval. ~15 s per model.

    After a change to winnow's features, old models no longer fit the new code: run `--baseline ...
    --save-scores base.json` in a checkout without the change, then `--baseline-scores base.json --candidate
    ...` in the one with it.
    """
    from rich.progress import track

    from winnow.compare import compare_models, comparison_markdown, plot_comparison
    from winnow.compare import save_scores as save_scores_of
    from winnow.jsonio import write_text_atomic
    from winnow.model import ModelError
    from winnow.report import write_metrics_json
    from winnow.train import load_config

    if not config.is_file():
        raise fail(f"{config} not found: pass --config")
    baseline, candidate = baseline or [], candidate or []
    if baseline and baseline_scores is not None:
        raise fail("give --baseline models or --baseline-scores, not both")
    if save_scores is not None and not baseline:
        raise fail("--save-scores saves the scores of the --baseline models: give them")
    if not candidate and save_scores is None:
        raise fail("give --candidate models (and --baseline models or --baseline-scores)")
    if not baseline and baseline_scores is None:
        raise fail("give --baseline models or --baseline-scores")
    corpora = list(load_config(config).get("data", {}).get("corpora", []))

    def progress(models: list[Path], name: str):
        return track(models, description=name, console=err, transient=True)

    try:
        if save_scores is not None:
            pages = save_scores_of(baseline, silver_dir, corpora, save_scores, progress=progress)
            err.print(f"wrote the scores of {len(baseline)} baseline model(s) on {pages} unseen pages to {save_scores}")
            if not candidate:
                return
            baseline, baseline_scores = [], save_scores  # the saved scores stand for the models: no second cleaning
        result = compare_models(baseline, candidate, silver_dir, corpora, n_boot=n_boot, seed=seed,
                                progress=progress, baseline_scores=baseline_scores)
    except (FileNotFoundError, ValueError, ModelError) as error:
        raise fail(str(error)) from None
    table = comparison_markdown(result)
    typer.echo(table, nl=False)
    if output is not None:
        write_text_atomic(output, table)
        write_metrics_json(result, output.with_suffix(".json"))
        plot_comparison(result, output.with_suffix(".png"))
        err.print(f"wrote {output} and its .json, .png")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command("eval-unseen")(eval_unseen_command)
    app.command("compare-models")(compare_models_command)
