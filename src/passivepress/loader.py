"""Read ``content/`` into the model, reporting every bad file in one run."""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from passivepress import digests, markdown, taxonomy
from passivepress.config import Config, Contact
from passivepress.errors import ContentError, Problem
from passivepress.frontmatter import FrontMatter, YamlDocument, decode, split
from passivepress.model import Book, Essay, Link, Page, Site, locate
from passivepress.uptodate import file_digest, read_whole
from passivepress.urls import is_site_path, is_valid_slug, slug_from_filename, slugify, under_base

log = logging.getLogger(__name__)

ESSAY_KEYS = (
    "title",
    "date",
    "updated",
    "summary",
    "tags",
    "books",
    "slug",
    "draft",
    "image",
    "aliases",
    "cta",
    "canonical",
    "lang",
)
BOOK_KEYS = (
    "title",
    "subtitle",
    "author",
    "authors",
    "isbn",
    "year",
    "publisher",
    "cover",
    "cover_alt",
    "links",
    "tags",
    "summary",
    "own",
    "featured",
    "slug",
    "draft",
)
PAGE_KEYS = ("title", "slug", "summary", "menu", "cta", "template", "draft")

_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
# Files editors and systems leave beside the real ones; they must never become pages.
_IGNORED = re.compile(r"(^\.|~$|\.sw[a-p]$|\.tmp$|___jb_\w+___$|^4913$|^#.*#$)")


def is_content_file(name: str) -> bool:
    return name.lower().endswith((".md", ".markdown")) and not _IGNORED.search(name)


def parse_date(text: str, tz: Any) -> datetime | None:
    """A date as authors write it; without an offset it is in the site's time zone."""
    m = _DATE.match(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, offset = m.groups()
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    if offset is None:
        return value.replace(tzinfo=tz)
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif len(offset) == 3:
        offset += ":00"
    elif ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    return datetime.fromisoformat(value.isoformat() + offset)


@dataclass
class Fields:
    """Typed access to one file's front matter; each mistake becomes a located Problem."""

    fm: FrontMatter
    source: PurePosixPath
    known: tuple[str, ...]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def line(self, *key: str | int) -> int:
        return self.fm.doc.line_of(*key) or 1

    def has(self, key: str) -> bool:
        return key in self.fm.doc.data

    def problem(self, key: str | tuple, message: str, hint: str | None = None) -> None:
        keys = key if isinstance(key, tuple) else (key,)
        self.problems.append(Problem(message, self.source, self.line(*keys), hint=hint))

    def text(self, key: str, *, required: bool = False, hint: str | None = None) -> str:
        data = self.fm.doc.data
        if key not in data or data[key] is None or data[key] == "":
            if required:
                self.problems.append(
                    Problem(
                        f"'{key}' is required",
                        self.source,
                        self.line(key) if key in data else 1,
                        hint=hint or f"add a line '{key}: ...' to the front matter",
                    )
                )
            return ""
        if isinstance(data[key], (dict, list)):
            self.problem(
                key,
                f"'{key}' must be text, not a {type(data[key]).__name__}",
                hint="quote the value if it contains ': ' or starts with [ or {",
            )
            return ""
        return str(self.fm.doc.raw[key]).strip()

    def text_list(self, key: str) -> tuple[str, ...]:
        data = self.fm.doc.data
        value, raw = data.get(key), self.fm.doc.raw.get(key) if self.fm.doc.raw else None
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(s.strip() for s in str(raw).split(",") if s.strip())
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            self.problem(key, f"'{key}' must be a list of text, such as [one, two]")
            return ()
        return tuple(
            str(r).strip()
            for v, r in zip(value, raw, strict=True)
            if v is not None and str(r).strip()
        )

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.fm.doc.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"'{key}' must be true or false, not {self.fm.doc.raw[key]!r}")
            return default
        return value

    def integer(self, key: str) -> int | None:
        value = self.fm.doc.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"'{key}' must be a whole number, not {self.fm.doc.raw[key]!r}")
            return None
        return value

    def date(self, key: str, tz: Any, *, required: bool = False) -> datetime | None:
        text = self.text(
            key,
            required=required,
            hint=f"add a line such as '{key}: 2024-03-01' to the front matter",
        )
        if not text:
            return None
        value = parse_date(text, tz)
        if value is None:
            self.problem(
                key,
                f"'{key}' is not a date: {text!r}",
                hint="write dates as 2024-03-01, 2024-03-01 10:00 or 2024-03-01T10:00:00+02:00",
            )
        return value

    def slug(self, stem: str) -> str:
        given = self.text("slug")
        if given:
            if not is_valid_slug(given):
                self.problem(
                    "slug",
                    f"the slug {given!r} is not usable in a URL",
                    hint=f"use lowercase words joined by hyphens, such as "
                    f"'{slugify(given) or 'my-essay'}'",
                )
            return given
        slug = slug_from_filename(stem)
        if not slug:
            self.problems.append(
                Problem(
                    "cannot make a URL slug from the file name",
                    self.source,
                    1,
                    hint="add 'slug: my-essay'",
                )
            )
        return slug

    def extra(self) -> dict[str, Any]:
        """Unknown keys, kept for templates; a likely typo of a known key is warned about."""
        extra: dict[str, Any] = {}
        for key, value in self.fm.doc.data.items():
            key = str(key)
            if key in self.known:
                continue
            guess = difflib.get_close_matches(key, self.known, n=1, cutoff=0.75)
            if guess and guess[0] not in self.fm.doc.data:
                self.warnings.append(
                    Problem(
                        f"unknown front matter key '{key}'",
                        self.source,
                        self.line(key),
                        hint=f"did you mean '{guess[0]}'?",
                    )
                )
            extra[key] = value
        return extra


