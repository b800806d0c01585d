"""Watch a site's sources and call for one rebuild per burst of saves.

Editors save in many ways (issue 3 lists them), and a naive watcher builds too often, too
early or not at all:

- writing in place: ``modified`` events, then ``closed`` once the editor lets go;
- a temporary file renamed over the original: no event for the file itself, only a
  ``moved`` whose destination is the file;
- vim: the file is renamed to ``file~``, a new file is written, the backup deleted (and a
  ``4913`` file probes that the folder is writable);
- JetBrains: ``file___jb_tmp___`` is written, the original renamed to ``file___jb_old___``,
  the temporary renamed into place, the old one deleted;
- truncate-then-write: the file is empty for a moment;
- deleting and recreating.

So events are reduced to "which real source paths changed" (swap, backup and temporary
names never count, see :func:`is_junk`), and a build is called for only when the burst is
over: no event for :attr:`Timing.quiet` seconds, no file still open for writing, and no
changed file missing or empty (those get :attr:`Timing.settle` seconds to come back, since
an editor in the middle of a save looks exactly like that). Builds run one at a time on a
single thread; events that arrive during a build make exactly one more build after it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from passivepress.config import CONFIG_FILE
from passivepress.output import SOURCE_FOLDERS

log = logging.getLogger(__name__)

# Swap, backup, lock and temporary files of common editors, and hidden files in general:
# .x.swp/.x.swx (vim), x~ (vim, emacs, gedit), .#x (emacs lock), #x# (emacs autosave),
# 4913 (vim's probe), x___jb_tmp___/x___jb_old___ (JetBrains), x.crswap (Chrome), x.tmp.
JUNK = re.compile(r"(^\.|~$|\.sw[a-px]$|\.tmp$|\.bak$|\.crswap$|___jb_\w+___$|^4913$|^#.*#$)")

# Only events that can change what a build reads. Reads (opened, closed-without-writing)
# are left out: every build reads every source, and listening to them would loop.
EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


def is_junk(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> bool:
    """True for an editor's swap/backup/temporary file or anything in a hidden folder."""
    rel = os.path.relpath(path, root) if root is not None else os.fspath(path)
    return any(JUNK.search(part) for part in Path(rel).parts if part not in (".", ".."))


@dataclass(frozen=True)
class Timing:
    """How long to wait before building. The defaults keep the save-to-reload time low
    while still seeing every editor's save as one."""

    quiet: float = 0.04  # a burst of events is over after this much silence
    settle: float = 0.5  # a changed file that is missing or empty gets this long to come back
    open_wait: float = 2.0  # longest wait for a file still open for writing
    longest: float = 1.5  # a steady stream of saves still gets a build this often


Rebuild = Callable[[frozenset[str]], None]


def source_files(
    site_dir: Path, extra_dirs: Iterable[Path] = ()
) -> dict[str, tuple[int, int, int]]:
    """Every file a :class:`Watcher` of ``site_dir`` (and ``extra_dirs``) reports changes
    of, with its modification time, size and inode: two of these tell what changed while
    nothing watched."""
    site_dir = site_dir.resolve()
    found: dict[str, tuple[int, int, int]] = {}

    def add(path: str) -> None:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            found[path] = (st.st_mtime_ns, st.st_size, st.st_ino)

    add(str(site_dir / CONFIG_FILE))
    folders = [site_dir / name for name in SOURCE_FOLDERS]
    extra = [d.resolve() for d in extra_dirs]
    folders += [d for d in extra if not d.is_relative_to(site_dir)]
    for folder in folders:
        for root, _dirs, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                if not is_junk(path, site_dir):
                    add(path)
    return found


