"""Social-card images: a 1200×630 PNG with an essay's title, author and site name.

Link previews (Open Graph ``og:image``, ``twitter:card`` summary_large_image) want a picture;
an essay that names no ``image:`` gets one drawn here (issue 4). :func:`card` is pure: the
same arguments give the same bytes, so a build can compare or cache them.

The font is Pillow's bundled scalable default (a subset of Aileron, Pillow ≥ 10.1 with
FreeType), so cards render on any machine with no network and no system fonts. That subset
covers ASCII and a few marks only: characters it lacks are spelt with the nearest ones it has
(``é`` → ``e``, ``—`` → ``-``) or left out. A theme that wants real accents, non-Latin scripts
or right-to-left shaping passes its own TrueType/OpenType file as ``font_path``.

Layout, inside an 80 px margin: a short accent bar, the title as large as fits in at most
four lines (wrapped at spaces, long words broken, an ellipsis when even the smallest size
overflows), then the author and the site name at the foot. Everything is drawn on a canvas
that stops 48 px from the edges, so no glyph ever reaches the border whatever the font does.

A build makes thousands of cards in a few processes, so the costly parts are done once per
process: each font size's glyphs are rendered and measured once and lines are drawn from
them, with the pixels Pillow would render them with (:class:`_Glyphs` says when that holds
and how it is checked); the PNG is written without Pillow's encoder (see ``_png``).
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import struct
import unicodedata
import weakref
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import PIL
from PIL import Image, ImageChops, ImageFont

from passivepress.deflate import compressed
from passivepress.errors import ConfigError, Problem

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630

# Text is laid out inside MARGIN; the drawing canvas reaches to CLIP, so a glyph whose ink
# pokes out of its metrics (an italic overhang, stacked accents) is cut there at worst.
MARGIN = 80
CLIP = 48

BAR_WIDTH, BAR_HEIGHT = 96, 10
TITLE_SIZES = (76, 70, 64, 58, 52, 48, 44)  # largest first; the first that fits wins
TITLE_MAX_LINES = 4
TITLE_LEADING = 1.18
AUTHOR_SIZE, SITE_SIZE = 36, 30
FOOT_GAP = 12  # between the author line and the site line
ELLIPSIS = "…"

# More than any card can show at the smallest size; longer titles are cut before layout so
# a pathological title cannot make a build slow.
MAX_CHARS = 1000

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_CSS_PROPERTIES = (("background", "bg"), ("text", "text"), ("muted", "muted"), ("accent", "accent"))


@dataclass(frozen=True)
class CardColours:
    """The card's palette as ``#rrggbb``; defaults are the default theme's light palette
    (``--bg``, ``--text``, ``--muted``, ``--accent`` in themes/default/static/css/style.css)."""

    background: str = "#fbf9f5"
    text: str = "#23201c"
    muted: str = "#5f5950"
    accent: str = "#1f5f5b"

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, str) or not _HEX.fullmatch(value):
                raise ValueError(
                    f"CardColours.{field.name}: expected a colour like '#1f5f5b', got {value!r}"
                )

    @classmethod
    def from_css(cls, css: str) -> CardColours:
        """The palette a theme's stylesheet declares in its first ``:root`` block
        (``--bg``, ``--text``, ``--muted``, ``--accent``). A property that is missing or not
        a hex colour keeps the default, with a warning."""
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
        block = re.search(r":root\s*\{([^}]*)\}", css)
        declared = dict(re.findall(r"--([\w-]+)\s*:\s*([^;]+);", block.group(1) if block else ""))
        values: dict[str, str] = {}
        for field, prop in _CSS_PROPERTIES:
            raw = declared.get(prop, "").strip()
            colour = _hex_colour(raw)
            if colour:
                values[field] = colour
            elif raw:
                log.warning(
                    "social card: --%s is %r, not a hex colour; using the default", prop, raw
                )
            else:
                log.warning(
                    "social card: no --%s in the stylesheet's :root; using the default", prop
                )
        return cls(**values)


def _hex_colour(raw: str) -> str | None:
    """``#abc`` or ``#aabbcc`` as lower-case ``#aabbcc``; anything else None."""
    if re.fullmatch(r"#[0-9a-fA-F]{3}", raw):
        raw = "#" + "".join(c * 2 for c in raw[1:])
    return raw.lower() if _HEX.fullmatch(raw) else None


def card(
    title: str,
    author: str,
    site: str,
    *,
    colours: CardColours | None = None,
    font_path: str | os.PathLike[str] | None = None,
) -> bytes:
    """A 1200×630 PNG social card; the same arguments always give the same bytes.

    Empty strings are left out of the card (an empty title gives a card with only the
    author and site). ``font_path`` is a TrueType/OpenType file to use instead of Pillow's
    bundled font; a file that cannot be read raises :class:`ConfigError` naming it.
    """
    colours = colours or CardColours()
    face = _face(font_path)
    title = face.renderable(title)
    rtl = _is_rtl(title)
    # A build gives every card the same author and site name, so the foot is laid out and
    # rendered once per process.
    foot_top, foot = _foot(face, author, site, rtl)
    lines = _title(face, title, rtl, foot_top) if title else ()
    pieces = []
    for inks in _bands((_bar(rtl), *foot, *lines)):
        # The bar and the foot are the same on every card of a build: encoded once.
        fixed = all(ink not in lines for ink in inks)
        pieces.append(_fixed_piece(inks) if fixed else _piece(*_band(inks)))
    return _png(pieces, _palette(colours))


# Layout coordinates are relative to the MARGIN box; INSET moves them onto the canvas that
# stops at CLIP, and CLIP moves canvas coordinates onto the card.
INSET = MARGIN - CLIP
BOX_WIDTH, BOX_HEIGHT = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN


if TYPE_CHECKING:
    # A piece of coverage 0-255 and the pixel where its top-left corner goes.
    _Part = tuple[Image.core.ImagingCore, int, int]
    # An ink as palette indices, its box on the card, whether that box is clear, and the
    # ink's moments (see _moments).
    _Copy = tuple[Image.core.ImagingCore, int, int, int, int, bool, tuple[int, int, int]]
_Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True, eq=False)  # the same ink is the same object (see _fixed_piece)
class _Ink:
    """One line of text (or the accent bar) as coverage 0-255 of its role's colour: one
    mask, or the masks of its glyphs, which drawn in order make the same coverage; and
    where they land on the card (``extent``, empty when there are none)."""

    role: str
    parts: tuple[_Part, ...]
    extent: _Box
    # The parts' inks as palette indices of the role, when no two of them have ink at one
    # pixel: then drawing them is copying, and translating coverage to indices can come
    # first. Each is cut to its ink's box and says whether that box is clear of the ones
    # before it, so it can be pasted rather than blended.
    indexed: tuple[_Copy, ...] | None = None

    @cached_property
    def box(self) -> _Box:
        """Where the ink lands, cut at the canvas edge (empty when it falls outside)."""
        left, top, right, bottom = self.extent
        return (
            max(left, CLIP),
            max(top, CLIP),
            min(right, WIDTH - CLIP),
            min(bottom, HEIGHT - CLIP),
        )

    def flat(self) -> tuple[_Part, ...]:
        """The ink as one mask, as Pillow renders a line: its glyphs drawn on nothing."""
        if len(self.parts) < 2:
            return self.parts
        return ((_paint(self.parts, self.extent).im, *self.extent[:2]),)


def _extent(parts: Iterable[_Part]) -> _Box:
    """The box that ``parts`` cover (empty when there are none)."""
    boxes = [(x, y, x + mask.size[0], y + mask.size[1]) for mask, x, y in parts]
    if not boxes:
        return (0, 0, 0, 0)
    left, top, right, bottom = zip(*boxes, strict=True)
    return min(left), min(top), max(right), max(bottom)


def _paint(parts: Iterable[_Part], box: _Box) -> Image.Image:
    """``parts`` drawn in order on an empty mask that covers ``box``: blended the way
    FreeType's renderer in Pillow blends overlapping glyphs."""
    left, top, right, bottom = box
    image = Image.new("L", (right - left, bottom - top), 0)
    draw = Image.core.draw(image.im, 0)  # as ImageDraw.Draw(image).draw, without its setup
    for mask, x, y in parts:
        draw.draw_bitmap((x - left, y - top), mask, 255)
    return image


def _coverage(parts: Iterable[_Part], box: _Box) -> bytes | bytearray:
    """The bytes of :func:`_paint`'s mask, drawn straight into them where Pillow allows."""
    left, top, right, bottom = box
    layer, draw, _core = _layer((right - left, bottom - top))
    for mask, x, y in parts:
        draw.draw_bitmap((x - left, y - top), mask, 255)
    return layer if isinstance(layer, bytearray) else layer.tobytes()


def _x_for(line: str, font: ImageFont.FreeTypeFont, rtl: bool) -> float:
    """Where a line starts: at the left margin, or for right-to-left text where it ends at
    the right one (so only right-to-left lines need measuring)."""
    return INSET + (BOX_WIDTH - _width(line, font) if rtl else 0)


def _line_ink(
    role: str,
    line: str,
    face: _Face,
    font: ImageFont.FreeTypeFont,
    x: float,
    baseline: float,
    direction: str | None,
    compose: bool = True,
) -> _Ink:
    """``line`` as ImageDraw.text(anchor="ls") renders it at canvas point (x, baseline): from
    cached glyphs where the line is a plain row of them, else (or if not ``compose``)
    rendered whole."""
    x, baseline = CLIP + x, CLIP + baseline  # onto the card: the fractions stay the same
    composed = None
    if direction is None and compose:
        composed = face.glyphs(font).compose(line, x, baseline, _ROLES.index(role))
    if composed is None:
        parts = (_rendered(font, line, x, baseline, direction),)
        return _Ink(role, parts, _extent(parts))
    return _Ink(role, *composed)


def _rendered(
    font: ImageFont.FreeTypeFont, text: str, x: float, baseline: float, direction: str | None
) -> _Part:
    """``text`` rendered by Pillow at canvas point (x, baseline): the whole pixel, plus the
    fraction passed to FreeType."""
    start = (math.modf(x)[0], math.modf(baseline)[0])
    mask, (dx, dy) = font.getmask2(
        text, "L", direction, None, None, 0, "ls", 255, start, stroke_filled=True
    )
    return mask, int(x) + dx, int(baseline) + dy


@lru_cache(maxsize=32)
def _foot(face: _Face, author: str, site: str, rtl: bool) -> tuple[float, tuple[_Ink, ...]]:
    """The site name and the author above it, bottom up, each on one line; and the top of
    the foot, which the title must stay above."""
    inks: list[_Ink] = []
    foot_top = INSET + BOX_HEIGHT
    for text, size, role in (
        (face.renderable(site), SITE_SIZE, "muted"),
        (face.renderable(author), AUTHOR_SIZE, "text"),
    ):
        if not text:
            continue
        font = face.font(size)
        line = _fit_line(text, font, BOX_WIDTH)
        ascent, descent = font.getmetrics()
        baseline = foot_top - descent
        x, direction = _x_for(line, font, rtl), _direction(line, face)
        # Made once per process: caching glyphs at these sizes would cost more than this.
        inks.append(_line_ink(role, line, face, font, x, baseline, direction, compose=False))
        foot_top = baseline - ascent - FOOT_GAP
    return foot_top, tuple(inks)


def _title(face: _Face, title: str, rtl: bool, foot_top: float) -> tuple[_Ink, ...]:
    """The title's lines, below the accent bar and above the foot."""
    top = INSET + BAR_HEIGHT + 40
    room = foot_top - 28 - top
    font, lines, leading = _layout_title(title, face, BOX_WIDTH, room)
    ascent, _descent = font.getmetrics()
    baseline = top + min(ascent, leading)
    direction = "rtl" if rtl and face.shapes else None
    inks = []
    for line in lines:
        x = _x_for(line, font, rtl)
        inks.append(_line_ink("text", line, face, font, x, baseline, direction))
        baseline += leading
    return tuple(inks)


@lru_cache(maxsize=2)
def _bar(rtl: bool) -> _Ink:
    """The accent bar above the title, at the side the title starts from."""
    x = int(INSET + (BOX_WIDTH - BAR_WIDTH if rtl else 0))
    parts = ((Image.new("L", (BAR_WIDTH, BAR_HEIGHT), 255).im, CLIP + x, MARGIN),)
    return _Ink("accent", parts, _extent(parts))


def _bands(inks: tuple[_Ink, ...]) -> list[tuple[_Ink, ...]]:
    """The inks that show, grouped into bands of rows, top down: inks whose rows overlap
    share a band. Inks keep their drawing order within a band."""
    bands: list[tuple[int, int, list[_Ink]]] = []
    for ink in sorted(inks, key=lambda ink: ink.box[1]):
        x0, top, x1, bottom = ink.box
        if x0 >= x1 or top >= bottom:
            continue
        if bands and top < bands[-1][1]:
            bands[-1] = (bands[-1][0], max(bands[-1][1], bottom), [*bands[-1][2], ink])
        else:
            bands.append((top, bottom, [ink]))
    return [tuple(sorted(members, key=inks.index)) for _top, _bottom, members in bands]


