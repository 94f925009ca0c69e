"""The vectorised hot paths give exactly what the plain per-sentence definitions give."""

import itertools
import os
import random
import re
import string
from functools import lru_cache

import numpy as np
import pytest
import spacy
from spacy.lang.en.stop_words import STOP_WORDS

from winnow.features import (
    _CAPTION,
    _META,
    _PROMO,
    _SOURCE_STAMP,
    _TIMESTAMP,
    _URLISH,
    _WORD,
    TEXT_FEATURES,
    text_features,
)
from winnow.segment import iter_blocks, segment_many, segment_pages, segment_text

from .conftest import SEED_FILES

TRICKY = [
    "", " ", "a", "ΟΔΟΣ ΣΑΣ ΟΔΌΣ", "İstanbul İİ STRASSE straße", "\udcff lone surrogate", "𝐀𝐁𝐂 123 ٣ ² ½ 𝟗",
    "line\nbreak\r\nhere", "Mr. Smith... left", "The end —", "“Quoted,” she said.)", "xxxxx", "\u00a0\u2003\t",
    "Updated 3h ago — 12:30 pm, Jan 5; 2024-01-05", "ǅemal ǅ ﬁne", "Subscribe to our newsletter | Sign up",
    "Photo: Getty Images / AP Photo © 2024", "JAN. 12 — SUBSCRIBE, PHOTO: GETTY; 3 COMMENTS, POSTED 2H AGO",
    "www.example.com/a-b @user #tag", "K ſ µ ı", "A - B", "wait -",
]


def _reference_row(text: str) -> list[float]:
    """The original per-sentence definition of every text feature (the specification)."""
    words = _WORD.findall(text)
    n_words = len(words)
    n_chars = max(len(text), 1)
    lowered = [w.lower() for w in words]
    stripped = text.rstrip("\"'”’)] ")
    return [
        np.log1p(len(text)),
        np.log1p(n_words),
        sum(map(len, words)) / n_words if n_words else 0.0,
        sum(w in STOP_WORDS for w in lowered) / n_words if n_words else 0.0,
        float(stripped.endswith((".", "!", "?"))),
        float(stripped.endswith(("...", "…"))),
        float(stripped.endswith((":", "-", "|", "—"))),
        float(text[:1].isupper()),
        sum(w[:1].isupper() for w in words) / n_words if n_words else 0.0,
        sum(c.isupper() for c in text) / n_chars,
        sum(c.isdigit() for c in text) / n_chars,
        sum((not c.isalnum()) and (not c.isspace()) for c in text) / n_chars,
        float(bool(_URLISH.search(text))),
        float(len(_TIMESTAMP.findall(text))),
        float(bool(_SOURCE_STAMP.search(text))),
        float(bool(_PROMO.search(text))),
        float(bool(_META.search(text))),
        float(bool(_CAPTION.search(text))),
        float(any(q in text for q in "\"“”")),
        float(text.count(",")),
        float(n_words <= 4),
    ]


def _sentences(texts):
    return [r["text"] for text in texts for r in segment_text("x", text)]


def test_text_features_equal_the_reference_bit_for_bit(seed_texts):
    texts = _sentences(seed_texts.values()) + TRICKY
    texts += [text[::-1] for text in texts] + [" ".join(texts)]
    expected = np.array([_reference_row(t) for t in texts], dtype=np.float64)
    got = text_features(texts)
    assert got.shape == (len(texts), len(TEXT_FEATURES)) and got.dtype == np.float64
    assert got.tobytes() == expected.tobytes()
    assert text_features([]).shape == (0, len(TEXT_FEATURES))


def _spacy_spans(text: str) -> list[tuple[int, int]]:
    """The specification: spaCy's tokenizer + sentencizer over every block, spans trimmed of whitespace."""
    expected = []
    for offset, block in iter_blocks(text):
        for sent in _reference_pipeline()(block).sents:
            chunk = block[sent.start_char:sent.end_char]
            if chunk.strip():
                start = offset + sent.start_char + len(chunk) - len(chunk.lstrip())
                expected.append((start, start + len(chunk.strip())))
    return expected


@lru_cache(maxsize=1)
def _reference_pipeline():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@pytest.fixture
def speedups():
    """The compiled module, for tests comparing it with its Python definitions: they skip only where winnow was
    installed without it on purpose (WINNOW_PURE_PYTHON=1); test_the_compiled_ngram_hasher_is_built fails
    otherwise."""
    try:
        from winnow import _speedups
    except ImportError:
        if os.environ.get("WINNOW_PURE_PYTHON") == "1":
            pytest.skip("WINNOW_PURE_PYTHON=1: winnow._speedups is not built")
        raise
    return _speedups


def _assert_same_spans(texts: list[str]) -> None:
    got = segment_many((str(i), text) for i, text in enumerate(texts))
    for text, records in zip(texts, got, strict=True):
        assert [(r["char_start"], r["char_end"]) for r in records] == _spacy_spans(text), text[:300]


def test_segmentation_equals_the_spacy_sentencizer_spans(seed_texts):
    texts = list(seed_texts.values()) + [
        "He said: \"Stop!\" Then left. (Really?) Yes... no.  Two  spaces. U.S. troops at 3 p.m. left!!! ok",
        "  lead spaces. trailing ?  \n\u00a0nbsp. block\u2003em space. 'Quote.' Next ) one. …and so on。 Done",
        ". . .\n!?\n\"\"\n" + "\n".join(t for t in TRICKY if "\udcff" not in t),  # spaCy refuses lone surrogates
        "Ends.\t\"Tab\" after. Ends. ) ) \"x\" y. Mr. Smith!\u00a0(No.) «Oui.» Done.\x0b\x1cNext! (a) b.) c",
    ]
    _assert_same_spans(texts)
    assert len(SEED_FILES) == 2


