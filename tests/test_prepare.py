"""The data stage over a directory of real files of every bad-input class: one bad file never stops the rest."""

import gzip
import json
import shutil
import subprocess
import sys

import pytest

from winnow.prepare import checksum_problems, prepare_directory

from .conftest import RAW_DIR, REPO


@pytest.fixture
def messy_raw_dir(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    (raw / "bom.txt").write_bytes(b"\xef\xbb\xbfA story with a byte-order mark. It has two sentences.\n")
    (raw / "crlf.txt").write_bytes(b"Line one of the story.\r\nLine two of the story.\r\n")
    (raw / "latin.txt").write_bytes("Le café a fermé à midi. Señor Núñez était là.\n".encode("cp1252") * 3)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "blank.txt").write_bytes(b"  \n\n \t\n")
    (raw / "binary.txt").write_bytes(gzip.compress(b"not text at all " * 100))
    (raw / "page.html").write_text(
        "<html><body><h1>Title</h1><p>First paragraph here.</p><p>Second one.</p></body></html>",
        encoding="utf-8",
    )
    return raw


def test_every_good_file_is_segmented_and_bad_ones_are_reported(messy_raw_dir):
    result = prepare_directory(messy_raw_dir)
    ids = {a["article_id"]: a for a in result.articles}
    assert set(ids) == {"000_b936a8f9ba5b5a2d", "002_fc9e1f89e592b5e7", "bom", "crlf", "latin", "page"}
    assert ids["bom"]["encoding"] == "utf-8-sig"
    assert ids["page"]["source_format"] == "html"
    assert ids["latin"]["encoding"] == "cp1252"
    assert ids["000_b936a8f9ba5b5a2d"]["stance_target"].startswith("Deploying US troops")
    assert len(result.skipped_empty) == 2
    assert len(result.refused) == 1 and "binary.txt" in result.refused[0]
    for rec in result.sentences:
        assert ids[rec["article_id"]]["text"][rec["char_start"]:rec["char_end"]] == rec["text"]


def test_checksum_mismatch_is_named(messy_raw_dir):
    assert checksum_problems(messy_raw_dir) == []
    target = messy_raw_dir / "000_b936a8f9ba5b5a2d.txt"
    target.write_bytes(target.read_bytes() + b"tampered\n")
    problems = checksum_problems(messy_raw_dir)
    assert len(problems) == 1 and "000_b936a8f9ba5b5a2d.txt: sha256 mismatch" in problems[0]


def test_cli_segment_fails_clearly_on_mismatch_and_writes_nothing(messy_raw_dir, tmp_path):
    target = messy_raw_dir / "002_fc9e1f89e592b5e7.txt"
    target.write_bytes(b"x" + target.read_bytes())
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "winnow.cli", "segment", "--raw-dir", str(messy_raw_dir), "--out-dir", str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    assert "sha256 mismatch" in proc.stderr and "002_fc9e1f89e592b5e7.txt" in proc.stderr
    assert not out.exists()


def test_cli_segment_writes_good_files_and_exits_nonzero_for_refused(messy_raw_dir, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "winnow.cli", "segment", "--raw-dir", str(messy_raw_dir), "--out-dir", str(out)],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 1 and "binary.txt" in proc.stderr
    articles = [json.loads(line) for line in (out / "articles.jsonl").open(encoding="utf-8")]
    assert len(articles) == 6


def test_a_file_name_that_is_not_utf8_is_segmented_under_an_escaped_id(tmp_path):
    """A raw file named in Latin-1 (b"caf\\xe9.txt") gets the id caf\\xe9 (text): `winnow segment` writes it, where
    it used to stop with a traceback writing the JSONL."""
    import os

    raw = tmp_path / "raw"
    raw.mkdir()
    try:
        (raw / os.fsdecode(b"caf\xe9.txt")).write_text("The café closed at noon. It opens again on Monday.\n",
                                                         encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take file names that are not UTF-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "winnow.cli", "segment", "--raw-dir", str(raw), "--out-dir", str(out)],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    articles = [json.loads(line) for line in (out / "articles.jsonl").open(encoding="utf-8")]
    sentences = [json.loads(line) for line in (out / "sentences.jsonl").open(encoding="utf-8")]
    assert [(a["article_id"], a["file"]) for a in articles] == [("caf\\xe9", "caf\\xe9.txt")]
    assert [s["article_id"] for s in sentences] == ["caf\\xe9", "caf\\xe9"]
