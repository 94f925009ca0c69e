"""Clean page-dump files into cleaned files, in one process or several (``winnow clean --input-dir --workers``).

The input is a list of sites, each with its files (site None: loose pages, each alone). It is cut into chunks
of about :data:`CHUNK_PAGES` pages in input order; a chunk holds whole sites where it can, and a site larger
than a chunk is cut too, each piece building the site's reference from the same first pages. Each chunk is
read, cleaned and written by one process. A page's output depends only on its text and its site's reference,
never on the chunk or the batch it was classified in, so any number of workers writes the same files.
"""

from __future__ import annotations

import itertools
import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from winnow.clean import PAGE_BATCH, join_kept, predict_sites, site_reference
from winnow.decode import Threshold
from winnow.jsonio import write_text_atomic
from winnow.site_features import REFERENCE_PAGES
from winnow.textio import InputError, decode_article, portable_name, read_article

CHUNK_PAGES = 256  # the most pages per chunk (4 classification batches)
CHUNKS_PER_WORKER = 4  # fewer pages per chunk where that gives a worker fewer chunks (the last ones finish alone)

Input = tuple[str, Path | None]  # (name, path); path None: standard input


@dataclass(frozen=True)
class SitePart:
    """Some of a site's inputs; ``site_inputs`` are all of them (its reference is built from the first)."""

    site: str | None
    site_inputs: list[Input]
    inputs: list[Input]


@dataclass
class ChunkResult:
    pages: int  # inputs handled (written or skipped)
    written: int = 0
    empty: int = 0  # of those written, how many kept no sentence (an empty file)
    skipped: list[str] = field(default_factory=list)  # one message per unreadable input
    error: str | None = None  # a file that could not be written: the chunk stopped there


def read_input(path: Path | None) -> str:
    """The decoded text of a page dump (None: standard input); raises InputError if it is not text."""
    return decode_article(sys.stdin.buffer.read(), "<stdin>").text if path is None else read_article(path).text


def decoded_items(inputs: Iterable[Input], on_skip: Callable[[str], None] | None) -> Iterator[tuple[str, str]]:
    """``(name, text)`` of every readable input; each unreadable one is passed to ``on_skip`` (a message naming
    it), or passed over silently where that is None (a second reading of the same files)."""
    for name, path in inputs:
        try:
            yield name, read_input(path)
        except InputError as error:
            if on_skip is not None:
                on_skip(str(error))


def predictions(parts: Iterable[SitePart], model: Any, on_skip: Callable[[str], None] | None, ids: bool = True):
    """``(site, name, text, records, p_content)`` for every readable input of every part, in order. Pages of
    a site with other pages are compared with the site's reference: its first :data:`REFERENCE_PAGES`
    readable pages by name, built before the part's pages are cleaned.

    Sites and names reach the classifier (and the records' ids) as :func:`portable_name`, as on datatrove: a
    file name that is not UTF-8 cannot go into its tables. The site and name yielded are the inputs' own."""
    originals: deque[tuple[str | None, str]] = deque()  # of the pages read and not yet yielded, in order

    def pages(site: str | None, inputs: list[Input]) -> Iterator[tuple[str, str]]:
        for name, text in decoded_items(inputs, on_skip):
            originals.append((site, name))
            yield portable_name(name), text

    def sites():
        for part in parts:
            label = None if part.site is None else portable_name(part.site)
            reference = None
            if label is not None and len(part.site_inputs) > 1:  # (one file: no reference to compare with)
                readable = decoded_items(sorted((portable_name(name), path) for name, path in part.site_inputs), None)
                reference = site_reference(itertools.islice(readable, REFERENCE_PAGES), label)
            yield label, pages(part.site, part.inputs), reference

    for _, _, text, records, p in predict_sites(sites(), model, ids=ids):
        site, name = originals.popleft()  # one result per page read, in the order read
        yield site, name, text, records, p


def whole_sites(groups: Iterable[tuple[str | None, list[Input]]]) -> list[SitePart]:
    """Every ``(site, inputs)`` group as one part."""
    return [SitePart(site, inputs, inputs) for site, inputs in groups]


def output_path(output_dir: Path, site: str | None, name: str) -> Path:
    """Where the cleaned page ``name`` (of ``site``; None: a loose page) is written."""
    return (output_dir if site is None else output_dir / site) / f"{name}.txt"


def written_before(groups: Iterable[tuple[str | None, list[Input]]], output_dir: Path) -> set[tuple[str | None, str]]:
    """``(site, name)`` of every input whose output file exists already (``winnow clean --resume``)."""
    return {(site, name) for site, inputs in groups for name, _ in inputs
            if output_path(output_dir, site, name).is_file()}


