"""``passivepress check``: what, on the site as it would be published, hurts the author's
promotion.

The site is built into a temporary folder exactly as ``build`` would write it (or, when the
last ``passivepress build`` is still what a build would make now, its output is taken as it
is, and only the model is made again); then every HTML page of that output is read back
with an HTML5 parser (see :mod:`page_facts`), independently of our templates, and every
link, image and anchor is followed to a file of the output. The model adds what the pages
cannot tell (was the summary written by the author or derived from the first paragraph?).
Links to other hosts are tried only when asked (``--external``).

Pages are checked by this process and a forked copy of it per other core, each taking
pages as it is ready for more; an #anchor link is checked when every page's ids are known.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http
import http.client
import json
import logging
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit, urlunsplit

from passivepress import __version__, clock, forks, page_facts, published, uptodate
from passivepress.build import PARALLEL_MIN_DOCUMENTS, BuildOptions, build
from passivepress.errors import Problem
from passivepress.model import Book, Essay, Page, Site
from passivepress.page_facts import IMAGE_TAGS, PageFacts
from passivepress.report import Reporter
from passivepress.urls import output_path, under_base

log = logging.getLogger(__name__)

ERROR = "error"
WARNING = "warning"
_SEVERITIES = (ERROR, WARNING)

_SKIP_SCHEMES = {"mailto", "tel", "sms", "javascript", "data", "blob", "about"}
_USER_AGENT = f"passivepress/{__version__} (link check)"


@dataclass(frozen=True)
class Finding:
    """One thing to fix, on one page of the site."""

    severity: str  # "error" or "warning"
    page: str  # the page's URL path as a browser shows it ("/essays/x/"); "" for site-wide
    message: str
    source: str | None = None  # the content file the page is made from, if any
    line: int | None = None
    hint: str | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.page,
            _SEVERITIES.index(self.severity),
            self.source or "",
            self.line or 0,
            self.message,
        )


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    pages: int = 0  # HTML pages checked
    external: int = 0  # distinct external URLs tried
    base_url: str = ""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def to_json(self) -> str:
        """A stable document for tools: findings sorted, keys sorted."""
        return json.dumps(
            {
                "base_url": self.base_url,
                "pages": self.pages,
                "external_links": self.external,
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "findings": [dataclasses.asdict(f) for f in self.findings],
            },
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        )

    def to_text(self, *, errors_only: bool = False) -> str:
        """Findings grouped by page, then one closing line (left out with ``errors_only``)."""
        shown = self.errors if errors_only else self.findings
        by_page: dict[str, list[Finding]] = defaultdict(list)
        for finding in shown:
            by_page[finding.page].append(finding)
        out: list[str] = []
        for page, findings in by_page.items():
            sources = ", ".join(sorted({f.source for f in findings if f.source}))
            if not page:  # about the whole site, such as passivepress.yml
                out.append(sources or "(the whole site)")
            else:
                out.append(f"{page} ({sources})" if sources else page)
            for f in findings:
                where = f"{f.source}:{f.line}: " if f.source and f.line else ""
                out.append(f"  {f.severity}: {where}{f.message}")
                if f.hint:
                    out.append(f"    hint: {f.hint}")
            out.append("")
        if not errors_only:
            checked = f"Checked {self.pages} pages"
            if self.external:
                checked += f" and {self.external} external links"
            if self.findings:
                out.append(
                    f"{checked}: {_count(len(self.errors), 'error')}, "
                    f"{_count(len(self.warnings), 'warning')}."
                )
            else:
                out.append(f"{checked}: no problems found.")
        return "\n".join(out).rstrip("\n") + "\n" if out else ""


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check(
    site_dir: Path,
    *,
    external: bool = False,
    timeout: float = 10.0,
    concurrency: int = 8,
    reporter: Reporter | None = None,
    now: datetime | None = None,
    processes: int | None = None,
) -> Report:
    """Build the site into a temporary folder and report what needs fixing; or, when the
    last ``passivepress build`` is still what a build would make now, read its pages.

    A build failure raises as ``build`` would (ContentError, ConfigError ...); the build's
    own warnings go to ``reporter``. ``processes``: how many read the pages (default: one
    per core).
    """
    collector = _Collector(reporter or Reporter())
    # record_urls=False: checking must not change the site's published-urls.txt; nor the
    # cache folder, whose rendered Markdown it reads all the same.
    options = BuildOptions(use_cache=False, borrow_markdown=True, record_urls=False, now=now)
    current = _current_build(site_dir, now)
    with contextlib.ExitStack() as stack:
        if current is not None:
            log.debug("the last build is current: checking its pages in %s", current.output)
            # Its pages as they are; the model they were made from, made again without them.
            out, files = current.output, current.files
            options = dataclasses.replace(options, model_only=True)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="passivepress-check-"))
            out, files = Path(tmp) / "site", None
        result = build(site_dir, dataclasses.replace(options, output=out), collector)
        assert result.site is not None
        checker = _Checker(site_dir.resolve(), out, result.site, collector, files=files)
        started = time.perf_counter()
        checker.run(processes=processes or os.cpu_count() or 1)
        collector.step("checking", time.perf_counter() - started)  # ends the progress bar
        if current is not None:
            # Not the build's word on published URLs that are gone: check says it its own
            # way (and its own build does not look; see record_urls above).
            checker.add_build_warnings([w for w in current.warnings if w.path != published.FILE])
        else:
            checker.add_build_warnings(collector.warnings)
    if external:
        checker.check_external(timeout=timeout, concurrency=concurrency)
    return checker.report()


def _current_build(site_dir: Path, now: datetime | None) -> uptodate.Done | None:
    """The last ``passivepress build`` (its default output and options), when nothing it
    read has changed since and every file it wrote is as it wrote it: what a build would
    make now. (None also after a ``--drafts`` or ``--base-url`` build.)"""
    sources = uptodate.scan(site_dir)
    key = uptodate.options_key(site_dir, None, False, False, None, True)
    when = now.timestamp() if now is not None else clock.now_epoch()
    return uptodate.check(site_dir, key, sources.digest, when)


class _Collector(Reporter):
    """Keeps the build's warnings for the report (rather than printing them beside it);
    passes timings and progress on."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner
        self.warnings: list[Problem] = []

    def step(self, name: str, seconds: float) -> None:
        self.inner.step(name, seconds)

    def progress(self, done: int, total: int, doing: str = "rendering") -> None:
        self.inner.progress(done, total, doing)

    def warning(self, problem: Problem) -> None:
        self.warnings.append(problem)


