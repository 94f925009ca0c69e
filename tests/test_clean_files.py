"""Cleaning folders of files: chunks, and the same files from any number of worker processes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from winnow.clean import PAGE_BATCH
from winnow.clean_files import CHUNK_PAGES, chunk_pages, chunks
from winnow.cli import app


def _inputs(site: str, n: int) -> list[tuple[str, Path]]:
    return [(f"{site}-{i:03d}", Path(site) / f"{site}-{i:03d}.txt") for i in range(n)]


def test_chunks_cover_every_input_once_in_order_and_keep_each_sites_whole_list():
    groups = [("a", _inputs("a", 150)), ("b", _inputs("b", 3)), ("c", _inputs("c", 70))]
    cut = chunks(groups, size=64)
    assert [sum(len(part.inputs) for part in chunk) for chunk in cut] == [64, 64, 64, 31]
    flat = [item for chunk in cut for part in chunk for item in part.inputs]
    assert flat == [item for _, inputs in groups for item in inputs]
    for chunk in cut:
        for part in chunk:  # a piece of a site knows all of its site's inputs (its reference is built from them)
            assert part.site_inputs == dict(groups)[part.site] and set(part.inputs) <= set(part.site_inputs)
    assert [part.site for part in cut[2]] == ["a", "b", "c"]  # small sites share a chunk


def test_chunk_pages_gives_each_worker_several_chunks_of_at_least_a_batch():
    assert chunk_pages(100_000, 1) == CHUNK_PAGES
    assert chunk_pages(100_000, 2) == CHUNK_PAGES
    assert chunk_pages(1_000, 2) == 125  # 8 chunks for 2 workers
    assert chunk_pages(100, 4) == PAGE_BATCH


def _pages(seed_texts: dict[str, str], folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    texts = list(seed_texts.values())
    for i in range(n):  # distinct pages: each seed page with its own first line
        (folder / f"p{i:03d}.txt").write_text(f"Page {i} of the test crawl\n{texts[i % len(texts)]}", encoding="utf-8")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_workers_write_the_same_files_as_one_process(seed_model, seed_texts, tmp_path):
    model = str(seed_model[0] / "model.skops")
    _pages(seed_texts, tmp_path / "in", 150)
    (tmp_path / "in" / "scan.txt").write_bytes(b"\x00\x01binary\x00")
    runs = {}
    for workers in (1, 2, 3):
        out = tmp_path / f"out-{workers}"
        result = CliRunner().invoke(app, ["clean", "--model", model, "--input-dir", str(tmp_path / "in"),
                                          "--output-dir", str(out), "--workers", str(workers)])
        assert result.exit_code == 0, result.output
        assert result.output.count("skipped: ") == 1 and "scan.txt: binary file" in result.output
        runs[workers] = _tree(out)
        empty = sum(not content for content in runs[workers].values())  # summed over the workers' chunks
        assert f"cleaned 150 files into {out} ({empty} kept no sentence: empty files); skipped 1" in result.output
    assert len(runs[1]) == 150 and any(runs[1].values())
    assert runs[2] == runs[1] and runs[3] == runs[1]


def test_workers_by_site_split_a_large_site_and_write_the_same_files(seed_model, seed_texts, tmp_path):
    model = str(seed_model[0] / "model.skops")
    _pages(seed_texts, tmp_path / "crawl" / "big.example", 140)  # cut into pieces, each with the same reference
    _pages(seed_texts, tmp_path / "crawl" / "small.example", 3)
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        result = CliRunner().invoke(app, ["clean", "--by-site", "--model", model, "--input-dir",
                                          str(tmp_path / "crawl"), "--output-dir", str(out), "--workers", str(workers)])
        assert result.exit_code == 0, result.output
        runs[workers] = _tree(out)
    assert len(runs[1]) == 143 and runs[2] == runs[1]


def test_a_file_that_cannot_be_written_stops_every_worker_cleanly(seed_model, seed_texts, tmp_path):
    model = str(seed_model[0] / "model.skops")
    _pages(seed_texts, tmp_path / "crawl" / "a.example", 70)
    _pages(seed_texts, tmp_path / "crawl" / "b.example", 70)
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.example").write_text("a file where the site's directory should be", encoding="utf-8")
    result = CliRunner().invoke(app, ["clean", "--by-site", "--model", model, "--input-dir", str(tmp_path / "crawl"),
                                      "--output-dir", str(out), "--workers", "2"])
    assert result.exit_code == 1
    assert "cannot write" in result.output and "b.example" in result.output
    assert not [path for path in out.rglob("*") if path.name.endswith(".tmp")]  # no half-written file left


def test_resume_goes_on_with_a_stopped_run_and_writes_the_files_of_one_whole_run(seed_model, seed_texts, tmp_path):
    """A run stopped part way (here a file blocks a site's directory) goes on with --resume once the cause is
    gone: the pages cleaned before are left as they are (not read, not rewritten), the others are cleaned, each
    against its site's whole reference, and the output is that of one uninterrupted run, for 1 and 2 workers."""
    model = str(seed_model[0] / "model.skops")
    crawl = tmp_path / "crawl"
    for site, n in (("a.example", 70), ("b.example", 70), ("c.example", 3)):
        _pages(seed_texts, crawl / site, n)

    def run(out: Path, *options: str):
        return CliRunner().invoke(app, ["clean", "--by-site", "--model", model, "--input-dir", str(crawl),
                                        "--output-dir", str(out), *options])

    assert run(tmp_path / "whole").exit_code == 0
    whole = _tree(tmp_path / "whole")
    assert len(whole) == 143
    for workers in ("1", "2"):
        out = tmp_path / f"out-{workers}"
        out.mkdir()
        (out / "b.example").write_text("a file where the site's directory should be", encoding="utf-8")
        stopped = run(out, "--workers", workers)
        assert stopped.exit_code == 1 and "rerun with --resume to clean the rest" in stopped.output
        (out / "b.example").unlink()
        before = _tree(out)
        assert 70 <= len(before) < 143  # a.example's pages at least
        kept = out / "a.example" / "p000.txt"
        kept.write_text("cleaned before", encoding="utf-8")
        resumed = run(out, "--workers", workers, "--resume")
        assert resumed.exit_code == 0, resumed.output
        assert (f"cleaned {143 - len(before)} files of 3 sites into {out} (" in resumed.output
                and f"{len(before)} cleaned before, left as they were (--resume)" in resumed.output), resumed.output
        assert kept.read_text(encoding="utf-8") == "cleaned before"
        kept.write_bytes(whole["a.example/p000.txt"])
        assert _tree(out) == whole
    again = run(tmp_path / "whole", "--resume")  # nothing left to do
    assert again.exit_code == 0 and "cleaned 0 files of 3 sites" in again.output
    assert "143 cleaned before" in again.output
    refused = run(tmp_path / "other", "--resume", "--engine", "datatrove")
    assert refused.exit_code == 1 and "error: --resume is for the local engine" in refused.output
    single = CliRunner().invoke(app, ["clean", str(crawl / "c.example" / "p000.txt"), "--resume", "--model", model])
    assert single.exit_code == 1 and "error: --resume needs --input-dir and --output-dir" in single.output


def test_datatrove_options_on_the_local_engine_are_refused(seed_model, tmp_path):
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(app, ["clean", "--model", str(seed_model[0] / "model.skops"), "--input-dir",
                                      str(tmp_path / "in"), "--output-dir", str(tmp_path / "out"), "--tasks", "4",
                                      "--min-content-chars", "200"])
    assert result.exit_code == 1
    assert "--tasks, --min-content-chars: datatrove options; add --engine datatrove" in result.output
    assert not (tmp_path / "out").exists()


def test_chunks_are_cleaned_in_the_worker_processes(seed_model, seed_texts, tmp_path, monkeypatch):
    import os

    import winnow.clean_files as clean_files_module
    from winnow.model import load_model

    model_path = seed_model[0] / "model.skops"
    _pages(seed_texts, tmp_path / "in", 200)
    inputs = [(path.stem, path) for path in sorted((tmp_path / "in").glob("*.txt"))]
    original = clean_files_module.clean_chunk

    def recording(chunk, model, output_dir, stop=None):  # runs in the worker: its pid travels with the result
        result = original(chunk, model, output_dir, stop)
        result.skipped.append(f"pid {os.getpid()}")
        return result

    monkeypatch.setattr(clean_files_module, "clean_chunk", recording)
    results = list(clean_files_module.clean_files([(None, inputs)], load_model(model_path), model_path,
                                                  tmp_path / "out", workers=2))
    cleaned_by = {message for result in results for message in result.skipped}
    assert sum(result.written for result in results) == 200 and len(results) == 4
    # in the workers, never in this process (how the chunks spread over the two is up to the pool)
    assert 1 <= len(cleaned_by) <= 2 and f"pid {os.getpid()}" not in cleaned_by
