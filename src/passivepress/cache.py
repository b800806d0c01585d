"""What a build keeps for the next one, in memory (the preview) or in ``.passivepress/cache/``.

Every output remembers what it read while it was made: each ``object.attribute`` its
templates looked at (recorded by :class:`passivepress.theme.TrackingEnvironment`); the
next build makes it again only when one of those changed (:mod:`passivepress.changes`
tells), or what it is made from did. Fingerprints here give values a stable text.

The Markdown cache maps a document's text and rendering settings to its rendered form, so
an unchanged essay is never parsed twice, in one process or, through the cache folder,
across builds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import os
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from passivepress import __version__, digests
from passivepress.model import Tracked
from passivepress.urls import Based

log = logging.getLogger(__name__)

CACHE_DIR = ".passivepress/cache"
_FORMAT = 10  # bump when the pickled layout changes
_MARKDOWN_FORMAT = 6  # bump when the Markdown cache's keys or values change


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
    if isinstance(value, (set, frozenset)):
        # In a stable order: a set's own order changes from one process to the next.
        return "{" + ",".join(sorted(fingerprint(v) for v in value)) + "}"
    if isinstance(value, datetime):
        # The zone too: equal instants in other zones show other times.
        return value.isoformat() + repr(value.tzinfo)
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _text(value: str) -> str:
    if len(value) <= 120:
        return repr(str(value))
    return "#" + digests.text_hex(value)


def digest(*parts: str) -> str:
    h = digests.new()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def files_digest(folders: Iterable[Path]) -> str:
    """The content of every file in some folders (templates), in a stable order."""
    h = digests.new()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


Dep = tuple[str, str]  # (model key, attribute)


@dataclass
class OutputRecord:
    """How one output file was made, to decide next time whether to make it again."""

    deps: tuple[Dep, ...]  # every (model key, attribute) a page's templates read
    size: int
    mtime_ns: int


@dataclass
class State:
    """What the last successful build wrote, kept in memory by the preview server and on
    disk between CLI builds."""

    output: str = ""
    settings: str = ""  # digest of tool version, config and build options
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    markdown: dict[str, Any] = field(default_factory=dict)
    static: dict[str, Any] = field(default_factory=dict)  # output.StaticRecord by file
    related: dict[str, Any] = field(default_factory=dict)  # taxonomy.relate's memo
    read_settings: str = ""  # the configuration's fingerprint the readings were made with
    readings: dict[str, Any] = field(default_factory=dict)  # loader.ReadCache, kept text-less
    model: Any = None  # changes.Kept: the model as the next CLI build compares with it


def make_again(state: State, rewritten: set[str]) -> None:
    """Mark the outputs quick builds ``rewritten`` since ``state`` was kept ("*": any)
    to be made again: its records of them are out of date (their bytes may be the same
    while what they read is not). They stay in the records, so that one nothing makes any
    more is removed."""
    for rel, old in state.outputs.items():
        if rel in rewritten or "*" in rewritten:
            state.outputs[rel] = OutputRecord(old.deps, -1, old.mtime_ns)


def markdown_key(settings: str, site_path: str, body_key: str) -> str:
    """What a rendered body is kept under in the :class:`MarkdownStore`: its text (by
    ``body_key``), its place (links are made relative to it) and the Markdown settings."""
    return digest(settings, site_path, body_key)


class MarkdownStore:
    """Rendered Markdown on disk, one row per document, in SQLite (part of Python).

    Unlike one pickled file, a build reads only the rows it needs and writes only the
    documents it rendered: at 10,000 essays the cache is a hundred MB that a warm build would
    otherwise load and rewrite whole.
    """

    def __init__(self, site_dir: Path) -> None:
        folder = site_dir / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        path = self._path(site_dir)
        for stale in folder.glob("markdown-*.sqlite"):
            if stale.name != path.name:
                stale.unlink(missing_ok=True)
        try:
            self.db = self._open(path)
        except sqlite3.DatabaseError:  # not a database, or damaged: it is only a cache
            path.unlink(missing_ok=True)
            self.db = self._open(path)

    @classmethod
    def to_read(cls, site_dir: Path) -> MarkdownStore | None:
        """The store CLI builds keep, opened only to read from; None when there is none
        or it cannot be read (a preview takes the bodies of its first build from it)."""
        path = cls._path(site_dir)
        if not path.is_file():
            return None
        store = cls.__new__(cls)
        try:
            store.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return None
        try:
            store.db.execute("SELECT key FROM md LIMIT 1")
        except sqlite3.Error:
            store.db.close()
            return None
        return store

    @staticmethod
    def _path(site_dir: Path) -> Path:
        return site_dir / CACHE_DIR / f"markdown-{__version__}-{_MARKDOWN_FORMAT}.sqlite"

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30)
        try:
            # A cache need not reach the disk before the build goes on: without this,
            # every write made SQLite wait for the disk (fsync) several times, which on a
            # disk busy writing a site out took a tenth of a second and more. A build
            # killed mid-write still leaves the database whole (the journal is kept);
            # only a machine that loses power may damage it, and then it is replaced.
            db.execute("PRAGMA synchronous=OFF")
            db.execute("CREATE TABLE IF NOT EXISTS md (key TEXT PRIMARY KEY, value BLOB)")
            # Highlighted code blocks (markdown.CodeBlocks), for quick builds.
            db.execute("CREATE TABLE IF NOT EXISTS code (key TEXT PRIMARY KEY, html TEXT)")
        except BaseException:
            db.close()
            raise
        return db

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

    def missing(self, keys: list[str]) -> list[str]:
        """Those of ``keys`` the store holds no document for."""
        held: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key FROM md WHERE key IN ({marks})", chunk)
            held.update(key for (key,) in rows)
        return [key for key in keys if key not in held]

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
                # Which blocks the kept documents show is not known here; those still shown
                # come back as their documents are rendered again.
                self.db.execute("DELETE FROM code")

    def add(self, items: dict[str, Any]) -> None:
        """Store new documents, forgetting none."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO md (key, value) VALUES (?, ?)",
                [(k, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in items.items()],
            )

    def code_block(self, key: str) -> str | None:
        """A highlighted code block kept by :meth:`add_code` (None if there is none)."""
        row = self.db.execute("SELECT html FROM code WHERE key = ?", (key,)).fetchone()
        return row[0] if row is not None else None

    def add_code(self, blocks: dict[str, str]) -> None:
        if blocks:
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO code (key, html) VALUES (?, ?)", blocks.items()
                )

    def close(self) -> None:
        self.db.close()


