import re

from winnow.segment import iter_blocks, segment_many, segment_pages, segment_text

from .conftest import SEED_FILES


def _covered_exactly_once(text: str, records) -> None:
    owner = [None] * len(text)
    for rec in records:
        assert text[rec["char_start"]:rec["char_end"]] == rec["text"]
        for pos in range(rec["char_start"], rec["char_end"]):
            assert owner[pos] is None, f"character {pos} in two sentences"
            owner[pos] = rec["sentence_id"]
    uncovered = [i for i, ch in enumerate(text) if not ch.isspace() and owner[i] is None]
    assert uncovered == []


def test_seed_sentences_cover_every_character_once_in_order(seed_texts):
    assert len(seed_texts) == 2
    for article_id, text in seed_texts.items():
        records = segment_text(article_id, text)
        assert len(records) > 20
        _covered_exactly_once(text, records)
        starts = [rec["char_start"] for rec in records]
        assert starts == sorted(starts)
        assert [rec["index"] for rec in records] == list(range(len(records)))


def test_no_sentence_crosses_a_line_break(seed_texts):
    for article_id, text in seed_texts.items():
        for rec in segment_text(article_id, text):
            assert "\n" not in rec["text"] and "\r" not in rec["text"]


def test_blocks_are_lines_and_abbreviations_stay_intact():
    text = "Headline here\n\nThe U.S. military moved at 3 p.m. on Monday. Mr. Smith agreed.\nMore\n"
    records = segment_text("a", text)
    assert [(r["block"], r["text"]) for r in records] == [
        (0, "Headline here"),
        (1, "The U.S. military moved at 3 p.m. on Monday."),
        (1, "Mr. Smith agreed."),
        (2, "More"),
    ]


def test_ids_are_stable_across_runs_and_other_articles(seed_texts):
    first = {aid: segment_text(aid, text) for aid, text in seed_texts.items()}
    second = {aid: segment_text(aid, text) for aid, text in seed_texts.items()}
    second["999_new"] = segment_text("999_new", "A third article.\nWith two blocks.")
    for aid in seed_texts:
        assert [r["sentence_id"] for r in first[aid]] == [r["sentence_id"] for r in second[aid]]


def test_ids_survive_edits_elsewhere_and_repeats_get_a_suffix():
    before = segment_text("a", "Body sentence one.\nMore\nMore\n")
    after = segment_text("a", "Inserted line.\nBody sentence one.\nMore\nMore\n")
    ids_before = [r["sentence_id"] for r in before]
    ids_after = [r["sentence_id"] for r in after][1:]
    assert ids_before == ids_after
    assert re.fullmatch(r"a:[0-9a-f]{12}\.2", ids_before[2])
    assert len(set(ids_before)) == 3


def test_records_without_ids_differ_only_in_the_id(seed_texts):
    """Cleaning asks for no sentence ids: the records are otherwise the very same."""
    with_ids = list(segment_many(seed_texts.items()))
    without = list(segment_many(seed_texts.items(), ids=False))
    assert [[{**r, "sentence_id": None} for r in page] for page in with_ids] == without
    assert all(r["sentence_id"] for page in with_ids for r in page)


def test_page_columns_read_as_the_records(seed_texts):
    """segment_pages keeps a page's sentences as columns; read as a sequence they are segment_many's records,
    and sentence_table builds the same table from either."""
    from pandas.testing import assert_frame_equal

    from winnow.features import sentence_table

    items = [*seed_texts.items(), ("empty", " \n"), ("tiny", "One. Two.")]
    for ids in (True, False):
        pages, records = list(segment_pages(items, ids)), list(segment_many(items, ids))
        assert [list(page) for page in pages] == records
        page, expected = pages[-1], records[-1]
        assert len(page) == 2 and page[0] == expected[0] and page[-1] == expected[1] and page[0:2] == expected
        assert_frame_equal(sentence_table(pages), sentence_table(records), check_exact=True)
        assert_frame_equal(sentence_table(pages[-2:-1]), sentence_table(records[-2:-1]), check_exact=True)
    mixed = [*segment_pages(items[:1], ids=True), *segment_pages(items[1:], ids=False)]
    assert_frame_equal(sentence_table(mixed), sentence_table([list(page) for page in mixed]), check_exact=True)


