"""CLI commands around the classifier: train, clean, predict."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.table import Table

from winnow.cli_console import err, fail, labelled

MODEL_OPTION = typer.Option(Path("train/model.skops"), "--model", envvar="WINNOW_MODEL",
                             help="Model file built by `make train` (relative paths: from the current directory).")


def threshold_callback(value: str | None) -> float | str | None:
    from winnow.decode import parse_threshold

    try:
        return None if value is None else parse_threshold(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


THRESHOLD_OPTION = typer.Option(
    None, "--threshold", metavar="auto|T", callback=threshold_callback,
    help="The one precision/recall knob. 'auto' (the default): each page keeps the sentences that maximise its "
         "expected precision + recall, so the cut adapts to how sure the model is of the page; a page with no "
         "sentence at P(content) >= 0.5 keeps nothing. A number T in [0, 1]: keep every sentence with "
         "P(content) >= T; higher keeps less (more precise), lower keeps more (more recall). What each does on "
         "unseen sites, corpus by corpus: eval/unseen.md ('The threshold').",
)


def _refuse_replacing_inputs(input_dir: Path, output_dir: Path, sites: list[str] | None = None) -> None:
    """Stop before anything is written where cleaned files would replace the page dumps they come from:
    ``OUT/<name>.txt`` is ``IN/<name>.txt`` when both are one directory (``sites``: ``OUT/<site>`` and
    ``IN/<site>``)."""
    from winnow.jsonio import same_place

    pairs = [(input_dir, output_dir)] if sites is None else [(input_dir / s, output_dir / s) for s in sites]
    for source, target in pairs:
        if same_place(source, target):
            raise fail(f"--output-dir {output_dir} would overwrite the page dumps in {source} with their cleaned "
                       "text (same file names): choose another output directory")


def _is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or below it, however spelled (relative, ``..``, symlinks)."""
    return path.resolve().is_relative_to(folder.resolve())


def _refuse_writing_inside(input_dir: Path, option: str, target: Path) -> None:
    """With ``--recursive``, what a run writes inside its input directory is read as input by the next run."""
    if _is_inside(target, input_dir):
        raise fail(f"{option} {target} is inside --input-dir {input_dir}: with --recursive the next run would read "
                   "the files written there as input; choose a directory outside it")


def _refuse_nesting(input_dir: Path, output_dir: Path) -> None:
    """With ``--recursive``, neither directory may hold the other: cleaned files inside IN are read as pages by
    the next run, and with IN inside OUT a page's output can replace another page (IN = OUT/a: IN/a/x.txt is
    written to OUT/a/x.txt, which is IN/x.txt)."""
    _refuse_writing_inside(input_dir, "--output-dir", output_dir)
    if _is_inside(input_dir, output_dir):
        raise fail(f"--input-dir {input_dir} is inside --output-dir {output_dir}: with --recursive cleaned files "
                   "could replace page dumps; choose an output directory outside it")


def _make_output_dir(output_dir: Path) -> None:
    """Create ``output_dir`` before cleaning, so that a path that cannot be a directory fails before any work."""
    if output_dir.exists() and not output_dir.is_dir():
        raise fail(f"--output-dir {output_dir} is a file, not a directory")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise fail(f"--output-dir {output_dir} cannot be created: {error.strerror or error}") from None


def _load(model_path: Path, threshold: float | str | None):
    from winnow.memory import tune_for_batches
    from winnow.model import ModelError, load_model

    tune_for_batches()  # clean and predict run batch after batch in this process

    try:
        model = load_model(model_path)
    except ModelError as error:  # a model file that is not there may just be named elsewhere than the default
        hint = "" if os.environ.get("WINNOW_MODEL") or model_path.exists() else " (or set WINNOW_MODEL=PATH)"
        raise fail(f"{error}{hint}") from None
    if threshold is not None:
        model.threshold = threshold
    return model


