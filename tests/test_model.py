"""The classifier end to end on the seed gold: training, determinism, safe loading, cleaning, CLI, spaCy."""

import json
import subprocess
import sys
from functools import partial

import pytest
import skops.io as sio

from winnow.clean import clean_text, join_kept
from winnow.model import FORMAT_VERSION, ModelError, load_model
from winnow.segment import segment_pages, segment_text
from winnow.train import train

from .conftest import REPO, SEED_FILES


@pytest.fixture(scope="module")
def processed(seed_processed):
    return seed_processed


@pytest.fixture(scope="module")
def trained(seed_model):
    return seed_model


def test_training_writes_model_and_card(trained):
    work, card = trained
    assert (work / "model.skops").is_file()
    saved = json.loads((work / "model-card.json").read_text(encoding="utf-8"))
    assert saved["version"] == card["version"] == load_model(work / "model.skops").version
    assert saved["training_rows"] == {"gold": 105}
    assert set(saved["cv"]["scores"]) == {"all", "gold"}
    assert saved["libraries"]["scikit-learn"].startswith("1.")
    assert saved["training_seconds"] > 0 and saved["peak_memory_mb"] > 50  # Python + spaCy + scikit-learn
    assert all(len(h) == 64 for h in saved["data"].values())


def test_same_inputs_give_the_same_model_bytes_and_scores(trained, processed, tmp_path):
    """Training again (into a directory that does not exist yet) writes the same model and CV predictions."""
    work, card = trained
    again = train(work / "config.toml", processed, REPO / "annotations", tmp_path / "new" / "model.skops")
    assert (tmp_path / "new" / "model.skops").read_bytes() == (work / "model.skops").read_bytes()
    for name in ("cv-predictions.parquet", "training-pages.parquet"):
        assert (tmp_path / "new" / name).read_bytes() == (work / name).read_bytes()
    assert again["cv"] == card["cv"]


def test_training_pages_are_written_with_or_without_cross_validation(trained, processed, tmp_path):
    """The pages a model trained on sit beside it either way (eval-unseen and compare-models leave them out);
    without cross-validation an older out-of-fold table there is removed, as it describes another model."""
    import pandas as pd

    work, card = trained
    pages = pd.read_parquet(work / "training-pages.parquet")
    oof = pd.read_parquet(work / "cv-predictions.parquet")
    assert pages.columns.tolist() == ["corpus", "site", "article_id"]
    assert sorted(pages["article_id"]) == sorted(oof["article_id"].unique()) == [p.stem for p in SEED_FILES]
    pairs = set(zip(oof["article_id"], oof["site"], strict=True))
    assert set(zip(pages["article_id"], pages["site"], strict=True)) == pairs

    target = tmp_path / "fast"
    target.mkdir()
    (target / "cv-predictions.parquet").write_bytes((work / "cv-predictions.parquet").read_bytes())
    fast = train(work / "config.toml", processed, REPO / "annotations", target / "model.skops", cv=False)
    assert fast["cv"]["scores"] == {} and not (target / "cv-predictions.parquet").exists()
    assert (target / "training-pages.parquet").read_bytes() == (work / "training-pages.parquet").read_bytes()


def test_a_seed_override_trains_the_config_with_that_seed(trained, processed, tmp_path):
    """`winnow train --seed N` (repeated runs of one config) is the config with ``seed = N``, bit for bit."""
    work, card = trained
    config = work / "config.toml"
    train(config, processed, REPO / "annotations", tmp_path / "same" / "model.skops", seed=card["config"]["seed"])
    assert (tmp_path / "same" / "model.skops").read_bytes() == (work / "model.skops").read_bytes()
    override = train(config, processed, REPO / "annotations", tmp_path / "s4" / "model.skops", cv=False, seed=4)
    edited = tmp_path / "seed4.toml"
    edited.write_text(config.read_text(encoding="utf-8").replace("seed = 3", "seed = 4"), encoding="utf-8")
    written = train(edited, processed, REPO / "annotations", tmp_path / "e4" / "model.skops", cv=False)
    assert override["config"]["seed"] == written["config"]["seed"] == 4
    assert (tmp_path / "s4" / "model.skops").read_bytes() == (tmp_path / "e4" / "model.skops").read_bytes()
    assert override["version"] != card["version"]


