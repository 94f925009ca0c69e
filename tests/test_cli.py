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
