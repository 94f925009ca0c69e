"""The held-out test of the shipped model (winnow.unseen) on an invented imported corpus."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from winnow.clean import clean_text
from winnow.cli import app
from winnow.model import load_model
from winnow.report import _normalise
from winnow.threshold_sweep import threshold_label
from winnow.unseen import (
    clean_pages,
    evaluate_unseen,
    gold_share,
    gold_share_groups,
    page_groups,
    scored_systems,
    sentence_counts,
    sentence_summary,
    summarise_systems,
    trained_pages,
    unseen_markdown,
    unseen_pages,
    write_unseen,
)

BODY = ("The council approved the harbour budget on Tuesday after a long debate about the old piers. "
        "Work on the footpath along the water is expected to start in March and to last two years.")
OTHER = ("Residents of the valley said the new bus line would cut their trip to the hospital by half. "
         "The first buses will run in the spring, the transport office said on Friday.")
TEMPLATE = "Home | News | Sport | Weather\n"
FOOTER = "\nSubscribe to our newsletter for more stories\n"
# page id -> (site, page type, dump, gold text)
PAGES = {
    "p1": ("one.example", "article", TEMPLATE + BODY + FOOTER, BODY),       # a training page
    "p2": ("one.example", "article", TEMPLATE + OTHER + FOOTER, OTHER),     # its site was in training
    "p3": (None, "forum", TEMPLATE + BODY + FOOTER, BODY),                  # no site, and unsited pages trained
    "p4": ("four.example", "article", "  \n", BODY),                        # an empty dump
    "p5": ("five.example", "article", TEMPLATE + BODY + FOOTER, "Harbour budget\n\n" + BODY),
    "p6": ("five.example", "forum", TEMPLATE + OTHER + FOOTER, OTHER),
    "p7": ("seven.example", None, TEMPLATE + OTHER + FOOTER, OTHER),
}
HTML = "<html><body><nav><a href='/'>Home</a></nav><article><p>{}</p></article></body></html>"


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    silver, corpora, cv = tmp_path / "silver", tmp_path / "corpora", tmp_path / "training-pages.parquet"
    silver.mkdir()
    rows = [{"page_id": page_id, "site": site, "page_type": page_type, "text": text, "gold_text": gold,
             "gold_headline": "Harbour budget" if gold.startswith("Harbour budget") else None}
            for page_id, (site, page_type, text, gold) in PAGES.items()]
    pd.DataFrame(rows).to_parquet(silver / "democorp-pages.parquet")
    pd.DataFrame([{"corpus": "democorp", "site": "democorp:unknown-site", "article_id": "democorp/p0"},
                  {"corpus": "democorp", "site": "one.example", "article_id": "democorp/p1"}]).to_parquet(cv)
    (corpora / "democorp").mkdir(parents=True)
    with gzip.open(corpora / "democorp" / "pages.jsonl.gz", "wt", encoding="utf-8") as handle:
        for page_id in ("p5", "p6"):  # p7 has no HTML: the extractors skip it
            handle.write(json.dumps({"id": page_id, "html": HTML.format(PAGES[page_id][3])}) + "\n")
    return {"silver": silver, "corpora": corpora, "cv": cv}


def test_unseen_pages_leave_out_training_pages_and_their_sites(inputs: dict[str, Path]) -> None:
    ids, sites = trained_pages(inputs["cv"])
    pages, counts = unseen_pages(inputs["silver"], ["democorp", "absent"], ids, sites)
    assert counts == {"democorp": {"pages": 7, "in_training": 1, "site_in_training": 1, "no_site": 1, "empty": 1,
                                   "kept": 3}}
    assert [p["page_id"] for p in pages] == ["democorp/p5", "democorp/p6", "democorp/p7"]
    assert pages[0]["gold_text"] == BODY  # the headline the import recognised is not body text
    assert [p["page_type"] for p in pages] == ["article", "forum", None]
    # without unsited training pages, a page without a site is unseen too
    pages, counts = unseen_pages(inputs["silver"], ["democorp"], ids, {"one.example"})
    assert counts["democorp"]["no_site"] == 0 and "democorp/p3" in {p["page_id"] for p in pages}


def test_clean_pages_write_what_winnow_clean_writes(seed_model, inputs: dict[str, Path], tmp_path: Path) -> None:
    work, _ = seed_model
    model = load_model(work / "model.skops")
    ids, sites = trained_pages(inputs["cv"])
    pages, _ = unseen_pages(inputs["silver"], ["democorp"], ids, sites)
    alone, _ = clean_pages(pages, model, by_site=False)
    assert [o["pred_text"] for o in alone] == [clean_text(p["text"], model) for p in pages]
    assert all(len(o["sentences"]) > 0 for o in alone)

    crawl, out = tmp_path / "crawl", tmp_path / "out"
    for page in pages:
        (crawl / page["site"]).mkdir(parents=True, exist_ok=True)
        (crawl / page["site"] / f"{page['page_id'].partition('/')[2]}.txt").write_text(page["text"], encoding="utf-8")
    subprocess.run([sys.executable, "-m", "winnow.cli", "clean", "--model", str(work / "model.skops"),
                    "--by-site", "--input-dir", str(crawl), "--output-dir", str(out)], check=True, capture_output=True)
    by_site, _ = clean_pages(pages, model, by_site=True)
    for page, output in zip(pages, by_site, strict=True):
        written = (out / page["site"] / f"{page['page_id'].partition('/')[2]}.txt").read_text(encoding="utf-8")
        assert output["pred_text"] == written


def test_the_difference_from_trafilatura_is_paired() -> None:
    pages = [{"corpus": "c", "page_type": None, "gold_text": text} for text in (BODY, OTHER, BODY + " " + OTHER)]
    perfect = [p["gold_text"] for p in pages]
    half = [BODY, "", BODY]
    texts = {"trafilatura": perfect, "winnow": half, "readability": [BODY, None, None]}
    scores = summarise_systems(scored_systems(pages, texts), page_groups(pages), n_boot=50, seed=0)["c"]
    assert scores["trafilatura"]["f1"]["value"] == 1.0 and "f1_minus_reference" not in scores["trafilatura"]
    winnow = scores["winnow"]
    assert winnow["pages_without_output"] == 1 and winnow["f1_minus_reference"]["value"] < 0
    assert winnow["f1_minus_reference"]["high"] <= 0  # every resample: never better than the perfect system
    # readability ran on one page only: it is compared with trafilatura on that page
    assert scores["readability"]["pages"] == 1 and scores["readability"]["f1_minus_reference"]["value"] == 0.0


def test_pages_are_grouped_by_how_much_of_the_page_is_article() -> None:
    menu = "Home News Sport Weather Contact " * 20  # 100 words
    pages = [{"corpus": "c", "text": menu + BODY, "gold_text": BODY},                   # 34 of 134 words: 25%
             {"corpus": "c", "text": menu * 3 + BODY, "gold_text": BODY},               # 34 of 334: 10.2%
             {"corpus": "c", "text": menu * 4 + BODY, "gold_text": BODY},               # 34 of 434: 7.8%
             {"corpus": "d", "text": BODY, "gold_text": BODY},
             {"corpus": "d", "text": "", "gold_text": BODY}]                            # no words: not divided by 0
    assert [round(gold_share(page), 3) for page in pages] == [0.254, 0.102, 0.078, 1.0, 34.0]
    groups = gold_share_groups(pages)
    assert {key: mask.nonzero()[0].tolist() for key, mask in groups.items()} == {
        "c, gold < 10% of the page": [2], "c, gold 10–25%": [1], "c, gold ≥ 25%": [0], "d, gold ≥ 25%": [3, 4]}


def test_sentence_counts_use_only_labelled_sentences() -> None:
    outputs = [{"sentences": {"a:1": True, "a:2": False, "a:3": True}}, {"sentences": {"b:1": False}}]
    labels = {"a:1": 1, "a:2": 1, "b:1": 0, "c:9": 1}  # a:3 ambiguous (no label), c:9 not segmented alike
    counts, unmatched = sentence_counts(outputs, labels)
    assert counts.tolist() == [[1, 0, 1, 0], [0, 0, 0, 1]] and unmatched == 1


def test_sentence_summary_pools_sentences_and_averages_pages() -> None:
    pages = [{"corpus": "c"}, {"corpus": "c"}, {"corpus": "c"}]
    counts = np.array([[90, 0, 0, 10], [0, 0, 2, 1], [0, 0, 0, 5]])  # right; content all dropped; no content
    summary = sentence_summary(counts, pages, n_boot=50, seed=0)["c"]
    assert summary["f1"]["value"] == pytest.approx(180 / 182)  # pooled: the long page rules
    assert summary["page_mean_f1"]["value"] == pytest.approx(0.5)  # the page without content either way skipped
    assert summary["page_mean_f1"]["low"] <= 0.5 <= summary["page_mean_f1"]["high"]
    assert summary["sentences"] == 108
    assert "| c | winnow | 1.000 | 0.978 | 0.989 [0.000, 1.000] | 0.500 [0.000, 1.000] | 108 |" in unseen_markdown({
        "model": "m", "threshold": 0.5, "n_boot": 50, "seed": 0, "reference_system": "trafilatura", "pages": {},
        "shingle": {}, "sentence": {"winnow": {"c": summary}}})


def test_eval_unseen_cli_end_to_end(seed_model, inputs: dict[str, Path], tmp_path: Path) -> None:
    work, _ = seed_model
    config = tmp_path / "config.toml"
    config.write_text('[data]\ncorpora = ["democorp"]\nambiguous_band = [0.3, 0.7]\n', encoding="utf-8")
    args = ["eval-unseen", "--model", str(work / "model.skops"), "--training-pages", str(inputs["cv"]),
            "--config", str(config), "--silver-dir", str(inputs["silver"]), "--corpora", str(inputs["corpora"]),
            "--n-boot", "20"]
    first = CliRunner().invoke(app, [*args, "--out-dir", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(app, [*args, "--out-dir", str(tmp_path / "b")])
    assert second.exit_code == 0, second.output
    metrics = (tmp_path / "a" / "unseen.json").read_bytes()
    assert metrics == (tmp_path / "b" / "unseen.json").read_bytes()  # reproducible, timing kept out
    for name in ("unseen.md", "unseen.png", "unseen-threshold.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert set(json.loads((tmp_path / "a" / "unseen-timing.json").read_text())) == {
        "winnow", "winnow --by-site", "trafilatura", "readability"}
    result = json.loads(metrics)
    assert result["pages_with_html"] == 2 and result["pages"]["democorp"]["kept"] == 3
    shingle = result["shingle"]
    assert set(shingle) == {"democorp", "democorp (article)", "democorp (forum)"}
    assert shingle["democorp"]["trafilatura"]["pages"] == 2 and shingle["democorp"]["winnow"]["pages"] == 2
    assert shingle["democorp (article)"]["winnow --by-site"]["pages"] == 1
    assert set(result["shingle_by_gold_share"]) == {"democorp, gold ≥ 25%"}
    by_share = result["shingle_by_gold_share"]["democorp, gold ≥ 25%"]
    assert set(by_share) == {"winnow", "trafilatura"}
    assert by_share["winnow"] == shingle["democorp"]["winnow"]  # every page is in that bin
    report = (tmp_path / "a" / "unseen.md").read_text(encoding="utf-8")
    assert "| democorp | winnow |" in report and "trafilatura †" in report and "unseen.png" in report
    assert "## By the article's share of the page" in report and "| democorp, gold ≥ 25% | 2 |" in report
    # the threshold sweep: scored on the pages trafilatura ran on, so at the default it is the table's winnow row
    sweep = result["threshold_sweep"]["democorp"]
    at_default = sweep["thresholds"].index(result["threshold"])
    for key in ("precision", "recall", "f1"):
        assert sweep[key][at_default] == shingle["democorp"]["winnow"][key]["value"]
    assert sweep["pages"] == 2 and set(result["threshold_sweep"]) == {"democorp"}
    default = threshold_label(result["threshold"])
    assert "## The threshold (`--threshold`)" in report and f"{default} (default)" in report
    assert "unseen-threshold.png" in report

    missing = CliRunner().invoke(app, [*args[:-2], "--silver-dir", str(tmp_path / "nothing"), "--n-boot", "20",
                                       "--out-dir", str(tmp_path / "c")])
    assert missing.exit_code == 1 and "no unseen pages" in missing.output


def test_write_unseen_needs_no_html(seed_model, inputs: dict[str, Path], tmp_path: Path) -> None:
    model = load_model(seed_model[0] / "model.skops")
    result = evaluate_unseen(model, inputs["silver"], ["democorp"], inputs["cv"], None, n_boot=10)
    assert result["metrics"]["pages_with_html"] == 0
    assert set(result["metrics"]["shingle"]["democorp"]) == {"winnow", "winnow --by-site", "keep everything"}
    keep_all = result["metrics"]["shingle"]["democorp"]["keep everything"]
    assert keep_all["recall"]["value"] == 1.0 and keep_all["precision"]["value"] < 1.0  # the dump holds every gold
    assert set(result["timing"]) == {"winnow", "winnow --by-site"}
    assert result["metrics"]["silver_sentences"] == 0  # no sentence table imported: nothing to score against
    assert result["metrics"]["sentence"]["winnow"]["democorp"]["sentences"] == 0
    paths = write_unseen(result, tmp_path)
    written = json.loads(paths[0].read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(_normalise(result["metrics"])))  # the metrics, floats rounded
    assert "| democorp | winnow --by-site |" in paths[1].read_text(encoding="utf-8")
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
