"""The Label Studio round trip against a real Label Studio 1.23.2 server on 127.0.0.1.

The server runs from its own venv (.labelstudio/venv, `make .labelstudio/venv/.installed`; override with
WINNOW_LS_VENV). One data dir is migrated once and kept as a template under .labelstudio/ (git-ignored);
each session copies it and starts a server on a free port. Without the venv the tests skip locally; under
CI (CI=true) they try to create it and fail if they cannot.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from label_studio_sdk import LabelStudio
from typer.testing import CliRunner

from tests.conftest import RAW_DIR, REPO
from winnow.annotations import validate_annotations
from winnow.cli import app
from winnow.jsonio import read_jsonl, write_jsonl_atomic
from winnow.labelstudio import server
from winnow.labelstudio.convert import record_to_result
from winnow.prepare import prepare_directory

pytestmark = pytest.mark.integration

ADMIN = "admin@winnow.test"
ADMIN_PASSWORD = "winnow-admin-pass"  # test-only credentials of a throwaway local server
LEGACY_TOKEN = "0123456789abcdef0123456789abcdef01234567"
SECOND = "annotator2@winnow.test"
SEED = "000_b936a8f9ba5b5a2d"
TEMPLATE = REPO / ".labelstudio" / "test-template-1.23.2"


def _ensure_venv() -> None:
    if (server.venv_dir() / "bin" / "label-studio").exists():
        return
    if os.environ.get("CI") != "true":
        pytest.skip(f"no Label Studio venv at {server.venv_dir()}: run `make .labelstudio/venv/.installed`")
    done = subprocess.run(["make", ".labelstudio/venv/.installed"], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0 or not (server.venv_dir() / "bin" / "label-studio").exists():
        pytest.fail(f"CI: could not create the Label Studio venv:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def _ensure_template(log_dir: Path) -> Path:
    """A migrated data dir with an admin whose legacy token works (built once, then reused)."""
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with (TEMPLATE.parent / "test-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (TEMPLATE / "label_studio.sqlite3").exists():
            building = TEMPLATE.with_name(TEMPLATE.name + ".building")
            shutil.rmtree(building, ignore_errors=True)
            first = server.start(building, server.free_port(), log_dir / "template.log", extra_env={
                "LABEL_STUDIO_USERNAME": ADMIN, "LABEL_STUDIO_PASSWORD": ADMIN_PASSWORD,
                "LABEL_STUDIO_USER_TOKEN": LEGACY_TOKEN, "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            })
            first.stop()
            shutil.rmtree(TEMPLATE, ignore_errors=True)
            building.rename(TEMPLATE)
    return TEMPLATE


@pytest.fixture(scope="session")
def ls_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _ensure_venv()
    work = tmp_path_factory.mktemp("labelstudio")
    template = _ensure_template(work)
    data = work / "data"
    shutil.copytree(template, data)
    running = server.start(data, server.free_port(), work / "server.log")
    try:
        yield running.url
    finally:
        running.stop()


def _personal_access_token(url: str, email: str, password: str, signup: bool = False) -> str:
    """Sign up (or log in) through the web forms as a person would, then create a personal access token."""
    page = "/user/signup/" if signup else "/user/login/"
    with httpx.Client(base_url=url) as web:
        web.get(page)
        form = {"email": email, "password": password, "csrfmiddlewaretoken": web.cookies["csrftoken"]}
        done = web.post(page, data=form, headers={"Referer": url + page})
        assert done.status_code == 302, f"{page} refused {email} ({done.status_code})"  # 200 = form again
        response = web.post("/api/token/", headers={"X-CSRFToken": web.cookies["csrftoken"], "Referer": url})
        response.raise_for_status()
        return str(response.json()["token"])


@pytest.fixture(scope="session")
def tokens(ls_url: str) -> dict[str, str]:
    return {
        "legacy": LEGACY_TOKEN,
        "admin_pat": _personal_access_token(ls_url, ADMIN, ADMIN_PASSWORD),
        "second_pat": _personal_access_token(ls_url, SECOND, "annotator2-pass", signup=True),
    }


def _train_seed_model(sentences: list[dict[str, Any]], path: Path, max_iter: int = 50) -> str:
    """A small real model trained on a1's seed labels; returns its version."""
    from winnow.features import sentence_table
    from winnow.model import SentenceClassifier, load_model, save_model

    gold = {r["sentence_id"]: r["label"] == "content" for r in read_jsonl(REPO / "annotations/manual/a1.jsonl")}
    by_article: dict[str, list[dict[str, Any]]] = {}
    for sentence in sentences:
        by_article.setdefault(sentence["article_id"], []).append(sentence)
    table = sentence_table([by_article[a] for a in sorted(by_article)])
    classifier = SentenceClassifier(passes=1, max_iter=max_iter, ngram_features=2**12, inner_folds=2)
    save_model(classifier.fit(table, table["sentence_id"].map(gold).astype(int).to_numpy()), path)
    return load_model(path).version


