"""Annotations of corpus pages by reference: lookup, validation, training (on the invented corpus "toy")."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import REPO
from winnow.annotations import validate_annotations
from winnow.cli import app
from winnow.corpus_refs import (
    NO_HEADLINE_TARGET,
    CorpusRefError,
    KnownSentences,
    corpus_of,
    disputed_pages,
    load_page_sentences,
    page_metadata,
)
from winnow.jsonio import read_jsonl, write_jsonl_atomic
from winnow.train import load_training_data, silver_table

SEED_ID = "000_b936a8f9ba5b5a2d"
MAYOR_QUOTE = "toy/p3:1791f12fd634"  # silver boilerplate on toy/p3 (its gold leaves the quote out)
COPYRIGHT = "toy/p1:fb6a1aad2135"  # silver boilerplate on toy/p1


def record(sentence_id: str, label: str = "content", annotator: str = "a1", **extra) -> dict:
    return {"sentence_id": sentence_id, "article_id": sentence_id.split(":")[0], "annotator": annotator,
            "created_at": "2026-11-27T01:00:00+00:00", "label": label,
            "kind": None if label == "content" else "promo", "stance": "neutral" if label == "content" else None,
            "source": "manual", **extra}


def annotations_with(tmp_path: Path, records: list[dict]) -> Path:
    root = tmp_path / "annotations"
    (root / "manual").mkdir(parents=True)
    write_jsonl_atomic(root / "manual" / "a1.jsonl", records)
    return root


def test_corpus_of_reads_the_page_part_of_an_id():
    assert corpus_of("dragnet/R630:0123456789ab.2") == "dragnet"
    assert corpus_of("wcxb-dev/0562") == "wcxb-dev"
    assert corpus_of(f"{SEED_ID}:0123456789ab") is None
    assert corpus_of("/p1:0123") is None and corpus_of("toy/:0123") is None


def test_page_sentences_come_in_reading_order_with_the_processed_fields(toy_silver):
    sentences = load_page_sentences(toy_silver, ["toy/p3", "toy/p1"])
    assert [s["article_id"] for s in sentences] == ["toy/p1"] * 17 + ["toy/p3"] * 13
    assert [s["index"] for s in sentences[:17]] == list(range(17))
    assert set(sentences[0]) == {"article_id", "sentence_id", "block", "index", "char_start", "char_end", "text"}
    pages = pd.read_parquet(toy_silver / "toy-pages.parquet").set_index("page_id")
    for s in sentences:
        assert pages.loc[s["article_id"].split("/")[1], "text"][s["char_start"]:s["char_end"]] == s["text"]


def test_unknown_pages_missing_tables_and_bad_ids_are_clear_errors(toy_silver, tmp_path):
    with pytest.raises(CorpusRefError, match="no page toy/p9"):
        load_page_sentences(toy_silver, ["toy/p1", "toy/p9"])
    with pytest.raises(CorpusRefError, match=r"dragnet.parquet not found.*make silver"):
        load_page_sentences(tmp_path, ["dragnet/R630"])
    with pytest.raises(CorpusRefError, match="not a corpus page id"):
        load_page_sentences(toy_silver, ["toy/p1:fb6a1aad2135"])
    (tmp_path / "toy.parquet").write_bytes(b"not parquet")
    with pytest.raises(CorpusRefError, match="cannot read .*toy.parquet.*make silver"):
        load_page_sentences(tmp_path, ["toy/p1"])


def test_page_metadata_uses_the_headline_as_stance_target(toy_silver):
    meta = page_metadata(toy_silver, ["toy/p1", "toy/p3"])
    assert meta["toy/p1"]["site"] == "example.org" and meta["toy/p3"]["site"] is None
    # the toy gold has no headline: the task then asks about the page's subject, never shows "nan"
    assert meta["toy/p1"]["headline"] == "" and meta["toy/p1"]["stance_target"] == NO_HEADLINE_TARGET


def test_known_sentences_look_in_processed_then_in_the_corpus_table(toy_silver, tmp_path):
    known = KnownSentences({f"{SEED_ID}:0123456789ab"}, toy_silver)
    assert f"{SEED_ID}:0123456789ab" in known and f"{SEED_ID}:ffffffffffff" not in known
    assert COPYRIGHT in known and "toy/p1:ffffffffffff" not in known
    assert "dragnet/R630:0123456789ab" in known  # no dragnet table here: not checkable ...
    assert known.unchecked == {"dragnet": 1}  # ... and said so
    with pytest.raises(CorpusRefError, match="dragnet.parquet not found"):
        "dragnet/R630:0123456789ab" in KnownSentences(set(), toy_silver, strict=True)  # noqa: B015


def test_validate_checks_corpus_references_against_the_silver_tables(toy_silver, tmp_path, seed_processed):
    good = annotations_with(tmp_path, [record(MAYOR_QUOTE), record(COPYRIGHT, "boilerplate")])
    base = ["validate", "--annotations-dir", str(good), "--sentences", str(seed_processed / "sentences.jsonl")]
    result = CliRunner().invoke(app, [*base, "--silver-dir", str(toy_silver)])
    assert result.exit_code == 0 and "annotations OK" in result.output, result.output

    absent = CliRunner().invoke(app, [*base, "--silver-dir", str(tmp_path / "no-silver")])
    assert absent.exit_code == 0, absent.output  # `make data` works without the corpora ...
    assert "2 record(s) name sentences of toy pages" in absent.output  # ... and says what it could not check

    bad = annotations_with(tmp_path / "bad", [record("toy/p1:ffffffffffff")])
    result = CliRunner().invoke(app, ["validate", "--annotations-dir", str(bad), "--sentences",
                                      str(seed_processed / "sentences.jsonl"), "--silver-dir", str(toy_silver)])
    assert result.exit_code == 1
    assert "'toy/p1:ffffffffffff' does not exist in the silver table of its corpus" in result.output


def test_records_of_corpus_pages_hold_no_text(toy_silver, tmp_path):
    root = annotations_with(tmp_path, [record(MAYOR_QUOTE)])
    assert validate_annotations(root, KnownSentences(set(), toy_silver)) == []
    assert "mayor" not in (root / "manual" / "a1.jsonl").read_text()


def test_hand_labels_replace_silver_labels_and_weigh_like_gold(toy_silver):
    config = {"max_pages_per_corpus": 1, "drop_ambiguous": True, "gold_weight": 5.0}
    plain = silver_table(toy_silver / "toy.parquet", config)
    assert set(plain["article_id"]) == {"toy/p1"} and set(plain["weight"]) == {1.0}

    human = {MAYOR_QUOTE: 1, COPYRIGHT: 1}
    table = silver_table(toy_silver / "toy.parquet", config, human).set_index("sentence_id")
    assert set(table["article_id"]) == {"toy/p1", "toy/p3"}  # a hand-labelled page is trained on beyond the cap
    assert table.loc[MAYOR_QUOTE, "label"] == 1 and table.loc[COPYRIGHT, "label"] == 1
    assert table.loc[MAYOR_QUOTE, "weight"] == 5.0 and table.loc["toy/p3:15921d934f6e", "weight"] == 1.0
    others = table.drop(index=list(human))
    silver = pd.read_parquet(toy_silver / "toy.parquet").set_index("sentence_id")
    assert (others["label"] == (silver.loc[others.index, "label"] == "content").astype(int)).all()


def test_hand_labels_survive_the_ambiguous_band(toy_silver, tmp_path):
    table = pd.read_parquet(toy_silver / "toy.parquet")
    table.loc[table["sentence_id"] == MAYOR_QUOTE, "align_score"] = 0.5
    table.to_parquet(tmp_path / "toy.parquet", index=False)
    config = {"drop_ambiguous": True, "ambiguous_band": [0.3, 0.7]}
    assert MAYOR_QUOTE not in set(silver_table(tmp_path / "toy.parquet", config)["sentence_id"])
    assert MAYOR_QUOTE in set(silver_table(tmp_path / "toy.parquet", config, {MAYOR_QUOTE: 0})["sentence_id"])


def test_training_data_takes_hand_labels_of_configured_corpora_and_names_the_rest(toy_silver, tmp_path,
                                                                                 seed_processed):
    seed_records = read_jsonl(REPO / "annotations" / "manual" / "a1.jsonl")
    root = annotations_with(tmp_path, [*seed_records, record(MAYOR_QUOTE), record("dragnet/R630:0123456789ab")])
    config = {"data": {"silver_dir": str(toy_silver), "corpora": ["toy"], "gold_weight": 5.0}}
    data = load_training_data(config, seed_processed, root)
    row = data.table.set_index("sentence_id").loc[MAYOR_QUOTE]
    assert (row["corpus"], row["label"], row["weight"]) == ("toy", 1, 5.0)
    assert data.corpus_hand_labels == 1 and data.unused_label_corpora == ["dragnet"]
    assert (data.table["corpus"] == "gold").sum() == len(seed_records)

    without = load_training_data({"data": {**config["data"], "corpora": []}}, seed_processed, root)
    assert without.corpus_hand_labels == 0 and without.unused_label_corpora == ["dragnet", "toy"]


def test_train_warns_about_hand_labels_it_could_not_use(toy_silver, tmp_path, seed_processed):
    from tests.conftest import FAST_CONFIG

    seed_records = read_jsonl(REPO / "annotations" / "manual" / "a1.jsonl")
    root = annotations_with(tmp_path, [*seed_records, record(MAYOR_QUOTE)])
    config = tmp_path / "config.toml"
    config.write_text(FAST_CONFIG, encoding="utf-8")  # no corpora configured
    result = CliRunner().invoke(app, ["train", "--config", str(config), "--processed-dir", str(seed_processed),
                                      "--annotations-dir", str(root), "--model", str(tmp_path / "m.skops"),
                                      "--no-cv"])
    assert result.exit_code == 0, result.output
    assert "annotations label sentences of toy pages that training did not use" in " ".join(result.output.split())
    card = json.loads((tmp_path / "model-card.json").read_text())
    assert card["hand_labels_on_corpus_pages"] == {"sentences": 0, "unused_corpora": ["toy"]}
    # a small model on 105 sentences leaves many features unused: the card lists them and train says so
    assert len(card["unused_page_features"]) > 10
    assert f"no tree splits on {len(card['unused_page_features'])} page feature(s)" in " ".join(result.output.split())


def test_disputed_pages_are_those_where_model_and_silver_disagree_most(tmp_path):
    rows = []
    for page, n, wrong in [("dragnet/a", 10, 2), ("dragnet/b", 10, 5), ("wcxb-dev/c", 4, 3), ("dragnet/d", 40, 8),
                           ("gold-like/x", 3, 0)]:
        for i in range(n):
            label = i % 2
            p = (1 - label if i < wrong else label) * 0.98 + 0.01  # confidently wrong, then confidently right
            rows.append({"corpus": page.split("/")[0], "article_id": page, "label": label, "p_content": p})
    rows += [{"corpus": "gold", "article_id": SEED_ID, "label": 1, "p_content": 0.0}] * 5  # not a corpus page
    rows += [{"corpus": "dragnet", "article_id": "dragnet/e", "label": 1, "p_content": 0.3}] * 9  # unsure, not wrong
    path = tmp_path / "cv-predictions.parquet"
    pd.DataFrame(rows).to_parquet(path)
    assert disputed_pages(path, 10) == ["wcxb-dev/c", "dragnet/b", "dragnet/d"]  # "dragnet/a": only 2 of them
    assert disputed_pages(path, 2, corpora=["dragnet"]) == ["dragnet/b", "dragnet/d"]
    assert disputed_pages(path, 10, min_disputed=1)[-1] == "dragnet/a"
    with pytest.raises(CorpusRefError, match=r"no page of l3s-gn1 .* \(corpora there: dragnet, gold-like, wcxb-dev\)"):
        disputed_pages(path, 1, corpora=["l3s-gn1"])
    with pytest.raises(CorpusRefError, match="make train"):
        disputed_pages(tmp_path / "missing.parquet", 1)
