"""How editors save a file, step by step, as the file system sees it (issue 3).

Each function saves ``text`` into ``path`` the way one kind of editor does. The watch and
serve tests run every one of them and expect exactly one rebuild that sees the new text.
The pauses stand for an editor that is slow between two steps: each is longer than the
watcher's quiet period, so only the watcher's understanding of the pattern (not luck in
timing) keeps it from building in the middle.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

Save = Callable[[Path, str], None]


def in_place(path: Path, text: str) -> None:
    """Open, truncate, write, close (VS Code, nano, most editors by default)."""
    path.write_text(text, encoding="utf-8")


def rename_over(path: Path, text: str) -> None:
    """Write a temporary file beside the original and rename it over it (Sublime Text,
    gedit, Kate, ``sed -i``): no event ever names the file as modified."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def rename_from_elsewhere(path: Path, text: str) -> None:
    """Write the new version outside the watched folders, then move it in."""
    site = path.parents[2]  # content/essays/x.md → the site folder, which is not watched
    tmp = site / f".{path.name}.new"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def vim(path: Path, text: str) -> None:
    """Vim's default on Unix: probe the folder with a file named 4913, rename the original
    to ``x~``, write a new file, delete the backup."""
    probe = path.with_name("4913")
    probe.write_bytes(b"")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.replace(path, backup)
    path.write_text(text, encoding="utf-8")
    backup.unlink()


def jetbrains(path: Path, text: str) -> None:
    """IntelliJ/PyCharm "safe write": write ``x___jb_tmp___``, rename the original to
    ``x___jb_old___``, rename the temporary into place, delete the old one."""
    tmp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    tmp.write_text(text, encoding="utf-8")
    os.replace(path, old)
    os.replace(tmp, path)
    old.unlink()


def emacs(path: Path, text: str) -> None:
    """Emacs: a lock symlink ``.#x``, a backup copy ``x~``, then the file written in place."""
    lock = path.with_name(".#" + path.name)
    try:
        lock.symlink_to("author@host.1234:1700000000")
    except OSError:  # no symlinks (Windows without rights): a lock file instead
        lock.write_text("author@host.1234")
    path.with_name(path.name + "~").write_bytes(path.read_bytes())
    path.write_text(text, encoding="utf-8")
    lock.unlink()


def truncate_then_write(path: Path, text: str) -> None:
    """The file is emptied, and only a while later written (a slow editor, a network
    drive): the empty file must never be built."""
    with path.open("w", encoding="utf-8") as fh:
        fh.flush()
        time.sleep(0.3)
        fh.write(text)


def truncate_close_then_write(path: Path, text: str) -> None:
    """Emptied and closed, then opened again and written."""
    path.write_bytes(b"")
    time.sleep(0.2)
    path.write_text(text, encoding="utf-8")


def delete_and_recreate(path: Path, text: str) -> None:
    """The file is deleted and written anew a moment later."""
    path.unlink()
    time.sleep(0.15)
    path.write_text(text, encoding="utf-8")


SAVES: dict[str, Save] = {
    f.__name__: f
    for f in (
        in_place,
        rename_over,
        rename_from_elsewhere,
        vim,
        jetbrains,
        emacs,
        truncate_then_write,
        truncate_close_then_write,
        delete_and_recreate,
    )
}

# Files editors leave beside the one being edited; none of them may ever become a page.
JUNK_NAMES = (
    ".{name}.swp",
    ".{name}.swx",
    "{name}~",
    "#{name}#",
    ".#{name}",
    "{name}___jb_tmp___",
    "{name}___jb_old___",
    "4913",
    "{name}.tmp",
    ".~lock.{name}#",
)
