"""Fill in what Markdown directives and roles left for later: ``{book}`` cards, {book}`slug`
links and ``{cta}`` boxes. They need every book (and the theme) to be known, so they are
rendered after loading, through the theme's partials so a site can restyle them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from markupsafe import Markup

from passivepress import cta, theme
from passivepress.model import Book, Essay, Page, Site, bind_html


def _book_feed_card(book: Book, base_url: str) -> str:
    """A plain card for feed readers: no classes, absolute links."""
    e = html.escape
    url = urljoin(base_url, book.url)
    parts = [f'<p><strong><a href="{e(url)}">{e(book.title)}</a></strong>']
    if book.author:
        parts.append(f" by {e(book.author)}")
    if book.summary:
        parts.append(f"<br>{e(book.summary)}")
    sponsored = ' rel="sponsored noopener"'
    links = [
        f'<a href="{e(link.url)}"{sponsored if link.affiliate else ""}>{e(link.label)}</a>'
        for link in book.links
    ]
    if links:
        parts.append("<br>" + " · ".join(links))
    return "".join(parts) + "</p>"


def resolve(
    site: Site,
    env: theme.TrackingEnvironment,
    site_dir: Path,
    contact_url: str | None,
    memo: dict[str, Any] | None = None,
    items: Sequence[Essay | Book | Page] | None = None,
) -> None:
    """Replace every placeholder in every item's HTML (or in ``items``' only); the loader
    has checked the slugs.

    ``memo`` (a preview's, kept between builds with the same theme and configuration)
    remembers each item's finished HTML: when its body and every filled-in part are the
    same as last time, the same strings are used again instead of being rebuilt.
    """
    books = {b.slug: b for b in site.books}
    config = site.config
    made: dict[tuple[str, str], tuple[str, str]] = {}  # a book's card or link, made once
    for item in (*site.essays, *site.books, *site.pages) if items is None else items:
        if not item.embeds:
            continue
        parts = []
        for n, embed in enumerate(item.embeds, start=1):
            if embed.kind in ("book", "book-link"):
                key = (embed.kind, embed.arg)
                if key not in made:
                    made[key] = _book(
                        embed.kind,
                        books.get(embed.arg),
                        embed.arg,
                        env,
                        site_dir,
                        config.base_url,
                        item.source,
                    )
                page, feed = made[key]
            else:
                tags = [t.slug for t in item.tags] if isinstance(item, Essay) else []
                override = embed.arg or (item.cta if isinstance(item, (Essay, Page)) else None)
                if override is False:
                    override = None  # an explicit {cta} shows even where the end one is off
                chosen = cta.make(config, override, item.title, item.url, contact_url, tags)
                page, _ = theme.render(
                    env,
                    "_cta.html",
                    {"cta": chosen, "cta_id": f"-{n}"},
                    f"the {{cta}} box in {item.source}",
                    site_dir,
                )
                feed = cta.feed_html(chosen, config)
            parts.append((embed.placeholder, page, feed))
        body = item.html
        last = memo.get(item.key) if memo is not None else None
        if last is not None and last[0] is body and last[1] == parts:
            bind_html(item, *last[2:])
            continue
        page_html = str(body)
        for placeholder, page, _ in parts:
            page_html = page_html.replace(placeholder, page)
        finished = Markup(page_html)
        # Longest first, so a card that contains a link is swapped whole; empty or
        # unchanged fragments are left out (replace() with them is a no-op or worse).
        pairs = {(page, feed) for _, page, feed in parts if page and page != feed}
        feed_parts = tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))
        if memo is not None:
            # Without a memo to fill (a one-off build), the body before embeds is let go:
            # kept for every essay, at 10,000 essays it was 100 MB of the peak.
            memo[item.key] = (body, parts, finished, feed_parts)
        bind_html(item, finished, feed_parts)


def _book(
    kind: str,
    book: Book | None,
    slug: str,
    env: theme.TrackingEnvironment,
    site_dir: Path,
    base_url: str,
    source: object,
) -> tuple[str, str]:
    """A book's card or link: (for the page, for feeds)."""
    if book is None:  # a draft book: show the title, link nowhere
        return html.escape(slug), html.escape(slug)
    if kind == "book-link":
        page = f'<a class="book-link" href="{html.escape(book.url)}">{html.escape(book.title)}</a>'
        feed = f'<a href="{html.escape(urljoin(base_url, book.url))}">{html.escape(book.title)}</a>'
        return page, feed
    page, _ = theme.render(
        env, "_book_embed.html", {"book": book}, f"the {{book}} card in {source}", site_dir
    )
    return page, _book_feed_card(book, base_url)