def _files(folder: Path, site_dir: Path, problems: list[Problem]) -> Iterator[tuple[str, str]]:
    """Content files below ``folder`` in a stable order, as (path, path from the site
    folder with / between parts); a file or folder that links to a place outside the site
    is reported and skipped (only links are resolved, for speed). Plain strings: a preview
    lists every file on every save, and pathlib costs ten times more."""
    if not folder.is_dir():
        return
    root = os.path.realpath(site_dir)

    def outside(path: str) -> bool:
        real = os.path.realpath(path)
        return real != root and not real.startswith(root + os.sep)

    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        # One relpath per folder: per file, at 10,000 essays, it cost 0.1 s.
        rel_dir = os.path.relpath(dirpath, site_dir).replace(os.sep, "/")
        kept = []
        for name in sorted(dirnames):
            full = os.path.join(dirpath, name)
            if _IGNORED.search(name):
                continue
            if os.path.islink(full) and outside(full):
                problems.append(
                    Problem(
                        "this folder is a link to a place outside the site folder; it was not read",
                        Path(full).relative_to(site_dir).as_posix(),
                        hint="copy the files into the site instead of linking to them",
                    )
                )
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            full = os.path.join(dirpath, name)
            if not is_content_file(name):
                continue
            rel = f"{rel_dir}/{name}"
            if os.path.islink(full) and outside(full):
                problems.append(
                    Problem(
                        "this file is a link to a file outside the site folder; it was not read",
                        rel,
                        hint="copy the file into the site instead of linking to it",
                    )
                )
                continue
            if os.path.isfile(full):
                found.append((full, rel))
    # In the order of their parts, as pathlib sorts ("a/b" before "a-b/c").
    found.sort(key=lambda item: item[1].split("/"))
    yield from found


def _cta(f: Fields) -> Any:
    """``cta:`` is false (off), true (default), a variant name, or fields overriding it."""
    if not f.has("cta"):
        return None
    value = f.fm.doc.data["cta"]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if f.fm.doc.raw["cta"] in ("off", "none", "no"):
            return False
        return f.text("cta")
    if isinstance(value, dict):
        allowed = set(Contact.__dataclass_fields__)
        out = {}
        for key, item in value.items():
            if key not in allowed:
                guess = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                f.problem(
                    ("cta", key),
                    f"unknown call-to-action field 'cta.{key}'",
                    hint=f"did you mean '{guess[0]}'?"
                    if guess
                    else "known fields: " + ", ".join(sorted(allowed)),
                )
                continue
            if isinstance(item, (dict, list)):
                f.problem(("cta", key), f"'cta.{key}' must be text")
                continue
            out[key] = "" if item is None else str(f.fm.doc.raw["cta"][key])
        return out
    f.problem("cta", "'cta' must be false, a variant name, or fields of the call-to-action")
    return None


