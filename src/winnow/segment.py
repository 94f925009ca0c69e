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
    punct = _punct_orths(nlp)
    final = _final_chars(nlp)
    for article_id, text in articles:
        blocks = list(iter_blocks(text))
        # A block without any sentence-final character is one sentence: only those with one need tokenizing.
        split = [final.search(block) is not None for _, block in blocks]
        docs = nlp.tokenizer.pipe((b for (_, b), s in zip(blocks, split, strict=True) if s),
                                  batch_size=SPACY_BATCH_SIZE)
        records: list[SentenceRecord] = []
        seen: dict[str, int] = {}
        for block_no, ((offset, block), needs_split) in enumerate(zip(blocks, split, strict=True)):
            spans = _sentence_spans(next(docs), block, punct) if needs_split else [(0, len(block))]
            for start, end in spans:
                sentence = block[start:end]
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


@lru_cache(maxsize=4)
def _final_chars(nlp) -> re.Pattern:
    """Matches any of the sentencizer's sentence-final characters (matches everywhere if some are not single
    characters, so every block is tokenized)."""
    chars = nlp.get_pipe("sentencizer").punct_chars
    if not chars or any(len(char) != 1 for char in chars):
        return re.compile("")
    return re.compile("[" + "".join(re.escape(char) for char in sorted(chars)) + "]")


@lru_cache(maxsize=4)
def _punct_orths(nlp) -> frozenset[int]:
    """String hashes of the sentencizer's sentence-final characters."""
    return frozenset(nlp.vocab.strings.add(char) for char in nlp.get_pipe("sentencizer").punct_chars)


def _sentence_starts(orths: list[int], is_punct: list[int], punct: frozenset[int]) -> list[int]:
    """Token positions that start a sentence: spaCy's ``Sentencizer.predict`` rule, on plain integer lists.

    A sentence starts at the first token after a sentence-final character that is neither punctuation nor
    sentence-final itself (so closing quotes and brackets stay with the sentence they end).
    """
    starts = [0]
    seen_period = False
    for i, (orth, punctuation) in enumerate(zip(orths, is_punct, strict=True)):
        final = orth in punct
        if seen_period and not punctuation and not final:
            if i > 0:
                starts.append(i)
            seen_period = False
        elif final:
            seen_period = True
    return starts


def _sentence_spans(doc, text: str, punct: frozenset[int]) -> Iterator[tuple[int, int]]:
    """Character spans of the sentences of a tokenized block, trimmed of whitespace; whitespace-only dropped.

    ``text`` is ``doc.text``. Works on token arrays (no Token/Span objects, no rebuilding ``doc.text`` per
    sentence): a sentence runs from its first token to the next sentence's first token, which differs from
    ``Span.end_char`` only by trailing whitespace, trimmed anyway. Same spans as the sentencizer + ``doc.sents``.
    """
    if len(doc) == 0:
        return
    idx, orths, is_punct = doc.to_array(["IDX", "ORTH", "IS_PUNCT"]).T.tolist()
    bounds = [idx[i] for i in _sentence_starts(orths, is_punct, punct)] + [len(text)]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            start += len(chunk) - len(chunk.lstrip())
            yield start, start + len(stripped)
