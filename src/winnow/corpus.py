"""Import benchmark corpora (``../shared/corpora/<corpus>/pages.jsonl.gz``) as silver-labelled sentences.

For each page: render the HTML like our users' dumps, segment it like ``data/raw``, label every sentence
against the gold text (:mod:`winnow.silver`). Pages are processed in worker processes; results come back in
input order, so the output is deterministic whatever the number of workers.

Outputs per corpus (in ``out_dir``, git-ignored): ``<corpus>.parquet`` (one row per sentence),
``<corpus>-pages.parquet`` (one row per page, with the rendered dump, the gold text and ``gold_headline``:
the leading gold paragraphs dropped as the page's headline, which the project labels boilerplate) and
``<corpus>-stats.json`` (page statistics + random sample sentences, read by :mod:`winnow.silver_report`).
"""

from __future__ import annotations

import gzip
import json
import logging
import multiprocessing
import os
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from winnow.corpus_refs import pages_table_path, sentence_table_path
from winnow.jsonio import JsonlError, atomic_open, iter_jsonl, write_text_atomic
from winnow.silver import DEFAULT_CONFIG, AlignConfig, label_sentences

log = logging.getLogger(__name__)
PAGES_FILE = "pages.jsonl.gz"
SAMPLES_PER_CORPUS = 20
PAGE_FIELDS = ("id", "site", "split", "page_type", "url", "html", "gold_text", "gold_title")
CHUNKSIZE = 4


class CorpusError(ValueError):
    """A corpus folder or file that cannot be imported; the message says which and why."""


def corpus_dirs(path: str | Path) -> list[Path]:
    """The corpus folders at ``path``: the folder itself if it holds pages.jsonl.gz, else its subfolders."""
    path = Path(path)
    if not path.is_dir():
        raise CorpusError(f"{path}: not a directory (expected a corpus folder or the corpora root)")
    if (path / PAGES_FILE).exists():
        return [path]
    found = sorted(child for child in path.iterdir() if (child / PAGES_FILE).exists())
    if not found:
        raise CorpusError(f"{path}: no {PAGES_FILE} here or in its subfolders")
    return found


def iter_pages(path: Path) -> Iterator[dict[str, Any]]:
    """Pages of one corpus file, keeping only the fields the import needs."""
    try:
        for line_no, page in iter_jsonl(path):
            if "id" not in page or "html" not in page:
                raise CorpusError(f"{path}:{line_no}: expected a page object with 'id' and 'html'")
            yield {name: page.get(name) for name in PAGE_FIELDS}
    except JsonlError as err:
        raise CorpusError(str(err)) from err
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise CorpusError(f"{path}: cannot read ({err})") from err