def test_segmentation_equals_spacy_on_random_punctuation_soup():
    """Random strings over the characters that move sentence boundaries (whitespace of every kind, closing
    punctuation, abbreviations, decimals), so every branch of the chunk-level fast path meets spaCy."""
    rng = random.Random(0)
    pieces = list("aZ.!?\"')(]”’“-—…。;:,\t ") + [" ", "  ", "\u00a0", "\u2003", "\x0b", "\x1c", "Mr.", "U.S.",
                                                  "e.g.", "3.5", "p.m.", "...", "!!", ".)", "?\"", ". . ."]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 60))) for _ in range(3000)]
    _assert_same_spans(texts)


def _corpus_dumps(corpora, per_corpus: int) -> list[str]:
    """The first ``per_corpus`` pages of every corpus, rendered to text dumps (pages lxml refuses skipped)."""
    import gzip
    import json

    from winnow.textio import render_html

    texts = []
    for path in sorted(corpora.glob("*/pages.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in itertools.islice(handle, per_corpus):
                try:
                    texts.append(render_html(json.loads(line)["html"]))
                except ValueError:  # a page lxml refuses
                    continue
    return texts


def test_segmentation_equals_spacy_on_corpus_pages(corpora):
    """Every sentence span of 40 real pages per corpus (rendered to dumps) is the one spaCy gives."""
    texts = _corpus_dumps(corpora, 40)
    assert len(texts) > 100
    _assert_same_spans(texts)


def test_compiled_blocks_trimmed_spans_and_page_columns_equal_the_python_definitions(seed_texts, speedups):
    """winnow._speedups.blocks, trimmed_spans and page_columns against segment's Python definitions: seeds and
    random text over every kind of line break and whitespace (CR, LF, CRLF, vertical tab, NEL, line separator,
    NBSP...)."""
    from winnow import segment

    rng = random.Random(13)
    pieces = list("ab .\r\n\t\x0b\x0c\x1c\x85\u00a0\u2028\u3000é") + ["\r\n", "word", "\U0001f600"]
    texts = [*seed_texts.values(), ""] + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
                                           for _ in range(5000)]
    for text in texts:
        assert speedups.blocks(text) == list(segment._iter_blocks_python(text)), repr(text)
        starts = sorted({0, *(rng.randint(0, len(text)) for _ in range(rng.randint(0, 6)))})
        assert speedups.trimmed_spans(text, starts) == segment._trimmed_python(text, starts), (repr(text), starts)
        blocks = speedups.blocks(text)
        spans = [speedups.trimmed_spans(block, sorted({0, *(rng.randint(0, len(block)) for _ in range(3))}))
                 for _, block in blocks]
        assert speedups.page_columns(blocks, spans) == segment._page_columns_python(blocks, spans), repr(text)
    assert segment.iter_blocks is not segment._iter_blocks_python and segment._speedups is not None
    with pytest.raises(ValueError, match="one list of spans per block"):
        speedups.page_columns([(0, "a")], [])


def test_word_then_stop_shortcut_equals_spacy_on_corpus_chunks(corpora):
    """Every chunk of 150 real pages per corpus that takes segmentation's word-and-stop shortcut gets the tokens
    spaCy gives it (the shortcut once missed that spaCy reads "Wed." as "We" + "d.")."""
    from winnow import segment

    chunks = {chunk for text in _corpus_dumps(corpora, 150) for chunk in text.split()}
    fast = segment._Sentencizer(segment.sentence_pipeline)
    shortcut = sorted(chunk for chunk in chunks if fast._is_word_then_stop(chunk))
    assert len(shortcut) > 5000
    reference = segment._Sentencizer(segment.sentence_pipeline)
    reference._is_word_then_stop = lambda chunk: False
    reference._tokenize(list(shortcut))
    fast._tokenize(list(shortcut))
    assert [chunk for chunk in shortcut if fast.cache[chunk] != reference.cache[chunk]] == []


def test_char_wb_transform_equals_the_vectorizer(seed_texts):
    from winnow.model import char_wb_transform, ngram_vectorizers

    texts = [line for text in seed_texts.values() for line in text.splitlines()] + ["", "  ", "Ünïcödé  words"]
    _, chars = ngram_vectorizers(2**12)
    # twice, then with new words among known ones: the words remembered across calls change nothing
    for batch in (texts, texts, ["brand-new wörds here", *texts[:3], "and fresher ones"]):
        expected, fast = chars.transform(batch), char_wb_transform(chars, batch)
        fast.sort_indices()
        expected.sort_indices()
        assert (fast != expected).nnz == 0
        assert abs(fast - expected).max() < 1e-12


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled-scan", "python-scan"])
def test_prefiltered_keyword_searches_equal_the_patterns(compiled, monkeypatch):
    """The literal prefilters skip only texts a pattern cannot match: fuzzed texts built from every keyword,
    in every case, with the characters IGNORECASE equates with ASCII letters (Kelvin sign, long s, dotted and
    dotless i), characters whose lower case is longer (the dotted I) and the newlines FoldedTexts joins with."""
    from winnow import features
    from winnow.features import _PREFILTER_LITERALS, FoldedTexts

    if not compiled:
        monkeypatch.setattr(features, "_speedups", None)
    rng = random.Random(1)
    words = [literal for literals in _PREFILTER_LITERALS.values() for literal in literals if literal.isalpha()]
    words += ["sign up", "log in", "ap photo", "comments are closed", "leave a reply", "anna says:", "said on",
              "donations", "tags", "topics", "apps", "http://", "www.x", "a.com", "b.co.uk", "@x", "#x"]
    pieces = words + [w.upper() for w in words] + [w.title() for w in words] + list(
        "  .-…:|©@#\t\n\u00a0\u3000\x1c\x85\u2028") + [
        "K", "ſ", "İ", "ı", "’", "12", " - ", "...", "Reply", "x", "é", "ΟΣ", "Σ"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))) for _ in range(4000)]
    texts += [text.replace(c, k) for text in texts[:500] for c, k in (("s", "ſ"), ("k", "K"), ("i", "ı"), ("i", "İ"))]
    low = [text.lower() for text in texts]
    folded, given_low = FoldedTexts(texts), FoldedTexts(texts, low)
    for pattern in _PREFILTER_LITERALS:
        expected = [bool(pattern.search(t)) for t in texts]
        assert folded.search(pattern) == expected, pattern.pattern
        assert given_low.search(pattern) == expected, pattern.pattern
        assert 200 < sum(expected) < len(texts) - 200, pattern.pattern  # the fuzz both hits and misses it
        for row in range(0, len(texts), 97):  # one text alone, and the texts around it, give the same answers
            assert FoldedTexts(texts[row:row + 3]).search(pattern) == expected[row:row + 3]
            assert FoldedTexts(texts[row:row + 3], low[row:row + 3]).search(pattern) == expected[row:row + 3]
    without_folding = [text for text in texts if not any(char in text for char in "Kſİı")]
    assert FoldedTexts(without_folding, [text.lower() for text in without_folding]).folded == "\n".join(
        without_folding).lower()


