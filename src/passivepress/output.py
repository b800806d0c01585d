"""The output folder: refuse unsafe targets, stage a build, swap it in only on success."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from passivepress.errors import ConfigError, ContentError, Problem

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


class Stage:
    """A fresh folder beside the target; :meth:`commit` swaps it in, :meth:`discard` drops it."""

    def __init__(self, target: Path) -> None:
        self.target = target.resolve()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(
            tempfile.mkdtemp(prefix=f".{self.target.name}.building-", dir=self.target.parent)
        )
        self.files: dict[str, str] = {}  # output file → what produced it

    def write(self, rel: str, data: bytes, origin: str) -> None:
        if rel in self.files:
            raise ContentError(Problem(f"{origin} and {self.files[rel]} both want /{rel}"))
        self.files[rel] = origin
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def copy_static(self, folders: list[Path], site_dir: Path) -> list[Problem]:
        """Copy static folders, lowest priority first; later folders override earlier ones."""
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
        for rel in sorted(chosen):
            if rel in self.files:
                raise ContentError(
                    Problem(
                        f"the static file {rel} and {self.files[rel]} both want /{rel}",
                        chosen[rel].relative_to(site_dir).as_posix()
                        if chosen[rel].is_relative_to(site_dir)
                        else str(chosen[rel]),
                        hint="rename the static file or change the page's slug",
                    )
                )
            self.files[rel] = str(chosen[rel])
            dest = self.root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(chosen[rel], dest)
        return warnings

    def commit(self) -> None:
        (self.root / MARKER).write_bytes(MARKER_TEXT)
        old = None
        if self.target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
            os.replace(self.target, old / "site")
        os.replace(self.root, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