@dataclass
class Pending:
    """A content file whose front matter is read and whose Markdown still needs rendering.

    Rendering is done in batches while the rest is read (in parallel, and skipped when
    cached), then :meth:`finish` makes the model object. Plain data (no closures), so that
    a build can keep the readings of unchanged files on disk for the next one.
    """

    fields: Fields
    body: str
    site_path: str
    kind: str = ""  # "essay", "book" or "page"; "" for a file that makes nothing
    values: dict[str, Any] = field(default_factory=dict)  # the item's fields from front matter
    summary: str = ""
    base_path: str = "/"
    # Kept with the reading in a preview's read cache (until the configuration changes), so
    # an unchanged file is not even looked up again; a reading kept on disk drops it.
    rendered: markdown.Rendered | None = None
    # What the last finish made from ``rendered``: (rendered, body fields, mentions). Made
    # again only for another rendering; equal results that are the same objects are cheap
    # to compare (:mod:`passivepress.changes`).
    made: tuple[Any, ...] = ()
    body_key: str = ""  # a digest of the Markdown body: what its rendering is cached under

    def __post_init__(self) -> None:
        if not self.body_key:
            self.body_key = _body_key(self.body)

    @property
    def kept(self) -> bool:
        """Read in an earlier build and kept without its text (see :func:`load`)."""
        return self.fields.fm.doc.data is None

    def keep(self) -> None:
        """Drop what the next build does not need: the text, the parsed YAML (only each
        key's line stays, for messages) and the rendering (in the Markdown cache)."""
        self.fields.fm = self._kept_front_matter()
        self.body, self.rendered, self.made = "", None, ()

    def kept_copy(self) -> Pending:
        """What :meth:`keep` leaves, as a copy: the reading itself stays whole (a preview
        goes on using it while it keeps the copy for its next run)."""
        fields = dataclasses.replace(self.fields, fm=self._kept_front_matter())
        return dataclasses.replace(self, fields=fields, body="", rendered=None, made=())

    def _kept_front_matter(self) -> FrontMatter:
        fm = self.fields.fm
        return FrontMatter(
            YamlDocument(None, None, fm.doc.lines), "", fm.body_line, fm.has_front_matter
        )

    def finish(self, rendered: markdown.Rendered, now: datetime) -> Any:
        if not self.kind:
            return None
        if not self.made or self.made[0] is not rendered:
            body = _from_body(rendered, self.fields.fm, self.summary)
            mentions: tuple[str, ...] = ()
            if self.kind == "essay":
                mentions = taxonomy.mentioned_books(
                    self.values["book_slugs"], rendered.embeds, body["body_links"], self.base_path
                )
            self.made = (rendered, body, mentions)
        _, body, mentions = self.made
        if self.kind == "essay":
            return Essay(
                **self.values,
                **body,
                future=self.values["date"] > now,
                words=rendered.words,
                mentions=mentions,
            )
        if self.kind == "book":
            return Book(**self.values, **body)
        return Page(**self.values, **body)


def _body_key(body: str) -> str:
    return digests.text_hex(body)


def _asset(path: str, config: Config) -> str | None:
    """An image named in front matter, as a URL that works under the site's base path."""
    return under_base(path, config.base_path) if path else None


def _split(data: bytes, rel: PurePosixPath) -> FrontMatter:
    return split(decode(data, rel), rel)


def _lines(fm: FrontMatter) -> dict[str, int]:
    return {str(k[0]): v for k, v in fm.doc.lines.items() if len(k) == 1}


def _common(
    kind: str,
    rel: PurePosixPath,
    fm: FrontMatter,
    f: Fields,
    slug: str,
    title: str,
    located: tuple[str, str, str],
) -> dict[str, Any]:
    """What every kind of item has: where it came from, its identity, URLs and extra keys."""
    path, url, permalink = located
    return {
        "source": rel,
        "lines": _lines(fm),
        "key": f"{kind}:{rel}",
        "slug": slug,
        "title": title,
        "draft": f.boolean("draft"),
        "extra": f.extra(),
        "path": path,
        "url": url,
        "permalink": permalink,
    }


def _from_body(rendered: markdown.Rendered, fm: FrontMatter, summary: str) -> dict[str, Any]:
    """What every kind of item takes from its rendered Markdown body."""
    return {
        "summary": summary or rendered.first_paragraph,
        "summary_written": bool(summary),
        # Rendered HTML is already Markup: share it rather than copy it for every item.
        "html": rendered.html if isinstance(rendered.html, Markup) else Markup(rendered.html),
        "toc": rendered.toc,
        "body_links": _in_file(rendered.links, fm),
        "ids": rendered.ids,
        "embeds": rendered.embeds,
        "body_line": fm.body_line,
        "affiliate": rendered.affiliate,
    }


