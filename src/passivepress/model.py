"""The site's content as plain data. URLs are decided here, once, for everything.

The objects are frozen; the lists that link them (an essay's books, a book's essays, a
tag's essays) are filled in when the whole site is known, in :mod:`passivepress.loader`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup

from passivepress.config import Config
from passivepress.markdown import Embed, TocEntry, absolutize
from passivepress.urls import absolute, under_base


class Tracked:
    """An object templates read from; its ``key`` names it across builds, so what an output
    read can be recorded and checked again next time (see :mod:`passivepress.cache`)."""

    key: str


@dataclass(frozen=True)
class Located(Tracked):
    """Where an item came from, so every later message can point at the file."""

    source: PurePosixPath
    lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    key: str = ""  # identity across builds, for dependency tracking ("essay:content/...")

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)

    def __getattr__(self, name: str) -> Any:
        # Called only for what the instance lacks. A quick build's model keeps most fields
        # of each item packed until one is first read (see passivepress.quick).
        if name.startswith("__"):
            raise AttributeError(name)
        unpack(self)
        if name in self.__dict__:
            return self.__dict__[name]
        raise AttributeError(name)


def unpack(item: Any) -> None:
    """Read in the fields a quick build's model kept packed (nothing to do for others)."""
    packed = item.__dict__.pop("_packed", None)
    if packed is not None:
        read, *where = packed  # a call that gives them, and its arguments
        item.__dict__.update(read(*where))


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    affiliate: bool = False

    @property
    def rel(self) -> str:
        return "sponsored noopener" if self.affiliate else ""


@dataclass(frozen=True, eq=False)
class Tag(Tracked):
    name: str
    slug: str
    path: str
    url: str
    permalink: str
    key: str = ""
    has_feed: bool = True
    essays: list[Essay] = field(default_factory=list, repr=False)

    @property
    def count(self) -> int:
        return len(self.essays)

    @property
    def feed_path(self) -> str:
        return self.path + "feed.xml"

    @property
    def feed_url(self) -> str | None:
        """The tag's own feed, or None when the site has no tag feeds."""
        return self.url + "feed.xml" if self.has_feed else None


class FeedBody:
    """``feed_html``: the body with absolute links, made only for essays that are in a feed."""

    @cached_property
    def feed_html(self) -> str:
        text = str(self.html)  # type: ignore[attr-defined]
        for page, feed in self.feed_parts:  # type: ignore[attr-defined]
            text = text.replace(page, feed)
        return absolutize(text, self.permalink)  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)
class Essay(FeedBody, Located):
    slug: str = ""
    title: str = ""
    date: datetime = datetime.min
    updated: datetime | None = None
    summary: str = ""
    summary_written: bool = False  # by the author (else the first paragraph)
    tag_names: tuple[str, ...] = ()
    book_slugs: tuple[str, ...] = ()
    draft: bool = False
    future: bool = False
    image: str | None = None
    aliases: tuple[str, ...] = ()
    cta: Any = True
    canonical: str | None = None
    lang: str = ""
    html: Markup = Markup("")
    feed_parts: tuple[tuple[str, str], ...] = ()  # an embed as on the page → for feeds
    toc: tuple[TocEntry, ...] = ()
    words: int = 0
    body_links: tuple[tuple[str, int], ...] = ()  # site links and images in the body, for checks
    ids: frozenset[str] = frozenset()
    embeds: tuple[Embed, ...] = ()
    body_line: int = 1  # the file line where the Markdown body starts
    affiliate: bool = False  # the body links to an affiliate shop
    extra: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    url: str = ""
    permalink: str = ""
    tags: list[Tag] = field(default_factory=list, repr=False)
    books: list[Book] = field(default_factory=list, repr=False)
    related: list[Essay] = field(default_factory=list, repr=False)
    mentions: tuple[str, ...] = ()  # books it lists, embeds or links to (by slug)

    kind = "essay"

    @property
    def reading_time(self) -> int:
        return max(1, round(self.words / 230))