def _band(inks: tuple[_Ink, ...]) -> tuple[int, bytes | bytearray, int | None]:
    """The first row of a band of inks that show, and its scanlines: PNG's filter byte (0,
    no filter) and a palette index per pixel; and their Adler-32 where it comes cheaper from
    the inks than from the scanlines (else None)."""
    top = min(ink.box[1] for ink in inks)
    bottom = max(ink.box[3] for ink in inks)
    size = (ROW, bottom - top)
    scanlines: bytes | bytearray = b""
    for number, role in enumerate(_ROLES):
        mine = [ink for ink in inks if ink.role == role]
        if not mine:
            continue
        # Each role is drawn as coverage on a layer of its own, the way ImageDraw.text draws
        # a rendered line, so lines that overlap blend the same. The layer is whole scanlines
        # (column 0 holds the filter byte), cleared outside the canvas.
        layer, draw, core = _layer(size)
        sums = total = 0  # the indices' sum, and the sum of each times its place
        # A line's glyphs can be drawn straight on the layer, where nothing else is: over
        # another line, blending them first and the result on it can round differently.
        overlap = len(mine) > 1 and any(
            _overlap(one.extent, other.extent)
            for n, one in enumerate(mine)
            for other in mine[n + 1 :]
        )
        # Where no ink lands on other ink, coverage and palette indices can be drawn alike
        # (on nothing, draw_bitmap copies): the usual title line is drawn as indices.
        indexed = not overlap and all(ink.indexed is not None for ink in mine)
        for ink in mine:
            if indexed:
                for mask, x, y, x_end, y_end, clear, (ink_sum, by_row, by_column) in (
                    ink.indexed or ()
                ):
                    if clear:  # nothing drawn there yet: copy, rather than blend, the pixels
                        core.paste(mask, (1 + x, y - top, 1 + x_end, y_end - top))
                    else:
                        draw.draw_bitmap((1 + x, y - top), mask, 255)
                    sums += ink_sum
                    total += ((y - top) * ROW + 1 + x) * ink_sum + ROW * by_row + by_column
                continue
            for mask, x, y in ink.flat() if overlap else ink.parts:
                draw.draw_bitmap((1 + x, y - top), mask, 255)
        indices = layer if isinstance(layer, bytearray) else layer.tobytes()
        adler = None
        if indexed and not scanlines:
            # Inks that never meet make the layer the sum of their copies, so the Adler-32
            # of its bytes (zlib's adler32: sums kept modulo 65521) follows from theirs.
            count = len(indices)
            adler = ((count + count * sums - total) % _ADLER_BASE) << 16 | (1 + sums) % _ADLER_BASE
        if any(ink.extent[0] < CLIP or ink.extent[2] > WIDTH - CLIP for ink in mine):
            adler = None
            coverage = Image.frombytes("L", size, indices)
            coverage.paste(0, (0, 0, 1 + CLIP, size[1]))
            coverage.paste(0, (1 + WIDTH - CLIP, 0, *size))
            indices = coverage.tobytes()
        if not indexed:
            indices = indices.translate(_LUTS[number])
        if scanlines:
            # The roles' pixels never overlap, so the largest index at a pixel is its only one.
            indices = ImageChops.lighter(
                Image.frombytes("L", size, scanlines), Image.frombytes("L", size, indices)
            ).tobytes()
            adler = None
        scanlines = indices
    return top, scanlines, adler


def _layer(size: tuple[int, int]) -> tuple[bytearray | Image.Image, Any, Any]:
    """An empty layer, to draw on with draw_bitmap and paste onto: its bytes themselves
    where Pillow makes an image from a buffer without copying it (what Image.frombuffer
    does for "raw" L, here without its Python wrapper), which saves copying the layer out
    with tobytes(); else an image. Then its draw object and its core image."""
    if _DRAWS_INTO_BUFFER:
        buffer = bytearray(size[0] * size[1])
        core = Image.core.map_buffer(buffer, size, "raw", 0, ("L", 0, 1))
        return buffer, Image.core.draw(core, 0), core
    image = Image.new("L", size, 0)
    return image, Image.core.draw(image.im, 0), image.im


def _draws_into_buffer() -> bool:
    """Whether drawing and pasting on an image mapped onto a buffer change the buffer."""
    buffer = bytearray(4)
    try:
        core = Image.core.map_buffer(buffer, (2, 2), "raw", 0, ("L", 0, 1))
        Image.core.draw(core, 0).draw_bitmap((1, 1), Image.new("L", (1, 1), 7).im, 255)
        core.paste(Image.new("L", (1, 1), 5).im, (0, 0, 1, 1))
    except Exception:  # an API this version of Pillow does not have: draw the usual way
        return False
    return buffer == bytearray((5, 0, 0, 7))


_DRAWS_INTO_BUFFER = _draws_into_buffer()


def _keep_freed_memory() -> None:
    """Have glibc's malloc keep the memory one card frees for the next card.

    A card allocates and frees some hundreds of KiB (a compressor's buffers, 256 KiB for
    zlib's; a layer is about 100 KiB). glibc gives memory at the top of the heap back to
    the system once more than M_TRIM_THRESHOLD is free (128 KiB at first), so each card
    faulted its pages back in: about 60 minor faults and 0.13-0.18 ms of system time a
    card. Freeing a block that was served by mmap raises M_MMAP_THRESHOLD to its size and
    M_TRIM_THRESHOLD to twice that (mallopt(3), dynamic mmap threshold), which one large
    buffer made and dropped here does: at most 2 MiB stays with the process. Other
    allocators ignore it."""
    bytes(1 << 20)


_keep_freed_memory()


def _moments(data: bytes, width: int) -> tuple[int, int, int]:
    """The sum of a mask's bytes, and of each times its row and times its column: what an
    Adler-32 needs of them wherever they are put (see _band)."""
    rows = len(data) // width
    return (
        sum(data),
        sum(row * sum(data[row * width : (row + 1) * width]) for row in range(1, rows)),
        sum(column * sum(data[column::width]) for column in range(1, width)),
    )


# Coverage → 1 where there is ink, else 0.
_INKED = bytes([0] + [1] * 255)


def _overlap(one: _Box, other: _Box) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


_ROLES = ("text", "muted", "accent")
BLEND_STEPS = 85  # 1 + 3 × 85 = 256 palette entries
# Coverage 0-255 on a role's layer → its palette index (0, the background, where uncovered).
_LUTS = tuple(
    bytes([0] + [n * BLEND_STEPS + max(1, round(v * BLEND_STEPS / 255)) for v in range(1, 256)])
    for n in range(len(_ROLES))
)


