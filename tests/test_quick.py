"""Quick builds (passivepress.quick): after a CLI build, an edit to the body, title or
summary of a few essays, books or pages is built from the model the last build kept,
rendering only what shows the edit; anything that moves things around the site goes the
full way. Either way the output is, byte for byte, what a clean build makes.
"""

from __future__ import annotations

import itertools
import os
import pickle
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from conftest import CONFIG, NOW, Html, tree
from passivepress import forks, quick, uptodate
from passivepress.build import Builder, BuildOptions, BuildResult, build
from passivepress.cache import CACHE_DIR
from passivepress.errors import ContentError
from passivepress.report import Recorder

E8 = "content/essays/2024-01-08-e8.md"  # the newest essay (tagged career)
E4 = "content/essays/2024-01-04-e4.md"  # a career essay, related to e2, e6 and e8
E3 = "content/essays/2024-01-03-e3.md"  # its "Getting started" heading is linked to
E5 = "content/essays/2024-01-05-e5.md"  # a mentoring essay nobody links into

SITE = (
    CONFIG
    + "".join(
        f"""
-- content/essays/2024-01-{n:02d}-e{n}.md --
---
title: Essay {n}
date: 2024-01-{n:02d}
tags: [{"mentoring" if n % 2 else "career"}]
---
Body of essay {n}, with *emphasis*.

## Getting started

More text of essay {n}.
"""
        for n in range(1, 9)
    )
    + """
-- content/essays/2023-12-01-shelf.md --
---
title: Shelf
date: 2023-12-01
tags: [reading]
books: [the-book]
---
Read this:

```{book} the-book
```
-- content/essays/2023-11-01-pointer.md --
---
title: Pointer
date: 2023-11-01
tags: [reading]
---
See [how to start](/essays/e3/#getting-started).
-- content/books/the-book.md --
---
title: The Book
authors: [Ada Author]
---
About the book.
-- content/books/other-book.md --
---
title: Other Book
authors: [Bo Writer]
---
About the other book.
-- content/pages/about.md --
---
title: About
---
About me.
-- static/notes.txt --
Some notes.
"""
)

_clean_folders = itertools.count()


def cli_way(site: Path, out: Path, look: bool = False, **options) -> tuple[BuildResult, Recorder]:
    """A build as `passivepress build` makes it after its up-to-date check: with the
    scanned sources, so that it may take the quick way. ``look``: the scan has the output
    looked at, as the CLI's does (uptodate.Written)."""
    recorder = Recorder()
    options = {"now": NOW, "record_urls": False, **options}
    sources = uptodate.scan(site, look_at_output=look)
    try:
        result = build(site, BuildOptions(output=out, **options), recorder, sources)
    finally:
        if sources.written is not None:
            sources.written.close()
    return result, recorder


def clean(site: Path, tmp_path: Path) -> dict[str, bytes]:
    """Every file a clean build (no cache, nothing kept) makes of the site as it is now."""
    out = tmp_path / f"clean-{next(_clean_folders)}"
    Builder(site, BuildOptions(output=out, use_cache=False, now=NOW, record_urls=False)).build()
    return tree(out)


def assert_quick_again(site: Path, out: Path, tmp_path: Path, old: str, new: str) -> None:
    """After a full build that had to be: the next body edit of essay 8 goes quick again
    (the full build kept a model), and its output is a clean build's."""
    edit(site / E8, old, new)
    assert cli_way(site, out)[0].quick, "the full build kept a model again"
    assert tree(out) == clean(site, tmp_path)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def listed(page: Html) -> dict[str, str]:
    """The essays a list page shows: URL → the item's visible text."""
    return {
        page.links(item)[0]: page.text(item) for item in page.with_class("essay-item", "article")
    }


