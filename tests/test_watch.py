"""The watcher on real files: every editor's way of saving gives one rebuild that sees the
finished file, junk files give none, bursts are coalesced, and builds never overlap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from editor_saves import JUNK_NAMES, SAVES
from passivepress.watch import Timing, Watcher, is_junk

ESSAY = "---\ntitle: {title}\ndate: 2024-03-01\n---\n{body}\n"


class Builds:
    """A stand-in for the builder: records each call, what it was told changed, and what
    the essay file held at that moment (the bytes a real build would have read)."""

    def __init__(self, essay: Path, seconds: float = 0.0) -> None:
        self.essay = essay
        self.seconds = seconds
        self.calls: list[frozenset[str]] = []
        self.seen: list[str | None] = []
        self.running = 0
        self.overlapped = False
        self._cond = threading.Condition()

    def __call__(self, changed: frozenset[str]) -> None:
        with self._cond:
            self.running += 1
            self.overlapped |= self.running > 1
        try:
            self.seen.append(self.essay.read_text() if self.essay.exists() else None)
        except OSError:
            self.seen.append(None)
        time.sleep(self.seconds)
        with self._cond:
            self.running -= 1
            self.calls.append(changed)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.calls) >= count, timeout), (
                f"expected {count} builds, got {len(self.calls)}"
            )

    def settle(self, count: int, quiet: float = 0.8) -> None:
        """Exactly ``count`` builds: wait for them, then make sure no more come."""
        self.wait(count)
        time.sleep(quiet)
        assert len(self.calls) == count, f"expected {count} builds, got {self.calls}"


def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "content" / "essays").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "passivepress.yml").write_text("title: T\n")
    (root / "content" / "essays" / "hello.md").write_text(ESSAY.format(title="Hello", body="v0"))
    return root


def start(site: Path, builds: Builds) -> Watcher:
    watcher = Watcher(site, builds, Timing())
    watcher.start()
    time.sleep(0.05)  # let inotify's watches settle before the test starts writing
    return watcher


@pytest.fixture
def watched(site: Path) -> Iterator[tuple[Path, Builds]]:
    builds = Builds(site / "content" / "essays" / "hello.md")
    watcher = start(site, builds)
    try:
        yield site, builds
    finally:
        watcher.stop()


@pytest.mark.parametrize("save", SAVES.values(), ids=SAVES.keys())
def test_every_editor_save_gives_one_build_that_sees_the_new_text(watched, save) -> None:
    site, builds = watched
    essay = site / "content" / "essays" / "hello.md"
    new = ESSAY.format(title="Hello", body=f"saved by {save.__name__}")

    save(essay, new)

    builds.settle(1)
    assert builds.seen == [new]
    assert str(essay) in builds.calls[0]


def test_junk_files_alone_never_start_a_build(watched) -> None:
    site, builds = watched
    folder = site / "content" / "essays"
    for pattern in JUNK_NAMES:
        junk = folder / pattern.format(name="hello.md")
        junk.write_text("---\ntitle: Junk\ndate: 2024-01-01\n---\n")
        junk.unlink()
    (site / "content" / ".hidden").mkdir()
    (site / "content" / ".hidden" / "x.md").write_text("hidden")
    (site / "README.md").write_text("not a source of the site")
    time.sleep(0.8)
    assert builds.calls == []


@pytest.mark.parametrize(
    "path",
    [
        "content/essays/.hello.md.swp",
        "content/essays/hello.md~",
        "content/essays/#hello.md#",
        "content/essays/.#hello.md",
        "content/essays/hello.md___jb_tmp___",
        "content/essays/4913",
        "content/.git/config",
        "content/essays/x.crswap",
    ],
)
def test_editor_leftovers_are_junk(path: str) -> None:
    assert is_junk(Path("/site") / path, "/site")


def test_real_sources_are_not_junk() -> None:
    for path in ("content/essays/2024-01-01-hello.md", "templates/base.html", "static/a.css"):
        assert not is_junk(Path("/site") / path, "/site")


def test_a_burst_of_saves_to_many_files_is_one_build(watched) -> None:
    site, builds = watched
    folder = site / "content" / "essays"
    for i in range(30):
        (folder / f"e{i}.md").write_text(ESSAY.format(title=f"E{i}", body="x"))
    builds.settle(1)
    assert len(builds.calls[0]) == 30


def test_a_save_during_a_build_gives_exactly_one_more_build_never_a_parallel_one(
    site: Path,
) -> None:
    essay = site / "content" / "essays" / "hello.md"
    builds = Builds(essay, seconds=0.5)
    watcher = start(site, builds)
    try:
        essay.write_text(ESSAY.format(title="Hello", body="first"))
        until(lambda: builds.running == 1)  # the first build is running now
        for i in range(5):
            essay.write_text(ESSAY.format(title="Hello", body=f"during {i}"))
            time.sleep(0.02)
        builds.settle(2)
        assert builds.seen[-1] == ESSAY.format(title="Hello", body="during 4")
        assert not builds.overlapped
    finally:
        watcher.stop()


def test_a_steady_stream_of_saves_still_builds_regularly(site: Path) -> None:
    essay = site / "content" / "essays" / "hello.md"
    builds = Builds(essay)
    watcher = Watcher(site, builds, Timing(longest=0.5))
    watcher.start()
    try:
        end = time.monotonic() + 1.6
        i = 0
        while time.monotonic() < end:  # a save every 20 ms: never a quiet moment
            essay.write_text(ESSAY.format(title="Hello", body=f"save {i}"))
            i += 1
            time.sleep(0.02)
        assert len(builds.calls) >= 2
        last = ESSAY.format(title="Hello", body=f"save {i - 1}")
        until(lambda: bool(builds.seen) and builds.seen[-1] == last and not builds.running)
    finally:
        watcher.stop()


def test_adding_renaming_and_deleting_files_and_folders_rebuild(watched) -> None:
    site, builds = watched
    essays = site / "content" / "essays"
    steps = [
        lambda: (essays / "new.md").write_text(ESSAY.format(title="New", body="x")),
        lambda: (essays / "new.md").rename(essays / "renamed.md"),
        lambda: (essays / "renamed.md").unlink(),
        lambda: (essays / "2024").mkdir(),
        lambda: (essays / "2024" / "deep.md").write_text(ESSAY.format(title="D", body="x")),
        lambda: (essays / "2024").rename(essays / "archive"),
        lambda: (
            [p.unlink() for p in (essays / "archive").iterdir()] and (essays / "archive").rmdir()
        ),
    ]
    for n, step in enumerate(steps, start=1):
        step()
        builds.wait(n, timeout=5)
        time.sleep(0.05)
    builds.settle(len(steps), quiet=0.6)
    assert any(str(essays / "archive") in c or str(essays / "2024") in c for c in builds.calls)


def test_config_and_new_source_folders_are_watched(watched) -> None:
    site, builds = watched
    (site / "passivepress.yml").write_text("title: Changed\n")
    builds.wait(1)
    (site / "static").mkdir()  # did not exist when watching began
    builds.wait(2)
    time.sleep(0.1)
    (site / "static" / "style.css").write_text("body { color: red }")
    builds.wait(3)
    assert str(site / "static" / "style.css") in builds.calls[2]


def test_a_source_folder_deleted_and_made_again_is_still_watched(watched) -> None:
    site, builds = watched
    (site / "templates").rmdir()
    builds.wait(1)
    (site / "templates").mkdir()
    builds.wait(2)
    time.sleep(0.1)
    (site / "templates" / "essay.html").write_text("{{ essay.title }}")
    builds.wait(3)
    assert str(site / "templates" / "essay.html") in builds.calls[2]


def test_stop_ends_every_thread(site: Path) -> None:
    before = set(threading.enumerate())
    builds = Builds(site / "content" / "essays" / "hello.md")
    watcher = start(site, builds)
    watcher.stop()
    assert set(threading.enumerate()) <= before
