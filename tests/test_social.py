"""Social cards: 1200×630 PNGs, read back with Pillow and checked pixel by pixel."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from passivepress.errors import ConfigError
from passivepress.social import CardColours, card

ROOT = Path(__file__).resolve().parents[1]
BAND = 40  # text must never reach this far towards an edge
# A theme-provided font with Hebrew and Arabic, where the machine happens to have one.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

LONG_TITLE = (
    "On the slow and unglamorous craft of mentoring people who are smarter than you, "
    "written over many winters, revised in spring, and still not finished, because every "
    "new person you teach shows you another thing you had wrong about teaching, listening, "
    "writing and the patience it takes"
)


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image.convert("RGB")


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def band_colours(image: Image.Image, band: int = BAND) -> set[tuple[int, int, int]]:
    """Every colour in the outer ``band`` pixels of the image."""
    width, height = image.size
    colours = set()
    for box in (
        (0, 0, width, band),
        (0, height - band, width, height),
        (0, 0, band, height),
        (width - band, 0, width, height),
    ):
        colours |= {colour for _count, colour in image.crop(box).getcolors(1 << 20)}
    return colours


def ink_box(image: Image.Image, background: str) -> tuple[int, int, int, int] | None:
    """The bounding box of every pixel that is not the background."""
    plain = Image.new("RGB", image.size, rgb(background))
    from PIL import ImageChops

    return ImageChops.difference(image, plain).getbbox()


def test_a_card_is_a_1200_by_630_png():
    image = open_png(card("Why I still write letters", "Maren Holt", "marenholt.com"))
    assert image.size == (1200, 630)


def test_the_same_input_gives_the_same_bytes():
    args = ("Why I still write letters", "Maren Holt", "marenholt.com")
    assert card(*args) == card(*args)


def test_the_same_input_gives_the_same_bytes_in_another_process():
    code = (
        "import sys, hashlib; from passivepress.social import card; "
        "sys.stdout.write(hashlib.sha256(card('Letters — a note', 'Maren Holt', 'x.org'))"
        ".hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    import hashlib

    assert other == hashlib.sha256(card("Letters — a note", "Maren Holt", "x.org")).hexdigest()


def test_different_titles_give_different_images():
    one = open_png(card("Why I still write letters", "Maren Holt", "marenholt.com"))
    other = open_png(card("Why I stopped writing letters", "Maren Holt", "marenholt.com"))
    assert one.tobytes() != other.tobytes()


@pytest.mark.parametrize(
    "title",
    [
        pytest.param(LONG_TITLE[:300], id="300-characters"),
        pytest.param("Pneumonoultramicroscopicsilicovolcanoconiosis" + "x" * 35, id="80-char-word"),
        pytest.param("W" * 5000, id="5000-wide-letters"),
        pytest.param("WWWWWWWWWW " * 200, id="many-wide-words"),
    ],
)
def test_long_titles_stay_inside_the_card(title):
    colours = CardColours()
    image = open_png(card(title, "Maren Holt " * 10, "marenholt.com " * 10))
    assert band_colours(image) == {rgb(colours.background)}
    # ... and something was drawn: the title is shrunk and cut, not left out.
    left, top, right, bottom = ink_box(image, colours.background)
    assert right - left > 900
    assert bottom - top > 400


def test_a_long_title_uses_the_room_it_has_and_a_short_one_is_larger():
    colours = CardColours()
    short = open_png(card("On rest", "", ""))
    long = open_png(card(LONG_TITLE, "", ""))
    # The short title's capitals are taller than the long title's, which wraps at a small size.
    short_box = ink_box(short.crop((0, 100, 1200, 630)), colours.background)
    long_box = ink_box(long.crop((0, 100, 1200, 630)), colours.background)
    assert short_box[3] - short_box[1] < long_box[3] - long_box[1]
    assert long_box[2] - long_box[0] > short_box[2] - short_box[0]


@pytest.mark.parametrize(
    "title",
    [
        "",
        "   \n\t ",
        "日本語のタイトル",
        "שלום עולם",
        "السلام عليكم",
        "Emoji 😀👩‍👩‍👧 and flags 🇳🇴",
        "Café crème — Zoë’s “naïve” résumé, Łódź & Ærø",
        "Zalgo: Z̷̢̛̛a̴̡̕l̸̨̛g̵̢̛o" + "\u0301" * 200,
        "control \x00\x1b[31m characters\u200f and a lone \ud800 surrogate",
    ],
)
def test_any_title_gives_a_card(title):
    image = open_png(card(title, "Zoë Müller", "例え.jp"))
    assert image.size == (1200, 630)
    assert band_colours(image) == {rgb(CardColours().background)}


def test_the_given_colours_are_applied():
    colours = CardColours(background="#102030", text="#f0e0d0", muted="#a0a0a0", accent="#ff8800")
    image = open_png(card("Colours", "Maren Holt", "marenholt.com", colours=colours))
    assert image.getpixel((0, 0)) == rgb(colours.background)
    assert image.getpixel((600, 620)) == rgb(colours.background)
    used = {colour for _count, colour in image.getcolors(1 << 20)}
    # Solid glyph stems and the accent bar are drawn in exactly the given colours.
    assert {rgb(colours.text), rgb(colours.muted), rgb(colours.accent)} <= used


def test_the_default_colours_are_the_default_themes_light_palette():
    css = (ROOT / "themes/default/static/css/style.css").read_text(encoding="utf-8")
    assert CardColours.from_css(css) == CardColours()


def test_colours_from_css_keep_the_default_for_what_is_missing_or_not_hex(caplog):
    colours = CardColours.from_css(":root { --bg: #FFF; --text: rgb(0 0 0); --accent: #abcdef; }")
    assert colours == CardColours(background="#ffffff", accent="#abcdef")
    assert "--text is 'rgb(0 0 0)'" in caplog.text
    assert "no --muted" in caplog.text


@pytest.mark.parametrize("bad", ["red", "#fff", "#12345g", ""])
def test_a_colour_that_is_not_rrggbb_is_refused(bad):
    with pytest.raises(ValueError, match=r"CardColours\.accent"):
        CardColours(accent=bad)


def test_a_missing_font_file_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "fonts" / "Card.ttf"
    with pytest.raises(ConfigError) as raised:
        card("Title", "Author", "Site", font_path=missing)
    assert str(missing) in str(raised.value)


def test_a_file_that_is_not_a_font_is_an_error_naming_it(tmp_path):
    fake = tmp_path / "Card.ttf"
    fake.write_text("not a font")
    with pytest.raises(ConfigError, match=r"Card\.ttf"):
        card("Title", "Author", "Site", font_path=fake)


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs DejaVu Sans as a theme font")
def test_a_theme_font_renders_right_to_left_titles_from_the_right():
    colours = CardColours()
    image = open_png(card("שלום עולם", "מרן הולט", "marenholt.com", font_path=DEJAVU))
    assert band_colours(image) == {rgb(colours.background)}
    left, _top, right, _bottom = ink_box(image, colours.background)
    assert right > 1100  # text hugs the right margin ...
    assert left > 400  # ... and leaves the left side free


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs DejaVu Sans as a theme font")
def test_a_theme_font_draws_the_accents_the_bundled_font_lacks():
    title = "Zoë’s résumé"
    with_theme_font = open_png(card(title, "", "", font_path=DEJAVU))
    spelt_out = open_png(card("Zoe’s resume", "", "", font_path=DEJAVU))
    assert with_theme_font.tobytes() != spelt_out.tobytes()
    # The bundled font has no ë or é, so it spells them as e.
    assert card(title, "", "") == card("Zoe’s resume", "", "")


THEME_FONT = ROOT / "themes/default/fonts/DejaVuSans.ttf"


@pytest.mark.parametrize("font", [None, THEME_FONT], ids=["bundled-font", "theme-font"])
@pytest.mark.parametrize(
    "title", ["Why I still write letters", LONG_TITLE, "שלום עולם", "Zalgo: Z̷̢̛̛a̴̡̕l̸̨̛g̵̢̛o"]
)
def test_the_png_is_well_formed(title, font):
    """The card is written without Pillow's encoder, so check it the way a strict decoder
    would: every chunk's CRC, the zlib stream's Adler-32, and the rows Pillow decodes."""
    import struct
    import zlib

    data = card(title, "Maren Holt", "marenholt.com", font_path=font)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        pos += 12 + length
    assert [kind for kind, _body in chunks] == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[0][1]) == (1200, 630, 8, 3, 0, 0, 0)
    assert len(chunks[1][1]) == 3 * 256
    scanlines = zlib.decompress(chunks[2][1])  # checks the Adler-32 too
    assert len(scanlines) == 630 * 1201
    assert scanlines[::1201] == bytes(630)  # every row unfiltered
    decoded = Image.open(io.BytesIO(data))
    assert decoded.mode == "P"
    pixels = b"".join(scanlines[row * 1201 + 1 : (row + 1) * 1201] for row in range(630))
    assert decoded.tobytes() == pixels


def test_the_same_input_gives_the_same_bytes_with_a_theme_font():
    for title in ("Why I still write letters", LONG_TITLE, "שלום עולם"):
        args = (title, "Maren Holt", "marenholt.com")
        assert card(*args, font_path=THEME_FONT) == card(*args, font_path=THEME_FONT)


def test_the_wrap_is_the_greedy_wrap():
    """Lines are filled by guessing how many words fit and correcting the guess; the lines
    must be the ones adding a word at a time gives."""
    from passivepress import social

    def greedy(text, font, width, limit):
        lines, current = [], ""
        for word in text.split(" "):
            if len(lines) >= limit:
                break
            candidate = f"{current} {word}" if current else word
            if font.getlength(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            pieces = social._break_word(word, font, width, limit - len(lines))
            lines.extend(pieces[:-1])
            current = pieces[-1]
        if current and len(lines) < limit:
            lines.append(current)
        return lines

    titles = [
        LONG_TITLE,
        LONG_TITLE.upper(),
        "i " * 300,
        "W" * 90 + " short words after a long one " + "M" * 40,
        "Pneumonoultramicroscopicsilicovolcanoconiosis " * 6,
        "a",
    ]
    for font_path in (None, THEME_FONT):
        face = social._face(font_path)
        for title in titles:
            title = face.renderable(title)
            for size in social.TITLE_SIZES:
                font = face.font(size)
                for guess in (1.0, size * 0.55, 500.0):  # good and bad guesses alike
                    for limit in (1, 3, 5):
                        assert social._wrap(title, font, 1040, limit, guess) == greedy(
                            title, font, 1040, limit
                        ), (title, size, guess, limit)


# Titles whose lines the glyph cache composes, or must refuse to: kerned pairs, a ligature
# (DejaVu Sans draws "ff" as one glyph), accents, marks, digits, right-to-left text.
GLYPH_TITLES = [
    "Why I still write letters",
    "AVAWAY Tony’s “quotes”, 12:30 & 99% off",
    "The offer: effort, coffee and staff",
    "Café crème — Zoë’s “naïve” résumé",
    "Zalgo: Z̷̢̛̛a̴̡̕l̸̨̛g̵̢̛o",
    "שלום עולם and Latin",
    # Kerned pairs whose inks touch (DejaVu Sans: KA, TT, TV; the bundled font: ry, Ky):
    # those lines are blended as coverage, the others drawn as palette indices.
    "KAYAK TV: TTY, Try every key",
    LONG_TITLE,
]


def _whole_lines(monkeypatch):
    """Make every line be rendered whole by Pillow, as before the glyph cache."""
    from passivepress import social

    monkeypatch.setattr(social._Glyphs, "compose", lambda self, *args: None)


def test_cards_drawn_from_cached_glyphs_are_the_cards_rendered_whole(monkeypatch):
    from passivepress import social

    # Both fonts in turn, at every title size: a cache keyed by less than the font and the
    # size would hand one font's glyphs to the other.
    cases = [
        (title, font)
        for title in [*GLYPH_TITLES, *(t.upper() for t in GLYPH_TITLES)]
        for font in (None, THEME_FONT)
    ]
    composed = []
    original = social._Glyphs.compose

    def counting(self, *args):
        parts = original(self, *args)
        composed.append(parts is not None)
        return parts

    monkeypatch.setattr(social._Glyphs, "compose", counting)
    cached = [open_png(card(t, "Maren Holt", "marenholt.com", font_path=f)) for t, f in cases]
    assert sum(composed) > len(composed) // 2  # the cache was used, not only refused
    _whole_lines(monkeypatch)
    whole = [open_png(card(t, "Maren Holt", "marenholt.com", font_path=f)) for t, f in cases]
    for (title, font), one, other in zip(cases, cached, whole, strict=True):
        assert one.tobytes() == other.tobytes(), (title, font)


@pytest.mark.parametrize("font_path", [None, THEME_FONT], ids=["bundled-font", "theme-font"])
def test_a_composed_line_has_the_pixels_of_the_line_rendered_whole(font_path):
    """At every size and at fractional starting points (right-to-left lines start at one)."""
    from passivepress import social

    face = social._face(font_path)
    assert face.composes
    for size in (*social.TITLE_SIZES, social.AUTHOR_SIZE, social.SITE_SIZE):
        font = face.font(size)
        glyphs = face.glyphs(font)
        for line in ("Why I still write letters", "AVAWAY To Ty, 12:30 & Wo.", "résumé"):
            for x in (32, 32.25, 100 + 13 / 64, 7.984375):
                composed = glyphs.compose(line, x, 100)
                assert composed is not None, (size, line, x)
                parts, box, _disjoint = composed
                assert box == social._extent(parts)
                assert paint(parts) == paint([social._rendered(font, line, x, 100, None)])


def paint(parts):
    """Masks drawn at their places on a large canvas, as a card's layer draws them."""
    from passivepress import social

    return social._paint(parts, (-100, -100, 2000, 400)).tobytes()