def feed_text(data: bytes, link: str) -> str:
    """The content of the feed entry that links to ``link`` (parsed by feedparser)."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    for entry in parsed.entries:
        if entry.link == link:
            return " ".join(c.value for c in entry.get("content", [])) or entry.summary
    raise AssertionError(f"no entry for {link}")


@pytest.fixture
def site(tmp_path: Path, make_site) -> Path:
    return make_site(tmp_path, SITE)


@pytest.fixture
def out(tmp_path: Path, site: Path) -> Path:
    """The output of a first, full CLI build of ``site``."""
    out = tmp_path / "out"
    result, _ = cli_way(site, out)
    assert not result.quick, "a first build has nothing kept to start from"
    return out


# -- what a quick build makes ----------------------------------------------------------------


def test_a_body_edit_of_the_newest_essay_renders_its_page_and_the_feeds(site, out, tmp_path):
    """A paragraph after the summary changes: the quick way renders the essay's page and
    the feeds that carry its body (site feeds and its tag's), nothing else, and the
    output is what a clean build makes."""
    before = tree(out)
    edit(site / E8, "More text of essay 8.", "Freshly rewritten text of essay 8.")
    result, recorder = cli_way(site, out)
    assert result.quick
    assert sorted(recorder.paths) == [
        "/atom.xml",
        "/essays/e8/",
        "/feed.xml",
        "/tags/career/feed.xml",
    ]
    assert result.rendered == 4
    assert "Freshly rewritten text" in Html((out / "essays/e8/index.html").read_bytes()).text()
    for feed in ("feed.xml", "atom.xml", "tags/career/feed.xml"):
        text = feed_text((out / feed).read_bytes(), "https://example.com/essays/e8/")
        assert "Freshly rewritten text" in text, feed
    after = tree(out)
    assert {rel for rel in after if after[rel] != before.get(rel)} == {
        "essays/e8/index.html",
        "feed.xml",
        "atom.xml",
        "tags/career/feed.xml",
    }
    assert after == clean(site, tmp_path)


def test_a_quick_build_leaves_a_record_so_nothing_changed_is_seen(site, tmp_path, cli):
    """After a quick build, `passivepress build` with no edit says nothing changed and
    touches no output."""
    assert cli("build", str(site)).code == 0
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    quick_build = cli("build", str(site), "-v")
    assert quick_build.code == 0 and "(the quick way" in quick_build.err
    mtimes = {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()}
    again = cli("build", str(site), "-v")
    assert again.code == 0 and "(nothing changed)" in again.err
    assert {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()} == mtimes
    assert tree(site / "_site") == clean(site, tmp_path)


def test_a_title_edit_reaches_lists_related_essays_and_the_social_card(site, out, tmp_path):
    """A new title is shown by the essay's page, the home page, the archive, its tag's
    page, the feeds, the pages of related essays that list it and its social card: the
    quick way renders exactly those, and they are what a clean build makes."""
    card = (out / "essays/e4/card.png").read_bytes()
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    result, recorder = cli_way(site, out)
    assert result.quick
    rendered = set(recorder.paths)
    assert {
        "/essays/e4/",
        "/essays/e4/card.png",
        "/",
        "/essays/",
        "/tags/career/",
        "/feed.xml",
        "/atom.xml",
        "/tags/career/feed.xml",
        "/essays/e2/",
        "/essays/e6/",
        "/essays/e8/",
    } <= rendered
    assert not {"/tags/mentoring/", "/essays/e1/", "/essays/e3/", "/essays/e5/"} & rendered
    assert not {"/essays/e7/", "/essays/shelf/", "/essays/pointer/", "/sitemap.xml"} & rendered

    page = Html((out / "essays/e4/index.html").read_bytes())
    assert page.title().startswith("Renamed four")
    for rel in ("index.html", "essays/index.html", "tags/career/index.html"):
        shown = listed(Html((out / rel).read_bytes()))
        assert shown["/essays/e4/"].startswith("Renamed four"), rel
    for n in (2, 6, 8):
        related = Html((out / f"essays/e{n}/index.html").read_bytes()).one("related")
        assert "Renamed four" in Html.text(page, related), f"related essays of e{n}"
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert "Renamed four" in [e.title for e in feed.entries]
    assert (out / "essays/e4/card.png").read_bytes() != card
    assert tree(out) == clean(site, tmp_path)


def test_a_reading_time_that_crosses_a_minute_updates_the_lists(site, out, tmp_path):
    """reading_time is derived from the word count: when it goes from 1 to 9 minutes, the
    lists showing it are rendered again, though the summary and title stay the same."""
    edit(site / E4, "More text of essay 4.", "More text of essay 4. " + "word " * 2000)
    result, recorder = cli_way(site, out)
    assert result.quick
    assert {"/essays/e4/", "/essays/", "/", "/tags/career/"} <= set(recorder.paths)
    for rel in ("index.html", "essays/index.html", "tags/career/index.html"):
        shown = listed(Html((out / rel).read_bytes()))
        assert "9 min read" in shown["/essays/e4/"], rel
        assert "1 min read" in shown["/essays/e6/"], rel
    assert tree(out) == clean(site, tmp_path)


def test_a_word_count_within_the_same_minute_leaves_the_lists_alone(site, out, tmp_path):
    """A few more words do not change the reading time: the lists are not rendered."""
    edit(site / E4, "More text of essay 4.", "More text of essay 4, a few words longer now.")
    result, recorder = cli_way(site, out)
    assert result.quick
    assert not {"/essays/", "/", "/tags/career/"} & set(recorder.paths)
    assert tree(out) == clean(site, tmp_path)


LEAF_EDITS = pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        pytest.param(E5, "## Getting started", "## Starting out", id="unlinked-heading"),
        pytest.param(E5, "title: Essay 5", "title: Essay 5\nsummary: Five in short.", id="summary"),
        pytest.param(E5, "title: Essay 5", "title: Essay 5\ncta: false", id="cta"),
        pytest.param("content/pages/about.md", "About me.", "All about me.", id="page-body"),
        pytest.param(
            "content/books/other-book.md", "About the other", "On the other", id="book-body"
        ),
        pytest.param(
            "content/books/other-book.md",
            "authors: [Bo Writer]",
            "authors: [Bo Writer, Cy Coauthor]",
            id="book-authors",
        ),
    ],
)


@LEAF_EDITS
def test_other_leaf_edits_go_quick_and_match_a_clean_build(site, out, tmp_path, path, old, new):
    """Leaf fields of essays, pages and books not embedded anywhere: the quick way, and
    the same bytes as a clean build."""
    edit(site / path, old, new)
    result, recorder = cli_way(site, out)
    assert result.quick
    assert recorder.paths
    assert tree(out) == clean(site, tmp_path)


# -- what takes the full way -----------------------------------------------------------------


def _add_essay(site: Path) -> None:
    (site / "content/essays/2024-02-01-new.md").write_text(
        "---\ntitle: New one\ndate: 2024-02-01\ntags: [career]\n---\nA new essay.\n"
    )


def _add_template(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/404.html").write_text("gone {{ site.title }}\n")


NOT_QUICK = {
    "date": lambda s: edit(s / E4, "date: 2024-01-04", "date: 2024-01-09"),
    "tags": lambda s: edit(s / E4, "tags: [career]", "tags: [mentoring]"),
    "slug": lambda s: edit(s / E4, "title: Essay 4", "title: Essay 4\nslug: four"),
    "draft": lambda s: edit(s / E4, "title: Essay 4", "title: Essay 4\ndraft: true"),
    "aliases": lambda s: edit(s / E4, "title: Essay 4", "title: Essay 4\naliases: [/four/]"),
    "image": lambda s: edit(s / E4, "title: Essay 4", "title: Essay 4\nimage: /images/four.png"),
    "books": lambda s: edit(s / E4, "title: Essay 4", "title: Essay 4\nbooks: [other-book]"),
    "new-essay": _add_essay,
    "deleted-essay": lambda s: (s / E4).unlink(),
    "config": lambda s: edit(s / "passivepress.yml", "title: Test Site", "title: Other Site"),
    "template": _add_template,
    "static-file": lambda s: edit(s / "static/notes.txt", "Some notes.", "Other notes."),
    "book-title": lambda s: edit(
        s / "content/books/other-book.md", "title: Other Book", "title: Zebra Book"
    ),
    "embedded-book": lambda s: edit(
        s / "content/books/the-book.md", "About the book.", "About the book, revised."
    ),
    "linked-heading": lambda s: edit(s / E3, "## Getting started", "## Getting going"),
}


@pytest.mark.parametrize("change", NOT_QUICK.values(), ids=NOT_QUICK.keys())
def test_a_change_that_moves_things_around_takes_the_full_way(site, out, tmp_path, change):
    """Each of these changes decides more than what shows one field (the order of lists,
    which pages exist, every page's frame, what a book card or a #fragment link points
    at). It comes with a body edit of another essay that alone would go quick; the build
    takes the full way and makes what a clean build makes."""
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    change(site)
    result, recorder = cli_way(site, out)
    assert not result.quick
    assert recorder.paths
    assert "Other text of essay 8." in (out / "essays/e8/index.html").read_text()
    assert tree(out) == clean(site, tmp_path)


@pytest.mark.parametrize("change", NOT_QUICK.values(), ids=NOT_QUICK.keys())
def test_a_change_that_moves_things_around_alone_takes_the_full_way(site, out, tmp_path, change):
    """The same changes alone: the full way, and the output of a clean build."""
    change(site)
    result, _ = cli_way(site, out)
    assert not result.quick
    assert tree(out) == clean(site, tmp_path)


# -- errors and warnings ---------------------------------------------------------------------


def test_broken_yaml_in_an_edited_essay_fails_and_writes_nothing(site, tmp_path, cli):
    """Bad input where a quick edit would be: the usual `file:line:column: message`, exit
    code 1, the output untouched; once fixed, the next build is right."""
    assert cli("build", str(site)).code == 0
    before = tree(site / "_site")
    edit(site / E8, "title: Essay 8", "title: [Essay 8")
    broken = cli("build", str(site), "-v")
    assert broken.code == 1
    assert f"{E8}:3:" in broken.err
    assert "could not parse YAML" in broken.err
    assert tree(site / "_site") == before
    edit(site / E8, "title: [Essay 8", "title: Essay 8")
    edit(site / E8, "More text of essay 8.", "Fixed text of essay 8.")
    fixed = cli("build", str(site), "-v")
    assert fixed.code == 0, fixed.err
    assert "Fixed text of essay 8." in (site / "_site/essays/e8/index.html").read_text()
    assert tree(site / "_site") == clean(site, tmp_path)


def test_an_unknown_book_in_an_edited_essay_fails_as_a_full_build_would(site, tmp_path, cli):
    """A reference the quick way cannot resolve: the full build reports it with its line."""
    assert cli("build", str(site)).code == 0
    before = tree(site / "_site")
    edit(site / E8, "More text of essay 8.", "More text of {book}`no-such-book`.")
    failed = cli("build", str(site))
    assert failed.code == 1
    assert f"{E8}:" in failed.err and "no-such-book" in failed.err
    assert tree(site / "_site") == before
    edit(site / E8, "More text of {book}`no-such-book`.", "More text of essay 8.")
    assert cli("build", str(site)).code == 0
    assert tree(site / "_site") == clean(site, tmp_path)


def test_a_broken_link_added_quickly_is_warned_about_and_strict_fails(site, tmp_path, cli):
    """A quick edit that adds a broken internal link: `--strict` fails (exit 1) and
    writes nothing; without it, the build goes quick and warns with file:line; a build
    with nothing changed repeats the same warnings, and `--strict` still fails."""
    assert cli("build", str(site)).code == 0
    before = tree(site / "_site")
    edit(site / E8, "More text of essay 8.", "More text, see [this](/essays/nope/).")
    line = (site / E8).read_text().split("\n").index("More text, see [this](/essays/nope/).") + 1
    where = f"{E8}:{line}: broken link"

    strict = cli("build", str(site), "--strict")
    assert strict.code == 1
    assert where in strict.err
    assert tree(site / "_site") == before, "a strict build that fails writes nothing"

    warned = cli("build", str(site), "-v")
    assert warned.code == 0
    assert "(the quick way" in warned.err
    assert where in warned.err
    assert "see this" in Html((site / "_site/essays/e8/index.html").read_bytes()).text()
    warnings = [line for line in warned.err.splitlines() if line.startswith("warning:")]
    assert warnings

    again = cli("build", str(site))
    assert again.code == 0 and "(nothing changed)" in again.err
    assert [line for line in again.err.splitlines() if line.startswith("warning:")] == warnings
    strict = cli("build", str(site), "--strict")
    assert strict.code == 1 and where in strict.err
    assert tree(site / "_site") == clean(site, tmp_path)


def test_a_quick_build_keeps_the_warnings_of_files_it_did_not_read(site, out, tmp_path):
    """Warnings of other files, kept in parts, are reported by a quick build as a full
    build reports them, in the same order; fixing the edited file's own warning drops it."""
    edit(site / E5, "More text of essay 5.", "See [gone](/essays/gone/).")
    _, first_rec = cli_way(site, out)
    assert len(first_rec.warnings) == 1
    edit(site / E8, "More text of essay 8.", "See [nope](/essays/nope/).")
    second, second_rec = cli_way(site, out)
    assert second.quick
    reference = Recorder()
    Builder(
        site,
        BuildOptions(output=tmp_path / "ref", use_cache=False, now=NOW, record_urls=False),
        reference,
    ).build()
    assert [str(w) for w in second_rec.warnings] == [str(w) for w in reference.warnings]
    assert len(second_rec.warnings) == 2
    edit(site / E8, "See [nope](/essays/nope/).", "More text of essay 8.")
    third, third_rec = cli_way(site, out)
    assert third.quick
    assert [str(w) for w in third_rec.warnings] == [str(w) for w in first_rec.warnings]
    assert tree(out) == clean(site, tmp_path)


# -- the journal of quick builds -------------------------------------------------------------


def test_a_full_build_after_a_quick_one_then_a_revert_matches_clean(site, out, tmp_path):
    """A quick title edit, a full build for another change, then the title put back as it
    was: each step makes what a clean build makes. (Titles of the same length: the pages
    showing them keep their size, so a stale record of one would look as written.)"""
    original = (site / E4).read_bytes()
    edit(site / E4, "title: Essay 4", "title: Essay Q")
    assert cli_way(site, out)[0].quick
    assert tree(out) == clean(site, tmp_path)

    edit(site / E5, "tags: [mentoring]", "tags: [mentoring, career]")
    assert not cli_way(site, out)[0].quick
    assert tree(out) == clean(site, tmp_path)

    (site / E4).write_bytes(original)
    cli_way(site, out)
    assert "Essay Q" not in (out / "essays/index.html").read_text()
    assert tree(out) == clean(site, tmp_path)


def test_a_revert_built_the_full_way_does_not_trust_outputs_a_quick_build_rewrote(
    site, out, tmp_path
):
    """The full build's records predate the quick build. The title put back to the bytes
    those records were made from, in the same build as a static file change (which takes
    the full way and shows no title), must not leave the quick build's pages in place:
    they have the size the records say (a title of the same length) and were written
    within the second the records allow."""
    original = (site / E4).read_bytes()
    edit(site / E4, "title: Essay 4", "title: Essay Q")
    assert cli_way(site, out)[0].quick
    assert "Essay Q" in (out / "essays/index.html").read_text()
    (site / E4).write_bytes(original)
    edit(site / "static/notes.txt", "Some notes.", "Other notes.")
    result, _ = cli_way(site, out)
    assert not result.quick
    for rel in ("essays/e4/index.html", "essays/index.html", "index.html", "essays/e2/index.html"):
        assert "Essay Q" not in (out / rel).read_text(), rel
    assert tree(out) == clean(site, tmp_path)


def test_two_quick_edits_of_one_essay_then_a_revert_match_clean(site, out, tmp_path):
    """Quick builds on top of quick builds (the journal's changes on top of the kept
    model): two edits of the same essay and a return to its first text all go quick, and
    each makes what a clean build makes."""
    original = (site / E4).read_bytes()
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    assert cli_way(site, out)[0].quick
    assert tree(out) == clean(site, tmp_path)
    edit(site / E4, "More text of essay 4.", "More text of essay 4. " + "word " * 2000)
    assert cli_way(site, out)[0].quick
    assert tree(out) == clean(site, tmp_path)
    (site / E4).write_bytes(original)
    assert cli_way(site, out)[0].quick
    assert tree(out) == clean(site, tmp_path)


def test_quick_edits_of_two_essays_in_turn_both_stay_in_the_output(site, out, tmp_path):
    """A second quick build starts from the journal of the first: the first edit is not
    lost from the pages both edits show."""
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    assert cli_way(site, out)[0].quick
    edit(site / E8, "title: Essay 8", "title: Renamed eight")
    assert cli_way(site, out)[0].quick
    shown = listed(Html((out / "tags/career/index.html").read_bytes()))
    assert shown["/essays/e4/"].startswith("Renamed four")
    assert shown["/essays/e8/"].startswith("Renamed eight")
    assert tree(out) == clean(site, tmp_path)


class _Killed(BaseException):
    """The process killed (or a Ctrl-C): not caught by the build, and nothing of quick.py
    runs after it, not even the removal of a temporary file."""


class _OsStoppingAt:
    """The os module as quick.py sees it, whose ``n``-th os.replace raises ``error``."""

    def __init__(self, n: int, error: BaseException) -> None:
        self.calls, self.n, self.error, self.stopped = 0, n, error, False

    def _alive(self) -> None:
        if self.stopped and isinstance(self.error, _Killed):
            raise self.error

    def replace(self, src, dst):
        self._alive()
        self.calls += 1
        if self.calls == self.n:
            self.stopped = True
            raise self.error
        return os.replace(src, dst)

    def unlink(self, path):
        self._alive()
        return os.unlink(path)

    def __getattr__(self, name):
        return getattr(os, name)


def test_a_quick_build_killed_while_writing_is_followed_by_a_full_one(
    site, out, tmp_path, monkeypatch
):
    """Killed after the journal said "writing", one output replaced and the next one's
    temporary file written: the next build goes the full way, makes again what the quick
    one wrote, removes the temporary file and matches a clean build."""
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    # Call 1 writes the journal, call 2 moves the first output into place, call 3 is killed.
    monkeypatch.setattr(quick, "os", _OsStoppingAt(3, _Killed()))
    with pytest.raises(_Killed):
        cli_way(site, out)
    monkeypatch.undo()
    assert [p.name for p in out.rglob("*.tmp")], "the kill left a temporary file behind"
    journal = pickle.loads((site / CACHE_DIR / quick.JOURNAL).read_bytes())
    assert journal.done is False
    result, _ = cli_way(site, out)
    assert not result.quick
    assert tree(out) == clean(site, tmp_path)
    assert_quick_again(site, out, tmp_path, "More text of essay 8.", "Other text of essay 8.")


def test_a_quick_build_that_fails_while_writing_finishes_the_full_way(
    site, out, tmp_path, monkeypatch
):
    """An OSError while the quick way writes: the same build goes on the full way and
    the output is right; so is the next quick-eligible build."""
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    monkeypatch.setattr(quick, "os", _OsStoppingAt(3, OSError("disk full")))
    result, _ = cli_way(site, out)
    monkeypatch.undo()
    assert not result.quick
    assert tree(out) == clean(site, tmp_path)
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    cli_way(site, out)
    assert tree(out) == clean(site, tmp_path)


def test_a_journal_left_writing_means_a_full_build(site, out, tmp_path):
    """A journal of this keeping that says done=False (as a quick build stopped while
    writing leaves it; written with quick's own functions): the next build does not go
    quick, and renders again the outputs the journal names."""
    kept = quick._Quick(site, BuildOptions(), Recorder(), uptodate.scan(site), 0.0)
    fh, state = kept._open()
    fh.close()
    kept._save_journal(quick.Journal(state.ident, done=False, rewritten={"essays/e4/index.html"}))
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    result, recorder = cli_way(site, out)
    assert not result.quick
    assert {"/essays/e8/", "/essays/e4/"} <= set(recorder.paths)
    assert tree(out) == clean(site, tmp_path)


# -- what quick builds must not trust --------------------------------------------------------


# The output looked at here, or (as the CLI has it for big sites) by a copy of the process
# forked while the sources are scanned.
LOOKS = pytest.mark.parametrize("look", [False, True], ids=["here", "by-a-forked-copy"])


@pytest.fixture
def always_fork(monkeypatch):
    monkeypatch.setattr(uptodate, "_FORK_FROM", 0)


@LOOKS
def test_a_tampered_output_with_an_edit_goes_the_full_way_and_is_repaired(
    site, out, tmp_path, look, always_fork
):
    """An output file edited by hand, unrelated to the essay edited: the build notices,
    goes the full way and writes that file again."""
    (out / "essays/e1/index.html").write_text("tampered")
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    result, _ = cli_way(site, out, look=look)
    assert not result.quick
    assert "Essay 1" in Html((out / "essays/e1/index.html").read_bytes()).title()
    assert tree(out) == clean(site, tmp_path)


@LOOKS
def test_a_deleted_output_with_an_edit_goes_the_full_way_and_is_repaired(
    site, out, tmp_path, look, always_fork
):
    """An output file removed by hand, with an essay edit: the full way makes it again."""
    (out / "tags/mentoring/index.html").unlink()
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    result, _ = cli_way(site, out, look=look)
    assert not result.quick
    assert tree(out) == clean(site, tmp_path)


def _looks_only_in_a_copy(monkeypatch) -> list[int]:
    """uptodate.changed_file made to fail in this process: only a forked copy may look.
    Gives the pids of the copies forked."""
    parent, real = os.getpid(), uptodate.changed_file
    forked: list[int] = []
    fork = forks._fork

    def changed_file(output, files):
        assert os.getpid() != parent, "the output was looked at in the build's own process"
        return real(output, files)

    def recording_fork(call):
        pid, fd = fork(call)
        forked.append(pid)
        return pid, fd

    monkeypatch.setattr(uptodate, "changed_file", changed_file)
    monkeypatch.setattr(forks, "_fork", recording_fork)
    return forked


def test_the_forked_copy_s_look_at_the_output_serves_the_quick_way(
    site, out, tmp_path, always_fork, monkeypatch
):
    """With the output looked at by a copy forked during the scan, the quick build takes
    its answer (it stats nothing itself), and the copy is reaped."""
    forked = _looks_only_in_a_copy(monkeypatch)
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    result, _ = cli_way(site, out, look=True)
    assert result.quick
    assert tree(out) == clean(site, tmp_path)
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)


