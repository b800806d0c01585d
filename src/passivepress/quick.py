"""The quick way through ``passivepress build``: a few edited essays, books or pages built
from what the last build kept, in time that grows with the edit, not with the site.

After every successful CLI build the cache folder keeps, beside the full build's state
(:mod:`passivepress.cache`), what this module needs to skip the rest of the pipeline:

- the whole linked model, each item's fields but a few packed in a file of their own and
  read only for the items a quick build compares or renders (the HTML of a body without
  embeds stays in the Markdown cache, fetched when an output shows it);
- for each model object, which outputs read which of its fields (what the templates were
  seen to read), and which feeds show it;
- each content file's digest, every output file's size and modification time, and the
  build's warnings in parts.

When the next build finds that only some content files changed (the same files, the
configuration, templates and static files as they were), it reads those files alone and
compares each new object with the kept one. If the fields that differ decide nothing about
the rest of the site (a body, a title, a summary, a call-to-action: not a date, a tag, a
slug, a draft flag or a heading another page links to), it patches the model, renders
only the outputs that read what changed and writes them in place. Anything else, and
anything unexpected on the way, goes the full way, which makes the same bytes:
``tests/test_edits_match_clean.py`` builds every kind of edit both ways and compares them
with a clean build.

Quick builds leave the full build's state as it was, and say in a journal which outputs
they rewrote: the next full build makes those again rather than trust its older records.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from passivepress import (
    __version__,
    cache,
    clock,
    embeds,
    loader,
    markdown,
    routes,
    seo,
    theme,
    uptodate,
)
from passivepress.cache import CACHE_DIR, markdown_key
from passivepress.changes import keys_in, same
from passivepress.clock import build_time
from passivepress.errors import PassivepressError, Problem, StrictError
from passivepress.model import Book, Essay, Page, Site, Tag, unpack
from passivepress.report import Reporter
from passivepress.routes import Route

if TYPE_CHECKING:
    from passivepress.build import BuildOptions, BuildResult
    from passivepress.cache import MarkdownStore, OutputRecord

log = logging.getLogger(__name__)

FILE = "quick.pickle"
ITEMS = "quick-items.bin"  # each item's packed fields, read when the item is
JOURNAL = "quick-journal.pickle"
_FORMAT = 7
# More changed files than this and a full build is about as quick (and surely right).
MAX_FILES = 16

# The fields an edit may change for the quick way: what only this object's outputs and
# the outputs that read the field show. Everything else (dates, tags, slugs, drafts, the
# books an essay mentions, a book's title when it reorders the shelf, a page's place in
# the menu) moves things around the site, and takes the full way.
_BODY = frozenset(
    {
        "summary",
        "summary_written",
        "html",
        "feed_parts",
        "toc",
        "words",
        "body_links",
        "ids",
        "embeds",
        "body_line",
        "affiliate",
        "extra",
        "lines",
    }
)
_LEAF: dict[type, frozenset[str]] = {
    # ``updated`` shows in the sitemap too, which a quick build writes again (see _sitemap).
    # ``image`` while it stays set (with none, the essay has a social card of its own).
    # ``date`` while the essay keeps its place in the order (see _same_place).
    Essay: _BODY | {"title", "lang", "canonical", "cta", "updated", "image", "date"},
    Book: _BODY
    | {
        "subtitle",
        "authors",
        "isbn",
        "year",
        "publisher",
        "cover",
        "cover_alt",
        "cover_size",
        "links",
        "tag_names",
        "title",  # while the shelf keeps its order (see _same_shelf)
    },
    Page: _BODY | {"title", "cta"},
}
# Links between model objects: kept as keys, joined again when the model is loaded.
_LINKS = ("tags", "books", "related", "essays")


class _NotQuick(Exception):
    """This build cannot take the quick way: the reason, for the verbose log."""


# -- HTML fetched when it is shown ------------------------------------------------------


class _Bodies:
    """Where lazily kept HTML comes from during a quick build (the Markdown cache)."""

    store: MarkdownStore | None = None


class LazyHtml:
    """The HTML of a kept item's body, fetched from the Markdown cache when a template or
    a feed shows it. It offers what templates do with HTML (print it, test it, take its
    text); anything else raises, and the build takes the full way."""

    __slots__ = ("_html", "key")

    def __init__(self, key: str) -> None:
        self.key = key
        self._html: Any = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyHtml, (self.key,))

    def fetch(self) -> Any:
        if self._html is None:
            store = _Bodies.store
            found = store.get_many([self.key]).get(self.key) if store is not None else None
            if found is None:
                raise _NotQuick(f"a rendering is no longer in the Markdown cache ({self.key})")
            html = found.html
            self._html = html if isinstance(html, Markup) else Markup(html)
        return self._html

    def __html__(self) -> str:
        return str(self.fetch())

    def __str__(self) -> str:
        return str(self.fetch())

    def __bool__(self) -> bool:
        return bool(self.fetch())

    def __len__(self) -> int:
        return len(self.fetch())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.fetch(), name)


# -- what a full build keeps ---------------------------------------------------------------


@dataclass
class Kept:
    """What a full build leaves for quick builds (the model travels separately)."""

    ident: str  # this keeping, to tell whether a journal belongs to it
    options: str  # uptodate.options_key of the build
    output: str
    others: str  # uptodate.Sources.others: everything but the content files
    published: str  # digest of published-urls.txt after the build
    valid_until: float | None  # when a future essay appears (a full build then)
    markdown_settings: str
    bytecode: str | None  # the folder of compiled templates
    content: dict[str, bytes]  # content file → digest of what the model was made from
    follows: dict[str, tuple[str, ...]]  # key → URLs of feeds showing it
    anchored: set[str]  # paths of items linked to with a #fragment
    embedded: set[str]  # slugs of books shown as {book} cards or links
    sitemap: dict[str, Any]  # URL → its last modification, as in /sitemap.xml
    files: dict[str, tuple[int, int]]  # output file → size and mtime as written
    warnings: dict[str, Any]  # config, content, lost, links (by item key)
    pages: int
    feeds: int


@dataclass
class Journal:
    """What quick builds changed since the last full build's keeping."""

    ident: str
    done: bool = False  # False while outputs are written: the next build goes the full way
    rewritten: set[str] = field(default_factory=set)  # output files
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → changed fields
    content: dict[str, bytes] = field(default_factory=dict)
    anchored: set[str] = field(default_factory=set)
    sitemap: dict[str, Any] = field(default_factory=dict)  # URL → its new last modification
    removed: set[str] = field(default_factory=set)  # content files deleted since
    reads: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # key → attr → URLs
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    warnings: dict[str, Any] = field(default_factory=dict)