def test_a_word_with_a_ligature_is_rendered_whole_in_its_place():
    from passivepress import social

    face = social._face(THEME_FONT)
    # DejaVu Sans has an "ff" ligature: the pair is not its two glyphs side by side.
    assert not face.plain("ff")
    assert face.plain("fo")
    for size in social.TITLE_SIZES:
        font = face.font(size)
        glyphs = face.glyphs(font)
        assert glyphs._pair("ff") is None
        for x in (32, 32 + 21 / 64):  # the word starts at other fractions of a pixel too
            ink = social._line_ink("text", "The offer, staff", face, font, x, 100, None)
            # T, h, e, then "offer," and "staff" each as one mask
            assert len(ink.parts) == 5
            assert ink.indexed is None
            rendered = social._rendered(
                font, "The offer, staff", social.CLIP + x, 100 + social.CLIP, None
            )
            assert paint(ink.parts) == paint([rendered])


def test_glyph_caches_are_per_font_and_size():
    from passivepress import social

    bundled, theme = social._face(None), social._face(THEME_FONT)
    caches = [face.glyphs(face.font(size)) for face in (bundled, theme) for size in (70, 76)]
    assert len({id(cache) for cache in caches}) == 4
    masks = [bytes(cache._glyph("W")[0]) for cache in caches]
    assert len(set(masks)) == 4  # each font and size draws its own W
    assert bundled.glyphs(bundled.font(76)) is caches[1]  # and keeps it


