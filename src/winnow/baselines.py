"""Baseline systems the classifier is compared with, each a plain function over one page.

Text baselines see what the classifier sees, a page's sentence records (``text``, ``block``, ``index``,
as :func:`winnow.segment.segment_text` makes them), and return one keep decision per sentence (1 content,
0 boilerplate). Line-based rules decide per text block (a line of the dump) and every sentence of a block
gets its block's decision; a block's text is its sentences joined by single spaces.

HTML extractors see the page's HTML and return extracted text. They have the DOM advantage (markup,
links, headings) that a plain-text dump has lost: :data:`SYSTEMS` marks them ``dom=True``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

Sentences = Sequence[Mapping[str, Any]]
JUSTEXT_LANGUAGE = "English"


# --- helpers --------------------------------------------------------------------------------------------------

def blocks_of(sentences: Sentences) -> list[tuple[int, str]]:
    """``(block number, block text)`` in order; a block's text is its sentences joined by a space."""
    blocks: dict[int, list[str]] = {}
    for sentence in sorted(sentences, key=lambda s: s["index"]):
        blocks.setdefault(int(sentence["block"]), []).append(sentence["text"])
    return [(block, " ".join(texts)) for block, texts in blocks.items()]


def per_sentence(sentences: Sentences, keep_block: Mapping[int, bool]) -> list[int]:
    """Spread block decisions onto the sentences (in the order given)."""
    return [int(keep_block[int(s["block"])]) for s in sentences]


def join_kept(sentences: Sentences, keep: Sequence[int]) -> str:
    """The kept sentences as text: one block per line, sentences of a block joined by a space."""
    if len(keep) != len(sentences):
        raise ValueError(f"{len(sentences)} sentences but {len(keep)} decisions")
    kept = [s for s, k in zip(sentences, keep, strict=True) if k]
    return "\n".join(text for _, text in blocks_of(kept))


# --- decision baselines on sentence records -------------------------------------------------------------------

def keep_everything(sentences: Sentences) -> list[int]:
    """Every sentence is content (what using the raw dump means)."""
    return [1] * len(sentences)


def make_dummy(y_train: Sequence[int], strategy: str = "most_frequent", seed: int = 0
               ) -> Callable[[Sentences], list[int]]:
    """A scikit-learn ``DummyClassifier`` fit on the training labels, as a page function.

    ``strategy`` is ``"most_frequent"`` or ``"stratified"`` (random draws from the training prior; the same
    ``seed`` gives the same draws).
    """
    from sklearn.dummy import DummyClassifier

    if len(y_train) == 0:
        raise ValueError("the dummy baseline needs training labels, got none")
    model = DummyClassifier(strategy=strategy, random_state=seed)
    model.fit(np.zeros((len(y_train), 1)), np.asarray(y_train, dtype=int))

    def dummy(sentences: Sentences) -> list[int]:
        if not sentences:
            return []
        return [int(y) for y in model.predict(np.zeros((len(sentences), 1)))]

    return dummy


@lru_cache(maxsize=1)
def _c4_filters():
    from datatrove.pipeline.filters.c4_filters import C4QualityFilter

    # per line: every line rule on, the page-level sentence minimum off (a single line is not a page)
    return C4QualityFilter(min_num_sentences=-1), C4QualityFilter()


