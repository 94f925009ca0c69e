"""Silver labels: align a page's gold main text with its rendered dump and label every dump sentence.

A benchmark page gives HTML and the gold main-content text. We render the HTML the way our users' dumps
look (:func:`winnow.textio.render_html`), segment it like ``data/raw`` (:mod:`winnow.segment`), and call a
sentence ``content`` when its words are found, *in sequence*, in the gold text.

How the alignment works (plain functions, no state):

1. Both texts become sequences of normalised word tokens (:func:`tokenize`): accents and case folded,
   NFKC, soft hyphens and zero-width characters dropped, HTML entities skipped (the gold is unescaped
   first). Punctuation and whitespace vanish, so quote styles, dashes and line breaks never matter.
   A token unknown to the other side that is 2-4 of its words run together (a space lost around an inline
   tag: "andoccasionally") is split into those words.
2. Gold paragraphs repeated verbatim more often than the dump holds them are collapsed (some corpora label
   nested blocks twice).
3. :func:`align` matches the token sequences in order (``difflib.SequenceMatcher``, autojunk off; long
   pages are first cut at unique k-gram anchors, patience-diff style), then matches what is left unmatched
   on both sides again, so blocks the page shows in another order than the gold are found too. Every token
   is matched at most once, so a caption quoting the body cannot take the body's match.
4. A matched run is *kept* only if it is long (``min_run`` tokens); or a whole gold paragraph matching a
   whole dump line in order (a short heading; out of order a run must be ``reorder_min_run`` long); or
   within ``gap`` tokens of a kept run on both sides, in the same gold paragraph and dump line (a changed
   word inside a matched line). An isolated short match -- a menu word like "Share" that also occurs in
   the body -- is never kept.
5. The article's own headline is boilerplate in this project (annotation guidelines); where a corpus puts
   it at the top of the gold (it matches the page's <title>/<h1> or gold_title), it is dropped first.
6. A sentence's ``align_score`` is the share of its tokens that are kept matches; ``content`` if it is at
   least ``content_threshold``. Sentences without word tokens score 0 (``boilerplate``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

# A word token; soft hyphen, zero-width characters and combining marks stay inside the word they split.
_TOKEN = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]{2,8});|[\w\u00ad\u200b-\u200d\u2060\u0300-\u036f]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LINE = re.compile(r"[^\r\n]+")
DIRECT_MATCH_CELLS = 4_000_000  # below len(a) * len(b), SequenceMatcher runs on the whole range at once
ANCHOR_K = 6  # k-gram length of the unique anchors that cut long sequences
MAX_SPLIT_CHARS = 40  # longer unknown tokens (URLs, codes) are never split into words
_TITLE_ELEMENT = re.compile(r"<(title|h1)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
MAX_HEADLINE_PARAGRAPHS = 2
MAX_HEADLINE_TOKENS = 40
HEADLINE_OVERLAP = 0.8


@dataclass(frozen=True)
class AlignConfig:
    """Alignment and labelling thresholds (in tokens / score)."""

    min_run: int = 4  # a matched run this long is kept on its own
    gap: int = 3  # a shorter run is kept if a kept run is at most this many tokens away on both sides
    reorder_min_run: int = 5  # runs matched out of order must be at least this long (or a whole paragraph)
    reorder_passes: int = 6
    content_threshold: float = 0.5
    ambiguous_low: float = 0.2  # scores strictly between low and high count as ambiguous in the report
    ambiguous_high: float = 0.8


DEFAULT_CONFIG = AlignConfig()


@dataclass
class Tokens:
    """Normalised tokens of a text with their character spans and grouping (paragraph or line number)."""

    words: list[str]
    starts: list[int]
    ends: list[int]
    groups: list[int]


@dataclass
class Alignment:
    """One-to-one token alignment: ``dump_to_gold[j]`` is the gold index matched to dump token j, or -1."""

    dump_to_gold: list[int]
    gold_to_dump: list[int]


@lru_cache(maxsize=200_000)
def normalise_word(word: str) -> str:
    """Fold one raw token: drop invisibles, NFKD, strip combining marks, casefold, NFKC."""
    if word.isascii():
        return word.lower()
    word = _INVISIBLE.sub("", word)
    decomposed = unicodedata.normalize("NFKD", word)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", stripped.casefold())


def tokenize(text: str, groups: Sequence[tuple[int, int]] | None = None) -> Tokens:
    """Word tokens of ``text`` with spans; ``groups`` are (start, end) spans (lines, paragraphs) that number
    each token's group (tokens outside every span are dropped); without them all tokens are group 0."""
    tokens = Tokens([], [], [], [])
    for number, (start, end) in enumerate(groups if groups is not None else [(0, len(text))]):
        for match in _TOKEN.finditer(text, start, end):
            raw = match.group()
            if raw[0] == "&":
                continue  # an HTML entity left in the text: not a word
            word = normalise_word(raw)
            if word:
                tokens.words.append(word)
                tokens.starts.append(match.start())
                tokens.ends.append(match.end())
                tokens.groups.append(number)
    return tokens


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line of the dump (the segmenter's blocks)."""
    return [(m.start(), m.end()) for m in _LINE.finditer(text)]


def gold_paragraphs(gold_text: str) -> list[str]:
    """Gold paragraphs (blank-line separated; single lines too), HTML entities unescaped."""
    text = html.unescape(gold_text or "")
    return [line.strip() for para in _PARAGRAPH_BREAK.split(text) for line in para.splitlines() if line.strip()]


def dedupe_gold(gold: Tokens, dump_words: Sequence[str]) -> tuple[Tokens, int]:
    """Drop verbatim repeats of a gold paragraph (token group) beyond the number of times the dump holds
    it (at least one copy is kept); return the kept tokens and the number of paragraphs dropped."""
    keys: dict[int, list[str]] = {}
    for word, group in zip(gold.words, gold.groups, strict=True):
        keys.setdefault(group, []).append(word)
    joined = {group: " ".join(words) for group, words in keys.items()}
    counts = Counter(joined.values())
    repeated = {key for key, count in counts.items() if count > 1}
    if not repeated:
        return gold, 0
    dump_joined = f" {' '.join(dump_words)} "
    allowed = {key: max(1, dump_joined.count(f" {key} ")) for key in repeated}
    seen: Counter[str] = Counter()
    dropped_groups = set()
    for group, key in joined.items():
        seen[key] += 1
        if key in allowed and seen[key] > allowed[key]:
            dropped_groups.add(group)
    keep = [n for n, group in enumerate(gold.groups) if group not in dropped_groups]
    kept = Tokens([gold.words[n] for n in keep], [gold.starts[n] for n in keep], [gold.ends[n] for n in keep],
                  [gold.groups[n] for n in keep])
    return kept, len(dropped_groups)


def html_titles(page_html: str) -> list[str]:
    """Texts of the page's <title> and <h1> elements (tags stripped, entities unescaped)."""
    return [text for m in _TITLE_ELEMENT.finditer(page_html or "")
            if (text := " ".join(html.unescape(_TAG.sub(" ", m.group(2))).split()))]


def headline_count(paragraphs: list[str], titles: Sequence[str]) -> int:
    """How many leading gold paragraphs (0-2) are the page's headline rather than body text.

    The project labels an article's own title ``boilerplate`` (kind headline), but some corpora put it at
    the top of the gold. A leading paragraph is a headline if it is short and at least 80% of its tokens
    form one contiguous run of a title (the <title>/<h1> text or the corpus's gold_title); the second
    paragraph is checked only when the first was a headline (kicker + title, or title + subtitle).
    """
    title_words = [tokenize(title).words for title in titles]
    count = 0
    for para in paragraphs[:MAX_HEADLINE_PARAGRAPHS]:
        words = tokenize(para).words
        if not 0 < len(words) <= MAX_HEADLINE_TOKENS or not _in_a_title(words, title_words):
            break
        count += 1
    return count


def _in_a_title(words: list[str], titles: list[list[str]]) -> bool:
    for title in titles:
        if not title:
            continue
        match = SequenceMatcher(None, words, title, autojunk=False).find_longest_match(0, len(words), 0, len(title))
        if match.size >= HEADLINE_OVERLAP * len(words):
            return True
    return False


def gold_tokens(paragraphs: list[str]) -> Tokens:
    """Tokens of the gold paragraphs joined by blank lines; groups are paragraph numbers."""
    text = "\n\n".join(paragraphs)
    spans, offset = [], 0
    for para in paragraphs:
        spans.append((offset, offset + len(para)))
        offset += len(para) + 2
    return tokenize(text, spans)


def split_joined(tokens: Tokens, other: Tokens, max_parts: int = 4) -> Tokens:
    """Split tokens unknown to ``other`` that are 2..max_parts of its words run together (a space lost
    around an inline tag: "andoccasionally"; or "email" vs "e-mail"). Parts keep the token's span."""
    known = set(other.words)
    out = Tokens([], [], [], [])
    for word, start, end, group in zip(tokens.words, tokens.starts, tokens.ends, tokens.groups, strict=True):
        parts = (word,) if word in known else (_split_word(word, known, max_parts) or (word,))
        for part in parts:
            out.words.append(part)
            out.starts.append(start)
            out.ends.append(end)
            out.groups.append(group)
    return out


def _split_word(word: str, known: set[str], max_parts: int) -> tuple[str, ...] | None:
    """The split of ``word`` into at most ``max_parts`` known words, longest first part first; or None."""
    if max_parts < 2 or len(word) > MAX_SPLIT_CHARS:
        return None
    for cut in range(len(word) - 1, 0, -1):
        head, tail = word[:cut], word[cut:]
        if head not in known:
            continue
        if tail in known:
            return head, tail
        rest = _split_word(tail, known, max_parts - 1)
        if rest:
            return (head, *rest)
    return None


def _encode(gold: Sequence[str], dump: Sequence[str]) -> tuple[list[int], list[int]]:
    vocab: dict[str, int] = {}
    gold_ids = [vocab.setdefault(word, len(vocab)) for word in gold]
    dump_ids = [vocab.setdefault(word, len(vocab)) for word in dump]
    return gold_ids, dump_ids


def _runs(matched: Sequence[int]) -> list[tuple[int, int]]:
    """Maximal (start, end) runs of unmatched (-1) positions."""
    runs, start = [], None
    for pos, value in enumerate(matched):
        if value < 0 and start is None:
            start = pos
        elif value >= 0 and start is not None:
            runs.append((start, pos))
            start = None
    if start is not None:
        runs.append((start, len(matched)))
    return runs


def _residual(ids: Sequence[int], runs: list[tuple[int, int]], sentinel_base: int) -> tuple[list[int], list[int]]:
    """Concatenate the unmatched runs with unique negative sentinels between them; return seq + index map."""
    seq, index = [], []
    for n, (start, end) in enumerate(runs):
        if n:
            seq.append(sentinel_base - n)
            index.append(-1)
        seq.extend(ids[start:end])
        index.extend(range(start, end))
    return seq, index


def _is_whole_block(start: int, size: int, groups: Sequence[int]) -> bool:
    """True if tokens [start, start+size) are exactly all tokens of one group (paragraph or line)."""
    group = groups[start]
    if groups[start + size - 1] != group:
        return False
    before_ok = start == 0 or groups[start - 1] != group
    after_ok = start + size == len(groups) or groups[start + size] != group
    return before_ok and after_ok


def _near_kept(block: tuple[int, int, int], alignment: Alignment, gold: Tokens, dump: Tokens, gap: int) -> bool:
    """True if a kept match lies within ``gap`` tokens before or after the block, on both sides, in the same
    gold paragraph and the same dump line (a word changed inside a matched line, not a menu item nearby)."""
    i, j, size = block
    g2d = alignment.gold_to_dump
    for di in range(1, gap + 2):
        for dj in range(1, gap + 2):
            bi, bj = i - di, j - dj
            if bi >= 0 and bj >= 0 and g2d[bi] == bj and _same_groups(bi, i, bj, j, gold, dump):
                return True
            ai, aj = i + size - 1 + di, j + size - 1 + dj
            if ai < len(g2d) and g2d[ai] == aj and _same_groups(ai, i, aj, j, gold, dump):
                return True
    return False


def _same_groups(i1: int, i2: int, j1: int, j2: int, gold: Tokens, dump: Tokens) -> bool:
    return gold.groups[i1] == gold.groups[i2] and dump.groups[j1] == dump.groups[j2]


def _keep(block: tuple[int, int, int], alignment: Alignment) -> None:
    i, j, size = block
    for k in range(size):
        alignment.gold_to_dump[i + k] = j + k
        alignment.dump_to_gold[j + k] = i + k


def _accept(blocks: list[tuple[int, int, int]], alignment: Alignment, gold: Tokens, dump: Tokens,
            min_run: int, gap: int, whole_blocks: bool = True) -> int:
    """Keep long blocks and (if ``whole_blocks``) whole-paragraph = whole-line blocks, then short blocks
    near kept ones, until nothing changes; return how many blocks were kept."""
    pending, kept = [], 0
    for block in blocks:
        i, j, size = block
        whole = whole_blocks and _is_whole_block(i, size, gold.groups) and _is_whole_block(j, size, dump.groups)
        if size >= min_run or whole:
            _keep(block, alignment)
            kept += 1
        else:
            pending.append(block)
    changed = True
    while changed and pending:
        changed, rest = False, []
        for block in pending:
            if _near_kept(block, alignment, gold, dump, gap):
                _keep(block, alignment)
                kept += 1
                changed = True
            else:
                rest.append(block)
        pending = rest
    return kept


def _matching_blocks(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int, int]]:
    """In-order matching blocks (i, j, size) of two token-id sequences, adjacent blocks merged.

    Long sequences are first cut at anchors -- k-grams that occur exactly once in each and keep their order
    (patience diff) -- and only the gaps between anchors go to SequenceMatcher, whose cost grows with the
    product of the lengths on pages with many common words.
    """
    blocks = sorted(_blocks(a, b, 0, len(a), 0, len(b)))
    merged: list[tuple[int, int, int]] = []
    for i, j, size in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + size)
        else:
            merged.append((i, j, size))
    return merged


