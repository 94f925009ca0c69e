"""Sentence segmentation: article text -> one record per sentence, with stable ids and exact offsets.

Each text block (a non-blank line) is segmented on its own with spaCy's blank English tokenizer and the
rule-based sentencizer, so no sentence crosses a line break. Offsets index the article text as decoded
(CRLF and all), so ``text[char_start:char_end] == record["text"]``.

Sentence ids are ``<article_id>:<first 12 hex of sha1(sentence text)>``, with ``.<n>`` appended to the n-th
(n >= 2) repeat of the same text within the article. They depend only on the article's own text, so they are
stable across reruns and unaffected by any other article, and survive edits elsewhere in the same article.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, TypedDict

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language

try:  # the compiled chunk scan (optional: the Python scan gives the same chunks where it is not built)
    from winnow import _speedups
except ImportError:  # pragma: no cover - depends on the install
    _speedups = None

_BLOCK = re.compile(r"[^\r\n]+")
SEGMENT_GROUP = 16  # pages segmented together: their new chunks go to spaCy's tokenizer in one call


class SentenceRecord(TypedDict):
    article_id: str
    sentence_id: str | None  # None where segment_many(ids=False) was asked not to compute it
    block: int  # 0-based number of the text block (non-blank line) in the article
    index: int  # 0-based position of the sentence in the article
    char_start: int
    char_end: int
    text: str


def sentence_pipeline():
    """spaCy blank English + sentencizer, for segmentation only: its vocabulary computes only the lexeme
    attribute segmentation reads (IS_PUNCT). spaCy makes every new token a lexeme, and computing all the
    others (shape, like_num, stop word...) took longer than tokenizing; token boundaries do not depend on them.
    """
    import spacy
    from spacy.attrs import IS_PUNCT

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.vocab.lex_attr_getters = {IS_PUNCT: nlp.vocab.lex_attr_getters[IS_PUNCT]}
    tail_search = TailSuffixSearch.for_pattern(nlp.tokenizer.suffix_search, nlp.Defaults.suffixes)
    if tail_search is not None:
        nlp.tokenizer.suffix_search = tail_search
    return nlp


class TailSuffixSearch:
    """spaCy's suffix search, giving the same match, started near the end of the string.

    The suffix pattern is an alternation of some eighty suffixes each anchored at the end (``piece$``), and
    ``re.search`` tries every one of them at every position of the string: that took most of spaCy's tokenizing
    time. A suffix at most ``width`` characters long can only start in the last ``width + 1`` positions (the
    one extra for ``$`` matching before a final newline), and the search there sees the same characters (a
    lookbehind reads before the start position). The suffixes of unbounded length (an ellipsis of any length) are
    searched for on their own first: where one starts earlier, the whole string is searched as spaCy does.
    """

    def __init__(self, pattern: re.Pattern, unbounded: re.Pattern | None, width: int):
        self.search_all = pattern.search
        self.unbounded = unbounded
        self.width = width

    @classmethod
    def for_pattern(cls, search: Callable, suffixes: Iterable[str]) -> TailSuffixSearch | None:
        """For spaCy's ``tokenizer.suffix_search`` compiled from ``suffixes`` (``compile_suffix_regex``); None
        where it is not (another tokenizer keeps its own search)."""
        from re import _parser

        from spacy.util import compile_suffix_regex

        pattern = getattr(search, "__self__", None)
        pieces = [piece for piece in suffixes if piece.strip()]  # the pieces compile_suffix_regex keeps
        if not isinstance(pattern, re.Pattern) or compile_suffix_regex(pieces).pattern != pattern.pattern:
            return None
        widths = [_parser.parse(f"{piece}$", pattern.flags).getwidth()[1] for piece in pieces]
        bounded = [width for width in widths if width < _parser.MAXREPEAT]
        unbounded = [piece for piece, width in zip(pieces, widths, strict=True) if width >= _parser.MAXREPEAT]
        unbounded_pattern = re.compile(compile_suffix_regex(unbounded).pattern, pattern.flags) if unbounded else None
        return cls(pattern, unbounded_pattern, max(bounded, default=0))

    def __call__(self, string: str) -> re.Match | None:
        start = len(string) - self.width - 1
        if start <= 0:
            return self.search_all(string)
        if self.unbounded is not None:
            early = self.unbounded.search(string)
            if early is not None and early.start() < start:
                return self.search_all(string)
        return self.search_all(string, start)


def iter_blocks(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, block_text)`` for each non-blank line, stripped of surrounding whitespace."""
    if _speedups is not None:  # the same blocks, found by a compiled scan (tests compare the two)
        return iter(_speedups.blocks(text))
    return _iter_blocks_python(text)


def _iter_blocks_python(text: str) -> Iterator[tuple[int, str]]:
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