def _folder(site_dir: Path) -> Path:
    return site_dir / CACHE_DIR


def forget(site_dir: Path) -> None:
    """A full build is about to change the output: what was kept stops being true."""
    with contextlib.suppress(OSError):
        (_folder(site_dir) / FILE).unlink(missing_ok=True)
        (_folder(site_dir) / ITEMS).unlink(missing_ok=True)


def rewritten(site_dir: Path) -> set[str]:
    """Outputs quick builds wrote since the full build's state was saved."""
    try:
        with (_folder(site_dir) / JOURNAL).open("rb") as fh:
            journal = pickle.load(fh)
        return set(journal.rewritten)
    except FileNotFoundError:
        return set()
    except Exception:
        # Unreadable: which outputs were rewritten is unknown. The caller then trusts no
        # record (see build.Builder).
        return {"*"}


def keep(
    site_dir: Path,
    *,
    site: Site,
    menu: Sequence[tuple[str, str]],
    plan: Sequence[Route],
    records: dict[str, OutputRecord],
    static: dict[str, Any],
    readings: dict[str, Any],
    digests: dict[str, bytes],
    sources: uptodate.Sources,
    options_key: str,
    output: Path,
    valid_until: float | None,
    markdown_settings: str,
    bytecode: Path | None,
    warnings: dict[str, Any],
    pages: int,
    feeds: int,
) -> None:
    """Keep what quick builds need, after a successful full build (and forget the
    journal of the quick builds before it)."""

    folder = _folder(site_dir)
    content = {name: found for name, found in sources.files.items() if name.startswith("content/")}
    content.update(digests)
    kept, reads, markdown_keys = index(
        site=site,
        plan=plan,
        records=records,
        static=static,
        readings=readings,
        content=content,
        output=output,
        valid_until=valid_until,
        markdown_settings=markdown_settings,
        warnings=warnings,
        pages=pages,
        feeds=feeds,
        ident=f"{time.time_ns()}-{os.getpid()}",
        options_key=options_key,
        others=sources.others,
        published=uptodate.published_digest(site_dir),
        bytecode=bytecode,
    )
    blobs = {
        key: pickle.dumps({a: tuple(p) for a, p in by_attr.items()}, pickle.HIGHEST_PROTOCOL)
        for key, by_attr in reads.items()
    }
    del reads
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / JOURNAL).unlink(missing_ok=True)
        tmp = folder / f"{FILE}.{os.getpid()}.tmp"
        items_tmp = folder / f"{ITEMS}.{os.getpid()}.tmp"
        with tmp.open("wb") as fh, items_tmp.open("wb") as items_fh:
            pickle.dump((__version__, _FORMAT), fh, pickle.HIGHEST_PROTOCOL)
            pickle.dump(kept, fh, pickle.HIGHEST_PROTOCOL)
            pickle.dump(blobs, fh, pickle.HIGHEST_PROTOCOL)
            items_fh.write(_items_header(kept.ident))
            _dump_model(fh, items_fh, site, menu, markdown_keys)
        # The items first: a model beside items of another keeping is refused on load.
        os.replace(items_tmp, folder / ITEMS)
        os.replace(tmp, folder / FILE)
    except OSError as exc:  # no quick builds is only slower ones
        log.debug("could not keep the model for quick builds: %s", exc)


Reads = dict[str, dict[str, Sequence[str]]]  # model key → attribute → URLs of outputs


def index(
    *,
    site: Site,
    plan: Sequence[Route],
    records: dict[str, OutputRecord],
    static: dict[str, Any],
    readings: dict[str, Any],
    content: dict[str, bytes],
    output: Path,
    valid_until: float | None,
    markdown_settings: str,
    warnings: dict[str, Any],
    pages: int,
    feeds: int,
    ident: str,
    options_key: str = "",
    others: str = "",
    published: str = "",
    bytecode: Path | None = None,
) -> tuple[Kept, Reads, dict[str, str]]:
    """What quick builds start from, made of a full build's outcome: the :class:`Kept`
    record, which outputs read which fields of each object, and the Markdown cache's key
    of each item's body (for bodies without embeds)."""
    items = (*site.essays, *site.books, *site.pages)
    paths = {route.file: route.path for route in plan}
    # By (key, attribute) first, one lookup per read: 640,000 reads at 10,000 essays.
    by_dep: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rel, record in records.items():
        path = paths.get(rel)
        if path is not None:
            for dep in record.deps:
                by_dep[dep].append(path)
    reads: dict[str, dict[str, Sequence[str]]] = {}
    for (key, attr), found in by_dep.items():
        by_attr = reads.get(key)
        if by_attr is None:
            by_attr = reads[key] = {}
        by_attr[attr] = found
    del by_dep
    follows: dict[str, list[str]] = defaultdict(list)
    for route in plan:
        if route.template is None and route.shows is not None:
            for key in dict.fromkeys(keys_in(route.shows)):
                follows[key].append(route.path)
    markdown_keys = {}
    for item in items:
        reading = readings.get(str(item.source))
        if reading is not None and not item.embeds:
            markdown_keys[item.key] = markdown_key(
                markdown_settings, item.path, reading[1].body_key
            )
    files = {rel: (r.size, r.mtime_ns) for rel, r in records.items()}
    files.update({rel: (r.out_size, r.out_mtime_ns) for rel, r in static.items()})
    kept = Kept(
        ident=ident,
        options=options_key,
        output=str(output),
        others=others,
        published=published,
        valid_until=valid_until,
        markdown_settings=markdown_settings,
        bytecode=str(bytecode) if bytecode else None,
        content=content,
        follows={k: tuple(v) for k, v in follows.items()},
        anchored=_anchored(items),
        embedded={e.arg for item in items for e in item.embeds if e.kind in ("book", "book-link")},
        sitemap={r.path: r.lastmod for r in plan if r.sitemap},
        files=files,
        warnings=warnings,
        pages=pages,
        feeds=feeds,
    )
    return kept, reads, markdown_keys


