"""Proof that nothing changed since the last build, found before the pipeline is loaded.

A warm build in CI (cache restored, nothing pushed but a workflow file) used to cost as much
as importing Jinja and markdown-it, reading and parsing every file and proving every page
unchanged. When the site's sources, configuration, themes and build options are exactly
those of the last successful build, and every file that build wrote is still in the output
as it was written, the output is already what a build would make: this module says so after
reading the sources once, and the CLI repeats that build's warnings and stops.

Sources are compared by content (a checkout, ``cp -p`` or ``rsync -t`` can keep a
modification time); large static files, which the build copies by size and mtime anyway,
by size and mtime. A file is read again unless its size, modification time, change time
and inode are all those it had when it was last read, and that was more than two seconds
after its last change (as git does: an edit within the same tick of the clock would
otherwise go unseen). The change time cannot be set back by ``cp -p`` or a checkout, so
a copied or checked-out file is always read. The record lives beside the other caches in
``.passivepress/cache/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from passivepress import __version__, digests
from passivepress.bundled import builtin_theme_dir
from passivepress.errors import Problem

if TYPE_CHECKING:
    from passivepress.forks import Child

# Pickles, not JSON: at 10,000 essays each holds ten or twenty thousand files, and every
# build reads one and writes both.
RECORD = ".passivepress/cache/uptodate.pickle"
STATS = ".passivepress/cache/sources.pickle"
_FORMAT = 5
_RACY_NS = 2_000_000_000  # a file changed this close to being read is read again next time

# The folders and files a build reads, besides the built-in theme.
SOURCE_FILES = ("passivepress.yml",)
SOURCE_FOLDERS = ("content", "templates", "themes", "static")
PUBLISHED = "published-urls.txt"

# Files up to this size are compared by content; larger ones (images) by size and mtime.
_BY_CONTENT = 256 * 1024


@dataclass(frozen=True)
class Done:
    """The last build, still current: what it made and what it warned about."""

    output: Path
    pages: int
    feeds: int
    warnings: list[Problem]
    files: frozenset[str] = frozenset()  # every file it wrote there (from the output folder)


def options_key(
    site_dir: Path,
    output: Path | None,
    drafts: bool,
    future: bool,
    base_url: str | None,
    record_urls: bool,
) -> str:
    """The build options that change the output (``--strict`` only decides the exit code),
    and the site's folder: a copy of the site (the cache folder with it) names the
    original's output folder in its records, where its own builds must not look or write."""
    return json.dumps(
        [
            __version__,
            str(site_dir.resolve()),
            str(output) if output else None,
            drafts,
            future,
            base_url,
            record_urls,
        ]
    )


@dataclass
class Sources:
    """Every file a build reads: one digest of them all, and each file's own digest (by
    its path from the site folder; the loader needs not read an unchanged file again)."""

    digest: str
    files: dict[str, bytes]
    # What the next scan may trust (see the module's docstring): (size, mtime, ctime, inode)
    # and the digest, by file.
    stats: dict[str, tuple[tuple[int, ...], bytes]]
    trusted: dict[str, tuple[tuple[int, ...], bytes]]  # what this scan trusted
    # A digest of everything but the content files in ``files``: while it stays the same,
    # only those files can have changed (see :mod:`passivepress.quick`).
    others: str = ""
    # The files the last build wrote, looked at while these were scanned (see scan).
    written: Written | None = None

    def save(self, site_dir: Path) -> None:
        """Keep what the next scan may trust (written only when it differs)."""
        if self.stats != self.trusted:
            _write(site_dir / STATS, {"format": _FORMAT, "files": self.stats})


def scan(site_dir: Path, look_at_output: bool = False) -> Sources:
    """Every file a build reads, in a stable order (reading only those that changed).

    ``look_at_output``: meanwhile, a forked copy of this process checks that every file
    the last build wrote is as it wrote it (:class:`Written`, in ``Sources.written``;
    whoever asks for it closes it)."""
    written = Written.look(site_dir) if look_at_output else None
    try:
        with open(site_dir / STATS, "rb") as fh:
            record = pickle.load(fh)
        trusted = record["files"] if record["format"] == _FORMAT else {}
    except Exception:  # unreadable: every file is read
        trusted = {}
    sources = Sources("", {}, {}, trusted, written=written)
    started = time.time_ns()
    hashes = (digests.new(), digests.new())
    for name in SOURCE_FILES:
        _add(hashes, site_dir / name, name, sources, trusted, started)
    for folder in SOURCE_FOLDERS:
        _add_folder(hashes, site_dir / folder, folder, sources, trusted, started)
    _add_folder(hashes, builtin_theme_dir(), "<default theme>", sources, trusted, started)
    sources.digest, sources.others = (h.hexdigest() for h in hashes)
    return sources