def import_page(corpus: str, page: dict[str, Any], config: AlignConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """Render, segment and label one page -> {"status", "records", "page", "stats"} (plain data)."""
    from winnow.segment import segment_text
    from winnow.silver import gold_paragraphs, html_titles
    from winnow.textio import render_html

    page_id = str(page["id"])
    article_id = f"{corpus}/{page_id}"
    try:
        rendered = render_html(page.get("html") or "")
    except Exception as err:  # lxml raises a zoo of errors on broken pages; one page must not stop the rest
        return {"status": "render_failed", "page_id": page_id, "error": f"{type(err).__name__}: {err}"}
    if not rendered.strip():
        return {"status": "empty_render", "page_id": page_id}
    gold_text = page.get("gold_text") or ""
    titles = [*html_titles(page.get("html") or ""), *([page["gold_title"]] if page.get("gold_title") else [])]
    records, stats = label_sentences(segment_text(article_id, rendered), rendered, gold_text, config, titles)
    meta = {"corpus": corpus, "page_id": page_id, "site": page.get("site"), "split": page.get("split"),
            "page_type": page.get("page_type")}
    rows = [{**meta, **record} for record in records]
    headline = "\n\n".join(gold_paragraphs(gold_text)[:stats["gold_headlines_dropped"]]) or None
    page_row = {**meta, "url": page.get("url"), "text": rendered, "gold_text": gold_text,
                "gold_headline": headline, "n_sentences": len(rows)}
    status = "ok" if gold_text.strip() else "empty_gold"
    return {"status": status, "page_id": page_id, "records": rows, "page": page_row,
            "stats": {"page_id": page_id, "site": page.get("site"), **stats}}


def _worker(args: tuple[str, dict[str, Any], AlignConfig]) -> dict[str, Any]:
    return import_page(*args)


@dataclass
class CorpusResult:
    """Everything one corpus import produced, in page order."""

    corpus: str
    records: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    page_stats: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    empty_gold: list[str] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        if result["status"] in ("render_failed", "empty_render"):
            self.skipped.append({key: value for key, value in result.items() if key != "records"})
            return
        if result["status"] == "empty_gold":
            self.empty_gold.append(result["page_id"])
        else:
            self.page_stats.append(result["stats"])
        self.records.extend(result["records"])
        self.pages.append(result["page"])


def count_pages(path: Path) -> int:
    with gzip.open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def import_corpus(corpus_dir: Path, workers: int = 2, config: AlignConfig = DEFAULT_CONFIG,
                  progress: Any = None, limit: int | None = None) -> CorpusResult:
    """Import one corpus folder; ``progress`` is a rich Progress (optional), ``limit`` caps the pages."""
    corpus = corpus_dir.name
    path = corpus_dir / PAGES_FILE
    total = count_pages(path) if limit is None else min(limit, count_pages(path))
    task = progress.add_task(corpus, total=total) if progress is not None else None
    pages = (page for n, page in enumerate(iter_pages(path)) if limit is None or n < limit)
    jobs = ((corpus, page, config) for page in pages)
    result = CorpusResult(corpus)
    if workers <= 1:
        outputs: Iterator[dict[str, Any]] = map(_worker, jobs)
        _collect(outputs, result, progress, task)
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            _collect(pool.imap(_worker, jobs, chunksize=CHUNKSIZE), result, progress, task)
    return result


def _collect(outputs: Iterator[dict[str, Any]], result: CorpusResult, progress: Any, task: Any) -> None:
    for output in outputs:
        result.add(output)
        if progress is not None:
            progress.advance(task)


def sample_records(records: list[dict[str, Any]], corpus: str, n: int = SAMPLES_PER_CORPUS) -> list[dict]:
    """``n`` random sentences, half content and half boilerplate where possible, seeded by the corpus name
    (the same sample on every run)."""
    rng = random.Random(zlib.crc32(corpus.encode("utf-8")))
    by_label = {label: [k for k, r in enumerate(records) if r["label"] == label]
                for label in ("content", "boilerplate")}
    want_content = min(n // 2, len(by_label["content"]))
    want_boilerplate = min(n - want_content, len(by_label["boilerplate"]))
    want_content = min(n - want_boilerplate, len(by_label["content"]))
    picks = sorted(rng.sample(by_label["content"], want_content)
                   + rng.sample(by_label["boilerplate"], want_boilerplate))
    keys = ("page_id", "index", "label", "align_score", "n_tokens", "text")
    return [{key: records[k][key] for key in keys} for k in picks]


SENTENCE_COLUMNS = ("corpus", "page_id", "site", "split", "page_type", "article_id", "sentence_id", "block",
                    "index", "char_start", "char_end", "text", "label", "align_score", "n_tokens")
PAGE_COLUMNS = ("corpus", "page_id", "site", "split", "page_type", "url", "text", "gold_text", "gold_headline",
                "n_sentences")


def _schemas():
    import pyarrow as pa

    text, integer = pa.string(), pa.int32()
    sentences = pa.schema([
        ("corpus", text), ("page_id", text), ("site", text), ("split", text), ("page_type", text),
        ("article_id", text), ("sentence_id", text), ("block", integer), ("index", integer),
        ("char_start", integer), ("char_end", integer), ("text", text), ("label", text),
        ("align_score", pa.float32()), ("n_tokens", integer),
    ])
    pages = pa.schema([
        ("corpus", text), ("page_id", text), ("site", text), ("split", text), ("page_type", text),
        ("url", text), ("text", text), ("gold_text", text), ("gold_headline", text), ("n_sentences", integer),
    ])
    return sentences, pages


def write_parquet_atomic(path: Path, rows: list[dict[str, Any]], schema) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_open(path, "wb") as handle:
        pq.write_table(table, handle, compression="zstd")


def write_corpus(result: CorpusResult, out_dir: Path) -> dict[str, Path]:
    """Write the sentence and page parquet files and the stats JSON of one corpus; return their paths."""
    sentence_schema, page_schema = _schemas()
    paths = {"sentences": sentence_table_path(out_dir, result.corpus),
             "pages": pages_table_path(out_dir, result.corpus),
             "stats": out_dir / f"{result.corpus}-stats.json"}
    write_parquet_atomic(paths["pages"], result.pages, page_schema)
    stats = {"corpus": result.corpus, "pages": result.page_stats, "empty_gold": result.empty_gold,
             "skipped": result.skipped, "samples": sample_records(result.records, result.corpus)}
    write_text_atomic(paths["stats"], json.dumps(stats, ensure_ascii=False, indent=1) + "\n")
    # The sentence file is the Make target: written last, so a crash leaves no target behind; its companions
    # then get its timestamp, so Make sees them as up to date too.
    write_parquet_atomic(paths["sentences"], result.records, sentence_schema)
    stamp = paths["sentences"].stat().st_mtime_ns
    for key in ("pages", "stats"):
        os.utime(paths[key], ns=(stamp, stamp))
    return paths