def test_a_copy_that_dies_before_answering_leaves_the_look_to_the_build(
    site, out, tmp_path, always_fork, monkeypatch
):
    """The copy killed (out of memory, say) before it answers: the build looks itself."""
    parent, real = os.getpid(), uptodate.changed_file
    looked_here = []

    def changed_file(output, files):
        if os.getpid() != parent:
            os._exit(3)
        looked_here.append(output)
        return real(output, files)

    monkeypatch.setattr(uptodate, "changed_file", changed_file)
    (out / "essays/e1/index.html").write_text("tampered")
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    result, _ = cli_way(site, out, look=True)
    assert not result.quick, "the tampered file was seen all the same"
    assert looked_here == [str(out.resolve())]
    assert tree(out) == clean(site, tmp_path)


def test_a_lost_markdown_cache_still_builds_the_edit_right(site, out, tmp_path):
    """The Markdown cache holds the bodies quick builds show: without it the build still
    makes what a clean build makes (the quick way renders again or steps aside)."""
    dbs = list((site / CACHE_DIR).glob("markdown-*.sqlite"))
    assert dbs
    for db in dbs:
        db.unlink()
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    cli_way(site, out)
    assert tree(out) == clean(site, tmp_path)
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    cli_way(site, out)
    assert tree(out) == clean(site, tmp_path)