def test_compiled_literal_scan_equals_str_find(seed_texts, speedups):
    """winnow._speedups.literal_rows against FoldedTexts.rows_holding (one str.find per literal): every prefilter
    set at once, on seed sentences and on fuzz built from literal pieces, overlapping and cut across texts,
    with non-ASCII and astral characters."""
    from winnow.features import _PREFILTER_LITERALS, FoldedTexts

    sets = [*_PREFILTER_LITERALS.values(), ("xé", "éx", "\U0001f600a", "a")]
    rng = random.Random(3)
    pieces = [literal for literals in sets for literal in literals] + [lit[:-1] for lit in sets[0]] + list(
        "\n x.-é©…\U0001f600") + ["said o", "n", "ap", "p"]
    fuzz = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 7))) for _ in range(3000)]
    sentences = [record["text"] for text in seed_texts.values() for record in segment_text("s", text)]
    for texts in (fuzz, sentences, fuzz[:1], [""], ["", ""], []):
        folded = FoldedTexts(texts)
        assert speedups.literal_rows(folded.folded, folded.ends, sets) == [folded.rows_holding(s) for s in sets]
    hits = speedups.literal_rows(FoldedTexts(fuzz).folded, FoldedTexts(fuzz).ends, sets)
    assert all(300 < len(rows) < len(fuzz) - 300 for rows in hits[:-1])  # the fuzz both hits and misses
    with pytest.raises(ValueError, match="non-empty"):
        speedups.literal_rows("abc", np.array([4]), [("a", "")])


def test_compiled_window_sums_equal_the_python_definition(speedups):
    """features._window_sums (compiled) against _window_sums_python bit for bit: 1-D and 2-D values with -0.0,
    infinities, NaN and huge/tiny magnitudes (so the summation order shows), empty and one-row articles, and
    radii from 0 past the longest article."""
    from winnow import features

    rng = np.random.default_rng(5)
    sizes = [0, 1, 2, 7, 0, 30, 1, 64, 3]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    n = int(bounds[-1])
    values = rng.normal(size=(n, 4)) * rng.choice([1e-300, 1.0, 1e16, 1e300], size=(n, 4))
    values[rng.random((n, 4)) < 0.05] = -0.0
    values[rng.random((n, 4)) < 0.02] = rng.choice([np.inf, -np.inf, np.nan])
    values[bounds[[1, 3, 5]], :2] = -0.0  # an article starting with -0.0: its running sum starts with -0.0
    radii = (0, 1, 3, 8, 100)
    for data in (values, values[:, 0].copy(), values[:, :1].copy()):
        got = features._window_sums(data, bounds, radii)
        with np.errstate(invalid="ignore"):  # inf - inf
            expected = features._window_sums_python(data, bounds, radii)
        for (sums, counts), (sums_py, counts_py) in zip(got, expected, strict=True):
            assert sums.shape == sums_py.shape and sums.tobytes() == sums_py.tobytes()
            assert np.array_equal(counts, counts_py)
    assert features._speedups is not None  # the compiled path is the one compared


def test_joined_normalisation_equals_per_text():
    """features._normalised and lowered work on the joined texts: the same as text by text, final sigma
    (which depends on its neighbours), the dotted I (which lowers to two characters), other scripts' digits and
    texts holding a newline (which fall back to per text) included."""
    from winnow.features import _DIGIT, _normalised, lowered

    rng = random.Random(11)
    pieces = list("aAΣσςİ1٣۳x. \t\u0301\u0345") + ["ΑΣ", "ΣΑ", "aΣ.", "Σ\u0301"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))) for _ in range(20000)]
    for batch in (texts, [*texts[:50], "line\nbreak"], [""], []):
        assert _normalised(batch) == [_DIGIT.sub("0", text.lower()) for text in batch]
        assert lowered(batch) == [text.lower() for text in batch]
        assert _normalised(batch, lowered(batch)) == _normalised(batch)  # from the texts already lower-cased


def test_features_of_a_batch_share_its_distinct_texts(seed_texts):
    """featurize computes the distinct texts, their lower case and normalised forms once for the page features
    and the n-grams: the same numbers as each computing its own (PageFeatures, ngram_matrix of the texts)."""
    from winnow.features import _DIGIT, CONTEXT_FEATURES, PageFeatures, sentence_table
    from winnow.model import featurize, ngram_matrix

    pages = [(name, text) for name, text in seed_texts.items()]
    pages.append(("noise", "ΑΣ Σ.\nΣ1 and ΣΑ 3h ago.\nσ2 AND σα 4H AGO.\nİstanbul 12 May. Reply\nReply"))
    table = sentence_table(list(segment_many(pages)))
    features = featurize(table, 2**12)
    assert features.dense.tobytes() == PageFeatures().transform(table).tobytes()
    expected = ngram_matrix(table["text"].tolist(), 2**12)
    assert (features.ngrams.expanded() != expected).nnz == 0
    # the in-page repetition count (read from the shared normalised texts) by its plain definition
    normalised = [(page, _DIGIT.sub("0", text.lower()))
                  for page, text in zip(table["article_id"], table["text"], strict=True)]
    repeats = np.array([normalised.count(key) for key in normalised], dtype=float)
    column = len(TEXT_FEATURES) + CONTEXT_FEATURES.index("dup_in_page")
    assert np.array_equal(features.dense[:, column], np.log1p(repeats - 1)) and repeats.max() > 1