def test_the_glyph_cache_stays_bounded_and_right(monkeypatch):
    from passivepress import social

    monkeypatch.setattr(social._Glyphs, "MAX_GLYPHS", 8)
    monkeypatch.setattr(social._Glyphs, "MAX_PAIRS", 16)
    social._load_face.cache_clear()  # a face whose caches start empty
    face = social._face(THEME_FONT)
    made = [open_png(card(t, "", "", font_path=THEME_FONT)).tobytes() for t in GLYPH_TITLES]
    assert len(face._plain) <= 16
    for glyphs in face._glyphs.values():
        assert len(glyphs._glyphs) <= 8 and len(glyphs._kerning) <= 16
    _whole_lines(monkeypatch)
    assert made == [open_png(card(t, "", "", font_path=THEME_FONT)).tobytes() for t in GLYPH_TITLES]


@pytest.mark.parametrize(
    ("font_path", "touching", "apart"),
    [(None, "Try", "Tea"), (THEME_FONT, "KAYAK", "Kayak")],
    ids=["bundled-font", "theme-font"],
)
def test_a_line_whose_glyphs_ink_one_pixel_is_blended_not_copied(
    monkeypatch, font_path, touching, apart
):
    from passivepress import social

    face = social._face(font_path)
    font = face.font(76)
    for text, disjoint in ((touching, False), (apart, True)):
        ink = social._line_ink("text", text, face, font, 32, 100, None)
        assert len(ink.parts) == len(text)  # composed from its glyphs
        assert (ink.indexed is not None) is disjoint, text
    cards = [open_png(card(t, "", "", font_path=font_path)).tobytes() for t in (touching, apart)]
    _whole_lines(monkeypatch)
    assert cards == [
        open_png(card(t, "", "", font_path=font_path)).tobytes() for t in (touching, apart)
    ]