def segment_many(articles: Iterable[tuple[str, str]], ids: bool = True) -> Iterator[list[SentenceRecord]]:
    """Segment many ``(article_id, text)`` pairs (see :class:`_Sentencizer` for how spaCy is used).

    ``ids=False`` sets every ``sentence_id`` to None, for callers that never read it (cleaning text): a SHA-1
    per sentence is a fifth of segmentation's time.
    """
    for page in segment_pages(articles, ids):
        yield list(page)


def segment_pages(articles: Iterable[tuple[str, str]], ids: bool = True) -> Iterator[PageSentences]:
    """:func:`segment_many` as :class:`PageSentences`: the same sentences, kept as columns (cleaning reads the
    columns and never needs a record per sentence). Pages are read :data:`SEGMENT_GROUP` at a time and their
    chunks tokenized together (one spaCy call per group: per page, its overhead cost a fifth of segmentation);
    each page's sentences are those it gets alone."""
    sentencizer = _sentencizer()
    articles = iter(articles)
    while group := list(itertools.islice(articles, SEGMENT_GROUP)):
        pages = [(article_id, list(iter_blocks(text))) for article_id, text in group]
        spans = sentencizer.split([block for _, blocks in pages for _, block in blocks])  # blocks are independent
        at = 0
        for article_id, blocks in pages:
            numbers, starts, ends, sentences = page_columns(blocks, spans[at:at + len(blocks)])
            at += len(blocks)
            yield PageSentences(article_id, numbers, starts, ends, sentences, sentence_ids(article_id, sentences)
                                if ids else None)


def sentence_ids(article_id: str, sentences: Sequence[str]) -> list[str]:
    """The ids of a page's sentences, in order (:func:`sentence_id`)."""
    seen: dict[str, int] = {}
    return [sentence_id(article_id, sentence, seen) for sentence in sentences]


def page_columns(blocks: list[tuple[int, str]], spans: list[list[tuple[int, int]]],
                 ) -> tuple[list[int], list[int], list[int], list[str]]:
    """A page's sentences as columns (block numbers, starts, ends, texts) from its blocks ``(offset, block)``
    and the sentence spans of each block (offsets into the block)."""
    if _speedups is not None:  # the same columns, compiled (tests compare the two)
        return _speedups.page_columns(blocks, spans)
    return _page_columns_python(blocks, spans)


def _page_columns_python(blocks: list[tuple[int, str]], spans: list[list[tuple[int, int]]],
                         ) -> tuple[list[int], list[int], list[int], list[str]]:
    numbers: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    texts: list[str] = []
    for block_no, ((offset, block), block_spans) in enumerate(zip(blocks, spans, strict=True)):
        for start, end in block_spans:
            numbers.append(block_no)
            starts.append(offset + start)
            ends.append(offset + end)
            texts.append(block[start:end])
    return numbers, starts, ends, texts


@dataclass(frozen=True)
class PageSentences(Sequence):
    """One page's sentences, in order, as columns; read as a sequence it gives the :class:`SentenceRecord`
    dicts (built on access). ``sentence_ids`` is None where they were not asked for."""

    article_id: str
    blocks: list[int]
    char_starts: list[int]
    char_ends: list[int]
    texts: list[str]
    sentence_ids: list[str] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def renamed(self, article_id: str, ids: bool) -> PageSentences:
        """The same sentences as the page ``article_id`` (with their ids where ``ids``, else none)."""
        return dataclasses.replace(self, article_id=article_id,
                                   sentence_ids=sentence_ids(article_id, self.texts) if ids else None)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return {  # a SentenceRecord (a dict display: several times faster than calling the type)
            "article_id": self.article_id,
            "sentence_id": None if self.sentence_ids is None else self.sentence_ids[i],
            "block": self.blocks[i],
            "index": range(len(self))[i],
            "char_start": self.char_starts[i],
            "char_end": self.char_ends[i],
            "text": self.texts[i],
        }

    def __iter__(self) -> Iterator[SentenceRecord]:
        ids = self.sentence_ids if self.sentence_ids is not None else [None] * len(self)
        for index, (sentence_id_, block, start, end, text) in enumerate(
                zip(ids, self.blocks, self.char_starts, self.char_ends, self.texts, strict=True)):
            yield {"article_id": self.article_id, "sentence_id": sentence_id_, "block": block, "index": index,
                   "char_start": start, "char_end": end, "text": text}


@lru_cache(maxsize=1)
def _sentencizer() -> _Sentencizer:
    return _Sentencizer(sentence_pipeline)