@pytest.mark.parametrize("garbage", [b"", b"not a pickle at all", b"\x80\x05garbage"])
def test_a_corrupt_kept_model_means_a_full_build(site, out, tmp_path, garbage):
    """quick.pickle empty or garbage: the full way, the right output, and a model kept
    again for the next edit to go quick."""
    (site / CACHE_DIR / quick.FILE).write_bytes(garbage)
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    result, _ = cli_way(site, out)
    assert not result.quick
    assert tree(out) == clean(site, tmp_path)
    assert_quick_again(site, out, tmp_path, "Other text of essay 8.", "Third text of essay 8.")


def test_a_corrupt_journal_means_a_full_build_that_trusts_no_record(site, out, tmp_path):
    """An unreadable journal after a quick build: which outputs it rewrote is unknown, so
    the next build goes full and the title put back shows everywhere again."""
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    assert cli_way(site, out)[0].quick
    (site / CACHE_DIR / quick.JOURNAL).write_bytes(b"garbage")
    edit(site / E4, "title: Renamed four", "title: Essay 4")
    result, _ = cli_way(site, out)
    assert not result.quick
    assert tree(out) == clean(site, tmp_path)


def test_other_build_options_do_not_go_quick(site, out, tmp_path):
    """The kept model is of one set of options: a build with drafts shown goes full."""
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    result, _ = cli_way(site, out, drafts=True)
    assert not result.quick
    assert "Other text of essay 8." in (out / "essays/e8/index.html").read_text()


