"""What is up to date.

Every output remembers what it read while it was made: the template context it was given
and each ``object.attribute`` its templates looked at (recorded by
:class:`passivepress.theme.TrackingEnvironment`). A later build recomputes the fingerprint
of exactly those values; when nothing an output read has changed, its previous bytes are
reused instead of rendering it again. Nothing here trusts modification times of sources.

The Markdown cache maps a document's text and rendering settings to its rendered form, so
an unchanged essay is never parsed twice, in one process or, through the cache folder,
across builds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from passivepress import __version__
from passivepress.model import Tracked
from passivepress.urls import Based

if TYPE_CHECKING:
    from passivepress.routes import Route

log = logging.getLogger(__name__)

CACHE_DIR = ".passivepress/cache"
_FORMAT = 3  # bump when the pickled layout changes


def fingerprint(value: Any) -> str:
    """A stable text standing for a value; model objects stand for themselves by key.

    Two values with the same fingerprint render the same. Model objects are not followed:
    whatever a template reads *through* them is recorded as a dependency of its own.
    """
    kind = type(value)
    if kind is str or kind is Markup or kind is Based:
        return _text(value)
    if isinstance(value, Tracked):
        return "@" + value.key
    if kind is tuple or kind is list:
        text = "[" + ",".join([fingerprint(v) for v in value]) + "]"
        return text if len(text) <= 120 else _text(text)
    if value is None or kind is bool or kind is int:
        return repr(value)
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return kind.__name__ + "(" + ",".join([fingerprint(getattr(value, n)) for n in names]) + ")"
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, (list, tuple)):
        return fingerprint(list(value))
    if isinstance(value, dict):
        return "{" + ",".join(f"{fingerprint(k)}:{fingerprint(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return repr(value)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _text(value: str) -> str:
    if len(value) <= 120:
        return repr(str(value))
    return "#" + hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def files_digest(folders: Iterable[Path]) -> str:
    """The content of every file in some folders (templates), in a stable order."""
    h = hashlib.blake2b(digest_size=20)
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


Dep = tuple[str, str]  # (model key, attribute)


# Attributes whose value differs from one output to the next (the menu marks the current
# page); everything else a key names is the same object for every output of a build.
LOCAL = frozenset({("site", "menu")})


class Resolver:
    """Current values of recorded dependencies, each fingerprinted once per build."""

    def __init__(self, objects: dict[str, Any]) -> None:
        self.objects = objects
        self.memo: dict[Dep, bytes] = {}

    def value(self, dep: Dep, local: dict[str, Any] | None = None) -> bytes:
        """A short digest of ``key.attr=fingerprint`` of a dependency's current value
        (short, so that combining the fifty-odd values a page read stays cheap)."""
        key, attr = dep
        if local is not None and dep in LOCAL:
            return _token(f"{key}.{attr}={self._read(local[key], attr)}")
        found = self.memo.get(dep)
        if found is None:
            obj = self.objects.get(key)
            value = "\x00gone" if obj is None else self._read(obj, attr)
            found = self.memo[dep] = _token(f"{key}.{attr}={value}")
        return found

    @staticmethod
    def _read(obj: Any, attr: str) -> str:
        try:
            return fingerprint(getattr(obj, attr))
        except AttributeError:
            try:
                return fingerprint(obj[attr])
            except Exception:
                return "\x00missing"

    def deps_digest(self, deps: Iterable[Dep], local: dict[str, Any] | None = None) -> str:
        value = self.value
        return hashlib.blake2b(
            b"".join([value(dep, local) for dep in deps]), digest_size=20
        ).hexdigest()


class Fingerprints:
    """Decides what to make again from fingerprints (a build that starts from disk): a
    page is unchanged when the fingerprint of its context and of every value it read last
    time is what it was; a produced file, when its inputs' fingerprint is."""

    def __init__(self, objects: dict[str, Any]) -> None:
        self.objects = objects
        self.resolver = Resolver(objects)
        self._contexts: dict[str, tuple[dict[str, Any], str]] = {}
        self._inputs: dict[str, str] = {}

    def page_unchanged(self, route: Route, old: OutputRecord) -> bool:
        self.context(route)  # made and fingerprinted now, kept for rendering it
        return old.inputs == self.page_inputs(route, old.deps)

    def context(self, route: Route) -> dict[str, Any]:
        """The page's context, made once for the question and the rendering."""
        if route.file not in self._contexts:
            assert route.context is not None
            context = route.context()
            self.objects.setdefault("site", context["site"])
            self._contexts[route.file] = (context, fingerprint(context))
        return self._contexts[route.file][0]

    def page_inputs(self, route: Route, deps: tuple[Dep, ...]) -> str:
        context, context_fp = self._contexts[route.file]
        local = {"site": context["site"]}
        return digest(str(route.template), context_fp, self.resolver.deps_digest(deps, local))

    def output_changed(self, route: Route, old: OutputRecord | None) -> bool:
        inputs = self._inputs[route.file] = digest(
            route.kind, fingerprint(route.inputs() if route.inputs else object())
        )
        return old is None or old.inputs != inputs

    def output_inputs(self, route: Route) -> str:
        return self._inputs[route.file]

    def done(self, route: Route) -> None:
        """Forget what was kept for a page (at 10,000 pages, its context)."""
        self._contexts.pop(route.file, None)


