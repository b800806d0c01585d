"""Live preview: build the site into .passivepress/preview/, serve it, rebuild on every save and
make open pages reload themselves (issue 3).

How the parts fit:

- :class:`LivePreview` owns one :class:`~passivepress.build.Builder` (which redoes only the
  work a change needs), a :class:`~passivepress.watch.Watcher` (one rebuild per burst of
  saves, never two at once) and the HTTP server.
- A :class:`Gate` makes requests wait while a build is in flight, so no request ever sees a
  half-swapped output folder, and a reload always shows the build it was told about.
- The live-reload script is added to HTML responses here, never written into the output.
  Pages hold a Server-Sent Events connection to :data:`EVENTS_PATH`; after each build the
  server sends the new build's id and the page reloads (or, when only CSS changed, swaps
  its stylesheets). A page that connects after missing a build sees a different id in the
  first event and reloads too.
- While the latest build failed, pages carry a banner with each problem (file, line,
  message); the next good build clears it.
- Requests are answered only for files inside the output folder (see :func:`locate`) and
  only for a Host header naming this machine (DNS rebinding).
"""

from __future__ import annotations

import dataclasses
import gc
import html
import ipaddress
import json
import logging
import mimetypes
import os
import re
import secrets
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from passivepress import config as config_module
from passivepress.build import Builder, BuildOptions, BuildResult
from passivepress.bundled import builtin_theme_dir
from passivepress.errors import ConfigError, PassivepressError, Problem
from passivepress.preview_folder import PreviewFolder
from passivepress.report import Reporter
from passivepress.urls import base_path_of
from passivepress.watch import Timing, Watcher, source_files

log = logging.getLogger(__name__)

EVENTS_PATH = "/__passivepress/events"
SCRIPT_PATH = "/__passivepress/live.js"
WILDCARDS = ("0.0.0.0", "::", "")
IDLE_COLLECT = 0.5  # seconds after a build before garbage is collected

# The page side of live reload. It reloads only for a build other than the one it shows;
# a CSS-only build directly after its own just swaps the stylesheets.
LIVE_JS = """\
(function () {
  "use strict";
  var me = document.currentScript;
  var current = me.getAttribute("data-build");
  if (!window.EventSource) return;
  var source = new EventSource(me.getAttribute("data-events"));
  function swapStyles(build) {
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
    Array.prototype.forEach.call(links, function (old) {
      var url = new URL(old.href, location.href);
      if (url.origin !== location.origin) return;
      url.searchParams.set("__passivepress", build);
      var fresh = old.cloneNode();
      fresh.href = url.href;
      fresh.onload = fresh.onerror = function () { old.remove(); };
      old.after(fresh);
    });
  }
  source.addEventListener("build", function (event) {
    var build = JSON.parse(event.data);
    if (build.id === current) return;
    if (build.css && build.previous === current) {
      current = build.id;
      swapStyles(build.id);
      return;
    }
    source.close();
    location.reload();
  });
})();
"""

# Extensions whose type the platform's tables may lack or get wrong for the web.
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".webmanifest": "application/manifest+json",
    ".ico": "image/x-icon",
    ".md": "text/plain; charset=utf-8",
}


def content_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in TYPES:
        return TYPES[ext]
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


# --- finding the file for a request path -------------------------------------------------


@dataclass(frozen=True)
class Found:
    """What a request path leads to: a file, a redirect, or nothing (``file`` and
    ``redirect`` both None)."""

    file: Path | None = None
    redirect: str | None = None


MISSING = Found()
# Encoded slash or backslash, NUL, or an encoded '%' (double encoding): no URL of a built
# site needs them, and each is a classic way to slip past a path check.
_SUSPECT_ENCODING = re.compile(r"%(2f|5c|00|25)", re.IGNORECASE)


