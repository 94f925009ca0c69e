"""Silver labelling on small pages written for these tests: render -> segment -> align with the gold."""

from __future__ import annotations

import pytest

from winnow.segment import segment_text
from winnow.silver import (
    Tokens,
    align,
    dedupe_gold,
    gold_paragraphs,
    gold_tokens,
    headline_count,
    html_titles,
    label_sentences,
    line_spans,
    split_joined,
    tokenize,
)
from winnow.textio import render_html

MENU = ["Home", "News", "Sports", "Share", "More", "Weather"]
FOOTER = "Copyright 2026 Example Gazette. All rights reserved. Contact us | Privacy | Terms"

BRIDGE = ("The county council voted on Tuesday to rebuild the old river bridge before the winter floods. "
          "Engineers said the work would take eleven weeks.")
MAYOR = ("\u201cWe will rebuild the bridge and we will do it right,\u201d the mayor told reporters outside the "
         "council chamber. She said the money would come from the road maintenance fund.")
TRAFFIC = ("Drivers should expect detours along Mill Street and the harbour road while the crews work. "
           "Buses will run on a temporary timetable.")
SPORTS = ("Local sports clubs that share the riverside fields will have to train elsewhere, and more "
          "announcements are expected next week.")


def page_html(body: list[str], menu: list[str] = MENU, before_body: str = "", title: str = "Bridge vote") -> str:
    items = "".join(f"<li><a href='/{item.lower()}'>{item}</a></li>" for item in menu)
    paragraphs = "".join(f"<p>{text}</p>" for text in body)
    return (f"<html><head><title>{title}</title></head><body><ul class='nav'>{items}</ul>"
            f"<h1>{title}</h1>{before_body}<div class='article'>{paragraphs}</div>"
            f"<div class='footer'><p>{FOOTER}</p></div></body></html>")


def labelled(html: str, gold: str, article_id: str = "t/1"):
    rendered = render_html(html)
    records, stats = label_sentences(segment_text(article_id, rendered), rendered, gold, titles=html_titles(html))
    return rendered, records, stats


def labels_of(records, needle: str) -> list[str]:
    found = [r["label"] for r in records if needle in r["text"]]
    assert found, f"no sentence contains {needle!r}"
    return found


def coverage(stats) -> float:
    return stats["gold_covered"] / (stats["gold_tokens"] - stats["gold_redundant"])


def test_plain_page_body_is_content_and_cruft_is_boilerplate():
    gold = "\n\n".join([BRIDGE, MAYOR, TRAFFIC])
    rendered, records, stats = labelled(page_html([BRIDGE, MAYOR, TRAFFIC]), gold)
    for record in records:
        assert rendered[record["char_start"]:record["char_end"]] == record["text"]
        assert record["label"] in ("content", "boilerplate")
        assert 0.0 <= record["align_score"] <= 1.0
    assert labels_of(records, "Engineers said") == ["content"]
    assert labels_of(records, "Copyright 2026") == ["boilerplate"]
    for item in MENU:
        assert set(r["label"] for r in records if r["text"] == item) == {"boilerplate"}
    assert coverage(stats) == 1.0
    assert stats["content_unmatched"] == 0


def test_reordered_blocks_are_all_found():
    # The page shows the traffic paragraph first; the gold has it last.
    gold = "\n\n".join([BRIDGE, MAYOR, TRAFFIC])
    _, records, stats = labelled(page_html([TRAFFIC, BRIDGE, MAYOR]), gold)
    assert labels_of(records, "Drivers should expect") == ["content"]
    assert labels_of(records, "Buses will run") == ["content"]
    assert labels_of(records, "Engineers said") == ["content"]
    assert coverage(stats) == 1.0


def test_curly_quotes_dashes_entities_and_soft_hyphens_do_not_matter():
    body_html = ["The council\u2019s vote \u2014 seven to two \u2014 ends a long de\u00adbate about the "
                 "bridge\u2019s future.", "&ldquo;It is done,&rdquo; said Ms. O&#8217;Neil."]
    gold = ("The council's vote -- seven to two -- ends a long debate about the bridge's future.\n\n"
            "\"It is done,\" said Ms. O&#8217;Neil.")
    _, records, stats = labelled(page_html(body_html), gold)
    assert labels_of(records, "seven to two") == ["content"]
    assert labels_of(records, "It is done") == ["content"]
    assert coverage(stats) == 1.0
    assert all(r["align_score"] == 1.0 for r in records if r["label"] == "content")