def _token(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()


@dataclass
class OutputRecord:
    """How one output file was made, to decide next time whether to make it again."""

    inputs: str  # digest of everything it read
    deps: tuple[Dep, ...]
    size: int
    mtime_ns: int


@dataclass
class State:
    """What the last successful build wrote, kept in memory by the preview server and on
    disk between CLI builds."""

    output: str = ""
    settings: str = ""  # digest of tool version, config, templates and build options
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    markdown: dict[str, Any] = field(default_factory=dict)
    static: dict[str, Any] = field(default_factory=dict)  # output.StaticRecord by file


class MarkdownStore:
    """Rendered Markdown on disk, one row per document, in SQLite (part of Python).

    Unlike one pickled file, a build reads only the rows it needs and writes only the
    documents it rendered: at 10,000 essays the cache is a hundred MB that a warm build would
    otherwise load and rewrite whole.
    """

    def __init__(self, site_dir: Path) -> None:
        folder = site_dir / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        name = f"markdown-{__version__}-{_FORMAT}.sqlite"
        for stale in folder.glob("markdown-*.sqlite"):
            if stale.name != name:
                stale.unlink(missing_ok=True)
        self.db = sqlite3.connect(folder / name, timeout=30)
        self.db.execute("CREATE TABLE IF NOT EXISTS md (key TEXT PRIMARY KEY, value BLOB)")

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, value in self.db.execute(
                f"SELECT key, value FROM md WHERE key IN ({marks})", chunk
            ):
                try:
                    found[key] = pickle.loads(value)
                except Exception:
                    continue
        return found

    def put_many(self, items: dict[str, Any], keep: set[str]) -> None:
        """Store new documents and forget those no longer used (when there are many)."""
        with self.db:
            # A generator: SQLite takes one row at a time, so ten thousand pickled
            # documents are never all in memory at once.
            self.db.executemany(
                "INSERT OR REPLACE INTO md (key, value) VALUES (?, ?)",
                ((k, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in items.items()),
            )
            (count,) = self.db.execute("SELECT COUNT(*) FROM md").fetchone()
            if count > 2 * len(keep) + 100:
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM used")
                self.db.executemany("INSERT INTO used VALUES (?)", [(k,) for k in keep])
                self.db.execute("DELETE FROM md WHERE key NOT IN (SELECT key FROM used)")

    def close(self) -> None:
        self.db.close()


def load_state(site_dir: Path) -> State:
    path = site_dir / CACHE_DIR / "state.pickle"
    try:
        with path.open("rb") as fh:
            version, fmt, state = pickle.load(fh)
    except FileNotFoundError:
        return State()
    except Exception as exc:
        log.debug("ignoring unreadable cache %s: %s", path, exc)
        return State()
    if version != __version__ or fmt != _FORMAT or not isinstance(state, State):
        return State()
    return state


def save_state(site_dir: Path, state: State) -> None:
    folder = site_dir / CACHE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        gitignore = folder.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# passivepress's cache: safe to delete, not for git\n*\n")
        tmp = folder / f"state.pickle.{os.getpid()}.tmp"
        with tmp.open("wb") as fh:
            pickle.dump((__version__, _FORMAT, state), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / "state.pickle")
    except OSError as exc:
        log.debug("could not write the cache: %s", exc)