def c4_lines(sentences: Sentences, document_rules: bool = False) -> list[int]:
    """C4's line rules, run by datatrove's ``C4QualityFilter`` (datatrove 0.10.1,
    ``datatrove/pipeline/filters/c4_filters.py``, ``C4QualityFilter.filter``) on each block as its own
    one-line document: a line is kept when the filter keeps the document and leaves text in it. So a line
    is dropped for a word over 1000 characters, no terminal punctuation (``. ? ! " '``, not ``...``), fewer
    than 3 words, "javascript", a cookie/terms-of-use phrase, and also for "lorem ipsum" or a curly bracket
    (page-dropping rules in C4, which here drop their own line). Wikipedia-style citations are removed before
    the punctuation test, as in C4.

    ``document_rules=True`` first runs the filter with its defaults on the whole page (blocks joined by
    newlines) and drops every sentence if C4 would drop the page (fewer than 5 sentences left, lorem ipsum,
    curly bracket).
    """
    from datatrove.data import Document

    line_filter, page_filter = _c4_filters()
    blocks = blocks_of(sentences)
    if document_rules and blocks:
        page = Document(text="\n".join(text for _, text in blocks), id="page")
        if not _kept(page_filter.filter(page), page):
            return [0] * len(sentences)
    keep = {}
    for block, text in blocks:
        doc = Document(text=text, id=str(block))
        keep[block] = _kept(line_filter.filter(doc), doc)
    return per_sentence(sentences, keep)


def _kept(result: bool | tuple[bool, str], doc) -> bool:
    passed = result[0] if isinstance(result, tuple) else result
    return bool(passed) and bool(doc.text.strip())


@lru_cache(maxsize=1)
def _fineweb_filter():
    from datatrove.pipeline.filters.fineweb_quality_filter import FineWebQualityFilter

    return FineWebQualityFilter()


def fineweb_lines(sentences: Sentences, document_rules: bool = False) -> list[int]:
    """FineWeb's quality rules applied per line.

    datatrove's ``FineWebQualityFilter`` (datatrove 0.10.1,
    ``datatrove/pipeline/filters/fineweb_quality_filter.py``, ``filter``, lines 33-56) only keeps or drops
    whole documents, from four line statistics. Each statistic is turned into the rule it counts per line,
    with the filter's own parameters (read from a default instance):

    * ``line_punct_ratio`` (lines 38-40) counts lines ending in ``stop_chars`` (datatrove's
      ``TERMINAL_PUNCTUATION``): a line must end in one;
    * ``short_line_ratio`` (lines 42-44) counts lines of at most ``short_line_length`` (30) characters: a
      line must be longer;
    * ``char_dup_ratio`` (lines 46-49, ``gopher_repetition_filter.find_duplicates``) counts the characters of
      lines repeating an earlier line: a repeat of an earlier line is dropped;
    * ``list_ratio`` (lines 51-54) is newlines per word (> 0.3 drops): a line whose one newline per its
      words (datatrove's ``split_into_words``) exceeds ``new_line_ratio`` is dropped.

    ``document_rules=True`` also runs ``FineWebQualityFilter.filter`` itself on the whole page (blocks joined
    by newlines) and drops every sentence if FineWeb would drop the page.
    """
    from datatrove.data import Document
    from datatrove.utils.text import split_into_words

    rules = _fineweb_filter()
    blocks = blocks_of(sentences)
    if document_rules and blocks:
        page = Document(text="\n".join(text for _, text in blocks), id="page")
        if not _kept(rules.filter(page), page):
            return [0] * len(sentences)
    seen: set[str] = set()
    keep = {}
    for block, text in blocks:
        words = split_into_words(text, rules.language)
        keep[block] = (
            text.endswith(rules.stop_chars)
            and len(text) > rules.short_line_length
            and text not in seen
            and bool(words) and 1 / len(words) <= rules.new_line_ratio
        )
        seen.add(text)
    return per_sentence(sentences, keep)


def justext_text(sentences: Sentences, language: str = JUSTEXT_LANGUAGE) -> list[int]:
    """jusText's classifier on the text blocks: its own context-free pass (length, stop-word density,
    copyright sign) and context-sensitive pass (short/near-good blocks take their neighbours' class), run
    by jusText's ``classify_paragraphs`` and ``revise_paragraph_classification`` with its default thresholds
    and stop-word list. Blocks stand in for paragraphs; they carry no links and no headings (plain text has
    neither), so the link-density and heading rules never fire."""
    import justext
    from justext.core import PathInfo, classify_paragraphs, revise_paragraph_classification
    from justext.paragraph import Paragraph

    blocks = blocks_of(sentences)
    paragraphs = []
    for _, text in blocks:
        paragraph = Paragraph(PathInfo().append("body").append("p"))
        paragraph.append_text(text)
        paragraphs.append(paragraph)
    classify_paragraphs(paragraphs, justext.get_stoplist(language))
    revise_paragraph_classification(paragraphs)
    keep = {block: not p.is_boilerplate for (block, _), p in zip(blocks, paragraphs, strict=True)}
    return per_sentence(sentences, keep)


