"""Shared helpers: a whole site written from one multi-file string, built into ``tmp_path``,
and its output read back with independent parsers (html5lib, feedparser, xml.etree).

A site is written txtar-style, as in Hugo's integration tests::

    site = make_site(tmp_path, '''
    -- passivepress.yml --
    title: Test
    -- content/essays/2024-03-01-hello.md --
    ---
    title: Hello
    date: 2024-03-01
    ---
    Body
    ''')
    built = build_site(site)
    assert built.html("/essays/hello/").title() == "Hello — Test"
"""

from __future__ import annotations

import re
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
import html5lib
import pytest

from passivepress.build import BuildOptions, BuildResult, build
from passivepress.cli import main
from passivepress.report import Recorder
from passivepress.urls import output_path

# "Now" for every build in the tests, so drafts, future essays and feeds never depend on
# the day the tests run.
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def in_fresh_process(script: str, *args: object) -> Any:
    """What ``script`` prints as JSON, run by a Python process of its own (with ``args`` in
    sys.argv[1:]). For work shared with forked copies: a build forks only while its
    process has no other thread, which the test process, after other tests, may have."""
    import json
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# The smallest configuration most tests start from.
CONFIG = """
-- passivepress.yml --
title: Test Site
description: Essays on mentoring, for tests.
base_url: https://example.com/
timezone: UTC
author:
  name: Ada Author
  email: ada@example.com
contact:
  email: ada@example.com
  text: Tell me where you are stuck.
"""

_FILE_MARKER = re.compile(r"^-- (\S.*?) --$")