def test_menu_words_repeated_in_the_body_stay_boilerplate():
    # A share toolbar sits between two body paragraphs; its words also occur in the body, and the gold holds
    # a sentence the page does not show (hand-copied differently) that contains them, right at that spot.
    toolbar = "<ul class='tools'><li>Share</li><li>More</li><li>Sports</li></ul>"
    html = page_html([BRIDGE]).replace("</div><div class='footer'>",
                                       f"{toolbar}<p>{SPORTS}</p></div><div class='footer'>")
    missing = "Readers can share views and more with the sports desk."
    _, records, stats = labelled(html, "\n\n".join([BRIDGE, missing, SPORTS]))
    for item in ("Sports", "Share", "More"):
        assert [r["label"] for r in records if r["text"] == item] == ["boilerplate", "boilerplate"]
    assert labels_of(records, "riverside fields") == ["content"]
    assert stats["content_unmatched"] == 0


def test_menu_word_alone_in_the_gold_gap_is_not_matched():
    # The gold opens with a sentence the page does not show; its first word is also a menu item shown before
    # the article. An isolated one-word match is not kept.
    gold = f"Weather permitting, the crews will start on Monday.\n\n{BRIDGE}"
    _, records, _ = labelled(page_html([BRIDGE]), gold)
    assert [r["label"] for r in records if r["text"] == "Weather"] == ["boilerplate"]


def test_gold_heading_out_of_order_does_not_take_a_menu_item():
    # The gold ends with a one-word heading the page does not show there; the page has that word as a menu
    # item, before the article (out of order). A short out-of-order match is not kept.
    gold = f"{BRIDGE}\n\n{TRAFFIC}\n\nWeather"
    _, records, _ = labelled(page_html([BRIDGE, TRAFFIC]), gold)
    assert [r["label"] for r in records if r["text"] == "Weather"] == ["boilerplate"]
    assert labels_of(records, "Buses will run") == ["content"]


def test_caption_quoting_the_body_is_boilerplate():
    caption = ("<figure><img src='bridge.jpg'><figcaption>\u201cWe will rebuild the bridge and we will do it "
               "right,\u201d the mayor told reporters.</figcaption></figure>")
    gold = "\n\n".join([BRIDGE, MAYOR, TRAFFIC])
    html = page_html([BRIDGE, MAYOR, TRAFFIC]).replace(f"<p>{MAYOR}", f"{caption}<p>{MAYOR}")
    _, records, stats = labelled(html, gold)
    caption_records = [r for r in records if r["text"].endswith("the mayor told reporters.")]
    body_records = [r for r in records if "outside the council chamber" in r["text"]]
    assert [r["label"] for r in caption_records] == ["boilerplate"]
    assert [r["label"] for r in body_records] == ["content"]
    assert coverage(stats) == 1.0


def test_empty_gold_makes_every_sentence_boilerplate():
    _, records, stats = labelled(page_html([BRIDGE, MAYOR]), "  \n\n ")
    assert records and {r["label"] for r in records} == {"boilerplate"}
    assert stats["gold_tokens"] == 0 and stats["content_tokens"] == 0


def test_short_heading_that_is_a_whole_gold_paragraph_is_content():
    body = "<h2>Detours</h2><p>Posted by the desk</p>"
    gold = "\n\n".join([BRIDGE, "Detours", TRAFFIC])
    html = page_html([BRIDGE], before_body="").replace("</div><div class='footer'>",
                                                      f"{body}<p>{TRAFFIC}</p></div><div class='footer'>")
    _, records, stats = labelled(html, gold)
    assert [r["label"] for r in records if r["text"] == "Detours"] == ["content"]
    assert labels_of(records, "Posted by the desk") == ["boilerplate"]
    assert coverage(stats) == 1.0


def test_gold_paragraph_held_twice_is_collapsed():
    gold = "\n\n".join([BRIDGE, BRIDGE, TRAFFIC])
    _, _, stats = labelled(page_html([BRIDGE, TRAFFIC]), gold)
    assert stats["gold_duplicates_dropped"] == 1
    assert coverage(stats) == 1.0


def test_gold_block_repeated_inside_a_longer_paragraph_is_redundant_not_missed():
    gold = "\n\n".join([BRIDGE, TRAFFIC, f"{BRIDGE} {TRAFFIC}"])
    _, _, stats = labelled(page_html([BRIDGE, TRAFFIC]), gold)
    assert stats["gold_redundant"] > 0
    assert coverage(stats) == 1.0