def test_the_whitespace_table_is_every_character_the_regex_calls_whitespace():
    """The source-stamp prefilter's literals pair "-" with every character ``\\s`` matches (features._WHITESPACE,
    built below U+3001 to keep imports fast): none lies beyond, and ``\\s`` is exactly ``str.isspace``."""
    from winnow.features import _WHITESPACE

    space = re.compile(r"\s")
    everything = [char for char in map(chr, range(0x110000)) if space.fullmatch(char)]
    assert list(_WHITESPACE) == everything == [char for char in map(chr, range(0x110000)) if char.isspace()]


def test_compiled_digits_to_zero_equals_the_regex_on_every_code_point(speedups):
    from winnow.features import _DIGIT, digits_to_zero

    every = "".join(chr(point) for point in range(0x110000) if not 0xD800 <= point < 0xE000)
    for start in range(0, len(every), 4096):
        assert speedups.digits_to_zero(every[start:start + 4096]) == _DIGIT.sub("0", every[start:start + 4096])
    # a text whose widest characters were digits comes back in the narrower storage, equal and hashing equal
    for text in ("a\U0001d7d8", "\u0663x", "no digits", "", "\ud800 1"):
        expected = _DIGIT.sub("0", text)
        assert digits_to_zero(text) == expected and hash(digits_to_zero(text)) == hash(expected)


def test_timestamp_candidates_never_miss_a_timestamp(seed_texts, speedups):
    """The compiled check rules a text out only where the timestamp pattern finds nothing, in either case:
    fuzzed texts of digits (ASCII and not), unit letters, every kind of whitespace, month names in every case
    and with the characters IGNORECASE equates with ASCII letters; it rules most texts without one out."""
    from winnow.features import _TIMESTAMP, _case_sensitive

    rng = random.Random(5)
    pieces = [*"0123456789٣ :-.mhdMHDx\t\u00a0\u2003\n", "ago", "min", "hrs", "hours", "a.m.", "pm", "2020-",
              "-01", "jan", "Feb", "MAR", "ſep", "ſept", "octo", "Nov.", "dec", "jun", "July", "may", "ay", "ja"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 9))) for _ in range(30000)]
    texts += [line for text in seed_texts.values() for line in text.splitlines()]
    flags = speedups.timestamp_candidates(texts).tolist()
    lowered = _case_sensitive(_TIMESTAMP)
    for text, flag in zip(texts, flags, strict=True):
        if not flag:
            assert not _TIMESTAMP.search(text) and not lowered.search(text.lower()), repr(text)
    matching = sum(bool(_TIMESTAMP.search(text)) for text in texts)
    assert 1000 < matching < sum(flags) < 0.8 * len(texts), (matching, sum(flags))


def test_compiled_join_kept_equals_the_python_definition(seed_texts, speedups):
    """clean.join_kept on a page's columns (compiled) against its Python definition: seed pages and fuzzed
    pages whose sentences are separated by every kind of whitespace, or by none, under random keep masks
    (lists, bool arrays and 0/1 arrays)."""
    from winnow.clean import _join_kept_python, join_kept

    rng = random.Random(8)
    pieces = ["One.", "Two!", "Three?", "“Four.”", "x", " ", "  ", "\t", "\u00a0", "\u3000", "\r\n", "\n", "\n\n",
              "Mr. Five.", "é.", "😀."]
    texts = [*seed_texts.values(), ""] + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
                                          for _ in range(2000)]
    pages = list(segment_pages((f"p{i}", text) for i, text in enumerate(texts)))
    for text, page in zip(texts, pages, strict=True):
        for _ in range(3):
            keep = [rng.random() < 0.6 for _ in range(len(page))]
            expected = _join_kept_python(text, page, keep)
            assert join_kept(text, page, keep) == expected, (text, keep)
            assert join_kept(text, page, np.array(keep)) == expected
            assert join_kept(text, page, np.array(keep, dtype=np.int64)) == expected
            assert join_kept(text, list(page), keep) == expected  # records take the Python definition
    with pytest.raises(ValueError, match="same length"):
        speedups.join_kept("a", [0], [0], [1], ["a"], np.zeros(2, dtype=np.uint8))


def test_the_case_folding_table_is_complete():
    """Every character IGNORECASE equates with an ASCII letter is turned into it by FoldedTexts' folding, and
    only characters it replaces change length under ``str.lower``, so positions in the folded text are those of
    the texts."""
    from winnow.features import _FOLD_TO_ASCII

    letter = re.compile("[a-z]", re.IGNORECASE)
    for char in map(chr, range(0x110000)):
        if letter.fullmatch(char):
            assert _FOLD_TO_ASCII.get(char, char).lower() in string.ascii_lowercase, hex(ord(char))
        if len(char.lower()) != 1:
            assert char in _FOLD_TO_ASCII, hex(ord(char))


def _sklearn_ngrams(texts, n_features, char_range=(3, 4)):
    from scipy import sparse

    from winnow.model import ngram_vectorizers

    words, *chars = ngram_vectorizers(n_features, char_range)
    char_part = chars[0].transform(texts) if chars else sparse.csr_matrix((len(texts), n_features))
    return sparse.hstack([words.transform(texts), char_part], format="csr")


