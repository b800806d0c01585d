"""``passivepress serve`` for real: the server on 127.0.0.1 port 0 against a small site in
``tmp_path``, talked to over HTTP, with files edited the way editors save them.

Pages are read with html5lib; builds are counted (``LivePreview.builds``) and what each
build rendered is recorded (``Recorder``), so "exactly one rebuild" and "only what depends
on the change" are checked, not assumed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import html5lib
import pytest

from editor_saves import JUNK_NAMES, SAVES
from passivepress.build import BuildOptions, build
from passivepress.preview_folder import PREVIEW_DIR, PreviewFolder
from passivepress.report import Recorder
from passivepress.serve import (
    EVENTS_PATH,
    SCRIPT_PATH,
    Gate,
    LivePreview,
    ServeOptions,
    host_allowed,
    locate,
)
from passivepress.watch import Timing

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

CONFIG = """\
title: Preview Test
description: A site for the preview tests.
base_url: {base_url}
timezone: UTC
author:
  name: Ada Author
contact:
  email: ada@example.com
"""


def essay(title: str, date: str = "2024-03-01", body: str = "Body.", extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body}\n"


SITE = {
    "content/essays/2024-03-01-hello.md": essay(
        "Hello", body="The first version.", extra="tags: [Mentoring]\n"
    ),
    "content/essays/2024-04-01-second.md": essay("Second", "2024-04-01"),
    "content/essays/2024-05-01-a-draft.md": essay("A draft", "2024-05-01", extra="draft: true\n"),
    "content/essays/2030-01-01-later.md": essay("Later", "2030-01-01"),
    "content/books/a-book.md": "---\ntitle: A Book\nauthor: Ada Author\n---\nMine.\n",
    "content/pages/about.md": "---\ntitle: About\nmenu: 1\n---\nAbout me.\n",
    "static/css/site.css": "body { color: #123456 }\n",
    "static/images/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
}


def write_site(root: Path, files: dict[str, str], base_url: str = "https://example.com/") -> Path:
    files = {"passivepress.yml": CONFIG.format(base_url=base_url), **files}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def html(self) -> ET.Element:
        return html5lib.parse(self.body, namespaceHTMLElements=False)


def visible_text(root: ET.Element) -> str:
    body = root.find("body")
    assert body is not None
    return " ".join("".join(body.itertext()).split())


class Server:
    """A started preview and the ways tests talk to it."""

    def __init__(self, preview: LivePreview, recorder: Recorder) -> None:
        self.preview = preview
        self.recorder = recorder

    @property
    def port(self) -> int:
        return self.preview.port

    def get(self, path: str, method: str = "GET", host: str | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
        finally:
            conn.close()

    def raw(self, request: bytes) -> Response:
        """Send bytes as they are (for request lines http.client refuses to write)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        return Response(int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body)

    def page_text(self, path: str) -> str:
        resp = self.get(path)
        assert resp.status == 200, (path, resp.status)
        return visible_text(resp.html())

    def save(self, path: Path, text: str, how: Callable[[Path, str], None] = SAVES["in_place"]):
        """Save like an editor and wait for the build it causes."""
        before = self.preview.builds
        how(path, text)
        assert self.preview.wait_for_builds(before + 1, timeout=10), "no rebuild after a save"
        return before + 1