def test_missing_corrupt_and_untrusted_model_files_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="make train"):
        load_model(tmp_path / "none.skops")
    with pytest.raises(ModelError, match="is a directory, not a model file.*make train"):
        load_model(tmp_path)
    corrupt = tmp_path / "corrupt.skops"
    corrupt.write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="not a readable winnow model"):
        load_model(corrupt)
    from collections import Counter

    from sklearn.svm import SVC

    untrusted = tmp_path / "untrusted.skops"
    sio.dump({"format_version": 1, "classifier": Counter()}, untrusted)
    with pytest.raises(ModelError, match="does not trust.*Counter"):
        load_model(untrusted)
    foreign = tmp_path / "foreign.skops"
    sio.dump({"format_version": FORMAT_VERSION, "classifier": SVC()}, foreign)
    with pytest.raises(ModelError, match="does not hold a winnow SentenceClassifier"):
        load_model(foreign)
    old = tmp_path / "old.skops"
    sio.dump({"format_version": FORMAT_VERSION - 1, "classifier": SVC()}, old)
    with pytest.raises(ModelError, match="incompatible winnow version"):
        load_model(old)


def test_an_unreadable_model_file_is_a_clear_error(tmp_path, monkeypatch):
    from pathlib import Path

    model = tmp_path / "model.skops"
    model.write_bytes(b"x")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ModelError, match="cannot read model file .*Permission denied.*make train"):
        load_model(model)


def test_predictions_keep_the_callers_sentence_order(trained):
    model = load_model(trained[0] / "model.skops")
    records = segment_text("a", SEED_FILES[1].read_text(encoding="utf-8"))
    (forward,) = model.predict_proba([records])
    (backward,) = model.predict_proba([records[::-1]])
    assert list(backward) == list(forward[::-1])


def test_clean_keeps_blocks_in_order_and_threshold_is_the_knob(trained):
    model = load_model(trained[0] / "model.skops")
    text = SEED_FILES[1].read_text(encoding="utf-8")
    everything = clean_text(text, model, threshold=0.0)
    nothing = clean_text(text, model, threshold=1.0)
    default = clean_text(text, model)
    assert nothing == ""
    assert everything.splitlines() == [line.strip() for line in text.splitlines() if line.strip()]
    kept = default.splitlines()
    assert 0 < len(kept) < len(everything.splitlines())
    positions = [text.find(line.split(". ")[0]) for line in kept]
    assert positions == sorted(positions) and min(positions) >= 0


def test_the_model_smooths_within_blocks_and_says_so(trained):
    """With `smoothing = true`: the chain is in the model and its card, a sentence alone in its line keeps the
    classifier's score, the others move with their line, and the out-of-fold table keeps both scores."""
    import numpy as np
    import pandas as pd

    from winnow.features import article_bounds, sentence_table
    from winnow.smoothing import smooth

    work, card = trained
    model = load_model(work / "model.skops")
    classifier = model.classifier
    assert classifier.smoothing and set(classifier.chain_) == {"trans", "prior"}
    assert card["smoothing_chain"]["content_share"] == round(float(classifier.chain_["prior"][1]), 4)
    records = segment_text("a", SEED_FILES[1].read_text(encoding="utf-8"))
    (p,) = model.predict_proba([records])
    table = sentence_table([records])
    raw = classifier.classifier_proba(classifier.featurize(table))[:, 1]
    bounds = article_bounds(table["article_id"], table["block"])
    alone = bounds[:-1][np.diff(bounds) == 1]
    assert p[alone].tolist() == raw[alone].tolist()
    assert p.tolist() == smooth(raw, bounds, classifier.chain_).tolist() != raw.tolist()
    oof = pd.read_parquet(work / "cv-predictions.parquet")
    assert oof["p_unsmoothed"].notna().all() and (oof["p_unsmoothed"] != oof["p_content"]).any()


def test_join_kept_preserves_spacing_between_adjacent_kept_sentences():
    text = "One.  Two. Three.\nFour.\n"
    records = segment_text("x", text)
    (page,) = segment_pages([("x", text)])
    for sentences in (records, page):  # records, or the page's columns (what cleaning passes)
        assert join_kept(text, sentences, [True, True, False, True]) == "One.  Two.\nFour.\n"
        assert join_kept(text, sentences, [True, False, True, False]) == "One. Three.\n"