# -- the checks -------------------------------------------------------------------------


@dataclass
class _Html:
    rel: str  # the output file, relative to the output folder
    path: str  # the site path it serves ("/essays/x/"), without the base path

    def __post_init__(self) -> None:
        # Its URL names it as its file does (nothing in the path is read otherwise in a
        # URL): an #anchor link on it needs no resolving (see _Checker._target_of).
        self.plain = not _NOT_PLAIN.search(self.path)


# What urlsplit and unquote read otherwise than as plain text (or remove, for the last three).
_NOT_PLAIN = re.compile(r"[%?#\\\t\r\n]")


@dataclass(frozen=True)
class _Target:
    """Where a link leads, as far as it does not depend on the page it is on."""

    kind: str  # "skip", "external", "outside", "missing", "invalid", "anchor" or "found"
    where: str = ""  # external: the URL without its fragment; anchor: the output file
    fragment: str = ""
    site_path: str = ""  # anchor and found: the page's path on the site


@dataclass
class _Outcome:
    """What checking one page found: all but its links to #anchors of pages not read yet,
    which wait for every page's ids (see _Checker.run)."""

    ids: frozenset[str]
    findings: list[Finding] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # URLs on other hosts it links to
    # (output file linked to, fragment, the finding if that file has no such id)
    anchors: list[tuple[str, str, Finding]] = field(default_factory=list)


