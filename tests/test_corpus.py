"""Corpus import: a small corpus written by the tests (same format as ../shared/corpora), then the real ones."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from winnow.cli import app
from winnow.corpus import (
    PAGE_COLUMNS,
    SENTENCE_COLUMNS,
    CorpusError,
    corpus_dirs,
    import_corpus,
    import_page,
    write_corpus,
)
from winnow.silver_report import corpus_summary

from .test_silver import BRIDGE, MAYOR, SPORTS, TRAFFIC, page_html


def make_pages() -> list[dict]:
    good = {"id": "p1", "url": "https://example.org/a", "site": "example.org", "split": "train",
            "page_type": "article", "html": page_html([BRIDGE, MAYOR, TRAFFIC]),
            "gold_text": f"{BRIDGE}\n\n{MAYOR}\n\n{TRAFFIC}"}
    reordered = {"id": "p2", "url": None, "site": "example.net", "split": "test",
                 "html": page_html([TRAFFIC, SPORTS, BRIDGE]), "gold_text": f"{BRIDGE}\n\n{SPORTS}\n\n{TRAFFIC}"}
    empty_gold = {"id": "p3", "url": None, "site": None, "split": None, "html": page_html([MAYOR]),
                  "gold_text": ""}
    empty_render = {"id": "p4", "url": None, "site": "blank.org", "split": None,
                    "html": "<html><head><script>var x = 1;</script></head><body></body></html>",
                    "gold_text": "Something the page does not show."}
    mangled = {"id": "p5", "url": None, "site": "mangled.org", "split": None,
               "html": "<html><body><p>lone surrogate \ud800 and a \x0b tab here</p></body></html>",
               "gold_text": "lone surrogate and a tab here"}
    return [good, reordered, empty_gold, empty_render, mangled]


@pytest.fixture
def corpus_root(tmp_path):
    folder = tmp_path / "corpora" / "toy"
    folder.mkdir(parents=True)
    with gzip.open(folder / "pages.jsonl.gz", "wt", encoding="utf-8") as handle:
        for page in make_pages():
            handle.write(json.dumps(page) + "\n")
    return tmp_path / "corpora"


def test_import_page_keeps_metadata_and_offsets():
    page = make_pages()[0]
    result = import_page("toy", page)
    assert result["status"] == "ok"
    rendered = result["page"]["text"]
    for record in result["records"]:
        assert set(record) == set(SENTENCE_COLUMNS)
        assert record["article_id"] == "toy/p1" and record["sentence_id"].startswith("toy/p1:")
        assert (record["corpus"], record["site"], record["split"], record["page_type"]) == (
            "toy", "example.org", "train", "article")
        assert rendered[record["char_start"]:record["char_end"]] == record["text"]
    assert set(result["page"]) == set(PAGE_COLUMNS)
    assert result["page"]["n_sentences"] == len(result["records"])
    assert result["stats"]["gold_covered"] == result["stats"]["gold_tokens"]


def test_import_corpus_counts_skipped_and_empty_gold(corpus_root):
    result = import_corpus(corpus_root / "toy", workers=1)
    assert [page["page_id"] for page in result.pages] == ["p1", "p2", "p3", "p5"]
    assert result.empty_gold == ["p3"]
    assert {s["page_id"]: s["status"] for s in result.skipped} == {"p4": "empty_render"}
    assert {r["label"] for r in result.records if r["page_id"] == "p5"} == {"content"}
    assert {r["label"] for r in result.records if r["page_id"] == "p3"} == {"boilerplate"}
    summary = corpus_summary({"corpus": "toy", "pages": result.page_stats, "empty_gold": result.empty_gold,
                              "skipped": result.skipped})
    assert summary["pages_labelled"] == 3 and summary["pages_empty_gold"] == 1 and summary["pages_skipped"] == 1
    assert summary["gold_coverage"]["median"] == 1.0 and summary["content_precision_pooled"] == 1.0


def test_output_is_the_same_for_one_or_two_workers_and_byte_identical(corpus_root, tmp_path):
    one = import_corpus(corpus_root / "toy", workers=1)
    two = import_corpus(corpus_root / "toy", workers=2)
    assert one.records == two.records and one.pages == two.pages
    paths_a = write_corpus(one, tmp_path / "a")
    paths_b = write_corpus(two, tmp_path / "b")
    for key in paths_a:
        assert paths_a[key].read_bytes() == paths_b[key].read_bytes(), key
    table = pq.read_table(paths_a["sentences"])
    assert tuple(table.column_names) == SENTENCE_COLUMNS
    assert tuple(pq.read_table(paths_a["pages"]).column_names) == PAGE_COLUMNS
    assert table.num_rows == len(one.records)


def test_corpus_dirs_finds_root_or_single_folder(corpus_root, tmp_path):
    assert [d.name for d in corpus_dirs(corpus_root)] == ["toy"]
    assert [d.name for d in corpus_dirs(corpus_root / "toy")] == ["toy"]
    with pytest.raises(CorpusError, match="no pages.jsonl.gz"):
        corpus_dirs(tmp_path)
    with pytest.raises(CorpusError, match="not a directory"):
        corpus_dirs(tmp_path / "missing")


def test_bad_corpus_file_is_named(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "pages.jsonl.gz").write_bytes(gzip.compress(b'{"id": "x", "html": "<p>a</p>"}\nnot json\n'))
    with pytest.raises(CorpusError, match=r"pages.jsonl.gz:2: not valid JSON"):
        import_corpus(folder, workers=1)


def test_cli_import_writes_outputs_and_report(corpus_root, tmp_path):
    out, report = tmp_path / "silver", tmp_path / "eval"
    args = ["import-corpus", str(corpus_root), "--out-dir", str(out), "--report-dir", str(report),
            "--workers", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"toy.parquet", "toy-pages.parquet", "toy-stats.json"}
    summary = json.loads((report / "silver-report.json").read_text())["corpora"][0]
    assert summary["corpus"] == "toy" and summary["meets_targets"] is True
    report_md = (report / "silver-report.md").read_text()
    assert "| toy |" in report_md and BRIDGE[:30] not in report_md  # numbers only, no page text
    assert "| toy |" not in (report / "silver-samples.md").read_text()
    assert "## toy" in (report / "silver-samples.md").read_text()


def test_cli_errors_are_clear(tmp_path):
    result = CliRunner().invoke(app, ["import-corpus", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "error:" in result.output and "not a directory" in result.output
    result = CliRunner().invoke(app, ["silver-report", "--silver-dir", str(tmp_path)])
    assert result.exit_code == 1 and "no *-stats.json" in result.output


@pytest.mark.corpora
def test_real_corpora_first_pages_align_well(corpora):
    """The first pages of every corpus in ../shared/corpora: gold coverage and precision near the targets."""
    for folder in corpus_dirs(corpora):
        result = import_corpus(folder, workers=1, limit=12)
        assert result.records, folder.name
        summary = corpus_summary({"corpus": folder.name, "pages": result.page_stats,
                                  "empty_gold": result.empty_gold, "skipped": result.skipped})
        assert summary["gold_coverage"]["median"] >= 0.95, (folder.name, summary["gold_coverage"])
        assert summary["content_precision_pooled"] >= 0.95, (folder.name, summary["content_precision_pooled"])


def test_headline_at_the_top_of_the_gold_is_kept_apart_for_the_evaluation():
    page = {**make_pages()[0], "gold_text": f"Bridge vote\n\n{BRIDGE}\n\n{MAYOR}\n\n{TRAFFIC}"}
    result = import_page("toy", page)
    assert result["page"]["gold_headline"] == "Bridge vote"
    assert result["page"]["gold_text"] == page["gold_text"]
    assert {r["label"] for r in result["records"] if r["text"] == "Bridge vote"} == {"boilerplate"}
    assert make_pages()[0]["gold_text"] and import_page("toy", make_pages()[0])["page"]["gold_headline"] is None