def _in_file(links: tuple[tuple[str, int], ...], fm: FrontMatter) -> tuple[tuple[str, int], ...]:
    """Body line numbers → file line numbers."""
    return tuple((url, line + fm.body_line - 1) for url, line in links)


def read_essay(rel: PurePosixPath, data: bytes, config: Config) -> Pending:
    fm = _split(data, rel)
    f = Fields(fm, rel, ESSAY_KEYS)
    if not fm.has_front_matter:
        f.problems.append(
            Problem(
                "an essay needs front matter with at least a title and a date",
                rel,
                1,
                hint="start the file with:\n    ---\n    title: My essay\n    date: 2024-03-01\n"
                "    ---",
            )
        )
        return Pending(f, "", "/")
    tz = config.tz
    title = f.text("title", required=True)
    date = f.date("date", tz, required=True)
    updated = f.date("updated", tz)
    if date and updated and updated < date:
        f.warnings.append(Problem("'updated' is before 'date'", rel, f.line("updated")))
    slug = f.slug(PurePosixPath(rel).stem)
    site_path, url, permalink = locate(config, f"/essays/{slug}/")
    aliases = f.text_list("aliases")
    for i, alias in enumerate(aliases):
        if not is_site_path(alias):
            f.problem(
                ("aliases", i),
                f"the alias {alias!r} is not a path on this site",
                hint="write the old URL's path, starting with /, such as /2019/05/old-title/",
            )
    aliases = tuple(a for a in aliases if is_site_path(a))
    values = dict(
        **_common("essay", rel, fm, f, slug, title, (site_path, url, permalink)),
        date=date or datetime.min.replace(tzinfo=tz),
        updated=updated,
        tag_names=f.text_list("tags"),
        book_slugs=f.text_list("books"),
        image=_asset(f.text("image"), config),
        aliases=aliases,
        cta=_cta(f),
        canonical=f.text("canonical") or None,
        lang=f.text("lang") or config.language,
    )
    return Pending(f, fm.body, site_path, "essay", values, f.text("summary"), config.base_path)


def read_book(rel: PurePosixPath, data: bytes, config: Config) -> Pending:
    fm = _split(data, rel)
    f = Fields(fm, rel, BOOK_KEYS)
    title = f.text("title", required=True)
    slug = f.slug(PurePosixPath(rel).stem)
    site_path, url, permalink = locate(config, f"/books/{slug}/")
    authors = f.text_list("authors") or f.text_list("author")
    links: list[Link] = []
    raw_links = fm.doc.data.get("links") or []
    if not isinstance(raw_links, list):
        f.problem(
            "links",
            "'links' must be a list of entries with a label and a url",
            hint="for example:\n    links:\n      - label: Bookshop\n        url: https://...",
        )
        raw_links = []
    for i, item in enumerate(raw_links):
        raw_item = fm.doc.raw["links"][i]
        if not isinstance(item, dict) or not item.get("url"):
            f.problem(("links", i), "each link needs a 'url' (and a 'label')")
            continue
        if any(isinstance(item.get(k), (dict, list)) for k in ("label", "url")):
            f.problem(
                ("links", i),
                "a link's 'label' and 'url' must be text",
                hint="quote them if they contain ': ' or start with [ or {",
            )
            continue
        affiliate = item.get("affiliate", False)
        if not isinstance(affiliate, bool):
            f.problem(("links", i, "affiliate"), "'affiliate' must be true or false")
            affiliate = False
        # A shop named by an affiliate rule in the config gets the associate id added
        # here, so changing it in one place changes every link.
        shop_url, matched = markdown.affiliate_url(str(raw_item["url"]), affiliate_rules(config))
        links.append(
            Link(
                label=str(raw_item.get("label") or raw_item["url"]),
                url=shop_url,
                affiliate=affiliate or matched,
            )
        )
    values = dict(
        **_common("book", rel, fm, f, slug, title, (site_path, url, permalink)),
        subtitle=f.text("subtitle"),
        authors=authors,
        isbn=f.text("isbn"),
        year=f.integer("year"),
        publisher=f.text("publisher"),
        cover=_asset(f.text("cover"), config),
        cover_alt=f.text("cover_alt") or (f"Cover of {title}" if title else ""),
        links=tuple(links),
        tag_names=f.text_list("tags"),
        own=f.boolean("own"),
        featured=f.boolean("featured"),
    )
    return Pending(f, fm.body, site_path, "book", values, f.text("summary"), config.base_path)


