"""Sentences of benchmark-corpus pages, referred to by id: annotating them without copying their text.

The silver tables (``make silver`` → ``data/interim/silver/<corpus>.parquet``) give every corpus sentence an
id of the same form as ours, ``<corpus>/<page_id>:<sha1-12 of the text>[.n]``, its article being the page
``<corpus>/<page_id>``. An annotation record may name such a sentence instead of one of ``data/processed``:
the record holds only the id and the labels, so ``annotations/`` stays our own work while people label
appeals, captions and comment threads on real pages in the project's convention. The text stays in the
corpora (read in place) and in the local Label Studio server.

A sentence id is looked up in ``data/processed`` first; an id not there is a corpus reference when the part
of its article id before the first ``/`` names a silver table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_SILVER_DIR = Path("data/interim/silver")
NO_HEADLINE_TARGET = "the page's subject (no headline: neutral)"  # the stance target of a page without headline
SENTENCE_FIELDS = ["article_id", "sentence_id", "block", "index", "char_start", "char_end", "text"]


class CorpusRefError(ValueError):
    """A corpus page or table that cannot be read (message says what to run)."""


def corpus_of(article_or_sentence_id: str) -> str | None:
    """The corpus a page or sentence id names (``dragnet/R630:ab12…`` → ``dragnet``), or None."""
    article = str(article_or_sentence_id).split(":", 1)[0]
    corpus, slash, page = article.partition("/")
    return corpus if slash and corpus and page else None


def sentence_table_path(silver_dir: Path, corpus: str) -> Path:
    """A corpus's silver sentence table (one row per sentence), as ``winnow import-corpus`` names it."""
    return Path(silver_dir) / f"{corpus}.parquet"


def pages_table_path(silver_dir: Path, corpus: str) -> Path:
    """A corpus's silver page table (the rendered dump and the gold of each page)."""
    return Path(silver_dir) / f"{corpus}-pages.parquet"


def _read(path: Path, columns: list[str], article_ids: Sequence[str] | None = None) -> Any:
    import pandas as pd
    import pyarrow as pa

    filters = [("article_id", "in", list(article_ids))] if article_ids is not None else None
    try:
        return pd.read_parquet(path, columns=columns, filters=filters)
    except (OSError, pa.ArrowException, ValueError) as error:
        raise CorpusRefError(f"cannot read {path}: {error}; rebuild it with `make silver`") from None


def _missing(path: Path) -> CorpusRefError:
    return CorpusRefError(f"{path} not found: corpus pages are read from the silver tables; run `make silver` "
                          "(with the corpora at CORPORA=...) first")


