"""winnow as a datatrove pipeline step: clean millions of page dumps locally, on Slurm or on Ray.

:class:`WinnowCleaner` is a datatrove filter: it replaces each Document's text with its content sentences (the
output of ``winnow clean`` for the same text), counts what it kept and removed with ``stat_update``, can store
the per-sentence decisions in the metadata, and can drop documents left with too little content through
datatrove's exclusion writer (``metadata["filter_reason"]`` says why). The model loads once per worker
process, and documents go through segmentation, featurisation and prediction in batches.

:func:`build_pipeline` wires reader -> cleaner -> JSONL writer for JSONL input (``JsonlReader``, any text field)
or a folder of plain-text dumps (:class:`TextFileReader`, id = file stem); :func:`run_local` runs it with
``LocalPipelineExecutor``. The same list runs unchanged under ``SlurmPipelineExecutor`` or ``RayPipelineExecutor``.
Tasks split the input by *files*: give at least as many input files as tasks.

Requires the ``winnow[datatrove]`` extra.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.pipeline.readers.jsonl import JsonlReader
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.logging import logger

from winnow.clean import PAGE_BATCH, join_kept, predict_sites, predict_texts, site_reference
from winnow.decode import Threshold, keep_mask, parse_threshold
from winnow.jsonio import same_place
from winnow.memory import tune_for_batches
from winnow.model import DEFAULT_MODEL_PATH, WinnowModel, load_model
from winnow.segment import PageSentences, segment_text
from winnow.textio import InputError, decode_article, portable_name

InputFormat = Literal["jsonl", "txt"]
REASON_TOO_LITTLE = "too_little_content"  # fewer kept characters than min_content_chars
REASON_LOW_SHARE = "low_content_share"  # kept share of the sentence characters below min_kept_share


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int, size: int) -> WinnowModel:
    return load_model(path)


def worker_model(path: str | Path) -> WinnowModel:
    """The model at ``path``, loaded once per process (reloaded only if the file changes)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return load_model(path)  # raises ModelError with the how-to-build message
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