def test_the_clean_flag_never_goes_quick(site, tmp_path, cli):
    """`passivepress build --clean` after a quick-eligible edit builds the full way."""
    assert cli("build", str(site)).code == 0
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    built = cli("build", str(site), "--clean", "-v")
    assert built.code == 0 and "(the quick way" not in built.err
    assert tree(site / "_site") == clean(site, tmp_path)


# -- the console command ---------------------------------------------------------------------


def test_the_console_command_says_it_took_the_quick_way(site, tmp_path):
    """`python -m passivepress build -v` in its own process, as an author runs it."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "passivepress", "build", str(site), "-v"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    first = run()
    assert first.returncode == 0, first.stderr
    assert "(the quick way" not in first.stderr
    edit(site / E8, "More text of essay 8.", "Other text of essay 8.")
    second = run()
    assert second.returncode == 0, second.stderr
    assert "(the quick way" in second.stderr
    assert "Other text of essay 8." in (site / "_site/essays/e8/index.html").read_text()
    assert tree(site / "_site") == clean(site, tmp_path)


def test_routes_planned_for_some_urls_are_those_of_the_whole_plan(tmp_path: Path) -> None:
    """routes.plan(only=...), which quick builds use, makes each asked-for route exactly as
    the whole plan does: the same file, template and context (compared as the full build
    compares recipes), the same feed contents."""
    from passivepress import routes
    from passivepress.build import social_cards
    from passivepress.changes import _recipe_token
    from passivepress.theme import Theme

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from corpus import generate

    site_dir = tmp_path / "site"
    generate(site_dir, essays=30, books=4)
    site = Builder(site_dir, BuildOptions(output=tmp_path / "out", use_cache=False, now=NOW))
    model = site.build().site
    assert model is not None
    menu = [("About", "/about/")]
    cards = social_cards(Theme(site_dir.resolve(), model.config), model.config)
    whole = [r for r in routes.plan(model, menu, cards) if r.path != "/sitemap.xml"]
    assert len(whole) > 90 and any(r.kind == "image" for r in whole)
    for route in whole:
        (alone,) = routes.plan(model, menu, cards, only=frozenset({route.path}))
        assert (alone.file, alone.template, alone.kind) == (route.file, route.template, route.kind)
        if route.context is not None:
            assert alone.context is not None
            assert _recipe_token(alone.context.args) == _recipe_token(route.context.args)
        else:
            assert alone.produce is not None and route.produce is not None
            assert alone.produce() == route.produce(), route.path
    with pytest.raises(ValueError):
        routes.plan(model, menu, only=frozenset({"/sitemap.xml"}))


def test_the_kept_model_reads_back_field_for_field(tmp_path: Path) -> None:
    """What a full build keeps for quick builds (the linked model, most of each item's
    fields packed aside) reads back as the model it was: every field of every item, links
    by key, bodies by their HTML; a packed field is never answered by a class default."""
    import dataclasses

    from passivepress.cache import MarkdownStore
    from passivepress.changes import same
    from passivepress.model import Essay

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from corpus import generate

    site_dir = tmp_path / "site"
    generate(site_dir, essays=20, books=4)
    options = BuildOptions(output=tmp_path / "out", now=NOW)
    result = build(site_dir, options, Recorder(), uptodate.scan(site_dir))
    assert result.site is not None and not result.quick
    folder = site_dir / CACHE_DIR
    with (folder / quick.FILE).open("rb") as fh:
        pickle.load(fh)
        kept = pickle.load(fh)
        pickle.load(fh)  # the reverse index
        store = MarkdownStore(site_dir.resolve())
        quick._Bodies.store = store
        try:
            site, _ = quick._load_model(fh, quick._Items(folder / quick.ITEMS, kept.ident))
            before = {o.key: o for o in (*result.site.essays, *result.site.books)}
            after = {o.key: o for o in (*site.essays, *site.books)}
            assert before.keys() == after.keys()
            for key, old in before.items():
                new = after[key]
                assert "_packed" in vars(new)  # still packed until a field is read
                for f in dataclasses.fields(old):
                    value = getattr(new, f.name)
                    if f.name == "html":
                        assert str(value) == str(old.html), key
                    else:
                        assert same(getattr(old, f.name), value), (key, f.name)
            assert not any(name in vars(Essay) for name in Essay.__dataclass_fields__)
        finally:
            quick._Bodies.store = None
            store.close()


def test_an_updated_date_goes_quick_and_rewrites_the_sitemap(site, out, tmp_path):
    """``updated:`` shows on the essay's page, in the feeds and in the sitemap's lastmod,
    not in the order of anything: a quick build rewrites the sitemap from the entries the
    last full build kept, and the output is a clean build's, twice in a row."""
    cli_way(site, out)
    edit(site / E4, "title: Essay 4", "title: Essay 4\nupdated: 2024-02-01")
    result, recorder = cli_way(site, out)
    assert result.quick
    assert "/sitemap.xml" in recorder.paths and "/essays/e4/" in recorder.paths
    assert (
        "<loc>https://example.com/essays/e4/</loc><lastmod>2024-02-01T00:00:00+00:00"
        in (out / "sitemap.xml").read_text()
    )
    assert tree(out) == clean(site, tmp_path)
    edit(site / E4, "updated: 2024-02-01", "updated: 2024-03-01")
    result, _ = cli_way(site, out)
    assert result.quick
    assert tree(out) == clean(site, tmp_path)