def train_command(
    config: Path = typer.Option(Path("train/config.toml"), help="Hyperparameters, seed and data selection."),
    processed_dir: Path = typer.Option(Path("data/processed"), help="Output of `make data`."),
    annotations_dir: Path = typer.Option(Path("annotations"), help="Gold annotations."),
    model: Path = typer.Option(Path("train/model.skops"), help="Where to write the model (+ model-card.json)."),
    cv: bool = typer.Option(True, help="Cross-validate by site first: scores go into the model card, out-of-fold "
                            "predictions into cv-predictions.parquet beside the model (--no-cv deletes an older "
                            "one there, and is ~3x faster)."),
    seed: int = typer.Option(None, help="Use this seed instead of the config's: repeated runs of one config, "
                             "for `winnow compare-models` (`make compare`)."),
) -> None:
    """Train the content/boilerplate classifier on the gold annotations plus the silver corpora (if built).

    Cross-validates with GroupKFold by site (no site in train and test at once), then fits on everything.
    Writes the model (skops), model-card.json (config, data hashes, versions, CV scores per corpus, time) and
    training-pages.parquet (the pages it trained on, which `eval-unseen` and `compare-models` leave out).
    """
    from winnow.train import train

    if not (processed_dir / "sentences.jsonl").exists():
        raise fail(f"{processed_dir}/sentences.jsonl not found; run `make data` first")
    with err.status("featurising, cross-validating by site, fitting ..." if cv else "featurising, fitting ..."):
        card = train(config, processed_dir, annotations_dir, model, cv=cv, seed=seed)
    _warn_unused_labels(card)
    if card.get("unused_page_features"):
        err.print(f"no tree splits on {len(card['unused_page_features'])} page feature(s): "
                  f"{', '.join(card['unused_page_features'])}; listing them in the config's [model] drop_features "
                  "would grow the same trees, faster", highlight=False, soft_wrap=True)
    if not cv:
        err.print(f"wrote {model} (model {card['version']}, no cross-validation) in {_cost(card)}")
        return
    table = Table(title=f"model {card['version']} — CV by site (threshold {card['threshold']})")
    for column in ("corpus", "pages", "sites", "sentences", "precision", "recall", "f1"):
        table.add_column(column, justify="right")
    for corpus, s in card["cv"]["scores"].items():
        table.add_row(corpus, *(str(s[k]) for k in ("pages", "sites", "sentences", "precision", "recall", "f1")))
    err.print(table)
    err.print(f"wrote {model} in {_cost(card)}")


def _warn_unused_labels(card: dict) -> None:
    for corpus in card.get("hand_labels_on_corpus_pages", {}).get("unused_corpora", []):
        err.print(f"warning: annotations label sentences of {corpus} pages that training did not use: {corpus} is "
                  "not in the config's [data] corpora, its silver table is missing (`make silver`), or the pages "
                  "were re-imported differently (`winnow validate`)", highlight=False, soft_wrap=True)


def _cost(card: dict) -> str:
    peak = card.get("peak_memory_mb")
    return f"{card['training_seconds']} s" + ("" if peak is None else f", peak memory {peak / 1024:.2f} GiB")


def learning_curve_command(
    config: Path = typer.Option(Path("train/config.toml"), help="Same configuration as `winnow train`."),
    processed_dir: Path = typer.Option(Path("data/processed"), help="Output of `make data`."),
    annotations_dir: Path = typer.Option(Path("annotations"), help="Gold annotations."),
    output: Path = typer.Option(Path("train/learning-curve.json"), help="Where to write the points."),
) -> None:
    """Measure held-out F1 against the number of training pages (for the evaluation's learning-curve plot)."""
    from winnow.jsonio import write_text_atomic
    from winnow.train import learning_curve

    with err.status("training on growing subsets of sites ..."):
        points = learning_curve(config, processed_dir, annotations_dir)
    write_text_atomic(output, json.dumps(points, indent=2) + "\n")
    for p in points:
        err.print(f"{p['n_train']:>6} pages  {p['n_sentences']:>8} sentences  F1 {p['f1']:.3f}")


