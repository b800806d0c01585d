"""Read ``content/`` into the model, reporting every bad file in one run."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from markupsafe import Markup

from passivepress import markdown
from passivepress.config import Config, Contact
from passivepress.errors import ContentError, Problem
from passivepress.frontmatter import FrontMatter, decode, split
from passivepress.model import Book, Essay, Link, Page, Site, Tag, locate
from passivepress.urls import is_valid_slug, slug_from_filename, slugify

log = logging.getLogger(__name__)

ESSAY_KEYS = ("title", "date", "updated", "summary", "tags", "books", "slug", "draft", "image",
              "aliases", "cta", "canonical", "lang")
BOOK_KEYS = ("title", "subtitle", "author", "authors", "isbn", "year", "publisher", "cover",
             "cover_alt", "links", "tags", "summary", "own", "featured", "slug", "draft")
PAGE_KEYS = ("title", "slug", "summary", "menu", "cta", "template", "draft")

_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
# Files editors and systems leave beside the real ones; they must never become pages.
_IGNORED = re.compile(r"(^\.|~$|\.sw[a-p]$|\.tmp$|___jb_\w+___$|^4913$|^#.*#$)")


def is_content_file(path: Path) -> bool:
    return path.suffix.lower() in (".md", ".markdown") and not _IGNORED.search(path.name)


def parse_date(text: str, tz: Any) -> datetime | None:
    """A date as authors write it; without an offset it is in the site's time zone."""
    m = _DATE.match(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, offset = m.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0))
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
                self.problems.append(Problem(
                    f"'{key}' is required", self.source,
                    self.line(key) if key in data else 1,
                    hint=hint or f"add a line '{key}: ...' to the front matter"))
            return ""
        if isinstance(data[key], (dict, list)):
            self.problem(key, f"'{key}' must be text, not a {type(data[key]).__name__}",
                         hint="quote the value if it contains ': ' or starts with [ or {")
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
        return tuple(str(r).strip() for v, r in zip(value, raw, strict=True)
                     if v is not None and str(r).strip())

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
        text = self.text(key, required=required,
                         hint=f"add a line such as '{key}: 2024-03-01' to the front matter")
        if not text:
            return None
        value = parse_date(text, tz)
        if value is None:
            self.problem(key, f"'{key}' is not a date: {text!r}",
                         hint="write dates as 2024-03-01, 2024-03-01 10:00 or "
                         "2024-03-01T10:00:00+02:00")
        return value

    def slug(self, stem: str) -> str:
        given = self.text("slug")
        if given:
            if not is_valid_slug(given):
                self.problem("slug", f"the slug {given!r} is not usable in a URL",
                             hint=f"use lowercase words joined by hyphens, such as "
                             f"'{slugify(given) or 'my-essay'}'")
            return given
        slug = slug_from_filename(stem)
        if not slug:
            self.problems.append(Problem("cannot make a URL slug from the file name",
                                         self.source, 1, hint="add 'slug: my-essay'"))
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
                self.warnings.append(Problem(
                    f"unknown front matter key '{key}'", self.source, self.line(key),
                    hint=f"did you mean '{guess[0]}'?"))
            extra[key] = value
        return extra


@dataclass
class Loaded:
    site: Site
    warnings: list[Problem]
    menu: list[tuple[str, str]]


def _files(folder: Path, site_dir: Path, problems: list[Problem]) -> Iterator[Path]:
    if not folder.is_dir():
        return
    root = site_dir.resolve()
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or not is_content_file(path):
            continue
        if any(_IGNORED.search(part) for part in path.relative_to(folder).parts[:-1]):
            continue
        if not path.resolve().is_relative_to(root):
            problems.append(Problem(
                "this file is a link to a file outside the site folder; it was not read",
                path.relative_to(site_dir).as_posix(),
                hint="copy the file into the site instead of linking to it"))
            continue
        yield path


def _read(path: Path, site_dir: Path) -> tuple[PurePosixPath, FrontMatter]:
    rel = PurePosixPath(path.relative_to(site_dir).as_posix())
    return rel, split(decode(path.read_bytes(), rel), rel)


def _render(config: Config, fm: FrontMatter, site_path: str) -> markdown.Rendered:
    _, _, permalink = locate(config, site_path)
    return markdown.render(
        fm.body,
        markdown.MarkdownOptions(
            typographer=config.markdown.typographer, quotes=config.markdown.quotes,
            raw_html=config.markdown.raw_html, highlight=config.markdown.highlight),
        base_url=config.base_url, base_path=config.base_path, permalink=permalink)


