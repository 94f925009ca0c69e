"""The command line's own behaviour: help texts."""

import json

from typer.testing import CliRunner

from winnow.cli import app, reflowed


def test_reflowed_puts_each_paragraph_on_one_line():
    doc = """First line.

    A paragraph broken
    across lines.

    Another one."""
    assert reflowed(doc) == "First line.\n\nA paragraph broken across lines.\n\nAnother one."


def test_help_paragraphs_wrap_to_the_terminal_not_to_the_source():
    wide = CliRunner().invoke(app, ["eval-unseen", "--help"], env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert wide.exit_code == 0
    # one source line ends after "in training." and the next starts "Each page": in a wide terminal, one line
    assert "such pages were in training. Each page is cleaned alone" in wide.output
    for name in ("clean", "compare-models", "train", "import-corpus"):
        assert CliRunner().invoke(app, [name, "--help"]).exit_code == 0


def test_messages_keep_their_square_brackets(seed_model, tmp_path, monkeypatch, capsys):
    """rich reads ``[word]`` as a style tag and drops it: file names, install hints and option defaults must
    reach the user as written."""
    from winnow.cli_console import fail

    exit_ = fail("pip install 'winnow[datatrove]' (and see [model] in the config)")
    assert exit_.exit_code == 1
    assert "error: pip install 'winnow[datatrove]' (and see [model] in the config)" in capsys.readouterr().err

    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "scan[x].txt").write_bytes(b"\x00\x01\x02binary\x00")
    model = str(seed_model[0] / "model.skops")
    skipped = CliRunner().invoke(app, ["clean", "--model", model, "--input-dir", "in", "--output-dir", "out"])
    assert "skipped: in/scan[x].txt: binary file" in skipped.output
    missing = CliRunner().invoke(app, ["clean", "page[draft].txt", "--model", model])
    assert missing.exit_code == 1 and "page[draft].txt not found" in missing.output

    wide = CliRunner().invoke(app, ["clean", "--help"], env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert "(default: OUTPUT_DIR/logs)" in wide.output


def test_a_single_page_that_cannot_be_read_is_an_error(seed_model, tmp_path, monkeypatch):
    """`winnow clean FILE`, `winnow clean -` and `winnow predict FILE` were asked for one page: a binary, empty
    or undecodable one fails with its reason (exit 1, nothing on stdout), where a directory run skips it and
    goes on. A directory given as FILE says so, rather than "not found"."""
    monkeypatch.chdir(tmp_path)
    model = str(seed_model[0] / "model.skops")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "scan.txt").write_bytes(b"\x00\x01\x02binary\x00" * 10)
    (tmp_path / "in" / "blank.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "in" / "page.txt").write_text("The council voted on the budget on Tuesday.\n", encoding="utf-8")
    runner = CliRunner()
    for args, reason in ((["clean", "in/scan.txt"], "in/scan.txt: binary file"),
                         (["predict", "in/scan.txt"], "in/scan.txt: binary file"),
                         (["clean", "in/blank.txt"], "in/blank.txt: empty or whitespace-only file"),
                         (["predict", "in/blank.txt"], "in/blank.txt: empty or whitespace-only file"),
                         (["clean", "in"], "in is a directory: pass --input-dir in")):
        failed = runner.invoke(app, [*args, "--model", model])
        assert failed.exit_code == 1 and f"error: {reason}" in failed.stderr, (args, failed.output)
        assert failed.stdout == "" and isinstance(failed.exception, SystemExit)  # a clean exit, no traceback
    for stdin, reason in ((b"\x00\x01\x02binary\x00" * 10, "<stdin>: binary file"),
                          (b"", "<stdin>: empty or whitespace-only file")):
        failed = runner.invoke(app, ["clean", "-", "--model", model], input=stdin)
        assert failed.exit_code == 1 and f"error: {reason}" in failed.stderr and failed.stdout == "", failed.output
    # the readable page alone is fine; in a directory the two bad files are skipped and the run succeeds
    assert runner.invoke(app, ["clean", "in/page.txt", "--model", model]).exit_code == 0
    many = runner.invoke(app, ["clean", "--input-dir", "in", "--output-dir", "out", "--model", model])
    assert many.exit_code == 0 and "skipped: in/scan.txt: binary file" in many.output
    assert "skipped: in/blank.txt: empty or whitespace-only file" in many.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["page.txt"]
    assert "cleaned 1 file into out (0 kept no sentence: empty files); skipped 2" in many.output
    # a page that keeps nothing is still written (empty), and the summary counts it
    strict = runner.invoke(app, ["clean", "--input-dir", "in", "--output-dir", "strict", "--threshold", "1.0",
                                 "--model", model])
    assert strict.exit_code == 0 and (tmp_path / "strict" / "page.txt").read_bytes() == b""
    assert "cleaned 1 file into strict (1 kept no sentence: empty files); skipped 2" in strict.output
    listed = runner.invoke(app, ["predict", "--input-dir", "in", "--model", model])
    assert listed.exit_code == 0 and '"article_id": "page"' in listed.output


def test_an_input_directory_without_txt_files_is_an_error(seed_model, tmp_path, monkeypatch):
    """Nothing to read is most likely the wrong directory (or pages named *.TXT, *.html): say so, and what is
    there, instead of "cleaned 0 files"."""
    monkeypatch.chdir(tmp_path)
    model = str(seed_model[0] / "model.skops")
    (tmp_path / "empty").mkdir()
    (tmp_path / "shouting").mkdir()
    (tmp_path / "shouting" / "PAGE.TXT").write_text("The council voted.\n", encoding="utf-8")
    runner = CliRunner()
    for args, reason in (
            (["clean", "--input-dir", "empty", "--output-dir", "out"],
             "--input-dir empty has no *.txt files: it is empty"),
            (["predict", "--input-dir", "shouting"],
             "--input-dir shouting has no *.txt files: it holds 1 other entry (PAGE.TXT); only *.txt files are read")):
        failed = runner.invoke(app, [*args, "--model", model])
        assert failed.exit_code == 1 and f"error: {reason}" in failed.stderr, failed.output
    assert not (tmp_path / "out").exists()


def _nested_crawl(root, pages: dict[str, str]) -> None:
    for relative, text in pages.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


_BODY = ("The council approved the new budget on Tuesday after a long debate. Members said the plan would fund "
         "schools and roads.\nShare this article\n")


def test_recursive_cleans_a_tree_of_dumps_into_the_same_tree(seed_model, tmp_path, monkeypatch):
    """Crawls are stored in dated folders: --recursive reads every *.txt below IN and writes IN/a/b/x.txt to
    OUT/a/b/x.txt, the same bytes as cleaning each file alone, for any --workers. Without it, only IN's own
    *.txt are read (as before). Folders must not nest, or a rerun would read its own outputs as pages."""
    monkeypatch.chdir(tmp_path)
    model = str(seed_model[0] / "model.skops")
    _nested_crawl(tmp_path / "crawl", {
        "front.txt": "Home | World | Sport\n" + _BODY,
        "2026/11/a.txt": "Menu\nThe report was published on Monday. It found that prices rose by 3%.\nMenu\n",
        "2026/11/b.txt": "Log in\nRegister\nCookie settings\n",
        "2026/12/a.txt": "Breaking news\nOfficials confirmed the closure of two stations. Trains resume on Friday.\n",
        "2026/12/notes.md": "not a page\n",
    })
    (tmp_path / "crawl" / "2026" / "old.txt").mkdir()  # a folder named like a page is not one
    runner = CliRunner()
    flat = runner.invoke(app, ["clean", "--input-dir", "crawl", "--output-dir", "flat", "--model", model])
    assert flat.exit_code == 0 and sorted(p.name for p in (tmp_path / "flat").rglob("*")) == ["front.txt"]

    pages = ["2026/11/a.txt", "2026/11/b.txt", "2026/12/a.txt", "front.txt"]
    alone = {page: runner.invoke(app, ["clean", f"crawl/{page}", "--model", model]).stdout for page in pages}
    assert "The council approved" in alone["front.txt"] and "Home" not in alone["front.txt"]
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        tree = runner.invoke(app, ["clean", "--input-dir", "crawl", "--output-dir", out.name, "--recursive",
                                   "--workers", workers, "--model", model])
        assert tree.exit_code == 0, tree.output
        assert f"cleaned 4 files into {out.name}" in tree.output
        assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == pages
        assert {page: (out / page).read_text(encoding="utf-8") for page in pages} == alone

    listed = runner.invoke(app, ["predict", "--input-dir", "crawl", "--recursive", "--model", model])
    ids = {json.loads(line)["article_id"] for line in listed.stdout.splitlines()}
    assert listed.exit_code == 0 and ids == {"2026/11/a", "2026/11/b", "2026/12/a", "front"}

    for args, reason in (
            (["--input-dir", "crawl", "--output-dir", "crawl/clean"], "--output-dir crawl/clean is inside --input-dir"),
            (["--input-dir", "crawl/2026", "--output-dir", "crawl"], "--input-dir crawl/2026 is inside --output-dir"),
            (["crawl/front.txt"], "--recursive needs --input-dir")):
        failed = runner.invoke(app, ["clean", *args, "--recursive", "--model", model])
        assert failed.exit_code == 1 and f"error: {reason}" in failed.stderr, failed.output
    assert not (tmp_path / "crawl" / "clean").exists()


def test_recursive_by_site_takes_each_top_folder_as_a_site(seed_model, tmp_path, monkeypatch):
    """With --by-site, IN/<site>/**/*.txt are the site's pages (a crawl stored as site/date/page.txt)."""
    monkeypatch.chdir(tmp_path)
    model = str(seed_model[0] / "model.skops")
    _nested_crawl(tmp_path / "crawl", {
        "news.example/2026-11/a.txt": "Home | World\n" + _BODY,
        "news.example/2026-12/b.txt": "Home | World\nThe report was published on Monday. Prices rose by 3%.\n",
        "news.example/c.txt": "Home | World\nOfficials confirmed the closure of two stations on Friday.\n",
        "blog.example/posts/d.txt": "Menu\n" + _BODY,
    })
    runner = CliRunner()
    tree = runner.invoke(app, ["clean", "--input-dir", "crawl", "--output-dir", "out", "--by-site", "--recursive",
                               "--model", model])
    assert tree.exit_code == 0, tree.output
    assert "cleaned 4 files of 2 sites into out" in tree.output
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.txt"))
    assert written == ["blog.example/posts/d.txt", "news.example/2026-11/a.txt", "news.example/2026-12/b.txt",
                       "news.example/c.txt"]
    listed = runner.invoke(app, ["predict", "--input-dir", "crawl", "--by-site", "--recursive", "--model", model])
    pairs = {(record["site"], record["article_id"]) for record in map(json.loads, listed.stdout.splitlines())}
    assert pairs == {("blog.example", "posts/d"), ("news.example", "2026-11/a"), ("news.example", "2026-12/b"),
                     ("news.example", "c")}
    # without --recursive, the site folders' own *.txt only
    flat = runner.invoke(app, ["clean", "--input-dir", "crawl", "--output-dir", "flat", "--by-site", "--model", model])
    assert flat.exit_code == 0 and [p.name for p in (tmp_path / "flat").rglob("*.txt")] == ["c.txt"]
