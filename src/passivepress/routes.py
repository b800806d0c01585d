"""Every file the site will contain, decided before anything is rendered.

Each :class:`Route` knows its URL, what it was made from (for collision messages and, later,
dependency tracking) and how to produce its bytes. Building the whole list first means every
URL is known before the first page renders, and two sources wanting one URL are caught.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from passivepress import cta, feeds, seo
from passivepress.config import Config
from passivepress.errors import ContentError, Problem
from passivepress.model import Book, Essay, Page, Site, Tracked
from passivepress.urls import absolute, output_path, under_base


@dataclass(frozen=True)
class Context:
    """A page's template context, made only when the page is rendered. ``args`` is what it
    is made from (with the configuration): the preview compares them with the previous
    build's instead of making every context to fingerprint it."""

    make: Callable[..., dict[str, Any]]
    args: dict[str, Any]

    def __call__(self) -> dict[str, Any]:
        return self.make(**self.args)


@dataclass
class Route:
    path: str  # the site URL, such as /essays/x/ or /feed.xml
    origin: str  # what wants this URL, for messages: a source file or a description
    kind: str  # page, feed, redirect, sitemap ...
    template: str | None = None
    context: Context | None = None
    produce: Callable[[], bytes] | None = None
    inputs: Callable[[], Any] | None = None  # what ``produce`` reads, to skip it when unchanged
    # The model objects ``produce`` reads (a feed's essays), when that is cheaper to compare
    # than ``inputs``; a preview then remakes the output when any of them changed.
    shows: tuple[Any, ...] | None = None
    job: Callable[[], tuple] | None = None  # picklable arguments of a slow ``produce``
    # ``inputs`` name all that ``produce`` depends on, the configuration and templates
    # included (a social card's), so the output outlives a change of either.
    whole: bool = False
    sitemap: bool = False
    lastmod: Any = None
    sources: tuple[str, ...] = field(default=())

    @cached_property
    def file(self) -> str:
        # Asked for half a dozen times per output a build (the plan's collisions, the
        # render loop, the stage, the records): worked out once.
        return output_path(self.path)


@dataclass(frozen=True)
class MenuEntry:
    title: str
    url: str
    active: bool


@dataclass(frozen=True)
class Meta:
    title: str
    description: str
    canonical: str
    type: str
    lang: str
    path: str
    feeds: tuple[dict[str, str], ...]
    noindex: bool = False
    image: str | None = None  # absolute URL of the picture link previews show


@dataclass(frozen=True)
class Paginator:
    """``paginator`` in the templates of paged lists (the archive, a tag's pages)."""

    number: int
    count: int
    total: int
    prev_url: str | None
    next_url: str | None
    first_url: str  # page 1; page n is first_url + "page/n/"

    def url(self, number: int) -> str:
        return self.first_url if number <= 1 else f"{self.first_url}page/{number}/"

    @property
    def urls(self) -> tuple[str, ...]:
        """Every page's URL, for numbered links. Made when asked: kept in each page's
        recipe, the whole list made the archive of 10,000 essays quadratic."""
        return tuple(self.url(n) for n in range(1, self.count + 1))


@dataclass(frozen=True)
class SiteView(Tracked):
    """``site`` in templates."""

    key: str
    title: str
    description: str
    base_url: str
    base_path: str
    language: str
    author: Any
    contact: Any
    menu: tuple[MenuEntry, ...]
    essays: tuple[Essay, ...]
    books: tuple[Book, ...]
    pages: tuple[Page, ...]
    tags: tuple[Any, ...]
    extra: dict[str, Any]
    copyright: str


def _site_feeds(config: Config) -> list[dict[str, str]]:
    out = []
    if config.feeds.rss:
        out.append(
            {
                "title": f"{config.title} (RSS)",
                "type": "application/rss+xml",
                "url": under_base("/feed.xml", config.base_path),
            }
        )
    if config.feeds.atom:
        out.append(
            {
                "title": f"{config.title} (Atom)",
                "type": "application/atom+xml",
                "url": under_base("/atom.xml", config.base_path),
            }
        )
    return out


def redirect_page(target: str) -> bytes:
    """A page that sends readers (and search engines, via canonical) to the new URL."""
    t = html.escape(target, quote=True)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<title>Moved</title>\n<link rel="canonical" href="{t}">\n'
        f'<meta http-equiv="refresh" content="0; url={t}">\n<meta name="robots" '
        f'content="noindex">\n</head>\n<body>\n<p>This page has moved to '
        f'<a href="{t}">{t}</a>.</p>\n</body>\n</html>\n'
    ).encode()