def test_pages_segmented_in_groups_equal_pages_segmented_alone(seed_texts, monkeypatch):
    """segment_pages segments SEGMENT_GROUP pages at a time (their chunks tokenized together): every page's
    sentences are those it gets alone, whatever the group size and however the pages fall into groups, and
    pages come out in order, lazily (a group is read only when its first page is asked for)."""
    from winnow import segment

    items = [(f"{name}-{i}", text[i * 97:]) for i in range(7) for name, text in seed_texts.items()]
    items += [("empty", ""), ("blank", " \n\n"), ("tiny", "One. Two.")]
    alone = [next(segment_pages([item])) for item in items]
    for group in (1, 2, 5, 64):
        monkeypatch.setattr(segment, "SEGMENT_GROUP", group)
        assert list(segment_pages(items)) == alone
    monkeypatch.setattr(segment, "SEGMENT_GROUP", 2)
    read = []
    pages = segment_pages((read.append(name) or (name, text)) for name, text in items)
    assert next(pages).article_id == items[0][0] and read == [items[0][0], items[1][0]]


def test_crlf_offsets_index_the_raw_text():
    text = "First line.\r\nSecond line. Third one.\r\n"
    records = segment_text("crlf", text)
    assert [r["text"] for r in records] == ["First line.", "Second line.", "Third one."]
    for r in records:
        assert text[r["char_start"]:r["char_end"]] == r["text"]


def test_seed_files_are_the_shared_seeds_byte_for_byte():
    shared = SEED_FILES[0].parents[3] / "shared" / "seeds"
    if not shared.exists():
        import pytest

        pytest.skip("../shared/seeds not present")
    for path in SEED_FILES:
        assert path.read_bytes() == (shared / path.name).read_bytes()


def test_a_full_chunk_cache_restarts_spacy_and_changes_no_span(seed_texts, monkeypatch):
    """When the chunk cache fills, the spaCy pipeline is rebuilt (its vocabulary keeps every token it has seen,
    so memory stays bounded over millions of pages) and sentences stay exactly the same."""
    from winnow import segment

    builds = []

    def pipeline():
        builds.append(segment.sentence_pipeline())
        return builds[-1]

    monkeypatch.setattr(segment._Sentencizer, "CACHE_LIMIT", 20)
    small = segment._Sentencizer(pipeline)
    blocks = [block for text in seed_texts.values() for _, block in iter_blocks(text)]
    expected = segment._sentencizer().split(blocks)
    assert [small.split([block])[0] for block in blocks] == expected
    assert len(builds) >= 3  # the first, and a restart each time 20 chunks were exceeded
    assert len(small.cache) <= 20
    assert len(small.nlp.vocab) < len(builds[0].vocab)  # the latest vocabulary holds only the latest tokens


def test_word_then_stop_chunks_get_spacys_tokens(seed_texts):
    """Chunks that are an ASCII word and one stop are not tokenized ("said." "Why?"): their tokens equal
    spaCy's on every such chunk of the seeds and random words in every case pattern; spaCy's special cases
    ("Jan." keeps its stop, "Wed." is "We" + "d.") never take the shortcut."""
    import random
    import string as strings

    from winnow import segment

    rng = random.Random(7)
    words = {word for text in seed_texts.values() for word in re.findall(r"[A-Za-z]+", text)}
    words |= {"".join(rng.choice(strings.ascii_letters) for _ in range(rng.randint(1, 9))) for _ in range(3000)}
    fast = segment._Sentencizer(segment.sentence_pipeline)
    chunks = [word + stop for word in sorted(words) for stop in ".!?"] + sorted(fast.special_cases)
    shortcut = [chunk for chunk in chunks if fast._is_word_then_stop(chunk)]
    assert len(shortcut) > 5000 and not fast.special_cases & set(shortcut)
    for chunk in ("Jan.", "Mr.", "a.", "Wed.", "cannot?"):  # special cases, or words spaCy splits: no shortcut
        assert not fast._is_word_then_stop(chunk)
    reference = segment._Sentencizer(segment.sentence_pipeline)
    reference._is_word_then_stop = lambda chunk: False
    reference._tokenize(list(shortcut))
    fast._tokenize(list(shortcut))
    assert [fast.cache[chunk] for chunk in shortcut] == [reference.cache[chunk] for chunk in shortcut]