def ablation_command(
    config: Path = typer.Option(Path("train/config.toml"), help="Base configuration (data, seed, folds)."),
    processed_dir: Path = typer.Option(Path("data/processed"), help="Output of `make data`."),
    annotations_dir: Path = typer.Option(Path("annotations"), help="Gold annotations."),
    max_pages: int = typer.Option(None, help="Cap pages per corpus (default: the config's cap)."),
    output: Path = typer.Option(Path("train/ablation.md"), help="Markdown table (a .json beside it too)."),
) -> None:
    """Compare model variants (page features, n-grams, second pass) by cross-validation by site."""
    from winnow.jsonio import write_text_atomic
    from winnow.train import ablation, ablation_markdown

    with err.status("cross-validating every variant ..."):
        rows = ablation(config, processed_dir, annotations_dir, max_pages)
    cap = f"at most {max_pages} pages per corpus" if max_pages else "the configured pages"
    note = f"Built by `make ablation` (`winnow ablation`) on the gold annotations plus silver corpora, {cap}."
    write_text_atomic(output, ablation_markdown(rows, note))
    write_text_atomic(output.with_suffix(".json"), json.dumps(rows, indent=2) + "\n")
    err.print(ablation_markdown(rows, note))


def _txt_files(folder: Path, recursive: bool = False) -> list[tuple[str, Path | None]]:
    """``(name, path)`` of every ``*.txt`` file of ``folder``, or below it at any depth where ``recursive``
    (name: the path below ``folder`` without ``.txt``, so ``a/b/x`` is written to ``OUT/a/b/x.txt``)."""
    found = folder.rglob("*.txt") if recursive else folder.glob("*.txt")
    return [(p.relative_to(folder).with_suffix("").as_posix(), p) for p in sorted(found) if p.is_file()]


def _inputs(source: str | None, input_dir: Path | None, recursive: bool = False) -> list[tuple[str, Path | None]]:
    """The ``(name, path)`` pages to read: every ``*.txt`` of ``input_dir`` (see :func:`_txt_files`; none is
    an error: most likely the wrong directory), else ``source`` (a file, or stdin for None and "-")."""
    if input_dir is not None:
        if not input_dir.is_dir():
            raise fail(f"--input-dir {input_dir} is not a directory")
        pages = _txt_files(input_dir, recursive)
        if not pages:
            raise fail(f"--input-dir {input_dir} has no *.txt files{' at any depth' if recursive else ''}: "
                       + _what_it_holds(sorted(p.name for p in input_dir.iterdir())))
        return pages
    if source in (None, "-"):
        return [("stdin", None)]
    path = Path(source)
    if path.is_dir():
        raise fail(f"{path} is a directory: pass --input-dir {path} to read its *.txt files")
    if not path.is_file():
        raise fail(f"{path} not found")
    return [(path.stem, path)]


def _what_it_holds(names: list[str]) -> str:
    if not names:
        return "it is empty"
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    entries = "entry" if len(names) == 1 else "entries"
    return f"it holds {len(names)} other {entries} ({shown}); only *.txt files are read"


RECURSIVE_HELP = ("Also read the *.txt files of INPUT_DIR's subdirectories, at any depth (a page's name is its path "
                  "below INPUT_DIR: IN/a/b/x.txt{}; with --by-site, IN/<site>/**/*.txt are the site's pages).")


def _report_skip(message: str) -> None:
    err.print(labelled("skipped:", "yellow", message), highlight=False, soft_wrap=True)


def _refuse_input(message: str) -> None:
    """A single page (FILE or stdin) that cannot be read is an error, not a skip: the caller asked for that
    page, and an empty output with exit status 0 would pass for a page with no content."""
    raise fail(message)