def _blocks(a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int
            ) -> list[tuple[int, int, int]]:
    if ahi <= alo or bhi <= blo:
        return []
    if (ahi - alo) * (bhi - blo) <= DIRECT_MATCH_CELLS:
        return _difflib_blocks(a, b, alo, ahi, blo, bhi)
    anchors = _anchor_blocks(a, b, alo, ahi, blo, bhi)
    if not anchors:
        return _difflib_blocks(a, b, alo, ahi, blo, bhi)
    out, i, j = [], alo, blo
    for ai, bj, size in anchors:
        out += _blocks(a, b, i, ai, j, bj)
        out.append((ai, bj, size))
        i, j = ai + size, bj + size
    return out + _blocks(a, b, i, ahi, j, bhi)


def _difflib_blocks(a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int
                    ) -> list[tuple[int, int, int]]:
    matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
    return [(alo + m.a, blo + m.b, m.size) for m in matcher.get_matching_blocks() if m.size]


def _anchor_blocks(a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int,
                   k: int = ANCHOR_K) -> list[tuple[int, int, int]]:
    """Non-overlapping in-order blocks grown from k-grams unique in both ranges (longest increasing chain)."""
    a_grams = _unique_grams(a, alo, ahi, k)
    b_grams = _unique_grams(b, blo, bhi, k)
    pairs = sorted((i, b_grams[gram]) for gram, i in a_grams.items() if gram in b_grams)
    chain = _longest_increasing([j for _, j in pairs])
    blocks: list[tuple[int, int, int]] = []
    for n in chain:
        i, j = pairs[n]
        if blocks:
            pi, pj, ps = blocks[-1]
            if i - pi == j - pj and i <= pi + ps:  # same diagonal, overlapping: extend
                blocks[-1] = (pi, pj, i + k - pi)
                continue
            if i < pi + ps or j < pj + ps:  # overlaps on one side only: skip
                continue
        blocks.append((i, j, k))
    return _extend(a, b, blocks, (alo, blo), (ahi, bhi))