def locate(target: str, root: Path, base_path: str = "/") -> Found:
    """The file in ``root`` that a request target names, refusing anything that could lead
    outside it (``..``, encoded or double-encoded tricks, absolute paths, backslashes,
    NUL, hidden files, symlinks pointing out)."""
    raw = target.split("#", 1)[0]
    raw, _, query = raw.partition("?")
    if not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return MISSING
    if _SUSPECT_ENCODING.search(raw):
        return MISSING
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return MISSING
    if "\x00" in path or "\\" in path or "//" in path:
        return MISSING
    if not path.startswith(base_path):
        if path == "/" or path + "/" == base_path:
            return Found(redirect=base_path)  # the site lives under its base path
        return MISSING
    rel = path[len(base_path) :]
    parts = [p for p in rel.split("/") if p]
    # '..', hidden files (the output marker) and drive letters; .well-known/ is a web standard
    if any((p.startswith(".") and p != ".well-known") or ":" in p for p in parts):
        return MISSING
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(real_root.joinpath(*parts)))
    if not real.is_relative_to(real_root):  # by whole components: never a sibling folder
        return MISSING
    if real.is_dir():
        if parts and not rel.endswith("/"):
            return Found(redirect=raw + "/" + (f"?{query}" if query else ""))
        index = Path(os.path.realpath(real / "index.html"))
        if index.is_relative_to(real_root) and index.is_file():
            return Found(file=index)
        return MISSING
    if real.is_file() and not rel.endswith("/"):
        return Found(file=real)
    return MISSING


# --- who may ask -------------------------------------------------------------------------

LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}


def host_name(header: str) -> str:
    """The host part of a Host header, lowercased, without port or IPv6 brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        return header.split(":", 1)[0]
    return header


def host_allowed(header: str | None, bound: str) -> bool:
    """Is this Host header one a browser uses for this server? A page on another site
    that points its own name at 127.0.0.1 (DNS rebinding) sends that name and is refused.
    Bound to all interfaces, any IP address is accepted too (no name means no rebinding)."""
    if not header:
        return False
    name = host_name(header)
    if name in LOCAL_NAMES or name.endswith(".localhost") or name == bound.lower():
        return True
    if bound in WILDCARDS:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
    return False


# --- requests wait for builds --------------------------------------------------------------


class Gate:
    """Many requests at a time, or one build; a build waits for the requests in progress and
    requests wait for the build. Requests that queued during one build go before the next
    build, so a stream of saves cannot starve readers, nor a stream of requests builds."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._waiting = 0
        self._closed = False  # a build has asked to start: new requests wait

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._closed)
            self._waiting -= 1
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def building(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: self._waiting == 0 and not self._closed)
            self._closed = True
            self._cond.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()


class Broadcast:
    """The latest build event, and a way for event streams to wait for the next one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seq = 0
        self._event: dict[str, Any] = {}
        self.closed = False

    def publish(self, event: dict[str, Any]) -> None:
        with self._cond:
            self._seq += 1
            self._event = event
            self._cond.notify_all()

    def latest(self) -> tuple[int, dict[str, Any]]:
        with self._cond:
            return self._seq, self._event

    def wait(self, seen: int, timeout: float) -> tuple[int, dict[str, Any]] | None:
        """The next event after ``seen``; None on timeout or when closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq != seen or self.closed, timeout)
            if self.closed or self._seq == seen:
                return None
            return self._seq, self._event

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


# --- the preview --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = True  # the author wants to see what they are writing
    future: bool = True
    timing: Timing = dataclasses.field(default_factory=Timing)
    now: datetime | None = None  # pinned by tests
    jobs: int | None = None
    # Also watch the built-in theme: edits to passivepress's own theme show at once.
    watch_default_theme: bool = True
    # Build in .passivepress/preview/ and keep what the next run starts from there (see
    # passivepress.preview_folder); False: a temporary folder, removed at the end.
    keep: bool = True


@dataclass
class Snapshot:
    """What requests are answered from: the last good build and the last build's error."""

    build_id: str = ""
    root: Path | None = None  # None until a build has succeeded
    base_path: str = "/"
    problems: tuple[Problem, ...] = ()