def test_a_book_title_that_keeps_its_place_on_the_shelf_goes_quick(site, out, tmp_path):
    """A book's title orders the shelf; retitled in place ("Other Book" stays before "The
    Book"), only the pages showing it change: its page, the shelf, the essays listing it."""
    cli_way(site, out)
    edit(site / "content/books/other-book.md", "title: Other Book", "title: Another Book")
    result, recorder = cli_way(site, out)
    assert result.quick
    assert "/books/other-book/" in recorder.paths and "/books/" in recorder.paths
    assert tree(out) == clean(site, tmp_path)


def test_an_essay_image_changed_for_another_goes_quick(site, out, tmp_path):
    """An essay with an image of its own has no social card: another image changes its
    page (and what lists it show), not the site's routes; a missing file still warns."""
    edit(site / E4, "title: Essay 4", "title: Essay 4\nimage: https://img.example/a.png")
    cli_way(site, out)
    edit(site / E4, "https://img.example/a.png", "/images/missing.png")
    result, recorder = cli_way(site, out)
    assert result.quick
    assert "/essays/e4/" in recorder.paths
    assert any("missing image" in w.message for w in result.warnings)
    assert tree(out) == clean(site, tmp_path)


def test_a_new_draft_goes_quick_and_changes_nothing_but_warnings(site, out, tmp_path):
    """`passivepress new essay` writes a draft: a build that does not show drafts reads
    and checks it (warnings and errors as always), writes nothing, and stays quick while
    it is edited; publishing it takes the full way. The output is a clean build's each
    time."""
    cli_way(site, out)
    before = tree(out)
    draft = site / "content/essays/2024-02-01-draft.md"
    draft.write_text("---\ntitle: Draft\ndate: 2024-02-01\ndraft: true\nsumary: x\n---\nSoon.\n")
    result, recorder = cli_way(site, out)
    assert result.quick and not recorder.paths
    assert any(str(w.path).endswith("2024-02-01-draft.md") for w in result.warnings)
    assert tree(out) == before == clean(site, tmp_path)
    edit(draft, "Soon.", "Soon, with more.")
    result, recorder = cli_way(site, out)
    assert result.quick and not recorder.paths
    edit(draft, "Soon, with more.", "Soon, with {book}`no-such-book`.")
    with pytest.raises(ContentError, match="no-such-book"):  # as a full build says it
        cli_way(site, out)
    edit(draft, "Soon, with {book}`no-such-book`.", "Published.")
    edit(draft, "draft: true", "draft: false")
    result, recorder = cli_way(site, out)
    assert not result.quick and "/essays/draft/" in recorder.paths
    assert tree(out) == clean(site, tmp_path)