class WinnowCleaner(BaseFilter):
    """Keep the content sentences of each Document's text (sentence level), dropping near-empty documents.

    Args:
        model_path: the model file (``make train``); loaded lazily, once per worker process.
        threshold: "auto" (each page's best expected precision + recall, :mod:`winnow.decode`) or a number T
            (keep sentences with P(content) >= T); None: the model's own ("auto").
        min_content_chars: drop documents whose kept sentences hold fewer characters (0: never).
        min_kept_share: drop documents that keep less than this share of their sentence characters (0: never).
        store_decisions: put every sentence's offsets, text, P(content) and decision in
            ``metadata["winnow"]["sentences"]`` (offsets index the *input* text).
        exclusion_writer: a datatrove writer for the dropped documents (they keep their input text, with
            ``metadata["filter_reason"]`` and the kept character count).
        batch_size: documents classified together.
        by_site: compare every document with up to 30 reference documents of its site, as ``winnow clean
            --by-site`` does (site: ``metadata["site"]``, else the host of ``metadata["url"]``; documents
            without one stand alone). The task's documents are held in memory and each site's reference is
            built from them, so give every task whole sites (shard the input by site).
    """

    name = "🧹 winnow clean"

    def __init__(
        self,
        model_path: str | Path = DEFAULT_MODEL_PATH,
        threshold: Threshold | None = None,
        min_content_chars: int = 0,
        min_kept_share: float = 0.0,
        store_decisions: bool = False,
        exclusion_writer: DiskWriter | None = None,
        batch_size: int = PAGE_BATCH,
        by_site: bool = False,
    ):
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        if min_content_chars < 0 or not 0.0 <= min_kept_share <= 1.0:
            raise ValueError("min_content_chars must be >= 0 and min_kept_share in [0, 1]")
        self.model_path = str(model_path)
        self.threshold = None if threshold is None else parse_threshold(threshold)
        self.min_content_chars = min_content_chars
        self.min_kept_share = min_kept_share
        self.store_decisions = store_decisions
        self.by_site = by_site
        self._site_predictions: dict[int, tuple] = {}

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        tune_for_batches()  # the worker cleans batch after batch (see winnow.memory)
        if not self.by_site:
            yield from super().run(data, rank, world_size)
            return
        documents = list(data)
        with self.track_time("site reference"):
            self._site_predictions = self._predict_by_site(documents)
        try:
            yield from super().run(iter(documents), rank, world_size)
        finally:
            self._site_predictions = {}

    def _predict_by_site(self, documents: list[Document]) -> dict[int, tuple]:
        """``id(document) -> (text, records, p_content)``, each site's documents against its reference."""
        model = worker_model(self.model_path)
        groups: dict[str | None, list[Document]] = {}
        for document in documents:
            groups.setdefault(document_site(document), []).append(document)

        def sites():
            for site, docs in groups.items():
                items = list(zip(_unique_ids(docs), (doc.text for doc in docs), strict=True))
                yield site, items, None if site is None else site_reference(items, site)

        ordered = [doc for docs in groups.values() for doc in docs]
        predictions = predict_sites(sites(), model, ids=False)  # records without sentence ids: never stored
        return {id(doc): (text, records, p) for doc, (_, _, text, records, p) in zip(ordered, predictions, strict=True)}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        """Clean a batch in place; return keep / (False, reason) per document."""
        model = worker_model(self.model_path)
        cut = model.threshold if self.threshold is None else self.threshold
        if self.by_site and self._site_predictions:
            predictions = [self._site_predictions[id(doc)] for doc in batch]
        else:
            # Positional ids: features group sentences by article id, so ids must be unique within the batch.
            items = [(str(i), doc.text) for i, doc in enumerate(batch)]
            cleaned = predict_texts(items, model, len(items), ids=False)
            predictions = [(text, records, p) for _, text, records, p in cleaned]
        return [self._apply(doc, text, records, keep_mask(p, cut, records.texts), p, model.version, cut)
                for doc, (text, records, p) in zip(batch, predictions, strict=True)]

    def _apply(self, doc: Document, text: str, records: PageSentences, keep, p, version: str, cut: Threshold):
        lengths = np.subtract(records.char_ends, records.char_starts, dtype=np.int64)
        kept_chars = int(lengths[keep].sum())
        all_chars = int(lengths.sum())
        n_kept = int(keep.sum())
        self.stat_update("sentences_kept", value=n_kept)
        self.stat_update("sentences_removed", value=len(records) - n_kept)
        self.stat_update("chars_kept", value=kept_chars)
        self.stat_update("chars_removed", value=all_chars - kept_chars)
        if self.store_decisions:
            doc.metadata["winnow"] = {"model": version, "threshold": cut, "sentences": [
                {"char_start": r["char_start"], "char_end": r["char_end"], "text": r["text"],
                 "p_content": round(float(prob), 6), "kept": bool(k)}
                for r, prob, k in zip(records, p, keep, strict=True)]}
        reason = self._drop_reason(kept_chars, all_chars)
        if reason is not None:
            doc.metadata["winnow_kept_chars"] = kept_chars
            return False, reason
        doc.text = join_kept(text, records, keep)
        return True

    def _drop_reason(self, kept_chars: int, all_chars: int) -> str | None:
        if kept_chars < self.min_content_chars:
            return REASON_TOO_LITTLE
        if self.min_kept_share > 0 and kept_chars < self.min_kept_share * all_chars:
            return REASON_LOW_SHARE
        return None


def document_site(document: Document) -> str | None:
    """The site of a document: ``metadata["site"]``, else its URL's host without ``www.``; None if neither."""
    site = document.metadata.get("site")
    if isinstance(site, str) and site.strip():
        return site.strip()
    url = document.metadata.get("url")
    host = urlsplit(url).hostname if isinstance(url, str) and url.strip() else None
    return host.removeprefix("www.") if host else None


def _unique_ids(documents: list[Document]) -> list[str]:
    """Document ids, with ``#n`` added to repeats (features group sentences by page id)."""
    seen: dict[str, int] = {}
    out = []
    for document in documents:
        base = str(document.id)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