@pytest.fixture(scope="session")
def seed_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Seed sentences and articles as `make data` writes them, and a small model trained on a1's labels."""
    out = tmp_path_factory.mktemp("processed")
    prepared = prepare_directory(RAW_DIR)
    write_jsonl_atomic(out / "sentences.jsonl", prepared.sentences)
    write_jsonl_atomic(out / "articles.jsonl", prepared.articles)
    _train_seed_model(prepared.sentences, out / "model.skops")
    return {"sentences": out / "sentences.jsonl", "articles": out / "articles.jsonl", "model": out / "model.skops"}


@pytest.fixture
def annotations(tmp_path: Path) -> Path:
    """A temporary copy of the project's annotations/."""
    root = tmp_path / "annotations"
    shutil.copytree(REPO / "annotations", root)
    return root


def _winnow(args: list[str], url: str, key: str) -> Any:
    env = {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": key}
    result = CliRunner().invoke(app, [*args, "--env-file", "/nonexistent/.env"], env=env)
    assert key not in result.output, "the API key leaked into the output"
    return result


def _push(url: str, key: str, data: dict[str, Path], project: str, *extra: str) -> Any:
    return _winnow(["ls", "push", "--project", project, "--model", str(data["model"]), "--sentences",
                    str(data["sentences"]), "--articles", str(data["articles"]), *extra], url, key)


def _pull(url: str, key: str, data: dict[str, Path], project: str, root: Path, *extra: str) -> Any:
    return _winnow(["ls", "pull", "--project", project, "--annotations-dir", str(root), "--sentences",
                    str(data["sentences"]), *extra], url, key)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _tasks(client: LabelStudio, title: str) -> dict[str, Any]:
    (project,) = [p for p in client.projects.list() if p.title == title]
    return {t.data["sentence_id"]: t for t in client.tasks.list(project=project.id, fields="all")}


def _annotate(client: LabelStudio, task: Any, labels: dict[str, Any], lead_time: float) -> int:
    return client.annotations.create(id=task.id, result=record_to_result(labels), lead_time=lead_time,
                                     parent_prediction=task.predictions[0].id).id


def test_round_trip_push_annotate_pull(ls_url, tokens, seed_data, annotations):
    from winnow.model import load_model

    version = load_model(seed_data["model"]).version
    pushed = _push(ls_url, tokens["legacy"], seed_data, "round-trip")
    assert pushed.exit_code == 0, pushed.output
    n_sentences = len(read_jsonl(seed_data["sentences"]))
    assert f"imported {n_sentences} new task(s)" in pushed.output
    again = _push(ls_url, tokens["legacy"], seed_data, "round-trip")
    assert again.exit_code == 0 and "imported 0 new task(s)" in again.output, again.output

    admin = LabelStudio(base_url=ls_url, api_key=tokens["legacy"])
    second = LabelStudio(base_url=ls_url, api_key=tokens["second_pat"])
    tasks = _tasks(admin, "round-trip")
    assert len(tasks) == n_sentences
    assert all([p.model_version for p in t.predictions] == [version] for t in tasks.values())

    gold = {name: {r["sentence_id"]: r for r in read_jsonl(REPO / f"annotations/manual/{name}.jsonl")}
            for name in ("a1", "a2")}
    seed_ids = [s["sentence_id"] for s in read_jsonl(seed_data["sentences"]) if s["article_id"] == SEED]
    expected = set()
    for number, sentence_id in enumerate(seed_ids[:12]):  # admin labels like a1
        _annotate(admin, tasks[sentence_id], gold["a1"][sentence_id], lead_time=2.0 + number)
        expected.add(_key(gold["a1"][sentence_id], ADMIN))
    for sentence_id in seed_ids[:6]:  # the second annotator like a2 ...
        _annotate(second, tasks[sentence_id], gold["a2"][sentence_id], lead_time=4.0)
        expected.add(_key(gold["a2"][sentence_id], SECOND))
    conflict = {"label": "boilerplate", "kind": "other", "note": "unsure: reads like a teaser"}
    conflicted = _annotate(second, tasks[seed_ids[8]], conflict, lead_time=7.5)  # ... and once against a1
    expected.add(_key({**conflict, "sentence_id": seed_ids[8], "stance": None}, SECOND))
    admin.annotations.create(id=tasks[seed_ids[20]].id, result=[], was_cancelled=True, lead_time=1.0)

    manual_before = _tree(annotations / "manual")
    pulled = _pull(ls_url, tokens["admin_pat"], seed_data, "round-trip", annotations)
    assert pulled.exit_code == 0, pulled.output
    records = read_jsonl(annotations / "labelstudio.jsonl")
    assert {_key(r, r["annotator"]) for r in records} == expected and len(records) == len(expected)
    assert all(r["source"] == "label-studio" and r["prediction"]["model_version"] == version for r in records)
    assert all(isinstance(r["ls_task_id"], int) and r["lead_time"] > 0 for r in records)
    by_second = [r for r in records if r["sentence_id"] == seed_ids[8]]
    assert {r["annotator"] for r in by_second} == {ADMIN, SECOND}  # kept side by side for adjudication
    sentence_ids = {s["sentence_id"] for s in read_jsonl(seed_data["sentences"])}
    assert validate_annotations(annotations, sentence_ids) == []
    assert _tree(annotations / "manual") == manual_before

    snapshot = _tree(annotations)
    repeat = _pull(ls_url, tokens["legacy"], seed_data, "round-trip", annotations)
    assert repeat.exit_code == 0 and "added 0 record(s), 0 revision(s)" in repeat.output, repeat.output
    assert _tree(annotations) == snapshot

    second.annotations.update(id=conflicted, result=record_to_result({"label": "content", "stance": "neutral"}))
    revised = _pull(ls_url, tokens["admin_pat"], seed_data, "round-trip", annotations)
    assert revised.exit_code == 0 and "added 0 record(s), 1 revision(s)" in revised.output, revised.output
    assert (annotations / "labelstudio.jsonl").read_bytes().startswith(snapshot["labelstudio.jsonl"])
    last = read_jsonl(annotations / "labelstudio.jsonl")[-1]
    assert (last["ls_annotation_id"], last["label"], last["stance"]) == (conflicted, "content", "neutral")
    assert validate_annotations(annotations, sentence_ids) == []


def _key(record: dict[str, Any], annotator: str) -> tuple[Any, ...]:
    return (record["sentence_id"], annotator, record["label"], record.get("kind"), record.get("stance"))


def test_uncertain_push_sends_the_least_certain_sentences(ls_url, tokens, seed_data):
    from winnow.labelstudio.tasks import group_by_article
    from winnow.model import load_model

    result = _push(ls_url, tokens["admin_pat"], seed_data, "uncertain", "--strategy", "uncertain", "--limit", "7")
    assert result.exit_code == 0 and "imported 7 new task(s)" in result.output, result.output
    articles = group_by_article(read_jsonl(seed_data["sentences"]))
    ids = sorted(articles)
    p = load_model(seed_data["model"]).predict_proba([articles[a] for a in ids])
    ranked = sorted((abs(float(q) - 0.5), s["sentence_id"]) for a, probs in zip(ids, p, strict=True)
                    for s, q in zip(articles[a], probs, strict=True))
    client = LabelStudio(base_url=ls_url, api_key=tokens["legacy"])
    assert set(_tasks(client, "uncertain")) == {sentence_id for _, sentence_id in ranked[:7]}


def test_bad_connections_fail_clearly_and_write_nothing(ls_url, seed_data, annotations):
    before = _tree(annotations)
    wrong = _pull(ls_url, "f" * 40, seed_data, "round-trip", annotations)
    assert wrong.exit_code == 1 and "rejected the API key" in wrong.output, wrong.output
    down = _pull(f"http://127.0.0.1:{server.free_port()}", LEGACY_TOKEN, seed_data, "round-trip", annotations)
    assert down.exit_code == 1 and "cannot reach Label Studio" in down.output, down.output
    assert _tree(annotations) == before


def test_unknown_label_and_vanished_sentence_fail_clearly_and_write_nothing(ls_url, tokens, seed_data,
                                                                           annotations):
    before = _tree(annotations)
    pushed = _push(ls_url, tokens["legacy"], seed_data, "bad-input", "--article", SEED, "--limit", "2",
                   "--no-predictions")
    assert pushed.exit_code == 0, pushed.output
    client = LabelStudio(base_url=ls_url, api_key=tokens["legacy"])
    (task, _) = _tasks(client, "bad-input").values()
    client.annotations.create(id=task.id, result=[{"from_name": "label", "to_name": "sentence", "type": "choices",
                                                   "value": {"choices": ["maybe"]}}])
    unknown = _pull(ls_url, tokens["legacy"], seed_data, "bad-input", annotations)
    assert unknown.exit_code == 1 and f"task {task.id}" in unknown.output, unknown.output
    assert "unknown label 'maybe'" in unknown.output and "nothing was written" in unknown.output

    project = client.projects.create(title="vanished", label_config=(REPO / "annotations/labelstudio/config.xml")
                                     .read_text(encoding="utf-8"))
    ghost = f"{SEED}:000000000000"
    client.projects.import_tasks(project.id, request=[{"data": {**task.data, "sentence_id": ghost}}])
    (ghost_task,) = _tasks(client, "vanished").values()
    client.annotations.create(id=ghost_task.id, result=record_to_result({"label": "content", "stance": "neutral"}))
    vanished = _pull(ls_url, tokens["legacy"], seed_data, "vanished", annotations)
    assert vanished.exit_code == 1 and f"task {ghost_task.id}" in vanished.output, vanished.output
    assert f"sentence_id '{ghost}' does not exist" in vanished.output
    assert _tree(annotations) == before


def test_a_new_model_version_adds_predictions_not_tasks(ls_url, tokens, seed_data, tmp_path):
    from winnow.model import load_model

    first = _push(ls_url, tokens["legacy"], seed_data, "retrained", "--article", SEED, "--limit", "5")
    assert first.exit_code == 0 and "imported 5 new task(s)" in first.output, first.output
    old_version = load_model(seed_data["model"]).version
    new_version = _train_seed_model(read_jsonl(seed_data["sentences"]), tmp_path / "model.skops", max_iter=20)
    assert new_version != old_version
    newer = _push(ls_url, tokens["legacy"], {**seed_data, "model": tmp_path / "model.skops"}, "retrained",
                  "--article", SEED, "--limit", "5")
    assert newer.exit_code == 0 and "imported 0 new task(s)" in newer.output, newer.output
    assert "5 already there (5 given a prediction from this model)" in newer.output
    client = LabelStudio(base_url=ls_url, api_key=tokens["legacy"])
    tasks = _tasks(client, "retrained")
    assert len(tasks) == 5
    assert all(sorted(p.model_version for p in t.predictions) == sorted([old_version, new_version])
               for t in tasks.values())
    (project,) = [p for p in client.projects.list() if p.title == "retrained"]
    assert client.projects.get(project.id).model_version == new_version  # what annotators are shown


def test_corpus_pages_are_annotated_by_reference(ls_url, tokens, seed_data, toy_silver, annotations, tmp_path):
    """Pages of a benchmark corpus go to Label Studio with their text; their labels come back by id only."""
    from winnow.corpus_refs import NO_HEADLINE_TARGET, KnownSentences, load_page_sentences
    from winnow.train import load_training_data

    pages = ["toy/p1", "toy/p3"]
    sentences = load_page_sentences(toy_silver, pages)
    pushed = _push(ls_url, tokens["legacy"], seed_data, "corpus-pages", *(f"--corpus-page={p}" for p in pages),
                   "--silver-dir", str(toy_silver))
    assert pushed.exit_code == 0 and f"imported {len(sentences)} new task(s)" in pushed.output, pushed.output
    admin = LabelStudio(base_url=ls_url, api_key=tokens["legacy"])
    tasks = _tasks(admin, "corpus-pages")
    assert {sid: t.data["text"] for sid, t in tasks.items()} == {s["sentence_id"]: s["text"] for s in sentences}
    assert {t.data["stance_target"] for t in tasks.values()} == {NO_HEADLINE_TARGET}
    assert all(len(t.predictions) == 1 for t in tasks.values())

    quote, copyright_line = "toy/p3:1791f12fd634", "toy/p1:fb6a1aad2135"  # silver: both boilerplate
    _annotate(admin, tasks[quote], {"label": "content", "stance": "neutral"}, lead_time=3.0)
    _annotate(admin, tasks[copyright_line], {"label": "boilerplate", "kind": "metadata"}, lead_time=2.0)

    before = _tree(annotations)
    unresolvable = _pull(ls_url, tokens["legacy"], seed_data, "corpus-pages", annotations,
                         "--silver-dir", str(tmp_path / "no-silver"))
    assert unresolvable.exit_code == 1 and "toy.parquet not found" in unresolvable.output, unresolvable.output
    assert "nothing was written" in unresolvable.output and _tree(annotations) == before

    pulled = _pull(ls_url, tokens["legacy"], seed_data, "corpus-pages", annotations, "--silver-dir", str(toy_silver))
    assert pulled.exit_code == 0 and "added 2 record(s)" in pulled.output, pulled.output
    stored = (annotations / "labelstudio.jsonl").read_text(encoding="utf-8")
    records = read_jsonl(annotations / "labelstudio.jsonl")
    assert {(r["sentence_id"], r["article_id"], r["label"]) for r in records} == {
        (quote, "toy/p3", "content"), (copyright_line, "toy/p1", "boilerplate")}
    assert not any(s["text"] in stored for s in sentences if len(s["text"]) > 12)  # ids and labels, no text
    processed = {s["sentence_id"] for s in read_jsonl(seed_data["sentences"])}
    assert validate_annotations(annotations, KnownSentences(processed, toy_silver, strict=True)) == []

    config = {"data": {"silver_dir": str(toy_silver), "corpora": ["toy"], "gold_weight": 5.0,
                       "max_pages_per_corpus": 1}}
    data = load_training_data(config, seed_data["sentences"].parent, annotations)
    table = data.table.set_index("sentence_id")
    assert table.loc[quote, "label"] == 1 and table.loc[copyright_line, "label"] == 0
    assert table.loc[quote, "weight"] == 5.0 and data.corpus_hand_labels == 2


def test_disputed_corpus_pages_are_pushed(ls_url, tokens, seed_data, toy_silver, tmp_path):
    """--disputed-pages picks the pages where out-of-fold predictions contradict the silver labels."""
    import pandas as pd

    silver = pd.read_parquet(toy_silver / "toy.parquet")
    label = (silver["label"] == "content").astype(int)
    wrong_on_p3 = (silver["article_id"] == "toy/p3") & (silver["index"] < 6)
    oof = silver[["corpus", "article_id"]].assign(label=label, p_content=(label ^ wrong_on_p3).astype(float))
    oof.to_parquet(tmp_path / "cv-predictions.parquet")
    pushed = _push(ls_url, tokens["legacy"], seed_data, "disputed", "--disputed-pages", "3", "--cv-predictions",
                   str(tmp_path / "cv-predictions.parquet"), "--silver-dir", str(toy_silver))
    assert pushed.exit_code == 0 and "disputed pages: toy/p3" in pushed.output, pushed.output
    client = LabelStudio(base_url=ls_url, api_key=tokens["legacy"])
    assert {t.data["article_id"] for t in _tasks(client, "disputed").values()} == {"toy/p3"}
