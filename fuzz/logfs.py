"""The fuzzers' file system: every change to a site is one logged operation.

A run's log of operations replays it without the random generator that chose them, and
the reducer shrinks a failing run by leaving operations out. An operation is a JSON list:

    ["write", rel, text]      ["write_hex", rel, hex]     ["delete", rel]
    ["rename", rel, new_rel]  ["touch", rel]              ["replace_same", rel]
"""

from __future__ import annotations

import os
from pathlib import Path

Op = list  # ["write", "content/essays/x.md", "---\n..."]; see the module's docstring

# Folders of a site that are not its sources: the cache and preview folders, and the
# output folders the restarts fuzzer builds into. Undo and "back to the last good site"
# leave them to the builds.
NOT_SOURCES = (".passivepress", "_site", "public")


def apply_op(root: Path, op: Op, strict: bool = True) -> bool:
    """Do ``op`` below ``root``. With ``strict`` off (replaying a shrunk log), an op on a
    file that is not there is left out instead of failing; returns whether it was done."""
    kind, path = op[0], root / op[1]
    if not strict and kind != "write" and kind != "write_hex" and not path.exists():
        return False
    if kind in ("write", "write_hex"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "write":
            path.write_text(op[2], encoding="utf-8")
        else:
            path.write_bytes(bytes.fromhex(op[2]))
    elif kind == "delete":
        path.unlink()
    elif kind == "rename":
        dst = root / op[2]
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dst)
    elif kind == "touch":
        # A second later than it was, so that a build trusting times sees a change; the
        # odd nanoseconds keep it from matching any time the clock gives a write.
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_007))
    elif kind == "replace_same":
        # The same bytes in a new file (a new inode and time): what an editor's atomic
        # save of an unchanged file does.
        data = path.read_bytes()
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    else:
        raise ValueError(f"unknown file operation {op!r}")
    return True


def paths_of(op: Op) -> list[str]:
    """The paths ``op`` changes (both, for a rename)."""
    return [op[1], op[2]] if op[0] == "rename" else [op[1]]


class FS:
    """A site's files, changed only through logged operations."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ops: list[Op] = []
        self.touched: set[str] = set()  # every path an op changed (the watcher's report)

    def p(self, rel: str) -> Path:
        return self.root / rel

    def exists(self, rel: str) -> bool:
        return self.p(rel).exists()

    def read(self, rel: str) -> str:
        return self.p(rel).read_text(encoding="utf-8")

    def do(self, op: Op) -> None:
        apply_op(self.root, op)
        self.ops.append(op)
        self.touched.update(paths_of(op))

    def write(self, rel: str, text: str) -> None:
        self.do(["write", rel, text])

    def write_bytes(self, rel: str, data: bytes) -> None:
        self.do(["write_hex", rel, data.hex()])

    def delete(self, rel: str) -> None:
        self.do(["delete", rel])

    def rename(self, rel: str, new: str) -> None:
        self.do(["rename", rel, new])

    def touch(self, rel: str) -> None:
        self.do(["touch", rel])

    def replace_same(self, rel: str) -> None:
        self.do(["replace_same", rel])

    def record_all(self) -> None:
        """Log every source file as it is now as a write (a site made by other means, so
        that a log replays without them)."""
        for rel, data in files_of(self.root).items():
            try:
                self.ops.append(["write", rel, data.decode("utf-8")])
            except UnicodeDecodeError:
                self.ops.append(["write_hex", rel, data.hex()])


def files_of(site: Path) -> dict[str, bytes]:
    """The site's source files (relative POSIX path → bytes), in a stable order."""
    out = {}
    for p in sorted(site.rglob("*")):
        rel = p.relative_to(site)
        if rel.parts[0] not in NOT_SOURCES and p.is_file():
            out[rel.as_posix()] = p.read_bytes()
    return out
