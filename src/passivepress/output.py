"""The output folder: refuse unsafe targets, stage a build, swap it in only on success."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from passivepress.errors import ConfigError, ContentError, Problem
from passivepress.uptodate import as_written

# Written into every output folder we create. Like Sphinx's .buildinfo, it lets us tell our
# own output from a folder of the user's that we must never delete.
MARKER = ".passivepress-output"
MARKER_TEXT = b"This folder is written by passivepress build; it is replaced on every build.\n"

_SKIP_STATIC = {".DS_Store", "Thumbs.db", "desktop.ini"}
SOURCE_FOLDERS = ("content", "static", "templates", "themes")


def check_target(target: Path, site_dir: Path) -> None:
    """Refuse an output folder that would destroy sources or a folder we did not make."""
    target = target.resolve()
    site = site_dir.resolve()
    if target == site:
        raise ConfigError(
            Problem(
                f"the output folder {target} is the site folder itself",
                hint="use the default _site or another empty folder",
            )
        )
    if site.is_relative_to(target):
        raise ConfigError(
            Problem(
                f"the output folder {target} contains the site folder",
                hint="choose a folder inside or beside the site",
            )
        )
    for name in SOURCE_FOLDERS:
        if target.is_relative_to(site / name):
            raise ConfigError(
                Problem(
                    f"the output folder {target} is inside the site's {name}/ folder",
                    hint="use the default _site",
                )
            )
    if target.exists() and not target.is_dir():
        raise ConfigError(Problem(f"the output path {target} is a file, not a folder"))
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise ConfigError(
            Problem(
                f"the output folder {target} is not empty and was not created by passivepress",
                hint="passivepress replaces its output folder on every build; choose an empty "
                "or new folder, or empty this one yourself",
            )
        )


def _same_bytes(one: str | Path, other: str | Path) -> bool:
    """Whether two files of the same size hold the same bytes. Not filecmp.cmp, which
    remembers its answers by the files' size and mtime for the life of the process: a
    preview would keep a static file replaced by another of the same size and mtime."""
    with open(one, "rb") as a, open(other, "rb") as b:
        while True:
            chunk = a.read(1 << 16)
            if chunk != b.read(1 << 16):
                return False
            if not chunk:
                return True


def holding(path: str, data: bytes) -> os.stat_result | None:
    """``path``'s stat when the file holds exactly ``data``, else None."""
    try:
        st = os.stat(path)
        if st.st_size != len(data):
            return None
        with open(path, "rb") as fh:
            return st if fh.read() == data else None
    except OSError:
        return None


def link_if_holding(before: str, path: str, data: bytes) -> os.stat_result | None:
    """Link the previous output's file ``before`` at ``path`` (in a new output folder)
    when it holds ``data``: same bytes, same inode, no copy and the same modification
    time (which rsync and CDNs like). Its stat, or None when ``data`` must be written."""
    st = holding(before, data)
    if st is None:
        return None
    try:
        os.link(before, path)
    except OSError:
        return None
    return st


@dataclass(frozen=True)
class StaticRecord:
    """A static file as copied: its source's size and mtime, and the copy's."""

    source: str
    size: int
    mtime_ns: int
    out_size: int
    out_mtime_ns: int


