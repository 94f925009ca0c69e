import json
import shutil

from winnow.annotations import load_annotations, validate_annotations
from winnow.jsonio import read_jsonl
from winnow.segment import segment_text

from .conftest import REPO, SEED_FILES


def _seed_sentence_ids():
    ids = set()
    for path in SEED_FILES:
        ids |= {r["sentence_id"] for r in segment_text(path.stem, path.read_text(encoding="utf-8"))}
    return ids


def test_gold_covers_every_seed_sentence_for_every_manual_annotator():
    ids = _seed_sentence_ids()
    assert validate_annotations(REPO / "annotations", ids) == []
    by_annotator = {}
    for rec in load_annotations(REPO / "annotations" / "manual"):
        by_annotator.setdefault(rec["annotator"], set()).add(rec["sentence_id"])
    assert by_annotator, "no manual annotations"
    for annotator, covered in by_annotator.items():
        assert covered == ids, f"{annotator} misses {len(ids - covered)} sentences"


def test_validation_names_file_line_and_reason(tmp_path):
    root = tmp_path / "annotations"
    shutil.copytree(REPO / "annotations" / "manual", root)
    good = read_jsonl(root / "a1.jsonl")[0]
    bad = [
        {**good, "sentence_id": good["article_id"] + ":000000000000"},
        {**good, "label": "cruft"},
        {**good, "label": "content", "kind": None, "stance": None},
        {**good, "label": "boilerplate", "kind": "sidebar", "stance": None},
        {k: v for k, v in good.items() if k != "annotator"},
    ]
    (root / "bad.jsonl").write_text("".join(json.dumps(r) + "\n" for r in bad) + "{not json\n", encoding="utf-8")
    problems = [p for p in validate_annotations(root, _seed_sentence_ids()) if p.file.endswith("bad.jsonl")]
    assert len({p.line for p in problems}) == 1  # the malformed JSON line stops that file before the rest
    assert problems[0].line == 6 and "not valid JSON" in problems[0].reason
    (root / "bad.jsonl").write_text("".join(json.dumps(r) + "\n" for r in bad), encoding="utf-8")
    problems = [p for p in validate_annotations(root, _seed_sentence_ids()) if p.file.endswith("bad.jsonl")]
    reasons = {}
    for p in problems:
        reasons[p.line] = reasons.get(p.line, "") + " | " + p.reason
    assert "duplicate of" in reasons[3]  # same sentence, annotator and time as a1.jsonl line 1
    assert "does not exist" in reasons[1]
    assert "label 'cruft'" in reasons[2]
    assert "needs a stance" in reasons[3]
    assert "needs a kind" in reasons[4]
    assert "missing field 'annotator'" in reasons[5]
