"""Where ``passivepress serve`` builds, and what its next run starts from:
``.passivepress/preview/``.

A preview of 10,000 essays wrote 23,000 files into a new temporary folder every time it
started (half a minute on a laptop's disk) though the site had hardly changed since the
last one. It keeps its output here instead, and after a full build the state that build
compared with (:class:`passivepress.cache.State`); a preview started again takes the way a
CLI build with a cache folder takes, and makes only what changed meanwhile.

What is kept must stay true to the output folder whatever stops the preview, a crash or a
``kill -9`` included:

- ``building`` is there while a build is writing; a run that finds it drops what was
  kept. A build stopped by a mistake in the site has written nothing and removes it.
- ``state.pickle`` is the last full build's, written once no save waits; the next full
  build removes it just before it writes (one that fails writes nothing).
- ``rewritten`` lists the outputs quick builds wrote since that full build: their records
  are older than the files (whose bytes may be the same while what they read is not), and
  they are made again.
- Every kept output is looked at (size and modification time) before it is kept again.

One preview at a time keeps the folder (an advisory lock); a second preview of the same
site builds into a temporary folder, as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import shutil
from pathlib import Path

from passivepress.cache import State, ignore_in_git, load_state, make_again, save_state
from passivepress.output import MARKER

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: every preview builds into a temporary folder
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

PREVIEW_DIR = ".passivepress/preview"


class PreviewFolder:
    """The preview's own folder, locked for as long as one preview uses it."""

    def __init__(self, root: Path, lock: int) -> None:
        self.root = root
        self.output = root / "site"
        self._lock = lock
        self._state = root / "state.pickle"
        self._building = root / "building"
        self._rewritten = root / "rewritten"

    @classmethod
    def claim(cls, site_dir: Path) -> PreviewFolder | None:
        """The site's preview folder, made if need be; None when another preview holds it
        or it cannot be made (the caller builds into a temporary folder then)."""
        if fcntl is None:
            return None
        root = site_dir.resolve() / PREVIEW_DIR
        try:
            root.mkdir(parents=True, exist_ok=True)
            ignore_in_git(root.parent)
            lock = os.open(root / "lock", os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            log.debug("no preview folder: %s", exc)
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            return None
        folder = cls(root, lock)
        output = folder.output
        if output.is_symlink() or (output.exists() and not (output / MARKER).is_file()):
            # Not a build of ours (one stopped before its first commit, or a hand's): the
            # build would refuse to write over it, and nothing in it is anyone's.
            if output.is_dir() and not output.is_symlink():
                shutil.rmtree(output, ignore_errors=True)
            else:
                output.unlink(missing_ok=True)
            folder.forget()
        elif folder._building.exists():
            # The last run stopped in mid-write (this one holds the folder now, so no
            # other is writing): what it kept is dropped, not only passed over. This run's
            # first build removes the marker even when it fails on a mistake in the site,
            # and the state would then be trusted again, by its next build and by a CLI
            # build taking the social cards kept here (see peek).
            folder.forget()
        return folder

    def release(self) -> None:
        """Let another preview take the folder; what is kept stays for the next run."""
        if self._lock >= 0:
            os.close(self._lock)  # and with it the lock
            self._lock = -1

    @classmethod
    def peek(cls, site_dir: Path) -> State | None:
        """What the site's preview kept, without its readings, read without holding the
        folder (a CLI build takes the social cards from it; see :meth:`load`)."""
        return cls(site_dir.resolve() / PREVIEW_DIR, -1).load(readings=False)

    def load(self, readings: bool = True) -> State | None:
        """What the last run kept, with the outputs quick builds wrote since marked to be
        made again; None when nothing can be trusted."""
        if self._building.exists() or not self._state.is_file():
            return None
        state = load_state(self.root, path=self._state, readings=readings)
        if not state.outputs:
            return None
        try:
            with self._rewritten.open("rb") as fh:
                again = set(pickle.load(fh))
        except FileNotFoundError:
            again = set()
        except Exception:  # unreadable: which outputs changed is unknown
            return None
        make_again(state, again)
        return state

    def begin(self) -> None:
        """A build is about to write the output folder."""
        with contextlib.suppress(OSError):
            self._building.touch()

    def forget(self) -> None:
        """A full build is about to write the output: the kept state stops being true."""
        for path in (self._state, self._rewritten):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def end(self) -> None:
        """The build is done, or stopped on a mistake in the site before it wrote."""
        with contextlib.suppress(OSError):
            self._building.unlink(missing_ok=True)

    def note(self, rewritten: set[str]) -> None:
        """Quick builds have written ``rewritten`` since the last full build (a quick build
        calls this before it ends)."""
        if self._state.is_file():
            self._write_journal(rewritten)

    def save(self, state: State, rewritten: set[str]) -> None:
        """Keep a full build's state (as CLI builds keep theirs) for the next run, with the
        outputs quick builds wrote since that build."""
        # The list first: a run stopped in between finds no state (the full build removed
        # the last one before it wrote), rather than a state without its list.
        if self._write_journal(rewritten):
            save_state(self.root, state, path=self._state)

    def _write_journal(self, rewritten: set[str]) -> bool:
        try:
            if rewritten:
                tmp = self._rewritten.with_suffix(".tmp")
                tmp.write_bytes(pickle.dumps(sorted(rewritten)))
                os.replace(tmp, self._rewritten)
            else:
                self._rewritten.unlink(missing_ok=True)
        except OSError:
            self.forget()  # which outputs changed could not be told
            return False
        return True