class EventStream:
    """A live-reload connection, as a page's EventSource holds it."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.request("GET", EVENTS_PATH, headers={"Accept": "text/event-stream"})
        self.sock = self.conn.sock  # http.client lets go of it for a response without length
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type", "").startswith("text/event-stream")

    def next(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.sock is not None
        self.sock.settimeout(timeout)
        kind, data = "message", []
        while True:
            line = self.resp.fp.readline().decode("utf-8")
            if not line:
                raise EOFError("the event stream ended")
            line = line.rstrip("\r\n")
            if not line:
                if data:
                    return {"event": kind, **json.loads("\n".join(data))}
                continue
            name, _, value = line.partition(":")
            if name == "event":
                kind = value.strip()
            elif name == "data":
                data.append(value.strip())

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "site", SITE)


def start_server(site: Path, **options: Any) -> Server:
    # Not the built-in theme: someone working on it must not make builds here.
    options = {"port": 0, "now": NOW, "jobs": 1, "watch_default_theme": False, **options}
    recorder = Recorder()
    preview = LivePreview(site, ServeOptions(**options), recorder)
    preview.start()
    return Server(preview, recorder)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(site: Path, **options: Any) -> Server:
        started.append(start_server(site, **options))
        return started[-1]

    yield start
    for server in started:
        server.preview.stop()


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> Iterator[Server]:
    """One server for the tests that only read, with a secret beside its output folder, in
    a sibling folder whose name starts with the output folder's name, and a symlink in the
    output that points out."""
    server = start_server(write_site(tmp_path_factory.mktemp("reader") / "site", SITE))
    out = server.preview.snapshot.root
    assert out is not None
    (out.parent / "secret.txt").write_text("TOP SECRET")
    sibling = out.parent / (out.name + "-secret")
    sibling.mkdir()
    (sibling / "secret.txt").write_text("TOP SECRET")
    (out / "outside").symlink_to(sibling, target_is_directory=True)
    yield server
    server.preview.stop()


# --- serving ----------------------------------------------------------------------------------


def test_serves_the_built_site_with_drafts_and_future_essays(site, serve) -> None:
    server = serve(site)
    home = server.page_text("/")
    assert "Preview Test" in home
    archive = server.page_text("/essays/")
    for title in ("Hello", "Second", "A draft", "Later"):
        assert title in archive
    assert "Draft" in server.page_text("/essays/a-draft/")


def test_drafts_and_future_essays_can_be_left_out(site, serve) -> None:
    server = serve(site, drafts=False, future=False)
    archive = server.page_text("/essays/")
    assert "Hello" in archive
    assert "A draft" not in archive
    assert "Later" not in archive
    assert server.get("/essays/a-draft/").status == 404


def test_live_reload_script_is_added_to_html_responses_only(reader) -> None:
    server = reader
    page = server.get("/essays/hello/").html()
    scripts = [s.get("src") for s in page.iter("script")]
    assert SCRIPT_PATH in scripts
    for path in ("/css/site.css", "/feed.xml", "/sitemap.xml", "/robots.txt"):
        assert SCRIPT_PATH.encode() not in server.get(path).body, path
    script = server.get(SCRIPT_PATH)
    assert script.status == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"EventSource" in script.body


def test_built_files_never_contain_the_live_reload_script(site, serve, tmp_path) -> None:
    server = serve(site)
    out = server.preview.snapshot.root
    assert out is not None
    for path in out.rglob("*"):
        if path.is_file():
            assert b"__passivepress" not in path.read_bytes(), path
    built = tmp_path / "built"
    build(site, BuildOptions(output=built, now=NOW, drafts=True, future=True))
    for path in built.rglob("*"):
        if path.is_file():
            assert b"__passivepress" not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/essays/hello/", "text/html; charset=utf-8"),
        ("/css/site.css", "text/css; charset=utf-8"),
        ("/images/dot.svg", "image/svg+xml"),
        ("/feed.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_types(reader, path, expected) -> None:
    resp = reader.get(path)
    assert resp.status == 200
    assert resp.headers["content-type"] == expected
    assert resp.headers["cache-control"] == "no-store"
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_head_sends_the_headers_of_get_without_a_body(reader) -> None:
    server = reader
    get = server.get("/essays/hello/")
    head = server.get("/essays/hello/", method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.body))
    assert head.headers["content-type"] == get.headers["content-type"]


def test_a_missing_page_gets_the_sites_404_page_with_status_404(reader) -> None:
    server = reader
    resp = server.get("/no/such/page/")
    assert resp.status == 404
    assert resp.headers["cache-control"] == "no-store"
    page = resp.html()
    title = page.find("head/title")
    assert title is not None and "not found" in (title.text or "").lower()
    assert SCRIPT_PATH in [s.get("src") for s in page.iter("script")]


def test_a_folder_url_without_its_slash_redirects(reader) -> None:
    server = reader
    resp = server.get("/essays/hello?x=1")
    assert resp.status == 301
    assert resp.headers["location"] == "/essays/hello/?x=1"


def test_serves_under_the_sites_base_path_with_working_links(tmp_path, serve) -> None:
    site = write_site(tmp_path / "site", SITE, base_url="https://someone.github.io/site/")
    server = serve(site)
    assert server.preview.url == f"http://127.0.0.1:{server.port}/site/"
    root = server.get("/")
    assert root.status == 301
    assert root.headers["location"] == "/site/"
    page = server.get("/site/essays/hello/")
    assert page.status == 200
    html = page.html()
    links = [a.get("href") for a in html.iter("a") if a.get("href", "").startswith("/")]
    assert links and all(link.startswith("/site/") for link in links)
    canonical = [el.get("href") for el in html.iter("link") if el.get("rel") == "canonical"]
    assert canonical == [f"http://127.0.0.1:{server.port}/site/essays/hello/"]
    for link in links:
        assert server.get(link.split("#")[0]).status in (200, 301), link
    assert server.get("/essays/hello/").status == 404


def test_a_save_of_an_essays_text_is_built_the_quick_way_and_served(site, serve, caplog) -> None:
    """The watcher tells the builder which files were saved: a body edit takes the quick
    way (from the model in memory), and the terminal says so; a new tag, which moves
    things around, the full way."""
    server = serve(site)
    path = site / "content/essays/2024-03-01-hello.md"
    told = r"Rebuilt in \d+ ms after changes to .*hello\.md.*the quick way"
    with caplog.at_level("INFO", logger="passivepress"):
        server.save(path, essay("Hello", body="The second version.", extra="tags: [Mentoring]\n"))
        deadline = time.monotonic() + 10  # the terminal is told just after the build counts
        while not re.search(told, caplog.text) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert server.preview.last_result is not None and server.preview.last_result.quick
    assert re.search(told, caplog.text)
    assert "The second version." in server.page_text("/essays/hello/")
    server.save(path, essay("Hello", body="The second version.", extra="tags: [Writing]\n"))
    assert not server.preview.last_result.quick
    assert "Writing" in server.page_text("/tags/")
    # While it waits for the next save, the preview makes what a quick build starts from.
    builder = server.preview._builder
    assert builder is not None and builder.resident is not None
    deadline = time.monotonic() + 10
    while builder.resident.kept is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert builder.resident.kept is not None, "not made while the preview was idle"


def test_the_first_build_shares_its_work_and_misses_no_save_made_meanwhile(
    tmp_path, serve, monkeypatch
) -> None:
    """The first build runs before the watcher's threads start, so it may fork copies of
    itself; a save made while it runs is found by comparing the files before and after,
    and built then."""
    files = dict(SITE)
    for n in range(1, 40):
        files[f"content/essays/2023-01-{n % 28 + 1:02d}-e{n}.md"] = essay(
            f"Essay {n}", f"2023-01-{n % 28 + 1:02d}", extra="tags: [Writing]\n"
        )
    site = write_site(tmp_path / "site", files)
    path = site / "content/essays/2024-03-01-hello.md"
    real = LivePreview.rebuild
    firsts = []

    def saving_meanwhile(self, changed, first=False):
        if first:
            path.write_text(essay("Hello", body="Saved during the first build."))
        real(self, changed, first)
        if first:
            firsts.append(self.last_result)

    monkeypatch.setattr(LivePreview, "rebuild", saving_meanwhile)
    server = serve(site, jobs=2)
    assert len(firsts) == 1 and firsts[0] is not None
    assert server.preview.wait_for_builds(2), "the save made meanwhile was not built"
    assert "Saved during the first build." in server.page_text("/essays/hello/")
    # In a process of its own (here other tests' servers run threads), as `serve` starts.
    script = tmp_path / "first_build.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from passivepress.report import Recorder\n"
        "from passivepress.serve import LivePreview, ServeOptions\n"
        "if __name__ == '__main__':\n"
        "    preview = LivePreview(Path(sys.argv[1]), ServeOptions(port=0, jobs=2), Recorder())\n"
        "    preview.start()\n"
        "    print(preview.last_result.processes)\n"
        "    preview.stop()\n"
    )
    done = subprocess.run(
        [sys.executable, str(script), str(site)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2"], "the first build rendered in one process"


def test_a_new_base_path_moves_the_preview_and_a_content_save_parses_settings_once(
    tmp_path, serve, monkeypatch
) -> None:
    """passivepress.yml is parsed again (to see whether the base path moved) only when its
    bytes changed: a save of an essay parses it once, in the build."""
    from passivepress import config as config_module

    site = write_site(tmp_path / "site", SITE)
    server = serve(site)
    assert server.get("/essays/hello/").status == 200
    loads: list[Path] = []
    real_load = config_module.load

    def counted(site_dir: Path, *args: Any, **kwargs: Any) -> Any:
        loads.append(site_dir)
        return real_load(site_dir, *args, **kwargs)

    monkeypatch.setattr(config_module, "load", counted)
    server.save(site / "content/essays/2024-03-01-hello.md", essay("Hello again"))
    assert len(loads) == 1
    assert "Hello again" in server.page_text("/essays/hello/")

    settings = site / "passivepress.yml"
    server.save(settings, CONFIG.format(base_url="https://someone.github.io/site/"))
    assert server.preview.url == f"http://127.0.0.1:{server.port}/site/"
    assert server.get("/site/essays/hello/").status == 200
    assert server.get("/essays/hello/").status == 404
    # Back as it was: the settings seen last are not those of the first build.
    server.save(settings, CONFIG.format(base_url="https://example.com/"))
    assert server.preview.url == f"http://127.0.0.1:{server.port}/"
    assert server.get("/essays/hello/").status == 200


# --- safety -----------------------------------------------------------------------------------


TRAVERSALS = [
    "/../secret.txt",
    "/essays/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..%252fsecret.txt",
    "/..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/..%5csecret.txt",
    "//etc/passwd",
    "/%2fetc/passwd",
    "/%2Fetc%2Fpasswd",
    "/etc/passwd",
    "/secret.txt%00.html",
    "/%00",
    "/../site-secret/secret.txt",
    "/%2e%2e/site-secret/secret.txt",
    "/..%2fsite-secret%2fsecret.txt",
    "/outside/secret.txt",
    "/.passivepress-output",
    "/%c0%ae%c0%ae/secret.txt",
    "/C:/Windows/win.ini",
    "http://127.0.0.1/../secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_paths_leading_outside_the_output_are_not_found(reader, target) -> None:
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    resp = reader.raw(request.encode("latin-1"))
    assert resp.status == 404
    assert b"TOP SECRET" not in resp.body


def test_a_nul_byte_in_the_raw_path_is_refused(reader) -> None:
    resp = reader.raw(
        b"GET /secret.txt\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert resp.status in (400, 404)
    assert b"TOP SECRET" not in resp.body


def test_locate_compares_whole_path_components(tmp_path) -> None:
    root = tmp_path / "site"
    (root / "a").mkdir(parents=True)
    (root / "a" / "index.html").write_text("a")
    (tmp_path / "site-b").mkdir()
    (tmp_path / "site-b" / "x.txt").write_text("b")
    assert locate("/a/", root).file == (root / "a" / "index.html").resolve()
    assert locate("/a", root).redirect == "/a/"
    assert locate("/../site-b/x.txt", root).file is None
    assert locate("/a/../../site-b/x.txt", root).file is None


def test_hidden_files_are_not_served_but_well_known_is(tmp_path) -> None:
    root = tmp_path / "site"
    (root / ".well-known").mkdir(parents=True)
    (root / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.com")
    (root / ".passivepress-output").write_text("marker")
    assert locate("/.well-known/security.txt", root).file is not None
    assert locate("/.passivepress-output", root).file is None


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "localhost.evil.example"]
)
def test_requests_for_other_host_names_are_refused(reader, host) -> None:
    server = reader
    resp = server.get("/", host=host)
    assert resp.status == 403
    assert b"Preview Test" not in resp.body
    assert server.get(EVENTS_PATH, host=host).status == 403


def test_a_request_without_host_header_is_refused(reader) -> None:
    server = reader
    resp = server.raw(b"GET / HTTP/1.0\r\n\r\n")
    assert resp.status == 403


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_local_host_names_are_served(reader, host) -> None:
    server = reader
    assert server.get("/", host=f"{host}:{server.port}").status == 200


def test_host_rules_when_bound_to_all_interfaces() -> None:
    assert host_allowed("192.168.1.20:8000", "0.0.0.0")
    assert host_allowed("[fe80::1]:8000", "::")
    assert not host_allowed("evil.example:8000", "0.0.0.0")
    assert not host_allowed("192.168.1.20:8000", "127.0.0.1")


def test_binding_all_interfaces_warns(site, caplog, monkeypatch) -> None:
    from passivepress import serve as serve_module

    monkeypatch.setattr(
        serve_module.LivePreview, "start", lambda self: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    with caplog.at_level("WARNING", logger="passivepress"), pytest.raises(KeyboardInterrupt):
        serve_module.run(site, ServeOptions(host="0.0.0.0", port=0))
    assert "all network interfaces" in caplog.text


def test_open_shows_the_preview_in_a_browser(site, monkeypatch) -> None:
    import webbrowser

    from passivepress import serve as serve_module

    opened: list[str] = []

    def fake_open(url: str) -> bool:
        opened.append(url)
        assert urllib.request.urlopen(url, timeout=10).status == 200
        raise KeyboardInterrupt  # the author's Ctrl-C, to end run()

    monkeypatch.setattr(webbrowser, "open", fake_open)
    options = ServeOptions(port=0, now=NOW, jobs=1, watch_default_theme=False)
    with pytest.raises(KeyboardInterrupt):
        serve_module.run(site, options, open_browser=True)
    assert len(opened) == 1 and opened[0].startswith("http://127.0.0.1:")


# --- live reload ------------------------------------------------------------------------------


def test_an_open_page_is_told_to_reload_after_a_save_and_then_shows_the_new_text(
    site, serve
) -> None:
    server = serve(site)
    assert "The first version." in server.page_text("/essays/hello/")
    page_build = server.preview.snapshot.build_id
    events = EventStream(server.port)
    try:
        hello = events.next()
        assert hello["id"] == page_build  # nothing missed: no reload yet
        server.save(
            site / "content/essays/2024-03-01-hello.md",
            essay("Hello", body="The second version.", extra="tags: [Mentoring]\n"),
        )
        event = events.next()
        assert event["event"] == "build"
        assert event["id"] != page_build and event["previous"] == page_build
        assert event["ok"] is True
        assert "The second version." in server.page_text("/essays/hello/")
    finally:
        events.close()


def test_a_page_that_connects_after_missing_a_build_learns_it_at_once(site, serve) -> None:
    server = serve(site)
    old = server.preview.snapshot.build_id
    server.save(site / "content/essays/2024-04-01-second.md", essay("Second!", "2024-04-01"))
    events = EventStream(server.port)
    try:
        first = events.next()
        assert first["id"] != old  # the page's script compares and reloads
    finally:
        events.close()


def test_a_css_only_change_lets_pages_swap_stylesheets(site, serve) -> None:
    server = serve(site)
    events = EventStream(server.port)
    try:
        events.next()
        server.save(site / "static/css/site.css", "body { color: #654321 }\n")
        event = events.next()
        assert event["css"] is True
        assert server.get("/css/site.css").body == b"body { color: #654321 }\n"
        server.save(
            site / "content/essays/2024-04-01-second.md", essay("Second, again", "2024-04-01")
        )
        assert events.next()["css"] is False
    finally:
        events.close()


@pytest.mark.parametrize("save", SAVES.values(), ids=SAVES.keys())
def test_every_editor_save_gives_one_rebuild_and_the_new_text(site, serve, save) -> None:
    server = serve(site)
    path = site / "content/essays/2024-03-01-hello.md"
    before = server.preview.builds
    text = f"Saved by {save.__name__}."
    server.save(path, essay("Hello", body=text, extra="tags: [Mentoring]\n"), save)
    time.sleep(0.8)  # room for a second build, which must not come
    assert server.preview.builds == before + 1
    assert not server.preview.snapshot.problems
    assert text in server.page_text("/essays/hello/")


def test_editor_junk_files_never_become_pages(site, serve) -> None:
    server = serve(site)
    folder = site / "content/essays"
    for n, pattern in enumerate(JUNK_NAMES):
        name = pattern.format(name="2024-03-01-hello.md")
        (folder / name).write_text(essay(f"Junk {n}", body="junk"))
    server.save(folder / "2024-04-01-second.md", essay("Second", "2024-04-01", body="Real."))
    archive = server.page_text("/essays/")
    assert "Junk" not in archive
    sitemap = server.get("/sitemap.xml").text
    assert "junk" not in sitemap.lower() and "4913" not in sitemap


def test_adding_renaming_and_deleting_essays(site, serve) -> None:
    server = serve(site)
    folder = site / "content/essays"
    server.save(folder / "2024-05-05-new.md", essay("Brand new", "2024-05-05"))
    assert "Brand new" in server.page_text("/essays/new/")
    before = server.preview.builds
    (folder / "2024-05-05-new.md").rename(folder / "2024-05-05-renamed.md")
    assert server.preview.wait_for_builds(before + 1)
    assert server.get("/essays/new/").status == 404
    assert "Brand new" in server.page_text("/essays/renamed/")
    before = server.preview.builds
    (folder / "2024-05-05-renamed.md").unlink()
    assert server.preview.wait_for_builds(before + 1)
    assert server.get("/essays/renamed/").status == 404
    assert "Brand new" not in server.page_text("/essays/")


# --- errors -----------------------------------------------------------------------------------


def error_banner(resp: Response) -> str | None:
    for el in resp.html().iter():
        if el.get("id") == "passivepress-error":
            return " ".join("".join(el.itertext()).split())
    return None


def test_a_broken_save_shows_file_and_line_in_the_page_until_the_next_good_save(
    site, serve, caplog
) -> None:
    server = serve(site)
    path = site / "content/essays/2024-03-01-hello.md"
    with caplog.at_level("ERROR", logger="passivepress"):
        server.save(path, "---\ntitle: Hello\ndate: 2024-03-01\ntags: [unclosed\n---\nBody\n")
    banner = error_banner(server.get("/essays/hello/"))
    assert banner is not None
    # YAML notices the unclosed list on line 4 or where it gives up, on line 5
    assert re.search(r"content/essays/2024-03-01-hello\.md:[45]\b.*YAML", banner)
    assert re.search(r"content/essays/2024-03-01-hello\.md:[45]\b.*YAML", caplog.text)
    # the last good build is still served, under the banner, on every page
    assert "The first version." in server.page_text("/essays/hello/")
    assert error_banner(server.get("/no/such/page/")) is not None
    assert server.get("/css/site.css").status == 200

    server.save(path, essay("Hello", body="Fixed.", extra="tags: [Mentoring]\n"))
    resp = server.get("/essays/hello/")
    assert error_banner(resp) is None
    assert "Fixed." in visible_text(resp.html())


def test_a_template_error_is_shown_with_the_template_and_line(site, serve) -> None:
    server = serve(site)
    template = site / "templates/page.html"
    template.parent.mkdir(exist_ok=True)
    server.save(template, '{% extends "base.html" %}\n{% block content %}\n{{ page.nope(\n')
    banner = error_banner(server.get("/about/"))
    assert banner is not None and "templates/page.html" in banner
    server.save(template, '{% extends "!theme/page.html" %}\n')
    assert error_banner(server.get("/about/")) is None


def test_error_messages_are_escaped_in_the_page(site, serve) -> None:
    server = serve(site)
    path = site / "content/essays/2024-04-01-second.md"
    server.save(
        path, essay("Second", "2024-04-01", extra='books: ["<img src=x onerror=alert(1)>"]\n')
    )
    resp = server.get("/essays/second/")
    banner = error_banner(resp)
    assert banner is not None
    assert "unknown book" in banner and "<img src=x onerror=alert(1)>" in banner
    assert not [el for el in resp.html().iter("img") if el.get("src") == "x"]


def test_a_site_broken_from_the_start_shows_the_error_then_recovers(site, serve) -> None:
    path = site / "content/essays/2024-03-01-hello.md"
    path.write_text("---\ntitle: [\n---\n")
    server = serve(site)
    resp = server.get("/")
    assert resp.status == 500
    banner = error_banner(resp)
    assert banner is not None and "2024-03-01-hello.md" in banner
    assert SCRIPT_PATH in [s.get("src") for s in resp.html().iter("script")]
    server.save(path, essay("Hello", body="Now it works."))
    assert "Now it works." in server.page_text("/essays/hello/")


# --- incremental ------------------------------------------------------------------------------


def many_essays(count: int) -> dict[str, str]:
    files = dict(SITE)
    for i in range(count):
        day = f"2023-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}"
        tags = f"tags: [topic-{i % 7}, group-{i % 3}]\n"
        files[f"content/essays/{day}-essay-{i}.md"] = essay(
            f"Essay {i}", day, body=f"Text of essay {i}.", extra=tags
        )
    return files


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Iterator[Server]:
    server = start_server(write_site(tmp_path_factory.mktemp("big") / "site", many_essays(200)))
    yield server
    server.preview.stop()


def test_saving_one_essay_rerenders_it_and_its_dependents_only(big) -> None:
    recorder = big.recorder
    path = next(big.preview.site_dir.glob("content/essays/*-essay-17.md"))
    recorder.paths.clear()
    big.save(path, path.read_text().replace("Text of essay 17.", "Text of essay 17, edited."))
    rendered = set(recorder.paths)
    assert "/essays/essay-17/" in rendered
    # The page of each of its tags that lists it (the 27th of 29 and 61st of 66, newest first).
    assert {"/tags/topic-3/page/3/", "/tags/group-2/page/7/"} <= rendered
    assert any(p.startswith("/essays/page/") for p in rendered)  # its archive page
    other_essays = {
        p for p in rendered if p.startswith("/essays/essay-") and p != "/essays/essay-17/"
    }
    assert other_essays == set()
    allowed_prefixes = ("/essays/page/", "/tags/", "/feed", "/atom", "/sitemap")
    assert all(
        p in ("/", "/essays/", "/essays/essay-17/") or p.startswith(allowed_prefixes)
        for p in rendered
    ), rendered
    assert len(rendered) < 15
    assert "Text of essay 17, edited." in big.page_text("/essays/essay-17/")


def test_a_save_that_changes_nothing_renders_nothing(big) -> None:
    path = next(big.preview.site_dir.glob("content/essays/*-essay-42.md"))
    big.recorder.paths.clear()
    big.save(path, path.read_text())
    assert big.recorder.paths == []
    assert big.preview.last_result is not None and big.preview.last_result.rendered == 0


# --- requests and builds ----------------------------------------------------------------------


def test_a_build_waits_for_requests_and_requests_wait_for_a_build() -> None:
    gate = Gate()
    order: list[str] = []
    building = threading.Event()

    def build() -> None:
        with gate.building():
            building.set()
            time.sleep(0.2)
            order.append("build done")

    def request() -> None:
        building.wait()
        with gate.reading():
            order.append("request")

    threads = [threading.Thread(target=build), threading.Thread(target=request)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order == ["build done", "request"]


def test_many_requests_during_saves_all_succeed(site, serve) -> None:
    server = serve(site)
    path = site / "content/essays/2024-03-01-hello.md"
    failures: list[Any] = []
    stop = threading.Event()

    def fetch() -> None:
        while not stop.is_set():
            resp = server.get("/essays/hello/")
            if resp.status != 200 or b"</html>" not in resp.body:
                failures.append(resp.status)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for i in range(10):
            path.write_text(essay("Hello", body=f"Version {i}.", extra="tags: [Mentoring]\n"))
            time.sleep(0.05)
    finally:
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    deadline = time.monotonic() + 5  # the last save's build may still be running
    while "Version 9." not in server.page_text("/essays/hello/"):
        assert time.monotonic() < deadline, "the last save never showed"
        time.sleep(0.05)


# --- starting and stopping --------------------------------------------------------------------


@pytest.mark.parametrize("keep", [True, False])
def test_stop_leaves_no_thread_and_no_temporary_folder(site, keep: bool) -> None:
    before = set(threading.enumerate())
    options = ServeOptions(port=0, now=NOW, jobs=1, timing=Timing(), keep=keep)
    preview = LivePreview(site, options)
    preview.start()
    root = preview.snapshot.root
    events = EventStream(preview.port)  # an open live-reload connection
    keep_alive = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=5)
    keep_alive.request("GET", "/", headers={"Host": "localhost"})
    keep_alive.getresponse().read()  # an idle keep-alive connection
    preview.stop()
    events.close()
    keep_alive.close()
    assert root is not None
    kept = site / PREVIEW_DIR
    if keep:
        # The output and what the next run starts from stay, and the folder is free.
        assert root == kept / "site" and (root / "index.html").is_file()
        assert (kept / "state.pickle").is_file()
        folder = PreviewFolder.claim(site)
        assert folder is not None
        folder.release()
    else:
        assert not root.parent.exists() and not kept.exists()
    assert set(threading.enumerate()) <= before


def test_garbage_is_collected_after_a_build_not_during_it(site, monkeypatch) -> None:
    """The collector walking two models in mid-build made saves slow (issue 3): it is off
    from a build's start until shortly after, then collects and runs on its own again."""
    import gc

    from passivepress import serve as serve_module

    was = gc.isenabled()
    states: list[bool] = []
    real_build = serve_module.Builder.build

    def build(self, *args, **kwargs):
        states.append(gc.isenabled())
        return real_build(self, *args, **kwargs)

    monkeypatch.setattr(serve_module.Builder, "build", build)
    server = start_server(site)
    try:
        full = gc.get_stats()[2]["collections"]
        builds = server.preview.builds
        essay = site / "content/essays/2024-04-01-second.md"
        essay.write_text(essay.read_text() + "\nMore.\n")
        assert server.preview.wait_for_builds(builds + 1)
        deadline = time.monotonic() + serve_module.IDLE_COLLECT + 5
        while gc.get_stats()[2]["collections"] == full and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gc.get_stats()[2]["collections"] > full
        assert states and not any(states), "the collector was on during a build"
        deadline = time.monotonic() + 5
        while gc.isenabled() != was and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gc.isenabled() == was, "between builds the collector runs on its own"
    finally:
        server.preview.stop()
    assert gc.isenabled() == was


