"""Label Studio conversion in both directions, on exports recorded from a real Label Studio 1.23.2 server
(tests/fixtures/labelstudio/, re-record with record.py there): sentences -> tasks + predictions, and
export -> annotation records -> append-only merge. No server needed."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import RAW_DIR
from winnow.annotations import record_problems
from winnow.cli import app
from winnow.jsonio import read_jsonl, write_jsonl_atomic
from winnow.labelstudio.connection import LabelStudioError, Settings, describe, load_settings
from winnow.labelstudio.convert import ExportError, convert_export, export_to_records, labels_of, record_to_result
from winnow.labelstudio.merge import merge_into
from winnow.labelstudio.tasks import context_lines, load_config, prediction, select
from winnow.labelstudio.workflow import plan_push
from winnow.prepare import prepare_directory

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"
SNAPSHOT = json.loads((FIXTURES / "export-snapshot.json").read_text(encoding="utf-8"))
PLAIN = json.loads((FIXTURES / "export-plain.json").read_text(encoding="utf-8"))
ADMIN, SECOND = "admin@winnow.test", "annotator2@winnow.test"


@pytest.fixture(scope="module")
def seeds() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    result = prepare_directory(RAW_DIR)
    return result.sentences, {a["article_id"]: a for a in result.articles}


class FixedPredictor:
    """Known probabilities per sentence id (test data for the ordering logic, not a model)."""

    version = "fixed-1"

    def __init__(self, p: Mapping[str, float], default: float = 0.9):
        self.p, self.default = p, default

    def predict_proba(self, articles: Sequence[Sequence[Mapping[str, Any]]]) -> list[np.ndarray]:
        return [np.array([self.p.get(s["sentence_id"], self.default) for s in a]) for a in articles]


# --- sentences -> tasks ---------------------------------------------------------------------------------

def test_tasks_we_build_are_what_label_studio_stored(seeds):
    sentences, metadata = seeds
    recorded = {t["data"]["sentence_id"]: t for t in SNAPSHOT}
    probabilities = {t["data"]["sentence_id"]: _p_content(t["predictions"][0]) for t in SNAPSHOT}
    model_version = SNAPSHOT[0]["predictions"][0]["model_version"]

    class Recorded(FixedPredictor):
        version = model_version

    tasks = plan_push(sentences, metadata, Recorded(probabilities), exclude=set(), limit=None)
    built = {t["data"]["sentence_id"]: t for t in tasks if t["data"]["sentence_id"] in recorded}
    assert set(built) == set(recorded), "fixture sentence ids changed: re-record tests/fixtures/labelstudio"
    for sentence_id, task in built.items():
        assert task["data"] == recorded[sentence_id]["data"]
        sent, stored = task["predictions"][0], recorded[sentence_id]["predictions"][0]
        assert (sent["model_version"], sent["score"], sent["result"]) == (
            stored["model_version"], stored["score"], stored["result"])


def test_task_data_shows_context_by_block_headline_and_target(seeds):
    sentences, metadata = seeds
    tasks = plan_push(sentences, metadata, None, article_ids=["000_b936a8f9ba5b5a2d"], limit=4)
    first, fourth = tasks[0]["data"], tasks[3]["data"]
    assert first["context_before"] == "" and first["headline"] == metadata["000_b936a8f9ba5b5a2d"]["headline"]
    assert first["stance_target"] == "Deploying US troops to the US–Mexico border"
    # sentences 2 and 3 share block 2: one line, headed once; block 1 has its own line
    lines = fourth["context_before"].split("\n")
    assert [line.split("]")[0] for line in lines] == ["[block 0", "[block 1", "[block 2"]
    assert lines[2] == "[block 2] " + sentences[2]["text"]
    assert fourth["text"] == sentences[3]["text"] and "predictions" not in tasks[0]
    assert "sentence 4 of" in fourth["position"]


def test_context_lines_joins_sentences_of_one_block():
    rows = [{"block": 5, "text": "A."}, {"block": 5, "text": "B."}, {"block": 7, "text": "C"}]
    assert context_lines(rows) == "[block 5] A. B.\n[block 7] C"


@pytest.mark.parametrize(("p", "label", "score"), [(0.8, "content", 0.8), (0.1, "boilerplate", 0.9),
                                                   (0.5, "content", 0.5)])
def test_prediction_targets_the_label_control_with_the_likelier_label(p, label, score):
    pred = prediction(p, "v1")
    assert pred["model_version"] == "v1" and pred["score"] == pytest.approx(score)
    (item,) = pred["result"]
    assert (item["from_name"], item["to_name"], item["value"]["choices"]) == ("label", "sentence", [label])
    assert f'name="{item["from_name"]}"' in load_config() and f'name="{item["to_name"]}"' in load_config()


def test_uncertain_strategy_orders_by_distance_from_half_then_id(seeds):
    sentences, metadata = seeds
    ids = [s["sentence_id"] for s in sentences]
    p = {ids[10]: 0.51, ids[3]: 0.45, ids[7]: 0.55, ids[20]: 0.48, ids[1]: 0.2}
    tasks = plan_push(sentences, metadata, FixedPredictor(p), strategy="uncertain", limit=4)
    tied = sorted([ids[3], ids[7]])  # both 0.05 from 0.5: by sentence id
    assert [t["data"]["sentence_id"] for t in tasks] == [ids[10], ids[20], *tied]
    assert all(t["predictions"][0]["model_version"] == "fixed-1" for t in tasks)


def test_uncertain_ties_break_by_sentence_id_and_need_a_model(seeds):
    sentences, metadata = seeds
    tasks = plan_push(sentences, metadata, FixedPredictor({}, default=0.7), strategy="uncertain", limit=5)
    assert [t["data"]["sentence_id"] for t in tasks] == sorted(s["sentence_id"] for s in sentences)[:5]
    with pytest.raises(ValueError, match="needs model predictions"):
        plan_push(sentences, metadata, None, strategy="uncertain")
    with pytest.raises(ValueError, match="unknown strategy"):
        select([], "random")


def test_article_selection_and_exclusion(seeds):
    sentences, metadata = seeds
    second = [s for s in sentences if s["article_id"] == "002_fc9e1f89e592b5e7"]
    tasks = plan_push(sentences, metadata, None, article_ids=["002_fc9e1f89e592b5e7"],
                      exclude={second[0]["sentence_id"]})
    assert [t["data"]["sentence_id"] for t in tasks] == [s["sentence_id"] for s in second[1:]]
    with pytest.raises(ValueError, match="unknown article id"):
        plan_push(sentences, metadata, None, article_ids=["nope"])


# --- export -> records ----------------------------------------------------------------------------------

def test_snapshot_export_converts_every_non_cancelled_annotation():
    records = export_to_records(SNAPSHOT)
    by_ann = {r["ls_annotation_id"]: r for r in records}
    tasks = {t["id"]: t for t in SNAPSHOT}
    cancelled = [a["id"] for t in SNAPSHOT for a in t["annotations"] if a["was_cancelled"]]
    all_ids = [a["id"] for t in SNAPSHOT for a in t["annotations"]]
    assert cancelled and sorted(by_ann) == sorted(set(all_ids) - set(cancelled))
    for record in records:
        assert record_problems(record, None) == []
        task = tasks[record["ls_task_id"]]
        annotation = next(a for a in task["annotations"] if a["id"] == record["ls_annotation_id"])
        assert record["sentence_id"] == task["data"]["sentence_id"]
        assert record["annotator"] == annotation["completed_by"]["email"]
        assert record["created_at"] == annotation["created_at"] and record["lead_time"] == annotation["lead_time"]
        assert record["source"] == "label-studio"
        assert record_to_result(record) == annotation["result"]  # labels survive both directions
        assert record["prediction"]["model_version"] == task["predictions"][0]["model_version"]
        assert record["prediction"]["label"] == task["predictions"][0]["result"][0]["value"]["choices"][0]


def test_two_annotators_conflicting_labels_stay_side_by_side():
    records = export_to_records(SNAPSHOT)
    conflict = [r for r in records if r["sentence_id"] == "000_b936a8f9ba5b5a2d:5a24ff6523e5"]
    assert {(r["annotator"], r["stance"]) for r in conflict} == {(ADMIN, "neutral"), (SECOND, "favor")}
    noted = next(r for r in conflict if r["annotator"] == SECOND)
    assert noted["note"] == "unsure: justification?"


def test_prediction_p_content_matches_the_score():
    for record in export_to_records(SNAPSHOT):
        pred = record["prediction"]
        expected = pred["score"] if pred["label"] == "content" else 1 - pred["score"]
        assert pred["p_content"] == pytest.approx(expected)


def test_plain_export_needs_the_server_user_map_for_annotators():
    with pytest.raises(ExportError, match="has no e-mail"):
        export_to_records(PLAIN)
    plain, snap = export_to_records(PLAIN, users=_user_map()), export_to_records(SNAPSHOT)
    assert [(r["ls_annotation_id"], r["annotator"], r["label"], r["kind"], r["stance"]) for r in plain] == [
        (r["ls_annotation_id"], r["annotator"], r["label"], r["kind"], r["stance"]) for r in snap]


def _user_map() -> dict[int, str]:
    return {a["completed_by"]["id"]: a["completed_by"]["email"] for t in SNAPSHOT for a in t["annotations"]}


def _p_content(pred: dict[str, Any]) -> float:
    item = pred["result"][0]
    return item["score"] if item["value"]["choices"] == ["content"] else 1 - item["score"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: {"tasks": e}, "expected a JSON list of tasks"),
        (lambda e: e + ["oops"], "is a str, not a task object"),
        (lambda e: [{**e[0], "data": {"text": "x"}}], "no data.sentence_id"),
        (lambda e: _set_choice(e, "label", "maybe"), "unknown label 'maybe'"),
        (lambda e: _set_choice(e, "kind", "footer"), "unknown kind 'footer'"),
        (lambda e: _drop_control(e, "label"), "no content/boilerplate label"),
        (lambda e: _drop_control(e, "kind"), "needs a kind"),
    ],
)
def test_bad_exports_name_the_problem(mutate, message):
    with pytest.raises(ExportError, match=message):
        export_to_records(mutate(copy.deepcopy(SNAPSHOT)))


def test_an_annotation_for_a_sentence_that_no_longer_exists_is_refused():
    known = {t["data"]["sentence_id"] for t in SNAPSHOT} - {"000_b936a8f9ba5b5a2d:e6ef9a6b8f04"}
    with pytest.raises(ExportError) as error:
        export_to_records(SNAPSHOT, sentence_ids=known)
    assert "task 34 annotation 8" in str(error.value) and "does not exist" in str(error.value)


def _set_choice(export: list[dict[str, Any]], control: str, value: str, task: int = 0) -> list[dict[str, Any]]:
    for item in export[task]["annotations"][0]["result"]:
        if item["from_name"] == control:
            item["value"]["choices"] = [value]
    return export


def _drop_control(export: list[dict[str, Any]], control: str) -> list[dict[str, Any]]:
    annotation = export[0]["annotations"][0]
    annotation["result"] = [i for i in annotation["result"] if i["from_name"] != control]
    return export


def test_labels_of_ignores_the_hidden_control():
    result = record_to_result({"label": "content", "stance": "neutral"}) + record_to_result(
        {"label": "boilerplate", "kind": "promo"})[1:]
    assert labels_of(result, "t") == ("content", None, "neutral")


# --- merge ----------------------------------------------------------------------------------------------

def test_merge_appends_only_new_and_keeps_existing_bytes(tmp_path):
    root = tmp_path / "annotations"
    out = root / "labelstudio.jsonl"
    manual = root / "manual" / "a1.jsonl"
    write_jsonl_atomic(manual, [_manual_record()])
    existing = export_to_records(SNAPSHOT)[:2]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, indent=None, separators=(", ", ":")) + "\n" for r in existing))
    before, manual_before = out.read_bytes(), manual.read_bytes()

    result = merge_into(out, root, convert_export(SNAPSHOT))
    after = out.read_bytes()
    assert after.startswith(before) and manual.read_bytes() == manual_before
    assert len(result.added) == len(export_to_records(SNAPSHOT)) - 2 and result.unchanged == 2
    again = merge_into(out, root, convert_export(SNAPSHOT))
    assert out.read_bytes() == after and not again.new_records


def test_an_annotation_edited_in_label_studio_adds_a_dated_revision(tmp_path):
    root, out = tmp_path, tmp_path / "labelstudio.jsonl"
    merge_into(out, root, convert_export(SNAPSHOT))
    edited = copy.deepcopy(SNAPSHOT)
    annotation = edited[0]["annotations"][0]
    annotation["result"] = record_to_result({"label": "boilerplate", "kind": "navigation"})
    annotation["updated_at"] = "2027-01-01T00:00:00Z"
    before = out.read_bytes()
    result = merge_into(out, root, convert_export(edited))
    assert [r["kind"] for r in result.revised] == ["navigation"] and not result.added
    revised = read_jsonl(out)[-1]
    assert revised["created_at"] == "2027-01-01T00:00:00Z" and revised["ls_annotation_id"] == annotation["id"]
    assert out.read_bytes().startswith(before)


def _manual_record() -> dict[str, Any]:
    return {"sentence_id": "000_b936a8f9ba5b5a2d:e6ef9a6b8f04", "article_id": "000_b936a8f9ba5b5a2d",
            "annotator": "a1", "created_at": "2026-11-25T21:06:09+00:00", "label": "boilerplate",
            "kind": "headline", "stance": None, "source": "manual"}


# --- the pull command on a recorded export (offline) ----------------------------------------------------

def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def workspace(tmp_path: Path, seeds) -> dict[str, Path]:
    sentences, _ = seeds
    write_jsonl_atomic(tmp_path / "sentences.jsonl", sentences)
    write_jsonl_atomic(tmp_path / "annotations" / "manual" / "a1.jsonl", [_manual_record()])
    return {"root": tmp_path / "annotations", "sentences": tmp_path / "sentences.jsonl", "tmp": tmp_path}


def _pull(workspace: dict[str, Path], export: Any) -> Any:
    path = workspace["tmp"] / "export.json"
    path.write_text(json.dumps(export) if not isinstance(export, str) else export, encoding="utf-8")
    return CliRunner().invoke(app, ["ls", "pull", "--export-file", str(path), "--annotations-dir",
                                    str(workspace["root"]), "--sentences", str(workspace["sentences"])])


def test_pull_command_merges_a_recorded_export(workspace):
    result = _pull(workspace, SNAPSHOT)
    assert result.exit_code == 0, result.output
    pulled = read_jsonl(workspace["root"] / "labelstudio.jsonl")
    assert len(pulled) == len(export_to_records(SNAPSHOT))
    before = _tree(workspace["root"])
    again = _pull(workspace, SNAPSHOT)
    assert again.exit_code == 0 and "added 0 record(s)" in again.output and _tree(workspace["root"]) == before


@pytest.mark.parametrize(
    ("export", "message"),
    [
        ("{not json", "cannot read"),
        ({"tasks": []}, "expected a JSON list of tasks"),
        (_set_choice(copy.deepcopy(SNAPSHOT), "stance", "angry", task=1), "unknown stance 'angry'"),
        ([{**SNAPSHOT[0], "data": {**SNAPSHOT[0]["data"], "sentence_id": "000_b936a8f9ba5b5a2d:gone"}}],
         "does not exist in the segmented data"),
    ],
)
def test_pull_command_refuses_bad_input_and_leaves_annotations_alone(workspace, export, message):
    assert _pull(workspace, SNAPSHOT[:2]).exit_code == 0
    before = _tree(workspace["root"])
    result = _pull(workspace, export)
    assert result.exit_code == 1 and message in result.output and "nothing was written" in result.output
    assert _tree(workspace["root"]) == before


# --- connection -----------------------------------------------------------------------------------------

def test_settings_come_from_the_environment_before_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LABEL_STUDIO_URL=http://127.0.0.1:9/\nLABEL_STUDIO_API_KEY=file-key\n")
    assert load_settings(env_file, {}) == Settings("http://127.0.0.1:9", "file-key")
    assert load_settings(env_file, {"LABEL_STUDIO_API_KEY": "env-key"}).api_key == "env-key"
    with pytest.raises(LabelStudioError, match="LABEL_STUDIO_API_KEY not set") as error:
        load_settings(tmp_path / "missing.env", {"LABEL_STUDIO_URL": "http://x"})
    assert "file-key" not in str(error.value)
    assert "file-key" not in repr(load_settings(env_file, {}))


def test_api_errors_become_one_line_without_the_token():
    from label_studio_sdk.core.api_error import ApiError

    settings = Settings("http://127.0.0.1:9", "s3cr3t-token")
    message = describe(ApiError(status_code=401, body={"detail": "Invalid token."}), settings.url)
    assert message is not None and "rejected the API key" in message
    assert settings.scrub("header Token s3cr3t-token") == "header Token ***"
