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
"""

from __future__ import annotations

import io
import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFont

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

    # Each colour is drawn as coverage (0-255) on a layer of its own; the layers become one
    # palette image at the end. The layers stop at CLIP; layout coordinates are relative to
    # the MARGIN box, and `inset` moves them onto the layers.
    canvas = (WIDTH - 2 * CLIP, HEIGHT - 2 * CLIP)
    layers = {role: Image.new("L", canvas, 0) for role in _ROLES}
    draw = {role: ImageDraw.Draw(layer) for role, layer in layers.items()}
    inset = MARGIN - CLIP
    width, height = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    title = face.renderable(title)
    rtl = _is_rtl(title)

    def x_for(line_width: float) -> float:
        return inset + (width - line_width if rtl else 0)

    bar_x = x_for(BAR_WIDTH)
    draw["accent"].rectangle(
        (bar_x, inset, bar_x + BAR_WIDTH - 1, inset + BAR_HEIGHT - 1), fill=255
    )

    # The foot, bottom up: site name, then author, each on one line.
    foot_top = inset + height
    for text, size, role in (
        (face.renderable(site), SITE_SIZE, "muted"),
        (face.renderable(author), AUTHOR_SIZE, "text"),
    ):
        if not text:
            continue
        font = face.font(size)
        line = _fit_line(text, font, width)
        ascent, descent = font.getmetrics()
        baseline = foot_top - descent
        draw[role].text(
            (x_for(_width(line, font)), baseline),
            line,
            font=font,
            fill=255,
            anchor="ls",
            direction=_direction(line, face),
        )
        foot_top = baseline - ascent - FOOT_GAP

    if title:
        top = inset + BAR_HEIGHT + 40
        room = foot_top - 28 - top
        font, lines, leading = _layout_title(title, face, width, room)
        ascent, _descent = font.getmetrics()
        baseline = top + min(ascent, leading)
        for line in lines:
            draw["text"].text(
                (x_for(_width(line, font)), baseline),
                line,
                font=font,
                fill=255,
                anchor="ls",
                direction="rtl" if rtl and face.shapes else None,
            )
            baseline += leading

    # Palette index 0 is the background; each role owns BLEND_STEPS indices that blend from
    # the background to its colour, so colours are exact where coverage is full and within
    # ±2 of the true blend elsewhere. The roles' pixels never overlap, so the largest index
    # at a pixel is its only one.
    indices = Image.new("L", canvas, 0)
    for role, lut in zip(_ROLES, _LUTS, strict=True):
        # Only the part of a layer with ink is mapped (lut[0] is 0: empty stays empty).
        box = layers[role].getbbox()
        if box is not None:
            ink = layers[role].crop(box).point(lut)
            indices.paste(ImageChops.lighter(indices.crop(box), ink), box)
    out = Image.new("L", (WIDTH, HEIGHT), 0)
    out.paste(indices, (CLIP, CLIP))
    out.putpalette(_palette(colours))  # makes it a "P" image

    buffer = io.BytesIO()
    # Fixed settings and no metadata chunks (Pillow writes no tIME), so bytes are stable.
    # Level 1: a third of level 6's time for files ~40% larger (about 18 kB), which matters
    # more on a cold build of a thousand essays than to a link preview.
    out.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


_ROLES = ("text", "muted", "accent")
BLEND_STEPS = 85  # 1 + 3 × 85 = 256 palette entries
# Coverage 0-255 on a role's layer → its palette index (0, the background, where uncovered).
_LUTS = tuple(
    [0] + [n * BLEND_STEPS + max(1, round(v * BLEND_STEPS / 255)) for v in range(1, 256)]
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
        lines = _wrap(title, font, width, max_lines + 1)
        if len(lines) <= max_lines:
            return font, lines, leading
    lines = lines[:max_lines]
    lines[-1] = _with_ellipsis(lines[-1], font, width)
    return font, lines, leading


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, limit: int) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters.
    Stops once ``limit`` lines exist: the caller only needs to know it overflowed."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if len(lines) >= limit:
            break
        candidate = f"{current} {word}" if current else word
        if _fits(candidate, font, width):
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _break_word(word, font, width, limit - len(lines))
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current and len(lines) < limit:
        lines.append(current)
    return lines


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


def _width(text: str, font: ImageFont.FreeTypeFont) -> float:
    """How far ``text`` advances. Ink that pokes past the advance (an italic overhang) lands
    in the slack between MARGIN and CLIP, so the advance is all layout needs."""
    return font.getlength(text) if text else 0


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
        self._has: dict[str, bool] = {}
        probe = self.font(48)
        if not isinstance(probe, ImageFont.FreeTypeFont):
            # Without FreeType, load_default() ignores the size and gives a tiny bitmap font.
            raise RuntimeError("social cards need Pillow built with FreeType support")
        # Raqm (HarfBuzz + FriBiDi) shapes Arabic and reorders right-to-left text; the bundled
        # font always uses the basic layout, which also keeps its output the same on machines
        # with and without Raqm.
        self.shapes = probe.layout_engine == ImageFont.Layout.RAQM
        self._notdef = self._glyph("\uffff")  # a noncharacter: no font maps it

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._sizes:
            if self._bytes is None:
                self._sizes[size] = ImageFont.load_default(size=size)  # type: ignore[assignment]
            else:
                self._sizes[size] = ImageFont.truetype(io.BytesIO(self._bytes), size)
        return self._sizes[size]

    def _glyph(self, ch: str) -> tuple[object, ...]:
        font = self.font(48)
        mask = font.getmask(ch)
        return (mask.size, bytes(mask), font.getlength(ch))

    def has(self, ch: str) -> bool:
        """Whether the font draws ``ch`` as something other than its missing-glyph box."""
        if ch not in self._has:
            self._has[ch] = self._glyph(ch) != self._notdef
        return self._has[ch]

    def renderable(self, text: str) -> str:
        """``text`` with whitespace collapsed and every character the font lacks spelt
        with ones it has, or left out; at most MAX_CHARS long."""
        out: list[str] = []
        for ch in unicodedata.normalize("NFC", text[: 4 * MAX_CHARS]):
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