def chunks(groups: Iterable[tuple[str | None, list[Input]]], size: int = CHUNK_PAGES,
           done: set[tuple[str | None, str]] | None = None) -> list[list[SitePart]]:
    """The inputs cut into chunks of ``size`` pages in order (the last may be smaller), as site parts; the
    ``(site, name)`` in ``done`` are left out, but still count among their site's inputs (its reference)."""
    out: list[list[SitePart]] = []
    current: list[SitePart] = []
    room = size
    for site, inputs in groups:
        todo = [item for item in inputs if (site, item[0]) not in done] if done else inputs
        at = 0
        while at < len(todo):
            take = todo[at:at + room]
            current.append(SitePart(site, inputs, take))
            at += len(take)
            room -= len(take)
            if room == 0:
                out.append(current)
                current, room = [], size
    if current:
        out.append(current)
    return out


def chunk_pages(total: int, workers: int) -> int:
    """Pages per chunk: :data:`CHUNK_PAGES`, fewer where the workers would get under
    :data:`CHUNKS_PER_WORKER` chunks each, but never under a classification batch (:data:`PAGE_BATCH`)."""
    if workers <= 1:
        return CHUNK_PAGES
    return max(PAGE_BATCH, min(CHUNK_PAGES, -(-total // (workers * CHUNKS_PER_WORKER))))


def clean_chunk(chunk: list[SitePart], model: Any, output_dir: Path, stop: Any = None) -> ChunkResult:
    """Clean and write every readable input of the chunk to ``output_dir`` (``<site>/`` for a site's pages).
    ``stop``: an event that, once set, ends the chunk before its next file (another worker failed)."""
    result = ChunkResult(pages=sum(len(part.inputs) for part in chunk))
    for site, name, text, records, p in predictions(chunk, model, result.skipped.append, ids=False):
        if stop is not None and stop.is_set():
            break
        target = output_path(output_dir, site, name)
        kept = join_kept(text, records, model.keep(p, records))
        try:  # rebuilt by a rerun: not synced file by file (one fsync per file cost as much as cleaning)
            write_text_atomic(target, kept, durable=False)
        except OSError as error:
            result.error = f"cannot write {target}: {error.strerror or error}"
            break
        result.written += 1
        result.empty += not kept
    return result


_WORKER: dict[str, Any] = {}  # the model, output directory and stop event of this worker process


def _start_worker(model_path: Path, threshold: Threshold, output_dir: Path, stop: Any) -> None:
    if "model" not in _WORKER:  # forked from the parent, which had loaded it; else (spawn) load it here
        from winnow.memory import tune_for_batches
        from winnow.model import load_model

        tune_for_batches()
        _WORKER["model"] = load_model(model_path, threshold)
    _WORKER.update(output_dir=output_dir, stop=stop)


def _clean_in_worker(chunk: list[SitePart]) -> ChunkResult:
    return clean_chunk(chunk, _WORKER["model"], _WORKER["output_dir"], _WORKER["stop"])


def clean_files(groups: list[tuple[str | None, list[Input]]], model: Any, model_path: Path, output_dir: Path,
                workers: int = 1, done: set[tuple[str | None, str]] | None = None) -> Iterator[ChunkResult]:
    """Clean every input of ``groups`` into ``output_dir``, but those in ``done`` (:func:`written_before`); yield
    each chunk's result in input order, as it is done. ``workers`` > 1 cleans chunks in that many processes
    (forked where the platform allows, so the model loaded in this process is shared; ``model_path`` loads it
    in each worker elsewhere). After a chunk that could not write a file, the others stop before their next
    file and nothing more is yielded."""
    todo = sum(len(inputs) for _, inputs in groups) - len(done or ())
    work = chunks(groups, chunk_pages(todo, workers), done)
    if workers <= 1 or len(work) <= 1:
        for chunk in work:
            result = clean_chunk(chunk, model, output_dir)
            yield result
            if result.error is not None:
                return
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    stop = context.Event()
    _WORKER["model"] = model  # inherited by forked workers
    failed = None
    try:
        with context.Pool(min(workers, len(work)), _start_worker,
                          (model_path, model.threshold, output_dir, stop)) as pool:
            for result in pool.imap(_clean_in_worker, work):
                if result.error is not None:
                    stop.set()  # the others finish the file they are writing, then stop
                    failed = result
                    break
                yield result
            pool.close()
            pool.join()  # before a failed chunk is handed on: the caller may stop reading at it
    finally:
        _WORKER.clear()
    if failed is not None:
        yield failed
