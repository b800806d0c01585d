"""What search engines and link previews read: titles, descriptions, sitemap, robots.txt."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from passivepress.config import Config
from passivepress.urls import absolute

_SPACE = re.compile(r"\s+")


def describe(text: str, limit: int = 155) -> str:
    """A meta description: plain text, cut at a word boundary near ``limit`` characters."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"


def page_title(title: str, config: Config) -> str:
    if not title or title == config.title:
        return config.title
    return f"{title} — {config.title}"


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    lastmod: datetime | None = None


def sitemap(entries: Iterable[SitemapEntry], config: Config) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for entry in sorted(entries, key=lambda e: e.path):
        lines.append(
            f"  <url><loc>{html.escape(absolute(entry.path, config.base_url), quote=False)}</loc>"
            + (f"<lastmod>{entry.lastmod.isoformat()}</lastmod>" if entry.lastmod else "")
            + "</url>"
        )
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def robots(config: Config) -> bytes:
    return (
        f"User-agent: *\nAllow: /\n\nSitemap: {absolute('/sitemap.xml', config.base_url)}\n"
    ).encode()