@pytest.mark.parametrize("flags", [[], ["--temporary"]])
def test_ctrl_c_stops_the_command_cleanly(site, tmp_path, flags: list[str]) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "passivepress", "serve", str(site), "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines = []
        while not any("Serving at" in line for line in lines):
            line = proc.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = next(line for line in lines if "Serving at" in line).split()[2]
        port = int(url.split(":")[2].split("/")[0])
        events = EventStream(port)
        events.next()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
        events.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Stopped." in err
    assert list(temp.iterdir()) == []
    # What the next run starts from is kept, unless the run was to be temporary.
    assert (site / PREVIEW_DIR / "state.pickle").is_file() == (flags == [])


def test_a_second_ctrl_c_while_stopping_ends_the_command(site) -> None:
    """Pressed twice, Ctrl-C interrupted the stopping itself: the server's threads went on
    and the process waited for them for ever. The second one now ends it at once."""
    # The command, with a stop that takes a while (as keeping a big site's state does).
    script = (
        "import sys, time\n"
        "from passivepress import cli, serve\n"
        "real = serve.LivePreview.stop\n"
        "serve.LivePreview.stop = lambda self: (time.sleep(1), real(self))\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "serve", str(site), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        text=True,
    )
    try:
        assert proc.stderr is not None
        while "Serving at" not in (line := proc.stderr.readline()):
            assert line, "the server ended before serving"
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            pytest.fail("the server did not end")
    # Ended by the second Ctrl-C (or, on a machine too slow to be stopping yet, by Python's
    # own end on a KeyboardInterrupt): not left waiting.
    assert proc.returncode in (128 + signal.SIGINT, -signal.SIGINT)


def test_a_port_in_use_is_a_clear_error(site) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "passivepress", "serve", str(site), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == 2
    assert "cannot listen on 127.0.0.1:" in proc.stderr
    assert "Traceback" not in proc.stderr