@dataclass(frozen=True, eq=False)
class Book(FeedBody, Located):
    slug: str = ""
    title: str = ""
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    isbn: str = ""
    year: int | None = None
    publisher: str = ""
    cover: str | None = None
    cover_alt: str = ""
    cover_size: tuple[int, int] | None = None  # width and height of a local cover
    links: tuple[Link, ...] = ()
    tag_names: tuple[str, ...] = ()
    summary: str = ""
    summary_written: bool = False  # by the author (else the first paragraph)
    own: bool = False
    featured: bool = False
    draft: bool = False
    html: Markup = Markup("")
    feed_parts: tuple[tuple[str, str], ...] = ()  # an embed as on the page → for feeds
    toc: tuple[TocEntry, ...] = ()
    body_links: tuple[tuple[str, int], ...] = ()
    ids: frozenset[str] = frozenset()
    embeds: tuple[Embed, ...] = ()
    body_line: int = 1
    affiliate: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    url: str = ""
    permalink: str = ""
    essays: list[Essay] = field(default_factory=list, repr=False)

    kind = "book"

    @property
    def author(self) -> str:
        if len(self.authors) <= 2:
            return " and ".join(self.authors)
        return ", ".join(self.authors[:-1]) + " and " + self.authors[-1]


@dataclass(frozen=True, eq=False)
class Page(FeedBody, Located):
    slug: str = ""
    title: str = ""
    summary: str = ""
    summary_written: bool = False  # by the author (else the first paragraph)
    menu: int | None = None
    cta: Any = False
    template: str = "page.html"
    draft: bool = False
    html: Markup = Markup("")
    toc: tuple[TocEntry, ...] = ()
    body_links: tuple[tuple[str, int], ...] = ()  # site links and images in the body, for checks
    ids: frozenset[str] = frozenset()
    embeds: tuple[Embed, ...] = ()
    body_line: int = 1
    affiliate: bool = False
    feed_parts: tuple[tuple[str, str], ...] = ()  # an embed as on the page → for feeds
    extra: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    url: str = ""
    permalink: str = ""

    kind = "page"


def _no_class_defaults(*classes: type) -> None:
    """Dataclasses keep each field's default as a class attribute, which would answer for a
    field an instance lacks instead of :meth:`Located.__getattr__` (a packed item would
    read as empty). The defaults live in ``__init__`` too; nothing else reads them there."""
    for cls in classes:
        for name in cls.__dataclass_fields__:  # type: ignore[attr-defined]
            if name in vars(cls):
                delattr(cls, name)


_no_class_defaults(Located, Essay, Book, Page)


@dataclass(frozen=True)
class Site:
    """Everything the renderer needs, fully linked, in a deterministic order."""

    config: Config
    essays: tuple[Essay, ...]  # published (or shown), newest first
    books: tuple[Book, ...]  # the author's own first, then by title
    pages: tuple[Page, ...]  # by slug
    tags: tuple[Tag, ...]  # by name
    preview: bool = False

    def essay(self, slug: str) -> Essay | None:
        return next((e for e in self.essays if e.slug == slug), None)

    def book(self, slug: str) -> Book | None:
        return next((b for b in self.books if b.slug == slug), None)

    def page(self, slug: str) -> Page | None:
        return next((p for p in self.pages if p.slug == slug), None)

    @property
    def contact_url(self) -> str | None:
        """Where calls-to-action send readers: the contact page, when the site has one."""
        contact = self.page("contact")
        return contact.url if contact else None


def bind_html(
    item: Essay | Book | Page, html: Markup, feed_parts: tuple[tuple[str, str], ...]
) -> None:
    """Set an item's final HTML once embedded cards and calls-to-action are filled in.

    The one late-bound field: embeds need every book to be known, which happens after
    the item itself is read. Feeds get their own, plainer version of each embed: pairs of
    (the embed as on the page, as in feeds), so that no second copy of the body is kept
    (at 10,000 essays that copy was 90 MB).
    """
    object.__setattr__(item, "html", html)
    object.__setattr__(item, "feed_parts", feed_parts)


def locate(config: Config, path: str) -> tuple[str, str, str]:
    """(site path, URL under the base path, absolute permalink) of a site path."""
    return path, under_base(path, config.base_path), absolute(path, config.base_url)
