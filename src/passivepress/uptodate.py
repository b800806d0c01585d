"""Proof that nothing changed since the last build, found before the pipeline is loaded.

A warm build in CI (cache restored, nothing pushed but a workflow file) used to cost as much
as importing Jinja and markdown-it, reading and parsing every file and proving every page
unchanged. When the site's sources, configuration, themes and build options are exactly
those of the last successful build, and every file that build wrote is still in the output
as it was written, the output is already what a build would make: this module says so after
reading the sources once, and the CLI repeats that build's warnings and stops.

Sources are compared by content (a checkout, ``cp -p`` or ``rsync -t`` can keep a
modification time); large static files, which the build copies by size and mtime anyway,
by size and mtime. The record lives beside the other caches in ``.passivepress/cache/``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from passivepress import __version__
from passivepress.bundled import builtin_theme_dir
from passivepress.errors import Problem

RECORD = ".passivepress/cache/uptodate.json"
_FORMAT = 1

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


def options_key(
    output: Path | None, drafts: bool, future: bool, base_url: str | None, record_urls: bool
) -> str:
    """The build options that change the output (``--strict`` only decides the exit code)."""
    return json.dumps(
        [__version__, str(output) if output else None, drafts, future, base_url, record_urls]
    )


def sources_digest(site_dir: Path) -> str:
    """Every file a build reads, in a stable order."""
    h = hashlib.blake2b(digest_size=20)
    for name in SOURCE_FILES:
        _add(h, site_dir / name, name)
    for folder in SOURCE_FOLDERS:
        _add_folder(h, site_dir / folder, folder)
    _add_folder(h, builtin_theme_dir(), "<default theme>")
    return h.hexdigest()


def _add_folder(h: hashlib._Hash, folder: Path, label: str) -> None:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, folder)
        for name in filenames:
            found.append((os.path.join(rel_dir, name), os.path.join(dirpath, name)))
    for rel, path in sorted(found):
        _add(h, Path(path), f"{label}/{rel}")


def _add(h: hashlib._Hash, path: Path, label: str) -> None:
    h.update(label.encode("utf-8", "surrogateescape") + b"\0")
    try:
        st = path.stat()
        if st.st_size <= _BY_CONTENT:
            h.update(path.read_bytes())
        else:
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    except OSError:
        h.update(b"\0missing")
    h.update(b"\0")


def _published(site_dir: Path) -> str:
    try:
        return hashlib.blake2b((site_dir / PUBLISHED).read_bytes(), digest_size=20).hexdigest()
    except OSError:
        return ""


def check(site_dir: Path, key: str, sources: str, now: float) -> Done | None:
    """The last build, when it is still what a build would make now; else None."""
    try:
        record = json.loads((site_dir / RECORD).read_text(encoding="utf-8"))
        if (
            record["format"] != _FORMAT
            or record["key"] != key
            or record["sources"] != sources
            or record["published"] != _published(site_dir)
            or (record["valid_until"] is not None and now >= record["valid_until"])
        ):
            return None
        output = Path(record["output"])
        for rel, (size, mtime_ns) in record["files"].items():
            st = os.stat(output / rel)
            if st.st_size != size or st.st_mtime_ns != mtime_ns:
                return None
        warnings = [Problem(*fields) for fields in record["warnings"]]
        return Done(output, record["pages"], record["feeds"], warnings)
    except (OSError, ValueError, KeyError, TypeError):
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
        "published": _published(site_dir),
        "valid_until": valid_until,
        "output": str(output),
        "files": {rel: list(stat) for rel, stat in sorted(files.items())},
        "warnings": [
            [w.message, None if w.path is None else str(w.path), w.line, w.column, w.hint]
            for w in warnings
        ],
        "pages": pages,
        "feeds": feeds,
    }
    path = site_dir / RECORD
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"uptodate.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # no record is only a slower next build