def test_words_run_together_in_the_gold_are_split():
    gold = BRIDGE.replace("old river bridge", "oldriverbridge") + f"\n\n{TRAFFIC}"
    _, records, stats = labelled(page_html([BRIDGE, TRAFFIC]), gold)
    bridge = [r for r in records if "old river bridge" in r["text"]]
    assert [r["align_score"] for r in bridge] == [1.0]
    assert coverage(stats) == 1.0


def test_tokenize_folds_case_accents_invisibles_and_skips_entities():
    tokens = tokenize("Caf\u00e9 CAFE\u0301 co\u00adoperate &amp; zero\u200bwidth \uff21BC")
    assert tokens.words == ["cafe", "cafe", "cooperate", "zerowidth", "abc"]
    text = "Hello, world"
    tokens = tokenize(text)
    assert [text[s:e] for s, e in zip(tokens.starts, tokens.ends, strict=True)] == ["Hello", "world"]


def test_tokenize_groups_by_line():
    text = "first line here\nsecond line\n\nthird"
    assert tokenize(text, line_spans(text)).groups == [0, 0, 0, 1, 1, 2]


def test_gold_paragraphs_split_lines_and_unescape():
    assert gold_paragraphs("One &amp; two\nthree\n\n\n  four  ") == ["One & two", "three", "four"]
    assert gold_paragraphs("") == []


def test_dedupe_keeps_repeats_the_page_really_has():
    gold = gold_tokens(["a b c d", "a b c d", "e f"])
    kept, dropped = dedupe_gold(gold, ["a", "b", "c", "d", "x", "a", "b", "c", "d", "e", "f"])
    assert (kept.words, dropped) == (gold.words, 0)
    kept, dropped = dedupe_gold(gold, ["a", "b", "c", "d", "x", "e", "f"])
    assert (kept.words, kept.groups, dropped) == (["a", "b", "c", "d", "e", "f"], [0, 0, 0, 0, 2, 2], 1)


def test_alignment_is_one_to_one():
    gold = gold_tokens(["alpha beta gamma delta epsilon"])
    dump_text = "alpha beta gamma delta epsilon\nalpha beta gamma delta epsilon"
    dump = tokenize(dump_text, line_spans(dump_text))
    alignment = align(gold, dump)
    assert sorted(j for j in alignment.gold_to_dump) == [0, 1, 2, 3, 4]
    assert alignment.dump_to_gold[5:] == [-1] * 5


def test_split_joined_keeps_spans():
    joined = Tokens(["redbus"], [0], [6], [0])
    other = Tokens(["red", "bus"], [0, 4], [3, 7], [0, 0])
    out = split_joined(joined, other)
    assert out.words == ["red", "bus"] and out.starts == [0, 0] and out.ends == [6, 6]


@pytest.mark.parametrize("gold", ["", BRIDGE])
def test_page_without_sentences_gives_no_records(gold):
    records, stats = label_sentences([], "", gold)
    assert records == [] and stats["n_sentences"] == 0


def test_headline_at_the_top_of_the_gold_is_boilerplate():
    # Some corpora start the gold with the headline; the project labels the headline boilerplate.
    html = page_html([BRIDGE, TRAFFIC], title="Council votes to rebuild river bridge")
    gold = f"Council votes to rebuild river bridge\n\n{BRIDGE}\n\n{TRAFFIC}"
    _, records, stats = labelled(html, gold)
    assert labels_of(records, "Council votes to rebuild river bridge") == ["boilerplate", "boilerplate"]  # title, h1
    assert stats["gold_headlines_dropped"] == 1
    assert labels_of(records, "Engineers said") == ["content"]
    assert coverage(stats) == 1.0


def test_headline_count_only_takes_leading_title_paragraphs():
    titles = ["Council votes to rebuild river bridge | Example Gazette"]
    assert headline_count(["Council votes to rebuild river bridge", BRIDGE], titles) == 1
    assert headline_count(["Local news", "Council votes to rebuild river bridge", BRIDGE], titles) == 0
    assert headline_count([BRIDGE, "Council votes to rebuild river bridge"], titles) == 0
    assert headline_count(["Council votes to rebuild", BRIDGE], []) == 0
    assert html_titles("<html><head><title>A &amp; B</title></head><body><H1 class=x>Big <b>news</b></H1>") == [
        "A & B", "Big news"]