def test_a_deleted_draft_goes_quick_and_a_deleted_essay_does_not(site, out, tmp_path):
    """A draft the site never showed can go without a full build (its warnings go with
    it); a published essay deleted takes the full way. Clean builds agree each time."""
    draft = site / "content/essays/2024-02-01-draft.md"
    draft.write_text("---\ntitle: Draft\ndate: 2024-02-01\ndraft: true\nsumary: x\n---\nSoon.\n")
    result, _ = cli_way(site, out)
    assert any(str(w.path).endswith("2024-02-01-draft.md") for w in result.warnings)
    draft.unlink()
    result, recorder = cli_way(site, out)
    assert result.quick and not recorder.paths
    assert not any(str(w.path).endswith("2024-02-01-draft.md") for w in result.warnings)
    assert tree(out) == clean(site, tmp_path)
    draft.write_text("---\ntitle: Draft\ndate: 2024-02-01\ndraft: true\n---\nBack.\n")
    result, _ = cli_way(site, out)
    assert result.quick
    (site / E4).unlink()
    result, _ = cli_way(site, out)
    assert not result.quick
    assert tree(out) == clean(site, tmp_path)


def test_a_date_that_keeps_the_essay_in_its_place_goes_quick(site, out, tmp_path):
    """A later hour on the same day keeps essay 4 between essays 3 and 5: every list stays
    as it is; its page, what shows its date, the feeds and the sitemap change."""
    cli_way(site, out)
    edit(site / E4, "date: 2024-01-04", "date: 2024-01-04 18:30")
    result, recorder = cli_way(site, out)
    assert result.quick
    assert {"/essays/e4/", "/sitemap.xml", "/feed.xml"} <= set(recorder.paths)
    assert tree(out) == clean(site, tmp_path)


def test_a_model_kept_by_a_forked_copy_serves_the_next_edit(tmp_path, make_site, monkeypatch):
    """A big enough build keeps the model for quick builds in a forked copy of itself
    while it writes its own cache; the next edit goes quick from it all the same."""
    from passivepress import forks

    calls: list[int] = []
    real = forks.together

    def together(*calls_made):
        calls.append(len(calls_made))
        return real(*calls_made)

    monkeypatch.setattr(forks, "together", together)
    essays = "".join(
        f"-- content/essays/2024-02-{n % 28 + 1:02d}-m{n}.md --\n---\ntitle: More {n}\n"
        f"date: 2024-02-{n % 28 + 1:02d}\n---\nMore body {n}.\n"
        for n in range(40)
    )
    site = make_site(tmp_path, SITE + essays)
    out = tmp_path / "out"
    result, _ = cli_way(site, out, jobs=2)
    # The outputs shared between two processes, then the cache and the kept model.
    assert (result.processes, calls) == (2, [2, 2])
    assert (site / CACHE_DIR / quick.FILE).is_file()
    assert_quick_again(site, out, tmp_path, "with *emphasis*", "with *stress*")