CHAR_RANGES = [(3, 4), (4, 4), (3, 3), (2, 5), (0, 0)]


def _assert_same_storage(got, expected):
    """Equal bit for bit, storage included (training sums rows in storage order)."""
    assert got.shape == expected.shape
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, part), getattr(expected, part)), part


def _ngram_fuzz() -> list[str]:
    rng = random.Random(2)
    pieces = list("aZ_9 .,-'’\t\n\u00a0\u2003\u3000é") + [
        "İ", "ı", "ß", "Σ", "ς", "ǅ", "ﬁ", "𝐀", "٣", "²", "½", "e\u0301", "日本語", "😀", "word", "Word", "__", "a_b",
        "  ", "x", "ab", "abc", "abcd", "naïve", "ÉCOLE", "K", "ſ"]
    ascii_pieces = [piece for piece in pieces if piece.isascii()]  # ASCII texts take the byte-copy path
    return (["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
            + ["".join(rng.choice(ascii_pieces) for _ in range(rng.randint(0, 30))) for _ in range(1000)]
            + ["", " ", "a", "ab"] + _long_texts(rng))


def _long_texts(rng: random.Random) -> list[str]:
    """Texts of thousands of words (a page dump without sentence punctuation is one sentence): their rows hold
    more n-gram columns than the bucketed sort takes, few distinct ones repeated or many, so they are sorted by
    the other sort."""
    few = ["the", "council", "voted", "on", "the", "budget", "and", "the", "mayor", "said"]
    many = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 7))) for _ in range(3000)]
    return [" ".join(rng.choice(words) for _ in range(n)) for words in (few, many) for n in (900, 5000)]


@pytest.mark.parametrize("char_range", CHAR_RANGES)
def test_ngram_matrix_equals_scikit_learn_bit_for_bit(seed_texts, monkeypatch, char_range):
    """The compiled hasher and the pure-Python fallback both give scikit-learn's matrix, storage included, for
    every character n-gram range (and none: (0, 0))."""
    from winnow import model

    texts = [line for text in seed_texts.values() for line in text.splitlines()] + TRICKY + _ngram_fuzz()
    texts = [t for t in texts if "\udcff" not in t]
    assert sum(t.isascii() for t in texts) > 1000 and sum(not t.isascii() for t in texts) > 1000
    for n_features in (2**18, 1000):  # a power of two (masked) and not
        expected = _sklearn_ngrams(texts, n_features, char_range)
        _assert_same_storage(model.ngram_matrix(texts, n_features, char_range=char_range), expected)
        with monkeypatch.context() as patch:
            patch.setattr(model, "_speedups", None)
            _assert_same_storage(model.ngram_matrix(texts, n_features, char_range=char_range), expected)


@pytest.mark.parametrize("bad", [(1,), (0, 3), (4, 3), (3.0, 4), (True, 4), (-1, 2)])
def test_a_bad_char_range_is_a_clear_error(bad):
    from winnow.model import ngram_vectorizers

    with pytest.raises(ValueError, match="ngram_char_range"):
        ngram_vectorizers(2**10, bad)


def test_the_compiled_ngram_hasher_is_built():
    """`pip install` compiles winnow._speedups here (CI has a compiler): fail loudly rather than silently test only
    the fallback. Set WINNOW_PURE_PYTHON=1 where winnow is installed without a C++ compiler."""
    from winnow import model

    if os.environ.get("WINNOW_PURE_PYTHON") == "1":
        pytest.skip("WINNOW_PURE_PYTHON=1: the scikit-learn fallback is tested instead")
    assert model._speedups is not None, "winnow._speedups is not built: reinstall with `make setup` (needs g++)"


def test_ngram_matrix_with_a_lone_surrogate_behaves_as_scikit_learn():
    from winnow.model import ngram_matrix

    with pytest.raises(UnicodeEncodeError):
        _sklearn_ngrams(["ok \udcff"], 2**10)
    with pytest.raises(UnicodeEncodeError):
        ngram_matrix(["ok \udcff"], 2**10)


def test_ngram_matrix_equals_scikit_learn_on_corpus_pages(corpora):
    from winnow.model import ngram_matrix

    texts = [line for dump in _corpus_dumps(corpora, 30) for line in dump.splitlines()]
    assert len(texts) > 1000
    _assert_same_storage(ngram_matrix(texts, 2**18), _sklearn_ngrams(texts, 2**18))


def _assert_fused_scores_equal_the_matrix_product(texts: list[str], n_features: int, seed: int,
                                                  char_range=(3, 4)) -> None:
    from sklearn.linear_model import SGDClassifier

    from winnow.model import NgramTexts, ngram_matrix

    matrix = ngram_matrix(texts, n_features, char_range=char_range)
    labels = np.random.default_rng(seed).integers(0, 2, len(texts))
    labels[:2] = (0, 1)
    sgd = SGDClassifier(loss="log_loss", alpha=1e-6, max_iter=5, tol=None, random_state=seed).fit(matrix, labels)
    expected = sgd.predict_proba(matrix)[:, 1]
    fused = NgramTexts(texts, [text.lower() for text in texts], n_features, char_range)
    got = fused.p_content(sgd)
    assert "matrix" not in fused.__dict__  # scored without building the matrix
    assert got.tobytes() == expected.tobytes()
    assert fused.matrix is not None and fused.p_content(sgd).tobytes() == expected.tobytes()  # via the matrix


def test_fused_ngram_scores_equal_the_matrix_product_bit_for_bit(seed_texts, speedups):
    """NgramTexts.p_content adds each text's n-grams straight into its decision value (compiled): the same
    probabilities, bit for bit, as the SGD model's predict_proba of the n-gram matrix, on fuzzed texts."""
    texts = [line for text in seed_texts.values() for line in text.splitlines()] + TRICKY + _ngram_fuzz()
    texts = [t for t in texts if "\udcff" not in t]
    for seed, n_features in enumerate((2**18, 1000)):
        for char_range in CHAR_RANGES:
            _assert_fused_scores_equal_the_matrix_product(texts, n_features, seed, char_range)


