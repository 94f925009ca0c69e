"""The command line's standard-error console and its error message, shared by every command module.

The console prints text as it is (no markup): messages carry paths, corpus names and other people's text, and
rich would read ``[word]`` in them as a style tag and drop it (``pip install 'winnow[datatrove]'`` printed as
``pip install 'winnow'``). Styled words are :func:`labelled` instead.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

err = Console(stderr=True, markup=False)


def labelled(label: str, style: str, message: str) -> Text:
    """``label`` in ``style``, then ``message`` exactly as given."""
    return Text.assemble((label, style), " ", message)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: <message>`` (the message verbatim) and return the exit to raise."""
    err.print(labelled("error:", "bold red", message), highlight=False, soft_wrap=True)
    return typer.Exit(code)