def _anchored(items: Iterable[Any]) -> set[str]:
    """Paths of the items other items link to with a #fragment (their headings' ids)."""
    out = set()
    for item in items:
        for link, _ in item.body_links:
            if "#" in link:
                path = unquote(urlsplit(link).path)
                if path:
                    out.add(path if path.endswith("/") else path + "/")
    return out


_SITE_LISTS = ("essays", "books", "pages", "tags")
# Fields of every item a quick build reads (to plan routes, find the contact page): the
# others are packed per item, and unpacked for the few items it renders or shows.
_EAGER = frozenset({"key", "slug", "path", "draft", "future", "aliases", "featured", "own"})
_CHUNK = 500  # items pickled together (a pickling's memo holds all it has seen)


def _items_header(ident: str) -> bytes:
    return ident.encode().ljust(64)


class _Items:
    """The items file of a kept model, open while any item may still need its fields."""

    def __init__(self, path: Path, ident: str) -> None:
        self.file = path.open("rb")
        if self.file.read(64) != _items_header(ident):
            self.file.close()
            raise _NotQuick("the items file is not of the kept model")
        self.objects: dict[str, Any] = {}  # by key, to link the unpacked items to

    def unpack(self, offset: int, length: int) -> dict[str, Any]:
        """An item's packed fields (called by model.unpack), linked to the others."""
        self.file.seek(offset)
        state = pickle.loads(self.file.read(length))
        objects = self.objects
        for name, keys in state.pop(_LINKED, {}).items():
            state[name] = [objects[k] for k in keys]
        return state

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            self.file.close()


_LINKED = "_linked"  # in an item's packed fields: its links, as keys


def _dump_model(
    fh: Any,
    items_fh: Any,
    site: Site,
    menu: Sequence[tuple[str, str]],
    markdown_keys: dict[str, str],
) -> None:
    """The model as plain states, links as keys (pickled whole, the chains of related
    essays would recurse as deep as the site is big), in chunks; each item's fields but a
    few go to the items file, read when the item is. A body without embeds is the
    Markdown cache's (fetched when shown)."""
    items = [*site.essays, *site.books, *site.pages, *site.tags]
    lists = {name: tuple(o.key for o in getattr(site, name)) for name in _SITE_LISTS}
    chunks = range(0, len(items), _CHUNK)
    pickle.dump((site.config, site.preview, lists, tuple(menu), len(chunks)), fh, 5)
    for start in chunks:
        states = []
        for obj in items[start : start + _CHUNK]:
            state = dict(vars(obj))
            state.pop("feed_html", None)  # a cached property
            links = {k: tuple(o.key for o in state.pop(k)) for k in _LINKS if k in state}
            if isinstance(obj, Tag):  # a tag's essays are needed to plan its pages
                states.append((Tag, state, links, None))
                continue
            if not obj.embeds and obj.key in markdown_keys:  # else kept with the item
                state["html"] = LazyHtml(markdown_keys[obj.key])
            eager = {k: state.pop(k) for k in _eager(type(obj)) if k in state}
            state[_LINKED] = links  # an item's links only with its other fields
            packed = pickle.dumps(state, pickle.HIGHEST_PROTOCOL)
            states.append((type(obj), eager, None, (items_fh.tell(), len(packed))))
            items_fh.write(packed)
        pickle.dump(states, fh, pickle.HIGHEST_PROTOCOL)


def _eager(kind: type) -> frozenset[str]:
    """The fields of ``kind`` kept unpacked: _EAGER, and any that its class or a base
    answers for (a default left on the class would be read instead of the packed value;
    model._no_class_defaults removes those of the model's classes)."""
    found = _EAGER_BY_KIND.get(kind)
    if found is None:
        answered = {name for c in kind.__mro__ if c is not object for name in vars(c)}
        found = _EAGER_BY_KIND[kind] = _EAGER | (answered & set(kind.__dataclass_fields__))
    return found


_EAGER_BY_KIND: dict[type, frozenset[str]] = {}


def _load_model(fh: Any, items: _Items) -> tuple[Site, list[Any]]:
    config, preview, lists, menu, chunks = pickle.load(fh)
    objects: dict[str, Any] = items.objects
    new = object.__new__
    unpack = items.unpack
    linked = []
    for _ in range(chunks):
        for kind, state, links, packed in pickle.load(fh):
            obj = new(kind)
            if packed is not None:
                state["_packed"] = (unpack, *packed)  # see model.unpack
            obj.__dict__.update(state)
            objects[state["key"]] = obj
            if links:
                linked.append((obj.__dict__, links))
    for state, links in linked:
        for name, keys in links.items():
            state[name] = [objects[k] for k in keys]
    site = Site(
        config=config,
        preview=preview,
        **{name: tuple(objects[k] for k in keys) for name, keys in lists.items()},
    )
    return site, list(menu)


