"""winnow as a datatrove step: same output as `winnow clean`, decisions in metadata, drops with a reason, stats."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("datatrove")

from datatrove.data import Document  # noqa: E402
from datatrove.pipeline.writers.jsonl import JsonlWriter  # noqa: E402

from winnow.clean import clean_text, join_kept, predict_texts  # noqa: E402
from winnow.datatrove import (  # noqa: E402
    REASON_LOW_SHARE,
    REASON_TOO_LITTLE,
    SharedDirectoryError,
    WinnowCleaner,
    _load_cached,
    build_pipeline,
    cleaner_totals,
    preload,
    run_local,
)
from winnow.model import load_model  # noqa: E402
from winnow.segment import segment_text  # noqa: E402

from .conftest import SEED_FILES  # noqa: E402

# Small hand-written pages: menus, bylines, a body, CRLF line ends, repeats, non-ASCII, a page of cruft only.
HAND_PAGES = {
    "menu_and_body": "Home | World | Sport | Subscribe\nSign in\n"
                     "The council approved the new budget on Tuesday after a long debate. Members said the plan "
                     "would fund schools and roads. \"It is a fair compromise,\" the mayor said.\n"
                     "Share this article\nRelated: Ten things to know\n© 2024 Example News. All rights reserved.\n",
    "crlf": "Breaking news\r\nOfficials in São Paulo confirmed the closure of two stations.  Trains will resume "
            "on Friday, they said.\r\nAdvertisement\r\n",
    "repeats": "Menu\nMenu\nThe report was published on Monday. It found that prices rose by 3%.\nMenu\n",
    "cruft_only": "Log in\nRegister\nCookie settings\n",
}


@pytest.fixture(scope="module")
def model_path(seed_model) -> Path:
    return seed_model[0] / "model.skops"


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    """The seed articles and the hand-written pages as a directory of *.txt dumps."""
    folder = tmp_path_factory.mktemp("pages")
    for path in SEED_FILES:
        (folder / path.name).write_bytes(path.read_bytes())
    for name, text in HAND_PAGES.items():
        (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))
    return folder


def _read_output(folder: Path) -> dict[str, dict]:
    records = {}
    for path in sorted(folder.glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                assert record["id"] not in records
                records[record["id"]] = record
    return records


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "winnow.cli", "clean", *args], capture_output=True, text=True)


def test_datatrove_output_is_identical_to_winnow_clean(model_path, pages, tmp_path):
    local = tmp_path / "local"
    assert _cli("--model", str(model_path), "--input-dir", str(pages), "--output-dir", str(local)).returncode == 0
    proc = _cli("--model", str(model_path), "--engine", "datatrove", "--input-dir", str(pages), "--output-dir",
                str(tmp_path / "dt"), "--tasks", "2", "--workers", "2", "--logging-dir", str(tmp_path / "logs"))
    assert proc.returncode == 0, proc.stderr
    records = _read_output(tmp_path / "dt")
    expected = {path.stem: path.read_text(encoding="utf-8") for path in local.glob("*.txt")}
    assert set(records) == set(expected) == {p.stem for p in pages.glob("*.txt")}
    assert {key: record["text"] for key, record in records.items()} == expected
    assert "cleaned 6 documents" in proc.stderr
    # every rank wrote its own shard: the seed and hand-written pages were split over 2 tasks
    assert len(list((tmp_path / "dt").glob("*.jsonl"))) == 2


def test_jsonl_input_with_custom_fields_matches_clean_text(model_path, tmp_path):
    model = load_model(model_path)
    texts = [path.read_text(encoding="utf-8") for path in SEED_FILES] + list(HAND_PAGES.values())
    source = tmp_path / "in"
    source.mkdir()
    rows = [{"doc": f"same-{i % 2}", "body": text, "url": f"https://example.org/{i}"} for i, text in enumerate(texts)]
    with gzip.open(source / "part-0.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    pipeline = build_pipeline(source, tmp_path / "out", input_format="jsonl", text_key="body", id_key="doc",
                              model_path=model_path, compression="gzip")
    run_local(pipeline, tasks=1, workers=1, logging_dir=tmp_path / "logs")
    (out_file,) = (tmp_path / "out").glob("*.jsonl.gz")
    with gzip.open(out_file, "rt", encoding="utf-8") as handle:
        written = [json.loads(line) for line in handle]
    # ids repeat on purpose (same-0/same-1): pages must still be classified separately, in input order
    assert [r["id"] for r in written] == [row["doc"] for row in rows]
    assert [r["text"] for r in written] == [clean_text(text, model) for text in texts]
    assert [r["metadata"]["url"] for r in written] == [row["url"] for row in rows]


def test_recursive_jsonl_input_reads_the_subfolders_too(model_path, tmp_path):
    """JSONL shards stored by date (crawl/2026-11/part-0.jsonl): read with recursive=True only."""
    source = tmp_path / "crawl"
    shards = {"top.jsonl": "menu_and_body", "2026-11/part-0.jsonl": "crlf", "2026-11/12/part-0.jsonl.gz": "repeats"}
    for shard, name in shards.items():
        (source / shard).parent.mkdir(parents=True, exist_ok=True)
        opener = gzip.open if shard.endswith(".gz") else open
        with opener(source / shard, "wt", encoding="utf-8") as handle:
            handle.write(json.dumps({"id": name, "text": HAND_PAGES[name]}) + "\n")
    for recursive, expected in ((False, {"menu_and_body"}), (True, set(shards.values()))):
        out = tmp_path / f"out-{recursive}"
        pipeline = build_pipeline(source, out, input_format="jsonl", model_path=model_path, recursive=recursive)
        run_local(pipeline, tasks=1, workers=1, logging_dir=tmp_path / f"logs-{recursive}")
        assert set(_read_output(out)) == expected


def test_the_model_is_loaded_once_before_the_tasks_run(model_path, pages, tmp_path):
    """preload (run_local's first step) loads the model in this process; the tasks then find it loaded, so a
    timed run measures cleaning, not loading."""
    pipeline = build_pipeline(pages, tmp_path / "out", input_format="txt", model_path=model_path)
    _load_cached.cache_clear()
    preload(pipeline)
    assert _load_cached.cache_info().misses == 1
    run_local(pipeline, tasks=2, workers=1, logging_dir=tmp_path / "logs")
    info = _load_cached.cache_info()
    assert info.misses == 1 and info.hits >= 3  # run_local's preload, then each of the 2 tasks
    assert len(_read_output(tmp_path / "out")) == len(list(pages.glob("*.txt")))


def test_batching_does_not_change_the_result(model_path):
    texts = [path.read_text(encoding="utf-8") for path in SEED_FILES] + list(HAND_PAGES.values())
    outputs = []
    for batch_size in (1, 3, 64):
        docs = [Document(text=text, id=str(i)) for i, text in enumerate(texts)]
        list(WinnowCleaner(model_path, batch_size=batch_size).run(iter(docs)))
        outputs.append([doc.text for doc in docs])
    assert outputs[0] == outputs[1] == outputs[2]


def test_decisions_in_metadata_explain_the_output(model_path):
    text = SEED_FILES[1].read_text(encoding="utf-8")
    doc = Document(text=text, id="seed")
    cleaner = WinnowCleaner(model_path, threshold=0.5, store_decisions=True)
    (out,) = list(cleaner.run(iter([doc])))
    decisions = out.metadata["winnow"]
    assert decisions["threshold"] == 0.5 and decisions["model"] == load_model(model_path).version
    sentences = decisions["sentences"]
    records = segment_text("seed", text)
    assert [(s["char_start"], s["char_end"], s["text"]) for s in sentences] == [
        (r["char_start"], r["char_end"], r["text"]) for r in records]
    assert all(s["kept"] == (s["p_content"] >= 0.5) for s in sentences)
    assert 0 < sum(s["kept"] for s in sentences) < len(sentences)
    assert out.text == join_kept(text, records, [s["kept"] for s in sentences])
    totals = {key: metric.total for key, metric in cleaner.stats.stats.items()}
    assert totals["sentences_kept"] == sum(s["kept"] for s in sentences)
    assert totals["sentences_removed"] == sum(not s["kept"] for s in sentences)
    assert totals["chars_kept"] == sum(len(s["text"]) for s in sentences if s["kept"])
    assert totals["chars_kept"] + totals["chars_removed"] == sum(len(r["text"]) for r in records)
    assert "winnow" not in next(WinnowCleaner(model_path).run(iter([Document(text=text, id="x")]))).metadata


def test_documents_with_too_little_content_are_dropped_with_the_reason(model_path, pages, tmp_path):
    model = load_model(model_path)
    raw = {p.stem: p.read_bytes().decode("utf-8") for p in pages.glob("*.txt")}
    cleaned = {key: clean_text(text, model) for key, text in raw.items()}
    kept_chars = {key: sum(len(r["text"]) for r, kept in zip(records, model.keep(p, records), strict=True) if kept)
                  for key, _, records, p in predict_texts(raw.items(), model)}
    cut = max(kept_chars.values())  # only the page(s) keeping the most characters stay
    expected_dropped = {key for key, n in kept_chars.items() if n < cut}
    assert 0 < len(expected_dropped) < len(raw)
    pipeline = build_pipeline(pages, tmp_path / "kept", input_format="txt", model_path=model_path,
                              min_content_chars=cut, excluded_dir=tmp_path / "dropped")
    stats = run_local(pipeline, tasks=1, workers=1, logging_dir=tmp_path / "logs")
    kept, dropped = _read_output(tmp_path / "kept"), _read_output(tmp_path / "dropped")
    assert set(kept) == set(raw) - expected_dropped
    assert set(dropped) == expected_dropped
    for key, record in dropped.items():
        assert record["metadata"]["filter_reason"] == REASON_TOO_LITTLE
        assert record["text"] == raw[key]  # dropped documents keep their input text
        assert record["metadata"]["winnow_kept_chars"] == kept_chars[key] < cut
    assert all(record["text"] == cleaned[key] for key, record in kept.items())
    totals = cleaner_totals(stats)
    assert totals["dropped"] == totals[f"dropped_{REASON_TOO_LITTLE}"] == len(expected_dropped)
    assert totals["forwarded"] == len(kept)


def test_low_content_share_is_a_separate_reason(model_path, tmp_path):
    docs = [Document(text=HAND_PAGES["menu_and_body"], id="a"), Document(text=HAND_PAGES["cruft_only"], id="b")]
    writer_docs: list[Document] = []

    class Collect(JsonlWriter):
        def write(self, document, rank=0, **kwargs):
            writer_docs.append(document)

    cleaner = WinnowCleaner(model_path, threshold=0.0, min_kept_share=1.0, exclusion_writer=Collect(str(tmp_path)))
    assert len(list(cleaner.run(iter(docs)))) == 2  # threshold 0 keeps every sentence: share 1.0
    cleaner = WinnowCleaner(model_path, threshold=1.0, min_kept_share=0.01, exclusion_writer=Collect(str(tmp_path)))
    assert list(cleaner.run(iter(docs))) == []
    assert [d.metadata["filter_reason"] for d in writer_docs] == [REASON_LOW_SHARE, REASON_LOW_SHARE]


def test_cli_errors_are_clear(model_path, pages, tmp_path):
    proc = _cli("--model", str(model_path), "--input-format", "jsonl", "--input-dir", str(pages),
                "--output-dir", str(tmp_path / "o"))
    assert proc.returncode == 1 and "--engine datatrove" in proc.stderr
    proc = _cli("--model", str(model_path), "--engine", "datatrove", "--input-dir", str(pages))
    assert proc.returncode == 1 and "--output-dir" in proc.stderr
    proc = _cli("--model", str(tmp_path / "none.skops"), "--engine", "datatrove", "--input-dir", str(pages),
                "--output-dir", str(tmp_path / "o"))
    assert proc.returncode == 1 and "make train" in proc.stderr
    proc = _cli("--engine", "spark", str(SEED_FILES[0]))
    assert proc.returncode == 1 and "unknown --engine" in proc.stderr
    # one unreadable page given as FILE is an error, as on the local engine (in a directory it is skipped)
    (tmp_path / "scan.txt").write_bytes(b"\x00\x01\x02binary\x00" * 10)
    proc = _cli("--model", str(model_path), "--engine", "datatrove", str(tmp_path / "scan.txt"), "--output-dir",
                str(tmp_path / "o"))
    assert proc.returncode == 1 and f"error: {tmp_path / 'scan.txt'}: binary file" in proc.stderr, proc.stderr
    assert not (tmp_path / "o").exists()


def test_by_site_on_datatrove_matches_winnow_clean_by_site(model_path, tmp_path):
    crawl = tmp_path / "crawl"
    for site, names in {"news.example": ["menu_and_body", "repeats"], "blog.example": ["crlf", "cruft_only"]}.items():
        (crawl / site).mkdir(parents=True)
        for name in names:
            (crawl / site / f"{name}.txt").write_text(HAND_PAGES[name], encoding="utf-8")
    local = tmp_path / "local"
    assert _cli("--model", str(model_path), "--by-site", "--input-dir", str(crawl), "--output-dir",
                str(local)).returncode == 0
    proc = _cli("--model", str(model_path), "--engine", "datatrove", "--by-site", "--input-dir", str(crawl),
                "--output-dir", str(tmp_path / "dt"), "--logging-dir", str(tmp_path / "logs"))
    assert proc.returncode == 0, proc.stderr
    records = _read_output(tmp_path / "dt")
    expected = {path.stem: (path.parent.name, path.read_text(encoding="utf-8")) for path in local.glob("*/*.txt")}
    assert {key: (r["metadata"]["site"], r["text"]) for key, r in records.items()} == expected


def test_recursive_on_datatrove_matches_winnow_clean_recursive(model_path, tmp_path):
    """--recursive on datatrove reads every *.txt below the input folder, as the local engine does; a
    document's id is its path below the folder (below its site's folder with --by-site) without ".txt", so
    that pages of one name in two folders stay apart. Its text is the local engine's file for that path."""
    crawl = tmp_path / "crawl"
    tree = {"news.example/2026-11/menu_and_body": "menu_and_body", "news.example/2026-12/menu_and_body": "repeats",
            "news.example/crlf": "crlf", "blog.example/posts/cruft_only": "cruft_only"}
    for path, name in tree.items():
        (crawl / path).parent.mkdir(parents=True, exist_ok=True)
        (crawl / f"{path}.txt").write_text(HAND_PAGES[name], encoding="utf-8")
    for by_site in ((), ("--by-site",)):
        local, dt_out = tmp_path / f"local{len(by_site)}", tmp_path / f"dt{len(by_site)}"
        assert _cli("--model", str(model_path), *by_site, "--recursive", "--input-dir", str(crawl), "--output-dir",
                    str(local)).returncode == 0
        proc = _cli("--model", str(model_path), "--engine", "datatrove", *by_site, "--recursive", "--input-dir",
                    str(crawl), "--output-dir", str(dt_out), "--logging-dir", str(tmp_path / f"logs{len(by_site)}"))
        assert proc.returncode == 0, proc.stderr
        records = _read_output(dt_out)
        written = {path.relative_to(local).with_suffix("").as_posix(): path.read_text(encoding="utf-8")
                   for path in local.rglob("*.txt")}
        assert set(written) == set(tree)
        if by_site:
            got = {f"{r['metadata']['site']}/{key}": r["text"] for key, r in records.items()}
        else:
            got = {key: r["text"] for key, r in records.items()}
        assert got == written
    # what a recursive run writes inside its input would be read as input by the next run
    for option, inside in (("--output-dir", crawl / "clean"), ("--excluded-dir", crawl / "news.example" / "dropped")):
        targets = {"--output-dir": tmp_path / "dt-ok", "--excluded-dir": tmp_path / "dropped-ok", option: inside}
        proc = _cli("--model", str(model_path), "--engine", "datatrove", "--recursive", "--input-dir", str(crawl),
                    "--output-dir", str(targets["--output-dir"]), "--excluded-dir", str(targets["--excluded-dir"]))
        assert proc.returncode == 1 and f"error: {option} {inside} is inside --input-dir" in proc.stderr, proc.stderr
        assert not inside.exists()