def test_pages_as_columns_predict_as_their_records(trained):
    """Cleaning passes PageSentences (columns) to the model: the same probabilities as the records give, and
    the same kept text."""
    model = load_model(trained[0] / "model.skops")
    items = [(f"p{i}", path.read_text(encoding="utf-8")) for i, path in enumerate(SEED_FILES)] + [("empty", "")]
    for ids in (True, False):
        pages = list(segment_pages(items, ids))
        records = [list(page) for page in pages]
        for from_pages, from_records in zip(model.predict_proba(pages), model.predict_proba(records), strict=True):
            assert from_pages.tolist() == from_records.tolist()
        p = model.predict_proba(pages)[0]
        assert join_kept(items[0][1], pages[0], p >= 0.5) == join_kept(items[0][1], records[0], p >= 0.5)
        assert 0 < (p >= 0.5).sum() < len(p)


def test_cli_clean_directory_file_and_stdin(trained, tmp_path):
    model = trained[0] / "model.skops"
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "winnow.cli", "clean", "--model", str(model)]
    subprocess.run([*cmd, "--input-dir", str(REPO / "data" / "raw"), "--output-dir", str(out)], check=True,
                   capture_output=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in SEED_FILES)
    single = subprocess.run([*cmd, str(SEED_FILES[1])], check=True, capture_output=True, text=True).stdout
    piped = subprocess.run([*cmd, "-"], input=SEED_FILES[1].read_bytes(), check=True, capture_output=True).stdout
    assert single == (out / SEED_FILES[1].name).read_text(encoding="utf-8") == piped.decode("utf-8")


def test_cli_clean_and_predict_read_the_model_path_from_winnow_model(trained, tmp_path):
    """Outside the repository the default train/model.skops does not exist: WINNOW_MODEL names the model once
    for every command (a script, a datatrove or Slurm job), and --model still wins over it."""
    import os

    model = trained[0] / "model.skops"
    page = str(SEED_FILES[1])
    unset = {name: value for name, value in os.environ.items() if name != "WINNOW_MODEL"}
    run = partial(subprocess.run, capture_output=True, text=True, cwd=tmp_path)
    expected = run([sys.executable, "-m", "winnow.cli", "clean", "--model", str(model), page], env=unset,
                   check=True).stdout
    missing = run([sys.executable, "-m", "winnow.cli", "clean", page], env=unset)
    assert missing.returncode == 1 and "train/model.skops not found" in missing.stderr, missing.stderr
    assert "or set WINNOW_MODEL=PATH" in " ".join(missing.stderr.split())
    env = {**unset, "WINNOW_MODEL": str(model)}
    assert run([sys.executable, "-m", "winnow.cli", "clean", page], env=env, check=True).stdout == expected
    records = run([sys.executable, "-m", "winnow.cli", "predict", page], env=env, check=True).stdout.splitlines()
    assert len(records) == len(segment_text("x", SEED_FILES[1].read_text(encoding="utf-8")))
    wrong = {**unset, "WINNOW_MODEL": str(tmp_path / "nowhere.skops")}
    assert run([sys.executable, "-m", "winnow.cli", "clean", "--model", str(model), page], env=wrong,
               check=True).stdout == expected
    proc = run([sys.executable, "-m", "winnow.cli", "clean", page], env=wrong)
    assert proc.returncode == 1 and "nowhere.skops not found" in proc.stderr, proc.stderr
    assert "set WINNOW_MODEL" not in " ".join(proc.stderr.split())  # it is set: the path it names is wrong


