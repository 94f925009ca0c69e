"""Reading raw article files: decoding, refusing binaries, rendering HTML pages to text.

Raw files are whatever users scraped. This module turns bytes into the text every later stage works on,
or raises an :class:`InputError` that names the file and says what is wrong with it.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

BINARY_CONTROL_SHARE = 0.05  # share of C0 control bytes above which a file is treated as binary
HTML_SNIFF_CHARS = 4096
PREFERRED_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")
# The encodings a web page can declare (the WHATWG Encoding Standard's, as Python codecs): a dump scraped from the
# web is in one of them, so a guess among the DOS and Mac code pages that no browser decodes (mac_latin2 read a
# short cp1252 page's "é" as "ť") is taken only when no web encoding fits.
WEB_ENCODINGS = frozenset(codecs.lookup(name).name for name in (
    "utf_8", "utf_16_le", "utf_16_be", "ascii", "latin_1", "cp866", "cp874", "koi8_r", "koi8_u", "mac_roman",
    "mac_cyrillic", *(f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 15, 16)),
    *(f"cp{n}" for n in range(1250, 1259)), "gbk", "gb18030", "gb2312", "big5", "big5hkscs", "euc_jp",
    "iso2022_jp", "shift_jis", "cp932", "euc_kr", "cp949"))
_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S)
_HTML_TAG = re.compile(r"<(p|div|span|a|br|li|td|script|style|meta|link)\b[^>]*>", re.I)
_C1_CONTROL = re.compile("[\x80-\x9f]")
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# every byte but the C0 controls that do not occur in text (tab, newline, form feed and carriage return do)
_NOT_CONTROL_BYTES = bytes(byte for byte in range(256) if byte >= 32 or byte in (9, 10, 12, 13))


class InputError(ValueError):
    """A raw file that cannot be used; the message names the file and the reason."""


class EmptyArticleError(InputError):
    """A raw file that holds no text (empty or whitespace only): skipped with a warning."""


@dataclass(frozen=True)
class DecodedText:
    """The text of one raw file, with how it was obtained."""

    text: str
    encoding: str  # e.g. "utf-8", "utf-8-sig", "cp1252"
    source_format: str  # "text" or "html" (an HTML page rendered to text)


def read_article(path: str | Path) -> DecodedText:
    """Read and decode one raw article file; raise :class:`InputError` if it is unusable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from err
    return decode_article(data, name=str(path))


def decode_article(data: bytes, name: str = "<bytes>") -> DecodedText:
    """Decode raw bytes into article text (see module docstring for the rules)."""
    if not data.strip():
        raise EmptyArticleError(f"{name}: empty or whitespace-only file")
    text, encoding = _decode(data, name)
    if not text.strip():
        raise EmptyArticleError(f"{name}: empty or whitespace-only file")
    if looks_like_html(text):
        rendered = render_html(text)
        if not rendered.strip():
            raise EmptyArticleError(f"{name}: HTML page with no visible text")
        return DecodedText(rendered, encoding, "html")
    return DecodedText(text, encoding, "text")


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data, "utf-8-sig", name), "utf-8-sig"
    if data.startswith(_UTF16_BOMS):
        return _strict(data, "utf-16", name), "utf-16"
    if _is_binary(data):
        raise InputError(f"{name}: binary file (control bytes found), not a text or HTML page")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise InputError(f"{name}: not UTF-8 and no other text encoding fits")
    best, encoding = _prefer_common(matches)
    text = str(best)
    if codecs.lookup(encoding).name == "iso8859-1" and _C1_CONTROL.search(text):
        # a page labelled ISO-8859-1 is windows-1252 (WHATWG): 0x80-0x9F are quotes and dashes, not C1 controls
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined: keep ISO-8859-1
            pass
    return text, encoding


def _web_names(match) -> list[str]:
    """The web encodings (:data:`WEB_ENCODINGS`) that decode the bytes to the same text as ``match``, its own
    first."""
    names = dict.fromkeys([match.encoding, *match.could_be_from_charset])
    return [name for name in names if codecs.lookup(name).name in WEB_ENCODINGS]


def _prefer_common(matches: list) -> tuple[object, str]:
    """The best guess among the web encodings' (among all, where none is a web encoding's) and the name of its
    encoding. Among equally good guesses, the encoding most web pages use (cp1252 before cp1250 etc.), also
    where another encoding gives the same text."""
    named = [(match, names) for match in matches if (names := _web_names(match))]
    named = named or [(match, [match.encoding]) for match in matches]
    first, first_names = named[0]
    score = (first.chaos, first.coherence)
    tied = [(match, names) for match, names in named if (match.chaos, match.coherence) == score]
    for encoding in PREFERRED_ENCODINGS:
        for match, names in tied:
            if encoding in names:
                return match, encoding
    return first, first_names[0]


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: starts with a {encoding} byte-order mark but does not decode: {err}") from err


def _is_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_CONTROL_BYTES))  # counted in C: a loop in Python cost 0.08 ms/file
    return controls / len(sample) > BINARY_CONTROL_SHARE


def portable_name(name: str) -> str:
    """A name taken from a file path, as text any UTF-8 output can hold: the bytes of a file name that are not
    UTF-8 (which Python reads as lone surrogates, and JSON writers refuse or write as invalid UTF-8) become
    ``\\xNN``, as in ``caf\\xe9``; any other name is returned as it is."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def looks_like_html(text: str) -> bool:
    """True for an HTML page (a doctype/html/head/body start, or dense common tags)."""
    head = text[:HTML_SNIFF_CHARS]
    if _HTML_START.match(head):
        return True
    return len(_HTML_TAG.findall(head)) >= 5


def render_html(html: str) -> str:
    """Render an HTML page to a plain-text dump, one block per line, as our users' scrapers do."""
    import html_text

    # lxml refuses XML-incompatible characters (C0 controls, lone surrogates): drop them first.
    html = _XML_INCOMPATIBLE.sub("", html.encode("utf-8", "replace").decode("utf-8"))
    text = html_text.extract_text(html, guess_layout=True)
    return re.sub(r"\n{2,}", "\n", text).strip() + "\n"