def read_page(rel: PurePosixPath, data: bytes, config: Config) -> Pending:
    fm = _split(data, rel)
    f = Fields(fm, rel, PAGE_KEYS)
    title = f.text("title", required=True)
    slug = f.slug(PurePosixPath(rel).stem)
    menu: int | None = None
    if f.has("menu"):
        value = fm.doc.data["menu"]
        if value is True:
            menu = 1000
        elif value is False or value is None:
            menu = None
        else:
            menu = f.integer("menu")
    site_path, url, permalink = locate(config, "/" if slug == "index" else f"/{slug}/")
    template = f.text("template") or ("contact.html" if slug == "contact" else "page.html")
    cta = _cta(f)
    values = dict(
        **_common("page", rel, fm, f, slug, title, (site_path, url, permalink)),
        menu=menu,
        cta=cta if cta is not None else slug == "contact",
        template=template,
    )
    return Pending(f, fm.body, site_path, "page", values, f.text("summary"), config.base_path)


READERS: dict[str, Callable[[PurePosixPath, bytes, Config], Pending]] = {
    "essays": read_essay,
    "books": read_book,
    "pages": read_page,
}

# Starts rendering (body key, body or None when the reading kept no text, site path); the
# function it returns waits for the renderings (None for a body neither given nor cached).
RenderAll = Callable[
    [list[tuple[str, str | None, str]]], Callable[[], list[markdown.Rendered | None]]
]
# Documents sent to be rendered together while reading goes on.
_BATCH = 64


def markdown_options(config: Config) -> markdown.MarkdownOptions:
    return markdown.MarkdownOptions(
        typographer=config.markdown.typographer,
        quotes=config.markdown.quotes,
        raw_html=config.markdown.raw_html,
        highlight=config.markdown.highlight,
        affiliate=affiliate_rules(config),
    )


def affiliate_rules(config: Config) -> tuple[markdown.AffiliateRule, ...]:
    return tuple(markdown.AffiliateRule(r.domain, r.param, r.value) for r in config.affiliate.rules)


@dataclass
class Loaded:
    site: Site
    warnings: list[Problem]
    menu: list[tuple[str, str]]
    # When the site changes by itself: the first future essay's date (it appears then).
    next_change: datetime | None = None
    # Each content file's digest, by its path from the site folder: while it stays the
    # same, so do the fields read from it (see changes.KeptObject).
    digests: dict[str, bytes] = field(default_factory=dict)


ReadCache = dict[str, tuple[bytes, Pending]]  # file from the site folder → digest, reading