class TextFileReader(BaseDiskReader):
    """One Document per plain-text dump file (``*.txt`` by default); id = file stem, or with ``ids_from_path``
    the file's path below the folder (below its site's folder with ``site_from_dir``) without ``.txt``, as
    ``winnow clean --recursive`` names its outputs.

    Files are decoded exactly as ``winnow clean`` does (:func:`winnow.textio.decode_article`: encodings, HTML
    pages rendered to text); unusable files are skipped with a warning and counted as ``skipped_files``.
    """

    name = "📄 winnow text files"

    def __init__(self, data_folder, glob_pattern: str = "*.txt", recursive: bool = False, site_from_dir: bool = False,
                 ids_from_path: bool = False, **kwargs):
        super().__init__(data_folder, glob_pattern=glob_pattern, recursive=recursive, **kwargs)
        self.site_from_dir = site_from_dir  # metadata["site"] = the file's top directory (IN/<site>/.../<page>.txt)
        self.ids_from_path = ids_from_path

    def read_file(self, filepath: str) -> DocumentsPipeline:
        with self.track_time():
            with self.data_folder.open(filepath, "rb") as handle:
                data = handle.read()
            try:
                decoded = decode_article(data, name=filepath)
            except InputError as error:
                logger.warning(f"skipped: {error}")
                self.stat_update("skipped_files")
                return
            metadata = {"encoding": decoded.encoding, "source_format": decoded.source_format}
            below = PurePosixPath(filepath)  # relative to the data folder
            if self.site_from_dir and len(below.parts) > 1:
                metadata["site"], below = portable_name(below.parts[0]), PurePosixPath(*below.parts[1:])
            document_id = portable_name(below.with_suffix("").as_posix() if self.ids_from_path else below.stem)
            record = {"text": decoded.text, "id": document_id, "metadata": metadata}
            document = self.get_document_from_dict(record, filepath, 0)
        if document is not None:
            yield document


def document_record(self: DiskWriter, document: Document) -> dict:
    """JSONL writer adapter: always ``id`` and ``text`` (even when empty), then ``metadata`` if any."""
    record = {"id": document.id, "text": document.text}
    if document.metadata:
        record["metadata"] = document.metadata
    return record


def _folder_and_glob(source: str | Path, default_glob: str) -> tuple[str, str | None, bool]:
    """A datatrove (folder, glob, recursive) for an input file or directory; remote URLs are folders."""
    if "://" in str(source):
        return str(source), default_glob, "**" in default_glob
    path = Path(source)
    if path.is_file():
        return str(path.parent.resolve()), path.name, False
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is neither a file nor a directory")
    return str(path.resolve()), default_glob, "**" in default_glob


class SharedDirectoryError(ValueError):
    """Two of a pipeline's directories are one: its writers would replace files it reads or writes."""


def check_directories(input_folder: str, output_dir: str | Path, excluded_dir: str | Path | None) -> None:
    """Raise :class:`SharedDirectoryError` where the pipeline would lose documents: its writers open
    ``<rank>.jsonl`` for writing as the task starts, so in the input folder one replaces an input file of that
    name before it is read (a datatrove output cleaned again) and is read as input by the next run; and kept and
    dropped documents written to one directory replace each other."""
    for option, target in (("--output-dir", output_dir), ("--excluded-dir", excluded_dir)):
        if target is not None and same_place(input_folder, target):
            raise SharedDirectoryError(
                f"{option} {target} is the directory of the input files: datatrove's <rank>.jsonl files could "
                "overwrite them or be read as input next time; choose another directory")
    if excluded_dir is not None and same_place(output_dir, excluded_dir):
        raise SharedDirectoryError(
            f"--excluded-dir {excluded_dir} is the output directory: kept and dropped documents would be written "
            "to the same <rank>.jsonl files; choose another directory")


