"""`winnow dataset build`: a small invented corpus is segmented for real, annotated, built into a folder and
loaded back with the same `datasets.load_dataset` call Hub users make (offline, HF_HOME in tmp)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from winnow.annotations import KINDS, LABELS, STANCES
from winnow.dataset import (
    CARD_NAME,
    MANIFEST_NAME,
    BuildSettings,
    DatasetBuildError,
    assign_splits,
    build_dataset,
    features,
    gold_labels,
    read_metrics,
)
from winnow.jsonio import read_jsonl, write_jsonl_atomic
from winnow.prepare import prepare_directory

# Invented articles (not from any corpus). Lines starting with "#" are boilerplate of the given kind.
ARTICLES = {
    "a1": ("harbor-gazette.example", "redistributable", [
        "#navigation Home | Local | Weather",
        "The town council voted on Tuesday to repair the old harbor wall. Work starts in May.",
        "#promo Subscribe to our newsletter for daily updates.",
        "Fishermen said the repairs were overdue. Several boats were damaged last winter.",
    ]),
    "a2": ("valley-times.example", "redistributable", [
        "#byline By Jo Rivers, staff writer",
        "The valley library will stay open late during exam season. Students asked for the change.",
        "#related Read more: Library wins regional award",
    ]),
    "a3": ("north-ledger.example", "redistributable", [
        "A new bus line will link the north district to the station. Residents welcomed the plan.",
        "#promo Download our app today.",
    ]),
    "a4": ("coast-post.example", "redistributable", [
        "#headline Storm closes coastal road",
        "Heavy rain closed the coastal road overnight. Crews cleared debris by morning.",
    ]),
    "r1": ("closed-wire.example", "restricted", [
        "A restricted wire story about a bridge opening. It must never be published.",
    ]),
    "u1": ("harbor-gazette.example", "redistributable", ["Nobody annotated this short article."]),
}


def write_raw(raw: Path) -> None:
    raw.mkdir(parents=True)
    meta = []
    for article_id, (site, rights, lines) in ARTICLES.items():
        text = "\n".join(line.split(" ", 1)[1] if line.startswith("#") else line for line in lines) + "\n"
        (raw / f"{article_id}.txt").write_text(text, encoding="utf-8")
        meta.append({
            "id": article_id, "file": f"{article_id}.txt", "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "site": site, "url": f"https://{site}/{article_id}", "published": "2026-03-01",
            "headline": f"Headline of {article_id}", "stance_target": "Local infrastructure spending",
            "rights": rights, "rights_note": f"{site}: test text written for winnow's tests",
        })
    write_jsonl_atomic(raw / "articles.jsonl", meta)


def annotation(sentence: dict, annotator: str, label: str, kind: str | None = None,
               stance: str | None = None, minute: int = 0) -> dict:
    return {"sentence_id": sentence["sentence_id"], "article_id": sentence["article_id"],
            "annotator": annotator, "created_at": f"2026-04-01T10:{minute:02d}:00+00:00", "label": label,
            "kind": kind, "stance": stance, "source": "manual"}


def gold_for(article_id: str, block: int) -> tuple[str, str | None, str | None]:
    line = ARTICLES[article_id][2][block]
    if line.startswith("#"):
        return "boilerplate", line[1:].split(" ", 1)[0], None
    return "content", None, "neutral"


def write_annotations(sentences: list[dict], root: Path) -> dict[str, str]:
    """Annotate everything but u1; add agreement, disagreement, a tie and an adjudication. Returns notes."""
    records, special = [], {}
    for s in sentences:
        if s["article_id"] == "u1":
            continue
        label, kind, stance = gold_for(s["article_id"], s["block"])
        records.append(annotation(s, "ann1", label, kind, stance))
        if s["article_id"] == "a1":  # two more annotators on a1: ann2 gives one sentence another stance
            other_stance = "favor" if (label == "content" and s["index"] == 1) else stance
            records.append(annotation(s, "ann2", label, kind, other_stance))
            records.append(annotation(s, "ann3", label, kind, stance))
    a2 = [s for s in sentences if s["article_id"] == "a2"]
    records.append(annotation(a2[1], "ann2", "boilerplate", "other"))  # 1-1 tie on label -> unresolved
    special["tie"] = a2[1]["sentence_id"]
    a3 = [s for s in sentences if s["article_id"] == "a3"]
    records.append(annotation(a3[0], "ann2", "boilerplate", "promo"))  # tie, then adjudicated as content
    records.append(annotation(a3[0], "adjudicator", "content", None, "favor", minute=5))
    special["adjudicated"] = a3[0]["sentence_id"]
    records.append(annotation(a3[1], "ann1", "content", None, "against", minute=1))  # older record superseded
    records[-1]["created_at"] = "2026-03-31T10:00:00+00:00"
    write_jsonl_atomic(root / "ann1.jsonl", [r for r in records if r["annotator"] == "ann1"])
    write_jsonl_atomic(root / "others" / "more.jsonl", [r for r in records if r["annotator"] != "ann1"])
    return special


def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Raw files + metadata -> real segmentation -> annotations, all under tmp_path; Hub caches in tmp."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    write_raw(tmp_path / "raw")
    result = prepare_directory(tmp_path / "raw")
    processed = tmp_path / "processed"
    write_jsonl_atomic(processed / "articles.jsonl", result.articles)
    write_jsonl_atomic(processed / "sentences.jsonl", result.sentences)
    special = write_annotations(result.sentences, tmp_path / "annotations")
    return {"root": tmp_path, "processed": processed, "annotations": tmp_path / "annotations",
            "out": tmp_path / "data" / "dataset", "sentences": result.sentences, "special": special}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    return make_project(tmp_path, monkeypatch)


def build(project: dict, **settings) -> Path:
    build_dataset(project["processed"], project["annotations"], project["out"], BuildSettings(**settings))
    return project["out"]


def load(folder: Path, config: str):
    import datasets

    datasets.disable_progress_bars()
    # cache_dir too: datasets reads HF_HOME once, at import, which may precede this test's monkeypatch
    return datasets.load_dataset(str(folder), config, cache_dir=str(folder.parent / "hf_datasets_cache"))


def test_load_dataset_offline_with_classlabels_splits_and_counts(project: dict) -> None:
    folder = build(project)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    sentences, articles = load(folder, "sentences"), load(folder, "articles")
    feats = sentences["train"].features
    assert feats["label"].names == list(LABELS)
    assert feats["kind"].names == list(KINDS) and feats["stance"].names == list(STANCES)
    assert list(sentences) == list(manifest["rows"]["sentences"]) == list(articles)
    assert set(sentences) == {"train", "validation", "test"}  # 4 annotated sites -> three splits
    for config, dataset in (("sentences", sentences), ("articles", articles)):
        assert {split: ds.num_rows for split, ds in dataset.items()} == manifest["rows"][config]
    # expected rows: every annotated sentence of a1..a4, minus the tie
    expected = {s["sentence_id"] for s in project["sentences"] if s["article_id"] in {"a1", "a2", "a3", "a4"}}
    expected.discard(project["special"]["tie"])
    got = {sid for split in sentences.values() for sid in split["sentence_id"]}
    assert got == expected
    assert sorted(aid for split in articles.values() for aid in split["article_id"]) == ["a1", "a2", "a3", "a4"]


def test_splits_share_no_article_and_no_site(project: dict) -> None:
    folder = build(project)
    sentences, articles = load(folder, "sentences"), load(folder, "articles")
    for dataset in (sentences, articles):
        sites = {split: set(ds["site"]) for split, ds in dataset.items()}
        ids = {split: set(ds["article_id"]) for split, ds in dataset.items()}
        names = list(dataset)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert not sites[a] & sites[b] and not ids[a] & ids[b]
    for split in sentences:  # both configs put each article in the same split
        assert set(sentences[split]["article_id"]) == set(articles[split]["article_id"])


def test_rows_hold_gold_labels_offsets_and_clean_text(project: dict) -> None:
    folder = build(project)
    rows = {r["sentence_id"]: r for ds in load(folder, "sentences").values() for r in ds}
    arts = {r["article_id"]: r for ds in load(folder, "articles").values() for r in ds}
    for row in rows.values():
        assert arts[row["article_id"]]["text"][row["char_start"]:row["char_end"]] == row["text"]
    adjudicated = rows[project["special"]["adjudicated"]]
    assert (LABELS[adjudicated["label"]], STANCES[adjudicated["stance"]]) == ("content", "favor")
    assert adjudicated["kind"] == -1 and adjudicated["annotator_count"] == 3 and not adjudicated["agreement"]
    promo = next(r for r in rows.values() if r["text"] == "Subscribe to our newsletter for daily updates.")
    assert KINDS[promo["kind"]] == "promo" and promo["stance"] == -1
    assert promo["annotator_count"] == 3 and promo["agreement"]
    a1 = [r for r in rows.values() if r["article_id"] == "a1" and r["label"] == 0]
    assert sum(not r["agreement"] for r in a1) == 1  # ann2 gave one content sentence another stance
    assert {STANCES[r["stance"]] for r in a1} == {"neutral"}  # 2 against 1
    assert arts["a1"]["clean_text"] == "\n".join([ARTICLES["a1"][2][1], ARTICLES["a1"][2][3]])
    assert arts["a2"]["clean_text"] is None  # its tied sentence has no gold label
    assert arts["a3"]["clean_text"] == ARTICLES["a3"][2][0]
    assert (arts["a2"]["num_sentences"], arts["a2"]["num_labeled_sentences"]) == (4, 3)


def test_card_parses_and_metadata_round_trips(project: dict) -> None:
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard, DatasetCardData

    from winnow.agreement import agreement
    from winnow.annotations import load_annotations

    numbers = agreement(load_annotations(project["annotations"]))  # the shape eval/metrics.json holds
    folder = build(project, agreement=numbers)
    card = DatasetCard.load(folder / CARD_NAME)
    data = card.data.to_dict()
    assert DatasetCardData(**data).to_dict() == data
    assert DatasetCard(str(card)).data.to_dict() == data
    assert {c["config_name"] for c in data["configs"]} == {"sentences", "articles"}
    assert {i["config_name"] for i in data["dataset_info"]} == {"sentences", "articles"}
    assert data["license"] == "cc-by-4.0" and data["language"] == ["en"]
    assert data["size_categories"] == ["n<1K"] and data["annotations_creators"] == ["expert-generated"]
    assert data["task_categories"] == ["text-classification"]
    infos = DatasetInfosDict.from_dataset_card_data(card.data)  # how `datasets` itself reads the YAML
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    for config in ("sentences", "articles"):
        assert infos[config].features == features(config)
        assert {n: s.num_examples for n, s in infos[config].splits.items()} == manifest["rows"][config]
    for heading in ("## Dataset structure", "## Splits", "## How it was built", "## Label distributions",
                    "## Limitations and biases", "## Source texts and rights", "## Citation"):
        assert heading in card.text
    alpha = numbers["label"]["krippendorff_alpha"]
    assert f"| label | {numbers['label']['n_sentences']} |" in card.text and f"{alpha:.3f}" in card.text
    assert "not yet computed" not in card.text and "WARNING" not in card.text
    assert "ann1" not in card.text  # annotator names are not published


def test_default_build_excludes_restricted_articles(project: dict, caplog: pytest.LogCaptureFixture) -> None:
    folder = build(project)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert manifest["excluded"]["rights"] == ["r1"] and not manifest["contains_restricted"]
    assert "excluded 1 of 6 article(s)" in caplog.text
    assert manifest["excluded"]["no_gold_label"] == ["u1"]
    assert all(b"restricted wire story" not in p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_refuses_when_nothing_is_redistributable(project: dict) -> None:
    rows = read_jsonl(project["processed"] / "articles.jsonl")
    write_jsonl_atomic(project["processed"] / "articles.jsonl", [{**r, "rights": "restricted"} for r in rows])
    with pytest.raises(DatasetBuildError, match=r"all 6 article\(s\) are restricted.*--include-restricted"):
        build(project)
    assert not project["out"].exists()


def test_include_restricted_is_a_marked_local_build(project: dict) -> None:
    folder = build(project, include_restricted=True)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert manifest["contains_restricted"] and manifest["restricted_articles"] == ["r1"]
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(folder / CARD_NAME)
    assert "WARNING: LOCAL BUILD WITH RESTRICTED TEXTS" in card.text
    assert card.data.license == "other" and card.data.pretty_name.startswith("[LOCAL BUILD, RESTRICTED")
    assert "r1" in {a for ds in load(folder, "articles").values() for a in ds["article_id"]}


def test_build_is_deterministic_and_replaces_the_folder(project: dict) -> None:
    folder = build(project, include_restricted=True)
    (folder / "stale.txt").write_text("left over")
    first = json.loads((folder / MANIFEST_NAME).read_text())
    build(project, include_restricted=True)
    assert not (folder / "stale.txt").exists()
    build(project)
    build(project)
    again = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    build(project)
    assert again == {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert first["files"] != json.loads((folder / MANIFEST_NAME).read_text())["files"]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_never_replaces_a_folder_it_did_not_build(project: dict) -> None:
    """The build swaps its output folder out whole and deletes the old one: a folder that is not an earlier
    build (the annotations, a data folder holding other files) is refused and left as it was; an empty one or a
    new path is built into."""
    annotations = {p: p.read_bytes() for p in project["annotations"].rglob("*") if p.is_file()}
    for target in (project["annotations"], project["root"]):
        with pytest.raises(DatasetBuildError, match="not a dataset folder built by winnow"):
            build_dataset(project["processed"], project["annotations"], target, BuildSettings())
    assert {p: p.read_bytes() for p in project["annotations"].rglob("*") if p.is_file()} == annotations
    (project["root"] / "a-file").write_text("x")
    with pytest.raises(DatasetBuildError, match="is a file"):
        build_dataset(project["processed"], project["annotations"], project["root"] / "a-file", BuildSettings())
    empty = project["root"] / "empty"
    empty.mkdir()
    build_dataset(project["processed"], project["annotations"], empty, BuildSettings())
    assert (empty / MANIFEST_NAME).is_file()
    build_dataset(project["processed"], project["annotations"], empty, BuildSettings())  # its own build: replaced


@pytest.mark.parametrize("change, reason", [
    ({"sentence_id": "a1:000000000000"}, "does not exist in the segmented data"),
    ({"label": "maybe"}, "label 'maybe' is not one of"),
])
def test_invalid_or_stale_annotation_is_refused(project: dict, change: dict, reason: str) -> None:
    first = next(s for s in project["sentences"] if s["article_id"] == "a1")
    extra = {**annotation(first, "ann9", "content", None, "neutral"), **change}
    write_jsonl_atomic(project["annotations"] / "extra.jsonl", [extra])
    with pytest.raises(DatasetBuildError, match=f"{reason}.*winnow validate"):
        build(project)


def test_labels_of_corpus_pages_are_accepted_and_never_published(project: dict) -> None:
    first = next(s for s in project["sentences"] if s["article_id"] == "a1")
    reference = {**annotation(first, "ann9", "boilerplate", "promo"), "sentence_id": "toy/p1:fb6a1aad2135",
                 "article_id": "toy/p1"}  # a sentence of a benchmark-corpus page (winnow.corpus_refs)
    write_jsonl_atomic(project["annotations"] / "corpus-pages.jsonl", [reference])
    folder = build(project)
    sentences = load(folder, "sentences")
    assert not {sid for split in sentences.values() for sid in split["sentence_id"] if sid.startswith("toy/")}
    assert not [p for p in folder.rglob("*") if p.is_file() and b"toy/p1" in p.read_bytes()]


@pytest.mark.parametrize("n_sites, expected", [
    (1, {"train"}), (2, {"train", "test"}), (3, {"train", "validation", "test"}),
    (40, {"train", "validation", "test"}),
])
def test_assign_splits_fills_the_splits_that_make_sense(n_sites: int, expected: set[str]) -> None:
    sites = [f"site{i}.example" for i in range(n_sites)]
    splits = assign_splits(sites)
    assert set(splits) == set(sites) and set(splits.values()) == expected
    assert assign_splits(list(reversed(sites))) == splits


def test_assign_splits_is_stable_when_sites_are_added() -> None:
    many = [f"site{i}.example" for i in range(200)]
    base, grown = assign_splits(many), assign_splits([*many, "newcomer.example"])
    assert all(grown[s] == base[s] for s in many)
    share = sum(v == "train" for v in base.values()) / len(base)
    assert 0.7 < share < 0.9


def test_gold_labels_newest_record_per_annotator_wins() -> None:
    old = {"sentence_id": "x:1", "article_id": "x", "annotator": "a", "created_at": "2026-01-01T00:00:00",
           "label": "content", "kind": None, "stance": "favor", "source": "manual"}
    new = {**old, "created_at": "2026-01-02T00:00:00", "label": "boilerplate", "kind": "other", "stance": None}
    gold, unresolved = gold_labels([new, old], adjudicators=())
    assert gold["x:1"]["label"] == "boilerplate" and gold["x:1"]["annotator_count"] == 1 and not unresolved


def test_read_metrics_follows_a_dotted_key(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"annotation": {"agreement": {"kappa": 0.7}}}))
    assert read_metrics(path, "annotation.agreement") == {"kappa": 0.7}
    assert read_metrics(path, "missing") is None and read_metrics(tmp_path / "none.json", "x") is None


def test_cli_build_reports_counts_and_reads_the_metrics_file(project: dict) -> None:
    from typer.testing import CliRunner

    from winnow.cli import app

    metrics = project["root"] / "metrics.json"
    metrics.write_text(json.dumps({"agreement": {"label": {"n_sentences": 7, "krippendorff_alpha": 0.4321}}}))
    args = ["dataset", "build", "--processed-dir", str(project["processed"]), "--annotations-dir",
            str(project["annotations"]), "--out-dir", str(project["out"]), "--metrics", str(metrics)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "sentences: train" in result.output and "1 article(s) for rights" in result.output
    assert "| label | 7 | 0.432 |" in (project["out"] / CARD_NAME).read_text()
    rows = read_jsonl(project["processed"] / "articles.jsonl")
    write_jsonl_atomic(project["processed"] / "articles.jsonl", [{**r, "rights": "restricted"} for r in rows])
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "--include-restricted" in refused.output