def _extend(a: Sequence[int], b: Sequence[int], blocks: list[tuple[int, int, int]],
            low: tuple[int, int], high: tuple[int, int]) -> list[tuple[int, int, int]]:
    """Grow each block along its diagonal while tokens agree, up to its neighbours (as difflib does)."""
    out: list[tuple[int, int, int]] = []
    for n, (i, j, size) in enumerate(blocks):
        lo_i, lo_j = (out[-1][0] + out[-1][2], out[-1][1] + out[-1][2]) if out else low
        hi_i, hi_j = (blocks[n + 1][0], blocks[n + 1][1]) if n + 1 < len(blocks) else high
        while i > lo_i and j > lo_j and a[i - 1] == b[j - 1]:
            i, j, size = i - 1, j - 1, size + 1
        while i + size < hi_i and j + size < hi_j and a[i + size] == b[j + size]:
            size += 1
        out.append((i, j, size))
    return out


def _unique_grams(seq: Sequence[int], lo: int, hi: int, k: int) -> dict[tuple[int, ...], int]:
    first: dict[tuple[int, ...], int] = {}
    repeated: set[tuple[int, ...]] = set()
    for pos in range(lo, hi - k + 1):
        gram = tuple(seq[pos:pos + k])
        if gram in first:
            repeated.add(gram)
        else:
            first[gram] = pos
    return {gram: pos for gram, pos in first.items() if gram not in repeated}