def _cta(f: Fields) -> Any:
    """``cta:`` is false (off), true (default), a variant name, or fields overriding it."""
    if not f.has("cta"):
        return None
    value = f.fm.doc.data["cta"]
    if value is None or isinstance(value, bool):
        return value if value is not None else None
    if isinstance(value, str):
        if f.fm.doc.raw["cta"] in ("off", "none", "no"):
            return False
        return f.text("cta")
    if isinstance(value, dict):
        allowed = {name for name in Contact.__dataclass_fields__}
        out = {}
        for key, item in value.items():
            if key not in allowed:
                guess = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                f.problem(("cta", key), f"unknown call-to-action field 'cta.{key}'",
                          hint=f"did you mean '{guess[0]}'?" if guess else
                          "known fields: " + ", ".join(sorted(allowed)))
                continue
            out[key] = "" if item is None else str(f.fm.doc.raw["cta"][key])
        return out
    f.problem("cta", "'cta' must be false, a variant name, or fields of the call-to-action")
    return None


def _in_file(links: tuple[tuple[str, int], ...], fm: FrontMatter) -> tuple[tuple[str, int], ...]:
    """Body line numbers → file line numbers."""
    return tuple((url, line + fm.body_line - 1) for url, line in links)


def read_essay(path: Path, site_dir: Path, config: Config, now: datetime) -> tuple[Essay, Fields]:
    rel, fm = _read(path, site_dir)
    f = Fields(fm, rel, ESSAY_KEYS)
    if not fm.has_front_matter:
        f.problems.append(Problem(
            "an essay needs front matter with at least a title and a date", rel, 1,
            hint="start the file with:\n    ---\n    title: My essay\n    date: 2024-03-01\n"
            "    ---"))
        return Essay(rel), f
    tz = config.tz
    title = f.text("title", required=True)
    date = f.date("date", tz, required=True)
    updated = f.date("updated", tz)
    if date and updated and updated < date:
        f.warnings.append(Problem("'updated' is before 'date'", rel, f.line("updated")))
    slug = f.slug(path.stem)
    site_path, url, permalink = locate(config, f"/essays/{slug}/")
    aliases = f.text_list("aliases")
    for i, alias in enumerate(aliases):
        if not alias.startswith("/"):
            f.problem(("aliases", i), f"the alias {alias!r} must be a path starting with /",
                      hint="for example: /2019/05/old-title/")
    rendered = _render(config, fm, site_path)
    image = f.text("image") or None
    essay = Essay(
        source=rel,
        lines={str(k[0]): v for k, v in fm.doc.lines.items() if len(k) == 1},
        slug=slug, title=title, date=date or datetime.min.replace(tzinfo=tz), updated=updated,
        summary=f.text("summary") or rendered.first_paragraph,
        tag_names=f.text_list("tags"), book_slugs=f.text_list("books"),
        draft=f.boolean("draft"), future=bool(date and date > now), image=image,
        aliases=aliases, cta=_cta(f), canonical=f.text("canonical") or None,
        lang=f.text("lang") or config.language,
        html=Markup(rendered.html), feed_html=rendered.feed_html, toc=rendered.toc,
        words=rendered.words, body_links=_in_file(rendered.links, fm), extra=f.extra(),
        path=site_path, url=url, permalink=permalink,
    )
    return essay, f


def read_book(path: Path, site_dir: Path, config: Config) -> tuple[Book, Fields]:
    rel, fm = _read(path, site_dir)
    f = Fields(fm, rel, BOOK_KEYS)
    title = f.text("title", required=True)
    slug = f.slug(path.stem)
    site_path, url, permalink = locate(config, f"/books/{slug}/")
    authors = f.text_list("authors") or f.text_list("author")
    links: list[Link] = []
    raw_links = fm.doc.data.get("links") or []
    if not isinstance(raw_links, list):
        f.problem("links", "'links' must be a list of entries with a label and a url",
                  hint="for example:\n    links:\n      - label: Bookshop\n"
                  "        url: https://...")
        raw_links = []
    for i, item in enumerate(raw_links):
        raw_item = fm.doc.raw["links"][i]
        if not isinstance(item, dict) or not item.get("url"):
            f.problem(("links", i), "each link needs a 'url' (and a 'label')")
            continue
        affiliate = item.get("affiliate", False)
        if not isinstance(affiliate, bool):
            f.problem(("links", i, "affiliate"), "'affiliate' must be true or false")
            affiliate = False
        links.append(Link(label=str(raw_item.get("label") or raw_item["url"]),
                          url=str(raw_item["url"]), affiliate=affiliate))
    rendered = _render(config, fm, site_path)
    book = Book(
        source=rel,
        lines={str(k[0]): v for k, v in fm.doc.lines.items() if len(k) == 1},
        slug=slug, title=title, subtitle=f.text("subtitle"), authors=authors,
        isbn=f.text("isbn"), year=f.integer("year"), publisher=f.text("publisher"),
        cover=f.text("cover") or None,
        cover_alt=f.text("cover_alt") or (f"Cover of {title}" if title else ""),
        links=tuple(links), tag_names=f.text_list("tags"),
        summary=f.text("summary") or rendered.first_paragraph,
        own=f.boolean("own"), featured=f.boolean("featured"), draft=f.boolean("draft"),
        html=Markup(rendered.html), feed_html=rendered.feed_html, toc=rendered.toc,
        body_links=_in_file(rendered.links, fm), extra=f.extra(), path=site_path, url=url,
        permalink=permalink,
    )
    return book, f