def clean_command(
    source: str = typer.Argument(None, help="A page dump FILE, or - for stdin (output to stdout)."),
    input_dir: Path = typer.Option(None, help="Clean every *.txt in this directory ..."),
    output_dir: Path = typer.Option(None, help="... into this directory, same file names (datatrove: JSONL)."),
    model: Path = MODEL_OPTION,
    threshold: str = THRESHOLD_OPTION,
    engine: str = typer.Option("local", help="local (one output file per page, in --workers processes) or "
                                             "datatrove (a pipeline writing JSONL)."),
    input_format: str = typer.Option("txt", help="txt (page dumps) or jsonl (records with a text field; "
                                                 "needs --engine datatrove)."),
    text_key: str = typer.Option("text", help="JSONL field holding the page text."),
    id_key: str = typer.Option("id", help="JSONL field holding the document id."),
    tasks: int = typer.Option(1, min=1, help="datatrove: tasks (input files are split among them)."),
    workers: int = typer.Option(1, min=1, help="Processes cleaning at once: the files are split among them, "
                                "and the output is the same for any number (datatrove: tasks run at once)."),
    logging_dir: Path = typer.Option(None, help="datatrove: logs, stats and completion marks "
                                                "(default: OUTPUT_DIR/logs); a rerun skips completed tasks."),
    min_content_chars: int = typer.Option(0, min=0, help="datatrove: drop documents keeping fewer characters."),
    min_kept_share: float = typer.Option(0.0, min=0.0, max=1.0,
                                         help="datatrove: drop documents keeping a smaller share of their text."),
    excluded_dir: Path = typer.Option(None, help="datatrove: write dropped documents (with the reason) here."),
    store_decisions: bool = typer.Option(False, help="datatrove: per-sentence decisions in metadata.winnow."),
    gzip: bool = typer.Option(False, "--gzip", help="datatrove: gzip the output JSONL."),
    by_site: bool = typer.Option(False, "--by-site", help="INPUT_DIR holds one subdirectory of *.txt per site "
                                 "(IN/<site>/*.txt -> OUT/<site>/*.txt): every page is compared with its site's "
                                 "first 30 pages, so lines of the site's template are recognised. datatrove: "
                                 "the site of a JSONL record is its site field, else its url's host; each task "
                                 "holds its documents in memory and should get whole sites."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help=RECURSIVE_HELP.format(
        " -> OUT/a/b/x.txt, or the document id a/b/x on datatrove, which then reads **/*.jsonl* too")),
    resume: bool = typer.Option(False, "--resume", help="Go on with an interrupted run (stopped, killed, disk "
                                "full): pages whose output file exists are left as they are, the others are "
                                "cleaned. Same model, threshold and options as the first run; the files are "
                                "then those of one whole run. Not after a power loss: files are not synced one "
                                "by one, and one may be left empty (start afresh then). datatrove resumes on "
                                "its own (completion marks in --logging-dir)."),
) -> None:
    """Keep only the article body of page dumps: content sentences, in order, one block per line.

    Examples: `winnow clean page.txt`, `cat page.txt | winnow clean -`,
    `winnow clean --input-dir dumps/ --output-dir clean/ [--workers 4]` (the same files from any number of
    processes; with --recursive, the subdirectories' too, into the same tree). In a directory, files that are
    binary, undecodable or empty are skipped with a message (a directory without *.txt files is an error); a
    single FILE or stdin that is one of those is an error (exit status 1). Empty results are written as empty
    files, and counted. Each file is written atomically (a temporary file renamed into place) but not synced to
    disk one by one: after a power loss, rerun. The output directory must not be the input directory (the dumps
    would be overwritten), nor, on datatrove, the excluded one; with --recursive, neither may hold the other
    (datatrove: no output inside the input). With --by-site (a crawl stored as dumps/<site>/*.txt), pages are
    also compared with other pages of their site.

    At scale: `winnow clean --engine datatrove --input-format jsonl --input-dir crawl/ --output-dir clean/
    --tasks 8 --workers 2` runs winnow as a datatrove step (output: OUTPUT_DIR/<rank>.jsonl records with id,
    text and metadata; same cleaned text as the local engine).
    """
    from rich.progress import Progress

    from winnow.clean import join_kept
    from winnow.clean_files import clean_files, predictions, whole_sites, written_before

    if engine not in ("local", "datatrove"):
        raise fail(f"unknown --engine {engine!r}; expected local or datatrove")
    if input_format not in ("txt", "jsonl"):
        raise fail(f"unknown --input-format {input_format!r}; expected txt or jsonl")
    if recursive and input_dir is None:
        raise fail("--recursive needs --input-dir (and --output-dir)")
    if resume and engine == "datatrove":
        raise fail("--resume is for the local engine: a datatrove rerun skips the tasks completed before on its "
                   "own (their marks are in --logging-dir)")
    if resume and output_dir is None:
        raise fail("--resume needs --input-dir and --output-dir")
    if engine == "datatrove":
        _clean_datatrove(source, input_dir, output_dir, model, threshold, input_format, text_key, id_key, tasks,
                         workers, logging_dir, min_content_chars, min_kept_share, excluded_dir, store_decisions, gzip,
                         by_site, recursive)
        return
    if input_format == "jsonl":
        raise fail("--input-format jsonl runs on datatrove: add --engine datatrove (--tasks 1 --workers 1 is "
                   "a single process)")
    datatrove_only = {"--tasks": tasks != 1, "--logging-dir": logging_dir is not None,
                      "--min-content-chars": min_content_chars > 0, "--min-kept-share": min_kept_share > 0,
                      "--excluded-dir": excluded_dir is not None, "--store-decisions": store_decisions, "--gzip": gzip}
    if given := [name for name, is_set in datatrove_only.items() if is_set]:
        raise fail(f"{', '.join(given)}: datatrove options; add --engine datatrove (the local engine writes one "
                   "file per page and splits the files among --workers)")
    if (input_dir is None) != (output_dir is None):
        raise fail("--input-dir and --output-dir go together")
    if by_site and input_dir is None:
        raise fail("--by-site needs --input-dir (one subdirectory per site) and --output-dir")
    groups = _site_groups(input_dir, recursive) if by_site else [(None, _inputs(source, input_dir, recursive))]
    if output_dir is not None:
        _refuse_replacing_inputs(input_dir, output_dir, [site for site, _ in groups] if by_site else None)
        if recursive:
            _refuse_nesting(input_dir, output_dir)
    winnow_model = _load(model, threshold)
    if output_dir is None:
        # one page (FILE or stdin: --input-dir needs --output-dir)
        for _, _, text, records, p in predictions(whole_sites(groups), winnow_model, _refuse_input, ids=False):
            sys.stdout.write(join_kept(text, records, winnow_model.keep(p, records)))
        return
    _make_output_dir(output_dir)  # after the model loads: a bad --model leaves no empty directory behind
    done = written_before(groups, output_dir) if resume else set()
    total = sum(len(inputs) for _, inputs in groups) - len(done)
    written, skipped, empty = 0, 0, 0
    # redrawn after each chunk, by this thread: no refresh thread runs while --workers forks its processes
    with Progress(console=err, transient=True, auto_refresh=False) as progress:
        task = progress.add_task("cleaning", total=total)
        for result in clean_files(groups, winnow_model, model, output_dir, workers, done):
            for message in result.skipped:
                _report_skip(message)
            written, skipped, empty = written + result.written, skipped + len(result.skipped), empty + result.empty
            if result.error is not None:
                raise fail(f"{result.error}. The files written before it ({written}) are complete; once it can be "
                           "written, rerun with --resume to clean the rest")
            progress.update(task, advance=result.pages, refresh=True)
    sites = f" of {len(groups)} sites" if by_site else ""
    # a page that keeps nothing is written as an empty file: worth knowing when many do (wrong kind of page?)
    files = "file" if written == 1 else "files"
    resumed = f"; {len(done)} cleaned before, left as they were (--resume)" if resume else ""
    err.print(f"cleaned {written} {files}{sites} into {output_dir} ({empty} kept no sentence: empty files); "
              f"skipped {skipped}{resumed}", soft_wrap=True)