def write_site(root: Path, archive: str) -> Path:
    """Write every ``-- path --`` section of ``archive`` below ``root``; return ``root``.

    The archive is dedented first, so it may be indented like the code around it. Text
    before the first marker is a comment. Files are written as UTF-8 with ``\\n`` endings.
    """
    archive = textwrap.dedent(archive)
    current: str | None = None
    files: dict[str, list[str]] = {}
    for line in archive.split("\n"):
        marker = _FILE_MARKER.match(line)
        if marker:
            current = marker.group(1)
            files[current] = []
        elif current is not None:
            files[current].append(line)
    for name, lines in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "\n".join(lines)
        path.write_text(text.rstrip("\n") + "\n" if text.strip() else "", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def make_site() -> Callable[..., Path]:
    """``make_site(tmp_path, SITE)`` writes the site into ``tmp_path / "site"``."""

    def make(tmp_path: Path, archive: str, name: str = "site") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        return write_site(root, archive)

    return make


# --- reading the output -------------------------------------------------------------------


def squash(text: str) -> str:
    """Whitespace collapsed, as a reader sees text in a browser."""
    return " ".join(text.split())


class Html:
    """One parsed HTML page (html5lib, no namespaces) with the queries tests need."""

    def __init__(self, data: bytes) -> None:
        self.root: ET.Element = html5lib.parse(data, namespaceHTMLElements=False)

    def find(self, path: str) -> ET.Element | None:
        return self.root.find(path)

    def findall(self, path: str) -> list[ET.Element]:
        return self.root.findall(path)

    def iter(self, tag: str | None = None) -> Iterator[ET.Element]:
        return self.root.iter(tag)

    def with_class(self, cls: str, tag: str | None = None) -> list[ET.Element]:
        """Elements whose class attribute contains ``cls``."""
        return [el for el in self.root.iter(tag) if cls in el.get("class", "").split()]

    def one(self, cls: str, tag: str | None = None) -> ET.Element:
        found = self.with_class(cls, tag)
        assert len(found) == 1, f"expected one element with class {cls!r}, got {len(found)}"
        return found[0]

    def text(self, element: ET.Element | None = None) -> str:
        """The visible text of an element (default: the body), whitespace collapsed."""
        el = self.root.find("body") if element is None else element
        assert el is not None
        return squash("".join(el.itertext()))

    def title(self) -> str:
        el = self.root.find("head/title")
        return squash(el.text or "") if el is not None else ""

    def links(self, element: ET.Element | None = None) -> list[str]:
        """Every ``<a href>`` in document order."""
        el = self.root if element is None else element
        return [a.get("href", "") for a in el.iter("a") if a.get("href") is not None]

    def urls(self) -> list[str]:
        """Every URL the page refers to: a/link href, img/script src, form action."""
        out = []
        for el in self.root.iter():
            for attr in ("href", "src", "action"):
                if el.get(attr) is not None:
                    out.append(el.get(attr))
        return out

    def meta(self, name: str) -> str | None:
        for el in self.root.iter("meta"):
            if el.get("name") == name or el.get("property") == name:
                return el.get("content")
        return None


@dataclass
class Built:
    """A finished build: the output folder, what build() returned and what it reported."""

    site: Path
    out: Path
    result: BuildResult
    recorder: Recorder

    def file(self, url: str) -> Path:
        """The output file that serves a site URL (``/essays/x/`` → ``essays/x/index.html``)."""
        return self.out / output_path(url)

    def exists(self, url: str) -> bool:
        return self.file(url).is_file()

    def read(self, url: str) -> bytes:
        path = self.file(url)
        assert path.is_file(), f"{url} was not written ({path})"
        return path.read_bytes()

    def html(self, url: str) -> Html:
        return Html(self.read(url))

    def feed(self, url: str = "/feed.xml") -> Any:
        parsed = feedparser.parse(self.read(url))
        assert not parsed.bozo, f"{url} is not a well-formed feed: {parsed.bozo_exception}"
        return parsed

    def sitemap(self) -> list[str]:
        """The <loc> URLs of sitemap.xml."""
        root = ET.fromstring(self.read("/sitemap.xml"))
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        return [loc.text or "" for loc in root.findall("s:url/s:loc", ns)]

    def files(self) -> dict[str, bytes]:
        """Every output file by its path relative to the output folder."""
        return tree(self.out)

    def broken_links(self, base_url: str = "https://example.com/") -> list[str]:
        """Every "page: URL" where an HTML page refers to a URL of this site (relative to
        the root, or absolute under ``base_url``) that no output file serves."""
        parts = urlsplit(base_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        base_path = parts.path or "/"
        broken = []
        for rel in self.files():
            if not rel.endswith(".html"):
                continue
            for url in self.html("/" + rel).urls():
                if url.startswith(base_url):
                    url = url[len(origin) :]
                target = internal_target(url, base_path)
                if target is None:
                    continue
                file = self.file(target)
                if not (file.is_file() or (file / "index.html").is_file()):
                    broken.append(f"{rel}: {url}")
        return broken

    @property
    def warnings(self) -> list[str]:
        return [str(w) for w in self.recorder.warnings]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative POSIX path → bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def build_site() -> Callable[..., Built]:
    """``build_site(site, drafts=True, ...)`` builds with BuildOptions; ``now`` is NOW."""

    def run(site: Path, output: Path | None = None, **options: Any) -> Built:
        options.setdefault("now", NOW)
        out = output or site / "_site"
        recorder = Recorder()
        result = build(site, BuildOptions(output=out, **options), recorder)
        return Built(site, out.resolve(), result, recorder)

    return run


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable]:
    """``cli("build", str(site), "--strict")`` runs the command in-process.

    "Now" is pinned through SOURCE_DATE_EPOCH (to NOW) unless the test set it itself.
    """

    import logging
    import os

    logger = logging.getLogger("passivepress")
    saved = (logger.handlers[:], logger.level, logger.propagate)

    def run(*args: str) -> CliResult:
        if "SOURCE_DATE_EPOCH" not in os.environ:
            monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    yield run
    # The CLI points the logger at this test's captured stderr; a preview server that a
    # later test leaves logging from its thread must not write to that closed stream.
    logger.handlers[:], logger.level, logger.propagate = saved


def internal_target(url: str, base_path: str) -> str | None:
    """The site URL (without the base path) that a link in a page points at, or None for
    links that leave the site (other hosts, mailto:, fragments only)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    if not path.startswith(base_path):
        return path  # outside the base path: certainly missing, report it as it is
    return "/" + path[len(base_path) :]


PYTHON = sys.executable