class Watcher:
    """Watches ``site_dir``'s config and source folders; calls ``rebuild(changed_paths)`` on
    its own thread, one call at a time."""

    def __init__(
        self,
        site_dir: Path,
        rebuild: Rebuild,
        timing: Timing | None = None,
        extra_dirs: Iterable[Path] = (),
    ) -> None:
        self.site_dir = site_dir.resolve()
        self.rebuild = rebuild
        self.timing = timing or Timing()
        self.extra_dirs = [d.resolve() for d in extra_dirs]
        self._cond = threading.Condition()
        self._changed: set[str] = set()
        self._gone: set[str] = set()  # deleted, or renamed to a backup name: may come back
        self._open: dict[str, float] = {}  # written to and not yet closed
        self._first = 0.0  # when the pending burst began
        self._last = 0.0  # when its latest event came
        self._stopped = False
        self._observer: BaseObserver = Observer()
        # Only inotify reports "closed after writing"; elsewhere a modified file is taken
        # as complete and the quiet period alone has to cover the save.
        self._tracks_open = type(self._observer).__name__.startswith("Inotify")
        self._watches: dict[str, ObservedWatch] = {}
        self._thread = threading.Thread(target=self._run, name="passivepress-rebuild")

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._observer.schedule(_Handler(self, root=True), str(self.site_dir), event_filter=EVENTS)
        for name in SOURCE_FOLDERS:
            self._watch_folder(self.site_dir / name)
        for folder in self.extra_dirs:
            if not folder.is_relative_to(self.site_dir):
                self._watch_folder(folder)
        self._observer.start()
        self._thread.start()

    def notify(self, paths: Iterable[str]) -> None:
        """Take ``paths`` as changed, as if their events had come."""
        with self._cond:
            now = time.monotonic()
            for path in paths:
                self._note(path, now)
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop watching; waits for a build in progress to finish."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join()
        if self._thread.is_alive():
            self._thread.join()

    def _watch_folder(self, folder: Path) -> None:
        key = str(folder)
        old = self._watches.pop(key, None)
        if old is not None:
            with contextlib.suppress(KeyError):
                self._observer.unschedule(old)
        if folder.is_dir():
            self._watches[key] = self._observer.schedule(
                _Handler(self), key, recursive=True, event_filter=EVENTS
            )

    # -- events (on watchdog's thread) ---------------------------------------------------

    def _event(self, event: FileSystemEvent, root: bool) -> None:
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.event_type == "moved" else ""
        if root:
            src, dest = self._root_event(event, src, dest)
        is_file = not event.is_directory
        with self._cond:
            now = time.monotonic()
            noted = False
            if event.event_type == "moved":
                if src and not is_junk(src, self.site_dir):
                    noted = self._note(src, now)
                    self._open.pop(src, None)
                    if not dest or is_junk(dest, self.site_dir):
                        self._gone.add(src)  # a backup rename: the file is about to return
                if dest and not is_junk(dest, self.site_dir):
                    noted = self._note(dest, now)
                    self._gone.discard(dest)
            elif src and not is_junk(src, self.site_dir):
                noted = self._note(src, now)
                kind = event.event_type
                if kind == "modified" and is_file and self._tracks_open:
                    self._open[src] = now
                elif kind == "closed":
                    self._open.pop(src, None)
                elif kind == "deleted":
                    self._open.pop(src, None)
                    self._gone.add(src)
                elif kind == "created":
                    self._gone.discard(src)
            if noted:
                self._cond.notify_all()

    def _root_event(self, event: FileSystemEvent, src: str, dest: str) -> tuple[str, str]:
        """Events directly in the site folder: the config file, and source folders that
        appear or go (their recursive watch has to follow)."""

        def relevant(path: str) -> bool:
            if not path or os.path.dirname(path) != str(self.site_dir):
                return False
            name = os.path.basename(path)
            if name in SOURCE_FOLDERS and event.is_directory:
                self._watch_folder(Path(path))
                return True
            return name == CONFIG_FILE

        return (src if relevant(src) else ""), (dest if relevant(dest) else "")

    def _note(self, path: str, now: float) -> bool:
        if not self._changed:
            self._first = now
        self._changed.add(path)
        self._last = now
        return True

    # -- deciding when to build (on the rebuild thread) -----------------------------------

    def _run(self) -> None:
        while True:
            changed = self._next_burst()
            if changed is None:
                return
            try:
                self.rebuild(changed)
            except Exception:  # a bug in a build must not end live preview
                log.exception("the rebuild failed unexpectedly")

    def _next_burst(self) -> frozenset[str] | None:
        with self._cond:
            while True:
                if self._stopped:
                    return None
                if not self._changed:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                due = self._due()
                if now >= due:
                    break
                self._cond.wait(due - now)
            changed = frozenset(self._changed)
            self._changed.clear()
            self._gone.clear()
            self._open.clear()
            return changed

    def _due(self) -> float:
        """When the pending burst may be built."""
        t = self.timing
        due = self._last + t.quiet
        if self._open:
            due = max(due, min(self._open.values()) + t.open_wait)
        if any(self._unsettled(p) for p in self._changed):
            due = max(due, self._last + t.settle)
        # A steady stream of saves must not postpone the build forever; files still open
        # for writing are waited for regardless (until open_wait).
        longest = self._first + t.longest
        if due > longest and not self._open:
            due = longest
        return due

    def _unsettled(self, path: str) -> bool:
        """A changed file that is gone (a delete or a backup rename, not yet recreated) or
        was emptied (truncate-then-write): most likely an editor in mid-save."""
        try:
            st = os.stat(path)
        except OSError:
            return path in self._gone
        return st.st_size == 0 and os.path.isfile(path)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher, root: bool = False) -> None:
        self.watcher = watcher
        self.root = root

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher._event(event, self.root)