@lru_cache(maxsize=16)
def _palette(colours: CardColours) -> bytes:
    """The background, then BLEND_STEPS blends from it towards each role's colour."""
    background = _rgb(colours.background)
    entries = [background]
    for role in _ROLES:
        target = _rgb(getattr(colours, role))
        for step in range(1, BLEND_STEPS + 1):
            entries.append(
                tuple(
                    round(b + (t - b) * step / BLEND_STEPS)
                    for b, t in zip(background, target, strict=True)
                )
            )
    return bytes(channel for entry in entries for channel in entry)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


# --- PNG ---------------------------------------------------------------------------------
#
# Pillow's PNG encoder spends about 1.5 ms on any 1200×630 image, blank or not, which was
# most of a card's cost. A card is mostly rows of background, so this writer compresses only
# the rows with ink and reuses the compressed form of n blank rows. Each piece is a raw
# deflate stream ended with a sync flush (byte-aligned, not final; see passivepress.deflate),
# so pieces concatenate into one valid stream; an empty final block closes it.

ROW = 1 + WIDTH  # a scanline: filter byte, then one palette index per pixel
_ADLER_BASE = 65521
_END = b"\x03\x00"  # an empty final block with fixed codes
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


_Piece = tuple[int, int, bytes, int]  # first row, rows, raw deflate, Adler-32 of the scanlines


def _png(pieces: list[_Piece], palette: bytes) -> bytes:
    """The PNG of a card whose rows are background except for ``pieces``, top down."""
    stream = [b"\x78\x01"]  # zlib header: deflate, 32 KiB window, fastest
    adler = 1
    row = 0
    for top, rows, deflated, piece_adler in (*pieces, (HEIGHT, 0, b"", 1)):
        blank, blank_adler = _blank_rows(top - row)
        stream += [blank, deflated]
        adler = _adler_combine(
            _adler_combine(adler, blank_adler, (top - row) * ROW), piece_adler, rows * ROW
        )
        row = top + rows
    stream += [_END, struct.pack(">I", adler)]
    return b"".join(
        (_SIGNATURE, _HEADER, _chunk(b"PLTE", palette), _chunk(b"IDAT", b"".join(stream)), _IEND)
    )


def _piece(top: int, scanlines: bytes | bytearray, adler: int | None = None) -> _Piece:
    """Rows compressed, and their Adler-32 (``adler``, if it is known)."""
    adler = zlib.adler32(scanlines) if adler is None else adler
    return top, len(scanlines) // ROW, compressed(scanlines), adler


@lru_cache(maxsize=32)
def _fixed_piece(inks: tuple[_Ink, ...]) -> _Piece:
    return _piece(*_band(inks))


@cache  # at most HEIGHT + 1 entries of a few hundred bytes
def _blank_rows(count: int) -> tuple[bytes, int]:
    if not count:
        return b"", 1
    _top, _rows, deflated, adler = _piece(0, bytes(count * ROW))
    return deflated, adler


def _adler_combine(first: int, second: int, length: int) -> int:
    """The Adler-32 of two byte strings end to end, from theirs (zlib's adler32_combine):
    the second's sums grow by the first's, its running total once per byte."""
    low = ((first & 0xFFFF) + (second & 0xFFFF) - 1) % _ADLER_BASE
    high = ((first >> 16) + (second >> 16) + length * (first & 0xFFFF) - length) % _ADLER_BASE
    return high << 16 | low


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# 8-bit palette colour, no interlace.
_HEADER = _chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 3, 0, 0, 0))
_IEND = _chunk(b"IEND", b"")


# --- layout ------------------------------------------------------------------------------