def _add_folder(
    hashes: tuple[Any, Any],
    folder: Path,
    label: str,
    sources: Sources,
    trusted: dict[str, tuple[tuple[int, ...], bytes]],
    started: int,
) -> None:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, folder).replace(os.sep, "/")
        prefix = f"{label}/" if rel_dir == "." else f"{label}/{rel_dir}/"
        for name in filenames:
            found.append((prefix + name, f"{dirpath}/{name}"))
    for rel, path in sorted(found):
        _add(hashes, path, rel, sources, trusted, started)


def _add(
    hashes: tuple[Any, Any],
    path: Path | str,
    label: str,
    sources: Sources,
    trusted: dict[str, tuple[tuple[int, ...], bytes]],
    started: int,
) -> None:
    """Hash one file into ``hashes``: (every source, every source but the content files
    whose digest ``sources.files`` holds)."""
    held = False
    try:
        st = os.stat(path)
        if st.st_size > _BY_CONTENT:
            token = f"{st.st_size}:{st.st_mtime_ns}".encode()
        else:
            stat = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            kept = trusted.get(label)
            if kept is not None and kept[0] == stat:
                found = kept[1]
            else:
                found = file_digest(read_whole(path, st.st_size))
            token, held = found, True
            sources.files[label] = found
            if st.st_ctime_ns < started - _RACY_NS:
                # The same tuple when unchanged: comparing the stats before saving is quick.
                sources.stats[label] = (
                    kept if kept is not None and found is kept[1] else (stat, found)
                )
    except OSError:
        token = b"\0missing"
    entry = label.encode("utf-8", "surrogateescape") + b"\0" + token + b"\0"
    everything, others = hashes
    everything.update(entry)
    if not (held and label.startswith("content/")):
        others.update(entry)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def read_whole(path: str | os.PathLike[str], size: int = -1) -> bytes:
    """A file's bytes (``size``: what a stat just said, to read it in one call). A bare
    descriptor rather than ``open()``, which also asks whether the file is a terminal and
    sets up a buffer: 7 µs rather than 15 µs a file, read 10,000 at a time (a CI checkout,
    whose files are all new to the scan, and every cold build)."""
    fd = os.open(path, _READ_FLAGS)
    try:
        if size < 0:
            size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) == size:
            return data
        # Changed since the stat (or a file system that reads less at a time): the rest,
        # to its end.
        parts = [data]
        while part := os.read(fd, 1 << 20):
            parts.append(part)
        return b"".join(parts)
    finally:
        os.close(fd)


def file_digest(data: bytes) -> bytes:
    """A source file's digest by its bytes: the loader's, quick builds' and this module's
    (which must agree for a file to be known unchanged)."""
    return digests.of(data)


def as_written(st: os.stat_result, size: int, mtime_ns: int) -> bool:
    """Whether an output file is still what a build wrote: its size, and its modification
    time to the second (a cache restored by a tar that keeps whole seconds, as CI caches
    may, keeps what the build wrote all the same)."""
    return st.st_size == size and abs(st.st_mtime_ns - mtime_ns) < 1_000_000_000


def published_digest(site_dir: Path) -> str:
    try:
        return digests.hex_of((site_dir / PUBLISHED).read_bytes())
    except OSError:
        return ""


