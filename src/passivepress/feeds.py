"""RSS 2.0 and Atom feeds, made with feedgen, with full content and absolute links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from passivepress import __version__

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator
from passivepress.model import Essay, Site
from passivepress.urls import absolute


def shown(site: Site, essays: Sequence[Essay]) -> Sequence[Essay]:
    """The essays a feed shows: the newest ``feeds.limit`` (all when it is 0)."""
    limit = site.config.feeds.limit
    return essays[:limit] if limit else essays


def read(site: Site, essays: Sequence[Essay]) -> tuple[Any, ...]:
    """The model objects a feed of ``essays`` reads: the essays it shows, and their tags
    (named in each entry's categories: a tag's name is as its newest essay writes it)."""
    entries = shown(site, essays)
    tags = {tag.key: tag for essay in entries for tag in essay.tags}
    return (*entries, *tags.values())


Footer = Callable[[Essay], str]


def _no_footer(essay: Essay) -> str:
    return ""


def _generator(
    site: Site,
    essays: Sequence[Essay],
    title: str,
    page_url: str,
    feed_path: str,
    feed_type: str,
    footer: Footer,
) -> FeedGenerator:
    from feedgen.feed import FeedGenerator  # lxml is loaded only when a feed is written

    config = site.config
    fg = FeedGenerator()
    fg.id(absolute(page_url, config.base_url))
    fg.title(title)
    fg.subtitle(config.description or config.title)
    fg.description(config.description or config.title)
    fg.language(config.language)
    if config.author.name:
        author = {"name": config.author.name}
        if config.author.email:
            author["email"] = config.author.email
        fg.author(author)
    # feedgen takes the RSS <link> from the last link given: the page, not the feed.
    fg.link(
        href=absolute(feed_path, config.base_url), rel="self", type=f"application/{feed_type}+xml"
    )
    fg.link(href=absolute(page_url, config.base_url), rel="alternate")
    fg.generator("passivepress", __version__)
    # feedgen stamps "now" unless told otherwise; the newest change keeps builds identical.
    newest = max((e.updated or e.date for e in essays), default=datetime(2000, 1, 1, tzinfo=UTC))
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for essay in reversed(list(essays)):  # feedgen prepends: add oldest first
        entry = fg.add_entry()
        entry.id(essay.permalink)
        entry.guid(essay.permalink, permalink=True)
        entry.title(essay.title)
        entry.link(href=essay.permalink, rel="alternate")
        entry.published(essay.date)
        entry.updated(essay.updated or essay.date)
        if essay.summary:
            entry.summary(essay.summary)
        content = essay.feed_html + footer(essay)
        entry.content(content, type="CDATA" if feed_type == "rss" else "html")
        if config.author.name:
            entry.author(
                {
                    "name": config.author.name,
                    **({"email": config.author.email} if config.author.email else {}),
                }
            )
        for tag in essay.tags:
            entry.category(term=tag.name, scheme=tag.permalink, label=tag.name)
    return fg


def inputs(site: Site, essays: Sequence[Essay], footer: Footer = _no_footer) -> list[tuple]:
    """Everything a feed shows of its essays (the rest comes from the configuration)."""
    return [
        (
            e.key,
            e.title,
            e.permalink,
            e.date,
            e.updated,
            e.summary,
            e.feed_html,
            [(t.name, t.permalink) for t in e.tags],
            footer(e),
        )
        for e in shown(site, essays)
    ]


def write(
    kind: str,
    site: Site,
    essays: Sequence[Essay],
    title: str,
    page_url: str,
    feed_path: str,
    footer: Footer = _no_footer,
) -> bytes:
    """The feed as bytes: ``kind`` is "rss" (RSS 2.0) or "atom"."""
    fg = _generator(site, shown(site, essays), title, page_url, feed_path, kind, footer)
    return fg.rss_str(pretty=True) if kind == "rss" else fg.atom_str(pretty=True)
