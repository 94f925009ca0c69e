import pytest

from winnow.textio import (
    EmptyArticleError,
    InputError,
    decode_article,
    looks_like_html,
    portable_name,
    read_article,
)

BODY = "Café owners said the rally drew 2,000 people. “It was calm,” one said.\n"


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + BODY.encode("utf-8"))
    decoded = read_article(path)
    assert decoded.text == BODY and decoded.encoding == "utf-8-sig" and decoded.source_format == "text"


def test_crlf_is_kept(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(BODY.replace("\n", "\r\n").encode("utf-8"))
    assert read_article(path).text == BODY.replace("\n", "\r\n")


def test_windows_1252_is_detected_and_recorded(tmp_path):
    text = "Café owners said the rally drew 2,000 people. “It was calm,” one said. Señor Núñez agreed.\n" * 3
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    decoded = read_article(path)
    assert decoded.text == text
    assert decoded.encoding.replace("_", "").lower() in {"cp1252", "windows1252"}


@pytest.mark.parametrize(("text", "encoding"), [
    ("Café owners said the council’s plan was bad.\n", "cp1252"),  # guessed as mac_latin2 ("Cafť") before
    ("Der Bürgermeister sagte, dass die Straße geschlossen wird. Schön!\n", "cp1252"),
    ("Starosta řekl, že silnice bude uzavřena. Občané jsou nespokojení a žádají změnu.\n", "cp1250"),
    ("Burmistrz powiedział, że droga zostanie zamknięta. Mieszkańcy są niezadowoleni.\n", "cp1250"),
    ("Мэр сказал, что дорога будет закрыта. Жители недовольны и требуют перемен.\n", "cp1251"),
    ("Ο δήμαρχος είπε ότι ο δρόμος θα κλείσει. Οι κάτοικοι είναι δυσαρεστημένοι.\n", "cp1253"),
])
def test_a_short_legacy_page_is_read_in_its_web_encoding(text, encoding):
    """One line is little to guess from: the guess is among the encodings web pages use, and cp1252 wins a tie
    (it is named even where cp1250 reads the same bytes to the same text)."""
    decoded = decode_article(text.encode(encoding))
    assert decoded.text == text
    assert decoded.encoding == encoding


def test_a_page_labelled_iso_8859_1_is_read_as_windows_1252():
    """Browsers read the label ISO-8859-1 as windows-1252: bytes 0x80-0x9F are curly quotes and dashes."""
    body = "Café owners said the council’s plan was bad."  # read as ISO-8859-1 before: "council\x92s"
    html = f'<html><head><meta charset="iso-8859-1"><title>Plan</title></head><body><p>{body}</p></body></html>'
    decoded = decode_article(html.encode("cp1252"))
    assert decoded.encoding == "cp1252" and decoded.source_format == "html"
    assert body in decoded.text


def test_utf16_with_bom(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes(BODY.encode("utf-16"))
    assert read_article(path).text == BODY


@pytest.mark.parametrize("content", [b"", b"   \n\r\n\t  \n"])
def test_empty_and_whitespace_only_files(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(EmptyArticleError, match="empty.txt"):
        read_article(path)


def test_binary_file_is_refused_by_name(tmp_path):
    import gzip

    path = tmp_path / "page.txt"
    path.write_bytes(gzip.compress(BODY.encode("utf-8") * 50))
    with pytest.raises(InputError, match=r"page\.txt: binary"):
        read_article(path)


def test_control_bytes_decide_binary_at_five_percent():
    """Text with a few stray control bytes decodes; above 5% of the first 8 KB (tab, newline, form feed and
    carriage return do not count; every other C0 byte does) it is refused as binary."""
    line = BODY.encode("utf-8")
    for control in (1, 7, 11, 27, 31):
        few = line * 20 + bytes([control]) * 10
        assert decode_article(few).text.startswith(BODY)
        many = (line[:60] + bytes([control]) * 4) * 30
        with pytest.raises(InputError, match="binary"):
            decode_article(many)
    harmless = (line[:60] + b"\t\n\x0c\r") * 30
    assert decode_article(harmless).text.startswith(line[:60].decode("utf-8"))


def test_html_page_is_rendered_to_text(tmp_path):
    html = (
        "<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style>"
        "<script>var x = 1;</script></head><body><nav><a href='/'>Home</a></nav>"
        "<h1>Troops head south</h1><p>The first paragraph of the story.</p>"
        "<p>A second paragraph &amp; more.</p></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    decoded = read_article(path)
    assert decoded.source_format == "html"
    lines = decoded.text.splitlines()
    assert "Troops head south" in lines
    assert "The first paragraph of the story." in lines
    assert "A second paragraph & more." in lines
    assert "var x" not in decoded.text and "color:red" not in decoded.text


def test_plain_text_mentioning_tags_is_not_html():
    assert not looks_like_html("Use the <b> tag for bold, he wrote.\nNothing else here.")


def test_undecodable_bytes_are_refused():
    junk = bytes(range(128, 256)) * 40
    with pytest.raises(InputError):
        decode_article(junk, "junk.txt")


def test_html_with_xml_incompatible_characters_still_renders():
    from winnow.textio import render_html

    text = render_html("<html><body><p>Vertical\x0btab here.</p><p>Lone \ud800 surrogate.</p></body></html>")
    assert text.splitlines() == ["Verticaltab here.", "Lone ? surrogate."]


def test_portable_name_escapes_only_the_bytes_that_are_not_utf8():
    import os

    assert portable_name("café/2026") == "café/2026"  # any valid name is returned as it is
    assert portable_name(os.fsdecode(b"caf\xe9/2026")) == "caf\\xe9/2026"
    assert portable_name(os.fsdecode(b"caf\xe9")).encode("utf-8") == b"caf\\xe9"