class _QuietReporter(Reporter):
    """Passes build events on, but tells each warning once rather than on every save."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner
        self.told: set[str] = set()
        self.now: set[str] = set()

    def step(self, name: str, seconds: float) -> None:
        self.inner.step(name, seconds)

    def warning(self, problem: Problem) -> None:
        text = str(problem)
        self.now.add(text)
        if text not in self.told:
            self.inner.warning(problem)

    def progress(self, done: int, total: int, doing: str = "rendering") -> None:
        self.inner.progress(done, total, doing)

    def rendered(self, path: str) -> None:
        self.inner.rendered(path)

    def build_done(self) -> None:
        self.told, self.now = self.now, set()


class LivePreview:
    """``passivepress serve``: start(), then stop() (or use it as a context manager)."""

    def __init__(
        self, site_dir: Path, options: ServeOptions | None = None, reporter: Reporter | None = None
    ) -> None:
        self.site_dir = site_dir.resolve()
        self.options = options or ServeOptions()
        self.reporter = _QuietReporter(reporter or Reporter())
        self.gate = Gate()
        self.broadcast = Broadcast()
        self.snapshot = Snapshot()
        self.builds = 0  # completed builds, good or bad (tests count them)
        self.last_result: BuildResult | None = None
        self._builds_cond = threading.Condition()
        self._build_lock = threading.Lock()
        self._build_wanted = threading.Event()  # set while a build waits for the lock
        self._instance = secrets.token_hex(4)  # a restarted server never repeats a build id
        self._folder: PreviewFolder | None = None
        self._tmp: Path | None = None  # without a folder of its own (see start)
        self._builder: Builder | None = None
        self._builder_base = ""
        self._config_seen: bytes | None = None  # passivepress.yml when it gave _builder_base
        self._server: PreviewServer | None = None
        self._server_thread: threading.Thread | None = None
        self._watcher: Watcher | None = None
        self._collector: threading.Timer | None = None
        self._gc_was_enabled = False
        self.host = self.options.host
        self.port = self.options.port

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Bind, build once, serve and watch. Raises OSError when the port is taken."""
        self._folder = PreviewFolder.claim(self.site_dir) if self.options.keep else None
        if self._folder is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="passivepress-preview-"))
        # The preview holds two models (the last build's and the next); the cycle collector
        # walking them in mid-build or mid-request took a sixth of a save's time at 1,000
        # essays. It pauses from each build's start until the page has reloaded.
        self._gc_was_enabled = gc.isenabled()
        try:
            self._server = PreviewServer((self.options.host, self.options.port), self)
            self.port = self._server.server_address[1]
            extra = [builtin_theme_dir()] if self.options.watch_default_theme else []
            # The first build runs while this is the only thread, so that it may share its
            # work with forked copies of itself (the watcher's threads would forbid that):
            # what changed meanwhile is found by comparing the files before and after.
            before = source_files(self.site_dir, extra)
            self.rebuild(frozenset(), first=True)
            self._watcher = Watcher(self.site_dir, self.rebuild, self.options.timing, extra)
            self._watcher.start()
            after = source_files(self.site_dir, extra)
            missed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
            if missed:
                self._watcher.notify(missed)
            self._server_thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name="passivepress-http",
            )
            self._server_thread.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop watching and serving; keep what the next run starts from, or remove the
        temporary output. Safe to call twice."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        if self._collector is not None:
            self._collector.cancel()
            self._collector.join()
            self._collector = None
        if self._folder is not None:
            with self._build_lock:
                self._keep_for_next_run()
            self._folder.release()
            self._folder = None
        if self._gc_was_enabled:
            gc.enable()
            self._gc_was_enabled = False
        self.broadcast.close()  # ends every event stream
        server, self._server = self._server, None
        if server is not None:
            if self._server_thread is not None:
                server.shutdown()
                self._server_thread.join()
                self._server_thread = None
            server.close_connections()
            server.server_close()  # waits for the request threads
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> LivePreview:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The address of the site's home page."""
        return f"http://{self._url_host()}:{self.port}{self.snapshot.base_path}"

    def _url_host(self) -> str:
        host = self.host
        if host in WILDCARDS:
            return "localhost"
        return f"[{host}]" if ":" in host else host

    def wait_for_builds(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` builds have completed (for tests and benchmarks)."""
        with self._builds_cond:
            return self._builds_cond.wait_for(lambda: self.builds >= count, timeout)

    # -- building ------------------------------------------------------------------------

    def rebuild(self, changed: frozenset[str], first: bool = False) -> None:
        """Build once (never two at a time); publish the outcome to pages and terminal."""
        self._build_wanted.set()  # work done while nothing waits stops for this build
        with self._build_lock:
            self._build_wanted.clear()
            if self._gc_was_enabled:
                gc.disable()  # until _collect_later
            started = time.perf_counter()
            problems: tuple[Problem, ...] = ()
            result: BuildResult | None = None
            with self.gate.building():
                try:
                    builder = self._current_builder()
                    result = builder.build(changed=None if first else self._names(changed))
                except PassivepressError as exc:
                    problems = tuple(exc.problems)
                except Exception as exc:  # a bug: show it, keep serving the last good build
                    log.exception("the build failed unexpectedly")
                    problems = (Problem(f"internal error: {type(exc).__name__}: {exc}"),)
                self._publish(changed, result, problems)
            self.reporter.build_done()
            self._tell(changed, result, problems, time.perf_counter() - started, first)
            self._collect_later()

    def _collect_later(self) -> None:
        """Collect garbage once the page has had time to reload, and let the collector run
        on its own again until the next build (unless a build is on: it calls this too)."""
        if self._collector is not None:
            self._collector.cancel()

        def collect() -> None:
            if self._build_lock.acquire(blocking=False):
                try:
                    # While nothing is asked of it: what quick builds of the next saves
                    # start from (at 10,000 essays about a second, which the first save
                    # after a full build would otherwise wait for).
                    builder = self._builder
                    if builder is not None and builder.resident is not None:
                        try:
                            builder.resident.ready()
                        except Exception:  # the next save then takes the full way
                            log.debug("no model for quick builds", exc_info=True)
                    self._keep_for_next_run(stop=self._build_wanted.is_set)
                    gc.collect()
                    if self._gc_was_enabled:
                        gc.enable()
                finally:
                    self._build_lock.release()

        self._collector = threading.Timer(IDLE_COLLECT, collect)
        self._collector.name = "passivepress-gc"
        self._collector.daemon = True
        self._collector.start()

    def _output(self) -> Path:
        if self._folder is not None:
            return self._folder.output
        assert self._tmp is not None
        return self._tmp / "site"

    def _keep_for_next_run(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Keep the last full build in the preview's folder (with the build lock held),
        unless ``stop`` says a save is waiting (then after its build)."""
        if self._builder is None:
            return
        try:
            self._builder.keep_for_next_run(stop)
        except Exception:  # the next run then builds everything again
            log.debug("could not keep the preview's state", exc_info=True)

    def _names(self, changed: frozenset[str]) -> list[str] | None:
        """The changed files by their path from the site folder (None if one lies outside
        it, as the built-in theme's do: the builder then takes the full way)."""
        names = []
        for path in changed:
            try:
                names.append(Path(path).relative_to(self.site_dir).as_posix())
            except ValueError:
                return None
        return names

    def _current_builder(self) -> Builder:
        """The builder, made anew only when the site's base path changes (the local
        address must keep the same path as the published site, so links work)."""
        # Parsed again only when its bytes changed: most saves are of content files.
        try:
            settings = (self.site_dir / config_module.CONFIG_FILE).read_bytes()
        except OSError:
            settings = None
        if settings is not None and settings == self._config_seen:
            base_path = self._builder_base
        else:
            try:
                base_path = base_path_of(config_module.load(self.site_dir).config.base_url)
                self._config_seen = settings
            except PassivepressError:
                base_path = self._builder_base or "/"  # the build itself will report it
        if self._builder is None or base_path != self._builder_base:
            local = f"http://{self._url_host()}:{self.port}{base_path}"
            options = BuildOptions(
                output=self._output(),
                drafts=self.options.drafts,
                future=self.options.future,
                base_url=local,
                preview=True,
                now=self.options.now,
                jobs=self.options.jobs,
            )
            self._builder = Builder(self.site_dir, options, self.reporter, kept=self._folder)
            self._builder_base = base_path
        return self._builder

    def _publish(
        self, changed: frozenset[str], result: BuildResult | None, problems: tuple[Problem, ...]
    ) -> None:
        old = self.snapshot
        build_id = f"{self._instance}-{self.builds + 1}"
        css_only = (
            result is not None
            and not old.problems
            and old.root is not None
            and result.rendered == 0
            and bool(changed)
            and all(p.endswith(".css") for p in changed)
        )
        self.snapshot = Snapshot(
            build_id=build_id,
            root=result.output if result is not None else old.root,
            base_path=self._builder_base or "/",
            problems=problems,
        )
        if result is not None:
            self.last_result = result
        with self._builds_cond:
            self.builds += 1
            self._builds_cond.notify_all()
        self.broadcast.publish(
            {"id": build_id, "previous": old.build_id, "css": css_only, "ok": not problems}
        )

    def _tell(
        self,
        changed: frozenset[str],
        result: BuildResult | None,
        problems: tuple[Problem, ...],
        seconds: float,
        first: bool,
    ) -> None:
        if problems:
            for problem in problems:
                log.error("error: %s", problem)
            log.error(
                "The preview shows the last good build with this error on top; "
                "save a fix and it reloads."
            )
            return
        assert result is not None
        if first:
            log.info(
                "Built %d pages and %d feeds in %.2f s.", result.pages, result.feeds, result.seconds
            )
            return
        what = ", ".join(sorted(_shown(p, self.site_dir) for p in changed)[:3])
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        log.info(
            "Rebuilt in %.0f ms after changes to %s%s: %d outputs rendered, the rest unchanged%s",
            seconds * 1000,
            what or "the site",
            more,
            result.rendered,
            " (the quick way)" if result.quick else "",
        )

    # -- what requests see ---------------------------------------------------------------

    def overlay(self, snapshot: Snapshot) -> bytes:
        """What is added at the end of an HTML page: the live-reload script, and the error
        banner while the latest build failed."""
        script = (
            f'<script src="{SCRIPT_PATH}" data-build="{html.escape(snapshot.build_id)}" '
            f'data-events="{EVENTS_PATH}"></script>\n'
        )
        return (error_banner(snapshot.problems) + script).encode("utf-8")


def _shown(path: str, site_dir: Path) -> str:
    try:
        return Path(path).relative_to(site_dir).as_posix()
    except ValueError:
        return path


def error_banner(problems: tuple[Problem, ...]) -> str:
    """The build's problems as a banner over the page; every value is escaped."""
    if not problems:
        return ""
    items = []
    for p in problems:
        where = html.escape(p.location()) if p.path is not None else ""
        hint = f'<br><span style="opacity:.8">hint: {html.escape(p.hint)}</span>' if p.hint else ""
        place = (
            f'<code style="font:inherit;font-weight:600" data-passivepress-location>{where}'
            "</code>: "
            if where
            else ""
        )
        items.append(
            f'<li style="margin:.4em 0">{place}'
            f"<span data-passivepress-message>{html.escape(p.message)}</span>{hint}</li>"
        )
    return (
        '<div id="passivepress-error" role="alert" style="position:fixed;top:0;left:0;'
        "right:0;z-index:2147483647;max-height:70vh;overflow:auto;margin:0;"
        "padding:1em 1.5em;background:#fff1f0;color:#5c0b0b;border-bottom:4px solid #c62828;"
        'font:16px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;text-align:left">'
        '<strong style="font-family:system-ui,sans-serif">passivepress could not build '
        "the site.</strong> "
        '<span style="font-family:system-ui,sans-serif">This page is the last good build; '
        "save a fix and it reloads.</span>"
        f'<ul style="margin:.5em 0 0;padding-left:1.2em">{"".join(items)}</ul></div>\n'
    )


def inject(page: bytes, snippet: bytes) -> bytes:
    """Put ``snippet`` just before ``</body>`` (or at the end)."""
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + snippet
    return page[:at] + snippet + page[at:]


NO_BUILD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Build failed — passivepress</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;margin:0"><main style="padding:8em 1.5em 2em">
<p>The site has not been built yet. Fix the problem above and save; this page reloads.</p>
</main></body></html>
"""

PLAIN_404 = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><h1>Not found</h1><p>Nothing is at this address.</p></body></html>
"""


# --- HTTP ---------------------------------------------------------------------------------


class PreviewServer(ThreadingHTTPServer):
    """A threading HTTP server that can end its open connections when asked to stop."""

    daemon_threads = False  # stop() waits for every request thread: none is left behind
    block_on_close = True
    # wrk and browsers open many connections at once; the default backlog of 5 makes the
    # kernel drop SYNs and clients stall for a second before retrying.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], preview: LivePreview) -> None:
        self.preview = preview
        self.address_family = _family(address[0])
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._closing = False
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            # '::' should take IPv4 too, as '0.0.0.0' would.
            with suppress(AttributeError, OSError):
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def track(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.add(conn)
            closing = self._closing
        if closing:
            _hang_up(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.discard(conn)

    def close_connections(self) -> None:
        """Wake request threads waiting on idle keep-alive connections, so they end."""
        with self._conn_lock:
            self._closing = True
            conns = list(self._connections)
        for conn in conns:
            _hang_up(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("error while serving %s", client_address, exc_info=True)


def _hang_up(conn: socket.socket) -> None:
    with suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


def _family(host: str) -> socket.AddressFamily:
    if host in ("localhost", "", "0.0.0.0"):
        return socket.AF_INET  # 'localhost' may resolve to ::1 first; browsers try both
    try:
        infos = socket.getaddrinfo(host or None, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return socket.AF_INET
    return infos[0][0] if infos else socket.AF_INET


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: browsers and wrk reuse connections
    server_version = "passivepress"
    timeout = 60  # an idle keep-alive connection is let go after this
    server: PreviewServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and the
        # client's delayed ACK hold the body back for up to 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    # -- answering -----------------------------------------------------------------------

    def _answer(self, head: bool) -> None:
        preview = self.server.preview
        if not host_allowed(self.headers.get("Host"), preview.host):
            self._send(HTTPStatus.FORBIDDEN, b"Forbidden: unknown Host header.\n", "text/plain")
            return
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            self._events(head)
            return
        if path == SCRIPT_PATH:
            self._send(HTTPStatus.OK, LIVE_JS.encode(), TYPES[".js"], head=head)
            return
        with preview.gate.reading():
            snap = preview.snapshot
            status, body, ctype, location = self._lookup(snap)
        if location is not None:
            self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", location=location)
            return
        if ctype.startswith("text/html"):
            body = inject(body, preview.overlay(snap))
        self._send(status, body, ctype, head=head)

    def _lookup(self, snap: Snapshot) -> tuple[HTTPStatus, bytes, str, str | None]:
        """Status, body, type and redirect for this request, read while no build runs."""
        if snap.root is None:
            return HTTPStatus.INTERNAL_SERVER_ERROR, NO_BUILD_PAGE.encode(), TYPES[".html"], None
        found = locate(self.path, snap.root, snap.base_path)
        if found.redirect is not None:
            return HTTPStatus.MOVED_PERMANENTLY, b"", "", found.redirect
        if found.file is not None:
            try:
                return HTTPStatus.OK, found.file.read_bytes(), content_type(found.file.name), None
            except OSError:
                pass
        try:
            body = (snap.root / "404.html").read_bytes()
        except OSError:
            body = PLAIN_404.encode()
        return HTTPStatus.NOT_FOUND, body, TYPES[".html"], None

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        ctype: str,
        head: bool = False,
        location: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, head: bool) -> None:
        """A Server-Sent Events stream: the current build at once, then every new one."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        broadcast = self.server.preview.broadcast
        seen, event = broadcast.latest()
        try:
            self.wfile.write(b"retry: 500\n\n" + _sse(event))
            while True:
                got = broadcast.wait(seen, timeout=15)
                if broadcast.closed:
                    return
                if got is None:
                    self.wfile.write(b": still here\n\n")  # finds clients that have gone
                    continue
                seen, event = got
                self.wfile.write(_sse(event))
        except OSError:  # the page went away
            return


def _sse(event: dict[str, Any]) -> bytes:
    return f"event: build\ndata: {json.dumps(event)}\n\n".encode()


# --- the command ----------------------------------------------------------------------------


def run(
    site_dir: Path,
    options: ServeOptions,
    reporter: Reporter | None = None,
    open_browser: bool = False,
) -> None:
    """Serve until Ctrl-C (KeyboardInterrupt) or SIGTERM, then stop cleanly."""
    if not (site_dir / config_module.CONFIG_FILE).is_file():
        config_module.load(site_dir)  # raises the usual "no passivepress.yml" error
    # SIGTERM (systemd, docker stop, an IDE's stop button) ends it as cleanly as Ctrl-C.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    if options.host in WILDCARDS:
        log.warning(
            "warning: listening on all network interfaces (%s): anyone on your network can "
            "see your drafts. Use --host 127.0.0.1 to keep the preview on this computer.",
            options.host or "0.0.0.0",
        )
    preview = LivePreview(site_dir, options, reporter)
    try:
        try:
            preview.start()
        except OSError as exc:
            raise ConfigError(
                Problem(
                    f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}",
                    hint="another program (another passivepress serve?) may use this port; "
                    "try --port 8001",
                )
            ) from None
        pairs = (("drafts", options.drafts), ("future essays", options.future))
        shown = [name for name, on in pairs if on]
        log.info(
            "Serving at %s%s. Press Ctrl-C to stop.",
            preview.url,
            f" ({' and '.join(shown)} shown)" if shown else "",
        )
        if open_browser:
            import webbrowser

            webbrowser.open(preview.url)
        while True:
            time.sleep(3600)  # Ctrl-C raises KeyboardInterrupt here, on every platform
    finally:
        # A second Ctrl-C (or SIGTERM) while stopping ends the process at once: raised in
        # the middle of stop(), it left the server's threads running and the process
        # waiting for them for ever. What the preview keeps survives that (see
        # passivepress.preview_folder).
        if main:
            before_int = signal.signal(signal.SIGINT, _exit_now)
            signal.signal(signal.SIGTERM, _exit_now)
        try:
            preview.stop()
        finally:
            if main:
                signal.signal(signal.SIGINT, before_int)
                signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _exit_now(signum: int, frame: object) -> None:
    os._exit(128 + signum)
