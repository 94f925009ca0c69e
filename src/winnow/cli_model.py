"""CLI commands around the classifier: train, clean, predict."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)

MODEL_OPTION = typer.Option(Path("train/model.skops"), "--model", help="Model file built by `make train`.")
THRESHOLD_OPTION = typer.Option(
    None, "--threshold", min=0.0, max=1.0,
    help="Keep sentences with P(content) >= T. The one precision/recall knob: higher keeps less "
         "(more precise), lower keeps more (more recall). Default: the model card's threshold.",
)


def _error(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _load(model_path: Path, threshold: float | None):
    from winnow.model import ModelError, load_model

    try:
        model = load_model(model_path)
    except ModelError as error:
        raise _error(str(error)) from None
    if threshold is not None:
        model.threshold = threshold
    return model


def train_command(
    config: Path = typer.Option(Path("train/config.toml"), help="Hyperparameters, seed and data selection."),
    processed_dir: Path = typer.Option(Path("data/processed"), help="Output of `make data`."),
    annotations_dir: Path = typer.Option(Path("annotations"), help="Gold annotations."),
    model: Path = typer.Option(Path("train/model.skops"), help="Where to write the model (+ model-card.json)."),
    cv: bool = typer.Option(True, help="Cross-validate by site first (scores go into the model card)."),
) -> None:
    """Train the content/boilerplate classifier on the gold annotations plus the silver corpora (if built).

    Cross-validates with GroupKFold by site (no site in train and test at once), then fits on everything.
    Writes the model (skops) and model-card.json (config, data hashes, versions, CV scores per corpus, time).
    """
    from winnow.train import train

    if not (processed_dir / "sentences.jsonl").exists():
        raise _error(f"{processed_dir}/sentences.jsonl not found; run `make data` first")
    card = train(config, processed_dir, annotations_dir, model, cv=cv,
                 progress=lambda done, total: err.print(f"cross-validation fold {done}/{total} done"))
    table = Table(title=f"model {card['version']} — CV by site (threshold {card['threshold']})")
    for column in ("corpus", "pages", "sites", "sentences", "precision", "recall", "f1"):
        table.add_column(column, justify="right")
    for corpus, s in card["cv"]["scores"].items():
        table.add_row(corpus, *(str(s[k]) for k in ("pages", "sites", "sentences", "precision", "recall", "f1")))
    err.print(table)
    err.print(f"wrote {model} in {card['training_seconds']} s")


def _inputs(source: str | None, input_dir: Path | None) -> list[tuple[str, Path | None]]:
    if input_dir is not None:
        if not input_dir.is_dir():
            raise _error(f"--input-dir {input_dir} is not a directory")
        return [(p.stem, p) for p in sorted(input_dir.glob("*.txt"))]
    if source in (None, "-"):
        return [("stdin", None)]
    path = Path(source)
    if not path.is_file():
        raise _error(f"{path} not found")
    return [(path.stem, path)]


def _read(path: Path | None) -> str:
    from winnow.textio import decode_article, read_article

    return decode_article(sys.stdin.buffer.read(), "<stdin>").text if path is None else read_article(path).text


def _decoded_items(inputs, skipped: list[str]):
    from winnow.textio import InputError

    for name, path in inputs:
        try:
            yield name, _read(path)
        except InputError as error:
            err.print(f"[yellow]skipped:[/] {error}", highlight=False, soft_wrap=True)
            skipped.append(str(error))


def clean_command(
    source: str = typer.Argument(None, help="A page dump FILE, or - for stdin (output to stdout)."),
    input_dir: Path = typer.Option(None, help="Clean every *.txt in this directory ..."),
    output_dir: Path = typer.Option(None, help="... into this directory, same file names."),
    model: Path = MODEL_OPTION,
    threshold: float = THRESHOLD_OPTION,
) -> None:
    """Keep only the article body of page dumps: content sentences, in order, one block per line.

    Examples: `winnow clean page.txt`, `cat page.txt | winnow clean -`,
    `winnow clean --input-dir dumps/ --output-dir clean/`. Files that are binary or undecodable are skipped
    with a message; empty results are written as empty files.
    """
    from rich.progress import Progress

    from winnow.clean import join_kept, predict_texts
    from winnow.jsonio import write_text_atomic

    if (input_dir is None) != (output_dir is None):
        raise _error("--input-dir and --output-dir go together")
    winnow_model = _load(model, threshold)
    inputs = _inputs(source, input_dir)
    skipped: list[str] = []
    with Progress(console=err, transient=True, disable=output_dir is None) as progress:
        task = progress.add_task("cleaning", total=len(inputs))
        for name, text, records, p in predict_texts(_decoded_items(inputs, skipped), winnow_model):
            cleaned = join_kept(text, records, p >= winnow_model.threshold)
            if output_dir is None:
                sys.stdout.write(cleaned)
            else:
                write_text_atomic(output_dir / f"{name}.txt", cleaned)
            progress.advance(task)
    if output_dir is not None:
        err.print(f"cleaned {len(inputs) - len(skipped)} files into {output_dir}; skipped {len(skipped)}")


def predict_command(
    source: str = typer.Argument(None, help="A page dump FILE, or - for stdin."),
    input_dir: Path = typer.Option(None, help="Predict for every *.txt in this directory."),
    model: Path = MODEL_OPTION,
    threshold: float = THRESHOLD_OPTION,
    output_format: str = typer.Option("jsonl", "--format", help="Output format: jsonl (one record per sentence)."),
) -> None:
    """Print one JSON record per sentence: ids, offsets, text, label (content/boilerplate), p_content."""
    from winnow.clean import predict_texts

    if output_format != "jsonl":
        raise _error(f"unknown --format {output_format!r}; supported: jsonl")
    winnow_model = _load(model, threshold)
    skipped: list[str] = []
    for _, _, records, p in predict_texts(_decoded_items(_inputs(source, input_dir), skipped), winnow_model):
        for record, prob in zip(records, p, strict=True):
            label = "content" if prob >= winnow_model.threshold else "boilerplate"
            out = {**record, "label": label, "p_content": round(float(prob), 6)}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.command("clean")(clean_command)
    app.command("predict")(predict_command)