def test_fused_ngram_scores_equal_the_matrix_product_on_corpus_pages(corpora, speedups):
    texts = [line for dump in _corpus_dumps(corpora, 30) for line in dump.splitlines()]
    for char_range in ((3, 4), (4, 4)):
        _assert_fused_scores_equal_the_matrix_product(texts, 2**18, 0, char_range)


def test_fused_ngram_scores_fall_back_to_the_matrix(monkeypatch, speedups):
    """Another model type, or a text the hasher cannot encode, is scored through the matrix (which raises as
    scikit-learn does on a lone surrogate)."""
    from sklearn.linear_model import SGDClassifier

    from winnow import model
    from winnow.model import NgramTexts, ngram_matrix

    texts = ["a first text", "another one", "Read more"]
    matrix = ngram_matrix(texts, 2**10)
    hinge = SGDClassifier(loss="modified_huber", max_iter=5, tol=None, random_state=0).fit(matrix, [0, 1, 0])
    fused = NgramTexts(texts, [t.lower() for t in texts], 2**10)
    assert fused.p_content(hinge).tobytes() == hinge.predict_proba(matrix)[:, 1].tobytes()
    assert "matrix" in fused.__dict__
    logistic = SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=0).fit(matrix, [0, 1, 0])
    with pytest.raises(UnicodeEncodeError):
        NgramTexts(["ok \udcff"], ["ok \udcff"], 2**10).p_content(logistic)
    monkeypatch.setattr(model, "_speedups", None)
    plain = NgramTexts(texts, [t.lower() for t in texts], 2**10)
    assert plain.p_content(logistic).tobytes() == logistic.predict_proba(matrix)[:, 1].tobytes()


def test_compiled_text_counts_equal_the_python_definition(seed_texts, speedups):
    """winnow._speedups.text_counts against features._text_counts_python: fuzzed texts over every class of
    character the counts look at (cased letters of many scripts, digits of other scripts, astral characters, lone
    surrogates, stop words in odd cases, the characters stripped at the end)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from winnow.features import _text_counts_python

    rng = random.Random(3)
    stops = sorted(STOP_WORDS)
    pieces = list("aZ_9 .,!?:|-\"'”’“)]…—\t\u00a0\u3000\udcffé") + [
        "İ", "ı", "ß", "Σ", "ς", "ǅ", "ﬁ", "𝐀", "٣", "²", "½", "e\u0301", "日本", "😀", "K", "ſ", "...", ". . ."] + [
        w for w in rng.sample(stops, 40)] + [w.upper() for w in rng.sample(stops, 20)] + [
        w.title() for w in rng.sample(stops, 20)]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))) for _ in range(4000)]
    texts += TRICKY + [line for text in seed_texts.values() for line in text.splitlines()]
    got, expected = speedups.text_counts(texts, STOP_WORDS), _text_counts_python(texts)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected)
    assert (expected[:, 6] > 0).sum() > 1000 and (expected[:, 9] > 0).sum() > 30  # the fuzz reaches them


def test_compiled_stop_word_lookup_at_its_length_limits(speedups):
    """Stop words are looked up packed in two 64-bit keys: words of 1, 8, 9 and 16 letters are found (in any
    case), a word that only starts with one is not, and a stop word list it cannot hold is refused."""
    stops = {"a", "abcdefgh", "abcdefghi", "abcdefghijklmnop"}
    counts = speedups.text_counts(["A abcdefgh ABCDEFGHI abcdefghijklmnop", "ab abcdefghij abcdefghijklmnopq é"],
                                  stops)
    assert counts[:, 6].tolist() == [4, 0]
    with pytest.raises(ValueError):
        speedups.text_counts(["x"], {"abcdefghijklmnopq"})


def test_compiled_chunk_scan_equals_the_python_scan(speedups):
    """segment._Sentencizer: the compiled candidate chunks equal the Python definition on random strings over
    sentence-final characters of several scripts, every kind of whitespace and astral characters."""
    from winnow.segment import _sentencizer

    sentencizer = _sentencizer()
    assert sentencizer.compiled is not None
    rng = random.Random(4)
    pieces = list("ab.!?。؟।\t \u00a0\u2003\u2028\x0b\x1c\x1f“”…") + ["𑁇", "𝐀", "Mr.", "3.5", "...", "?!", "  "]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    found = 0
    for text in texts:
        expected = sentencizer._candidates_python(text)
        assert sentencizer.compiled.candidates(text) == expected, repr(text)
        found += len(expected)
    assert found > 10_000


def _assert_compiled_split_equals_python(pages: list[list[str]]) -> None:
    from winnow import segment

    compiled = segment._Sentencizer(segment.sentence_pipeline)
    python = segment._Sentencizer(segment.sentence_pipeline)
    assert compiled.compiled is not None
    for blocks in pages:
        assert compiled.split(blocks) == python._split_python(blocks), blocks


def test_compiled_split_equals_the_python_split(seed_texts, speedups):
    """segment._Sentencizer.split: the compiled sentence spans equal the Python definition on the seeds and on
    random blocks over what moves a boundary (closing punctuation after a stop, punctuation of several scripts
    and astral planes starting the next chunk, whitespace of every kind between them)."""
    rng = random.Random(5)
    pieces = list("ab .!?。)]\"'”’“(-—…;:,\t\u00a0\u2003\x0b\x1c") + [
        "  ", "Mr.", "U.S.", "3.5", "...", "?!", ".)", "?\"", "𑁇", "𝐀", "\U0001f600", "«", "»", "¡", "¿", "؟", "।"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 60))) for _ in range(4000)]
    pages = [[block for _, block in iter_blocks(text)] for text in list(seed_texts.values()) + texts]
    assert sum(len(blocks) for blocks in pages) > 3500
    _assert_compiled_split_equals_python(pages)


def test_compiled_split_equals_the_python_split_on_corpus_pages(corpora, speedups):
    """The same on 40 real pages per corpus (rendered to dumps)."""
    _assert_compiled_split_equals_python([[block for _, block in iter_blocks(text)]
                                          for text in _corpus_dumps(corpora, 40)])


def _with_ties_and_specials(booster, X, rng):
    """Rows of X, then copies with values set exactly at the booster's split thresholds (ties: ``<=`` goes left)
    and with NaN, +inf and -inf in random places."""
    nodes = np.concatenate([p.nodes for (p,) in booster._predictors])
    split = nodes[nodes["is_leaf"] == 0]
    ties = X[rng.integers(0, len(X), len(split))].copy()
    ties[np.arange(len(split)), split["feature_idx"]] = split["num_threshold"]
    specials = []
    for value in (np.nan, np.inf, -np.inf):
        rows = X[rng.integers(0, len(X), 500)].copy()
        rows[rng.random(rows.shape) < 0.1] = value
        specials.append(rows)
    mixed = X[rng.integers(0, len(X), 500)].copy()
    mask = rng.random(mixed.shape) < 0.3
    mixed[mask] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0], mask.sum())
    return np.ascontiguousarray(np.vstack([X, ties, *specials, mixed]))


def _assert_boosting_bit_identical(booster, X):
    """The kernel's probabilities equal scikit-learn's bit for bit, whatever X's memory layout: C order,
    Fortran order (how the features are built) and a strided view (copied first)."""
    from winnow.model import _compiled_trees, boosted_p_content

    assert _compiled_trees(booster, X) is not None  # the kernel, not the fallback, is under test
    expected = booster.predict_proba(X)[:, 1]
    wide = np.repeat(X, 2, axis=1)
    for layout in (np.ascontiguousarray(X), np.asfortranarray(X), wide[:, ::2]):
        got = boosted_p_content(booster, layout)
        assert got.dtype == np.float64 and got.shape == expected.shape
        assert np.array_equal(got, expected)  # bit for bit, not allclose
    trees = _compiled_trees(booster, X)
    for layout in (np.ascontiguousarray(X), np.asfortranarray(X)):
        assert np.array_equal(trees.raw_predict(layout), booster._raw_predict(X)[:, 0])
    if len(X) > 1 and X.shape[1] > 1:
        with pytest.raises(ValueError, match="contiguous"):
            trees.raw_predict(wide[:, ::2])


def _random_booster(seed: int = 0, **params):
    """A small booster on random data where missing values matter both ways (missing at random, missing meaning
    class 1, missing meaning class 0) and features take few distinct values (splits on NaN: +inf thresholds)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(seed)
    n = 3000
    X = np.column_stack([rng.integers(0, 8, n).astype(float), rng.normal(size=n), rng.normal(size=n),
                         rng.integers(0, 3, n).astype(float)])
    y = ((X[:, 0] > 3) ^ (X[:, 1] > 0.3) ^ (rng.random(n) < 0.1)).astype(int)
    X[rng.random(n) < 0.2, 1] = np.nan
    X[(y == 1) & (rng.random(n) < 0.5), 2] = np.nan
    X[(y == 0) & (rng.random(n) < 0.3), 3] = np.nan
    params = {"max_iter": 40, "max_leaf_nodes": 15, "early_stopping": False, "random_state": seed} | params
    return HistGradientBoostingClassifier(**params).fit(X, y), X, y


