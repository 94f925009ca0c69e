"""The command line's own behaviour: help texts."""

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