def _longest_increasing(values: list[int]) -> list[int]:
    """Indices of a longest strictly increasing subsequence of ``values`` (O(n log n))."""
    tails: list[int] = []  # values[tails[m]] = smallest tail of an increasing run of length m + 1
    tail_values: list[int] = []
    parent = [-1] * len(values)
    for n, value in enumerate(values):
        m = bisect_left(tail_values, value)
        parent[n] = tails[m - 1] if m else -1
        if m == len(tails):
            tails.append(n)
            tail_values.append(value)
        else:
            tails[m] = n
            tail_values[m] = value
    chain, n = [], tails[-1] if tails else -1
    while n >= 0:
        chain.append(n)
        n = parent[n]
    return chain[::-1]


def align(gold: Tokens, dump: Tokens, config: AlignConfig = DEFAULT_CONFIG) -> Alignment:
    """Align gold and dump tokens one-to-one: an in-order pass, then passes over the unmatched remainder."""
    alignment = Alignment([-1] * len(dump.words), [-1] * len(gold.words))
    if not gold.words or not dump.words:
        return alignment
    gold_ids, dump_ids = _encode(gold.words, dump.words)
    blocks = _matching_blocks(gold_ids, dump_ids)
    _accept(blocks, alignment, gold, dump, config.min_run, config.gap)
    for _ in range(config.reorder_passes):
        gold_runs, dump_runs = _runs(alignment.gold_to_dump), _runs(alignment.dump_to_gold)
        if not gold_runs or not dump_runs:
            break
        gold_seq, gold_index = _residual(gold_ids, gold_runs, -1)
        dump_seq, dump_index = _residual(dump_ids, dump_runs, -(10**9))
        blocks = [(gold_index[i], dump_index[j], size) for i, j, size in _matching_blocks(gold_seq, dump_seq)]
        # Out of order, a short whole-line match is too weak: a gold heading would take a menu item.
        if not _accept(blocks, alignment, gold, dump, config.reorder_min_run, config.gap, whole_blocks=False):
            break
    return alignment