def test_compiled_boosting_equals_scikit_learn_on_random_data_with_nan_ties_and_inf(speedups):
    booster, X, y = _random_booster()
    nodes = np.concatenate([p.nodes for (p,) in booster._predictors])
    split = nodes[nodes["is_leaf"] == 0]
    # the data reach every case: missing values going left and right, splits on NaN (+inf threshold)
    assert set(split["missing_go_to_left"]) == {0, 1} and np.isinf(split["num_threshold"]).any()
    rows = _with_ties_and_specials(booster, X, np.random.default_rng(1))
    assert np.isnan(rows).any(axis=1).mean() < 0.9  # rows with and without NaN (the kernel has a path for each)
    _assert_boosting_bit_identical(booster, rows)
    for block in (1, 15, 16, 17, 33):  # whole and partial groups of rows
        _assert_boosting_bit_identical(booster, rows[:block])
    booster.set_params(max_iter=25).fit(X, y)  # refit: the cached trees of the old fit must not be used
    _assert_boosting_bit_identical(booster, rows)


def _trained_model(seed_model):
    """train/model.skops where `make train` built it, else the two-pass model trained on the seed gold (a fresh
    clone, as in CI)."""
    from winnow.model import load_model

    from .conftest import REPO

    path = REPO / "train" / "model.skops"
    return load_model(path if path.is_file() else seed_model[0] / "model.skops")


def _assert_real_model_bit_identical(texts: dict[str, str], monkeypatch, min_rows: int, seed_model) -> None:
    """A trained model's boosters (every pass) on the feature rows of ``texts`` (id -> page dump), on the same
    rows with values exactly at their thresholds, NaN and infinities; and the classifier's probabilities with and
    without the compiled module."""
    from winnow import model
    from winnow.features import sentence_table

    classifier = _trained_model(seed_model).classifier
    features = classifier.featurize(sentence_table(list(segment_many(sorted(texts.items())))))
    seen = []  # (booster, its input) of every pass
    real = model.boosted_p_content
    with monkeypatch.context() as patch:
        patch.setattr(model, "boosted_p_content", lambda booster, X: seen.append((booster, X)) or real(booster, X))
        compiled = classifier.predict_proba_features(features)
    assert len(seen) == len(classifier.passes_) and len(seen[0][1]) >= min_rows
    rng = np.random.default_rng(2)
    for booster, X in seen:
        _assert_boosting_bit_identical(booster, X)
        _assert_boosting_bit_identical(booster, _with_ties_and_specials(booster, X, rng))
    with monkeypatch.context() as patch:
        patch.setattr(model, "_speedups", None)
        assert np.array_equal(classifier.predict_proba_features(features), compiled)


