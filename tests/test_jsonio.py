import os

import pytest

from winnow.jsonio import atomic_open, read_jsonl, write_jsonl_atomic, write_text_atomic


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