def test_an_edit_beside_a_code_block_takes_it_from_the_cache_without_pygments(make_site, tmp_path):
    """The full build keeps every highlighted code block; a quick build of a prose edit in
    an essay with code finds its blocks there and never loads Pygments (whose lexers cost
    20-50 ms, most of such a build). Its output is a clean build's."""
    site = make_site(
        tmp_path / "code",
        CONFIG
        + """
-- content/essays/2024-01-02-code.md --
---
title: Code
date: 2024-01-02
---
Some prose.

```python
def greet(name):
    return f"Hello, {name}"
```

```rust
fn main() {}
```
"""
        + "".join(
            f"\n-- content/essays/2024-01-{n:02d}-e{n}.md --\n---\ntitle: Essay {n}\n"
            f"date: 2024-01-{n:02d}\n---\nText {n}.\n"
            for n in range(3, 6)
        ),
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    # The build as the console command runs it, then the modules it loaded.
    program = (
        "import sys\n"
        "from passivepress import cli\n"
        "code = cli.main(['build', sys.argv[1], '-v'])\n"
        # (The package module itself, only a version and three functions, gives the key.)
        "print(sorted(m for m in sys.modules if m.startswith('pygments.')))\n"
        "sys.exit(code)\n"
    )

    def run() -> tuple[str, list[str]]:
        done = subprocess.run(
            [sys.executable, "-c", program, str(site)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr, eval(done.stdout.strip().splitlines()[-1])

    err, loaded = run()
    assert "(the quick way" not in err
    edit(site / "content/essays/2024-01-02-code.md", "Some prose.", "Some other prose.")
    err, loaded = run()
    assert "(the quick way" in err
    assert loaded == [], "a quick build of a prose edit loaded Pygments"
    page = Html((site / "_site/essays/code/index.html").read_bytes())
    keywords = [s.text for s in page.root.iter("span") if s.get("class") == "k"]
    assert keywords == ["def", "return", "fn"]
    assert tree(site / "_site") == clean(site, tmp_path)
    # Code that changed is highlighted again, the quick way.
    edit(site / "content/essays/2024-01-02-code.md", "fn main() {}", "fn main() { loop {} }")
    err, loaded = run()
    assert "(the quick way" in err and "pygments.lexers.rust" in loaded
    assert tree(site / "_site") == clean(site, tmp_path)


# -- the preview -----------------------------------------------------------------------------


def preview_builder(site: Path, out: Path, recorder: Recorder | None = None) -> Builder:
    """The builder `passivepress serve` keeps, after its first build."""
    options = BuildOptions(output=out, preview=True, now=NOW, record_urls=False)
    builder = Builder(site, options, recorder)
    builder.build()
    return builder


def fresh_preview(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / f"fresh-{next(_clean_folders)}"
    Builder(site, BuildOptions(output=out, preview=True, now=NOW, record_urls=False)).build()
    return tree(out)


def test_the_preview_builds_a_save_the_quick_way_from_its_model_in_memory(site, tmp_path):
    """A preview told which files were saved builds an edit of a body or title the quick
    way (its kept model is the one in memory), renders what shows it, and makes what a
    fresh preview makes; a save of the same bytes renders nothing."""
    recorder = Recorder()
    out = tmp_path / "preview"
    builder = preview_builder(site, out, recorder)
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    recorder.paths.clear()
    result = builder.build(changed=[E4])
    assert result.quick
    assert "/essays/e4/" in recorder.paths and "/essays/e2/" in recorder.paths  # related
    assert "/essays/e5/" not in recorder.paths
    assert tree(out) == fresh_preview(site, tmp_path)
    edit(site / E4, "More text of essay 4.", "Other text of essay 4.")
    assert builder.build(changed=[E4]).quick
    assert tree(out) == fresh_preview(site, tmp_path)
    recorder.paths.clear()
    same = builder.build(changed=[E4])
    assert same.quick and same.rendered == 0 and recorder.paths == []


def test_the_preview_makes_again_what_quick_builds_rewrote_at_its_next_full_build(site, tmp_path):
    """Outputs a quick build rewrote read what their recorded reads may not say: the next
    full build makes them again, though nothing they show changed since."""
    recorder = Recorder()
    out = tmp_path / "preview"
    builder = preview_builder(site, out, recorder)
    edit(site / E4, "More text of essay 4.", "Other text of essay 4.")
    assert builder.build(changed=[E4]).quick
    edit(site / E5, "tags: [mentoring]", "tags: [mentoring, fresh]")  # moves things around
    recorder.paths.clear()
    assert not builder.build(changed=[E5]).quick
    assert "/essays/e4/" in recorder.paths
    assert tree(out) == fresh_preview(site, tmp_path)
    recorder.paths.clear()
    edit(site / E5, "tags: [mentoring, fresh]", "tags: [mentoring]")
    assert not builder.build(changed=[E5]).quick
    assert "/essays/e4/" not in recorder.paths, "made again once, not at every full build"


def test_a_quick_preview_build_that_fails_leaves_the_model_as_it_was(site, tmp_path, monkeypatch):
    """A quick build that stops after patching the model in memory (here: rendering fails)
    puts it back, so the full build that follows still sees the title change and shows it
    on every page that lists the essay."""
    out = tmp_path / "preview"
    builder = preview_builder(site, out)
    real_render = quick._Quick._render

    def failing(self, plan, env, config):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(quick._Quick, "_render", failing)
    edit(site / E4, "title: Essay 4", "title: Renamed four")
    assert not builder.build(changed=[E4]).quick
    assert tree(out) == fresh_preview(site, tmp_path)
    monkeypatch.setattr(quick._Quick, "_render", real_render)
    edit(site / E4, "title: Renamed four", "title: Essay 4")
    assert builder.build(changed=[E4]).quick
    assert tree(out) == fresh_preview(site, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        "other file",  # not an essay, book or page
        "new essay",
        "deleted essay",
        "broken yaml",
    ],
)
def test_the_preview_takes_the_full_way_when_a_save_moves_things_around(site, tmp_path, change):
    out = tmp_path / "preview"
    builder = preview_builder(site, out)
    if change == "other file":
        (site / "static/notes.txt").write_text("Other notes.\n")
        names = ["static/notes.txt"]
    elif change == "new essay":
        _add_essay(site)
        names = ["content/essays/2024-02-01-new.md"]
    elif change == "deleted essay":
        (site / E5).unlink()
        names = [E5]
    else:
        edit(site / E4, "title: Essay 4", "title: [unclosed")
        names = [E4]
        with pytest.raises(ContentError):
            builder.build(changed=names)
        edit(site / E4, "title: [unclosed", "title: Essay 4")
    assert not builder.build(changed=names).quick
    assert tree(out) == fresh_preview(site, tmp_path)


def test_the_preview_takes_the_full_way_when_many_files_were_saved(site, tmp_path, monkeypatch):
    """More saved files than a quick build takes (a branch checked out, say): the full
    way, which makes what a fresh preview makes."""
    out = tmp_path / "preview"
    builder = preview_builder(site, out)
    monkeypatch.setattr(quick, "MAX_FILES", 2)
    for path in (E3, E4, E8):
        edit(site / path, "More text of essay", "Other text of essay")
    assert not builder.build(changed=[E3, E4, E8]).quick
    assert tree(out) == fresh_preview(site, tmp_path)
    edit(site / E4, "Other text of essay", "Third text of essay")
    assert builder.build(changed=[E4]).quick, "the full build kept a model again"
    assert tree(out) == fresh_preview(site, tmp_path)


@LEAF_EDITS
def test_the_preview_builds_other_leaf_edits_the_quick_way(site, tmp_path, path, old, new):
    """The same edits of pages and books in the preview: the quick way, and what a fresh
    preview makes."""
    out = tmp_path / "preview"
    builder = preview_builder(site, out)
    edit(site / path, old, new)
    assert builder.build(changed=[path]).quick
    assert tree(out) == fresh_preview(site, tmp_path)