def test_cli_clean_refuses_to_overwrite_its_inputs(trained, tmp_path):
    """An output directory that is the input directory, however spelled (a symlink, ``..``), would replace every
    page dump with its cleaned text: refused before anything is written, by site too."""
    import shutil

    dumps, crawl = tmp_path / "dumps", tmp_path / "crawl"
    dumps.mkdir()
    for path in SEED_FILES:
        shutil.copy(path, dumps / path.name)
        (crawl / "site.example").mkdir(parents=True, exist_ok=True)
        shutil.copy(path, crawl / "site.example" / path.name)
    (tmp_path / "alias").symlink_to(dumps)
    before = {path: path.read_bytes() for path in [*dumps.iterdir(), *(crawl / "site.example").iterdir()]}
    cmd = [sys.executable, "-m", "winnow.cli", "clean", "--model", str(trained[0] / "model.skops")]
    for args in (["--input-dir", str(dumps), "--output-dir", str(dumps)],
                 ["--input-dir", str(dumps), "--output-dir", str(tmp_path / "alias")],
                 ["--input-dir", str(dumps), "--output-dir", str(crawl / ".." / "dumps")],
                 ["--by-site", "--input-dir", str(crawl), "--output-dir", str(crawl)]):
        proc = subprocess.run([*cmd, *args], capture_output=True, text=True)
        assert proc.returncode == 1 and "would overwrite the page dumps" in proc.stderr, proc.stderr
    assert {path: path.read_bytes() for path in before} == before
    assert sorted(p.name for p in dumps.iterdir()) == sorted(p.name for p in SEED_FILES)
    # a directory beside (or inside) the input is fine
    subprocess.run([*cmd, "--input-dir", str(dumps), "--output-dir", str(dumps / "clean")], check=True,
                   capture_output=True)
    assert sorted(p.name for p in (dumps / "clean").iterdir()) == sorted(p.name for p in SEED_FILES)