def test_compiled_boosting_equals_scikit_learn_on_the_real_model(seed_texts, monkeypatch, speedups, seed_model):
    _assert_real_model_bit_identical(seed_texts, monkeypatch, min_rows=100, seed_model=seed_model)


def test_compiled_boosting_equals_scikit_learn_on_corpus_pages(corpora, monkeypatch, speedups, seed_model):
    """As above on 10 real pages per benchmark corpus (thousands of rows)."""
    texts = {f"page{i}": text for i, text in enumerate(_corpus_dumps(corpora, 10))}
    _assert_real_model_bit_identical(texts, monkeypatch, min_rows=2000, seed_model=seed_model)


def test_boosting_falls_back_to_scikit_learn(monkeypatch):
    """scikit-learn predicts (and the result is its own) without the compiled module, and for what the kernel does
    not handle: categorical features, multiclass, other dtypes, empty input."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from winnow import model
    from winnow.model import _compiled_trees, boosted_p_content

    booster, X, y = _random_booster()
    with monkeypatch.context() as patch:
        patch.setattr(model, "_speedups", None)
        assert _compiled_trees(booster, X) is None
        assert np.array_equal(boosted_p_content(booster, X), booster.predict_proba(X)[:, 1])
    categorical = np.column_stack([X[:, :3], np.nan_to_num(X[:, 3], nan=2.0)])
    cat_booster = HistGradientBoostingClassifier(max_iter=10, categorical_features=[3], early_stopping=False,
                                                 random_state=0).fit(categorical, y)
    assert any(p.nodes["is_categorical"].any() for (p,) in cat_booster._predictors)
    assert _compiled_trees(cat_booster, categorical) is None
    assert np.array_equal(boosted_p_content(cat_booster, categorical), cat_booster.predict_proba(categorical)[:, 1])
    multi = HistGradientBoostingClassifier(max_iter=5, early_stopping=False, random_state=0).fit(X, y + (X[:, 0] > 5))
    assert _compiled_trees(multi, X) is None
    single = X.astype(np.float32)
    assert _compiled_trees(booster, single) is None
    assert np.array_equal(boosted_p_content(booster, single), booster.predict_proba(single)[:, 1])
    assert _compiled_trees(booster, X[:0]) is None
    with pytest.raises(ValueError):  # the wrong width: scikit-learn's error
        boosted_p_content(booster, X[:, :3])


def test_cleaning_is_the_same_without_the_compiled_module(seed_texts, monkeypatch, speedups, seed_model):
    """End to end, every compiled step switched off at once gives the very same sentences, ids, probabilities
    and cleaned text: pages mixing the seeds' lines with noise over the characters each step treats specially,
    with LF, CRLF and CR line breaks."""
    from winnow import features, model, segment
    from winnow.clean import join_kept, predict_texts

    winnow_model = _trained_model(seed_model)
    rng = random.Random(17)
    lines = [line for text in seed_texts.values() for line in text.splitlines()]
    noise = list("aZé ßİıſK\u00a0\u2028\u3000\t.!?\"'“”…—-|@#©09٣\U0001f600Σς") + [
        "Mr.", "U.S.", " - ", "...", "Jan. 12", "3h ago", "said.", "Wed.", "Comments (3)", "Reply", "donate",
        "Photo: AP", "www.x.com", "Sign up"]
    pages = [(f"p{i}", rng.choice(["\n", "\r\n", "\r"]).join(
        rng.choice(lines) if rng.random() < 0.6 else "".join(rng.choice(noise) for _ in range(rng.randint(0, 20)))
        for _ in range(rng.randint(0, 40)))) for i in range(120)]

    def clean_all():
        return [(records, p.tobytes(), join_kept(text, records, p >= 0.5))
                for _, text, records, p in predict_texts(pages, winnow_model)]

    compiled = clean_all()
    with monkeypatch.context() as patch:
        for module in (features, model, segment):
            patch.setattr(module, "_speedups", None)
        pure_sentencizer = segment._Sentencizer(segment.sentence_pipeline)
        assert pure_sentencizer.compiled is None
        patch.setattr(segment, "_sentencizer", lambda: pure_sentencizer)
        pure = clean_all()
    assert sum(len(records) for records, _, _ in compiled) > 2000
    assert pure == compiled


def test_compiled_max_runs_equal_the_python_definition(speedups, monkeypatch):
    """features.max_runs: the compiled Kadane scan over every page equals _max_subarray page by page, on ties,
    all-negative pages, zeros, NaN and infinities."""
    from winnow import features

    rng = np.random.default_rng(8)
    for trial in range(300):
        sizes = rng.integers(1, 30, size=rng.integers(1, 6))
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        values = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0, rng.normal()], size=bounds[-1])
        if trial % 10 == 0:
            values[rng.integers(0, len(values))] = rng.choice([np.nan, np.inf, -np.inf])
        compiled = features.max_runs(values, bounds)
        with monkeypatch.context() as patch:
            patch.setattr(features, "_speedups", None)
            python = features.max_runs(values, bounds)
        assert all(np.array_equal(a, b) for a, b in zip(compiled, python, strict=True)), trial
    empty = features.max_runs(np.zeros(0), np.zeros(1, dtype=np.int64))
    assert empty[0].shape == empty[1].shape == (0,)
    with pytest.raises(ValueError):
        speedups.max_runs(np.zeros(3), np.array([0, 5], dtype=np.int64))