def _layout_title(
    title: str, face: _Face, width: int, room: float
) -> tuple[ImageFont.FreeTypeFont, list[str], int]:
    """The largest size whose wrapped title fits in ``room``; at the smallest size, the
    lines that fit with an ellipsis on the last."""
    # The title's width on one line, measured once; widths scale with the size, and
    # wrapping only adds to them, so sizes where even this cannot fit are skipped unwrapped.
    em_width = _width(title, face.font(100)) / 100
    for size in TITLE_SIZES:
        font = face.font(size)
        leading = round(size * TITLE_LEADING)
        max_lines = max(1, min(TITLE_MAX_LINES, int(room // leading)))
        if size != TITLE_SIZES[-1] and em_width * size > max_lines * width * 1.02:
            continue
        lines = _wrap(title, font, width, max_lines + 1, em_width * size / len(title))
        if len(lines) <= max_lines:
            return font, lines, leading
    lines = lines[:max_lines]
    lines[-1] = _with_ellipsis(lines[-1], font, width)
    return font, lines, leading


def _wrap(
    text: str, font: ImageFont.FreeTypeFont, width: int, limit: int, char_width: float
) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters.
    Stops once ``limit`` lines exist: the caller only needs to know it overflowed.

    A line only grows as words are added to it, so the greedy line holds the most words
    that fit. That count is guessed from ``char_width`` (the text's average advance) and
    corrected a word at a time: about two measurements a line instead of one a word."""
    words = text.split(" ")
    lines: list[str] = []
    current = ""
    start = 0
    while start < len(words) and len(lines) < limit:
        count = _words_that_fit(current, words[start:], font, width, char_width)
        if count:
            current = " ".join(
                [current, *words[start : start + count]]
                if current
                else words[start : start + count]
            )
            start += count
            if start == len(words):
                break
        if current:
            lines.append(current)  # the next word does not fit after it
            current = ""
        else:
            pieces = _break_word(words[start], font, width, limit - len(lines))
            lines.extend(pieces[:-1])
            current = pieces[-1]
            start += 1
    if current and len(lines) < limit:
        lines.append(current)
    return lines


def _words_that_fit(
    line: str, words: list[str], font: ImageFont.FreeTypeFont, width: int, char_width: float
) -> int:
    """How many of ``words`` fit after ``line`` (which may be empty)."""

    def fits(count: int) -> bool:
        return _fits(" ".join([line, *words[:count]] if line else words[:count]), font, width)

    count, length = 0, len(line)
    while count < len(words) and (length + 1 + len(words[count])) * char_width <= width:
        length += 1 + len(words[count])
        count += 1
    count = max(1, count)
    if fits(count):
        while count < len(words) and fits(count + 1):
            count += 1
        return count
    count -= 1
    while count and not fits(count):
        count -= 1
    return count


def _break_word(word: str, font: ImageFont.FreeTypeFont, width: int, limit: int) -> list[str]:
    """``word`` cut into pieces that each fit (at least one character each)."""
    pieces: list[str] = []
    clusters = list(_clusters(word))
    while clusters and len(pieces) < limit:
        count = max(1, _longest_prefix(clusters, font, width))
        pieces.append("".join(clusters[:count]))
        clusters = clusters[count:]
    return pieces or [""]


def _fit_line(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """``text`` on one line, cut with an ellipsis if it is too wide."""
    if _fits(text, font, width):
        return text
    return _with_ellipsis(text, font, width)


def _with_ellipsis(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """``line`` shortened until it fits with an ellipsis after it, cut at a space when one
    is near the end so the last word is whole."""
    clusters = list(_clusters(line))
    kept = "".join(clusters[: _longest_prefix(clusters, font, width, suffix=ELLIPSIS)])
    space = kept.rfind(" ")
    if space > len(kept) * 2 // 3:
        kept = kept[:space]
    return kept.rstrip(" ,;:.-–—") + ELLIPSIS


def _longest_prefix(
    clusters: list[str], font: ImageFont.FreeTypeFont, width: int, suffix: str = ""
) -> int:
    """How many of ``clusters`` fit on a line followed by ``suffix``. Galloping, then binary
    search, so no string much longer than a line is ever measured."""
    lo, hi = 0, 16
    while hi < len(clusters) and _fits("".join(clusters[:hi]) + suffix, font, width):
        lo, hi = hi, hi * 2
    hi = min(hi, len(clusters))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits("".join(clusters[:mid]) + suffix, font, width):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _clusters(text: str) -> Iterator[str]:
    """Characters with their combining marks and joiners, so a break never splits them."""
    cluster = ""
    for ch in text:
        if cluster and (
            unicodedata.combining(ch)
            or unicodedata.category(ch) in ("Mn", "Me", "Mc")
            or ch in "\u200d\ufe0e\ufe0f"
            or cluster.endswith("\u200d")
        ):
            cluster += ch
            continue
        if cluster:
            yield cluster
        cluster = ch
    if cluster:
        yield cluster


@lru_cache(maxsize=4096)
def _width(text: str, font: ImageFont.FreeTypeFont) -> float:
    """How far ``text`` advances. Ink that pokes past the advance (an italic overhang) lands
    in the slack between MARGIN and CLIP, so the advance is all layout needs."""
    if not text:
        return 0
    face = _FACE_OF.get(font)
    # Pillow's basic layout (text_layout_fallback in _imagingft.c) gives each character its
    # glyph's advance and adds the kerning of each pair: always a row. With Raqm, a pair is
    # what plain() measures, and quotation marks may start runs of their own.
    if face is not None and (
        not face.shapes or (len(text) > 2 and not any(mark in text for mark in _PAIRED_QUOTES))
    ):
        advance = _row_advance(text, font, face)
        if advance is not None:
            return advance / 64
    return font.getlength(text)


# Raqm gives a pair of these quotation marks the script of what they enclose, which can
# start a new shaping run, and kerning stops at a run's end: after a digit, "“H”" is not
# kerned between H and ” (found by comparing _width with getlength on random texts).
_PAIRED_QUOTES = "“”„‟«»‹›「」『』"
# The face each font (one size of it) was made by, for _width.
_FACE_OF: weakref.WeakKeyDictionary[ImageFont.FreeTypeFont, _Face] = weakref.WeakKeyDictionary()
# Per font: a character's advance, and what a pair adds to its first character's advance
# (the second's advance and their kerning), None for a pair that is not shaped plainly.
_ROW_STEPS: weakref.WeakKeyDictionary[ImageFont.FreeTypeFont, dict[str, int | None]] = (
    weakref.WeakKeyDictionary()
)


def _row_advance(text: str, font: ImageFont.FreeTypeFont, face: _Face) -> int | None:
    """``font.getlength(text)`` in 26.6, for a text laid out as a row of its characters'
    glyphs with each pair kerned as when alone (_Face.one_glyph, _Face.plain; every text in
    the basic layout): the first character's advance plus what each pair adds. None for any
    other text. Asking FreeType (basic layout) or Raqm (which shapes the whole text on
    every getlength) was most of a title's layout."""
    steps = _ROW_STEPS.get(font)
    if steps is None or len(steps) > 2 * _Glyphs.MAX_PAIRS:
        steps = _ROW_STEPS[font] = {}
    pairs = [text[i : i + 2] for i in range(len(text) - 1)]
    try:
        return steps[text[0]] + sum(map(steps.__getitem__, pairs))  # type: ignore[operator]
    except KeyError:
        pass
    except TypeError:  # a pair that is not plain
        return None
    for ch in set(text) - steps.keys():
        steps[ch] = round(font.getlength(ch) * 64) if face.one_glyph(ch) else None
    for pair in set(pairs) - steps.keys():
        plain = steps[pair[0]] is not None and steps[pair[1]] is not None and face.plain(pair)
        steps[pair] = round(font.getlength(pair) * 64) - steps[pair[0]] if plain else None  # type: ignore[operator]
    first = steps[text[0]]
    if first is None or any(steps[pair] is None for pair in pairs):
        return None
    return first + sum(map(steps.__getitem__, pairs))  # type: ignore[arg-type]


def _fits(text: str, font: ImageFont.FreeTypeFont, width: int) -> bool:
    return _width(text, font) <= width


def _is_rtl(text: str) -> bool:
    """Whether the first strongly directional character is right-to-left (Unicode bidi P2)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _direction(text: str, face: _Face) -> str | None:
    return "rtl" if face.shapes and _is_rtl(text) else None


# --- fonts ---------------------------------------------------------------------------------

# Spellings for characters the bundled font lacks, tried before Unicode decomposition.
_FALLBACK = {
    "–": "-",
    "—": " - ",
    "―": " - ",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "„": "“",
    "‚": "‘",
    "′": "'",
    "″": '"',
    "•": "·",
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "Th",
    "ı": "i",
    "€": "EUR",
    "£": "GBP",
}


class _Face:
    """One font file (or Pillow's bundled font) at any size, and which characters it has."""

    def __init__(self, font_bytes: bytes | None, where: str | None) -> None:
        self._bytes = font_bytes
        self._where = where
        self._sizes: dict[int, ImageFont.FreeTypeFont] = {}
        self._glyphs: dict[int, _Glyphs] = {}
        self._has: dict[str, bool] = {}
        self._one_glyph: dict[str, bool] = {}
        self._plain: dict[str, bool] = {}
        probe = self.font(48)
        if not isinstance(probe, ImageFont.FreeTypeFont):
            # Without FreeType, load_default() ignores the size and gives a tiny bitmap font.
            raise RuntimeError("social cards need Pillow built with FreeType support")
        # Raqm (HarfBuzz + FriBiDi) shapes Arabic and reorders right-to-left text; the bundled
        # font always uses the basic layout, which also keeps its output the same on machines
        # with and without Raqm.
        self.shapes = probe.layout_engine == ImageFont.Layout.RAQM
        self._notdef = self._glyph("\uffff")  # a noncharacter: no font maps it
        # The same font without shaping, which draws exactly what its character map has.
        self._unshaped = probe
        if self.shapes:
            layout = ImageFont.Layout.BASIC
            self._unshaped = ImageFont.truetype(
                io.BytesIO(font_bytes or b""), 48, layout_engine=layout
            )
        self._unmapped = self._mask_of(self._unshaped, "\uffff")

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._sizes:
            if self._bytes is None:
                self._sizes[size] = ImageFont.load_default(size=size)  # type: ignore[assignment]
            else:
                self._sizes[size] = ImageFont.truetype(io.BytesIO(self._bytes), size)
            _FACE_OF[self._sizes[size]] = self
        return self._sizes[size]

    def glyphs(self, font: ImageFont.FreeTypeFont) -> _Glyphs:
        """The glyph cache of ``font``, one of this face's sizes (a cache belongs to one font
        object, so to this face's bytes and that size)."""
        size = int(font.size)
        if size not in self._glyphs or self._glyphs[size].font is not font:
            self._glyphs[size] = _Glyphs(self, font)
        return self._glyphs[size]

    @staticmethod
    def _mask_of(font: ImageFont.FreeTypeFont, ch: str) -> tuple[object, ...]:
        mask = font.getmask(ch)
        return (mask.size, bytes(mask), font.getlength(ch))

    def _glyph(self, ch: str) -> tuple[object, ...]:
        return self._mask_of(self.font(48), ch)

    def one_glyph(self, ch: str) -> bool:
        """Whether the shaper makes ``ch`` one glyph whatever its neighbours, as far as can be
        told without its tables: so a line of such characters is its glyphs side by side,
        moved only by pair kerning (which :class:`_Glyphs` checks pair by pair).

        Pillow's basic layout is exactly that for every character. With Raqm, characters of
        scripts written as a row of letters (Latin, Greek, Cyrillic, CJK, punctuation,
        symbols) qualify; marks, which the shaper positions on their base, right-to-left
        and joining scripts do not, and nor does a character the font lacks but the shaper
        could spell from its decomposition (``é`` as ``e`` and an accent)."""
        if not self.shapes or ch == " ":
            return True
        if ch not in self._one_glyph:
            code = ord(ch)
            self._one_glyph[ch] = (
                any(low <= code <= high for low, high in _ROW_SCRIPTS)
                and unicodedata.category(ch)[0] not in "MCZ"
                and unicodedata.bidirectional(ch) in ("L", "EN", "ES", "ET", "CS", "ON")
                and (
                    unicodedata.decomposition(ch)[:1] in ("", "<")  # none, or compatibility only
                    or self._mask_of(self._unshaped, ch) != self._unmapped
                )
            )
        return self._one_glyph[ch]

    def plain(self, pair: str) -> bool:
        """Whether two characters are shaped as their two glyphs side by side, kerned by
        their advances only: checked by rendering the pair whole, which must give the same
        pixels (a ligature, such as DejaVu Sans's "ff", or a contextual form does not).
        Shaping does not depend on the size, so this is checked once, at the largest title
        size, where a glyph moved without its advance (GPOS placement) shows most."""
        if not self.shapes:
            return True  # Pillow's basic layout: glyphs by character, kerning by advance
        if pair not in self._plain:
            if len(self._plain) >= _Glyphs.MAX_PAIRS:
                self._plain.clear()
            self._plain[pair] = self.glyphs(self.font(_CHECK_SIZE)).side_by_side(pair)
        return self._plain[pair]

    @cached_property
    def composes(self) -> bool:
        """Whether lines may be drawn from cached glyphs at all: this Pillow blends glyphs
        as draw_bitmap does, and a line of kerned, overlapping glyphs composed at several
        fractional starting points has the pixels of the line rendered whole."""
        if not _BLENDS_LIKE_DRAW_BITMAP:
            return False
        glyphs = self.glyphs(self.font(_CHECK_SIZE))
        return all(glyphs.same(_SELF_TEST, fraction / 64) for fraction in (0, 13, 32, 50))

    def has(self, ch: str) -> bool:
        """Whether the font draws ``ch`` as something other than its missing-glyph box."""
        if ch not in self._has:
            self._has[ch] = self._glyph(ch) != self._notdef
        return self._has[ch]

    def renderable(self, text: str) -> str:
        """``text`` with whitespace collapsed and every character the font lacks spelt
        with ones it has, or left out; at most MAX_CHARS long."""
        text = text[: 4 * MAX_CHARS]
        if text.isascii() and text.isprintable() and all(map(self.has, set(text))):
            # Most titles: nothing to normalise, drop or spell, so only spaces to collapse.
            return " ".join(text.split())[:MAX_CHARS].strip()
        out: list[str] = []
        for ch in unicodedata.normalize("NFC", text):
            category = unicodedata.category(ch)
            if ch.isspace() or category == "Zs":
                out.append(" ")
            elif category in ("Cc", "Cs") or ch == "\u00ad":
                continue  # control characters, lone surrogates, soft hyphens
            elif self.has(ch):
                out.append(ch)
            else:
                spelt = _FALLBACK.get(ch) or unicodedata.normalize("NFKD", ch)
                out.extend(c for c in spelt if c == " " or (c != ch and self.has(c)))
        return " ".join("".join(out).split())[:MAX_CHARS].strip()


# Blocks of scripts written as a row of separate letters (see _Face.one_glyph).
_ROW_SCRIPTS = (
    (0x0020, 0x058F),  # Latin, Greek, Cyrillic, Armenian (their combining marks are refused)
    (0x1D00, 0x1FFF),  # phonetic extensions, Latin Extended Additional, Greek Extended
    (0x2000, 0x2BFF),  # punctuation, currency, letterlike symbols, arrows, mathematics
    (0x2E00, 0x2E7F),  # supplemental punctuation
    (0x3000, 0x30FF),  # CJK punctuation, Hiragana, Katakana
    (0x4E00, 0x9FFF),  # CJK ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFF01, 0xFF60),  # full-width forms
)


# Words and the spaces between them, the pieces a line is composed from.
_WORDS = re.compile(r" |[^ ]+")
_NOT_COMPOSABLE = object()
if TYPE_CHECKING:
    # A glyph's ink: its box within the glyph's mask, and the ink cut to that box as
    # palette indices of each role, with their moments.
    _GlyphInk = tuple[
        int, int, int, int, tuple[Image.core.ImagingCore, ...], tuple[tuple[int, int, int], ...]
    ]
    # A character's mask (None for a blank) with its offset from the pen and the baseline,
    # width and height, advance (26.6), and ink (None for none).
    _Glyph = tuple[Image.core.ImagingCore | None, int, int, int, int, int, _GlyphInk | None]
    # A glyph in a word: its mask, pen offset from the start of the word (26.6), offset
    # from the pen and the baseline, width and height, and ink.
    _Placed = tuple[Image.core.ImagingCore, int, int, int, int, int, _GlyphInk | None]


class _Glyphs:
    """One font at one size, cached as the pieces Pillow's renderer makes a line from.

    Pillow (``font_render`` in _imagingft.c) lays a line out as glyphs with 26.6 advances,
    renders each glyph alone at the whole pixel nearest its pen position, and blends it
    over the glyphs before it exactly as ``draw_bitmap`` blends a mask. So a line of
    characters that shape to one glyph each (:meth:`_Face.one_glyph`), moved only by pair
    kerning (:meth:`_Face.plain`), is drawn the same from each character's cached mask and
    advance and each pair's cached kerning, all measured with this font. Each line is
    checked too: its advances must add up to the width the shaper gives the whole line. A
    word with a pair that is not plain (a ligature) is rendered whole in its place; a
    line with anything else (marks, right-to-left text) is rendered whole.

    What the checks cannot see is shaping that spans three or more characters without
    showing in any pair or in the line's width: a ligature of three letters whose pairs
    are plain, drawn as wide as they are. Fonts for text rarely have one (DejaVu Sans's
    ligatures, ff, fi and fl, show as pairs); a theme font that did would have those
    letters drawn apart.

    Bounded: a cache that outgrows its limit starts again (titles in many scripts)."""

    MAX_GLYPHS = 1024
    MAX_PAIRS = 8192
    MAX_WORDS = 8192

    def __init__(self, face: _Face, font: ImageFont.FreeTypeFont) -> None:
        self.face = face
        self.font = font
        # None for a character that cannot be composed.
        self._glyphs: dict[str, _Glyph | None] = {}
        self._kerning: dict[str, int | None] = {}
        self._words: dict[str, tuple[tuple[_Placed, ...] | None, int] | object] = {}
        self._meet: dict[tuple[object, object, int, int], bool] = {}

    def compose(
        self, line: str, x: float, baseline: float, role: int = 0
    ) -> tuple[tuple[_Part, ...], _Box, tuple[_Copy, ...] | None] | None:
        """The parts that draw ``line`` as :func:`_rendered` renders it at point (x, baseline),
        the box they cover, and their inks as palette indices of ``role`` if no two of them
        have ink at one pixel (see _Ink.indexed); or None where the line cannot be
        composed."""
        return self._compose(line, x, baseline, role) if self.face.composes else None

    def _compose(
        self, line: str, x: float, baseline: float, role: int = 0
    ) -> tuple[tuple[_Part, ...], _Box, tuple[_Copy, ...] | None] | None:
        if not line or baseline != int(baseline):
            return None
        pen = math.modf(x)[0] * 64  # Pillow starts the pen at the fraction, in 26.6
        if pen != int(pen):
            return None
        start = pen = int(pen)
        left, base = int(x), int(baseline)
        parts: list[_Part] = []
        indexed: list[_Copy] = []
        # The inks' boxes so far, with their masks and places; and the rightmost box edge
        # of each and all before it.
        inks: list[tuple[int, int, int, int, Image.core.ImagingCore, int, int]] = []
        reach: list[int] = []
        far = -(1 << 30)
        add_part, add_copy, add_ink, add_reach = (
            parts.append,
            indexed.append,
            inks.append,
            reach.append,
        )
        disjoint = True
        x0 = y0 = 1 << 30
        x1 = y1 = barrier = -(1 << 30)  # no glyph may start left of the barrier
        last = ""
        for word in _WORDS.findall(line):
            entry = self._words.get(word) or self._word(word)
            if entry is _NOT_COMPOSABLE:
                return None
            glyphs, advance = entry
            if last:
                kerning = self._pair(last + word[0])
                if kerning is None:
                    return None
                pen += kerning
            if glyphs is None:
                # A word rendered whole, apart from the rest: nothing it draws can then be
                # blended with another glyph, so neither can the order in which they are.
                mask, px, py = _rendered(self.font, word, left + pen / 64, base, None)
                if x1 > px:
                    return None
                parts.append((mask, px, py))
                x0, y0 = min(x0, px), min(y0, py)
                x1, y1 = max(x1, px + mask.size[0]), max(y1, py + mask.size[1])
                barrier = x1
                disjoint = False  # drawn as coverage: it has no inks cut as indices
                pen += advance
                last = word[-1]
                continue
            for mask, offset, dx, dy, width, height, ink in glyphs:
                px = left + ((pen + offset + 32) >> 6) + dx  # the pen rounded, as PIXEL()
                py = base + dy
                if px < barrier:
                    return None
                add_part((mask, px, py))
                if px < x0:
                    x0 = px
                if py < y0:
                    y0 = py
                if px + width > x1:
                    x1 = px + width
                if py + height > y1:
                    y1 = py + height
                if ink is None or not disjoint:
                    continue
                ix0, iy0, ix1, iy1, copies, moments = ink
                ax0, ay0, ax1, ay1 = px + ix0, py + iy0, px + ix1, py + iy1
                # Inks to the left whose boxes reach this one's: do they meet?
                clear = True
                if far > ax0:
                    n = len(inks) - 1
                    while disjoint and n >= 0 and reach[n] > ax0:
                        bx0, by0, bx1, by1, other, ox, oy = inks[n]
                        if bx1 > ax0 and bx0 < ax1 and by1 > ay0 and by0 < ay1:
                            clear = False
                            disjoint = not self._inks_meet(other, mask, px - ox, py - oy)
                        n -= 1
                if ax1 > far:
                    far = ax1
                add_ink((ax0, ay0, ax1, ay1, mask, px, py))
                add_reach(far)
                add_copy((copies[role], ax0, ay0, ax1, ay1, clear, moments[role]))
            pen += advance
            last = word[-1]
        if pen - start != round(_width(line, self.font) * 64):
            return None  # shaped as a whole, the line is not these glyphs side by side
        box = (x0, y0, x1, y1) if parts else (0, 0, 0, 0)
        return tuple(parts), box, tuple(indexed) if disjoint else None

    def _inks_meet(
        self, one: Image.core.ImagingCore, other: Image.core.ImagingCore, dx: int, dy: int
    ) -> bool:
        """Whether ``other``, drawn (dx, dy) from ``one``, has ink where ``one`` has."""
        key = (one, other, dx, dy)
        if key not in self._meet:
            if len(self._meet) >= self.MAX_PAIRS:
                self._meet.clear()
            box = (
                max(0, dx),
                max(0, dy),
                min(one.size[0], dx + other.size[0]),
                min(one.size[1], dy + other.size[1]),
            )
            self._meet[key] = (
                box[0] < box[2]
                and box[1] < box[3]
                and ImageChops.darker(
                    _paint(((one, 0, 0),), box), _paint(((other, dx, dy),), box)
                ).getbbox()
                is not None
            )
        return self._meet[key]

    def _word(self, word: str) -> tuple[tuple[_Placed, ...] | None, int] | object:
        """A word's (or a space's) glyphs placed from its start (None: render it whole), and
        its advance, in 26.6."""
        if len(self._words) >= self.MAX_WORDS:
            self._words.clear()
        placed: list[_Placed] = []
        pen = 0
        for n, ch in enumerate(word):
            glyph = self._glyph(ch)
            kerning = self._pair(word[n - 1 : n + 1]) if n else 0
            if glyph is None:
                self._words[word] = _NOT_COMPOSABLE
                return _NOT_COMPOSABLE
            if kerning is None:
                # A ligature or a contextual form: the word is rendered whole, at its place
                # in the line (its glyphs and their places do not depend on what is beyond
                # the spaces around it, as the pairs with spaces were checked to show).
                whole = (None, round(_width(word, self.font) * 64))
                if all(self._glyph(c) is not None for c in word):
                    self._words[word] = whole
                    return whole
                self._words[word] = _NOT_COMPOSABLE
                return _NOT_COMPOSABLE
            pen += kerning
            mask, dx, dy, width, height, advance, ink = glyph
            if mask is not None:
                placed.append((mask, pen, dx, dy, width, height, ink))
            pen += advance
        self._words[word] = (tuple(placed), pen)
        return self._words[word]

    def _glyph(self, ch: str) -> _Glyph | None:
        if ch not in self._glyphs:
            if len(self._glyphs) >= self.MAX_GLYPHS:
                self._glyphs.clear()
            glyph = None
            if self.face.one_glyph(ch):
                mask, dx, dy = _rendered(self.font, ch, 0, 0, None)
                width, height = mask.size
                advance = round(_width(ch, self.font) * 64)
                # Its ink, cut to the ink's box, as palette indices of each role.
                box = mask.getbbox() if width and height else None
                ink = None
                if box:
                    image = _paint(
                        ((mask, -box[0], -box[1]),), (0, 0, box[2] - box[0], box[3] - box[1])
                    )
                    coverage = image.tobytes()
                    levels = _moments(coverage.translate(_LUTS[0]), image.width)
                    inked = _moments(coverage.translate(_INKED), image.width)
                    ink = (
                        *box,
                        tuple(
                            Image.frombytes("L", image.size, coverage.translate(lut)).im
                            for lut in _LUTS
                        ),
                        # Role n's index is role 0's plus 85 n wherever there is ink.
                        tuple(
                            tuple(
                                level + n * BLEND_STEPS * one
                                for level, one in zip(levels, inked, strict=True)
                            )
                            for n in range(len(_ROLES))
                        ),
                    )
                glyph = (mask if width and height else None, dx, dy, width, height, advance, ink)
            self._glyphs[ch] = glyph
        return self._glyphs[ch]

    def _pair(self, pair: str) -> int | None:
        """The kerning between two characters in 26.6, or None if they are not composable."""
        if pair not in self._kerning:
            if len(self._kerning) >= self.MAX_PAIRS:
                self._kerning.clear()
            first, second = self._glyph(pair[0]), self._glyph(pair[1])
            kerning = None
            if first is not None and second is not None and self.face.plain(pair):
                kerning = round(_width(pair, self.font) * 64) - first[5] - second[5]
            self._kerning[pair] = kerning
        return self._kerning[pair]

    def side_by_side(self, pair: str) -> bool:
        """Whether two characters rendered together give the pixels of their glyphs drawn
        side by side, the second moved by the pair's kerning (its advance less theirs)."""
        first, second = self._glyph(pair[0]), self._glyph(pair[1])
        if first is None or second is None:
            return False
        kerning = round(_width(pair, self.font) * 64) - first[5] - second[5]
        parts = [
            (mask, ((pen + 32) >> 6) + dx, dy)  # the pen rounded, as PIXEL()
            for (mask, dx, dy, *_rest), pen in ((first, 0), (second, first[5] + kerning))
            if mask is not None
        ]
        rendered = (_rendered(self.font, pair, 0, 0, None),)
        box = _extent((*parts, *rendered))
        return _coverage(parts, box) == _coverage(rendered, box)

    def same(self, text: str, x: float) -> bool:
        """Whether ``text`` composed and rendered whole at (x, 0) give the same pixels."""
        composed = self._compose(text, x, 0)
        if composed is None:
            return False
        rendered = (_rendered(self.font, text, x, 0, None),)
        box = _extent((*composed[0], *rendered))
        return _coverage(composed[0], box) == _coverage(rendered, box)


# Pillow blends a glyph over the ones before it as draw_bitmap does from 10.2 on (before, it
# kept the larger coverage: python-pillow/Pillow#7497). Each font's first check (_SELF_TEST)
# would likely notice such a change too, but not surely: its glyphs may not overlap.
_BLENDS_LIKE_DRAW_BITMAP = tuple(int(n) for n in re.findall(r"\d+", PIL.__version__)[:2]) >= (10, 2)
# Kerned pairs whose glyphs overlap, round and straight letters: what a font's glyph cache
# is checked with, at several fractional starting points, before it is used.
_SELF_TEST = "AVAWAYTo Hxo.Tyk"
_CHECK_SIZE = TITLE_SIZES[0]


@lru_cache(maxsize=8)
def _load_face(where: str | None, _stamp: tuple[int, int] | None) -> _Face:
    if where is None:
        return _Face(None, None)
    try:
        with open(where, "rb") as handle:
            data = handle.read()
        face = _Face(data, where)
    except OSError as exc:
        raise ConfigError(
            Problem(
                f"cannot use this font for social cards: {exc.strerror or exc}",
                path=where,
                hint="give a TrueType or OpenType file (.ttf, .otf)",
            )
        ) from exc
    return face


def _face(font_path: str | os.PathLike[str] | None) -> _Face:
    if font_path is None:
        return _load_face(None, None)
    where = os.fspath(font_path)
    try:
        stat = os.stat(where)
        stamp = (stat.st_mtime_ns, stat.st_size)  # a font edited while watching is reloaded
    except OSError:
        stamp = None
    return _load_face(where, stamp)