def check(
    site_dir: Path, key: str, sources: str, now: float, written: Written | None = None
) -> Done | None:
    """The last build, when it is still what a build would make now; else None.
    ``written``: the look :func:`scan` took at its files (else it is taken here)."""
    if written is None:
        written = Written.look(site_dir, fork=False)
        if written is None:
            return None
    try:
        record, files = written.record, written.files
        if (
            record["key"] != key
            or record["sources"] != sources
            or record["published"] != published_digest(site_dir)
            or (record["valid_until"] is not None and now >= record["valid_until"])
            or written.changed() is not None
        ):
            return None
        warnings = [Problem(*fields) for fields in record["warnings"]]
        output = Path(record["output"])
        return Done(output, record["pages"], record["feeds"], warnings, frozenset(files))
    except Exception:  # unreadable or of another version: a build finds out
        return None


_UNSEEN: Any = object()
# Below this many files the look is quicker made here than in a forked copy.
_FORK_FROM = 2000


@dataclass
class Written:
    """The files the last build wrote, by its up-to-date record (each one's size and
    modification time), and whether every one is still so.

    After a checkout, a build reads and hashes every source, then stats every output
    file: at 10,000 essays, 10,000 reads and 23,000 stats, each about 0.1 s, both mostly
    spent waiting on the file system. A forked copy of this process (small yet: nothing
    but the CLI is loaded) makes the stats while this one scans the sources."""

    record: dict[str, Any]
    files: dict[str, tuple[int, int]]
    _copy: Child[str | None] | None = field(default=None, init=False, repr=False)
    _found: str | None = field(default=_UNSEEN, init=False, repr=False)

    @classmethod
    def look(cls, site_dir: Path, fork: bool = True) -> Written | None:
        """The last build's record, its files being looked at (None: no readable record
        of this version)."""
        try:
            with open(site_dir / RECORD, "rb") as fh:
                record = pickle.load(fh)
                if record["format"] != _FORMAT:
                    return None
                files = pickle.load(fh)
            output = str(record["output"])
        except Exception:  # gone, unreadable or of another version: a build finds out
            return None
        written = cls(record, files)
        if fork and len(files) >= _FORK_FROM:
            # Here, not at the top: a small site's build, which looks here, need not load
            # what forking takes.
            from passivepress import forks

            if forks.can_fork():
                written._copy = forks.Child(lambda: changed_file(output, files))
        return written

    def changed(self) -> str | None:
        """The first file not as the last build wrote it (gone, or of another size or
        time), or None."""
        if self._found is _UNSEEN:
            found, answered = None, False
            if self._copy is not None:
                try:
                    answered, found = self._copy.answer()
                except Exception:  # raised in the copy: looked at here instead
                    answered = False
                self._copy = None
            self._found = found if answered else changed_file(self.record["output"], self.files)
        return self._found

    def close(self) -> None:
        """Stop the copy if its answer was never asked for."""
        if self._copy is not None:
            self._copy.stop()
            self._copy = None


def changed_file(output: str, files: dict[str, tuple[int, int]]) -> str | None:
    """The first of ``files`` (by its path in ``output``) not of the size and modification
    time given, or None."""
    for rel, (size, mtime_ns) in files.items():
        try:
            st = os.stat(f"{output}/{rel}")
        except OSError:
            return rel
        # as_written, inlined: 23,000 files at 10,000 essays.
        if st.st_size != size or not -1_000_000_000 < st.st_mtime_ns - mtime_ns < 1_000_000_000:
            return rel
    return None


def record(
    site_dir: Path,
    key: str,
    sources: str,
    *,
    valid_until: float | None,
    output: Path,
    files: dict[str, tuple[int, int]],
    warnings: list[Problem],
    pages: int,
    feeds: int,
) -> None:
    """Remember a successful build. ``sources`` is the digest taken before it read them,
    so an edit made during the build is seen by the next one."""
    data = {
        "format": _FORMAT,
        "key": key,
        "sources": sources,
        "published": published_digest(site_dir),
        "valid_until": valid_until,
        "output": str(output),
        "warnings": [
            [w.message, None if w.path is None else str(w.path), w.line, w.column, w.hint]
            for w in warnings
        ],
        "pages": pages,
        "feeds": feeds,
    }
    _write(site_dir / RECORD, data, files)
    for old in ("uptodate.json", "sources.json"):  # kept as JSON by earlier builds
        with contextlib.suppress(OSError):
            (site_dir / RECORD).with_name(old).unlink(missing_ok=True)


def _write(path: Path, *parts: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            for part in parts:
                pickle.dump(part, fh, pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # no record is only a slower next build