# --- HTML extractors (DOM advantage) -------------------------------------------------------------------------

def trafilatura_html(html: str) -> str:
    """``trafilatura.extract`` without comments (as the Scrapinghub benchmark runs it); '' if nothing found."""
    import logging

    import trafilatura

    # trafilatura logs "discarding data" / "empty HTML tree" for pages it finds nothing in: '' says that here
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return trafilatura.extract(html, include_comments=False) or ""


def readability_html(html: str) -> str:
    """readability-lxml's ``Document(html).summary(html_partial=True)``, rendered to text with html-text."""
    import logging

    from readability import Document

    from winnow.textio import render_html

    # readability logs a traceback before raising on unparseable pages; the raise is what callers handle
    logging.getLogger("readability.readability").setLevel(logging.CRITICAL)
    summary = Document(html).summary(html_partial=True)
    return render_html(summary).strip()


def justext_html(html: str, language: str = JUSTEXT_LANGUAGE) -> str:
    """jusText on the HTML: the paragraphs it does not call boilerplate, one per line."""
    import justext

    paragraphs = justext.justext(html, justext.get_stoplist(language))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


# --- registry and timing ---------------------------------------------------------------------------------------

SYSTEMS: dict[str, dict[str, Any]] = {
    "keep_everything": {"fn": keep_everything, "input": "sentences", "dom": False},
    "c4_lines": {"fn": c4_lines, "input": "sentences", "dom": False},
    "fineweb_lines": {"fn": fineweb_lines, "input": "sentences", "dom": False},
    "justext_text": {"fn": justext_text, "input": "sentences", "dom": False},
    "trafilatura": {"fn": trafilatura_html, "input": "html", "dom": True},
    "readability": {"fn": readability_html, "input": "html", "dom": True},
    "justext_html": {"fn": justext_html, "input": "html", "dom": True},
}
"""Baselines that need no training (the dummy needs labels: :func:`make_dummy`). ``input`` says what the
function takes: a page's sentence records, or its HTML."""


def timed_run(fn: Callable[[Any], Any], inputs: Iterable[Any], empty: Any = None,
              clock: Callable[[], float] = time.perf_counter, warmup: bool = True,
              progress: Callable[[list[Any]], Iterable[Any]] | None = None,
              ) -> tuple[list[Any], dict[str, Any]]:
    """Run ``fn`` on every input; return the outputs and ``{"n_pages", "seconds", "pages_per_s", "n_errors"}``.

    With ``empty`` given, an exception on one input yields ``empty`` for it and is counted in ``n_errors``
    (extractors fail on some real pages); without it, the exception propagates. ``warmup`` runs ``fn`` once
    on the first input before the clock starts, so lazy imports and model loading are not timed. ``progress``
    wraps the inputs as they are run (e.g. ``rich.progress.track``). Timing varies between runs: keep it out of
    files that must be reproducible.
    """
    inputs = list(inputs)
    if warmup and inputs:
        with contextlib.suppress(Exception):
            fn(inputs[0])
    outputs, errors = [], 0
    start = clock()
    for item in progress(inputs) if progress else inputs:
        try:
            outputs.append(fn(item))
        except Exception:
            if empty is None:
                raise
            outputs.append(empty)
            errors += 1
    seconds = clock() - start
    return outputs, {"n_pages": len(outputs), "seconds": seconds,
                     "pages_per_s": len(outputs) / seconds if seconds > 0 else None, "n_errors": errors}


