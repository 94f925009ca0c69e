"""Baselines on small hand-written pages."""

from __future__ import annotations

import pytest

from winnow.baselines import (
    SYSTEMS,
    blocks_of,
    c4_lines,
    fineweb_lines,
    join_kept,
    justext_html,
    justext_text,
    keep_everything,
    make_dummy,
    readability_html,
    run_baselines,
    timed_run,
    trafilatura_html,
)
from winnow.segment import segment_text

# Two long, stop-word-rich paragraphs (> 200 characters each, so jusText calls them good).
BODY_1 = ("The city council approved a new budget for the harbour district on Tuesday evening. Members said "
          "that the plan would repair the old wooden piers, and that it would also add a footpath along the "
          "water for people who walk to work.")
BODY_2 = ("The mayor, who first proposed the plan in the spring, said that the work would start in March and "
          "that it would last for about two years. Some of the critics argued that all of the money should go "
          "to the schools instead.")


def page(*lines: str) -> list[dict]:
    return segment_text("page", "\n".join(lines) + "\n")


def decisions_by_block(sentences: list[dict], keep: list[int]) -> dict[int, int]:
    by_block: dict[int, set[int]] = {}
    for sentence, decision in zip(sentences, keep, strict=True):
        by_block.setdefault(sentence["block"], set()).add(decision)
    assert all(len(v) == 1 for v in by_block.values()), "a block's sentences must share its decision"
    return {block: values.pop() for block, values in by_block.items()}


def test_blocks_and_join_kept() -> None:
    sentences = page("Top stories", "First one. Second one.", "Footer")
    assert blocks_of(sentences) == [(0, "Top stories"), (1, "First one. Second one."), (2, "Footer")]
    assert join_kept(sentences, [0, 0, 1, 1]) == "Second one.\nFooter"
    assert join_kept(sentences, [0, 0, 0, 0]) == ""
    with pytest.raises(ValueError, match="4 sentences but 1 decisions"):
        join_kept(sentences, [1])


def test_keep_everything() -> None:
    assert keep_everything(page("a", "b")) == [1, 1]
    assert keep_everything([]) == []


def test_dummy_most_frequent_and_stratified() -> None:
    sentences = page(*[f"Line number {i}." for i in range(40)])
    assert make_dummy([0, 0, 1])(sentences) == [0] * 40
    assert make_dummy([1, 1, 0])(sentences) == [1] * 40
    stratified = make_dummy([0, 1] * 10, strategy="stratified", seed=5)
    first = stratified(sentences)
    assert first == stratified(sentences) == make_dummy([0, 1] * 10, "stratified", 5)(sentences)
    assert 0 < sum(first) < 40
    assert stratified([]) == []
    with pytest.raises(ValueError, match="needs training labels"):
        make_dummy([])


C4_PAGE = (
    "Menu",  # 0: too few words, no punctuation
    "The bridge reopened on Monday after two years of repairs.",  # 1: kept
    "Please enable JavaScript to watch this video.",  # 2: javascript
    "We use cookies to give you the best experience.",  # 3: policy phrase
    "Read the full story and more...",  # 4: ellipsis is not terminal punctuation
    "The war ended in 1945.[1]",  # 5: citation removed, then ends with '.'
    "Sign up for our daily newsletter today",  # 6: no terminal punctuation
    "He said: \"We will rebuild it.\"",  # 7: ends with a quote
    "Var x = {a: 1}; is not news.",  # 8: curly bracket (drops the page in C4, the line here)
    "Traffic was diverted for the whole weekend, police said.",  # 9: kept
)


def test_c4_line_rules() -> None:
    sentences = page(*C4_PAGE)
    keep = decisions_by_block(sentences, c4_lines(sentences))
    assert [keep[b] for b in range(len(C4_PAGE))] == [0, 1, 0, 0, 0, 1, 0, 1, 0, 1]


def test_c4_document_rules_drop_short_pages() -> None:
    short = page("The bridge reopened on Monday after two years of repairs.", "Menu")
    assert c4_lines(short) == [1, 0]
    assert c4_lines(short, document_rules=True) == [0, 0]  # fewer than 5 sentences on the page
    long = page(*C4_PAGE[:8], "Officials expect more visitors. The shops agree. Prices rose.", C4_PAGE[9])
    assert sum(c4_lines(long, document_rules=True)) == sum(c4_lines(long)) > 0


def test_fineweb_line_rules() -> None:
    lines = (
        "Short line ending well.",  # 0: <= 30 characters
        "A long line about the harbour budget without an ending",  # 1: no terminal punctuation
        "A long line about the harbour budget with an ending!",  # 2: kept
        "Share this article with your friends on social media.",  # 3: kept (first time)
        "Share this article with your friends on social media.",  # 4: repeat of 3
    )
    sentences = page(*lines)
    keep = decisions_by_block(sentences, fineweb_lines(sentences))
    assert [keep[b] for b in range(len(lines))] == [0, 0, 1, 1, 0]


def test_fineweb_document_rules() -> None:
    mostly_short = page("Home", "News", "Sport", "Weather", "A long line about the harbour budget, with an end.")
    assert fineweb_lines(mostly_short)[-1] == 1
    assert fineweb_lines(mostly_short, document_rules=True) == [0] * 5  # short_line_ratio above 0.67


