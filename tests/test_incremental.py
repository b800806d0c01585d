"""CLI builds remember what they did (in .passivepress/cache/) and redo only what changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from conftest import CONFIG, NOW, tree
from passivepress.build import Builder, BuildOptions
from passivepress.changes import same
from passivepress.report import Recorder

SITE = CONFIG + "".join(
    f"""
-- content/essays/2024-01-{n:02d}-e{n}.md --
---
title: Essay {n}
date: 2024-01-{n:02d}
tags: [{"mentoring" if n % 2 else "career"}]
---
Body of essay {n}, with *emphasis*.
"""
    for n in range(1, 13)
)


def test_a_second_build_renders_nothing_and_parses_no_markdown(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    first = build_site(site, record_urls=False)
    assert first.result.markdown_rendered == 12
    second = build_site(site, record_urls=False)
    assert second.result.rendered == 0
    assert second.result.markdown_rendered == 0
    assert second.recorder.paths == []
    assert second.files() == first.files()


def test_editing_one_essay_renders_it_and_what_shows_it(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    build_site(site, record_urls=False)
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text().replace("Body of essay 5", "New body of essay 5"))
    again = build_site(site, record_urls=False)
    assert again.result.markdown_rendered == 1
    rendered = set(again.recorder.paths)
    assert "/essays/e5/" in rendered
    assert not {f"/essays/e{n}/" for n in range(1, 13) if n != 5} & rendered
    # The body is in the feeds, not on the lists (they show the summary).
    assert {"/feed.xml", "/atom.xml", "/tags/mentoring/feed.xml"} <= rendered


def test_a_new_title_reaches_every_page_that_shows_it(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    build_site(site, record_urls=False)
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text().replace("title: Essay 5", "title: Renamed five"))
    again = build_site(site, record_urls=False)
    rendered = set(again.recorder.paths)
    assert {"/essays/e5/", "/essays/", "/tags/mentoring/"} <= rendered
    assert "/tags/career/" not in rendered, "essay 5 is not tagged career"
    assert "Renamed five" in again.html("/essays/").text()


def test_the_cache_can_be_deleted_and_clean_ignores_it(tmp_path, make_site, build_site, cli):
    import shutil

    site = make_site(tmp_path, SITE)
    first = build_site(site, record_urls=False)
    shutil.rmtree(site / ".passivepress")
    again = build_site(site, record_urls=False)
    assert again.result.markdown_rendered == 12
    assert again.files() == first.files()
    assert cli("build", str(site), "--clean").code == 0


# -- the preview: the previous build's model is kept in memory and compared --------------

BOOK = """
-- content/books/the-book.md --
---
title: The Book
authors: [Ada Author]
own: true
---
About the book.
"""


def preview_builder(site, out):
    recorder = Recorder()
    options = BuildOptions(output=out, preview=True, now=NOW, record_urls=False)
    return Builder(site, options, recorder), recorder


def rebuild(builder, recorder):
    recorder.paths.clear()
    builder.build()
    return set(recorder.paths)


def test_preview_renders_only_what_read_a_changed_value(tmp_path, make_site):
    site = make_site(tmp_path, SITE)
    builder, recorder = preview_builder(site, tmp_path / "out")
    builder.build()
    assert rebuild(builder, recorder) == set(), "nothing changed, nothing rendered"

    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text() + "\nA second paragraph.\n")
    rendered = rebuild(builder, recorder)
    assert "/essays/e5/" in rendered
    assert {"/feed.xml", "/atom.xml", "/tags/mentoring/feed.xml"} <= rendered
    assert not {f"/essays/e{n}/" for n in range(1, 13) if n != 5} & rendered
    assert "/essays/" not in rendered, "the archive shows the summary: the first paragraph"

    essay.write_text(essay.read_text().replace("title: Essay 5", "title: Renamed five"))
    rendered = rebuild(builder, recorder)
    assert {"/essays/e5/", "/essays/", "/tags/mentoring/"} <= rendered
    assert "/tags/career/" not in rendered


def test_a_longer_essay_changes_its_reading_time_on_the_lists(tmp_path, make_site):
    site = make_site(tmp_path, SITE)
    builder, recorder = preview_builder(site, tmp_path / "out")
    builder.build()
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text() + "\n" + "word " * 2000 + "\n")
    rendered = rebuild(builder, recorder)
    # reading_time is a property of the words: the lists that show it follow it.
    assert {"/essays/e5/", "/essays/", "/tags/mentoring/"} <= rendered
    page = (tmp_path / "out/essays/index.html").read_text()
    assert "9 min" in page


def test_preview_after_many_kinds_of_edit_is_what_a_fresh_preview_makes(tmp_path, make_site):
    """Every edit's outcome, byte for byte, against a build that starts from nothing."""
    site = make_site(tmp_path, SITE + BOOK)
    builder, _ = preview_builder(site, tmp_path / "out")
    builder.build()
    essays = site / "content/essays"
    edits = [
        lambda: (essays / "2024-01-03-e3.md").write_text(
            (essays / "2024-01-03-e3.md").read_text().replace("[career]", "[career, books]")
        ),
        lambda: (essays / "2024-01-04-e4.md").unlink(),
        lambda: (essays / "2024-02-01-new.md").write_text(
            "---\ntitle: New one\ndate: 2024-02-01\ntags: [fresh]\nbooks: [the-book]\n---\n"
            "Mentions {book}`the-book`.\n"
        ),
        lambda: (site / "content/books/the-book.md").write_text(
            (site / "content/books/the-book.md").read_text().replace("The Book", "A Book")
        ),
        lambda: (essays / "2024-01-06-e6.md").write_text(
            (essays / "2024-01-06-e6.md").read_text().replace("2024-01-06", "2024-03-06")
        ),
        lambda: (essays / "2024-01-07-e7.md").write_text(
            (essays / "2024-01-07-e7.md").read_text().replace("title:", "draft: true\ntitle:")
        ),
    ]
    for edit in edits:
        edit()
        builder.build()
        fresh_out = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
        fresh, _ = preview_builder(site, fresh_out)
        fresh.build()
        assert tree(tmp_path / "out") == tree(fresh_out)


def test_same_tells_instants_in_other_zones_apart():
    utc = datetime(2024, 1, 1, 10, tzinfo=UTC)
    plus_two = utc.astimezone(timezone(timedelta(hours=2)))
    assert utc == plus_two
    assert not same(utc, plus_two), "the page would show another time"
    assert same((utc, "a"), (utc, "a"))
    assert not same(1, True) and not same(1, 1.0)