# --- running every baseline over pages -----------------------------------------------------------------------

def gold_text_of(page: Mapping[str, Any]) -> str:
    """The page's ``gold_text``, or, for pages annotated per sentence, its gold content sentences joined."""
    if page.get("gold_text") is not None:
        return str(page["gold_text"])
    sentences = page.get("sentences") or []
    return join_kept(sentences, [int(s.get("y_true") or 0) for s in sentences])


def run_baselines(
    pages: Sequence[Mapping[str, Any]],
    systems: Mapping[str, Mapping[str, Any]] | None = None,
    dummy_labels: Sequence[int] | None = None,
    seed: int = 0,
    progress: Callable[[list[Any], str], Iterable[Any]] | None = None,
) -> dict[str, Any]:
    """Run baselines over pages and return report-ready tables (see :mod:`winnow.report`).

    A page is a dict with ``corpus``, ``page_id``, ``site``, ``sentences`` (sentence records; with ``y_true``
    and ``kind`` for sentence-level scoring) and optionally ``html`` and ``gold_text``. ``systems`` defaults
    to :data:`SYSTEMS`; with ``dummy_labels`` (training labels) a ``dummy`` (most frequent class) is added.
    HTML extractors run on the pages that have HTML (and are left out when none has); an extractor failing on
    a page outputs '' for it. ``progress(inputs, system name)`` may wrap each HTML extractor's inputs (a
    progress bar: they are the slow ones).

    Returns ``{"predictions": [...], "pages": [...], "timing": {system: stats}}``: prediction-table rows
    (only for pages whose sentences all carry ``y_true``), page-table rows, and :func:`timed_run` stats.
    """
    systems = dict(SYSTEMS if systems is None else systems)
    if dummy_labels is not None:
        systems["dummy"] = {"fn": make_dummy(dummy_labels, seed=seed), "input": "sentences", "dom": False}
    predictions: list[dict[str, Any]] = []
    page_rows: list[dict[str, Any]] = []
    timing: dict[str, dict[str, Any]] = {}
    gold = [gold_text_of(page) for page in pages]
    for name, system in sorted(systems.items()):
        if system["input"] == "html":
            chosen = [i for i, page in enumerate(pages) if page.get("html")]
            if not chosen:
                continue
            outputs, timing[name] = timed_run(
                system["fn"], [pages[i]["html"] for i in chosen], empty="",
                progress=(lambda inputs, name=name: progress(inputs, name)) if progress else None)
            texts = dict(zip(chosen, outputs, strict=True))
        else:
            chosen = list(range(len(pages)))
            outputs, timing[name] = timed_run(system["fn"], [page["sentences"] for page in pages])
            texts = {}
            for i, keep in zip(chosen, outputs, strict=True):
                texts[i] = join_kept(pages[i]["sentences"], keep)
                predictions += _sentence_rows(name, pages[i], keep)
        page_rows += [{"system": name, "corpus": pages[i]["corpus"], "page_id": pages[i]["page_id"],
                       "site": pages[i].get("site"), "gold_text": gold[i], "pred_text": texts[i]} for i in chosen]
    return {"predictions": predictions, "pages": page_rows, "timing": timing}


def _sentence_rows(system: str, page: Mapping[str, Any], keep: Sequence[int]) -> list[dict[str, Any]]:
    sentences = page["sentences"]
    if not sentences or any(s.get("y_true") is None for s in sentences):
        return []
    return [{"system": system, "corpus": page["corpus"], "site": page.get("site"), "page_id": page["page_id"],
             "sentence_id": s["sentence_id"], "index": s["index"], "block": s.get("block"), "text": s["text"],
             "y_true": int(s["y_true"]), "kind": s.get("kind"), "p_content": None, "y_pred": int(k)}
            for s, k in zip(sentences, keep, strict=True)]