class _Sentencizer:
    """spaCy's tokenizer + sentencizer rule, run only where a sentence boundary can be.

    spaCy's tokenizer splits text on whitespace first and tokenizes every whitespace-free *chunk* on its own
    (prefixes, suffixes, infixes, exceptions such as "U.S." all live inside a chunk). The sentencizer starts a
    sentence at the first token after a sentence-final token (one whose text is exactly one of its
    ``punct_chars``) that is neither punctuation nor sentence-final. So only chunks holding a sentence-final
    character, and the chunks right after them, can move a boundary: those are tokenized with spaCy (each
    distinct chunk once, many per call, cached); the rest of the text is never tokenized. A whitespace run
    other than a single space is a whitespace token for spaCy, which ends the run of punctuation. Spans are
    those of ``nlp(block).sents``, trimmed of whitespace (a test checks this on real pages).
    """

    CACHE_LIMIT = 200_000  # distinct chunks kept (the cache only saves time: results never depend on it)

    def __init__(self, pipeline: Callable[[], Language]):
        """``pipeline`` builds the spaCy pipeline: it is built afresh whenever the chunk cache is cleared, as
        spaCy's vocabulary and tokenizer cache keep every token ever seen (memory would grow without bound over
        millions of pages)."""
        self.pipeline = pipeline
        self.nlp = nlp = pipeline()
        self.special_cases = frozenset(nlp.tokenizer.rules)
        self._word_then_stop = re.compile(r"[A-Za-z]*[a-z][.!?]")
        self._word_stop_close = re.compile(r"[A-Za-z]*[a-z](?:[.!?][\"”)'’\]»]|[\"”)'’\]»][.!?])")
        punct_chars = nlp.get_pipe("sentencizer").punct_chars
        self.final_chars = frozenset(punct_chars)
        self.final_orths = np.array(sorted(nlp.vocab.strings.add(char) for char in punct_chars), dtype=np.uint64)
        if not punct_chars or any(len(char) != 1 for char in punct_chars):
            raise ValueError("the sentencizer's punct_chars must be single characters")
        chars = "".join(re.escape(char) for char in sorted(punct_chars))
        self.final_char = re.compile(f"[{chars}]")
        self.run = re.compile(r"\S*")
        self.follower = re.compile(r" (\S+)")
        self.whitespace = re.compile(r"\s+")
        self.chunk = re.compile(r"\S+")
        self.cache: dict[str, tuple[tuple[int, bool, bool], ...]] = {}
        self.compiled = _speedups.ChunkFinder(punct_chars) if _speedups is not None else None

    def split(self, blocks: list[str]) -> list[list[tuple[int, int]]]:
        """Character spans of the sentences of each block (stripped, non-empty lines)."""
        if self.compiled is not None:  # the same spans, compiled (tests compare the two)
            candidates, missing = self.compiled.needed(blocks, self.cache)
            self._tokenize(missing)
            return self.compiled.spans(blocks, candidates, self.cache, self._tokens)
        return self._split_python(blocks)

    def _split_python(self, blocks: list[str]) -> list[list[tuple[int, int]]]:
        candidates = [self._candidates_python(block) for block in blocks]
        needed: set[str] = set()
        for block, chunks in zip(blocks, candidates, strict=True):
            for start, end in chunks:
                needed.add(block[start:end])
                follower = self.follower.match(block, end)
                if follower and _may_start_punctuation(follower.group(1)):
                    needed.add(follower.group(1))
        self._tokenize([chunk for chunk in needed if chunk not in self.cache])
        return [self._spans(block, matches) if matches else [(0, len(block))]
                for block, matches in zip(blocks, candidates, strict=True)]

    def _candidates_python(self, block: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every whitespace-free chunk holding a sentence-final character, in order: found
        from the final characters (a fast scan) by extending each to its chunk, backwards on the reversed
        block (``ChunkFinder.candidates`` is the compiled scan)."""
        chunks: list[tuple[int, int]] = []
        reversed_block, end = "", -1
        for match in self.final_char.finditer(block):
            position = match.start()
            if position < end:  # in the chunk found last
                continue
            reversed_block = reversed_block or block[::-1]
            start = len(block) - self.run.match(reversed_block, len(block) - 1 - position).end()
            end = self.run.match(block, position).end()
            chunks.append((start, end))
        return chunks

    def _tokenize(self, chunks: list[str]) -> None:
        if not chunks:
            return
        if len(self.cache) + len(chunks) > self.CACHE_LIMIT:
            self.cache.clear()
            self.nlp = self.pipeline()
        plain = [chunk for chunk in chunks if self._is_word_then_stop(chunk)]
        self.cache.update((chunk, ((0, False, False), (len(chunk) - 1, True, True))) for chunk in plain)
        chunks = [chunk for chunk in chunks if chunk not in self.cache]
        self.cache.update((chunk, tokens) for chunk in chunks if (tokens := self._word_stop_and_close(chunk)))
        chunks = [chunk for chunk in chunks if chunk not in self.cache]
        if not chunks:
            return
        chunks.sort()  # one call per set of chunks, in a fixed order
        doc = self.nlp.tokenizer(" ".join(chunks))
        idx, orth, punct = doc.to_array(["IDX", "ORTH", "IS_PUNCT"]).T
        idx = idx.astype(np.int64)
        chunk_starts = np.cumsum([0] + [len(chunk) + 1 for chunk in chunks[:-1]])
        chunk_of = np.searchsorted(chunk_starts, idx, side="right") - 1
        final = np.isin(orth, self.final_orths)
        columns = zip((idx - chunk_starts[chunk_of]).tolist(), final.tolist(), (punct != 0).tolist(), strict=True)
        bounds = np.searchsorted(chunk_of, np.arange(len(chunks) + 1)).tolist()
        tokens = list(columns)
        self.cache.update((chunk, tuple(tokens[lo:hi]))
                          for chunk, lo, hi in zip(chunks, bounds[:-1], bounds[1:], strict=True))

    def _is_word_then_stop(self, chunk: str) -> bool:
        """About half the chunks spaCy would tokenize are an ASCII word and one stop ("said." "Why?"): spaCy
        splits off the stop as a sentence-final punctuation token, unless the chunk or its word is one of its
        special cases ("Jan.", "Mr.", "Wed." is "We" + "d."); such chunks are not tokenized (tests check them
        against spaCy)."""
        return (self._word_then_stop.fullmatch(chunk) is not None and chunk[-1] in self.final_chars
                and chunk not in self.special_cases and chunk[:-1] not in self.special_cases)

    def _word_stop_and_close(self, chunk: str) -> tuple[tuple[int, bool, bool], ...] | None:
        """The tokens of an ASCII word, a stop and a closing quote or bracket, in either order ('said."',
        'it).'), the next most common chunks: spaCy splits off both as punctuation, unless the chunk, the word or
        the word and its first mark is one of its special cases ('x."' is "x." and '"'); None for any other
        chunk (tests check them against spaCy)."""
        if (self._word_stop_close.fullmatch(chunk) is None or chunk in self.special_cases
                or chunk[:-1] in self.special_cases or chunk[:-2] in self.special_cases):
            return None
        n = len(chunk)
        return ((0, False, False), (n - 2, chunk[-2] in self.final_chars, True),
                (n - 1, chunk[-1] in self.final_chars, True))

    def _tokens(self, chunk: str) -> tuple[tuple[int, bool, bool], ...]:
        if chunk not in self.cache:
            self._tokenize([chunk])
        return self.cache[chunk]

    def _spans(self, block: str, candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
        starts, position = [0], 0
        candidate_starts = {start for start, _ in candidates}
        for start, end in candidates:
            if start < position:  # already read as the chunk after a sentence-final one
                continue
            seen_final = self._advance(block[start:end], start, False, starts)
            position = end
            while seen_final and position < len(block):
                gap = self.whitespace.match(block, position)
                if gap.group() != " ":  # a whitespace token: neither punctuation nor sentence-final
                    starts.append(gap.start())
                    break
                chunk = self.chunk.match(block, gap.end())
                if chunk.start() in candidate_starts or _may_start_punctuation(chunk.group()):
                    seen_final = self._advance(chunk.group(), chunk.start(), True, starts)
                else:  # its first token is not punctuation, and none of its tokens is sentence-final
                    starts.append(chunk.start())
                    seen_final = False
                position = chunk.end()
        return _trimmed_python(block, starts)

    def _advance(self, chunk: str, offset: int, seen_final: bool, starts: list[int]) -> bool:
        """Run the sentencizer rule over one chunk's tokens; append sentence starts; return the state."""
        for start, final, punct in self._tokens(chunk):
            if seen_final and not punct and not final:
                if offset + start > 0:
                    starts.append(offset + start)
                seen_final = False
            elif final:
                seen_final = True
        return seen_final


def _may_start_punctuation(chunk: str) -> bool:
    """Whether the first token of a whitespace-free chunk can be punctuation: spaCy's IS_PUNCT holds only for a
    token of punctuation characters (Unicode category P*), and the first token starts with the chunk's first
    character. A chunk after a sentence-final token that cannot (and holds no sentence-final character) starts
    the next sentence without being tokenized."""
    return unicodedata.category(chunk[0]).startswith("P")


def _trimmed_python(block: str, starts: list[int]) -> list[tuple[int, int]]:
    """Spans between consecutive starts, trimmed of whitespace; whitespace-only spans dropped."""
    spans = []
    for start, end in zip(starts, starts[1:] + [len(block)], strict=True):
        piece = block[start:end]
        stripped = piece.strip()
        if stripped:
            start += len(piece) - len(piece.lstrip())
            spans.append((start, start + len(stripped)))
    return spans
