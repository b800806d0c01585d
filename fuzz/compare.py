"""Output trees compared byte for byte, and the difference shown so that it can be read."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

MAX_DIFF_LINES = 60


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative POSIX path → bytes); {} when it is not there."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Difference:
    files: list[str]  # every file that differs, sorted
    diff: str  # the first one's difference, readable


def compare(
    got: dict[str, bytes], want: dict[str, bytes], label: str, want_label: str = "clean"
) -> Difference | None:
    """How ``got`` (the output of the build called ``label``) differs from ``want`` (a clean
    build's, or as named), or None when they are the same byte for byte."""
    names = sorted(n for n in got.keys() | want.keys() if got.get(n) != want.get(n))
    if not names:
        return None
    # The first file that is text in both, when there is one: a card's PNG reads badly.
    texts = (n for n in names if _text(got.get(n)) is not None and _text(want.get(n)) is not None)
    first = next(texts, names[0])
    diff = file_diff(first, got.get(first), want.get(first), label, want_label)
    return Difference(names, diff)


def file_diff(
    name: str, got: bytes | None, want: bytes | None, label: str, want_label: str = "clean"
) -> str:
    """A unified diff of one file: the clean build's (``-``), then ``label``'s (``+``)."""
    if got is None:
        return f"{name}: in the {want_label} output, missing from {label}'s"
    if want is None:
        return f"{name}: in {label}'s output, not in the {want_label} one"
    got_text, want_text = _text(got), _text(want)
    if got_text is None or want_text is None:
        at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
        where = f"first at byte {at}" if at is not None else "one is the other's start"
        return f"{name}: binary, {len(want)} bytes {want_label}, {len(got)} in {label} ({where})"
    lines = difflib.unified_diff(
        _lines(want_text),
        _lines(got_text),
        f"{want_label}/{name}",
        f"{label}/{name}",
        n=2,
        lineterm="",
    )
    out = [line[:300] for line in lines]
    if len(out) > MAX_DIFF_LINES:
        out = [*out[:MAX_DIFF_LINES], f"... ({len(out) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(out)


def _text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lines(text: str) -> list[str]:
    # Pages and feeds put many elements on a line: one element a line, for a short diff
    # (in a feed's content too, where they are escaped).
    return re.sub(r"(>|&gt;)\s*(<|&lt;)", r"\1\n\2", text).split("\n")


PLANTED = b"<!-- planted by the fuzzer's --plant -->"


def plant(folder: Path) -> str:
    """Change one output file of ``folder`` (its first HTML page) as no build would; the
    fuzzer must then report a difference (``--plant``: a test of the fuzzer)."""
    pages = sorted(folder.rglob("*.html"))
    assert pages, f"nothing to plant into in {folder}"
    with pages[0].open("ab") as fh:
        fh.write(PLANTED)
    return pages[0].relative_to(folder).as_posix()