def load_page_sentences(silver_dir: Path, article_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The sentence records of the corpus pages ``article_ids`` (``<corpus>/<page_id>``), in page and reading
    order, with the fields of ``data/processed/sentences.jsonl``. Unknown pages are an error naming them."""
    wanted: dict[str, list[str]] = {}
    for article_id in dict.fromkeys(article_ids):
        corpus = corpus_of(article_id)
        if corpus is None or ":" in article_id:
            raise CorpusRefError(f"{article_id!r} is not a corpus page id (<corpus>/<page_id>, e.g. dragnet/R630)")
        wanted.setdefault(corpus, []).append(article_id)
    records: list[dict[str, Any]] = []
    for corpus, ids in sorted(wanted.items()):
        path = sentence_table_path(silver_dir, corpus)
        if not path.exists():
            raise _missing(path)
        table = _read(path, SENTENCE_FIELDS, ids)
        unknown = sorted(set(ids) - set(table["article_id"]))
        if unknown:
            raise CorpusRefError(f"no page {', '.join(unknown)} in {path}")
        table = table.sort_values(["article_id", "index"], kind="stable")
        records += [{**row, "block": int(row["block"]), "index": int(row["index"]),
                     "char_start": int(row["char_start"]), "char_end": int(row["char_end"])}
                    for row in table.to_dict("records")]
    return records


def page_metadata(silver_dir: Path, article_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per corpus page, what a Label Studio task shows above the sentence: its site and headline, which is
    also the stance target (a corpus page has no curated one: the stance is toward the page's subject)."""
    by_corpus: dict[str, list[str]] = {}
    for article_id in dict.fromkeys(article_ids):
        by_corpus.setdefault(str(corpus_of(article_id)), []).append(article_id)
    metadata: dict[str, dict[str, Any]] = {}
    for corpus, ids in sorted(by_corpus.items()):
        path = pages_table_path(silver_dir, corpus)
        if not path.exists():
            raise _missing(path)
        pages = _read(path, ["corpus", "page_id", "site", "url", "gold_headline"])
        pages["article_id"] = pages["corpus"] + "/" + pages["page_id"].astype(str)
        pages = pages[pages["article_id"].isin(ids)].astype(object).where(pages.notna(), None)
        for row in pages.to_dict("records"):
            headline = (row["gold_headline"] or "").strip()
            metadata[row["article_id"]] = {
                "article_id": row["article_id"], "site": row["site"], "url": row["url"],
                "headline": headline, "stance_target": headline or NO_HEADLINE_TARGET,
            }
    return metadata


def disputed_pages(cv_predictions: Path, n: int, corpora: Sequence[str] = (), margin: float = 0.4,
                   min_disputed: int = 3) -> list[str]:
    """The ``n`` corpus pages whose out-of-fold predictions (``train/cv-predictions.parquet``) most often
    contradict their silver labels with confidence (P(content) and the label further apart than 0.5 +
    ``margin``): where the model or the silver alignment is wrong, so where a person's label teaches most.

    Pages are ranked by the share of such sentences, then their number, then id, among pages with at least
    ``min_disputed`` of them; ``corpora`` limits the choice. The seed articles (corpus "gold") are not corpus
    pages.
    """
    path = Path(cv_predictions)
    if not path.exists():
        raise CorpusRefError(f"{path} not found: `make train` writes it (cross-validation on the corpora)")
    from winnow.train import GOLD_CORPUS

    table = _read(path, ["corpus", "article_id", "label", "p_content"])
    table = table[table["corpus"] != GOLD_CORPUS]
    if corpora:
        unknown = sorted(set(corpora) - set(table["corpus"]))
        if unknown:
            raise CorpusRefError(f"no page of {', '.join(unknown)} in {path} (corpora there: "
                                 f"{', '.join(sorted(set(table['corpus'])))})")
        table = table[table["corpus"].isin(list(corpora))]
    disputed = (table["p_content"] - table["label"]).abs() > 0.5 + margin
    pages = disputed.groupby(table["article_id"]).agg(["mean", "sum"]).reset_index()
    pages = pages[pages["sum"] >= min_disputed]
    ranked = pages.sort_values(["mean", "sum", "article_id"], ascending=[False, False, True], kind="stable")
    return ranked["article_id"].head(max(n, 0)).tolist()


class KnownSentences:
    """``sentence_id in known``: a sentence of ``data/processed``, or of a corpus page in the silver tables.

    A corpus's ids are read the first time one of them is asked for. With ``strict=False`` a reference to a
    corpus whose table is absent counts as known and is recorded in ``unchecked`` (``make data`` must work
    without the corpora); with ``strict=True`` it raises :class:`CorpusRefError`.
    """

    def __init__(self, processed_ids: Iterable[str], silver_dir: Path | None = DEFAULT_SILVER_DIR,
                 strict: bool = False):
        self.processed = set(processed_ids)
        self.silver_dir = Path(silver_dir) if silver_dir is not None else None
        self.strict = strict
        self.unchecked: dict[str, int] = {}
        self._corpora: dict[str, set[str] | None] = {}

    def _corpus_ids(self, corpus: str) -> set[str] | None:
        if corpus not in self._corpora:
            path = sentence_table_path(self.silver_dir, corpus) if self.silver_dir is not None else None
            if path is None or not path.exists():
                if self.strict:
                    raise _missing(path or Path(f"<silver dir>/{corpus}.parquet"))
                self._corpora[corpus] = None
            else:
                self._corpora[corpus] = set(_read(path, ["sentence_id"])["sentence_id"])
        return self._corpora[corpus]

    def __contains__(self, sentence_id: object) -> bool:
        sentence_id = str(sentence_id)
        if sentence_id in self.processed:
            return True
        corpus = corpus_of(sentence_id)
        if corpus is None:
            return False
        ids = self._corpus_ids(corpus)
        if ids is None:
            self.unchecked[corpus] = self.unchecked.get(corpus, 0) + 1
            return True
        return sentence_id in ids