def load(
    site_dir: Path,
    config: Config,
    *,
    now: datetime,
    render_all: RenderAll,
    drafts: bool = False,
    future: bool = False,
    preview: bool = False,
    read_cache: ReadCache | None = None,
    keep_text: bool = False,
    for_disk: bool = False,
    known: dict[str, bytes] | None = None,
    memo: dict[str, Any] | None = None,
    on_shown: Callable[[list[Essay]], None] | None = None,
) -> Loaded:
    """Read every content file, link essays, books and tags, and check references.

    ``render_all`` renders the Markdown bodies (the builder's: cached, on all cores).
    ``read_cache`` (kept by a long-running preview, and on disk between builds) maps a
    file to its last bytes and reading, so only files whose bytes changed are parsed
    again. ``keep_text``: readings keep the Markdown source after rendering (a preview's,
    to find the rendering again under other settings). ``for_disk``: the readings are
    kept on disk for the next build, without their text and rendering; ``render_all``
    gives None for such a reading whose rendering is no longer cached, and the file is
    read again. ``known``: the files' digests, when the caller has just taken them
    (:func:`passivepress.uptodate.scan`): a file whose kept reading has the same one is not
    even opened. ``on_shown`` is given the essays the site shows as soon as they are
    known, before they are linked (a cold build starts their social cards).
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    cache: ReadCache = read_cache if read_cache is not None else {}
    content = site_dir / "content"
    pending: dict[str, list[Pending]] = {}
    digests: dict[str, bytes] = {}
    # Renderings started while the rest is read (on other cores, in a cold build).
    started: list[tuple[list[Pending], Callable[[], list[Any]]]] = []
    batch: list[Pending] = []

    def start(items: list[Pending]) -> None:
        jobs = [(p.body_key, None if p.kept else p.body, p.site_path) for p in items]
        started.append((items, render_all(jobs)))

    for folder, read in READERS.items():
        pending[folder] = []
        for path, name in _files(content / folder, site_dir, problems):
            cached = cache.get(name)
            if cached is not None and known is not None and known.get(name) == cached[0]:
                digests[name] = cached[0]
                item = cached[1]
            else:
                try:
                    data = read_whole(path)
                except OSError as exc:
                    problems.append(Problem(f"cannot read this file: {exc.strerror}", name))
                    continue
                # A digest, not the bytes: a preview of 10,000 essays should not hold them
                # twice.
                seen_bytes = digests[name] = file_digest(data)
                if cached is not None and cached[0] == seen_bytes:
                    item = cached[1]
                else:
                    try:
                        item = read(PurePosixPath(name), data, config)
                    except ContentError as exc:
                        cache.pop(name, None)
                        problems.extend(exc.problems)
                        continue
                    cache[name] = (seen_bytes, item)
            problems.extend(item.fields.problems)
            warnings.extend(item.fields.warnings)
            if not item.fields.problems:
                pending[folder].append(item)
                if item.rendered is None:
                    batch.append(item)
                    if len(batch) >= _BATCH:
                        start(batch)
                        batch = []
    if batch:
        start(batch)
    for stale in set(cache) - digests.keys():
        del cache[stale]

    lost = []
    for items, finish in started:
        for item, rendered in zip(items, finish(), strict=True):
            if rendered is None:
                lost.append(item)
            item.rendered = rendered
            if not keep_text:
                # The source text is not needed again; at 10,000 essays, 60 MB.
                item.body = item.fields.fm.body = ""
    if lost:
        _read_again(lost, pending, cache, site_dir, config, render_all)
    made = {folder: [p.finish(p.rendered, now) for p in pending[folder]] for folder in READERS}
    essays: list[Essay] = made["essays"]
    books: list[Book] = [with_cover_size(b, config, site_dir, warnings) for b in made["books"]]
    pages: list[Page] = made["pages"]
    for essay in essays:
        if essay.image and local_image(essay.image, config, site_dir) is False:
            warnings.append(missing_image(essay, "image"))

    books_by_slug = {b.slug: b for b in books if not b.draft or drafts}
    all_book_slugs = sorted(b.slug for b in books)
    for item in (*essays, *books, *pages):
        problems += check_references(item, cache, all_book_slugs, config)
    if for_disk:
        for folder in READERS:
            for p in pending[folder]:
                p.keep()
    if problems:
        # Warnings about the same files often explain the error ('tittle' → 'title' is
        # required), so they go with it.
        broken = {p.path for p in problems}
        related = [w for w in warnings if w.path in broken]
        raise ContentError(sorted(problems + related, key=problem_order))

    shown = [e for e in essays if (drafts or not e.draft) and (future or not e.future)]
    shown.sort(key=lambda e: (e.date, e.slug), reverse=True)
    if on_shown is not None:
        on_shown(shown)
    taxonomy.link_books(shown, books_by_slug)
    tags = taxonomy.group_tags(shown, config)
    taxonomy.relate(shown, memo)

    ordered_books = sorted(
        books_by_slug.values(), key=lambda b: (not b.own, b.title.casefold(), b.slug)
    )
    shown_pages = sorted((p for p in pages if drafts or not p.draft), key=lambda p: p.slug)
    menu = [(item.title, item.url) for item in config.menu]
    menu += [
        (p.title, p.path)
        for p in sorted(
            (p for p in shown_pages if p.menu is not None), key=lambda p: (p.menu, p.title)
        )
    ]
    site = Site(
        config=config,
        essays=tuple(shown),
        books=tuple(ordered_books),
        pages=tuple(shown_pages),
        tags=tuple(tags),
        preview=preview,
    )
    coming = [e.date for e in essays if e.future and not future]
    return Loaded(
        site, sorted(warnings, key=problem_order), menu, min(coming, default=None), digests
    )


def _read_again(
    lost: list[Pending],
    pending: dict[str, list[Pending]],
    cache: ReadCache,
    site_dir: Path,
    config: Config,
    render_all: RenderAll,
) -> None:
    """Read and render again the kept readings whose rendering the Markdown cache lost
    (a cache folder partly deleted): they are replaced in ``pending`` and ``cache``."""
    fresh = {}
    for item in lost:
        name = str(item.fields.source)
        folder = name.split("/")[1]
        with open(site_dir / name, "rb") as fh:
            data = fh.read()
        again = READERS[folder](PurePosixPath(name), data, config)
        cache[name] = (file_digest(data), again)
        fresh[id(item)] = again
    rendered = render_all([(p.body_key, p.body, p.site_path) for p in fresh.values()])()
    for again, done in zip(fresh.values(), rendered, strict=True):
        again.rendered = done
    for folder in READERS:
        pending[folder] = [fresh.get(id(p), p) for p in pending[folder]]


def local_image(url: str, config: Config, site_dir: Path) -> Path | bool | None:
    """The file in static/ behind an image URL of the site; False when it is missing,
    None when the URL is not a local one."""
    path = urlsplit(url).path
    if urlsplit(url).netloc or not path.startswith(config.base_path):
        return None
    rel = unquote(path[len(config.base_path) :])
    if not rel or not is_site_path("/" + rel):
        return None
    file = site_dir / "static" / rel
    return file if file.is_file() else False


def missing_image(item: Essay | Book, key: str) -> Problem:
    return Problem(
        f"missing image: no file static{urlsplit(getattr(item, key)).path} for '{key}'",
        item.source,
        item.line_of(key),
        hint="put the image in static/ (static/covers/a.jpg is /covers/a.jpg)",
    )


def with_cover_size(book: Book, config: Config, site_dir: Path, warnings: list[Problem]) -> Book:
    """A book with its local cover's width and height, so pages reserve its space."""
    if not book.cover:
        return book
    file = local_image(book.cover, config, site_dir)
    if file is False:
        warnings.append(missing_image(book, "cover"))
        return book
    if file is None:
        return book
    try:
        import imagesize  # here: it loads urllib's HTTP machinery, and few sites have covers

        width, height = imagesize.get(file)
    except (OSError, ValueError):
        return book
    if width <= 0 or height <= 0:
        return book
    return dataclasses.replace(book, cover_size=(round(width), round(height)))


