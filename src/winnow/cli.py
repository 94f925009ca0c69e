"""The ``winnow`` command line: wires pipeline stages together, holds no logic of its own."""

from __future__ import annotations

import importlib
import inspect
import logging
from pathlib import Path

import typer
from rich.logging import RichHandler

from winnow.cli_console import err, fail

app = typer.Typer(
    help="winnow: separate news reporting from page cruft in plain-text web page dumps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command groups that live in their own modules; each defines ``register(app)``.
COMMAND_MODULES = ("cli_model", "cli_corpus", "cli_evaluate", "cli_labelstudio", "cli_dataset")


@app.callback()
def _setup(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False)],
    )


@app.command()
def segment(
    raw_dir: Path = typer.Option(Path("data/raw"), help="Directory of raw article files (+ articles.jsonl)."),
    out_dir: Path = typer.Option(Path("data/processed"), help="Where articles.jsonl and sentences.jsonl go."),
    allow_errors: bool = typer.Option(False, help="Exit 0 even if some files were refused."),
) -> None:
    """Verify checksums, decode every raw file and split it into sentence records.

    Writes OUT_DIR/articles.jsonl (one decoded article per line, with encoding and format) and
    OUT_DIR/sentences.jsonl (one sentence per line: article_id, sentence_id, block, index, char_start,
    char_end, text). Empty files are skipped with a warning; binary or undecodable files are refused by name.
    """
    from winnow.jsonio import write_jsonl_atomic
    from winnow.prepare import checksum_problems, prepare_directory

    problems = checksum_problems(raw_dir)
    if problems:
        raise fail("checksum verification failed:\n  " + "\n  ".join(problems))
    result = prepare_directory(raw_dir)
    write_jsonl_atomic(out_dir / "articles.jsonl", result.articles)
    write_jsonl_atomic(out_dir / "sentences.jsonl", result.sentences)
    err.print(
        f"segmented {len(result.articles)} articles into {len(result.sentences)} sentences; "
        f"skipped {len(result.skipped_empty)} empty, refused {len(result.refused)}"
    )
    if result.refused and not allow_errors:
        raise fail("some files were refused:\n  " + "\n  ".join(result.refused))


@app.command()
def validate(
    annotations_dir: Path = typer.Option(Path("annotations"), help="Root of the annotation JSONL files."),
    sentences: Path = typer.Option(Path("data/processed/sentences.jsonl"), help="Segmented sentences."),
    silver_dir: Path = typer.Option(
        Path("data/interim/silver"), help="Silver tables (`make silver`): where sentences of corpus pages are "
        "looked up. Records about a corpus whose table is absent are checked for everything but their id."),
) -> None:
    """Check every annotation: known sentence, labels from the guidelines, kind/stance where required.

    A record may name a sentence of data/processed or of a benchmark-corpus page (`<corpus>/<page>:<sha1-12>`,
    see annotations/README.md); the latter are looked up in the silver tables."""
    from winnow.annotations import annotation_files, validate_annotations
    from winnow.corpus_refs import CorpusRefError, KnownSentences
    from winnow.jsonio import read_jsonl

    if not sentences.exists():
        raise fail(f"{sentences} not found; run `make data` (or `winnow segment`) first")
    known = KnownSentences((record["sentence_id"] for record in read_jsonl(sentences)), silver_dir)
    try:
        problems = validate_annotations(annotations_dir, known)
    except CorpusRefError as error:
        raise fail(str(error)) from None
    for problem in problems:
        err.print(str(problem), highlight=False, soft_wrap=True)
    if problems:
        raise fail(f"{len(problems)} annotation problem(s)")
    for corpus, count in sorted(known.unchecked.items()):
        err.print(f"note: {count} record(s) name sentences of {corpus} pages; {silver_dir / corpus}.parquet is "
                  "absent, so their ids were not checked (`make silver` builds it)", highlight=False,
                  soft_wrap=True)
    err.print(f"annotations OK ({len(annotation_files(annotations_dir))} files)")


def _register_command_modules() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"winnow.{name}").register(app)


def reflowed(docstring: str) -> str:
    """A command's docstring with each paragraph on one line, for ``--help`` to wrap to the terminal's width
    (Typer keeps the source's line breaks after the first paragraph, so 110-column lines broke in two)."""
    paragraphs = inspect.cleandoc(docstring).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in paragraphs)


def _reflow_help(typer_app: typer.Typer) -> None:
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = reflowed(info.callback.__doc__)
    for group in typer_app.registered_groups:
        _reflow_help(group.typer_instance)


_register_command_modules()
_reflow_help(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