def test_cli_clean_reports_an_output_it_cannot_write(trained, tmp_path):
    """An output path that cannot be a directory fails before cleaning; a file that cannot be written mid-run
    stops the run with its name (no traceback), and the files written before it are whole."""
    import shutil

    cmd = [sys.executable, "-m", "winnow.cli", "clean", "--model", str(trained[0] / "model.skops")]
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    for out, message in ((tmp_path / "a-file", "is a file, not a directory"),
                         (tmp_path / "a-file" / "sub", "cannot be created")):
        proc = subprocess.run([*cmd, "--input-dir", str(REPO / "data" / "raw"), "--output-dir", str(out)],
                              capture_output=True, text=True)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    crawl, out = tmp_path / "crawl", tmp_path / "out"
    for site in ("a.example", "b.example"):
        (crawl / site).mkdir(parents=True)
        shutil.copy(SEED_FILES[0], crawl / site / SEED_FILES[0].name)
    out.mkdir()
    (out / "b.example").write_text("a file where the site's directory goes", encoding="utf-8")
    proc = subprocess.run([*cmd, "--by-site", "--input-dir", str(crawl), "--output-dir", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"cannot write {out / 'b.example' / SEED_FILES[0].name}" in proc.stderr
    assert "written before it (1)" in proc.stderr
    alone = subprocess.run([*cmd, str(SEED_FILES[0])], check=True, capture_output=True, text=True).stdout
    assert (out / "a.example" / SEED_FILES[0].name).read_text(encoding="utf-8") == alone


def test_cli_predict_jsonl_and_missing_model(trained, tmp_path):
    cmd = [sys.executable, "-m", "winnow.cli", "predict"]
    proc = subprocess.run([*cmd, "--model", str(trained[0] / "model.skops"), str(SEED_FILES[0])],
                          check=True, capture_output=True, text=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    text = SEED_FILES[0].read_text(encoding="utf-8")
    assert len(rows) == len(segment_text("x", text))
    for row in rows:
        assert row["label"] == ("content" if row["p_content"] >= 0.5 else "boilerplate")
        assert text[row["char_start"]:row["char_end"]] == row["text"]
    missing = subprocess.run([*cmd, "--model", str(tmp_path / "nope.skops"), str(SEED_FILES[0])],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "make train" in missing.stderr


def test_spacy_component_scores_every_sentence(trained):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("winnow", config={"model": str(trained[0] / "model.skops")})
    text = SEED_FILES[1].read_text(encoding="utf-8")
    doc = nlp(text)
    scored = [s for s in doc.sents if s.text.strip()]
    assert scored and all(0.0 <= s._.p_content <= 1.0 for s in scored)
    # the default ("auto"): a spaCy sentence that is one of winnow's sentences is boilerplate when winnow drops it
    model = load_model(trained[0] / "model.skops")
    records = segment_text("doc", text)
    (p,) = model.predict_proba([records])
    kept = {(r["char_start"], r["char_end"]): bool(k) for r, k in zip(records, model.keep(p, records), strict=True)}
    same = [s for s in scored if (s.start_char, len(s.text.rstrip()) + s.start_char) in kept]
    assert len(same) >= 5  # spaCy's sentencizer splits some lines elsewhere
    assert all(s._.is_boilerplate == (not kept[(s.start_char, s.start_char + len(s.text.rstrip()))]) for s in same)
    # a number: each sentence's own P against it
    fixed = spacy.blank("en")
    fixed.add_pipe("sentencizer")
    fixed.add_pipe("winnow", config={"model": str(trained[0] / "model.skops"), "threshold": 0.5})
    scored = [s for s in fixed(text).sents if s.text.strip()]
    assert all(s._.is_boilerplate == (s._.p_content < 0.5) for s in scored)


def test_predict_labels_are_what_clean_keeps_at_every_threshold(trained):
    """`winnow predict`'s label is the page decision `winnow clean` makes: joined, the sentences labelled
    content are the cleaned text, whether the rule is "auto" (the default) or a number."""
    from typer.testing import CliRunner

    from winnow.cli import app

    runner, model, page = CliRunner(), str(trained[0] / "model.skops"), str(SEED_FILES[1])
    text = SEED_FILES[1].read_text(encoding="utf-8")
    outputs = {}
    for option in ([], ["--threshold", "auto"], ["--threshold", "0.5"], ["--threshold", "0.9"]):
        cleaned = runner.invoke(app, ["clean", page, "--model", model, *option])
        listed = runner.invoke(app, ["predict", page, "--model", model, *option])
        assert cleaned.exit_code == 0 and listed.exit_code == 0, cleaned.output + listed.output
        records = [json.loads(line) for line in listed.stdout.splitlines()]
        assert join_kept(text, records, [r["label"] == "content" for r in records]) == cleaned.stdout
        outputs[tuple(option)] = cleaned.stdout
    assert outputs[()] == outputs[("--threshold", "auto")] != ""
    assert len(outputs[("--threshold", "0.9")]) <= len(outputs[("--threshold", "0.5")])
    refused = runner.invoke(app, ["clean", page, "--model", model, "--threshold", "often"])
    assert refused.exit_code == 2 and "not 'often'" in refused.output and "'auto'" in refused.output


def test_cli_clean_by_site_writes_one_directory_per_site(trained, tmp_path):
    import shutil

    crawl, out = tmp_path / "crawl", tmp_path / "out"
    for site, files in {"one.example": SEED_FILES[:1], "two.example": SEED_FILES}.items():
        (crawl / site).mkdir(parents=True)
        for path in files:
            shutil.copy(path, crawl / site / path.name)
    (crawl / "one.example" / "binary.txt").write_bytes(b"\x00\x01\x02\x03 not text \xff\xfe" * 20)
    cmd = [sys.executable, "-m", "winnow.cli", "clean", "--model", str(trained[0] / "model.skops")]
    proc = subprocess.run([*cmd, "--by-site", "--input-dir", str(crawl), "--output-dir", str(out)], check=True,
                          capture_output=True, text=True)
    assert "cleaned 3 files of 2 sites" in proc.stderr and "skipped 1" in proc.stderr
    assert proc.stderr.count("binary.txt") == 1  # reported once, though the site's reference read it too
    assert sorted(p.name for p in (out / "two.example").iterdir()) == sorted(p.name for p in SEED_FILES)
    # a site with a single page has nothing to compare with: the page is cleaned as it would be alone
    alone = subprocess.run([*cmd, str(SEED_FILES[0])], check=True, capture_output=True, text=True).stdout
    assert (out / "one.example" / SEED_FILES[0].name).read_text(encoding="utf-8") == alone
    predict = [sys.executable, "-m", "winnow.cli", "predict", "--model", str(trained[0] / "model.skops")]
    predicted = subprocess.run([*predict, "--by-site", "--input-dir", str(crawl)], check=True, capture_output=True,
                               text=True)
    rows = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert {row["site"] for row in rows} == {"one.example", "two.example"}
    assert len(rows) == sum(len(segment_text("x", path.read_text(encoding="utf-8"))) for path in SEED_FILES[:1]
                            + SEED_FILES)
    for bad, message in ((["--by-site", str(SEED_FILES[0])], "needs --input-dir"),
                         (["--by-site", "--input-dir", str(crawl / "one.example"), "--output-dir", str(out)],
                          "no subdirectory")):
        failed = subprocess.run([*cmd, *bad], capture_output=True, text=True)
        assert failed.returncode == 1 and message in failed.stderr, failed.stderr


def test_pages_of_many_sites_share_batches_without_mixing(trained):
    """Two sites with the same page names, classified in shared batches and one page at a time: the same
    numbers, so pages never merge by id and a page's result never depends on its batch."""
    import numpy as np

    from winnow.clean import predict_sites, site_reference

    model = load_model(trained[0] / "model.skops")
    pages = [(path.stem, path.read_text(encoding="utf-8")) for path in SEED_FILES]
    renamed = [("same-name", text) for _, text in pages]
    sites = [("a.example", pages), ("b.example", [renamed[0]]), ("c.example", [renamed[1]]), (None, pages)]
    with_refs = [(site, items, site_reference(items, site) if site else None)
                 for site, items in sites]
    assert with_refs[0][2] is not None and with_refs[1][2] is None  # a one-page site has nothing to compare
    for sites_given in (with_refs, with_refs[1:3]):  # the second: single-page sites only, no reference at all
        together = list(predict_sites(sites_given, model, batch_size=64))
        alone = list(predict_sites(sites_given, model, batch_size=1))
        assert [(s, a) for s, a, *_ in together] == [(s, a) for s, a, *_ in alone]
        for (*_, p1), (*_, p2) in zip(together, alone, strict=True):
            assert np.array_equal(p1, p2)
    assert len(together) == 2


def test_a_site_reuses_its_reference_pages_sentences(trained, monkeypatch):
    """A site's reference pages are segmented once, for the reference: with or without sentence ids, the same
    records and numbers as segmenting them again; a page whose text differs from the reference's is segmented."""
    import dataclasses

    import numpy as np

    import winnow.clean as clean
    from winnow.segment import segment_many

    model = load_model(trained[0] / "model.skops")
    pages = [(path.stem, path.read_text(encoding="utf-8")) for path in SEED_FILES]
    reference = clean.site_reference(pages, "a.example")
    assert set(reference.segmented) == {article_id for article_id, _ in pages}
    segmented: list[str] = []
    real = clean.segment_pages

    def recording(articles, ids=True):
        articles = list(articles)
        segmented.extend(article_id for article_id, _ in articles)
        return real(articles, ids)

    monkeypatch.setattr(clean, "segment_pages", recording)
    items = [*pages, (pages[1][0], pages[1][1] + "\nOne more line.")]  # the last one: a reference id, new text
    expected = list(segment_many(items))
    for ids in (False, True):
        segmented.clear()
        reused = list(clean.predict_sites([("a.example", items, reference)], model, ids=ids))
        assert segmented == [items[-1][0]]
        without = dataclasses.replace(reference, segmented={})
        again = list(clean.predict_sites([("a.example", items, without)], model, ids=ids))
        assert segmented == [items[-1][0], *(article_id for article_id, _ in items)]
        for (_, article_id, _, records, p), (*_, records2, p2), page in zip(reused, again, expected, strict=True):
            assert list(records) == list(records2) == [{**r, "sentence_id": r["sentence_id"] if ids else None}
                                                       for r in page]
            assert all(r["article_id"] == article_id for r in records) and np.array_equal(p, p2)


def test_predicting_and_fitting_run_one_openmp_thread():
    """Fitting and predicting run the gradient boosting's OpenMP pool with one thread (deterministic, and no
    threads spinning on a busy machine), and leave the pool as they found it."""
    from threadpoolctl import threadpool_info

    from winnow.model import one_openmp_thread

    def openmp_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}

    before = openmp_threads()
    assert before, "scikit-learn's OpenMP runtime is loaded with winnow.model"
    with one_openmp_thread():
        assert openmp_threads() == {1}
        with one_openmp_thread():  # the controller is reused: nesting works as threadpool_limits does
            assert openmp_threads() == {1}
        assert openmp_threads() == {1}
    assert openmp_threads() == before


def test_dropping_columns_no_tree_splits_on_leaves_the_probabilities_unchanged(processed):
    """The mechanism behind the config's drop_features: a column none of the boosting's splits chooses cannot
    change which split wins, so a fit without it grows the same trees."""
    import numpy as np

    from winnow.features import NEIGHBOUR_FEATURES, TEXT_FEATURES, sentence_table
    from winnow.jsonio import read_jsonl
    from winnow.model import SentenceClassifier, unused_page_features
    from winnow.train import gold_content_labels

    labels = gold_content_labels(REPO / "annotations")
    table = sentence_table([[s for s in read_jsonl(processed / "sentences.jsonl") if s["article_id"] == a]
                            for a in sorted({p.stem for p in SEED_FILES})])
    y = table["sentence_id"].map(labels).to_numpy()
    settings = {"max_iter": 30, "ngram_features": 2**12, "inner_folds": 2}
    full = SentenceClassifier(**settings).fit(table, y)
    (booster,) = full.passes_
    split_on = {node["feature_idx"] for trees in booster._predictors for tree in trees
                for node in tree.nodes if not node["is_leaf"]}
    # text features are the first columns, then 10 context columns, then the neighbour features
    offset = len(TEXT_FEATURES) + 10
    unused = [name for i, name in enumerate(TEXT_FEATURES) if i not in split_on]
    unused += [name for i, name in enumerate(NEIGHBOUR_FEATURES) if offset + i not in split_on]
    assert len(unused) >= 5 and unused_page_features(full) == unused
    pruned = SentenceClassifier(**settings, drop_features=unused).fit(table, y)
    assert pruned.passes_[0].n_features_in_ == booster.n_features_in_ - len(unused)
    assert np.array_equal(pruned.predict_proba(table), full.predict_proba(table))
    assert unused_page_features(pruned) == []  # nothing more to drop
    some = SentenceClassifier(**settings, drop_features=unused[:3]).fit(table, y)
    assert unused_page_features(some) == unused[3:]  # column positions shift, names do not

    split_one = [name for i, name in enumerate(TEXT_FEATURES) if i in split_on][:1]
    changed = SentenceClassifier(**settings, drop_features=split_one).fit(table, y)
    assert not np.array_equal(changed.predict_proba(table), full.predict_proba(table))  # the check can fail


def test_unknown_dropped_feature_is_a_clear_error():
    from winnow.features import NEIGHBOUR_FEATURES, kept_page_columns

    assert len(NEIGHBOUR_FEATURES) == 49 and NEIGHBOUR_FEATURES[:2] == ("log_words@+2", "log_words@+1")
    assert {part: cols.tolist() for part, cols in kept_page_columns(["ends_ellipsis"]).items()} == {
        0: [0, 1, 2, 3, 4, *range(6, 21)]}
    with pytest.raises(ValueError, match="unknown feature.*no_such_feature"):
        kept_page_columns(["no_such_feature"])


def test_neighbour_feature_names_say_which_sentence_they_read():
    import numpy as np

    from winnow.features import NEIGHBOUR_FEATURES, TEXT_FEATURES, page_feature_parts, sentence_table

    texts = ["One.", "Two words here.", "Three words in this one.", "Four and five and six words", "Seven"]
    table = sentence_table([[{"article_id": "a", "sentence_id": f"a:{i}", "block": i, "index": i, "text": t}
                             for i, t in enumerate(texts)]])
    text, _, neighbours, *_ = page_feature_parts(table)
    words = text[:, TEXT_FEATURES.index("log_words")]
    column = {name: neighbours[:, i] for i, name in enumerate(NEIGHBOUR_FEATURES)}
    assert np.array_equal(column["log_words@-1"][1:], words[:-1]) and column["log_words@-1"][0] == -1
    assert np.array_equal(column["log_words@+2"][:-2], words[2:]) and column["log_words@+2"][-1] == -1
    assert np.allclose(column["log_words@w1"][2], words[1:4].mean())