def _site_groups(input_dir: Path, recursive: bool = False) -> list[tuple[str, list[tuple[str, Path | None]]]]:
    """``(site, inputs)`` for every subdirectory of ``input_dir`` holding *.txt files (at any depth where
    ``recursive``), sorted by name."""
    if not input_dir.is_dir():
        raise fail(f"--input-dir {input_dir} is not a directory")
    groups = [(sub.name, _txt_files(sub, recursive)) for sub in sorted(p for p in input_dir.iterdir() if p.is_dir())]
    groups = [(site, inputs) for site, inputs in groups if inputs]
    if not groups:
        layout = "IN/<site>/**/*.txt" if recursive else "IN/<site>/*.txt"
        raise fail(f"--by-site: {input_dir} has no subdirectory with *.txt files (expected {layout})")
    return groups


def _check_readable(path: Path) -> None:
    """Fail with the reason where ``path`` is not a readable page dump (binary, empty, undecodable)."""
    from winnow.textio import InputError, read_article

    try:
        read_article(path)
    except InputError as error:
        raise fail(str(error)) from None


def _clean_datatrove(source, input_dir, output_dir, model, threshold, input_format, text_key, id_key, tasks, workers,
                     logging_dir, min_content_chars, min_kept_share, excluded_dir, store_decisions, gzip,
                     by_site=False, recursive=False) -> None:
    """`winnow clean --engine datatrove`: build the reader -> cleaner -> writer pipeline and run it locally."""
    try:
        from winnow.datatrove import SharedDirectoryError, build_pipeline, cleaner_totals, run_local
    except ImportError as error:
        raise fail(f"--engine datatrove needs the extra: pip install 'winnow[datatrove]' ({error})") from None
    if output_dir is None:
        raise fail("--engine datatrove writes JSONL files: give --output-dir")
    if (source is None) == (input_dir is None) or source == "-":
        raise fail("--engine datatrove reads files: give an input FILE or --input-dir (not stdin)")
    input_path = input_dir if input_dir is not None else Path(source)
    if not input_path.exists():
        raise fail(f"{input_path} not found")
    if input_dir is None and input_format == "txt":
        _check_readable(input_path)  # one page asked for: unreadable is an error, as on the local engine
    if recursive:  # (its <rank>.jsonl files sit at the top of the output folder: no input can be replaced)
        for option, target in (("--output-dir", output_dir), ("--excluded-dir", excluded_dir)):
            if target is not None:
                _refuse_writing_inside(input_dir, option, target)
    _load(model, threshold)  # fail fast on a missing or bad model, before starting workers
    logging_dir = logging_dir if logging_dir is not None else output_dir / "logs"
    try:
        pipeline = build_pipeline(
            input_path, output_dir, input_format=input_format, text_key=text_key, id_key=id_key, model_path=model,
            threshold=threshold, min_content_chars=min_content_chars, min_kept_share=min_kept_share,
            store_decisions=store_decisions, excluded_dir=excluded_dir, compression="gzip" if gzip else None,
            by_site=by_site, recursive=recursive,
        )
    except SharedDirectoryError as error:
        raise fail(str(error)) from None
    stats = run_local(pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir)
    if stats is None:
        err.print(f"nothing to do: every task is marked complete in {logging_dir} (remove it or pass a new "
                  "--logging-dir to run again)")
        return
    totals = cleaner_totals(stats)
    err.print(f"cleaned {int(totals.get('forwarded', 0))} documents into {output_dir}; dropped "
              f"{int(totals.get('dropped', 0))}; kept {int(totals.get('sentences_kept', 0))} sentences, removed "
              f"{int(totals.get('sentences_removed', 0))}")


