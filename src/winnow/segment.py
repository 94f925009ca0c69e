"""Sentence segmentation: article text -> one record per sentence, with stable ids and exact offsets.

Each text block (a non-blank line) is segmented on its own with spaCy's blank English tokenizer and the
rule-based sentencizer, so no sentence crosses a line break. Offsets index the article text as decoded
(CRLF and all), so ``text[char_start:char_end] == record["text"]``.

Sentence ids are ``<article_id>:<first 12 hex of sha1(sentence text)>``, with ``.<n>`` appended to the n-th
(n >= 2) repeat of the same text within the article. They depend only on the article's own text, so they are
stable across reruns and unaffected by any other article, and survive edits elsewhere in the same article.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TypedDict

_BLOCK = re.compile(r"[^\r\n]+")
SPACY_BATCH_SIZE = 256


class SentenceRecord(TypedDict):
    article_id: str
    sentence_id: str
    block: int  # 0-based number of the text block (non-blank line) in the article
    index: int  # 0-based position of the sentence in the article
    char_start: int
    char_end: int
    text: str


@lru_cache(maxsize=1)
def sentence_pipeline():
    """spaCy blank English + sentencizer, built once per process."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def iter_blocks(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, block_text)`` for each non-blank line, stripped of surrounding whitespace."""
    for match in _BLOCK.finditer(text):
        raw = match.group()
        stripped = raw.strip()
        if stripped:
            yield match.start() + (len(raw) - len(raw.lstrip())), stripped


def sentence_id(article_id: str, text: str, seen: dict[str, int]) -> str:
    """Content-derived id; ``seen`` counts repeats of the same text within one article."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    seen[digest] = seen.get(digest, 0) + 1
    n = seen[digest]
    return f"{article_id}:{digest}" if n == 1 else f"{article_id}:{digest}.{n}"


def segment_text(article_id: str, text: str) -> list[SentenceRecord]:
    """Split one article's text into sentence records (see module docstring)."""
    return next(iter(segment_many([(article_id, text)])))


def segment_many(articles: Iterable[tuple[str, str]]) -> Iterator[list[SentenceRecord]]:
    """Segment many ``(article_id, text)`` pairs, batching all their blocks through spaCy."""
    nlp = sentence_pipeline()
    for article_id, text in articles:
        blocks = list(iter_blocks(text))
        docs = nlp.pipe((block for _, block in blocks), batch_size=SPACY_BATCH_SIZE)
        records: list[SentenceRecord] = []
        seen: dict[str, int] = {}
        for block_no, ((offset, _), doc) in enumerate(zip(blocks, docs, strict=True)):
            for start, end in _sentence_spans(doc):
                sentence = doc.text[start:end]
                records.append(
                    SentenceRecord(
                        article_id=article_id,
                        sentence_id=sentence_id(article_id, sentence, seen),
                        block=block_no,
                        index=len(records),
                        char_start=offset + start,
                        char_end=offset + end,
                        text=sentence,
                    )
                )
        yield records


def _sentence_spans(doc) -> Iterator[tuple[int, int]]:
    """Character spans of the doc's sentences, trimmed of whitespace; whitespace-only ones dropped."""
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        chunk = doc.text[start:end]
        stripped = chunk.strip()
        if stripped:
            start += len(chunk) - len(chunk.lstrip())
            yield start, start + len(stripped)
