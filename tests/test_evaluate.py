"""The evaluation run end to end on small invented inputs (a gold corpus and a fake imported corpus)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from winnow.cli import app
from winnow.evaluate import attach_corpus_pages, evaluate, gold_kinds, write_evaluation
from winnow.jsonio import write_jsonl_atomic
from winnow.segment import segment_text

BODY = ("The council approved the harbour budget on Tuesday after a long debate about the old piers. "
        "Work on the footpath along the water is expected to start in March and to last two years.")
ARTICLES = {
    "art1": ("one.example", f"Home | News | Sport\n{BODY}\nSubscribe to our newsletter for more stories\n"),
    "art2": ("two.example", f"Menu\n{BODY.replace('harbour', 'river')}\nRelated: Ten walks by the river\n"),
}
PAGE_HTML = f"<html><body><nav><a href='/'>Home</a></nav><article><p>{BODY}</p></article></body></html>"


def record(sentence: dict, annotator: str, label: str, kind: str | None = None, stance: str | None = None) -> dict:
    return {"sentence_id": sentence["sentence_id"], "article_id": sentence["article_id"], "annotator": annotator,
            "created_at": "2026-01-01T00:00:00+00:00", "label": label, "kind": kind,
            "stance": stance, "source": "manual"}


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    sentences, annotations, cv = [], [], []
    for article_id, (site, text) in ARTICLES.items():
        for s in segment_text(article_id, text):
            sentences.append(s)
            content = s["block"] == 1
            kind = None if content else ("navigation" if s["block"] == 0 else "promo")
            for annotator in ("a1", "a2"):
                stance = ("favor" if annotator == "a1" and s["index"] == 1 else "neutral") if content else None
                annotations.append(record(s, annotator, "content" if content else "boilerplate", kind, stance))
            p = 0.9 if content else (0.7 if s["block"] == 2 else 0.1)  # the promo/related line leaks
            cv.append({"corpus": "gold", "site": site, "article_id": article_id, "sentence_id": s["sentence_id"],
                       "block": s["block"], "index": s["index"], "text": s["text"], "label": int(content),
                       "weight": 5.0, "p_content": p, "fold": 0})
    corpus_page = segment_text("democorp/p1", f"Home\n{BODY}\n")
    for s in corpus_page:
        cv.append({"corpus": "democorp", "site": "three.example", "article_id": "democorp/p1",
                   "sentence_id": s["sentence_id"], "block": s["block"], "index": s["index"], "text": s["text"],
                   "label": int(s["block"] == 1), "weight": 1.0, "p_content": 0.8, "fold": 1})
    paths = {"sentences": tmp_path / "sentences.jsonl", "annotations": tmp_path / "annotations",
             "cv": tmp_path / "train" / "cv-predictions.parquet", "model": tmp_path / "train" / "model.skops",
             "silver": tmp_path / "silver", "corpora": tmp_path / "corpora"}
    write_jsonl_atomic(paths["sentences"], sentences)
    write_jsonl_atomic(paths["annotations"] / "manual" / "all.jsonl", annotations)
    paths["cv"].parent.mkdir(parents=True)
    pd.DataFrame(cv).to_parquet(paths["cv"], index=False)
    (paths["cv"].parent / "model-card.json").write_text(json.dumps({"threshold": 0.6}))
    paths["silver"].mkdir()
    pd.DataFrame([{"page_id": "p1", "gold_text": BODY}]).to_parquet(paths["silver"] / "democorp-pages.parquet")
    (paths["corpora"] / "democorp").mkdir(parents=True)
    with gzip.open(paths["corpora"] / "democorp" / "pages.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "p1", "html": PAGE_HTML, "gold_text": BODY}) + "\n")
    return paths


def run(paths: dict[str, Path], **kwargs):
    return evaluate(cv_path=paths["cv"], model_path=paths["model"], annotations_dir=paths["annotations"],
                    sentences_path=paths["sentences"], silver_dir=paths["silver"], corpora_root=paths["corpora"],
                    n_boot=50, **kwargs)


def test_evaluate_end_to_end(inputs: dict[str, Path]) -> None:
    result = run(inputs)
    metrics = result["metrics"]
    assert result["inputs"] == {"sentences": len(pd.read_parquet(inputs["cv"])), "pages": 3, "gold_text": 1,
                                "html": 1, "corpora": ["democorp", "gold"]}
    assert metrics["settings"]["threshold"] == 0.6  # from the model card
    gold = metrics["sentence"]["winnow"]["gold"]
    assert gold["recall"] == 1.0 and gold["fp"] == 2  # the two last lines leak (0.7 >= 0.6)
    assert metrics["kind_leakage"]["winnow"]["gold"]["promo"]["leak_rate"] == 1.0
    assert metrics["kind_leakage"]["winnow"]["gold"]["navigation"]["leak_rate"] == 0.0
    assert {"keep_everything", "dummy", "c4_lines", "fineweb_lines", "justext_text"} <= set(metrics["sentence"])
    assert metrics["page_shingle"]["trafilatura"]["democorp"]["recall"] == 1.0  # extractor on the HTML
    assert metrics["systems"]["trafilatura"]["dom"] is True
    assert metrics["agreement"]["label"]["cohen_kappa"] == 1.0
    assert metrics["agreement"]["stance"]["n_disagreements"] == 2
    assert len(result["disagreements"]) == 2
    assert [e["p_content"] for e in result["errors"]["false_positives"]] == [0.8, 0.7, 0.7]
    assert "winnow" not in result["timing"]  # no model file: not timed, nothing breaks
    assert result["timing"]["trafilatura"]["n_pages"] == 1


def test_threshold_option_overrides_card(inputs: dict[str, Path]) -> None:
    assert run(inputs, threshold=0.75)["metrics"]["sentence"]["winnow"]["gold"]["fp"] == 0


def test_outputs_are_reproducible(inputs: dict[str, Path], tmp_path: Path) -> None:
    first = write_evaluation(run(inputs), tmp_path / "one")
    write_evaluation(run(inputs), tmp_path / "two")
    names = [p.name for p in first]
    assert {"metrics.json", "report.md", "timing.json", "disagreements.jsonl", "pr_curve.png"} <= set(names)
    for name in names:
        if name not in ("timing.json", "report.md"):  # these hold timings
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_cli_eval(inputs: dict[str, Path], tmp_path: Path) -> None:
    args = ["eval", "--out-dir", str(tmp_path / "eval"), "--cv-predictions", str(inputs["cv"]),
            "--model", str(inputs["model"]), "--annotations-dir", str(inputs["annotations"]),
            "--sentences", str(inputs["sentences"]), "--silver-dir", str(inputs["silver"]),
            "--corpora", str(inputs["corpora"]), "--n-boot", "20"]
    curve = tmp_path / "curve.json"
    curve.write_text(json.dumps([{"n_train": 10, "f1": 0.5}, {"n_train": 20, "f1": 0.6}]))
    result = CliRunner().invoke(app, [*args, "--learning-curve", str(curve)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "eval" / "learning_curve.png").is_file()
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["learning_curve"][1]["f1"] == 0.6
    missing = CliRunner().invoke(app, [*args, "--cv-predictions", str(tmp_path / "none.parquet")])
    assert missing.exit_code == 1 and "make train" in missing.output


def test_gold_kinds_follow_the_dataset_resolution() -> None:
    one, two = {"sentence_id": "a:1", "article_id": "a"}, {"sentence_id": "a:2", "article_id": "a"}
    tie = [record(one, "x", "boilerplate", "promo"), record(one, "y", "boilerplate", "navigation"),
           record(two, "x", "content", stance="neutral")]
    assert gold_kinds(tie) == {}  # a tie on the kind is unresolved
    assert gold_kinds([*tie, record(one, "adjudicator", "boilerplate", "navigation")]) == {"a:1": "navigation"}
    majority = [*tie, record(one, "z", "boilerplate", "promo")]
    assert gold_kinds(majority) == {"a:1": "promo"}


@pytest.mark.corpora
def test_attach_html_from_real_corpus(corpora: Path) -> None:
    with gzip.open(corpora / "l3s-gn1" / "pages.jsonl.gz", "rt", encoding="utf-8") as handle:
        ids = [json.loads(next(handle))["id"] for _ in range(3)]
    pages = [{"corpus": "l3s-gn1", "page_id": f"l3s-gn1/{i}", "sentences": []} for i in ids]
    pages.append({"corpus": "gold", "page_id": "art1", "sentences": []})
    counts = attach_corpus_pages(pages, None, corpora)
    assert counts == {"gold_text": 0, "html": 3}
    assert all(p["html"].lstrip()[:1] == "<" for p in pages[:3]) and "html" not in pages[3]


def test_body_gold_drops_only_a_leading_headline():
    from winnow.evaluate import body_gold

    assert body_gold("Big headline\n\nFirst paragraph.", "Big headline") == "First paragraph."
    assert body_gold("First paragraph.", "Not here") == "First paragraph."
    assert body_gold(None, None) == ""