def test_inks_whose_boxes_overlap_are_blended_the_others_pasted(monkeypatch):
    """Drawn as palette indices, an ink whose box is clear of the ones before it is
    copied; one whose box reaches into another's (kerned "AV", "To") is blended, which
    changes nothing where one of the two has no ink."""
    from passivepress import social

    face = social._face(THEME_FONT)
    ink = social._line_ink("text", "AVAWAY Tony Wa", face, face.font(76), 32, 100, None)
    assert ink.indexed is not None
    clear = [copy[5] for copy in ink.indexed]
    assert True in clear and False in clear
    titles = ["AVAWAY Tony Wa", "To Te Yo LT VA: Why I still write letters"]
    cards = [open_png(card(t, "", "", font_path=THEME_FONT)).tobytes() for t in titles]
    _whole_lines(monkeypatch)
    assert cards == [open_png(card(t, "", "", font_path=THEME_FONT)).tobytes() for t in titles]


def test_layers_drawn_into_a_buffer_or_onto_an_image_give_the_same_cards(monkeypatch):
    """Layers are drawn straight into their bytes where Pillow allows it; else onto images."""
    from passivepress import social

    assert social._DRAWS_INTO_BUFFER  # this Pillow allows it: the test compares both ways
    titles = [*GLYPH_TITLES, "W" * 5000, "Zalgo: Z̷̢̛̛a̴̡̕l̸̨̛g̵̢̛o" + "\u0301" * 200]
    cases = [(title, font) for title in titles for font in (None, THEME_FONT)]
    into_buffer = [card(t, "Zoë Müller " * 10, "例え.jp", font_path=f) for t, f in cases]
    monkeypatch.setattr(social, "_DRAWS_INTO_BUFFER", False)
    social._fixed_piece.cache_clear()  # the foot too
    onto_image = [card(t, "Zoë Müller " * 10, "例え.jp", font_path=f) for t, f in cases]
    assert into_buffer == onto_image


