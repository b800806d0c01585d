"""A site for the fuzzers: the one a seed starts from, and questions about it as it is.

The essays and books come from benchmarks/corpus.py (its vocabulary too); the settings
turn on what the edits play with (contact variants, pagination, feeds, affiliate links).
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

# The corpus of the benchmarks, and the passivepress of this checkout (rather than one
# installed from elsewhere; the venv's editable install is this one anyway).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from corpus import TAGS, WORDS, generate
from logfs import FS

from passivepress.urls import slug_from_filename

REPO = Path(__file__).resolve().parents[1]

__all__ = ["TAGS", "WORDS"]

# "Now" for every build, as in the tests (tests/conftest.py): which essays are drafts of
# the future never depends on the day the fuzzer runs. Edits aim at either side of it.
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TODAY = "2024-06-01"

ESSAYS = "content/essays"
BOOKS = "content/books"
PAGES = "content/pages"
CONTACT = "content/pages/contact.md"
CONFIG = "passivepress.yml"


# --- front matter, as text -------------------------------------------------------------
# Edits change front matter by lines, not by loading and dumping YAML, so that the rest of
# the file stays byte for byte as it was (as an author's edit leaves it).


def split(text: str) -> tuple[str, str] | None:
    """(front matter, body), or None when the text has no front matter block."""
    if not text.startswith("---\n"):
        return None
    head, sep, body = text[4:].partition("\n---\n")
    return (head, body) if sep else None


def _lines_without(head: str, key: str) -> list[str]:
    out: list[str] = []
    skipping = False
    for line in head.split("\n"):
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "\t", "- ")) or line == ""):
            continue  # the key's block value
        skipping = False
        out.append(line)
    return out


def set_front(text: str, key: str, value: str | None) -> str:
    """``text`` with ``key: value`` last in its front matter (``None``: the key removed)."""
    parts = split(text)
    assert parts is not None, "no front matter"
    head, body = parts
    lines = _lines_without(head, key)
    if value is not None:
        lines.append(f"{key}: {value}")
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def q(s: str) -> str:
    """A YAML string (JSON's quoting is YAML's)."""
    return json.dumps(s, ensure_ascii=False)


def flow(items: list[str]) -> str:
    """A YAML flow list of strings."""
    return "[" + ", ".join(q(i) for i in items) + "]"


def is_future(meta: dict) -> bool:
    return str(meta.get("date", ""))[:10] > TODAY


def png(w: int, h: int, colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, "PNG")
    return buf.getvalue()


class View:
    """Questions about the site as it is on disk (what edits may pick)."""

    def __init__(self, fs: FS) -> None:
        self.fs = fs

    def files(self, folder: str) -> list[str]:
        base = self.fs.p(folder)
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.fs.root).as_posix() for p in base.rglob("*.md"))

    def meta(self, rel: str) -> dict | None:
        """The file's front matter, or None when it has none that loads as a mapping."""
        try:
            parts = split(self.fs.read(rel))
            data = yaml.safe_load(parts[0]) if parts else None
        except Exception:
            return None
        return data if isinstance(data, dict) else None

    def body(self, rel: str) -> str:
        parts = split(self.fs.read(rel))
        return parts[1] if parts else ""

    def slug_of(self, rel: str) -> str:
        slug = (self.meta(rel) or {}).get("slug")
        return str(slug) if slug else slug_from_filename(Path(rel).stem)

    def essays(self, published: bool = False) -> list[str]:
        """Essays whose front matter loads (``published``: neither drafts nor future)."""
        out = []
        for rel in self.files(ESSAYS):
            meta = self.meta(rel)
            if meta is None:
                continue
            if published and (meta.get("draft") is True or is_future(meta)):
                continue
            out.append(rel)
        return out

    def books(self) -> list[str]:
        return [r for r in self.files(BOOKS) if self.meta(r) is not None]

    def pages(self) -> list[str]:
        return [r for r in self.files(PAGES) if self.meta(r) is not None]

    def book_slugs(self) -> list[str]:
        return [self.slug_of(r) for r in self.books()]

    def all_slugs(self, folder: str) -> set[str]:
        return {self.slug_of(r) for r in self.files(folder)}

    def config(self) -> dict | None:
        try:
            data = yaml.safe_load(self.fs.read(CONFIG))
        except Exception:
            return None
        return data if isinstance(data, dict) else None

    def variants(self) -> list[str]:
        contact = (self.config() or {}).get("contact") or {}
        return sorted((contact.get("variants") or {}).keys())

    def headings(self, rel: str) -> list[str]:
        return re.findall(r"(?m)^## (.+)$", self.body(rel))


def base_site(fs: FS, rng: random.Random, essays: int, books: int, corpus_seed: int) -> None:
    """The corpus's site with the fuzzers' settings and two pictures, every file logged."""
    generate(fs.root, essays=essays, books=books, seed=corpus_seed)
    fs.record_all()
    config: dict[str, Any] = {
        "title": "Benchmark Mentor",
        "description": "A long-running author's site.",
        "base_url": rng.choice(
            ["https://example.com/", "https://example.com/", "https://name.github.io/site/"]
        ),
        "timezone": "Europe/London",
        "author": {"name": "Ada Mentor", "email": "ada@example.com"},
        "contact": {
            "email": "ada@example.com",
            "text": "Write to me.",
            "booking_url": "https://cal.example.com/ada",
            "variants": {
                "speaking": {"heading": "Invite me to speak", "text": "I give talks."},
                "mentoring": {"heading": "Mentoring", "booking_url": "https://cal.example.com/m"},
            },
            "tags": {"leadership": "speaking"} if rng.random() < 0.5 else {},
        },
        "menu": [{"title": "Essays", "url": "/essays/"}, {"title": "Books", "url": "/books/"}],
        "pagination": {"per_page": rng.choice([2, 3, 5, 10])},
        "home": {"essays": rng.choice([3, 5])},
        "feeds": {"limit": rng.choice([0, 5, 20])},
        "affiliate": {"rules": [{"domain": "shop.example", "param": "tag", "value": "ada-20"}]},
    }
    fs.write(CONFIG, dump_config(config))
    fs.write_bytes("static/images/pic.png", png(20, 10, (200, 0, 0)))
    fs.write_bytes("static/covers/cover-a.png", png(60, 90, (0, 100, 0)))


def dump_config(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