def redundant_gold(gold: Tokens, alignment: Alignment, k: int = 5) -> list[bool]:
    """Unmatched gold tokens that repeat gold text matched elsewhere (a block the gold holds twice).

    Token i is redundant if a k-gram covering it also occurs at another gold position whose k tokens are
    all matched: the page shows that text once and it was already found, so it cannot be covered again.
    """
    words, g2d = gold.words, alignment.gold_to_dump
    matched_grams: set[tuple[str, ...]] = set()
    for p in range(len(words) - k + 1):
        if all(g2d[q] >= 0 for q in range(p, p + k)):
            matched_grams.add(tuple(words[p:p + k]))
    redundant = [False] * len(words)
    for p in range(len(words) - k + 1):
        if any(g2d[q] < 0 for q in range(p, p + k)) and tuple(words[p:p + k]) in matched_grams:
            for q in range(p, p + k):
                redundant[q] = redundant[q] or g2d[q] < 0
    return redundant


def sentence_scores(records: Sequence[dict[str, Any]], dump: Tokens, alignment: Alignment
                    ) -> list[tuple[int, int, list[int]]]:
    """Per sentence: (n_tokens, n_matched, dump token indices)."""
    out = []
    for record in records:
        first = bisect_left(dump.starts, record["char_start"])
        last = bisect_left(dump.starts, record["char_end"], lo=first)
        indices = list(range(first, last))
        matched = sum(1 for k in indices if alignment.dump_to_gold[k] >= 0)
        out.append((len(indices), matched, indices))
    return out