def paginate(
    first: str,
    items: Sequence[Essay],
    per_page: int,
    base_path: str,
    only: frozenset[str] | None = None,
) -> list[tuple[str, tuple[Essay, ...], Paginator]]:
    """(site path, its essays, its paginator) of each page of a list that starts at
    ``first`` (such as /essays/): page 1 is ``first`` itself, then ``first`` + "page/2/" ...
    A list without items still has its first page, which says so. ``only``: of these
    paths alone."""
    count = max(1, -(-len(items) // per_page))

    def path(n: int) -> str:
        return first if n == 1 else f"{first}page/{n}/"

    def url(n: int) -> str:
        return under_base(path(n), base_path)

    return [
        (
            path(n),
            tuple(items[(n - 1) * per_page : n * per_page]),
            Paginator(
                number=n,
                count=count,
                total=len(items),
                prev_url=url(n - 1) if n > 1 else None,
                next_url=url(n + 1) if n < count else None,
                first_url=url(1),
            ),
        )
        for n in range(1, count + 1)
        if only is None or path(n) in only
    ]


@dataclass(frozen=True)
class CardMaker:
    """Makes an essay's social-card image, and says what the image depends on."""

    make: Callable[[Essay], bytes]
    inputs: Callable[[Essay], Any]
    job: Callable[[Essay], tuple]  # picklable arguments, for making many in parallel


def card_path(essay: Essay) -> str | None:
    """Where an essay's social card goes; None when the essay names its own image."""
    return f"{essay.path}card.png" if essay.image is None else None


class _Only(list):  # type: ignore[type-arg]
    """The routes of some URLs only: the others are not kept."""

    def __init__(self, paths: frozenset[str]) -> None:
        super().__init__()
        self.paths = paths

    def append(self, route: Route) -> None:
        if route.path in self.paths:
            super().append(route)


def plan(
    site: Site,
    menu: Sequence[tuple[str, str]],
    cards: CardMaker | None = None,
    only: frozenset[str] | None = None,
) -> list[Route]:
    """All routes of the site; raises ContentError when two want the same file.

    ``only``: the routes of these URLs alone, for a build that knows what changed
    (:mod:`passivepress.quick`); not the sitemap, which is made from all of them, and no
    check for collisions.
    """
    if only is not None and "/sitemap.xml" in only:
        raise ValueError("the sitemap is made from every route")
    config = site.config
    author_image = (
        absolute(under_base(config.author.image, config.base_path), config.base_url)
        if config.author.image
        else None
    )
    contact_url = site.contact_url
    # What the feeds' footers read besides the essays: whether the site has a contact page.
    footer_reads = (contact_url,) if config.feeds.cta else ()
    site_feeds = _site_feeds(config)

    def footer(essay: Essay) -> str:
        """What ends an essay in the feeds: its call-to-action, so feed readers see it too."""
        if not config.feeds.cta:
            return ""
        chosen = cta.make(
            config,
            essay.cta,
            essay.title,
            essay.permalink,
            contact_url,
            [t.slug for t in essay.tags],
        )
        return cta.feed_html(chosen, config)

    def site_view(current: str) -> SiteView:
        entries = []
        for title, url in menu:
            active = url == current or (
                url not in ("/",) and url.startswith("/") and current.startswith(url)
            )
            entries.append(MenuEntry(title, under_base(url, config.base_path), active))
        return SiteView(
            key="site",
            title=config.title,
            description=config.description,
            base_url=config.base_url,
            base_path=config.base_path,
            language=config.language,
            author=config.author,
            contact=config.contact,
            menu=tuple(entries),
            essays=site.essays,
            books=site.books,
            pages=site.pages,
            tags=site.tags,
            extra=config.extra,
            copyright=config.copyright,
        )

    def make(
        path: str,
        title: str,
        description: str,
        kind: str,
        lang: str | None,
        canonical: str | None,
        extra_feeds: Sequence[dict[str, str]],
        noindex: bool,
        image: str | None,
        values: dict[str, Any],
    ) -> dict[str, Any]:
        meta = Meta(
            title=seo.page_title(title, config),
            description=seo.describe(description or config.description),
            canonical=canonical or absolute(path, config.base_url),
            type=kind,
            lang=lang or config.language,
            path=under_base(path, config.base_path),
            feeds=(*site_feeds, *extra_feeds),
            noindex=noindex,
            image=absolute(image, config.base_url) if image else author_image,
        )
        return {"site": site_view(path), "meta": meta, "preview": site.preview, **values}

    def context(
        path: str,
        title: str,
        description: str,
        kind: str = "website",
        lang: str | None = None,
        canonical: str | None = None,
        extra_feeds: Sequence[dict[str, str]] = (),
        noindex: bool = False,
        image: str | None = None,
        **values: Any,
    ) -> Context:
        args = {
            "path": path,
            "title": title,
            "description": description,
            "kind": kind,
            "lang": lang,
            "canonical": canonical,
            "extra_feeds": tuple(extra_feeds),
            "noindex": noindex,
            "image": image,
            "values": values,
        }
        return Context(make, args)

    routes: list[Route] = [] if only is None else _Only(only)

    # Home
    home_cta = cta.make(config, True, config.title, under_base("/", config.base_path), contact_url)
    featured = [b for b in site.books if b.featured] or [b for b in site.books if b.own]
    routes.append(
        Route(
            "/",
            "the home page",
            "page",
            "home.html",
            context(
                "/",
                config.title,
                config.description,
                essays=site.essays[: config.home.essays],
                featured_books=featured,
                cta=home_cta,
            ),
            sitemap=True,
        )
    )

    # Essays
    for essay in site.essays:
        if only is not None and not only.intersection(
            (essay.path, f"{essay.path}card.png", *essay.aliases)
        ):
            continue
        essay_cta = cta.make(
            config, essay.cta, essay.title, essay.url, contact_url, [t.slug for t in essay.tags]
        )
        canonical = essay.canonical
        if canonical and canonical.startswith("/"):
            canonical = absolute(canonical, config.base_url)
        image = essay.image
        card = card_path(essay)
        if card is not None and cards is not None:
            image = under_base(card, config.base_path)
            routes.append(
                Route(
                    card,
                    f"the social card of {essay.source}",
                    "image",
                    produce=lambda essay=essay: cards.make(essay),
                    inputs=lambda essay=essay: cards.inputs(essay),
                    job=lambda essay=essay: cards.job(essay),
                    whole=True,
                    sources=(str(essay.source),),
                )
            )
        routes.append(
            Route(
                essay.path,
                str(essay.source),
                "page",
                "essay.html",
                context(
                    essay.path,
                    essay.title,
                    essay.summary,
                    "article",
                    essay.lang,
                    canonical,
                    image=image,
                    essay=essay,
                    cta=essay_cta,
                ),
                sitemap=not essay.draft and not essay.future,
                lastmod=essay.updated or essay.date,
                sources=(str(essay.source),),
            )
        )
        for alias in essay.aliases:
            routes.append(
                Route(
                    alias,
                    f"{essay.source} (alias {alias})",
                    "redirect",
                    produce=lambda url=essay.permalink: redirect_page(url),
                    inputs=lambda url=essay.permalink: url,
                    sources=(str(essay.source),),
                )
            )

    # The archive, paginated
    per_page = config.pagination.per_page
    for path, chunk, paginator in paginate(
        "/essays/", site.essays, per_page, config.base_path, only
    ):
        n = paginator.number
        title = "Essays" if n == 1 else f"Essays, page {n}"
        routes.append(
            Route(
                path,
                "the essay archive",
                "page",
                "archive.html",
                context(
                    path,
                    title,
                    f"All essays by {config.author.name or config.title}.",
                    essays=chunk,
                    paginator=paginator,
                ),
                sitemap=True,
            )
        )

    # Tags
    routes.append(
        Route(
            "/tags/",
            "the tag index",
            "page",
            "tags.html",
            context("/tags/", "Tags", f"Essays by topic on {config.title}.", tags=site.tags),
            sitemap=bool(site.tags),
        )
    )
    for tag in site.tags:
        tag_feeds = []
        if config.feeds.tags and config.feeds.rss:
            tag_feeds.append(
                {
                    "title": f"{config.title}: {tag.name} (RSS)",
                    "type": "application/rss+xml",
                    "url": tag.feed_url,
                }
            )
        # Paginated as the archive is: a tag of a big site has thousands of essays, and its
        # pages' context holds only the essays they show, so an edit re-renders one page.
        for path, chunk, paginator in paginate(
            tag.path, tag.essays, per_page, config.base_path, only
        ):
            n = paginator.number
            title = f"Essays about {tag.name}" + ("" if n == 1 else f", page {n}")
            routes.append(
                Route(
                    path,
                    f"the tag '{tag.name}'" + ("" if n == 1 else f" (page {n})"),
                    "page",
                    "tag.html",
                    context(
                        path,
                        title,
                        f"Essays about {tag.name} on {config.title}.",
                        extra_feeds=tag_feeds,
                        tag=tag,
                        essays=chunk,
                        paginator=paginator,
                    ),
                    sitemap=True,
                )
            )
        if config.feeds.tags and config.feeds.rss and (only is None or tag.feed_path in only):
            tag_public = [e for e in tag.essays if not e.draft and not e.future]
            routes.append(
                Route(
                    tag.feed_path,
                    f"the feed of tag '{tag.name}'",
                    "feed",
                    produce=lambda tag=tag, essays=tag_public: feeds.write(
                        "rss",
                        site,
                        essays,
                        f"{config.title}: {tag.name}",
                        tag.path,
                        tag.feed_path,
                        footer,
                    ),
                    inputs=lambda tag=tag, essays=tag_public: (
                        tag.name,
                        feeds.inputs(site, essays, footer),
                    ),
                    shows=(tag, *feeds.read(site, tag_public), *footer_reads),
                )
            )

    # Books
    routes.append(
        Route(
            "/books/",
            "the book shelf",
            "page",
            "books.html",
            context(
                "/books/",
                "Books",
                f"Books by and recommended by {config.author.name or config.title}.",
                books=site.books,
            ),
            sitemap=bool(site.books),
        )
    )
    for book in site.books:
        routes.append(
            Route(
                book.path,
                str(book.source),
                "page",
                "book.html",
                context(book.path, book.title, book.summary, "book", image=book.cover, book=book),
                sitemap=True,
                sources=(str(book.source),),
            )
        )

    # Pages
    for page in site.pages:
        page_cta = cta.make(config, page.cta, page.title, page.url, contact_url)
        routes.append(
            Route(
                page.path,
                str(page.source),
                "page",
                page.template,
                context(page.path, page.title, page.summary, page=page, cta=page_cta),
                sitemap=not page.draft,
                sources=(str(page.source),),
            )
        )

    # 404, feeds, sitemap, robots
    routes.append(
        Route(
            "/404.html",
            "the 404 page",
            "page",
            "404.html",
            context("/404.html", "Page not found", config.description, noindex=True),
        )
    )
    public = [e for e in site.essays if not e.draft and not e.future]
    shown = (*feeds.read(site, public), *footer_reads)
    for kind, wanted, path, name in (
        ("rss", config.feeds.rss, "/feed.xml", "the RSS feed"),
        ("atom", config.feeds.atom, "/atom.xml", "the Atom feed"),
    ):
        if wanted:
            routes.append(
                Route(
                    path,
                    name,
                    "feed",
                    produce=lambda kind=kind, path=path: feeds.write(
                        kind, site, public, config.title, "/", path, footer
                    ),
                    inputs=lambda: feeds.inputs(site, public, footer),
                    shows=shown,
                )
            )
    entries = [seo.SitemapEntry(r.path, r.lastmod) for r in routes if r.sitemap]
    routes.append(
        Route(
            "/sitemap.xml",
            "the sitemap",
            "sitemap",
            produce=lambda: seo.sitemap(entries, config),
            # What the file shows, as plain text: quicker to compare than the entries.
            inputs=lambda: [(e.path, e.lastmod.isoformat() if e.lastmod else "") for e in entries],
        )
    )
    routes.append(
        Route(
            "/robots.txt",
            "robots.txt",
            "robots",
            produce=lambda: seo.robots(config),
            inputs=lambda: (),
        )
    )
    for route in host_files(site):
        routes.append(route)
    if only is not None:
        return list(routes)
    _check_collisions(routes)
    return routes


# Hosts whose own domain needs no CNAME file (a CNAME there would break the deploy).
_NO_CNAME = ("localhost", "127.0.0.1", ".github.io", ".netlify.app", ".pages.dev")


def host_files(site: Site) -> list[Route]:
    """Files static hosts read: .nojekyll (GitHub Pages would otherwise skip files starting
    with _), CNAME for a custom domain, and _redirects (Netlify, Cloudflare Pages) for aliases.
    """
    config = site.config
    out = [
        Route("/.nojekyll", "the .nojekyll file", "host", produce=lambda: b"", inputs=lambda: ())
    ]
    host = urlsplit(config.base_url).hostname or ""
    if config.cname is True or (
        config.cname is None and not any(host == h or host.endswith(h) for h in _NO_CNAME)
    ):
        out.append(
            Route(
                "/CNAME",
                "the CNAME file",
                "host",
                produce=lambda: (host + "\n").encode(),
                inputs=lambda: host,
            )
        )
    lines = sorted(
        f"{under_base(alias, config.base_path)} {essay.url} 301"
        for essay in site.essays
        for alias in essay.aliases
    )
    if lines:
        out.append(
            Route(
                "/_redirects",
                "the _redirects file",
                "host",
                produce=lambda: ("\n".join(lines) + "\n").encode(),
                inputs=lambda: lines,
            )
        )
    return out


def _check_collisions(routes: Sequence[Route]) -> None:
    seen: dict[str, Route] = {}
    problems: list[Problem] = []
    for route in routes:
        other = seen.get(route.file)
        if other is not None:
            problems.append(
                Problem(
                    f"{route.origin} and {other.origin} both want the URL {route.path}",
                    route.sources[0] if route.sources else None,
                    hint="give one of them another 'slug:'",
                )
            )
        else:
            seen[route.file] = route
    if problems:
        raise ContentError(problems)