def test_word_stop_and_close_chunks_get_spacys_tokens(seed_texts):
    """Chunks that are an ASCII word, a stop and a closing quote or bracket, in either order ('said."', 'it).')
    are not tokenized: their tokens equal spaCy's for random words in every case pattern and every special-case
    word, with every stop and closing mark; special cases and their words never take the shortcut."""
    import random
    import string as strings

    from winnow import segment

    rng = random.Random(9)
    words = {word for text in seed_texts.values() for word in re.findall(r"[A-Za-z]+", text)}
    words |= {"".join(rng.choice(strings.ascii_letters) for _ in range(rng.randint(1, 9))) for _ in range(1500)}
    fast = segment._Sentencizer(segment.sentence_pipeline)
    words |= {word.rstrip(".!?") for word in fast.special_cases if re.fullmatch(r"[A-Za-z]+[.!?]?", word)}
    chunks = [word + first + second for word in sorted(words) for stop in ".!?" for close in "\"”)'’]»"
              for first, second in ((stop, close), (close, stop))]
    shortcut = [chunk for chunk in chunks if fast._word_stop_and_close(chunk)]
    assert len(shortcut) > 50_000
    for chunk in ('x."', 'Mr.)', "Wed.'", 'U.S."', 'said."x', '"said.', 'AP).'):  # special cases, other shapes
        assert fast._word_stop_and_close(chunk) is None
    assert fast._word_stop_and_close('said."') == ((0, False, False), (4, True, True), (5, False, True))
    assert fast._word_stop_and_close("it).") == ((0, False, False), (2, False, True), (3, True, True))
    reference = segment._Sentencizer(segment.sentence_pipeline)
    reference._word_stop_and_close = lambda chunk: None
    reference._tokenize(list(shortcut))
    fast._tokenize(list(shortcut))
    assert [fast.cache[chunk] for chunk in shortcut] == [reference.cache[chunk] for chunk in shortcut]


def _span(match):
    return None if match is None else match.span()


def test_tail_suffix_search_matches_what_spacys_suffix_search_matches(seed_texts):
    """The suffix search segmentation's tokenizer uses gives spaCy's own match on every suffix and prefix of
    random strings over the characters spaCy's suffixes hold (ellipses of any length, units after digits,
    degrees, possessives, quotes, a final newline), and of every chunk of the seeds."""
    import random

    import spacy

    from winnow.segment import TailSuffixSearch, sentence_pipeline

    nlp = spacy.blank("en")
    stock = nlp.tokenizer.suffix_search
    tail = TailSuffixSearch.for_pattern(stock, nlp.Defaults.suffixes)
    assert tail is not None and tail.unbounded is not None and 0 < tail.width < 10
    assert isinstance(sentence_pipeline().tokenizer.suffix_search, TailSuffixSearch)
    rng = random.Random(3)
    pieces = list(".…'\"’”)]%°CFkm5x-\n!?,;:") + ["....", "'s", "’S", "km", "°F.", "kg.", "…)", "."] + ["a"] * 4
    strings = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(4000)]
    strings += [chunk for text in seed_texts.values() for chunk in text.split()]
    strings += [f"x5{unit}{end}" for unit in ("km/h", "mbar", "اكواب", "%") for end in ("", "\n", ".", ".\n")]
    checked = 0
    for string in strings:
        for part in {string[k:] for k in range(len(string) + 1)} | {string[:k] for k in range(len(string) + 1)}:
            assert _span(tail(part)) == _span(stock(part)), repr(part)
            checked += 1
    assert checked > 100_000
    assert TailSuffixSearch.for_pattern(re.compile(r"(?:x|y)$").search, ["x", "y"]) is None