def label_sentences(records: Sequence[dict[str, Any]], rendered: str, gold_text: str,
                    config: AlignConfig = DEFAULT_CONFIG, titles: Sequence[str] = ()
                    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Label segmented dump sentences against the gold text; return (labelled records, page stats).

    Each returned record is the input record plus ``label``, ``align_score`` and ``n_tokens``. Stats count
    gold tokens, gold tokens covered by content sentences, content tokens, content tokens not in the gold,
    sentences, content and ambiguous sentences, collapsed duplicate gold paragraphs and gold tokens that
    repeat already matched gold text (``gold_redundant``, left out of the coverage denominator).
    ``titles`` (the page's <title>/<h1> texts, gold_title) let a headline at the top of the gold be dropped
    from it (counted as ``gold_headlines_dropped``), so the page's headline is labelled boilerplate.
    """
    dump = tokenize(rendered, line_spans(rendered))
    paragraphs = gold_paragraphs(gold_text)
    headlines = headline_count(paragraphs, titles)
    gold, dropped = dedupe_gold(gold_tokens(paragraphs[headlines:]), dump.words)
    gold, dump = split_joined(gold, dump), split_joined(dump, gold)
    alignment = align(gold, dump, config)
    labelled, content_tokens = [], []
    n_ambiguous = 0
    for record, (n_tokens, matched, indices) in zip(records, sentence_scores(records, dump, alignment),
                                                     strict=True):
        score = matched / n_tokens if n_tokens else 0.0
        label = "content" if n_tokens and score >= config.content_threshold else "boilerplate"
        if config.ambiguous_low < score < config.ambiguous_high:
            n_ambiguous += 1
        if label == "content":
            content_tokens.extend(indices)
        labelled.append({**record, "label": label, "align_score": round(score, 4), "n_tokens": n_tokens})
    stats = _page_stats(gold, dump, alignment, content_tokens)
    stats["gold_redundant"] = sum(redundant_gold(gold, alignment, config.min_run + 1))
    stats.update(n_sentences=len(labelled), n_content=sum(r["label"] == "content" for r in labelled),
                 n_ambiguous=n_ambiguous, gold_duplicates_dropped=dropped,
                 gold_headlines_dropped=headlines)
    return labelled, stats


def _page_stats(gold: Tokens, dump: Tokens, alignment: Alignment, content_tokens: list[int]) -> dict[str, int]:
    covered = sum(1 for k in content_tokens if alignment.dump_to_gold[k] >= 0)
    return {
        "gold_tokens": len(gold.words),
        "gold_matched": sum(1 for j in alignment.gold_to_dump if j >= 0),
        "gold_covered": covered,
        "dump_tokens": len(dump.words),
        "content_tokens": len(content_tokens),
        "content_unmatched": len(content_tokens) - covered,
    }
