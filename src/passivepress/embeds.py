"""Fill in what Markdown directives and roles left for later: ``{book}`` cards, {book}`slug`
links and ``{cta}`` boxes. They need every book (and the theme) to be known, so they are
rendered after loading, through the theme's partials so a site can restyle them.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urljoin

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
    site: Site, env: theme.TrackingEnvironment, site_dir: Path, contact_url: str | None
) -> None:
    """Replace every placeholder in every item's HTML; the loader has checked the slugs."""
    books = {b.slug: b for b in site.books}
    config = site.config
    for item in (*site.essays, *site.books, *site.pages):
        if not item.embeds:
            continue
        page_html, feed_parts = str(item.html), {}
        for n, embed in enumerate(item.embeds, start=1):
            if embed.kind in ("book", "book-link"):
                book = books.get(embed.arg)
                if book is None:  # a draft book: show the title, link nowhere
                    page, feed = html.escape(embed.arg), html.escape(embed.arg)
                elif embed.kind == "book-link":
                    page = (
                        f'<a class="book-link" href="{html.escape(book.url)}">'
                        f"{html.escape(book.title)}</a>"
                    )
                    feed = (
                        f'<a href="{html.escape(urljoin(config.base_url, book.url))}">'
                        f"{html.escape(book.title)}</a>"
                    )
                else:
                    page, _ = theme.render(
                        env,
                        "_book_embed.html",
                        {"book": book},
                        f"the {{book}} card in {item.source}",
                        site_dir,
                    )
                    feed = _book_feed_card(book, config.base_url)
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
            page_html = page_html.replace(embed.placeholder, page)
            feed_parts[embed.placeholder] = feed
        bind_html(item, page_html, feed_parts)