def predict_command(
    source: str = typer.Argument(None, help="A page dump FILE, or - for stdin."),
    input_dir: Path = typer.Option(None, help="Predict for every *.txt in this directory."),
    model: Path = MODEL_OPTION,
    threshold: str = THRESHOLD_OPTION,
    output_format: str = typer.Option("jsonl", "--format", help="Output format: jsonl (one record per sentence)."),
    by_site: bool = typer.Option(False, "--by-site", help="INPUT_DIR holds one subdirectory of *.txt per site; "
                                 "pages are compared with their site's first 30 pages (records get a site field)."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help=RECURSIVE_HELP.format(" has article_id a/b/x")),
) -> None:
    """Print one JSON record per sentence: ids, offsets, text, label (content/boilerplate), p_content.

    With --input-dir, files that are binary, undecodable or empty are skipped with a message; a single FILE or
    stdin that is one of those is an error (exit status 1)."""
    if output_format != "jsonl":
        raise fail(f"unknown --format {output_format!r}; supported: jsonl")
    if by_site and input_dir is None:
        raise fail("--by-site needs --input-dir (one subdirectory per site)")
    if recursive and input_dir is None:
        raise fail("--recursive needs --input-dir")
    from winnow.clean_files import predictions, whole_sites
    from winnow.textio import portable_name

    winnow_model = _load(model, threshold)
    groups = _site_groups(input_dir, recursive) if by_site else [(None, _inputs(source, input_dir, recursive))]
    on_skip = _report_skip if input_dir is not None else _refuse_input
    for site, _, _, records, p in predictions(whole_sites(groups), winnow_model, on_skip):
        # records' ids are portable names already (every line must be UTF-8): the site is made one too
        site_field = {"site": portable_name(site)} if by_site else {}
        for record, prob, kept in zip(records, p, winnow_model.keep(p, records), strict=True):
            label = "content" if kept else "boilerplate"
            out = {**record, **site_field, "label": label, "p_content": round(float(prob), 6)}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.command("learning-curve")(learning_curve_command)
    app.command("ablation")(ablation_command)
    app.command("clean")(clean_command)
    app.command("predict")(predict_command)
