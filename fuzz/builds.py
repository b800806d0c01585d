"""How the fuzzers build a site: as ``passivepress build`` does, as the preview does, and
clean (the reference every other build is held to)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sites import NOW

from passivepress import build as build_module
from passivepress import uptodate
from passivepress.build import BuildOptions, BuildResult, build, records_key
from passivepress.errors import PassivepressError
from passivepress.report import Recorder

T = TypeVar("T")


@dataclass
class Built:
    """What a CLI build did: ``way`` is "current" (nothing to do), "quick" or "full" ("full
    in parallel" when forked copies rendered its outputs)."""

    way: str
    warnings: list[str] = field(default_factory=list)


def cli_options(output: Path | None, clean: bool = False, **more: object) -> BuildOptions:
    """Options of ``passivepress build [--clean] --output OUTPUT`` (None: no --output, the
    configuration's folder), at the fuzzers' now. published-urls.txt is left alone: the
    edits move URLs on purpose."""
    return BuildOptions(output=output, now=NOW, record_urls=False, use_cache=not clean, **more)


def preview_options(output: Path, **more: object) -> BuildOptions:
    return BuildOptions(output=output, now=NOW, record_urls=False, preview=True, **more)


def cli_build(site: Path, options: BuildOptions) -> Built:
    """Build as ``passivepress build`` does (see cli._cmd_build): nothing when the last
    build is still what a build would make, the quick way when only content changed
    (passivepress.quick), in full else."""
    # The CLI has a forked copy look at the output while it scans, from 2,000 output
    # files on; the fuzzers' sites are smaller, so every other build has one look anyway.
    uptodate._FORK_FROM = 0 if next(_builds) % 2 == 0 else _FORK_FROM
    sources = uptodate.scan(site, look_at_output=True)
    try:
        key = records_key(site, options)
        done = uptodate.check(site, key, sources.digest, NOW.timestamp(), sources.written)
        if done is not None:
            sources.save(site)
            return Built("current", sorted(str(w) for w in done.warnings))
        return built(build(site, options, Recorder(), sources))
    finally:
        if sources.written is not None:
            sources.written.close()


_builds = itertools.count()  # cli_build's calls
_FORK_FROM = uptodate._FORK_FROM


_PARALLEL_FROM = build_module.PARALLEL_MIN_DOCUMENTS


def render_in_parallel(count: int | None) -> None:
    """From now on, builds render in parallel from ``count`` documents on, as a big site's
    do: Markdown in worker processes, pages in forked copies, social cards in the copy
    forked as a cold build starts. None: passivepress's own threshold, which the fuzzers'
    sites (6 to 40 essays) stay under, so that every build runs in one process."""
    build_module.PARALLEL_MIN_DOCUMENTS = count or _PARALLEL_FROM


@contextmanager
def one_process() -> Iterator[None]:
    """Builds inside run in one process whatever render_in_parallel said: the clean
    builds every other build is held to."""
    saved = build_module.PARALLEL_MIN_DOCUMENTS
    build_module.PARALLEL_MIN_DOCUMENTS = _PARALLEL_FROM
    try:
        yield
    finally:
        build_module.PARALLEL_MIN_DOCUMENTS = saved


def built(result: BuildResult) -> Built:
    way = "quick" if result.quick else "full"
    if result.processes > 1:
        way += " in parallel"
    return Built(way, sorted(str(w) for w in result.warnings))


def attempt(build_it: Callable[[], T]) -> tuple[T | None, str | None]:
    """(what ``build_it`` gave, None), or (None, the message) when the site has a mistake
    passivepress reports. Any other exception is a crash, and goes on up."""
    try:
        return build_it(), None
    except PassivepressError as exc:
        return None, str(exc)