def _unknown_book(slug: str, known: list[str]) -> str:
    guess = difflib.get_close_matches(slug, known, n=1)
    if guess:
        return f"did you mean '{guess[0]}'?"
    return "books are the file names in content/books/ without '.md'"


def check_references(
    item: Essay | Book | Page, cache: ReadCache, books: list[str], config: Config
) -> list[Problem]:
    """Unknown books (listed, embedded or linked by role) and call-to-action variants."""
    problems = []
    doc = cache[str(item.source)][1].fields.fm.doc
    variants = sorted(config.contact.variants)
    for i, slug in enumerate(getattr(item, "book_slugs", ())):
        if slug not in books:
            problems.append(
                Problem(
                    f"unknown book '{slug}'",
                    item.source,
                    doc.line_of("books", i),
                    hint=_unknown_book(slug, books),
                )
            )
    for embed in item.embeds:
        line = item.body_line + embed.line - 1
        if embed.kind in ("book", "book-link") and embed.arg not in books:
            what = "{book}" if embed.kind == "book" else "{book} role"
            problems.append(
                Problem(
                    f"unknown book '{embed.arg}' in {what}"
                    if embed.arg
                    else f"the {what} needs a book, such as {{book}} the-book-slug",
                    item.source,
                    line,
                    hint=_unknown_book(embed.arg, books),
                )
            )
        elif embed.kind == "cta" and embed.arg and embed.arg not in variants:
            problems.append(
                Problem(
                    f"unknown call-to-action variant '{embed.arg}'",
                    item.source,
                    line,
                    hint=f"variants in passivepress.yml: {', '.join(variants) or 'none yet'}",
                )
            )
    cta = getattr(item, "cta", None)
    if isinstance(cta, str) and cta not in variants:
        guess = difflib.get_close_matches(cta, variants, n=1)
        problems.append(
            Problem(
                f"unknown call-to-action variant '{cta}'",
                item.source,
                doc.line_of("cta"),
                hint=f"did you mean '{guess[0]}'?"
                if guess
                else "define it under contact.variants in passivepress.yml, or use cta: false",
            )
        )
    return problems


def problem_order(problem: Problem) -> tuple[str, int]:
    return (str(problem.path or ""), problem.line or 0)