def state_file(site_dir: Path) -> Path:
    """Where CLI builds keep their :class:`State` (a preview keeps its own elsewhere)."""
    return site_dir / CACHE_DIR / "state.pickle"


def load_state(
    site_dir: Path, set_aside: bool = False, path: Path | None = None, readings: bool = True
) -> State:
    """The state the last build kept (in ``path``, else :func:`state_file`); an empty one
    when there is none or it cannot be read. ``set_aside``: frozen out of the cycle
    collector's reach (``gc.freeze``) for the caller to give back (``gc.unfreeze``) when
    done with it. ``readings``: False leaves them unread (they are most of the file).
    """
    # Unpickling makes a million objects at 10,000 essays and no reference cycles: the
    # cycle collector would walk them again and again meanwhile (0.2 s -> 0.6 s), and in
    # every collection after, as long as the state lives.
    with collector_paused(freeze=set_aside):
        return _load_state(path or state_file(site_dir), readings)


@contextlib.contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """Python's cycle collector off meanwhile, for work that makes many objects and no
    reference cycles (``freeze``: what exists at the end is set aside from it, see
    ``gc.freeze``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _load_state(path: Path, readings: bool = True) -> State:
    try:
        with path.open("rb") as fh:
            version, fmt, state, chunks = pickle.load(fh)
            if version != __version__ or fmt != _FORMAT or not isinstance(state, State):
                return State()
            for _ in range(chunks if readings else 0):
                state.readings.update(pickle.load(fh))
    except FileNotFoundError:
        return State()
    except Exception as exc:
        log.debug("ignoring unreadable cache %s: %s", path, exc)
        return State()
    return state


_CHUNK = 500  # readings pickled together (each pickling's memo holds all it has seen)


def save_state(site_dir: Path, state: State, path: Path | None = None) -> None:
    """Keep ``state`` in ``path`` (else :func:`state_file`) for the next build; a folder
    that cannot be written only makes that build slower."""
    # Pickling's memo of what it has seen is a million objects that make no cycles: the
    # collector walked the younger ones again and again (0.1 s at 10,000 essays).
    with collector_paused():
        _save_state(path or state_file(site_dir), state)


def _save_state(path: Path, state: State) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore_in_git(folder.parent)
        tmp = folder / f"{path.name}.{os.getpid()}.tmp"
        # The readings in pieces: pickled at once, the memo of every object in them cost
        # 60 MB at the peak of a 10,000-essay build.
        readings = list(state.readings.items())
        head = dataclasses.replace(state, readings={})
        chunks = [readings[i : i + _CHUNK] for i in range(0, len(readings), _CHUNK)]
        with tmp.open("wb") as fh:
            pickle.dump(
                (__version__, _FORMAT, head, len(chunks)), fh, protocol=pickle.HIGHEST_PROTOCOL
            )
            for chunk in chunks:
                pickle.dump(dict(chunk), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("could not write the cache: %s", exc)


def ignore_in_git(folder: Path) -> None:
    """Tell git to ignore ``folder`` (``.passivepress``): everything in it is made again."""
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# passivepress's cache: safe to delete, not for git\n*\n")
