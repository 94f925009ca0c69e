"""``winnow import-corpus`` and ``winnow silver-report``: silver-labelled sentences from benchmark corpora."""

from __future__ import annotations

from pathlib import Path

import typer

from winnow.cli_console import err, fail

IMPORT_HELP = (
    "Silver-label real web pages: render each page's HTML to a text dump (like our users' dumps), segment it "
    "like data/raw, and label every sentence content/boilerplate by aligning its words, in sequence, with the "
    "page's gold main text.\n\n"
    "For each corpus writes OUT_DIR/<corpus>.parquet (one row per sentence: corpus, page_id, site, split, "
    "page_type, article_id, sentence_id, block, index, char_start, char_end, text, label, align_score, "
    "n_tokens), OUT_DIR/<corpus>-pages.parquet (one row per page, with the rendered dump and the gold text) "
    "and OUT_DIR/<corpus>-stats.json.\n\n"
    "Then rewrites the per-corpus quality report (gold coverage, content precision, ambiguous share) in "
    "REPORT_DIR/silver-report.json and .md, and 20 sample sentences per corpus in "
    "REPORT_DIR/silver-samples.md (corpus text: keep it out of git).\n\n"
    "Pages whose render is empty are skipped; pages with empty gold are kept, all boilerplate; both are "
    "counted in the report. Example: winnow import-corpus ../shared/corpora"
)


def import_corpus_command(
    paths: list[Path] = typer.Argument(..., help="Corpus folders (holding pages.jsonl.gz) or the corpora root."),
    out_dir: Path = typer.Option(Path("data/interim/silver"), help="Where the parquet and stats files go."),
    report_dir: Path = typer.Option(Path("eval"), help="Where silver-report.json/.md and silver-samples.md go."),
    report: bool = typer.Option(True, help="Rewrite the quality report from every corpus in OUT_DIR."),
    workers: int = typer.Option(2, min=1, help="Worker processes (output is the same for any number)."),
    limit: int | None = typer.Option(None, min=1, help="Import only the first N pages of each corpus (tests)."),
) -> None:
    """Silver-label benchmark corpora (help text: IMPORT_HELP)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from winnow.corpus import CorpusError, corpus_dirs, import_corpus, write_corpus
    from winnow.silver_report import ReportError, write_report

    try:
        folders = [folder for path in paths for folder in corpus_dirs(path)]
        names = [folder.name for folder in folders]
        if len(set(names)) != len(names):
            raise CorpusError(f"the same corpus name is given twice: {', '.join(sorted(names))}")
        columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err) as progress:
            for folder in folders:
                result = import_corpus(folder, workers=workers, progress=progress, limit=limit)
                write_corpus(result, out_dir)
                progress.console.print(
                    f"{result.corpus}: {len(result.pages)} pages, {len(result.records)} sentences "
                    f"({len(result.empty_gold)} pages with empty gold, {len(result.skipped)} skipped)",
                    highlight=False, soft_wrap=True)
        if report:
            summary = write_report(out_dir, report_dir)
            _print_summary(summary)
    except (CorpusError, ReportError) as error:
        raise fail(str(error)) from error


def silver_report_command(
    corpora: list[str] | None = typer.Argument(None, help="Corpus names to report on (default: all)."),
    silver_dir: Path = typer.Option(Path("data/interim/silver"), help="Output folder of import-corpus."),
    report_dir: Path = typer.Option(Path("eval"), help="Where silver-report.json/.md and samples go."),
) -> None:
    """Rewrite the silver-label quality report from the import statistics in SILVER_DIR."""
    from winnow.silver_report import ReportError, write_report

    try:
        _print_summary(write_report(silver_dir, report_dir, corpora or None))
    except ReportError as error:
        raise fail(str(error)) from error


def _print_summary(report: dict) -> None:
    for s in report["corpora"]:
        err.print(
            f"{s['corpus']:<16} coverage median {s['gold_coverage']['median']} p5 {s['gold_coverage']['p5']}"
            f" | precision {s['content_precision_pooled']} | ambiguous {s['ambiguous_share']}"
            f" | {'targets met' if s['meets_targets'] else 'targets NOT met'}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("import-corpus", help=IMPORT_HELP)(import_corpus_command)
    app.command("silver-report")(silver_report_command)
