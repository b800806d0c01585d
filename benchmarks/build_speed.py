"""Build speed of passivepress at scale, optionally side by side with Hugo and Pelican (issue 6).

    python benchmarks/build_speed.py --essays 1000
    python benchmarks/build_speed.py --essays 1000 --essays 10000 --runs 3 --compare
    python benchmarks/build_speed.py --essays 1000 --compare --json results.json --keep

For each size it generates the corpus once (``corpus.py``, fixed seed, so every run and every
machine builds the same texts) and times, each as a separate process, from its start to its end:

- cold: no cache (``--clean``, no ``.passivepress/``) into a fresh, empty output folder;
- warm: cache present and nothing changed (one untimed build fills the cache first);
- one edit: a sentence appended to one essay's body, then a build (cache present): an essay
  from the middle of the archive, then (``edit_new``) the newest one, which every feed shows.

Wall time comes from ``time.perf_counter`` around the subprocess; peak memory from
``/usr/bin/time -v`` ("Maximum resident set size": the largest single process of the build)
and from sampling the whole process tree's PSS every 0.1 s (worker processes included, shared
pages counted once).

With ``--compare`` the same corpus is converted into a Hugo site (Debian's ``hugo``, 0.111) and
a Pelican site (Pelican installed into its own venv in the work folder) and both are timed the
same way, their cold runs interleaved with passivepress's so that the machine's noise falls on
all three alike. See benchmarks/README.md for how to read the table.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from corpus import generate  # noqa: E402

TIME = "/usr/bin/time"
SYSTEMS = ("passivepress", "hugo", "pelican")
MODES = ("cold", "warm", "edit", "edit_new")
BOOK_ROLE = re.compile(r"\{book\}`([^`]+)`")


class BenchError(Exception):
    """Something the person running the benchmark must fix; printed without a traceback."""


# ---------------------------------------------------------------------------------------------
# Measuring one process


@dataclass
class Sample:
    wall_s: float
    max_rss_kib: int  # largest single process, from /usr/bin/time -v
    pss_peak_kib: int | None  # whole process tree, sampled


class TreeMemory(threading.Thread):
    """Samples the summed PSS of every process below ``root`` (not ``root`` itself)."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self.ok = True
        self._halt = threading.Event()

    @staticmethod
    def _children(pid: int) -> list[int]:
        kids: list[int] = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids.extend(int(k) for k in f.read().split())
        except OSError:
            pass
        return kids

    @staticmethod
    def _pss_kib(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    def sample(self) -> None:
        total, stack = 0, self._children(self.root)
        while stack:
            pid = stack.pop()
            total += self._pss_kib(pid)
            stack.extend(self._children(pid))
        self.peak_kib = max(self.peak_kib, total)

    def run(self) -> None:
        if not os.path.exists(f"/proc/{self.root}/task/{self.root}/children"):
            self.ok = False
            return
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> int | None:
        self._halt.set()
        self.join()
        return self.peak_kib if self.ok and self.peak_kib else None


def _kill_tree(proc: subprocess.Popen) -> None:
    """End the process group the command runs in (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=30)


def run_timed(
    cmd: list[str],
    *,
    cwd: Path,
    log: Path,
    timeout: float,
    env: dict[str, str] | None = None,
) -> Sample:
    """Run ``cmd`` under /usr/bin/time -v; its output goes to ``log``. Fails on a non-zero exit."""
    timefile = log.with_suffix(".time")
    full = [TIME, "-v", "-o", str(timefile), *cmd]
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            full, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        memory = TreeMemory(proc.pid)
        memory.start()
        # A blocking wait, its timeout kept by a timer: Popen.wait(timeout) polls, sleeping
        # up to 50 ms between looks, which added as much to a run of a tenth of a second.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _kill_tree(proc)

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            rc = proc.wait()
            wall = time.perf_counter() - start
            if expired.is_set():
                raise BenchError(f"timed out after {timeout:.0f} s: {shlex.join(cmd)}")
        except BaseException:  # Ctrl-C, SIGTERM: leave nothing running
            _kill_tree(proc)
            raise
        finally:
            timer.cancel()
            pss = memory.stop()
            # Pool workers that outlived their parent would be ended here too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    if rc != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise BenchError(f"exit status {rc}: {shlex.join(cmd)}\n--- its output (end) ---\n{tail}")
    report = timefile.read_text(errors="replace")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if not match:
        raise BenchError(f"no 'Maximum resident set size' in /usr/bin/time's report:\n{report}")
    return Sample(wall_s=wall, max_rss_kib=int(match.group(1)), pss_peak_kib=pss)


def count_html(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


# ---------------------------------------------------------------------------------------------
# Reading the corpus (for the conversions)


@dataclass
class Doc:
    path: Path
    meta: dict
    front: str  # the front matter's text, as written
    body: str


def read_doc(path: Path) -> Doc:
    import yaml  # passivepress depends on PyYAML, so its environment has it

    text = path.read_text()
    _, front, body = text.split("---\n", 2)
    return Doc(path, yaml.safe_load(front) or {}, front, body)


def book_titles(site: Path) -> dict[str, str]:
    return {p.stem: read_doc(p).meta["title"] for p in (site / "content" / "books").glob("*.md")}


def plain_links(body: str, titles: dict[str, str]) -> str:
    """{book}`slug` (passivepress's role) → an ordinary Markdown link to the book's page."""
    return BOOK_ROLE.sub(
        lambda m: f"[{titles.get(m.group(1), m.group(1))}](/books/{m.group(1)}/)", body
    )


def essay_files(site: Path) -> list[Path]:
    return sorted((site / "content" / "essays").glob("*.md"))


def edit_marker(run: int) -> str:
    return f"Benchmark edit number {run + 1} adds this sentence to the essay."


def append_sentence(path: Path, run: int) -> None:
    """Append a sentence as a paragraph of its own at the end of the body (after the
    footnote definition, which a plain line would otherwise continue)."""
    text = path.read_text().rstrip("\n")
    path.write_text(f"{text}\n\n{edit_marker(run)}\n")


# ---------------------------------------------------------------------------------------------
# The three systems


class System:
    name = ""
    outputs_html = True

    def __init__(self, size_dir: Path, corpus: Path, args: argparse.Namespace) -> None:
        self.dir = size_dir / self.name
        self.corpus = corpus
        self.args = args
        self.logs = size_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pages: int | None = None
        self.runs = args.runs
        self.notes: list[str] = []

    # Subclasses: prepare(), cold_command(out), cache_command(out), reset_cold(), essay_source(i)
    def timed(self, cmd: list[str], label: str, env: dict[str, str] | None = None) -> Sample:
        return run_timed(
            cmd,
            cwd=self.dir,
            log=self.logs / f"{self.name}-{label}.log",
            timeout=self.args.timeout,
            env=env,
        )

    def cold(self, run: int) -> Sample:
        out = self.dir.parent / f"{self.name}-cold-out"
        rmtree(out)
        self.reset_cold()
        sample = self.timed(self.cold_command(out), f"cold-{run}")
        if self.pages is None:
            self.pages = count_html(out)
            if not self.pages:
                raise BenchError(f"{self.name} wrote no HTML page into {out}")
        rmtree(out)
        return sample

    @property
    def warm_out(self) -> Path:
        return self.dir.parent / f"{self.name}-out"

    def prime(self) -> Sample:
        """The untimed build that fills the cache (and the output) for warm and edit runs."""
        rmtree(self.warm_out)
        self.reset_cold()
        return self.timed(self.cache_command(self.warm_out), "prime")

    def warm(self, run: int) -> Sample:
        return self.timed(self.cache_command(self.warm_out), f"warm-{run}")

    def edited_essay(self, run: int) -> tuple[Path, str]:
        files = essay_files(self.corpus)
        source = files[(len(files) // 2 + run) % len(files)]
        slug = read_doc(source).meta["slug"]
        return self.essay_source(source, slug), slug

    def newest_essay(self) -> tuple[Path, str]:
        """The essay an author most often goes back to: the one just published."""
        newest = essay_files(self.corpus)[-1]  # named by date, the index breaking ties
        slug = read_doc(newest).meta["slug"]
        return self.essay_source(newest, slug), slug

    def edit(self, run: int, newest: bool = False) -> Sample:
        path, slug = self.newest_essay() if newest else self.edited_essay(run)
        append_sentence(path, run)
        label = f"edit-new-{run}" if newest else f"edit-{run}"
        sample = self.timed(self.cache_command(self.warm_out), label)
        page = self.warm_out / "essays" / slug / "index.html"
        if not page.exists() or edit_marker(run) not in page.read_text(errors="replace"):
            raise BenchError(
                f"{self.name}: after editing {path.name}, {page} lacks the new "
                "sentence: the build did not redo the edited essay"
            )
        return sample

    def essay_source(self, corpus_file: Path, slug: str) -> Path:
        raise NotImplementedError

    def reset_cold(self) -> None:
        raise NotImplementedError

    def cold_command(self, out: Path) -> list[str]:
        raise NotImplementedError

    def cache_command(self, out: Path) -> list[str]:
        raise NotImplementedError


class Passivepress(System):
    name = "passivepress"

    def prepare(self) -> None:
        # The corpus is the site: no conversion.
        self.dir = self.corpus

    def timed(self, cmd: list[str], label: str, env: dict[str, str] | None = None) -> Sample:
        return super().timed(cmd, label, env or self.args.passivepress_env)

    def base(self, out: Path) -> list[str]:
        return [
            self.args.python,
            "-m",
            "passivepress",
            "build",
            str(self.corpus),
            "-q",
            "--output",
            str(out),
        ]

    def reset_cold(self) -> None:
        rmtree(self.corpus / ".passivepress")

    def cold_command(self, out: Path) -> list[str]:
        return [*self.base(out), "--clean"]

    def cache_command(self, out: Path) -> list[str]:
        return self.base(out)

    def essay_source(self, corpus_file: Path, slug: str) -> Path:
        return corpus_file


HUGO_CONFIG = """\
baseURL = "https://example.com/"
languageCode = "en"
title = "Benchmark Mentor"
theme = "bench"
paginate = 10
enableRobotsTXT = true
disableKinds = []

[params]
description = "A long-running author's site."

[taxonomies]
tag = "tags"

[permalinks]
essays = "/essays/:slug/"
books = "/books/:filename/"

[outputs]
home = ["HTML", "RSS"]
section = ["HTML", "RSS"]
taxonomy = ["HTML", "RSS"]
term = ["HTML", "RSS"]

[services.rss]
limit = 20

[related]
threshold = 80
includeNewer = true
toLower = false
[[related.indices]]
name = "tags"
weight = 100

[[menu.main]]
name = "Essays"
url = "/essays/"
weight = 1
[[menu.main]]
name = "Books"
url = "/books/"
weight = 2
[[menu.main]]
name = "About"
url = "/about/"
weight = 3
[[menu.main]]
name = "Contact"
url = "/contact/"
weight = 4
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} — {{ site.Title }}{{ end }}</title>
<meta name="description" content="{{ with .Params.summary }}{{ . }}{{ else }}
{{- site.Params.description }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
{{ range .AlternativeOutputFormats -}}
<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .Permalink }}">
{{ end -}}
<meta property="og:title" content="{{ .Title }}">
<meta property="og:url" content="{{ .Permalink }}">
</head>
<body>
<header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav><ul>{{ range site.Menus.main }}
<li><a href="{{ .URL }}">{{ .Name }}</a></li>{{ end }}
</ul></nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
<footer><p>© Ada Mentor · <a href="/contact/">Get in touch</a></p></footer>
</body>
</html>
""",
    "partials/item.html": """\
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ with .Params.summary }}<p>{{ . }}</p>{{ end }}</li>
""",
    "_default/single.html": """\
{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
{{ with .Params.summary }}<p class="lede">{{ . }}</p>{{ end }}
{{ if eq .Section "essays" -}}
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
· {{ .ReadingTime }} min read</p>
<nav class="toc">{{ .TableOfContents }}</nav>
{{- end }}
{{ with .GetTerms "tags" }}<ul class="tags">{{ range . }}
<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
</ul>{{ end }}
{{ .Content }}
{{ with .Params.books }}<section><h2>Books mentioned</h2><ul>
{{- range . }}{{ with site.GetPage (printf "/books/%s" .) }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}{{ end }}
</ul></section>{{ end }}
{{ if eq .Section "books" }}{{ $slug := .File.ContentBaseName -}}
{{ $essays := where site.RegularPages "Section" "essays" -}}
{{ with where $essays "Params.books" "intersect" (slice $slug) }}
<section><h2>Mentioned in</h2><ul>{{ range . }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul></section>{{ end }}{{ end }}
RELATED
</article>{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Paginator.Pages }}{{ partial "item.html" . }}{{ end }}</ul>
<nav>{{ with .Paginator.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }}
{{ with .Paginator.Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav>
{{ end }}
""",
    "_default/taxonomy.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}
</ul>
{{ end }}
""",
    "_default/term.html": """\
{{ define "main" }}<h1>Essays tagged {{ .Title }}</h1>
<ul>{{ range .Pages }}{{ partial "item.html" . }}{{ end }}</ul>
{{ end }}
""",
    "index.html": """\
{{ define "main" }}<h1>{{ site.Title }}</h1>
<ul>{{ range first 10 (where site.RegularPages "Section" "essays") -}}
{{ partial "item.html" . }}{{ end }}</ul>
{{ end }}
""",
    "_default/rss.xml": """\
{{- $pages := where .RegularPages "Section" "essays" -}}
{{- if .IsHome }}{{ $pages = where site.RegularPages "Section" "essays" }}{{ end -}}
{{- $limit := site.Config.Services.RSS.Limit -}}
{{- if ge $limit 1 }}{{ $pages = $pages | first $limit }}{{ end -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} — {{ site.Title }}{{ end }}</title>
<link>{{ .Permalink }}</link>
<description>{{ site.Params.description }}</description>
{{ with .OutputFormats.Get "RSS" -}}
{{ printf "<atom:link href=%q rel=\\"self\\" type=%q />" .Permalink .MediaType | safeHTML }}
{{- end }}
{{ range $pages }}<item>
<title>{{ .Title }}</title>
<link>{{ .Permalink }}</link>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<guid>{{ .Permalink }}</guid>
<description>{{ .Content | html }}</description>
</item>
{{ end }}</channel>
</rss>
""",
}


HUGO_RELATED = """\
{{ if eq .Section "essays" }}{{ with site.RegularPages.Related . | first 5 }}
<nav><h2>Related essays</h2><ul>{{ range . }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul></nav>{{ end }}{{ end }}"""


class Hugo(System):
    name = "hugo"

    def prepare(self) -> None:
        exe = shutil.which("hugo")
        if not exe:
            raise BenchError(
                "--compare needs Hugo: install Debian's with `apt-get install -y hugo`"
                " (0.111), or put a `hugo` binary on PATH"
            )
        self.exe = exe
        self.version = subprocess.run(
            [exe, "version"], capture_output=True, text=True
        ).stdout.strip()
        if "v0.111" not in self.version:
            self.notes.append(f"Hugo is not 0.111 but {self.version}")
        rmtree(self.dir)
        content = self.dir / "content"
        titles = book_titles(self.corpus)
        for sub in ("essays", "books"):
            (content / sub).mkdir(parents=True)
        (content / "essays" / "_index.md").write_text("---\ntitle: Essays\n---\n")
        (content / "books" / "_index.md").write_text("---\ntitle: Books\n---\n")
        for folder in ("essays", "books"):
            for path in sorted((self.corpus / "content" / folder).glob("*.md")):
                doc = read_doc(path)
                # Hugo reads the same YAML front matter (title, date, summary, tags, slug);
                # only the {book} roles need converting.
                (content / folder / path.name).write_text(
                    f"---\n{doc.front}---\n{plain_links(doc.body, titles)}"
                )
        for path in (self.corpus / "content" / "pages").glob("*.md"):
            doc = read_doc(path)
            (content / path.name).write_text(
                f"---\ntitle: {json.dumps(doc.meta['title'])}\n---\n{doc.body}"
            )
        (self.dir / "config.toml").write_text(HUGO_CONFIG)
        for rel, text in HUGO_LAYOUTS.items():
            target = self.dir / "themes" / "bench" / "layouts" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            # Related essays only with --hugo-related: Hugo's lookup compares every essay
            # with every other that shares a tag, which grows with the square of the
            # corpus when 12 tags are shared by thousands of essays.
            target.write_text(
                text.replace("RELATED\n", HUGO_RELATED + "\n" if self.args.hugo_related else "")
            )
        if self.args.hugo_related:
            self.notes.append("with related essays (--hugo-related)")

    def command(self, out: Path) -> list[str]:
        return [
            self.exe,
            "--quiet",
            "-s",
            str(self.dir),
            "-d",
            str(out),
            "--cacheDir",
            str(self.dir / ".hugo_cache"),
        ]

    def reset_cold(self) -> None:
        rmtree(self.dir / "resources")
        rmtree(self.dir / ".hugo_cache")
        rmtree(self.dir / ".hugo_build.lock")

    def cold_command(self, out: Path) -> list[str]:
        return self.command(out)

    def cache_command(self, out: Path) -> list[str]:
        # Hugo's CLI keeps no content cache between runs: "warm" and "one edit" are a second
        # full `hugo` into the same output folder (its server re-renders only the page, but
        # that is a long-running process, not a build command).
        return self.command(out)

    def essay_source(self, corpus_file: Path, slug: str) -> Path:
        return self.dir / "content" / "essays" / corpus_file.name


PELICAN_CONFIG = """\
AUTHOR = "Ada Mentor"
SITENAME = "Benchmark Mentor"
SITEURL = "https://example.com"
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
PATH = "content"
ARTICLE_PATHS = ["essays"]
PAGE_PATHS = ["pages"]
THEME = "simple"  # built in: nothing to download
DEFAULT_PAGINATION = 10
ARTICLE_URL = "essays/{slug}/"
ARTICLE_SAVE_AS = "essays/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
FEED_DOMAIN = SITEURL
FEED_MAX_ITEMS = 20
FEED_ALL_ATOM = "atom.xml"
FEED_ALL_RSS = "feed.xml"
TAG_FEED_ATOM = "tags/{slug}/feed.xml"
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
RELATIVE_URLS = False
CACHE_PATH = CACHE_PATH_VALUE
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
"""

PELICAN_CACHED = """\
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: F401,F403

LOAD_CONTENT_CACHE = True
CACHE_CONTENT = True
"""


class Pelican(System):
    name = "pelican"

    def __init__(self, size_dir: Path, corpus: Path, args: argparse.Namespace) -> None:
        super().__init__(size_dir, corpus, args)
        self.runs = args.pelican_runs or args.runs

    def prepare(self) -> None:
        self.exe = ensure_pelican(self.args)
        self.version = subprocess.run(
            [self.exe, "--version"], capture_output=True, text=True
        ).stdout.strip()
        rmtree(self.dir)
        content = self.dir / "content"
        titles = book_titles(self.corpus)
        for sub in ("essays", "pages/books"):
            (content / sub).mkdir(parents=True)

        def meta_line(key: str, value: object) -> str:
            return f"{key}: {' '.join(str(value).split())}\n"

        for path in essay_files(self.corpus):
            doc = read_doc(path)
            m = doc.meta
            head = (
                meta_line("Title", m["title"])
                + meta_line("Date", m["date"])
                + meta_line("Tags", ", ".join(m.get("tags") or []))
                + meta_line("Slug", m["slug"])
                + meta_line("Summary", m.get("summary", ""))
            )
            (content / "essays" / path.name).write_text(
                f"{head}\n{plain_links(doc.body, titles).lstrip()}"
            )
        for path in sorted((self.corpus / "content" / "books").glob("*.md")):
            doc = read_doc(path)
            head = (
                meta_line("Title", doc.meta["title"])
                + meta_line("Slug", path.stem)
                + meta_line("Url", f"books/{path.stem}/")
                + meta_line("Save_as", f"books/{path.stem}/index.html")
            )
            (content / "pages" / "books" / path.name).write_text(f"{head}\n{doc.body.lstrip()}")
        for path in (self.corpus / "content" / "pages").glob("*.md"):
            doc = read_doc(path)
            head = (
                meta_line("Title", doc.meta["title"])
                + meta_line("Slug", path.stem)
                + meta_line("Url", f"{path.stem}/")
                + meta_line("Save_as", f"{path.stem}/index.html")
            )
            (content / "pages" / path.name).write_text(f"{head}\n{doc.body.lstrip()}")
        (self.dir / "pelicanconf.py").write_text(
            PELICAN_CONFIG.replace("CACHE_PATH_VALUE", repr(str(self.dir / "cache")))
        )
        (self.dir / "pelicanconf_cached.py").write_text(PELICAN_CACHED)

    def command(self, out: Path, conf: str) -> list[str]:
        return [self.exe, "content", "-o", str(out), "-s", conf, "-q"]

    def reset_cold(self) -> None:
        rmtree(self.dir / "cache")
        rmtree(self.dir / "__pycache__")

    def cold_command(self, out: Path) -> list[str]:
        return self.command(out, "pelicanconf.py")

    def cache_command(self, out: Path) -> list[str]:
        return self.command(out, "pelicanconf_cached.py")

    def essay_source(self, corpus_file: Path, slug: str) -> Path:
        return self.dir / "content" / "essays" / corpus_file.name


def ensure_pelican(args: argparse.Namespace) -> str:
    """Pelican in a venv of its own (``--pelican-venv``, default WORKDIR/pelican-venv)."""
    venv: Path = args.pelican_venv
    exe = venv / "bin" / "pelican"
    if exe.exists():
        return str(exe)
    python3 = shutil.which("python3")
    if not python3:
        raise BenchError("--compare needs python3 on PATH to make Pelican's venv")
    progress(f"installing Pelican into {venv} (python3 -m venv; pip install pelican markdown)")
    log = venv.parent / "pelican-install.log"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        steps = [
            [python3, "-m", "venv", str(venv)],
            [
                str(venv / "bin" / "pip"),
                "install",
                "--disable-pip-version-check",
                "-q",
                "pelican",
                "markdown",
            ],
        ]
        for step in steps:
            if subprocess.run(step, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                tail = log.read_text(errors="replace")[-2000:]
                raise BenchError(f"could not install Pelican ({shlex.join(step)}):\n{tail}")
    if not exe.exists():
        raise BenchError(f"Pelican's venv has no {exe}")
    return str(exe)


# ---------------------------------------------------------------------------------------------
# Running the benchmark


@dataclass
class Result:
    system: str
    essays: int
    pages: int | None = None
    runs: dict[str, list[Sample]] = field(default_factory=lambda: {m: [] for m in MODES})
    prime: Sample | None = None
    version: str = ""
    notes: list[str] = field(default_factory=list)

    def median(self, mode: str) -> float | None:
        samples = self.runs[mode]
        return statistics.median(s.wall_s for s in samples) if samples else None


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_size(essays: int, args: argparse.Namespace) -> list[Result]:
    size_dir: Path = args.workdir / f"essays-{essays}"
    rmtree(size_dir)
    corpus = size_dir / "passivepress"
    progress(f"{essays} essays: generating the corpus (seed {args.seed})")
    generate(corpus, essays, args.books, args.seed)
    systems: list[System] = [Passivepress(size_dir, corpus, args)]
    if args.compare:
        systems += [Hugo(size_dir, corpus, args), Pelican(size_dir, corpus, args)]
    for system in systems:
        if system.name != "passivepress":
            progress(f"{essays} essays: converting the corpus for {system.name}")
        system.prepare()
    results = {s.name: Result(s.name, essays, version=getattr(s, "version", "")) for s in systems}

    def timed(system: System, mode: str, run: int, sample: Sample) -> None:
        results[system.name].runs[mode].append(sample)
        progress(
            f"{essays} essays: {system.name:12} {mode:8} run {run + 1}: "
            f"{sample.wall_s:7.2f} s, peak RSS {sample.max_rss_kib / 1024:6.0f} MiB"
        )

    # Cold runs interleaved across systems, so the machine's noise falls on all alike.
    for run in range(max(s.runs for s in systems)):
        for system in systems:
            if run < system.runs:
                timed(system, "cold", run, system.cold(run))
    for system in systems:
        progress(f"{essays} essays: {system.name}: filling the cache (untimed)")
        results[system.name].prime = system.prime()
        for run in range(system.runs):
            timed(system, "warm", run, system.warm(run))
        for run in range(system.runs):
            timed(system, "edit", run, system.edit(run))
        for run in range(system.runs):
            timed(system, "edit_new", run, system.edit(run, newest=True))
        results[system.name].pages = system.pages
        results[system.name].notes = system.notes
        if not args.keep:
            rmtree(system.warm_out)
    if not args.keep:
        rmtree(size_dir)
    return [results[s.name] for s in systems]


# ---------------------------------------------------------------------------------------------
# Reporting


def machine() -> dict[str, object]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kib / 1024 / 1024:.0f} GiB"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": mem,
        "kernel": platform.release(),
        "os": platform.platform(),
    }


def source_digest(root: Path) -> str:
    """The bytes of passivepress's code and themes, to tell whether they changed."""
    h = hashlib.blake2b(digest_size=8)
    for folder in (root / "src", root / "themes"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def prepare_passivepress(args: argparse.Namespace) -> dict[str, str]:
    """Check that ``--python`` imports passivepress. When it imports it from this work tree
    (an editable install), run it from a copy taken now: others may edit the tree during a
    long run, and a changed template would silently turn a warm build into a full one."""

    def where(env: dict[str, str]) -> str:
        code = "import passivepress; print(passivepress.__file__)"
        probe = subprocess.run([args.python, "-c", code], capture_output=True, text=True, env=env)
        if probe.returncode != 0:
            raise BenchError(
                f"{args.python} cannot import passivepress (install it with "
                f"`pip install -e .` in {REPO}):\n{probe.stderr.strip()}"
            )
        return probe.stdout.strip()

    env = dict(os.environ)
    # Measured as installed: with compiled bytecode (some shells set this; every import
    # would then be compiled again on every run).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    info = {"source": str(Path(where(env)).parent)}
    git = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    from_tree = Path(where(env)).resolve().is_relative_to(REPO / "src")
    if from_tree and git.returncode == 0:
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "themes"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        info["commit"] = git.stdout.strip() + (
            " + uncommitted changes in src/ or themes/" if dirty else ""
        )
    if from_tree and args.snapshot:
        copy = args.workdir / "passivepress-source"
        rmtree(copy)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in ("src", "themes"):
            shutil.copytree(REPO / name, copy / name, ignore=ignore)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(copy / "src"), env.get("PYTHONPATH", "")) if p
        )
        if not Path(where(env)).resolve().is_relative_to(copy):
            raise BenchError("could not run passivepress from its copy; try --no-snapshot")
        # Compiled once, as pip does when it installs a package.
        subprocess.run([args.python, "-m", "compileall", "-q", str(copy / "src")], check=True)
        info["source"] = f"a copy of {REPO} taken at the start"
        info["digest"] = source_digest(copy)
    elif from_tree:
        info["digest"] = source_digest(REPO)
    args.passivepress_env = env
    probe = subprocess.run(
        [
            args.python,
            "-c",
            "import sys, passivepress as p; print(sys.version.split()[0]); "
            "print(getattr(p, '__version__', '?'))",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    lines = probe.stdout.split()
    info["python"] = lines[0] if lines else "?"
    info["passivepress"] = lines[1] if len(lines) > 1 else "?"
    return info


def loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def fmt_time(samples: list[Sample]) -> str:
    if not samples:
        return "—"
    walls = [s.wall_s for s in samples]
    med = statistics.median(walls)
    digits = 2 if med < 10 else 1
    if len(walls) == 1:
        return f"{med:.{digits}f} (1 run)"
    return f"{med:.{digits}f} [{min(walls):.{digits}f}–{max(walls):.{digits}f}]"


def mib(kib: float | None) -> str:
    return "—" if kib is None else f"{kib / 1024:,.0f} MiB"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def report(results: list[Result], meta: dict[str, object]) -> str:
    lines: list[str] = []
    add = lines.append
    add("## Build speed")
    add("")
    add(f"Measured {meta['date']} with `{meta['command']}`.")
    add("")
    m = meta["machine"]
    pp = meta["passivepress"]
    add(
        f"- Machine: {m['cpu']}, {m['cores']} cores ({m['cores_usable']} usable), "
        f"{m['memory']} memory, Linux {m['kernel']}; load average {meta['load_before']} before, "
        f"{meta['load_after']} after (other work shares this machine)"
    )
    add(
        f"- passivepress {pp.get('passivepress', '?')}, commit {pp.get('commit', '?')} "
        f"(source digest {pp.get('digest', '?')}), run from {pp['source']}; "
        f"Python {pp.get('python', '?')}"
    )
    if meta.get("source_changed"):
        add(
            f"- **passivepress's source changed during the run** ({meta['source_changed']}): "
            "runs may have measured different code; rerun, or snapshot (the default)"
        )
    for r in results:
        if r.version and r.essays == results[0].essays:
            add(f"- {r.system}: {r.version}")
    add("")
    add(
        "Seconds, median [min–max] of the runs, each a separate process timed from start to "
        "end. Peak RSS: largest single process (`/usr/bin/time -v`), over all its runs; "
        "all processes: the whole process tree's PSS, sampled every 0.1 s."
    )
    add("")
    add(
        "| system | essays | pages | cold, s | warm, s | one essay edited, s | "
        "the newest essay edited, s | peak RSS | peak, all processes | pages/s (cold) |"
    )
    add("| --- | ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: |")
    for r in results:
        every = [s for mode in MODES for s in r.runs[mode]]
        rss = max((s.max_rss_kib for s in every), default=None)
        pss_values = [s.pss_peak_kib for s in every if s.pss_peak_kib]
        cold = r.median("cold")
        speed = f"{r.pages / cold:,.0f}" if r.pages and cold else "—"
        add(
            f"| {r.system} | {r.essays:,} | {r.pages or '—':,} | {fmt_time(r.runs['cold'])} | "
            f"{fmt_time(r.runs['warm'])} | {fmt_time(r.runs['edit'])} | "
            f"{fmt_time(r.runs['edit_new'])} | {mib(rss)} | "
            f"{mib(max(pss_values) if pss_values else None)} | {speed} |"
        )
    add("")
    if any(r.system == "hugo" for r in results):
        add(
            'Hugo\'s CLI keeps no content cache between runs, so its "warm" and "one essay '
            'edited" are a second full `hugo` into the same output folder (its server '
            "re-renders only the edited page, but that is a running process, not a build). "
            "Pelican's warm and edit runs use its content cache (`LOAD_CONTENT_CACHE`, "
            "`CACHE_CONTENT`)."
        )
        add("")
    for r in results:
        for note in r.notes:
            add(f"- Note ({r.system}, {r.essays:,}): {note}")
    if any(r.notes for r in results):
        add("")

    by = {(r.system, r.essays): r for r in results}
    sizes = sorted({r.essays for r in results})
    add("### Ratios")
    add("")
    add(
        "| essays | passivepress warm / cold | passivepress cold / Hugo cold | "
        "Pelican cold / passivepress cold |"
    )
    add("| ---: | ---: | ---: | ---: |")
    for n in sizes:
        p = by.get(("passivepress", n))
        h, pe = by.get(("hugo", n)), by.get(("pelican", n))
        add(
            f"| {n:,} | {fmt_ratio(ratio(p.median('warm'), p.median('cold')))} | "
            f"{fmt_ratio(ratio(p.median('cold'), h.median('cold')) if h else None)} | "
            f"{fmt_ratio(ratio(pe.median('cold'), p.median('cold')) if pe else None)} |"
        )
    add("")
    if len(sizes) > 1:
        add("Growth of the cold build with the number of essays (linear would be the size ratio):")
        add("")
        for small, big in itertools.pairwise(sizes):
            for system in SYSTEMS:
                a, b = by.get((system, small)), by.get((system, big))
                if a and b:
                    add(
                        f"- {system}: {big:,} / {small:,} essays = "
                        f"{fmt_ratio(ratio(b.median('cold'), a.median('cold')))} "
                        f"(size ratio {big / small:.0f})"
                    )
        add("")

    add("### Issue 6's targets")
    add("")
    add("| target | measured | met |")
    add("| --- | --- | --- |")

    def target(name: str, value: float | None, ok: bool | None, unit: str = "") -> None:
        shown = "—" if value is None else f"{value:.2f}{unit}"
        add(f"| {name} | {shown} | {'—' if ok is None else ('yes' if ok else 'no')} |")

    for n in sizes:
        p = by[("passivepress", n)]
        if ("hugo", n) in by:
            v = ratio(p.median("cold"), by[("hugo", n)].median("cold"))
            target(
                f"cold ≤ Hugo's ({n:,} essays): passivepress / Hugo ≤ 1.0",
                v,
                None if v is None else v <= 1.0,
            )
        if ("pelican", n) in by:
            v = ratio(by[("pelican", n)].median("cold"), p.median("cold"))
            target(
                f"≥ 6× faster than Pelican cold ({n:,}): Pelican / passivepress ≥ 6",
                v,
                None if v is None else v >= 6,
            )
        v = ratio(p.median("warm"), p.median("cold"))
        target(f"warm ≤ 0.1 × cold ({n:,})", v, None if v is None else v <= 0.1)
        limit = 0.3 if n <= 1000 else 0.5
        v = p.median("edit")
        target(f"one essay edited ≤ {limit} s ({n:,})", v, None if v is None else v <= limit, " s")
        v = p.median("edit_new")
        target(
            f"the newest essay edited ≤ {limit} s ({n:,})",
            v,
            None if v is None else v <= limit,
            " s",
        )
    if 1000 in sizes and 10000 in sizes:
        v = ratio(
            by[("passivepress", 10000)].median("cold"), by[("passivepress", 1000)].median("cold")
        )
        target("cold 10k / 1k ≤ 11", v, None if v is None else v <= 11)
    if 10000 in sizes:
        p = by[("passivepress", 10000)]
        every = [s for mode in MODES for s in p.runs[mode]]
        rss = max(s.max_rss_kib for s in every) / 1024
        target("peak RSS at 10,000 ≤ 500 MiB (largest process)", rss, rss <= 500, " MiB")
        pss_values = [s.pss_peak_kib for s in every if s.pss_peak_kib]
        if pss_values:
            v = max(pss_values) / 1024
            target("peak at 10,000 ≤ 500 MiB (all processes, PSS)", v, v <= 500, " MiB")
    add("")
    return "\n".join(lines)


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    """The corpus's sizes and seed, as the build benchmarks take them."""
    parser.add_argument(
        "--essays",
        type=int,
        action="append",
        metavar="N",
        help="corpus size; repeat for several (default: 1000)",
    )
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See benchmarks/README.md.",
    )
    add_corpus_options(parser)
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="timed runs of each kind (default 3; fewer than 3 gives no meaningful median)",
    )
    parser.add_argument(
        "--pelican-runs",
        type=int,
        metavar="N",
        help="runs for Pelican only (its 10k builds are slow); default --runs",
    )
    parser.add_argument("--compare", action="store_true", help="also run Hugo and Pelican")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where corpora, sites and outputs go (default: a temporary folder)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder at the end")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the raw results here")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs passivepress (default: this one)",
    )
    parser.add_argument(
        "--pelican-venv",
        type=Path,
        metavar="DIR",
        help="Pelican's venv, made if missing (default WORKDIR/pelican-venv)",
    )
    parser.add_argument(
        "--hugo-related",
        action="store_true",
        help="give Hugo's essay pages five related essays, as passivepress's "
        "have (slow in Hugo: its lookup grows with the square of the "
        "corpus here)",
    )
    parser.add_argument(
        "--no-snapshot",
        dest="snapshot",
        action="store_false",
        help="run passivepress from the work tree as it is, even if it "
        "changes during the run (default: from a copy taken at the start)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds one build may take (default 1800)"
    )
    args = parser.parse_args(argv)
    args.essays = args.essays or [1000]
    if any(n < 1 for n in args.essays) or args.runs < 1 or (args.pelican_runs or 1) < 1:
        parser.error("--essays and --runs must be at least 1")
    if args.runs < 3:
        progress(f"warning: --runs {args.runs}: medians need at least 3 runs")
    if not Path(TIME).exists():
        raise BenchError(
            f"{TIME} is missing (it measures peak memory): "
            "install it with `apt-get install -y time`"
        )

    command = shlex.join(
        ["python", os.path.relpath(__file__), *(sys.argv[1:] if argv is None else argv)]
    )
    temporary = args.workdir is None
    args.workdir = (
        Path(tempfile.mkdtemp(prefix="passivepress-bench-"))
        if temporary
        else args.workdir.resolve()
    )
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.pelican_venv = (args.pelican_venv or args.workdir / "pelican-venv").resolve()
    if args.compare and not shutil.which("hugo"):  # fail before the long part, not after
        raise BenchError(
            "--compare needs Hugo: install Debian's with `apt-get install -y hugo` "
            "(0.111), or put a `hugo` binary on PATH"
        )

    # SIGTERM ends the benchmark like Ctrl-C: the running build is killed, folders removed.
    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    results: list[Result] = []
    try:
        progress(f"work folder: {args.workdir}")
        meta: dict[str, object] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": command,
            "machine": machine(),
            "passivepress": prepare_passivepress(args),
            "load_before": loadavg(),
            "settings": {
                "essays": args.essays,
                "books": args.books,
                "seed": args.seed,
                "runs": args.runs,
                "pelican_runs": args.pelican_runs or args.runs,
                "compare": args.compare,
                "hugo_related": args.hugo_related,
            },
        }
        for n in args.essays:
            results += bench_size(n, args)
    finally:
        if args.keep or not temporary:
            progress(f"kept {args.workdir}" if args.keep else f"left {args.workdir}")
        if not args.keep:
            if temporary:
                rmtree(args.workdir)
            else:  # a folder given by the user: remove only what this run made in it
                for n in args.essays:
                    rmtree(args.workdir / f"essays-{n}")
                rmtree(args.workdir / "passivepress-source")
    meta["load_after"] = loadavg()
    digest_before = meta["passivepress"].get("digest")  # type: ignore[union-attr]
    if not args.snapshot and digest_before and digest_before != source_digest(REPO):
        meta["source_changed"] = (
            f"digest {digest_before} at the start, {source_digest(REPO)} at the end"
        )
    text = report(results, meta)
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    **meta,
                    "results": [
                        {**asdict(r), "median": {m: r.median(m) for m in MODES}} for r in results
                    ],
                },
                indent=2,
                default=str,
            )
            + "\n"
        )
        progress(f"raw results in {args.json}")
    return 0


def run_script(main: Callable[[], int], name: str) -> None:
    """A benchmark's command: what it must be told fixed, without a traceback."""
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"{name}: interrupted; the running build was ended", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    run_script(main, "build_speed")
