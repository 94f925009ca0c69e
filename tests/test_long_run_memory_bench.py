"""bench/long_run_memory.py: the passes it cleans, what it reports, and a run end to end on a tiny corpus."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

from .conftest import REPO, SEED_FILES, load_bench

lrm = load_bench("long_run_memory")


def test_each_pass_rotates_the_digits_and_renames_the_pages(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text("Updated 09:45, 2 comments\n", encoding="utf-8")
    assert list(lrm.rotated([page], 0)) == [("p-0", "Updated 09:45, 2 comments\n")]
    assert list(lrm.rotated([page], 3)) == [("p-3", "Updated 32:78, 5 comments\n")]
    assert list(lrm.rotated([page], 13)) == [("p-13", "uPDATED 32:78, 5 COMMENTS\n")]
    passes = [text for k in range(lrm.MAX_PASSES) for _, text in lrm.rotated([page], k)]
    assert len(set(passes)) == lrm.MAX_PASSES  # every pass brings numbers the others do not


def test_summary_finds_each_drop_of_the_cache_and_the_growth():
    rows = [{"pass": k + 1, "rss_mib": rss, "chunk_cache": cache}
            for k, (rss, cache) in enumerate([(400.0, 90), (420.0, 150), (425.0, 30), (425.0, 80)])]
    summary = lrm.summary(rows, cache_limit=200)
    assert summary["cache_drops"] == [{"after_pass": 3, "rss_before_mib": 420.0, "rss_after_mib": 425.0}]
    assert summary["rss_growth_after_first_pass_mib"] == 25.0 and summary["rss_max_mib"] == 425.0
    assert "not dropped" in lrm.markdown({"pages_per_pass": 1, "dump_mb": 0.1, "rows": [
        {**row, "pages": row["pass"], "peak_mib": 430.0, "spacy_strings": 5, "pages_per_second": 9.0}
        for row in rows[:2]], "model_version": "x", "machine": "m",
        "summary": lrm.summary(rows[:2], cache_limit=200)})


def test_a_run_on_a_tiny_corpus_writes_numbers_only(seed_model, tmp_path):
    """Two seed pages as HTML in a corpora root of one corpus: two passes in a child process."""
    root = tmp_path / "corpora"
    (root / "tiny").mkdir(parents=True)
    (root / "README.md").write_text("tiny corpora root\n", encoding="utf-8")
    with gzip.open(root / "tiny" / "pages.jsonl.gz", "wt", encoding="utf-8") as handle:
        for path in SEED_FILES:
            paragraphs = "".join(f"<p>{line}</p>" for line in path.read_text(encoding="utf-8").splitlines() if line)
            handle.write(json.dumps({"html": f"<html><body>{paragraphs}</body></html>", "site": path.stem}) + "\n")
    out = tmp_path / "memory"
    subprocess.run([sys.executable, str(REPO / "bench" / "long_run_memory.py"), "--corpora", str(root), "--passes",
                    "2", "--model", str(seed_model[0] / "model.skops"), "--out", str(out)], check=True,
                   capture_output=True, text=True)
    result = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert result["pages_per_pass"] == len(SEED_FILES)
    assert [row["pages"] for row in result["rows"]] == [len(SEED_FILES), 2 * len(SEED_FILES)]
    first, second = result["rows"]
    assert 0 < first["rss_mib"] <= first["peak_mib"] and second["chunk_cache"] >= first["chunk_cache"] > 0
    assert result["model_version"] == seed_model[1]["version"]
    text = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "| 2 | 4 |" in text and "not dropped" in text
    written = out.with_suffix(".json").read_text(encoding="utf-8") + text
    lines = [line for path in SEED_FILES for line in path.read_text(encoding="utf-8").splitlines() if len(line) > 30]
    assert lines and not any(line[:30] in written for line in lines)  # numbers, not page text