def test_widths_in_the_basic_layout_are_the_widths_pillow_measures():
    """The bundled font's widths are added up from characters and pairs, not asked of
    FreeType: they must be exactly what getlength gives, kerning and all."""
    import random
    import string

    from passivepress import social

    face = social._face(None)
    assert not face.shapes  # the bundled font uses Pillow's basic layout
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " “”‘’·"
    texts = [LONG_TITLE, "AVAWAY Ty To LT", "W" * 300, "i", "", "Tony’s “quotes”"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 80))) for _ in range(300)]
    for size in (*social.TITLE_SIZES, social.AUTHOR_SIZE, social.SITE_SIZE, 100):
        font = face.font(size)
        for text in texts:
            assert social._width(text, font) == (font.getlength(text) if text else 0), (size, text)


def test_widths_of_shaped_rows_are_the_widths_raqm_measures():
    """With Raqm (the default theme's font), a text of plain characters and pairs is
    measured from them, not shaped whole: exactly what getlength gives, ligatures ("ff"),
    kerning, marks, right-to-left text and quotation marks after a digit (which Raqm can
    shape in runs of their own) included."""
    import random
    import string

    from passivepress import social

    face = social._face(THEME_FONT)
    assert face.shapes
    rng = random.Random(7)
    alphabet = (
        string.ascii_letters + string.digits + string.punctuation + "   “”‘’«»·éçñü—ffi\u0301"
    )
    texts = [
        LONG_TITLE,
        "AVAWAY Ty To LT",
        "office affluent",
        "1“H”",
        "7 “Habits” «À»",
        "שלום עולם",
    ]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(3, 80))) for _ in range(400)]
    by_rows = 0
    for size in (*social.TITLE_SIZES, social.AUTHOR_SIZE, social.SITE_SIZE, 100):
        font = face.font(size)
        for text in texts:
            social._width.cache_clear()
            assert social._width(text, font) == font.getlength(text), (size, text)
            by_rows += social._row_advance(text, font, face) is not None
    assert by_rows > len(texts) * 5  # most are measured by rows