def stage_root(target: Path) -> Path:
    """A new, empty folder beside ``target`` for a :class:`Stage` to make the next
    output in (made before the stage when some outputs are started early)."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))


class Stage:
    """The next state of the output folder, made aside and applied only on success.

    A first build writes every file into a fresh folder beside the target and swaps it in.
    When the target holds the previous build (``update=True``), only new and changed files
    are written aside; :meth:`commit` then renames them into place one by one and removes
    what is no longer produced, so an incremental build touches only what changed (and
    unchanged files keep their modification times, which rsync and CDNs like). Nothing in
    the target changes before :meth:`commit`: a failed build leaves it as it was.
    """

    def __init__(
        self,
        target: Path,
        *,
        update: bool = False,
        known: set[str] | None = None,
        trusted: bool = False,
        root: Path | None = None,
    ) -> None:
        """``known``: every file the target holds, when the caller knows (what the last
        build wrote), so finding stale files needs no walk of the tree; files put there by
        anything else stay until a full build. ``trusted``: the target is the caller's
        alone (the preview server's): a kept file needs no look either. ``root``: the
        folder from :func:`stage_root` that some outputs were already written into."""
        self.known = known
        self.trusted = trusted and known is not None
        self.target = target.resolve()
        # The target holds a build of ours: a file made again with the same bytes is kept
        # there as it is (its modification time stays, which rsync and CDNs like).
        self.ours = (self.target / MARKER).is_file()
        self.update = update and self.ours
        self.root = root if root is not None else stage_root(self.target)
        self.files: dict[str, str] = {}  # output file → what produced it
        self.staged: list[str] = []  # files written into self.root
        self.made: set[str] = {str(self.root)}  # folders created so far
        self.static: dict[str, StaticRecord] = {}

    def _make_parent(self, path: Path | str) -> None:
        parent = os.path.dirname(path)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)

    def claim(self, rel: str, origin: str) -> None:
        """Say that ``origin`` makes ``rel``, before :meth:`put` writes it (perhaps in
        another process): two claims on one file are an error."""
        if rel in self.files:
            raise ContentError(Problem(f"{origin} and {self.files[rel]} both want /{rel}"))
        if rel.startswith("/") or ".." in rel.split("/"):
            # Never reached through the loader's checks; a last guard for the output folder.
            raise ContentError(Problem(f"{origin} wants a file outside the site: /{rel}"))
        self.files[rel] = origin

    def put(self, rel: str, data: bytes) -> tuple[os.stat_result, bool]:
        """Write the claimed file ``rel``: its stat, and whether it lies in the stage (to
        be added to :attr:`staged` by the caller, which may be another process's)."""
        # Strings and os calls: a cold build writes a file into a new folder per page.
        path = os.path.join(self.root, rel)
        if self.ours:
            same = self._same_as_before(rel, path, data)
            if same is not None:
                return same
        self._make_parent(path)
        # A bare descriptor: open() would also ask whether the file is a terminal and where
        # it stands, and a stat by name would look the path up again (2,400 files a build).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            st = os.fstat(fd)
        finally:
            os.close(fd)
        return st, True

    def _same_as_before(
        self, rel: str, path: str, data: bytes
    ) -> tuple[os.stat_result, bool] | None:
        """The target's file when it already holds ``data`` (kept in place, or linked into
        a new output folder) and whether it is in the stage; None when it must be written."""
        before = os.path.join(self.target, rel)
        if self.update:
            st = holding(before, data)
            return None if st is None else (st, False)
        self._make_parent(path)
        st = link_if_holding(before, path, data)
        return None if st is None else (st, True)

    def _same_static(self, rel: str, source: Path, size: int, dest: Path) -> os.stat_result | None:
        """The target's copy of a static file when it has the source's bytes: left in
        place by an update, linked into a new output folder; None when it must be copied."""
        if not self.ours:
            return None
        before = os.path.join(self.target, rel)
        try:
            st = os.stat(before)
            if st.st_size != size or not _same_bytes(source, before):
                return None
            if not self.update:
                self._make_parent(dest)
                os.link(before, dest)
                self.staged.append(rel)
        except OSError:
            return None
        return st

    def adopt(self, rel: str) -> tuple[os.stat_result, bool]:
        """Take on the claimed file ``rel``, which another process wrote into the stage
        (as :meth:`put` answers)."""
        path = os.path.join(self.root, rel)
        self.made.add(os.path.dirname(path))
        return os.stat(path), True

    def keep(self, rel: str, origin: str, size: int, mtime_ns: int, previous: str | Path) -> bool:
        """Keep the previous build's file if it is still exactly what that build wrote."""
        if rel in self.files:
            return False
        if self.update and self.trusted:
            # Only this process writes the folder (the preview's own): no need to look.
            self.files[rel] = origin
            return True
        # Strings, not Paths: at 10,000 pages, making a Path per file cost more than the stat.
        if self.update:
            try:
                st = os.stat(os.path.join(self.target, rel))
            except OSError:
                return False
            if not as_written(st, size, mtime_ns):
                return False
        else:
            dest = os.path.join(self.root, rel)
            self._make_parent(dest)
            try:
                # Same bytes, same inode: no copy, a stable mtime. Looked at once linked,
                # so the file looked at is the one kept even if the folder it comes from
                # is being replaced meanwhile (by a build of another output folder).
                os.link(os.path.join(previous, rel), dest)
                st = os.stat(dest)
            except OSError:
                return False
            if not as_written(st, size, mtime_ns):
                os.unlink(dest)
                return False
        self.files[rel] = origin
        return True

    def copy_in(
        self, rel: str, origin: str, size: int, mtime_ns: int, folder: str | Path
    ) -> os.stat_result | None:
        """Copy ``rel`` from another output folder, if it is still what that folder's
        build wrote; its stat here, or None."""
        if rel in self.files:
            return None
        try:
            with open(os.path.join(folder, rel), "rb") as fh:
                # The file read is the one looked at, whatever replaces it meanwhile.
                if not as_written(os.fstat(fh.fileno()), size, mtime_ns):
                    return None
                data = fh.read()
        except OSError:
            return None
        st, staged = self.put(rel, data)
        if staged:
            self.staged.append(rel)
        self.files[rel] = origin
        return st

    def copy_static(
        self, folders: list[Path], site_dir: Path, previous: dict[str, StaticRecord] | None = None
    ) -> list[Problem]:
        """Copy static folders, lowest priority first; later folders override earlier ones.

        A file whose source has the size and mtime recorded last time is kept as it is.
        """
        warnings: list[Problem] = []
        site = site_dir.resolve()
        chosen: dict[str, Path] = {}
        for folder in folders:
            inside_site = folder.resolve().is_relative_to(site)
            for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
                dirnames.sort()
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    if name in _SKIP_STATIC or name.endswith(("~", ".swp", ".swx")):
                        continue
                    if inside_site and not path.resolve().is_relative_to(site):
                        warnings.append(
                            Problem(
                                "this static file links outside the site folder and was not copied",
                                path.relative_to(site_dir).as_posix(),
                            )
                        )
                        continue
                    chosen[path.relative_to(folder).as_posix()] = path
        previous = previous or {}
        for rel in sorted(chosen):
            source = chosen[rel]
            if rel in self.files:
                raise ContentError(
                    Problem(
                        f"the static file {rel} and {self.files[rel]} both want /{rel}",
                        source.relative_to(site_dir).as_posix()
                        if source.is_relative_to(site_dir)
                        else str(source),
                        hint="rename the static file or change the page's slug",
                    )
                )
            st = source.stat()
            old = previous.get(rel)
            if (
                old is not None
                and old.source == str(source)
                and (old.size, old.mtime_ns) == (st.st_size, st.st_mtime_ns)
                and self.keep(rel, str(source), old.out_size, old.out_mtime_ns, self.target)
            ):
                self.static[rel] = old
                continue
            self.files[rel] = str(source)
            dest = self.root / rel
            out = self._same_static(rel, source, st.st_size, dest)
            if out is None:
                self._make_parent(dest)
                shutil.copyfile(source, dest)
                self.staged.append(rel)
                out = dest.stat()
            self.static[rel] = StaticRecord(
                str(source), st.st_size, st.st_mtime_ns, out.st_size, out.st_mtime_ns
            )
        return warnings

    def commit(self) -> None:
        if self.update:
            self._apply()
            return
        (self.root / MARKER).write_bytes(MARKER_TEXT)
        old = None
        if self.target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
            os.replace(self.target, old / "site")
        os.replace(self.root, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _apply(self) -> None:
        """Move staged files into the target, then remove what the new build did not make."""
        made: set[Path] = set()
        for rel in self.staged:
            dest = self.target / rel
            if dest.parent not in made:
                dest.parent.mkdir(parents=True, exist_ok=True)
                made.add(dest.parent)
            os.replace(self.root / rel, dest)
        keep = set(self.files) | {MARKER}
        if self.known is not None:
            for rel in sorted(self.known - keep, reverse=True):
                path = self.target / rel
                path.unlink(missing_ok=True)
                for parent in path.parents:
                    if parent == self.target or any(parent.iterdir()):
                        break
                    parent.rmdir()
            shutil.rmtree(self.root, ignore_errors=True)
            return
        # Strings and what the walk already saw, not a second look into each folder: the
        # output of 10,000 essays has 20,000 folders.
        target = str(self.target)
        removed: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(target, topdown=False):
            rel_dir = os.path.relpath(dirpath, target)
            prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            left = False
            for name in filenames:
                if prefix + name in keep:
                    left = True
                else:
                    os.unlink(os.path.join(dirpath, name))
            emptied = all(os.path.join(dirpath, d) in removed for d in dirnames)
            if dirpath != target and not left and emptied:
                try:
                    os.rmdir(dirpath)
                    removed.add(dirpath)
                except OSError:
                    pass  # something appeared in it meanwhile: leave it
        shutil.rmtree(self.root, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