def test_file_names_that_are_not_utf8_become_escaped_ids_on_both_engines(model_path, tmp_path):
    """Old crawls hold file names in Latin-1 ("caf\\xe9.txt" on disk). The local engine writes the output under the
    same bytes; in JSON the name becomes the text caf\\xe9 (each line must be UTF-8), on both engines, where
    datatrove's writer used to stop with a traceback and `winnow predict` wrote invalid UTF-8."""
    import os

    crawl = tmp_path / "crawl"
    site = crawl / os.fsdecode(b"m\xfcnchen.example")
    try:
        site.mkdir(parents=True)
        (site / os.fsdecode(b"caf\xe9.txt")).write_text(HAND_PAGES["menu_and_body"], encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take file names that are not UTF-8")
    (site / "plain.txt").write_text(HAND_PAGES["repeats"], encoding="utf-8")
    local = tmp_path / "local"
    assert _cli("--model", str(model_path), "--by-site", "--input-dir", str(crawl), "--output-dir",
                str(local)).returncode == 0
    assert {os.fsencode(path.name) for path in local.rglob("*.txt")} == {b"caf\xe9.txt", b"plain.txt"}
    expected = (local / site.name / os.fsdecode(b"caf\xe9.txt")).read_text(encoding="utf-8")
    proc = _cli("--model", str(model_path), "--engine", "datatrove", "--by-site", "--input-dir", str(crawl),
                "--output-dir", str(tmp_path / "dt"), "--logging-dir", str(tmp_path / "logs"))
    assert proc.returncode == 0, proc.stderr
    records = _read_output(tmp_path / "dt")  # read as UTF-8
    assert set(records) == {"caf\\xe9", "plain"} and records["caf\\xe9"]["text"] == expected
    assert records["caf\\xe9"]["metadata"]["site"] == "m\\xfcnchen.example"
    predicted = subprocess.run([sys.executable, "-m", "winnow.cli", "predict", "--model", str(model_path),
                                "--by-site", "--input-dir", str(crawl)], capture_output=True)
    assert predicted.returncode == 0, predicted.stderr
    lines = [json.loads(line) for line in predicted.stdout.decode("utf-8").splitlines()]
    assert {(r["site"], r["article_id"]) for r in lines} == {("m\\xfcnchen.example", "caf\\xe9"),
                                                            ("m\\xfcnchen.example", "plain")}


def test_by_site_groups_documents_by_site_field_or_url_host(model_path, monkeypatch):
    import winnow.datatrove as dt

    calls = []
    real = dt.predict_sites

    def recording(sites, model, batch_size=64, ids=True):
        sites = list(sites)
        for site, items, reference in sites:
            members = None if reference is None else {name: sorted(pages) for name, pages in reference.members.items()}
            calls.append((site, [article_id for article_id, _ in items], members))
        return real(sites, model, batch_size, ids)

    monkeypatch.setattr(dt, "predict_sites", recording)
    text = HAND_PAGES["menu_and_body"]
    documents = [Document(text=text, id="a", metadata={"url": "https://www.news.example/a"}),
                 Document(text=text, id="b", metadata={"site": "news.example"}),
                 Document(text=text, id="a", metadata={"url": "https://news.example/a-again"}),
                 Document(text=text, id="c", metadata={}),
                 Document(text=text, id="d", metadata={"url": "https://other.example/d"})]
    kept = list(WinnowCleaner(model_path, by_site=True).run(iter(documents)))
    assert [doc.id for doc in kept] == ["a", "b", "a", "c", "d"]  # input order, whatever the grouping
    assert sorted(calls, key=str) == sorted([
        ("news.example", ["a", "b", "a#2"], {"news.example": [f"news.example\x1f{key}" for key in ("a", "a#2", "b")]}),
        (None, ["c"], None),
        ("other.example", ["d"], None),  # a site with one page: nothing to compare it with
    ], key=str)


def test_both_engines_build_a_site_reference_from_the_same_first_readable_pages(model_path, tmp_path, monkeypatch):
    """More pages than the reference holds, an unreadable file among the first, and file names whose order
    differs from their stems' ("p-1.txt" < "p.txt" but "p" < "p-1"): both engines pick the same 30 pages."""
    import winnow.clean_files
    import winnow.datatrove as dt
    from winnow.cli_model import _site_groups
    from winnow.model import load_model
    from winnow.site_features import REFERENCE_PAGES

    site = tmp_path / "crawl" / "big.example"
    site.mkdir(parents=True)
    (site / "a-unreadable.txt").write_bytes(b"\x00\x01\x02\x03\xff\xfe" * 30)
    (site / "p.txt").write_text("Menu\nThe page named p has its own story.\n", encoding="utf-8")
    for i in range(REFERENCE_PAGES + 3):
        (site / f"p-{i:02d}.txt").write_text(f"Menu\nStory {i} is told here at length.\n", encoding="utf-8")
    chosen = {}

    def recording(engine, real):
        def wrapper(items, site_name):
            items = list(items)
            chosen[engine] = sorted(article_id for article_id, _ in items)[:REFERENCE_PAGES]
            return real(items, site_name)
        return wrapper

    monkeypatch.setattr(winnow.clean_files, "site_reference",
                        recording("local", winnow.clean_files.site_reference))
    monkeypatch.setattr(dt, "site_reference", recording("datatrove", dt.site_reference))
    groups = _site_groups(tmp_path / "crawl")
    list(winnow.clean_files.predictions(winnow.clean_files.whole_sites(groups), load_model(model_path), None))
    reader = dt.TextFileReader(str(tmp_path / "crawl"), glob_pattern="*/*.txt", site_from_dir=True)
    list(WinnowCleaner(model_path, by_site=True).run(reader.run()))
    expected = sorted(["p"] + [f"p-{i:02d}" for i in range(REFERENCE_PAGES + 3)])[:REFERENCE_PAGES]
    assert chosen["local"] == chosen["datatrove"] == expected


def test_datatrove_never_writes_into_the_input_or_output_directory_twice(model_path, tmp_path):
    """datatrove writes <rank>.jsonl while it reads: into the input directory it would replace an input file of
    that name (a datatrove output read back, 00000.jsonl), and with --excluded-dir equal to --output-dir the
    dropped documents' writer would replace the kept ones' file. Both are refused before anything runs."""
    folder = tmp_path / "crawl"
    folder.mkdir()
    records = [{"id": "a", "text": HAND_PAGES["menu_and_body"]}, {"id": "b", "text": HAND_PAGES["cruft_only"]}]
    data = "".join(json.dumps(record) + "\n" for record in records).encode("utf-8")
    (folder / "00000.jsonl").write_bytes(data)
    (tmp_path / "alias").symlink_to(folder)
    common = ["--engine", "datatrove", "--input-format", "jsonl", "--model", str(model_path)]
    for args, option in (
        (["--input-dir", str(folder), "--output-dir", str(folder)], "--output-dir"),
        (["--input-dir", str(folder), "--output-dir", str(tmp_path / "alias")], "--output-dir"),
        ([str(folder / "00000.jsonl"), "--output-dir", str(folder)], "--output-dir"),
        (["--input-dir", str(folder), "--output-dir", str(tmp_path / "out"), "--excluded-dir", str(folder)],
         "--excluded-dir"),
        (["--input-dir", str(folder), "--output-dir", str(tmp_path / "out"),
          "--excluded-dir", str(tmp_path / "x" / ".." / "out"), "--min-content-chars", "50"], "--excluded-dir"),
    ):
        proc = _cli(*common, *args)
        assert proc.returncode == 1 and f"error: {option}" in proc.stderr, proc.stderr
        assert "choose another directory" in proc.stderr
    assert (folder / "00000.jsonl").read_bytes() == data and sorted(p.name for p in folder.iterdir()) == ["00000.jsonl"]
    assert not (tmp_path / "out").exists()
    # with separate directories, both documents are kept apart: one cleaned, one dropped with its reason
    proc = _cli(*common, "--input-dir", str(folder), "--output-dir", str(tmp_path / "out"),
                "--excluded-dir", str(tmp_path / "dropped"), "--min-content-chars", "50")
    assert proc.returncode == 0, proc.stderr
    assert list(_read_output(tmp_path / "out")) == ["a"] and list(_read_output(tmp_path / "dropped")) == ["b"]


def test_build_pipeline_refuses_shared_directories_for_urls_too(model_path):
    """The Python API (Slurm, s3://...) checks the same before any reader or writer is built."""
    with pytest.raises(SharedDirectoryError, match="--output-dir"):
        build_pipeline("s3://bucket/crawl/", "s3://bucket/crawl", model_path=model_path)
    with pytest.raises(SharedDirectoryError, match="--excluded-dir"):
        build_pipeline("s3://bucket/crawl/", "s3://bucket/clean/", model_path=model_path,
                       excluded_dir="s3://bucket/clean")