# -- the quick build ---------------------------------------------------------------------


def build(
    site_dir: Path,
    options: BuildOptions,
    reporter: Reporter,
    sources: uptodate.Sources,
    options_key: str,
) -> BuildResult | None:
    """Build the site the quick way, or say (None) that it takes the full way."""
    started = time.perf_counter()
    enabled = gc.isenabled()
    gc.disable()  # loading the model makes many objects and no cycles
    try:
        return _Quick(site_dir, options, reporter, sources, started).run(options_key)
    except _NotQuick as exc:
        log.debug("a full build: %s", exc)
        return None
    except StrictError:
        raise
    except Exception:
        # Whatever went wrong, the full build makes the output right (and reports a real
        # error properly); the journal tells it what this one may have written.
        log.debug("a full build: the quick one failed", exc_info=True)
        return None
    finally:
        _Bodies.store = None
        if enabled:
            gc.enable()


@dataclass
class Resident:
    """What the preview holds after each full build for quick builds of the next saves:
    the live model (patched in place by each quick build, as the outputs are rewritten)
    and the Jinja environment; and what a CLI build keeps on disk, made by ``make`` when a
    quick build first needs it (at 10,000 essays, indexing 640,000 reads takes a few
    tenths of a second, which a full build need not wait for). The journal stays here.

    The builder that made it compares its next full build with the same objects: patched
    with what the outputs now show, they stay true to them; and the outputs quick builds
    rewrote (``journal.rewritten``), whose recorded reads are older, it makes again."""

    site: Site
    menu: list[Any]
    env: Any
    make: Callable[[], tuple[Kept, Reads, dict[str, str]]] | None
    kept: Kept | None = None
    reads: Reads = field(default_factory=dict)
    journal: Journal | None = None

    def ready(self) -> tuple[Kept, Reads, Journal]:
        """What quick builds start from (made the first time; the preview makes it while
        it waits for saves)."""
        if self.kept is None or self.journal is None:
            assert self.make is not None
            self.kept, self.reads, _ = self.make()
            self.journal = Journal(self.kept.ident, done=True)
            self.make = None  # and with it the full build's routes
        return self.kept, self.reads, self.journal


def build_resident(
    site_dir: Path,
    options: BuildOptions,
    reporter: Reporter,
    resident: Resident,
    changed: Iterable[str],
) -> BuildResult | None:
    """A preview's build after saves of ``changed`` (files by their path from the site
    folder), the quick way from ``resident``; or None: it takes the full way. A quick
    build that stops leaves the model as it found it."""
    started = time.perf_counter()
    enabled = gc.isenabled()
    gc.disable()
    quick = _Quick(site_dir, options, reporter, None, started, resident)
    try:
        return quick.run_resident(changed)
    except _NotQuick as exc:
        log.debug("a full build: %s", exc)
    except Exception:
        log.debug("a full build: the quick one failed", exc_info=True)
    finally:
        if enabled:
            gc.enable()
    quick.undo()
    return None


def _few(changed: list[str]) -> list[str]:
    if len(changed) > MAX_FILES:
        raise _NotQuick(f"{len(changed)} content files changed")
    return changed


def _essays_books_or_pages(names: list[str]) -> list[str]:
    for name in names:
        folder = name.split("/")[1] if name.count("/") >= 2 else ""
        if (
            not name.startswith("content/")
            or folder not in loader.READERS
            or not loader.is_content_file(name)
        ):
            raise _NotQuick(f"{name} is not an essay, book or page")
    return names


