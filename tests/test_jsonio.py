import os

import pytest

from winnow.jsonio import atomic_open, read_jsonl, same_place, write_jsonl_atomic, write_text_atomic


@pytest.fixture
def fsyncs(monkeypatch):
    """The file descriptors os.fsync is called with (it still syncs)."""
    calls = []
    real = os.fsync

    def counting(fd):
        calls.append(fd)
        return real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


@pytest.mark.parametrize("durable", [True, False])
def test_atomic_writes_replace_the_file_whole_and_sync_only_when_durable(tmp_path, fsyncs, durable):
    path = tmp_path / "deep" / "out.txt"
    write_text_atomic(path, "first\n", durable=durable)
    write_text_atomic(path, "second ü\n", durable=durable)
    assert path.read_bytes() == "second ü\n".encode()
    assert len(fsyncs) == (2 if durable else 0)
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.txt"]  # no temporary file left


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, fsyncs):
    path = tmp_path / "annotations.jsonl"
    write_jsonl_atomic(path, [{"a": 1}])
    with pytest.raises(RuntimeError), atomic_open(path) as handle:
        handle.write('{"a": 2}\n')
        raise RuntimeError("interrupted")
    assert read_jsonl(path) == [{"a": 1}]
    assert [p.name for p in tmp_path.iterdir()] == ["annotations.jsonl"]
    assert len(fsyncs) == 1  # durable by default: annotations, models and reports are synced


def test_written_files_get_the_usual_permissions(tmp_path):
    previous = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "a.txt", "x")
    finally:
        os.umask(previous)
    write_text_atomic(tmp_path / "b.txt", "x")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640  # 0666 less the umask, as open() gives
    assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o666 & ~previous


def test_a_leftover_temporary_file_is_neither_reused_nor_removed(tmp_path, monkeypatch):
    import itertools

    from winnow import jsonio

    monkeypatch.setattr(jsonio, "_TEMP_NUMBERS", itertools.count(7))
    stale = tmp_path / f".out.txt.{os.getpid()}.7.tmp"  # as a crashed process with our pid would leave it
    stale.write_text("someone else's")
    write_text_atomic(tmp_path / "out.txt", "mine")
    assert (tmp_path / "out.txt").read_text() == "mine" and stale.read_text() == "someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [stale.name, "out.txt"]


def test_same_place_sees_through_spellings_and_symlinks(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert same_place(tmp_path / "a", tmp_path / "link")
    assert same_place(tmp_path / "a", tmp_path / "b" / ".." / "a")
    assert same_place(tmp_path / "new", tmp_path / "x" / ".." / "new")  # neither exists yet
    assert not same_place(tmp_path / "a", tmp_path / "a" / "clean")
    assert not same_place(tmp_path / "a", tmp_path / "new")
    assert same_place("s3://bucket/crawl/", "s3://bucket/crawl")
    assert not same_place("s3://bucket/crawl", "s3://bucket/clean")
    assert not same_place("s3://bucket/crawl", tmp_path / "a")
