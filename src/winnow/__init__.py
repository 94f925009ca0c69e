"""winnow: separate news reporting from page cruft in plain-text web page dumps."""

__version__ = "0.1.0"