def test_justext_on_text_blocks() -> None:
    sentences = page("Home | World | Sport", BODY_1, "Photo: Jane Doe", BODY_2, "Copyright \xa9 2024 Example News")
    keep = decisions_by_block(sentences, justext_text(sentences))
    # navigation and the copyright line are bad; the short caption between two good paragraphs turns good
    assert keep == {0: 0, 1: 1, 2: 1, 3: 1, 4: 0}


def test_justext_on_text_needs_context() -> None:
    alone = page("Home | World | Sport", "Short news item, nothing else here.", "Contact us")
    assert justext_text(alone) == [0, 0, 0]


HTML = f"""<!doctype html><html><head><title>Harbour budget approved</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<article><h1>Harbour budget approved</h1><p>{BODY_1}</p><p>{BODY_2}</p></article>
<aside><a href="/a">Ten things to do this weekend</a><a href="/b">Best pizza in town</a></aside>
<footer><p>Copyright &copy; 2024 Example News. All rights reserved.</p></footer>
</body></html>"""


@pytest.mark.parametrize("extract", [trafilatura_html, readability_html, justext_html])
def test_html_extractors_keep_body_drop_chrome(extract) -> None:
    text = extract(HTML)
    assert "wooden piers" in text and "schools instead" in text
    assert "Best pizza" not in text and "All rights reserved" not in text


def test_html_extractors_on_empty_page() -> None:
    assert trafilatura_html("<html><body></body></html>") == ""
    with pytest.raises(Exception):  # noqa: B017 -- readability raises its own Unparseable
        readability_html("")


def test_registry_marks_dom_systems() -> None:
    assert {name for name, s in SYSTEMS.items() if s["dom"]} == {"trafilatura", "readability", "justext_html"}
    assert all(s["input"] == ("html" if s["dom"] else "sentences") for s in SYSTEMS.values())


def test_timed_run_counts_and_errors() -> None:
    ticks = iter([10.0, 12.0])

    def fn(x: int) -> int:
        if x < 0:
            raise ValueError("bad page")
        return x * 2

    calls = []
    outputs, stats = timed_run(lambda x: calls.append(x) or fn(x), [1, -1, 3, 4], empty=0,
                               clock=lambda: next(ticks))
    assert calls == [1, 1, -1, 3, 4]  # warm-up call on the first input, outside the clock
    assert outputs == [2, 0, 6, 8]
    assert stats == {"n_pages": 4, "seconds": 2.0, "pages_per_s": 2.0, "n_errors": 1}
    with pytest.raises(ValueError, match="bad page"):
        timed_run(fn, [1, -1], warmup=False)


def test_timed_run_progress_wraps_the_timed_loop() -> None:
    seen = []

    def progress(items):
        for item in items:  # a progress bar advances as each input is run, inside the clock
            seen.append(("next", item))
            yield item

    outputs, _ = timed_run(lambda x: seen.append(("run", x)) or x + 1, [1, 2], progress=progress, warmup=False)
    assert outputs == [2, 3] and seen == [("next", 1), ("run", 1), ("next", 2), ("run", 2)]
    names = []
    run_baselines([{"corpus": "demo", "page_id": "p1", "sentences": [], "html": HTML}],
                  {"trafilatura": SYSTEMS["trafilatura"]}, progress=lambda items, name: names.append(name) or items)
    assert names == ["trafilatura"]


def test_run_baselines_tables() -> None:
    sentences = page("Home | World | Sport", BODY_1, BODY_2)
    for sentence in sentences:
        sentence["y_true"] = int(sentence["block"] > 0)
        sentence["kind"] = None if sentence["block"] > 0 else "navigation"
    pages = [{"corpus": "demo", "page_id": "p1", "site": "one.example", "sentences": sentences, "html": HTML},
             {"corpus": "demo", "page_id": "p2", "site": "two.example",
              "sentences": page("Unlabelled page, just text."), "gold_text": "Unlabelled page"}]
    result = run_baselines(pages, dummy_labels=[1, 1, 0])
    assert set(result["timing"]) == set(SYSTEMS) | {"dummy"}
    assert result["timing"]["trafilatura"]["n_pages"] == 1  # only p1 has HTML
    assert result["timing"]["c4_lines"]["n_pages"] == 2
    # sentence rows only for the labelled page: 5 text systems x its sentences
    rows = result["predictions"]
    assert {r["page_id"] for r in rows} == {"p1"}
    assert len(rows) == 5 * len(sentences)
    keep_rows = [r for r in rows if r["system"] == "keep_everything"]
    assert [r["y_true"] for r in keep_rows] == [0] + [1] * (len(sentences) - 1)
    by_key = {(p["system"], p["page_id"]): p for p in result["pages"]}
    assert by_key[("keep_everything", "p1")]["gold_text"] == f"{BODY_1}\n{BODY_2}"
    assert by_key[("justext_text", "p1")]["pred_text"] == f"{BODY_1}\n{BODY_2}"
    assert by_key[("keep_everything", "p2")]["gold_text"] == "Unlabelled page"
    assert ("trafilatura", "p2") not in by_key and "wooden piers" in by_key[("trafilatura", "p1")]["pred_text"]
    no_html = run_baselines([{**pages[0], "html": None}])
    assert "trafilatura" not in no_html["timing"] and "keep_everything" in no_html["timing"]