class _Quick:
    def __init__(
        self,
        site_dir: Path,
        options: BuildOptions,
        reporter: Reporter,
        sources: uptodate.Sources | None,
        started: float,
        resident: Resident | None = None,
    ) -> None:
        self.site_dir, self.options, self.reporter = site_dir, options, reporter
        self.sources, self.started = sources, started
        # A preview's model in memory (None: a CLI build's, kept in the cache folder).
        self.resident = resident
        self.folder = _folder(site_dir)
        self.removed: list[str] = []  # content files deleted since the kept model
        self.files: dict[str, tuple[int, int]] = {}  # output file → size and mtime, see run
        self._data: dict[str, bytes] = {}  # changed files already read
        # Objects of a resident model as they were before this build patched them.
        self._before: list[tuple[Any, dict[str, Any]]] = []

    def undo(self) -> None:
        """Put the patched objects of a resident model back as they were."""
        for obj, state in reversed(self._before):
            obj.__dict__.clear()
            obj.__dict__.update(state)
        self._before = []

    def run_resident(self, changed: Iterable[str]) -> BuildResult:
        mark = time.perf_counter()
        assert self.resident is not None
        kept, reads, journal = self.resident.ready()
        self.files = {**kept.files, **journal.files}
        names = self._changed_here(kept, journal, changed)
        site = self.resident.site
        objects = {o.key: o for o in (*site.essays, *site.books, *site.pages, *site.tags)}
        mark = self._step("load", mark)
        return self._build(kept, journal, names, site, self.resident.menu, objects, reads, mark)

    def _changed_here(self, kept: Kept, journal: Journal, names: Iterable[str]) -> list[str]:
        """Of the files a preview saw change, those whose bytes differ from what the model
        was made from, when all are essays, books or pages."""
        content = self._kept_content(kept, journal)
        names = _essays_books_or_pages(sorted(set(names)))
        changed, removed = [], []
        for name in names:
            try:
                with open(self.site_dir / name, "rb") as fh:
                    data = fh.read()
            except FileNotFoundError:
                if name in content:
                    removed.append(name)
                continue
            except OSError as exc:
                raise _NotQuick(f"{name} cannot be read: {exc}") from exc
            if content.get(name) != uptodate.file_digest(data):
                self._data[name] = data
                changed.append(name)
        self.removed = removed
        return _few(changed + removed)

    def _kept_content(self, kept: Kept, journal: Journal) -> dict[str, bytes]:
        """Each content file's digest as the kept model (with the quick builds since) was
        made from it; when a future essay has come due since, the full way."""
        options = self.options
        now = options.now.timestamp() if options.now else clock.now_epoch()
        if kept.valid_until is not None and now >= kept.valid_until:
            raise _NotQuick("a future essay is due")
        content = {**kept.content, **journal.content}
        for name in journal.removed:
            content.pop(name, None)
        return content

    def _step(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.reporter.step(name, now - since)
        return now

    def run(self, options_key: str) -> BuildResult:
        mark = time.perf_counter()
        fh, kept = self._open()
        with fh:
            journal = self._journal(kept)
            changed = self._changed(kept, journal, options_key)
            # Every output file as the builds since the last full one left it.
            self.files = {**kept.files, **journal.files}
            self._check_output(kept.output)
            blobs = pickle.load(fh)
            site, menu = _load_model(fh, _Items(self.folder / ITEMS, kept.ident))
        objects = {o.key: o for o in (*site.essays, *site.books, *site.pages, *site.tags)}
        for key, values in journal.objects.items():
            obj = objects.get(key)
            if obj is None:
                raise _NotQuick(f"the journal names {key}, which the model lacks")
            _patch(obj, values)
        mark = self._step("load", mark)
        return self._build(kept, journal, changed, site, menu, objects, blobs, mark)

    def _open(self) -> tuple[Any, Kept]:
        try:
            fh = (self.folder / FILE).open("rb")
        except OSError as exc:
            raise _NotQuick("no model kept by a full build") from exc
        try:
            version, fmt = pickle.load(fh)
            if (version, fmt) != (__version__, _FORMAT):
                raise _NotQuick("the kept model is of another version")
            kept = pickle.load(fh)
        except _NotQuick:
            fh.close()
            raise
        except Exception as exc:
            fh.close()
            raise _NotQuick(f"the kept model is unreadable: {exc}") from exc
        return fh, kept

    def _journal(self, kept: Kept) -> Journal:
        try:
            with (self.folder / JOURNAL).open("rb") as fh:
                journal = pickle.load(fh)
        except FileNotFoundError:
            return Journal(kept.ident)
        except Exception as exc:
            raise _NotQuick(f"the journal is unreadable: {exc}") from exc
        if not isinstance(journal, Journal) or journal.ident != kept.ident:
            raise _NotQuick("the journal is not of the kept model")
        if not journal.done:
            raise _NotQuick("the last quick build stopped while writing")
        return journal

    def _changed(self, kept: Kept, journal: Journal, options_key: str) -> list[str]:
        """The content files that changed, when nothing else did."""

        options, sources = self.options, self.sources
        assert sources is not None
        if options.preview or not options.use_cache:
            raise _NotQuick("not a build with a cache")
        if kept.options != options_key:
            raise _NotQuick("other build options")
        if kept.others != sources.others:
            raise _NotQuick("files other than essays, books and pages changed")
        content = self._kept_content(kept, journal)
        if kept.published != uptodate.published_digest(self.site_dir):
            raise _NotQuick("published-urls.txt changed")
        now_content = {n: d for n, d in sources.files.items() if n.startswith("content/")}
        # New files too: a new draft changes nothing a build shows (see _build); a deleted
        # one neither (see _forget_removed).
        changed = [name for name, found in now_content.items() if content.get(name) != found]
        self.removed = sorted(content.keys() - now_content.keys())
        changed += self.removed
        if not changed:
            raise _NotQuick("no content file changed (the output did?)")
        return _essays_books_or_pages(_few(changed))

    def _check_output(self, output: str) -> None:
        """Every output file is still what the builds wrote (as the full build checks).
        The CLI's scan had a copy of the process look at the files of the up-to-date
        record meanwhile (uptodate.Written): the same files as the builds since the
        full one left them, unless a build stopped before writing that record."""
        written = self.sources.written if self.sources is not None else None
        if (
            written is not None
            and written.files == self.files
            and str(written.record.get("output")) == output
        ):
            changed = written.changed()
        else:
            changed = uptodate.changed_file(output, self.files)
        if changed is not None:
            raise _NotQuick(f"output file {changed} is gone or changed")

    def _build(
        self,
        kept: Kept,
        journal: Journal,
        changed: list[str],
        site: Site,
        menu: list[Any],
        objects: dict[str, Any],
        blobs: dict[str, bytes] | Reads,
        mark: float,
    ) -> BuildResult:
        from passivepress import build as full
        from passivepress.build import BuildResult

        config = site.config
        # A preview's model holds its bodies' HTML: no cache to fetch them from.
        store = cache.MarkdownStore(self.site_dir) if self.resident is None else None
        _Bodies.store = store
        result = BuildResult(output=Path(kept.output), quick=True)
        warnings = {**kept.warnings, **journal.warnings}
        what: dict[str, set[str]] = {}  # key → attributes that changed
        try:
            site_theme = theme.Theme(self.site_dir, config)
            env = (
                self.resident.env
                if self.resident is not None
                else site_theme.environment(Path(kept.bytecode) if kept.bytecode else None)
            )
            self._forget_removed(objects, journal)
            edits = self._read([n for n in changed if n not in self.removed], config)
            mark = self._step("read", mark)
            renderings = self._render_bodies(edits, store, kept, config, result)
            mark = self._step("markdown", mark)

            now = self.options.now or build_time(config.tz)
            books = sorted(b.slug for b in site.books)
            readings = {edit.name: (edit.digest, edit.pending) for edit in edits}
            content = [w for w in warnings["content"] if str(w.path) not in self.removed]
            patched = []
            for edit, (rendered, md_key) in zip(edits, renderings, strict=True):
                new = edit.pending.finish(rendered, now)
                old = objects.get(getattr(new, "key", None))
                if (
                    old is None
                    and isinstance(new, (Essay, Page))
                    and new.draft
                    and not self.options.drafts
                ):
                    # A draft, new or edited: the site does not show it, but its file is
                    # checked and warned about all the same. (Not a book: other files
                    # may name a draft book, and its slug is checked against theirs.)
                    _, found = self._file_warnings(edit, new, config, readings, books)
                    journal.content[edit.name] = edit.digest
                    journal.removed.discard(edit.name)
                    content = [w for w in content if str(w.path) != edit.name] + found
                    content.sort(key=loader.problem_order)
                    continue
                if old is None or type(new) is not type(old):
                    raise _NotQuick(f"{edit.name} is new to the site, or no more in it")
                new, found = self._file_warnings(edit, new, config, readings, books)
                differ = self._differing(edit.name, old, new, site, kept, journal)
                what[old.key] = self._apply(site, env, old, new, differ, md_key, journal)
                journal.content[edit.name] = edit.digest
                # Warnings as a full build orders them: by file and line.
                content = [w for w in content if str(w.path) != edit.name] + found
                content.sort(key=loader.problem_order)
                patched.append(old)
            links = dict(warnings["links"])  # by item, in the site's order when listed
            for item in patched:
                links.pop(item.key, None)
                links.update(full.link_problems(site, self.files, items=[item]))
            warnings = {**warnings, "content": content, "links": links}
            listed = _listed(site, warnings)
            mark = self._step("compare", mark)

            wanted = self._affected(kept, journal, blobs, what, objects)
            cards = full.social_cards(site_theme, config)  # pages show them
            plan = routes.plan(site, menu, cards, only=frozenset(wanted))
            if len(plan) != len(wanted):
                raise _NotQuick("an output to make again has no route")
            mark = self._step("routes", mark)
            made = self._render(plan, env, config)
            if any(attrs & {"updated", "date"} for attrs in what.values()):
                made.append(self._sitemap(kept, journal, what, objects, config))
            mark = self._step("render", mark)
        except _NotQuick:
            raise
        except PassivepressError as exc:
            # A template that failed, or a body no longer cached: the full build says it
            # right, or makes it.
            raise _NotQuick(f"rendering failed: {exc}") from exc
        except Exception as exc:
            log.debug("quick build stopped", exc_info=True)
            raise _NotQuick(f"unexpected: {exc!r}") from exc
        finally:
            if store is not None:
                store.close()

        # Only now, when the quick way is sure to finish, as a full build would.
        for warning in listed:
            self.reporter.warning(warning)
        if self.options.strict and listed:
            raise StrictError.of(listed)
        self._write(kept, journal, made, warnings, listed, result)
        self._step("write", mark)
        result.pages, result.feeds = kept.pages, kept.feeds
        result.warnings = listed
        result.site = site
        result.seconds = time.perf_counter() - self.started
        return result

    def _forget_removed(self, objects: dict[str, Any], journal: Journal) -> None:
        """Deleted essays and pages the site did not show (drafts, or future essays, whose
        day then only brings a full build sooner than needed): they are forgotten, with
        their warnings; anything else deleted takes the full way."""
        kinds = {"essays": "essay", "pages": "page"}
        for name in self.removed:
            kind = kinds.get(name.split("/")[1])
            if kind is None or f"{kind}:{name}" in objects:
                raise _NotQuick(f"{name} was deleted")
            journal.removed.add(name)
            journal.content.pop(name, None)

    def _read(self, changed: list[str], config: Any) -> list[_Edit]:
        """Each changed file read as the loader reads it; one with errors ends the quick
        way (the full build reports them with everything else)."""

        edits = []
        for name in changed:
            data = self._data.get(name)
            if data is None:
                with open(self.site_dir / name, "rb") as fh:
                    data = fh.read()
            sources = self.sources
            digest = sources.files[name] if sources is not None else uptodate.file_digest(data)
            folder = name.split("/")[1]
            try:
                pending = loader.READERS[folder](PurePosixPath(name), data, config)
            except PassivepressError as exc:
                raise _NotQuick(f"{name} has errors") from exc
            if pending.fields.problems:
                raise _NotQuick(f"{name} has errors")
            edits.append(_Edit(name, digest, pending))
        return edits

    @staticmethod
    def _render_bodies(
        edits: list[_Edit],
        store: MarkdownStore | None,
        kept: Kept,
        config: Any,
        result: BuildResult,
    ) -> list[tuple[Any, str]]:
        """(rendering, its key in the Markdown cache) of each edit's body; new renderings
        are added to the cache (later quick builds fetch them from there), if there is one."""

        keys = [
            markdown_key(kept.markdown_settings, e.pending.site_path, e.pending.body_key)
            for e in edits
        ]
        stored = store.get_many(keys) if store is not None else {}
        made = {}
        # An edit of the prose leaves the code blocks as the last build highlighted them.
        code = markdown.CodeBlocks(find=store.code_block) if store is not None else None
        for key, edit in zip(keys, edits, strict=True):
            if key not in stored:
                options = loader.markdown_options(config)
                body = edit.pending.body
                made[key] = markdown.render(body, options, base_path=config.base_path, code=code)
                result.markdown_rendered += 1
        if made and store is not None and code is not None:
            store.add(made)
            store.add_code(code.made)
        return [({**stored, **made}[key], key) for key in keys]

    def _file_warnings(
        self, edit: _Edit, new: Any, config: Any, readings: dict[str, Any], books: list[str]
    ) -> tuple[Any, list[Problem]]:
        """The item with what the loader adds to it (a local cover's size), and its
        file's warnings in the loader's order; an unknown book or variant ends the quick
        way."""

        found = list(edit.pending.fields.warnings)
        if isinstance(new, Book):
            new = loader.with_cover_size(new, config, self.site_dir, found)
        elif (
            isinstance(new, Essay)
            and new.image
            and loader.local_image(new.image, config, self.site_dir) is False
        ):
            found.append(loader.missing_image(new, "image"))
        if loader.check_references(new, readings, books, config):
            raise _NotQuick(f"{edit.name} names an unknown book or variant")
        return new, found

    @staticmethod
    def _differing(
        name: str, old: Any, new: Any, site: Site, kept: Kept, journal: Journal
    ) -> set[str]:
        """The fields that differ, when none of them moves things around the site."""
        differ = _differing(old, new)
        allowed = _LEAF[type(new)]
        if isinstance(new, Page) and old.menu is not None:
            allowed = allowed - {"title"}  # the menu shows it
        moving = differ - allowed
        if moving:
            raise _NotQuick(f"{name} changed {', '.join(sorted(moving))}")
        if "ids" in differ and old.path in kept.anchored | journal.anchored:
            raise _NotQuick(f"{name} changed a heading another page links to")
        if isinstance(old, Book) and old.slug in kept.embedded:
            raise _NotQuick(f"{name} is a book embedded in a page")
        if "date" in differ and not _same_place(site, old, new):
            raise _NotQuick(f"{name}: the essay's new date moves it in the lists")
        if "image" in differ and (old.image is None or new.image is None):
            raise _NotQuick(f"{name}: the essay's social card comes or goes")
        if "title" in differ and isinstance(old, Book) and not _same_shelf(site, old, new):
            raise _NotQuick(f"{name}: the book's new title moves it on the shelf")
        return differ

    def _apply(
        self,
        site: Site,
        env: Any,
        old: Any,
        new: Any,
        differ: set[str],
        md_key: str,
        journal: Journal,
    ) -> set[str]:
        """Patch the kept item with the new fields (its embeds filled in again); the
        attributes and properties that changed."""

        if self.resident is not None:
            self._before.append((old, dict(old.__dict__)))
        words = getattr(old, "words", 0)
        old_body = old.html, old.feed_parts
        values = {n: getattr(new, n) for n in differ | {"lines"}}
        values.pop("html", None)
        values.pop("feed_parts", None)
        _patch(old, values)
        if new.embeds:
            _patch(old, {"html": new.html, "feed_parts": new.feed_parts})
            embeds.resolve(site, env, self.site_dir, site.contact_url, items=[old])
            values["html"], values["feed_parts"] = old.html, old.feed_parts
        else:
            _patch(old, {"html": new.html, "feed_parts": ()})
            # The journal keeps the rendering's key: it is in the Markdown cache.
            values["html"], values["feed_parts"] = LazyHtml(md_key), ()
        attrs = set(differ)
        if _body_changed(old_body, old.html, old.feed_parts, md_key):
            attrs |= {"html", "feed_parts", "feed_html"}
        else:
            attrs -= {"html", "feed_parts"}
        if isinstance(old, Essay) and old.reading_time != max(1, round(words / 230)):
            attrs.add("reading_time")
        if isinstance(old, Book) and "authors" in attrs:
            attrs.add("author")
        journal.objects.setdefault(old.key, {}).update(values)
        journal.anchored |= _anchored([old])
        return attrs

    @staticmethod
    def _sitemap(
        kept: Kept,
        journal: Journal,
        what: dict[str, set[str]],
        objects: dict[str, Any],
        config: Any,
    ) -> tuple[Route, bytes, Any]:
        """The sitemap with the new last modification of essays whose ``updated`` changed
        (the rest of it, every URL of the site, is as the last full build made it)."""

        for key, attrs in what.items():
            essay = objects[key]
            if attrs & {"updated", "date"} and essay.path in kept.sitemap:
                journal.sitemap[essay.path] = essay.updated or essay.date
        entries = {**kept.sitemap, **journal.sitemap}
        data = seo.sitemap([seo.SitemapEntry(p, m) for p, m in entries.items()], config)
        return Route("/sitemap.xml", "the sitemap", "sitemap"), data, None

    def _render(self, plan: list[Route], env: Any, config: Any) -> list[tuple[Route, bytes, Any]]:
        """Each planned output's bytes (and a page's recorded reads)."""
        from passivepress import build as full

        made: list[tuple[Route, bytes, Any]] = []
        for route in plan:
            if route.template is not None:
                assert route.context is not None
                text, read = theme.render(
                    env, route.template, route.context(), route.origin, self.site_dir
                )
                text = full.disclose(text, config.affiliate.disclosure)
                made.append((route, text.encode("utf-8"), read))
            else:
                assert route.produce is not None
                made.append((route, route.produce(), None))
        return made

    def _affected(
        self,
        kept: Kept,
        journal: Journal,
        blobs: dict[str, bytes] | Reads,
        what: dict[str, set[str]],
        objects: dict[str, Any],
    ) -> dict[str, tuple[str, str]]:
        """URL → (why, kind) of every output that shows what changed."""
        wanted: dict[str, tuple[str, str]] = {}
        for key, attrs in what.items():
            item = objects[key]
            wanted[item.path] = (key, "page")  # its own page
            if isinstance(item, Essay) and item.image is None and "title" in attrs:
                wanted[f"{item.path}card.png"] = (key, "image")  # its social card
            if not attrs:
                continue
            for path in kept.follows.get(key, ()):
                wanted.setdefault(path, (key, "feed"))
            reads: dict[str, Iterable[str]] = {}
            blob = blobs.get(key)
            if blob is not None:
                # Pickled as the cache folder keeps them; a preview's are not.
                reads.update(pickle.loads(blob) if isinstance(blob, bytes) else blob)
            for attr, paths in journal.reads.get(key, {}).items():
                reads[attr] = {*reads.get(attr, ()), *paths}
            for attr in attrs:
                for path in reads.get(attr, ()):
                    wanted.setdefault(path, (key, "page"))
        if "/sitemap.xml" in wanted:
            raise _NotQuick("the sitemap would change")
        return wanted

    def _write(
        self,
        kept: Kept,
        journal: Journal,
        made: list[tuple[Route, bytes, Any]],
        warnings: dict[str, Any],
        listed: list[Problem],
        result: BuildResult,
    ) -> None:
        """Write what changed, each file atomically, with the journal saying so first."""
        output = kept.output
        todo = []
        for route, data, read in made:
            path = os.path.join(output, route.file)
            try:
                with open(path, "rb") as fh:
                    same = fh.read() == data
            except OSError:
                same = False
            if read is not None:
                # What the page reads now, for the next quick build to find it by.
                for key, attr in read:
                    if key != "site":
                        by_attr = journal.reads.setdefault(key, {})
                        by_attr.setdefault(attr, set()).add(route.path)
            if not same:
                todo.append((route, path, data))
        journal.rewritten.update(route.file for route, _, _ in todo)
        journal.warnings = warnings
        # A preview's journal is in memory, and only the preview writes its output folder.
        on_disk = self.resident is None
        applying = self.folder / "applying"
        if on_disk:
            journal.done = False
            self._save_journal(journal)
            # The full build's own marker of an output being changed: if this stops half
            # way, the next build looks through the whole folder (and removes a stray .tmp).
            applying.touch()
        for route, path, data in todo:
            tmp = f"{path}.{os.getpid()}.tmp"
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            st = os.stat(path)
            journal.files[route.file] = self.files[route.file] = (st.st_size, st.st_mtime_ns)
            result.rendered += 1
            self.reporter.rendered(route.path)
        self._before = []  # the outputs show the patched model now
        if not on_disk:
            return
        assert self.sources is not None
        journal.done = True
        self._save_journal(journal)
        applying.unlink()
        # The record of the last build, so that the next one with nothing to do stops at once.
        uptodate.record(
            self.site_dir,
            kept.options,
            self.sources.digest,
            valid_until=kept.valid_until,
            output=Path(output),
            files=self.files,
            warnings=listed,
            pages=kept.pages,
            feeds=kept.feeds,
        )
        self.sources.save(self.site_dir)

    def _save_journal(self, journal: Journal) -> None:
        tmp = self.folder / f"{JOURNAL}.{os.getpid()}.tmp"
        with tmp.open("wb") as fh:
            pickle.dump(journal, fh, pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.folder / JOURNAL)


@dataclass
class _Edit:
    """A changed content file, read."""

    name: str  # from the site folder
    digest: bytes
    pending: Any  # loader.Pending


def _listed(site: Site, warnings: dict[str, Any]) -> list[Problem]:
    """The build's warnings in the order a full build gives them."""
    links = warnings["links"]
    return [
        *warnings["config"],
        *warnings["content"],
        *warnings["lost"],
        *warnings["static"],
        *(w for item in (*site.essays, *site.books, *site.pages) for w in links.get(item.key, ())),
    ]


def _patch(obj: Any, values: dict[str, Any]) -> None:
    unpack(obj)
    obj.__dict__.update(values)
    obj.__dict__.pop("feed_html", None)


def _differing(old: Any, new: Any) -> set[str]:
    """The fields of ``new`` (read from its file, not linked yet) that differ from ``old``."""
    out = set()
    for f in fields(new):
        name = f.name
        if name in _LINKS or name in ("html", "feed_parts"):
            continue
        if not same(getattr(old, name), getattr(new, name)):
            out.add(name)
    return out


def _same_place(site: Site, old: Essay, new: Essay) -> bool:
    """Whether the essays stay in the same order with ``new``'s date (newest first, then
    by slug): its neighbours are still before and after it. Their places, and so every
    list, page of a list, feed and related essay, stay as they are."""
    essays = site.essays
    i = essays.index(old)
    key = (new.date, new.slug)
    before = i == 0 or (essays[i - 1].date, essays[i - 1].slug) > key
    after = i == len(essays) - 1 or key > (essays[i + 1].date, essays[i + 1].slug)
    return before and after


def _same_shelf(site: Site, old: Book, new: Book) -> bool:
    """Whether the books stay in the same order with ``new``'s title (the loader's order:
    the author's own first, then by title)."""

    def order(book: Book) -> tuple[bool, str, str]:
        book = new if book is old else book
        return (not book.own, book.title.casefold(), book.slug)

    return sorted(site.books, key=order) == list(site.books)


def _body_changed(before: tuple[Any, Any], html: Any, feed_parts: Any, key: str) -> bool:
    """Whether an item's finished HTML changed (``key``: its new rendering's)."""
    old_html, old_parts = before
    if isinstance(old_html, LazyHtml) and not feed_parts:
        return old_html.key != key  # the same rendering, without embeds: the same HTML
    return str(old_html) != str(html) or old_parts != feed_parts