def build_pipeline(
    input_path: str | Path,
    output_dir: str | Path,
    input_format: InputFormat = "jsonl",
    text_key: str = "text",
    id_key: str = "id",
    model_path: str | Path = DEFAULT_MODEL_PATH,
    threshold: Threshold | None = None,
    min_content_chars: int = 0,
    min_kept_share: float = 0.0,
    store_decisions: bool = False,
    excluded_dir: str | Path | None = None,
    compression: Literal["gzip"] | None = None,
    glob_pattern: str | None = None,
    limit: int = -1,
    by_site: bool = False,
    recursive: bool = False,
) -> list[PipelineStep]:
    """reader -> :class:`WinnowCleaner` -> JSONL writer (``<output_dir>/<rank>.jsonl[.gz]``).

    ``input_path`` is a file or a directory, local or any fsspec URL such as ``s3://bucket/crawl/`` (JSONL:
    ``*.jsonl``/``*.jsonl.gz``/...; txt: ``*.txt``; or ``glob_pattern``); ``output_dir`` and ``excluded_dir``
    may be URLs too, and must differ from each other and from the input's folder (:func:`check_directories`).
    Dropped documents go to ``excluded_dir`` when given. The model file must be readable
    on every worker. ``by_site``: see :class:`WinnowCleaner`; txt input is then read as ``<site>/*.txt``.
    ``recursive``: the input folder's subdirectories at any depth too (``**/*.txt``, ``<site>/**/*.txt``,
    ``**/*.jsonl*``); a txt document's id is then its path below the folder (or its site's) without ``.txt``.
    """
    below = "**/" if recursive else ""
    txt_glob = f"*/{below}*.txt" if by_site else f"{below}*.txt"
    default_glob = glob_pattern or (f"{below}*.jsonl*" if input_format == "jsonl" else txt_glob)
    folder, glob, recursive = _folder_and_glob(input_path, default_glob)
    check_directories(folder, output_dir, excluded_dir)
    if input_format == "jsonl":
        reader: BaseDiskReader = JsonlReader(folder, glob_pattern=glob, recursive=recursive, text_key=text_key,
                                             id_key=id_key, limit=limit, add_file_path=False)
    elif input_format == "txt":
        reader = TextFileReader(folder, glob_pattern=glob, recursive=recursive, limit=limit, add_file_path=False,
                                site_from_dir=by_site, ids_from_path=recursive)
    else:
        raise ValueError(f"unknown input format {input_format!r}; expected 'jsonl' or 'txt'")
    filename = "${rank}.jsonl"
    exclusion = (JsonlWriter(str(excluded_dir), output_filename=filename, compression=compression,
                             adapter=document_record) if excluded_dir is not None else None)
    cleaner = WinnowCleaner(model_path, threshold=threshold, min_content_chars=min_content_chars,
                            min_kept_share=min_kept_share, store_decisions=store_decisions,
                            exclusion_writer=exclusion, by_site=by_site)
    writer = JsonlWriter(str(output_dir), output_filename=filename, compression=compression, adapter=document_record)
    return [reader, cleaner, writer]


def run_local(pipeline: list[PipelineStep], tasks: int = 1, workers: int = 1, logging_dir: str | Path | None = None,
              skip_completed: bool = True):
    """Run the pipeline with ``LocalPipelineExecutor``; return its merged ``PipelineStats``.

    The models of the pipeline's cleaners are loaded (and spaCy built) once in this process (:func:`preload`)
    where the tasks can use them: with one worker the tasks run in this process, and with several on Linux the
    worker pool is forked from it, so workers start warm instead of each importing and loading everything
    again (datatrove's default "forkserver" start method does that).
    """
    from datatrove.executor import LocalPipelineExecutor

    start_method = "fork" if workers > 1 and sys.platform == "linux" else "forkserver"
    if workers == 1 or start_method == "fork":
        preload(pipeline)
    executor = LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers,
                                     logging_dir=None if logging_dir is None else str(logging_dir),
                                     skip_completed=skip_completed, start_method=start_method)
    return executor.run()


def preload(pipeline: list[PipelineStep]) -> None:
    """Load the model of every cleaner in ``pipeline`` and build spaCy's segmenter, in this process (both are
    kept per process: tasks run here, or in workers forked from here, find them ready)."""
    for step in pipeline:
        if isinstance(step, WinnowCleaner):
            worker_model(step.model_path)
    segment_text("warm-up", "Warm up. The sentencizer.")


def cleaner_totals(stats) -> dict[str, float]:
    """The cleaner's counters (documents in/kept/dropped, sentences and characters) from ``PipelineStats``."""
    if stats is None:
        return {}
    for step in stats.stats:
        if step.name.endswith(WinnowCleaner.name):
            return {key: metric.total for key, metric in step.stats.items()}
    return {}