@pytest.mark.parametrize("deflater", ["zlib-ng", "zlib"])
def test_pieces_join_into_one_deflate_stream_of_their_rows(monkeypatch, deflater):
    """Pieces are compressed one by one and joined: with either deflate (zlib-ng's, or zlib
    for an install without it) they must make one raw deflate stream of their rows."""
    import random
    import zlib

    from passivepress import deflate, social

    if deflater == "zlib":
        monkeypatch.setattr(deflate, "deflate", zlib)
    rng = random.Random(3)
    parts = []
    for rows in (1, 90, 300):
        parts.append(
            bytes(
                0 if column == 0 or rng.random() < 0.7 else rng.randrange(256)
                for _row in range(rows)
                for column in range(social.ROW)
            )
        )
    pieces = [social._piece(12, scanlines) for scanlines in parts]
    for (top, count, _deflated, adler), scanlines in zip(pieces, parts, strict=True):
        assert (top, count, adler) == (12, len(scanlines) // social.ROW, zlib.adler32(scanlines))
    inflater = zlib.decompressobj(-15)
    joined = b"".join(deflated for _top, _count, deflated, _adler in pieces)
    assert inflater.decompress(joined + b"\x03\x00") == b"".join(parts)  # empty final block
    assert inflater.eof


def test_cards_show_the_same_pixels_whichever_deflate_compressed_them(monkeypatch):
    """zlib, for an install without zlib-ng, gives other bytes but the same image."""
    import zlib

    from PIL import Image

    from passivepress import deflate, social

    def pixels(png: bytes) -> tuple[bytes, object]:
        image = Image.open(io.BytesIO(png))
        image.load()
        return image.tobytes(), image.getpalette()

    titles = [*GLYPH_TITLES, LONG_TITLE]
    with_zlib_ng = [card(t, "Maren Holt", "x.org", font_path=THEME_FONT) for t in titles]
    monkeypatch.setattr(deflate, "deflate", zlib)
    social._fixed_piece.cache_clear()
    social._blank_rows.cache_clear()
    with_zlib = [card(t, "Maren Holt", "x.org", font_path=THEME_FONT) for t in titles]
    social._fixed_piece.cache_clear()
    social._blank_rows.cache_clear()
    assert with_zlib != with_zlib_ng
    assert [pixels(p) for p in with_zlib] == [pixels(p) for p in with_zlib_ng]


def test_cards_are_the_same_bytes_whatever_was_cached_before_in_another_process():
    """Caches warm up within a process (a build's worker makes hundreds of cards): a card
    must not depend on which cards came before it, in this process or another."""
    import hashlib
    import json

    titles = [*GLYPH_TITLES, "Essay 12: Network question essay learn reader boundary"]
    code = (
        "import hashlib, json, sys; from passivepress.social import card; "
        "titles = json.loads(sys.argv[1]); "
        "print(json.dumps([hashlib.sha256(card(t, 'Maren Holt', 'x.org', font_path=sys.argv[2]))"
        ".hexdigest() for t in reversed(titles)]))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, json.dumps(titles), str(THEME_FONT)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "4321"},
    ).stdout
    here = [
        hashlib.sha256(card(t, "Maren Holt", "x.org", font_path=THEME_FONT)).hexdigest()
        for t in titles
    ]
    assert json.loads(other) == here[::-1]


def test_a_bands_adler32_from_its_inks_is_the_adler32_of_its_bytes(monkeypatch):
    """Where a band is drawn as copies of inks that never meet, its Adler-32 is added up
    from theirs instead of read from its bytes: it must be the same."""
    import zlib

    from passivepress import social

    original = social._band
    added_up = []

    def checked(inks):
        top, scanlines, adler = original(inks)
        if adler is not None:
            added_up.append(adler == zlib.adler32(scanlines))
        return top, scanlines, adler

    monkeypatch.setattr(social, "_band", checked)
    for font in (None, THEME_FONT):
        for title in [*GLYPH_TITLES, "AVAWAY Tony Wa", "i " * 300, "W" * 90]:
            card(title, "Maren Holt", "marenholt.com", font_path=font)
    assert len(added_up) > 10 and all(added_up)