def read_page(path: Path, site_dir: Path, config: Config) -> tuple[Page, Fields]:
    rel, fm = _read(path, site_dir)
    f = Fields(fm, rel, PAGE_KEYS)
    title = f.text("title", required=True)
    slug = f.slug(path.stem)
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
    rendered = _render(config, fm, site_path)
    template = f.text("template") or ("contact.html" if slug == "contact" else "page.html")
    cta = _cta(f)
    page = Page(
        source=rel,
        lines={str(k[0]): v for k, v in fm.doc.lines.items() if len(k) == 1},
        slug=slug, title=title, summary=f.text("summary") or rendered.first_paragraph,
        menu=menu, cta=cta if cta is not None else slug == "contact", template=template,
        draft=f.boolean("draft"), html=Markup(rendered.html), toc=rendered.toc,
        body_links=_in_file(rendered.links, fm), extra=f.extra(), path=site_path, url=url, permalink=permalink,
    )
    return page, f


def _collect(kind: str, folder: Path, site_dir: Path, problems: list[Problem],
             warnings: list[Problem], read: Callable[[Path], tuple[Any, Fields]]) -> list[Any]:
    items = []
    for path in _files(folder, site_dir, problems):
        try:
            item, f = read(path)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        except OSError as exc:
            problems.append(Problem(f"cannot read this {kind}: {exc.strerror}",
                                    path.relative_to(site_dir).as_posix()))
            continue
        problems.extend(f.problems)
        warnings.extend(f.warnings)
        if not f.problems:
            items.append(item)
    return items


def load(site_dir: Path, config: Config, *, now: datetime, drafts: bool = False,
         future: bool = False, preview: bool = False) -> Loaded:
    """Read every content file, link essays, books and tags, and check references."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    content = site_dir / "content"
    essays: list[Essay] = _collect("essay", content / "essays", site_dir, problems, warnings,
                                   lambda p: read_essay(p, site_dir, config, now))
    books: list[Book] = _collect("book", content / "books", site_dir, problems, warnings,
                                 lambda p: read_book(p, site_dir, config))
    pages: list[Page] = _collect("page", content / "pages", site_dir, problems, warnings,
                                 lambda p: read_page(p, site_dir, config))

    books_by_slug = {b.slug: b for b in books if not b.draft or drafts}
    all_book_slugs = {b.slug for b in books}
    for essay in essays:
        for i, slug in enumerate(essay.book_slugs):
            if slug not in all_book_slugs:
                guess = difflib.get_close_matches(slug, sorted(all_book_slugs), n=1)
                problems.append(Problem(
                    f"unknown book '{slug}'", essay.source,
                    _item_line(site_dir, essay, "books", i),
                    hint=f"did you mean '{guess[0]}'?" if guess else
                    "books are the file names in content/books/ without '.md'"))
    if problems:
        raise ContentError(sorted(problems, key=_order))

    shown = [e for e in essays if (drafts or not e.draft) and (future or not e.future)]
    shown.sort(key=lambda e: (e.date, e.slug), reverse=True)
    for essay in shown:
        for slug in dict.fromkeys(essay.book_slugs):
            book = books_by_slug.get(slug)
            if book is not None:
                essay.books.append(book)
                book.essays.append(essay)

    tags: dict[str, Tag] = {}
    for essay in shown:
        for name in essay.tag_names:
            slug = slugify(name)
            if not slug:
                continue
            if slug not in tags:
                path, url, permalink = locate(config, f"/tags/{slug}/")
                tags[slug] = Tag(name=name, slug=slug, path=path, url=url, permalink=permalink)
            if essay not in tags[slug].essays:
                tags[slug].essays.append(essay)
                essay.tags.append(tags[slug])

    ordered_books = sorted(books_by_slug.values(),
                           key=lambda b: (not b.own, b.title.casefold(), b.slug))
    shown_pages = sorted((p for p in pages if drafts or not p.draft), key=lambda p: p.slug)
    menu = [(item.title, item.url) for item in config.menu]
    menu += [(p.title, p.path) for p in sorted(
        (p for p in shown_pages if p.menu is not None), key=lambda p: (p.menu, p.title))]
    site = Site(
        config=config, essays=tuple(shown), books=tuple(ordered_books),
        pages=tuple(shown_pages), tags=tuple(sorted(tags.values(), key=lambda t: t.slug)),
        preview=preview,
    )
    return Loaded(site, sorted(warnings, key=_order), menu)


def _item_line(site_dir: Path, essay: Essay, key: str, index: int) -> int | None:
    """The line of a list item in an essay's front matter (read again only on error)."""
    fm = split(decode((site_dir / essay.source).read_bytes(), essay.source), essay.source)
    return fm.doc.line_of(key, index)


def _order(problem: Problem) -> tuple[str, int]:
    return (str(problem.path or ""), problem.line or 0)