class _Checker:
    def __init__(
        self,
        site_dir: Path,
        out: Path,
        site: Site,
        reporter: Reporter | None = None,
        files: Iterable[str] | None = None,
    ) -> None:
        """``files``: what the build wrote in ``out``, when the folder may hold others."""
        self.site_dir = site_dir
        self.reporter = reporter or Reporter()
        self.out = out
        self.site = site
        config = site.config
        parts = urlsplit(config.base_url)
        self.origin = (parts.scheme, parts.netloc)
        self.base_url = config.base_url
        self.base_path = config.base_path
        if files is None:
            files = (p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        self.files = set(files)
        self.pages: dict[str, _Html] = {
            rel: _Html(rel, _site_path(rel))
            for rel in sorted(self.files)
            if rel.endswith((".html", ".htm"))
        }
        self.items: dict[str, Essay | Book | Page] = {
            item.path: item for item in (*site.essays, *site.books, *site.pages)
        }
        contact = site.page("contact")
        self.contact_path = contact.path if contact else None
        self.findings: set[Finding] = set()
        # Where each link leads, by (what it is resolved against, the link).
        self._targets: dict[tuple[str, str], _Target] = {}
        self.external_refs: dict[str, set[str]] = defaultdict(set)  # URL → pages (output files)
        self.external_tried = 0

    # -- driving ------------------------------------------------------------------------

    def run(self, processes: int = 1) -> None:
        rels = list(self.pages)
        share = functools.partial(self._share, rels, os.getpid())
        if processes > 1 and len(rels) >= PARALLEL_MIN_DOCUMENTS and forks.can_fork():
            with forks.Deck(range(len(rels))) as deck:
                shares = forks.together(*[functools.partial(share, processes, deck)] * processes)
        else:
            shares = [share(1, [range(len(rels))])]
        self.reporter.progress(len(rels), len(rels), "checking")
        outcomes = {i: outcome for found in shares for i, outcome in found.items()}
        ids = {rel: outcomes[i].ids for i, rel in enumerate(rels)}
        for i, rel in enumerate(rels):  # in the pages' order, whichever process read them
            outcome = outcomes[i]
            self.findings.update(outcome.findings)
            for url in outcome.external:
                self.external_refs[url].add(rel)
            for target, fragment, finding in outcome.anchors:
                if not _reaches(fragment, ids[target]):
                    self.findings.add(finding)
        self._lost_urls()

    def _share(
        self, rels: list[str], parent: int, processes: int, chunks: Iterable[Iterable[int]]
    ) -> dict[int, _Outcome]:
        """The pages at these places of ``rels``, checked (in a forked copy, or here, which
        tells how far all are, taking the others to be about as far)."""
        here, total = os.getpid() == parent, len(rels)
        found = {}
        for chunk in chunks:
            for i in chunk:
                found[i] = self._page(self.pages[rels[i]])
                if here:  # all of them only once all are done (see run)
                    done = min(total - 1, len(found) * processes)
                    self.reporter.progress(done, total, "checking")
        return found

    def _page(self, page: _Html) -> _Outcome:
        facts = page_facts.read((self.out / page.rel).read_bytes())
        item = self.items.get(page.path)
        outcome = _Outcome(facts.ids)
        self._links(page, facts, item, outcome)
        if not facts.redirect:  # a moved page: only its target matters, checked above
            self._images(page, facts, item, outcome)
            self._description(page, facts, item, outcome)
            self._affiliate(page, facts, item, outcome)
            if isinstance(item, Essay):
                self._essay(page, facts, item, outcome)
        return outcome

    def add_build_warnings(self, warnings: list[Problem]) -> None:
        """What the build warned about (a likely typo of a front matter key, an unknown
        setting ...), on the page made from the file, unless a finding of ours is already at
        that spot (the build's own link check)."""
        pages = {str(item.source): item.url for item in self.items.values()}
        located = {(f.source, f.line) for f in self.findings if f.line is not None}
        for w in warnings:
            source = str(w.path) if w.path is not None else None
            if w.line is not None and (source, w.line) in located:
                continue
            self.findings.add(
                Finding(
                    severity=WARNING,
                    page=pages.get(source or "", ""),
                    message=w.message,
                    source=source,
                    line=w.line,
                    hint=w.hint,
                )
            )

    def report(self) -> Report:
        return Report(
            findings=sorted(self.findings, key=Finding.sort_key),
            pages=len(self.pages),
            external=self.external_tried,
            base_url=self.base_url,
        )

    def finding(
        self,
        severity: str,
        page: _Html,
        item: Any,
        message: str,
        line: int | None = None,
        hint: str | None = None,
    ) -> Finding:
        return Finding(
            severity=severity,
            page=under_base(page.path, self.base_path),
            message=message,
            source=str(item.source) if item is not None else None,
            line=line,
            hint=hint,
        )

    # -- links, images, anchors ---------------------------------------------------------

    def _links(self, page: _Html, facts: PageFacts, item: Any, outcome: _Outcome) -> None:
        add = outcome.findings.append
        page_url = urljoin(self.base_url, page.path.lstrip("/"))
        for tag, ref in facts.references:
            ref = ref.strip()
            if not ref:
                continue
            target = self._target_of(ref, page, page_url)
            kind = target.kind
            if kind == "skip":
                continue
            if kind == "external":
                outcome.external.append(target.where)
                continue
            image = tag in IMAGE_TAGS
            if kind == "outside":
                add(
                    self.finding(
                        ERROR,
                        page,
                        item,
                        f"{'missing image' if image else 'broken link'} {ref}: it is outside "
                        f"the site, which is published under {self.base_path}",
                        self._line_of(item, ref),
                        hint="write site links from the site's root, such as /about/; "
                        f"passivepress puts them under {self.base_path}",
                    )
                )
            elif kind == "invalid":
                add(
                    self.finding(
                        ERROR,
                        page,
                        item,
                        f"{'missing image' if image else 'broken link'} {ref}: not a valid URL",
                        self._line_of(item, ref),
                        hint="check the address; a host in [brackets] must be an IPv6 address",
                    )
                )
            elif kind == "missing":
                if image:
                    message = f"missing image {ref}: no file of the site is there"
                    hint = "put the file in static/ (static/images/a.png is /images/a.png)"
                else:
                    message = f"broken link {ref}: no page of the site is there"
                    hint = "check the spelling; essays live at /essays/<slug>/"
                add(self.finding(ERROR, page, item, message, self._line_of(item, ref), hint=hint))
            elif target.fragment:  # kind == "anchor"
                own = target.where == page.rel
                if own and _reaches(target.fragment, outcome.ids):
                    continue  # most are: footnotes, headings (no finding made to wait)
                where = "this page" if own else target.site_path
                missing = self.finding(
                    ERROR,
                    page,
                    item,
                    f"broken anchor {ref}: {where} has no heading or element with the "
                    f"id '{target.fragment}'",
                    self._line_of(item, ref),
                    hint="headings get ids from their text: '## How it works' is #how-it-works",
                )
                if own:
                    add(missing)
                else:  # checked once every page's ids are known (see run)
                    outcome.anchors.append((target.where, target.fragment, missing))

    def _target_of(self, ref: str, page: _Html, page_url: str) -> _Target:
        """Where the link ``ref`` on ``page`` (at ``page_url``) leads, worked out once per
        place it is resolved against (most links of a page, such as the menu, the feeds and
        the tags, are on many pages)."""
        if ref.startswith("#") and page.plain and not _NOT_PLAIN.search(ref, 1):
            # The page itself: its footnotes' and headings' anchors, a fifth of the links
            # of an essay and each on one page only, are not worth keeping.
            if len(ref) == 1:
                return _Target("found", site_path=page.path)
            return _Target("anchor", page.rel, ref[1:], page.path)
        key = (self._base_for(ref, page_url), ref)
        target = self._targets.get(key)
        if target is None:
            target = self._targets[key] = self._target(*key)
        return target

    def _target(self, base: str, ref: str) -> _Target:
        """Where the link ``ref`` leads from a page at ``base``, page aside."""
        try:
            parts = urlsplit(ref)
            target = _joined(base, ref, parts)
        except ValueError:  # a host in brackets that is no IPv6 address, as browsers say
            return _Target("invalid")
        if parts.scheme.lower() in _SKIP_SCHEMES or target.scheme not in ("http", "https"):
            return _Target("skip")
        path = unquote(target.path) or "/"
        on_site = (target.scheme, target.netloc) == self.origin
        if not on_site or (parts.netloc and not path.startswith(self.base_path)):
            # Another host, or another site on this host (user.github.io/other/).
            return _Target("external", urlunsplit(target._replace(fragment="")))
        if not path.startswith(self.base_path):
            return _Target("outside")
        site_path = "/" + path[len(self.base_path) :]
        rel = self._file_for(site_path)
        if rel is None:
            return _Target("missing")
        fragment = unquote(target.fragment)
        if fragment and rel in self.pages:
            return _Target("anchor", rel, fragment, site_path)
        return _Target("found", site_path=site_path)

    def _base_for(self, ref: str, page_url: str) -> str:
        """What ``ref`` is resolved against: for a link from the site's root or a whole
        URL, the root is as good as the page, and the same for every page."""
        return self.base_url if ref.startswith(("/", "http:", "https:")) else page_url

    def _lost_urls(self) -> None:
        """URLs the site published before (published-urls.txt) that nothing serves now."""
        for url in published.read(self.site_dir):
            if self._file_for(url) is None:
                self.findings.add(
                    Finding(
                        severity=WARNING,
                        page=under_base(url, self.base_path),
                        message="this URL was published and no longer exists: links that "
                        "readers saved or shared now lead nowhere",
                        source=published.FILE,
                        hint=f"add 'aliases: [\"{url}\"]' to the essay that replaced it, or "
                        f"delete its line from {published.FILE} if it is gone for good",
                    )
                )

    def _file_for(self, site_path: str) -> str | None:
        rel = output_path(site_path)
        if rel in self.files:
            return rel
        # /essays/x without its slash: every static host redirects it to /essays/x/.
        if not site_path.endswith("/") and output_path(site_path + "/") in self.files:
            return output_path(site_path + "/")
        return None

    def _line_of(self, item: Any, ref: str) -> int | None:
        """The line of the content file where a link was written, when it came from there."""
        if item is None:
            return None
        for url, line in item.body_links:
            if ref in (url, under_base(url, self.base_path)):
                return int(line)
        return None

    def _images(self, page: _Html, facts: PageFacts, item: Any, outcome: _Outcome) -> None:
        hint = (
            "describe the picture for readers who cannot see it: "
            "![a sketch of the two paths](/images/paths.png)"
        )
        missing = list(facts.images_without_alt)
        # In the author's own text an empty alt is an omission (Markdown's ![](x.png)); in
        # the theme it marks a decorative image, which is right.
        if item is not None and item.html:
            missing += page_facts.images_without_text(str(item.html))
        for src in dict.fromkeys(missing):  # once each, in page order
            outcome.findings.append(
                self.finding(
                    WARNING,
                    page,
                    item,
                    f"image without alt text: {src}",
                    self._line_of(item, src),
                    hint,
                )
            )

    # -- what a page says about itself --------------------------------------------------

    def _description(self, page: _Html, facts: PageFacts, item: Any, outcome: _Outcome) -> None:
        if page.rel == "404.html" or "noindex" in facts.robots:
            return  # never shown in search results
        if not facts.description.strip():
            outcome.findings.append(
                self.finding(
                    WARNING,
                    page,
                    item,
                    "no meta description: search engines will pick some text of the page",
                    hint="write a 'summary' in the front matter"
                    if item is not None
                    else "set 'description' in passivepress.yml",
                )
            )

    def _affiliate(self, page: _Html, facts: PageFacts, item: Any, outcome: _Outcome) -> None:
        if facts.sponsored and not facts.disclosed:
            outcome.findings.append(
                self.finding(
                    WARNING,
                    page,
                    item,
                    "affiliate link without a disclosure: "
                    + ", ".join(sorted(set(facts.sponsored))),
                    self._line_of(item, facts.sponsored[0]),
                    hint="set 'affiliate.disclosure' in passivepress.yml; a theme of your own "
                    "needs <!--passivepress:affiliate-disclosure--> in its base.html, or an "
                    'element with class="affiliate-disclosure"',
                )
            )

    def _essay(self, page: _Html, facts: PageFacts, essay: Essay, outcome: _Outcome) -> None:
        add = outcome.findings.append
        if not essay.summary_written:  # the model's summary is then the first paragraph
            line = essay.line_of("summary")  # a summary line left blank, if any
            add(
                self.finding(
                    WARNING,
                    page,
                    essay,
                    "no summary: lists, search results and shared links show the first "
                    "paragraph instead",
                    line,
                    hint="add 'summary: ...' to the front matter: one or two sentences that "
                    "make the right reader want to read on",
                )
            )
        if not essay.tag_names:
            add(
                self.finding(
                    WARNING,
                    page,
                    essay,
                    "no tags: readers cannot find related essays from this one",
                    essay.line_of("tags"),
                    hint="add 'tags: [mentoring]' to the front matter",
                )
            )
        if not self._has_call_to_action(page, facts):
            add(
                self.finding(
                    WARNING,
                    page,
                    essay,
                    "no call to action: a reader of this essay has no link to write to you "
                    "or to reach your contact page",
                    essay.line_of("cta"),
                    hint="set contact.email in passivepress.yml, add content/pages/contact.md, "
                    "or remove 'cta: off'",
                )
            )

    def _has_call_to_action(self, page: _Html, facts: PageFacts) -> bool:
        """A mail link or a link to the contact page in the page's own content: the
        navigation's contact link, on every page, is not an invitation."""
        page_url = urljoin(self.base_url, page.path.lstrip("/"))
        contact = self.contact_path.rstrip("/") if self.contact_path is not None else None
        for href in facts.main_links:
            href = href.strip()
            if href.lower().startswith("mailto:"):
                return True
            if contact is not None:
                path = self._target_of(href, page, page_url).site_path  # "" off the site
                if path and path.rstrip("/") == contact:
                    return True
        return False

    # -- other hosts --------------------------------------------------------------------

    def check_external(self, *, timeout: float, concurrency: int) -> None:
        urls = sorted(self.external_refs)
        self.external_tried = len(urls)
        if not urls:
            return
        log.info("Checking %d external links ...", len(urls))
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            results = list(pool.map(lambda u: probe(u, timeout), urls))
        for url, problem in zip(urls, results, strict=True):
            if problem is None:
                continue
            for rel in sorted(self.external_refs[url]):
                page = self.pages[rel]
                item = self.items.get(page.path)
                self.findings.add(
                    self.finding(
                        WARNING,
                        page,
                        item,
                        f"external link {url}: {problem}",
                        self._line_of(item, url),
                        hint="if the page moved, link to its new address",
                    )
                )


def probe(url: str, timeout: float) -> str | None:
    """None when ``url`` answers, else what went wrong.

    One HEAD request (a GET when the server refuses HEAD). Only a failed connection is
    tried once more; a timeout or an HTTP error status is not, so a slow or unhappy host
    is never hammered.
    """
    for attempt in (1, 2):
        try:
            status = _status(url, "HEAD", timeout)
            if status in (405, 501):
                status = _status(url, "GET", timeout)
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return f"no answer within {timeout:g} s"
            if attempt == 1:
                continue
            return f"could not be reached ({exc.reason})"
        except (OSError, ValueError, http.client.HTTPException) as exc:
            if attempt == 1:
                continue
            return f"could not be reached ({exc})"
        if status >= 400:
            try:
                phrase = http.HTTPStatus(status).phrase
            except ValueError:
                phrase = ""
            return f"answered {status} {phrase}".rstrip()
        return None
    return None  # pragma: no cover - the loop always returns


def _status(url: str, method: str, timeout: float) -> int:
    request = urllib.request.Request(
        _ascii_url(url), method=method, headers={"User-Agent": _USER_AGENT, "Accept": "*/*"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def _ascii_url(url: str) -> str:
    """Non-ASCII paths percent-encoded and hosts in IDNA, as a browser sends them."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    netloc = host + (f":{parts.port}" if parts.port else "")
    safe = "/%:@!$&'()*+,;=~"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe + "?"),
            "",
        )
    )


# -- reading pages ----------------------------------------------------------------------


def _joined(base: str, ref: str, parts: SplitResult) -> SplitResult:
    """``urlsplit(urljoin(base, ref))`` given ``parts = urlsplit(ref)``: for a whole URL or a
    link from the root without dot segments, without joining (a check reads about 40
    links a page, and joining took most of the time spent on them)."""
    if ref.startswith("#"):  # this page
        return _split(base)._replace(fragment=parts.fragment)
    if "/." in ref or "\\" in ref:
        return urlsplit(urljoin(base, ref))
    if parts.scheme:
        if parts.scheme != _split(base).scheme or not parts.netloc:
            return urlsplit(urljoin(base, ref))
        return parts
    if parts.netloc:  # //host/path: the base's scheme
        return parts._replace(scheme=_split(base).scheme)
    if ref.startswith("/") and not ref.startswith("//"):
        root = _split(base)
        return parts._replace(scheme=root.scheme, netloc=root.netloc)
    return urlsplit(urljoin(base, ref))


@functools.lru_cache(maxsize=64)
def _split(base: str) -> SplitResult:
    return urlsplit(base)


def _reaches(fragment: str, ids: frozenset[str]) -> bool:
    """Whether a #fragment link finds its place on a page with these ids ("#top" scrolls
    to the top of any page, by HTML's rules for fragments)."""
    return fragment in ids or fragment.lower() == "top"


def _site_path(rel: str) -> str:
    """The site path an output file serves: index.html → /, a/index.html → /a/."""
    if rel == "index.html" or rel.endswith("/index.html"):
        return "/" + rel.removesuffix("index.html")
    return "/" + rel
