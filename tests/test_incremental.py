"""CLI builds remember what they did (in .passivepress/cache/) and redo only what changed."""

from __future__ import annotations

import os
import pickle
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest

from conftest import CONFIG, NOW, in_fresh_process, tree
from passivepress import uptodate
from passivepress.build import Builder, BuildOptions, build
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


@pytest.mark.parametrize("kind", ["cli", "preview"])
def test_social_cards_outlive_template_and_configuration_changes(tmp_path, make_site, kind):
    """A card depends on its title, the author and site names, the stylesheet and the
    font alone: another template or menu leaves every card file as it was, and an author's
    new name makes them all again."""
    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    build = builds_of(kind, site, out)
    build()
    cards = sorted(out.glob("essays/*/card.png"))
    assert len(cards) == 12

    def kept() -> set[str]:
        return {c.parent.name for c in cards if c.stat().st_ino == inodes[c]}

    config = site / "passivepress.yml"
    edits = [
        lambda: (site / "templates").mkdir(),
        lambda: (site / "templates/essay.html").write_text(
            '{% extends "!theme/essay.html" %}{% block title %}Essay{% endblock %}'
        ),
        lambda: config.write_text(config.read_text() + "menu:\n  - {title: Home, url: /}\n"),
        lambda: config.write_text(config.read_text().replace("Essays on mentoring", "On")),
    ]
    for n, edit in enumerate(edits):
        inodes = {c: c.stat().st_ino for c in cards}
        edit()
        rendered = build()
        assert not {p for p in rendered if p.endswith("card.png")}, f"edit {n}"
        assert len(kept()) == 12, f"edit {n}: card files were made again"
        disk_build(site, tmp_path / f"clean-{n}", use_cache=False)
        assert tree(out) == tree(tmp_path / f"clean-{n}"), f"after edit {n}"

    inodes = {c: c.stat().st_ino for c in cards}
    config.write_text(config.read_text().replace("Ada Author", "Ada Writer"))
    rendered = build()
    assert {f"/essays/e{n}/card.png" for n in range(1, 13)} <= rendered
    disk_build(site, tmp_path / "clean-author", use_cache=False)
    assert tree(out) == tree(tmp_path / "clean-author")


@pytest.mark.parametrize("kind", ["cli", "preview"])
def test_a_template_edit_makes_again_only_the_pages_that_load_it(tmp_path, make_site, kind):
    """Each page template's digest covers what it extends, includes and imports, as the
    levels resolve them: an edit of the tag template makes the tag pages, one of the
    call-to-action the pages showing it, a template naming another through a variable
    goes with every edit, and removing the overrides makes their pages as before."""
    from passivepress.bundled import builtin_theme_dir

    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    build = builds_of(kind, site, out)
    build()
    templates = site / "templates"
    cta = (builtin_theme_dir() / "templates/_cta.html").read_text()
    tag_pages = {"/tags/mentoring/", "/tags/career/"}
    essay_pages = {f"/essays/e{n}/" for n in range(1, 13)}

    def edit_tag_template():
        templates.mkdir()
        (templates / "tag.html").write_text(
            '{% extends "!theme/tag.html" %}{% block title %}Tagged{% endblock %}'
        )

    def edit_cta():
        (templates / "_cta.html").write_text(cta.replace("cta__heading", "cta__title"))

    def name_a_template_through_a_variable():
        (templates / "tag.html").write_text(
            '{% extends "!theme/tag.html" %}{% set frame = "_pagination.html" %}'
            "{% block title %}Tagged {% include frame %}{% endblock %}"
        )

    def edit_cta_again():
        (templates / "_cta.html").write_text(cta.replace("cta__heading", "cta__head"))

    def remove_the_overrides():
        import shutil

        shutil.rmtree(templates)

    # What each edit must make again, and what it must not.
    edits = [
        (edit_tag_template, tag_pages, essay_pages | {"/", "/essays/"}),
        (edit_cta, essay_pages | {"/"}, tag_pages | {"/essays/", "/tags/"}),
        (name_a_template_through_a_variable, tag_pages, essay_pages),
        (edit_cta_again, essay_pages | tag_pages, {"/essays/", "/tags/"}),
        (remove_the_overrides, essay_pages | tag_pages | {"/"}, {"/essays/", "/tags/"}),
    ]
    for edit, made, kept in edits:
        edit()
        rendered = build()
        assert made <= rendered, edit.__name__
        assert not kept & rendered, edit.__name__
        assert not {p for p in rendered if p.endswith("card.png")}, edit.__name__
        clean = tmp_path / f"clean-{edit.__name__}"
        disk_build(site, clean, use_cache=False)
        assert tree(out) == tree(clean), f"after {edit.__name__}"


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


def builds_of(kind, site, out):
    """Rebuilds of one site as the preview makes them (one Builder, the previous model in
    memory) or as the CLI does (a new Builder each time, knowing only the cache folder);
    each returns the outputs it rendered."""
    if kind == "preview":
        builder, recorder = preview_builder(site, out)
        return lambda: rebuild(builder, recorder)
    return lambda: disk_build(site, out)


@pytest.mark.parametrize("kind", ["preview", "cli"])
def test_a_build_renders_only_what_read_a_changed_value(tmp_path, make_site, kind):
    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    build = builds_of(kind, site, out)
    build()
    assert build() == set(), "nothing changed, nothing rendered"

    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text() + "\nA second paragraph.\n")
    rendered = build()
    assert "/essays/e5/" in rendered
    assert {"/feed.xml", "/atom.xml", "/tags/mentoring/feed.xml"} <= rendered
    assert not {f"/essays/e{n}/" for n in range(1, 13) if n != 5} & rendered
    assert "/essays/" not in rendered, "the archive shows the summary: the first paragraph"

    essay.write_text(essay.read_text() + "\n" + "word " * 2000 + "\n")
    rendered = build()
    # reading_time is a property of the words: the lists that show it follow it.
    assert {"/essays/e5/", "/essays/", "/tags/mentoring/"} <= rendered
    assert "9 min" in (out / "essays/index.html").read_text()

    essay.write_text(essay.read_text().replace("title: Essay 5", "title: Renamed five"))
    rendered = build()
    assert {"/essays/e5/", "/essays/", "/tags/mentoring/"} <= rendered
    assert "/tags/career/" not in rendered


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


PAGES = """
-- content/pages/about.md --
---
title: About
---
Who I am.
-- content/pages/contact.md --
---
title: Contact
---
How to reach me.
"""


@pytest.mark.parametrize("kind", ["preview", "cli"])
def test_what_one_page_changes_site_wide_reaches_every_output(tmp_path, make_site, kind):
    """The contact page's coming and going changes every call-to-action, the feeds'
    footers included; a page given another template (one other pages use, so no template
    changed) is made with it. Each build is told what changed, as the preview's watcher
    and the CLI's scan tell it, so it may take the quick way."""
    site = make_site(tmp_path, SITE + PAGES)
    out = tmp_path / "out"
    contact = site / "content/pages/contact.md"
    text = contact.read_text()
    options = {"output": out, "now": NOW, "record_urls": False}
    if kind == "preview":
        builder = Builder(site, BuildOptions(preview=True, **options), Recorder())
        builder.build()

        def again() -> None:
            builder.build(changed=["content/pages/contact.md"])

    else:

        def again() -> None:
            build(site, BuildOptions(**options), Recorder(), uptodate.scan(site))

        again()

    def footer_links() -> set[str]:
        entry = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]
        return {link for link in re.findall(r'href="([^"]+)"', entry.content[0].value)}

    contact_link = "https://example.com/contact/"
    assert contact_link in footer_links()
    edits = [
        lambda: contact.unlink(),
        lambda: contact.write_text(text),
        lambda: contact.write_text(text.replace("title:", "slug: reach\ntitle:")),
        lambda: contact.write_text(text.replace("title:", "template: page.html\ntitle:")),
        lambda: contact.write_text(text),
    ]
    for n, edit in enumerate(edits):
        edit()
        again()
        clean = tmp_path / f"clean-{n}"
        reference = {**options, "output": clean, "use_cache": False}
        Builder(site, BuildOptions(preview=kind == "preview", **reference)).build()
        assert tree(out) == tree(clean), f"after edit {n}"
        assert (contact_link in footer_links()) == (n in (1, 3, 4)), f"after edit {n}"


# -- CLI builds: what the last build kept in the cache folder is compared -----------------


def disk_build(site, out, **options):
    """A build as the CLI runs it: a new process's Builder, knowing only the cache folder."""
    recorder = Recorder()
    options = {"output": out, "now": NOW, "record_urls": False, **options}
    Builder(site, BuildOptions(**options), recorder).build()
    return set(recorder.paths)


def test_a_cli_build_after_many_kinds_of_edit_is_what_a_clean_build_makes(tmp_path, make_site):
    site = make_site(tmp_path, SITE + BOOK)
    out = tmp_path / "out"
    disk_build(site, out)
    essays = site / "content/essays"
    config = site / "passivepress.yml"

    def edit(path, old, new):
        path.write_text(path.read_text().replace(old, new))

    edits = [
        lambda: edit(essays / "2024-01-05-e5.md", "Body of essay 5", "New body of essay 5"),
        # A word for another in a later paragraph: the same count, summary and headings.
        lambda: edit(essays / "2024-01-02-e2.md", "with *emphasis*.", "with *emphasis*.\n\nOne."),
        lambda: edit(essays / "2024-01-02-e2.md", "\nOne.", "\nTwo."),
        lambda: edit(essays / "2024-01-03-e3.md", "[career]", "[career, books]"),
        lambda: (essays / "2024-01-04-e4.md").unlink(),
        lambda: (essays / "2024-02-01-new.md").write_text(
            "---\ntitle: New one\ndate: 2024-02-01\ntags: [fresh]\nbooks: [the-book]\n---\n"
            "Mentions {book}`the-book`.\n"
        ),
        lambda: edit(site / "content/books/the-book.md", "The Book", "A Book"),
        lambda: edit(essays / "2024-01-06-e6.md", "2024-01-06", "2024-03-06"),
        lambda: edit(essays / "2024-01-07-e7.md", "title:", "draft: true\ntitle:"),
        # Another configuration: no kept field of an unchanged file can be trusted.
        lambda: edit(config, "title: Test Site", "title: Another Site"),
        lambda: edit(essays / "2024-01-08-e8.md", "title: Essay 8", "title: Eight, renamed"),
    ]
    for n, change in enumerate(edits):
        change()
        disk_build(site, out)
        clean = tmp_path / f"clean-{n}"
        disk_build(site, clean, use_cache=False)
        assert tree(out) == tree(clean), f"after edit {n}"


def test_kept_readings_parse_nothing_unchanged_and_keep_their_warnings(
    tmp_path, make_site, build_site
):
    site = make_site(
        tmp_path,
        SITE
        + """
-- content/essays/2024-02-01-odd.md --
---
title: Odd
date: 2024-02-01
sumary: A typo of summary
---
Body.
""",
    )
    first = build_site(site, record_urls=False)
    assert [w.message for w in first.result.warnings if "sumary" in w.message]
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text() + "\nMore.\n")
    from passivepress import frontmatter

    parsed = []
    real = frontmatter.load_yaml

    def counting(*args, **kwargs):
        parsed.append(args[1])
        return real(*args, **kwargs)

    frontmatter.load_yaml = counting
    try:
        again = build_site(site, record_urls=False)
    finally:
        frontmatter.load_yaml = real
    assert [str(p) for p in parsed] == ["content/essays/2024-01-05-e5.md"]
    assert [(w.message, w.path, w.line) for w in again.result.warnings] == [
        (w.message, w.path, w.line) for w in first.result.warnings
    ]


def test_an_unchanged_file_s_error_still_points_at_its_line(tmp_path, make_site, cli):
    """A kept reading has no YAML left, only each key's line: enough for the message."""
    site = make_site(
        tmp_path,
        SITE
        + BOOK
        + """
-- content/essays/2024-02-01-mentions.md --
---
title: Mentions
date: 2024-02-01
books:
  - the-book
---
Body.
""",
    )
    assert cli("build", str(site)).code == 0
    before = tree(site / "_site")
    (site / "content/books/the-book.md").unlink()
    result = cli("build", str(site))
    assert result.code == 1
    assert "content/essays/2024-02-01-mentions.md:5: unknown book 'the-book'" in result.err
    assert tree(site / "_site") == before, "the last good output stays as it was"


def test_a_lost_markdown_cache_reads_kept_files_again(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    first = build_site(site, record_urls=False)
    for db in (site / ".passivepress/cache").glob("markdown-*.sqlite"):
        db.unlink()
    again = build_site(site, record_urls=False)
    assert again.result.markdown_rendered == 12
    assert again.files() == first.files()


def test_a_build_stopped_while_moving_files_is_followed_by_a_walk(tmp_path, make_site):
    """An incremental CLI build removes what the last build wrote and this one does not
    (no walk of the output); after a build stopped while moving files into place, the
    output folder is walked and anything unexpected in it removed."""
    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    disk_build(site, out)
    (site / "content/essays/2024-01-04-e4.md").unlink()
    disk_build(site, out)
    assert not (out / "essays/e4").exists()

    (out / "essays/e4").mkdir()
    (out / "essays/e4/index.html").write_text("left by a build that stopped halfway")
    (site / ".passivepress/cache/applying").touch()
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text() + "\nMore.\n")
    disk_build(site, out)
    assert not (out / "essays/e4").exists()
    assert not (site / ".passivepress/cache/applying").exists()


def test_a_cache_folder_that_cannot_be_written_only_makes_builds_slower(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    (site / ".passivepress").mkdir()
    (site / ".passivepress/cache").write_text("not a folder")
    out, clean = tmp_path / "out", tmp_path / "clean"
    for _ in range(2):
        disk_build(site, out)
        assert cli("build", str(site), "-o", str(tmp_path / "cli-out")).code == 0
    disk_build(site, clean, use_cache=False)
    assert tree(out) == tree(clean)


def test_an_output_restored_with_whole_second_times_is_kept(tmp_path, make_site):
    """CI caches are tar files, and some keep modification times to the second only."""
    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    disk_build(site, out)
    for path in out.rglob("*"):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns // 10**9 * 10**9))
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text() + "\nA second paragraph.\n")
    rendered = disk_build(site, out)
    assert "/essays/e5/" in rendered
    assert not {f"/essays/e{n}/" for n in range(1, 13) if n != 5} & rendered


def test_a_kept_model_of_another_shape_is_not_trusted(tmp_path, make_site):
    """A cache written by another version of the model: every object counts as changed."""
    from passivepress import cache

    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    disk_build(site, out)
    state = cache.load_state(site)
    for kind in state.model.layouts:
        own, derived = state.model.layouts[kind]
        state.model.layouts[kind] = (own[:-1], derived)
    cache.save_state(site, state)
    rendered = disk_build(site, out)
    assert {f"/essays/e{n}/" for n in range(1, 13)} <= rendered


def test_recipe_tokens_name_objects_by_key_and_ignore_sharing(tmp_path, make_site, build_site):
    from passivepress.changes import _UNPICKLABLE, _recipe_token

    site = make_site(tmp_path, SITE)
    essays = build_site(site, record_urls=False).result.site.essays
    title = "A title long enough to be its own object"
    shared = {"a": title, "b": title}
    copied = {"a": title, "b": "".join(list(title))}
    assert _recipe_token(shared) == _recipe_token(copied)
    assert _recipe_token({"essays": essays[:3]}) == _recipe_token({"essays": tuple(essays[0:3])})
    assert _recipe_token({"essays": essays[:3]}) != _recipe_token({"essays": essays[1:4]})
    assert _recipe_token({"n": 1}) != _recipe_token({"n": True})
    assert _recipe_token({"f": lambda: None}) == _UNPICKLABLE


def test_fingerprints_of_sets_do_not_depend_on_the_process(tmp_path):
    import subprocess
    import sys

    code = "from passivepress.cache import fingerprint; print(fingerprint(frozenset('abcdefgh')))"
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed)},
            check=True,
        ).stdout
        for seed in range(4)
    }
    assert len(seen) == 1


def test_same_tells_instants_in_other_zones_apart():
    utc = datetime(2024, 1, 1, 10, tzinfo=UTC)
    plus_two = utc.astimezone(timezone(timedelta(hours=2)))
    assert utc == plus_two
    assert not same(utc, plus_two), "the page would show another time"
    assert same((utc, "a"), (utc, "a"))
    assert not same(1, True) and not same(1, 1.0)


# -- a build with nothing to do ends before the pipeline is loaded --------------------------


def test_a_build_with_nothing_changed_says_so_and_touches_nothing(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    before = {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()}
    again = cli("build", str(site))
    assert again.code == 0
    assert "(nothing changed)" in again.err
    after = {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize("fork_from", [None, 0], ids=["looked-at-here", "by-a-forked-copy"])
def test_any_change_of_input_or_output_means_a_real_build(
    tmp_path, make_site, cli, fork_from, monkeypatch
):
    # A big site's output is looked at by a copy of the process forked during the scan
    # (uptodate.Written); this one's too, with fork_from=0.
    if fork_from is not None:
        monkeypatch.setattr(uptodate, "_FORK_FROM", fork_from)
    site = make_site(tmp_path, SITE + "-- static/css/extra.css --\nbody { color: red }\n")
    assert cli("build", str(site)).code == 0
    changes = [
        lambda: (site / "content/essays/2024-01-05-e5.md").write_text(
            (site / "content/essays/2024-01-05-e5.md").read_text().replace("Body", "New body")
        ),
        lambda: (site / "passivepress.yml").write_text(
            (site / "passivepress.yml").read_text().replace("Test Site", "Other Site")
        ),
        lambda: (site / "static/css/extra.css").write_text("body { color: blue }\n"),
        lambda: make_site(tmp_path, "-- templates/404.html --\ngone {{ site.title }}\n"),
        lambda: (site / "_site/essays/e3/index.html").unlink(),
        lambda: (site / "_site/tags/career/index.html").write_text("tampered"),
    ]
    for change in changes:
        change()
        rebuilt = cli("build", str(site))
        assert rebuilt.code == 0
        assert "(nothing changed)" not in rebuilt.err
        assert "(nothing changed)" in cli("build", str(site)).err
    assert "New body" in (site / "_site/essays/e5/index.html").read_text()
    assert "Other Site" in (site / "_site/index.html").read_text()
    assert "blue" in (site / "_site/css/extra.css").read_text()
    assert (site / "_site/404.html").read_text() == "gone Other Site\n"
    assert (site / "_site/essays/e3/index.html").is_file()
    assert "Essay" in (site / "_site/tags/career/index.html").read_text()
    # Other options make another output.
    assert "(nothing changed)" not in cli("build", str(site), "--drafts").err


def test_files_read_long_after_their_last_change_are_not_read_again(
    tmp_path, make_site, cli, monkeypatch
):
    """Stat-trusted sources: neither the up-to-date check nor the loader opens a file
    whose size, times and inode are those it had when it was read; an edit is seen."""
    from passivepress import loader, quick, uptodate

    site = make_site(tmp_path, SITE + "-- static/css/extra.css --\nbody { color: red }\n")
    assert cli("build", str(site)).code == 0
    # Just written, so within the racy window: nothing may be trusted yet.
    kept = pickle.loads((site / uptodate.STATS).read_bytes())["files"]
    assert not [name for name in kept if name.startswith("content/")]

    monkeypatch.setattr(uptodate, "_RACY_NS", -(10**15))  # as if read long after
    assert cli("build", str(site), "--drafts").code == 0  # a real build records the stats
    opened = []
    read_whole = uptodate.read_whole

    def counting(path, *args, **kwargs):
        opened.append(os.path.relpath(path, site))
        return open(path, *args, **kwargs)

    def counting_whole(path, *args):
        opened.append(os.path.relpath(path, site))
        return read_whole(path, *args)

    monkeypatch.setattr(uptodate, "open", counting, raising=False)
    monkeypatch.setattr(uptodate, "read_whole", counting_whole)
    monkeypatch.setattr(loader, "open", counting, raising=False)
    monkeypatch.setattr(loader, "read_whole", counting_whole)
    monkeypatch.setattr(quick, "open", counting, raising=False)  # parses an edited file
    assert "(nothing changed)" in cli("build", str(site), "--drafts").err
    assert not [name for name in opened if name.startswith("content")]

    essay = site / "content/essays/2024-01-05-e5.md"
    text = essay.read_text()
    essay.write_text(text.replace("Body of essay 5", "Body of essay V"))  # the same size
    opened.clear()
    rebuilt = cli("build", str(site), "--drafts")
    assert "(nothing changed)" not in rebuilt.err
    assert [n for n in opened if n.startswith("content")] == [
        "content/essays/2024-01-05-e5.md",
        "content/essays/2024-01-05-e5.md",
    ], "read once to notice the change, once to parse it"
    assert "Body of essay V" in (site / "_site/essays/e5/index.html").read_text()


def test_nothing_changed_repeats_the_warnings_and_strict_still_fails(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        SITE + "-- content/essays/2024-02-01-img.md --\n---\ntitle: Img\ndate: 2024-02-01\n"
        "image: /images/missing.png\n---\nText.\n",
    )
    first = cli("build", str(site))
    assert first.code == 0 and "missing image" in first.err
    again = cli("build", str(site))
    assert "(nothing changed)" in again.err and "missing image" in again.err
    strict = cli("build", str(site), "--strict")
    assert strict.code == 1 and "(strict) missing image" in strict.err


def test_a_future_essay_appears_when_its_day_comes(tmp_path, make_site, cli, monkeypatch):
    site = make_site(
        tmp_path,
        SITE + "-- content/essays/2024-07-01-soon.md --\n---\ntitle: Soon\ndate: 2024-07-01\n---\n"
        "Not yet.\n",
    )
    assert cli("build", str(site)).code == 0  # "now" is 2024-06-01
    assert not (site / "_site/essays/soon/index.html").exists()
    assert "(nothing changed)" in cli("build", str(site)).err
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.replace(month=7, day=2).timestamp())))
    later = cli("build", str(site))
    assert "(nothing changed)" not in later.err
    assert (site / "_site/essays/soon/index.html").is_file()


def test_a_copy_of_the_site_builds_its_own_output_and_never_the_original_s(
    tmp_path, make_site, cli
):
    """A site folder copied with its cache folder (a second checkout, a backup restored)
    holds the original's records, which name the original's output folder: the copy's
    builds must make and write the copy's own."""
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    original = tree(site / "_site")

    def times() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*")}

    before = times()

    def edit_and_build(folder: Path, n: int, text: str) -> None:
        """Essay ``n`` of ``folder`` given ``text``, built; the original left as it was."""
        essay = folder / f"content/essays/2024-01-{n:02d}-e{n}.md"
        essay.write_text(essay.read_text().replace(f"Body of essay {n}", text))
        assert cli("build", str(folder)).code == 0
        assert text in (folder / f"_site/essays/e{n}/index.html").read_text()
        assert tree(site / "_site") == original
        assert times() == before

    copy = tmp_path / "copy"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("_site"))
    built = cli("build", str(copy))
    assert built.code == 0 and "(nothing changed)" not in built.err
    assert tree(copy / "_site") == original
    edit_and_build(copy, 5, "Essay 5 of the copy")
    clean = tmp_path / "clean"
    assert cli("build", str(copy), "--clean", "-o", str(clean)).code == 0
    assert tree(copy / "_site") == tree(clean)

    # Copied with its output, then edited: an edit the quick way would take at home.
    second = tmp_path / "second"
    shutil.copytree(site, second)
    edit_and_build(second, 7, "Essay 7 of the second")


def test_clean_never_trusts_the_record(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    clean = cli("build", str(site), "--clean")
    assert clean.code == 0 and "(nothing changed)" not in clean.err


def test_large_static_files_and_other_options_are_noticed(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    big = site / "static/images/photo.bin"
    big.parent.mkdir(parents=True)
    big.write_bytes(b"\0" * 300_000)  # compared by size and mtime, not read
    assert cli("build", str(site)).code == 0
    assert "(nothing changed)" in cli("build", str(site)).err
    big.write_bytes(b"\1" * 300_001)
    assert "(nothing changed)" not in cli("build", str(site)).err
    assert (site / "_site/images/photo.bin").read_bytes() == b"\1" * 300_001
    other = cli("build", str(site), "--base-url", "https://preview.example.net/")
    assert other.code == 0 and "(nothing changed)" not in other.err
    assert "https://preview.example.net/" in (site / "_site/sitemap.xml").read_text()


def test_a_preview_config_change_that_markdown_ignores_renders_no_markdown(tmp_path, make_site):
    site = make_site(tmp_path, SITE)
    builder, _ = preview_builder(site, tmp_path / "out")
    builder.build()
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text() + "\nMore.\n")
    assert builder.build().markdown_rendered == 1
    config = site / "passivepress.yml"
    config.write_text(config.read_text().replace("title: Test Site", "title: Renamed Site"))
    result = builder.build()
    assert result.markdown_rendered == 0
    assert "Renamed Site" in (tmp_path / "out/index.html").read_text()
    config.write_text(
        config.read_text().replace(
            "timezone: UTC", "timezone: UTC\nmarkdown:\n  typographer: false"
        )
    )
    assert builder.build().markdown_rendered == 12, "a Markdown setting renders everything again"


def test_a_damaged_markdown_cache_is_replaced(tmp_path, make_site, build_site):
    """The Markdown cache is a SQLite file; one that is not a database (damaged, say, by
    a machine that lost power while writing it) is replaced by a new one."""
    import sqlite3

    site = make_site(tmp_path, SITE)
    first = build_site(site, record_urls=False)
    (db,) = (site / ".passivepress/cache").glob("markdown-*.sqlite")
    db.write_bytes(b"not a database " * 100)
    again = build_site(site, record_urls=False)
    assert again.result.markdown_rendered == 12
    assert again.files() == first.files()
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM md").fetchone()
    assert count == 12


def test_the_kept_state_is_out_of_the_collectors_way_until_the_build_ends(
    tmp_path, make_site, monkeypatch
):
    """A CLI build freezes the state it loads (the collector would walk its million objects
    at 10,000 essays in every collection) and unfreezes it when done, failed or not."""
    import gc

    from passivepress import build as build_module
    from passivepress.errors import ContentError

    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    disk_build(site, out)
    assert gc.get_freeze_count() == 0
    frozen_while_building = []
    real_load = build_module.loader.load

    def load(*args, **kwargs):
        frozen_while_building.append(gc.get_freeze_count())
        return real_load(*args, **kwargs)

    monkeypatch.setattr(build_module.loader, "load", load)
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text().replace("tags: [mentoring]", "tags: [mentoring, new]"))
    assert "/tags/new/" in disk_build(site, out)
    essay.write_text(essay.read_text().replace("[link]", "").replace("Body", "{book}`nope`"))
    with pytest.raises(ContentError):
        disk_build(site, out)
    assert len(frozen_while_building) == 2
    assert all(count > 1000 for count in frozen_while_building)
    assert gc.get_freeze_count() == 0


def test_a_previews_first_build_takes_its_bodies_from_the_cli_builds_cache(tmp_path, make_site):
    """A big site's preview starts without rendering its Markdown again: the first build
    reads the bodies CLI builds keep, writes nothing to the cache folder, and makes what a
    preview without it makes. Its next builds go on from memory."""
    from passivepress.cache import CACHE_DIR

    site = make_site(tmp_path, SITE + BOOK)
    disk_build(site, tmp_path / "cli")
    kept = {p: p.read_bytes() for p in (site / CACHE_DIR).rglob("*") if p.is_file()}

    def preview(out, **options):
        options = {"output": out, "preview": True, "now": NOW, "record_urls": False, **options}
        builder = Builder(site, BuildOptions(**options), Recorder())
        return builder, builder.build()

    builder, first = preview(tmp_path / "preview")
    assert first.markdown_rendered == 0
    _, alone = preview(tmp_path / "alone", use_cache=False)
    assert alone.markdown_rendered == 13
    assert tree(tmp_path / "preview") == tree(tmp_path / "alone")
    assert {p: p.read_bytes() for p in (site / CACHE_DIR).rglob("*") if p.is_file()} == kept
    essay = site / "content/essays/2024-01-05-e5.md"
    essay.write_text(essay.read_text().replace("Body of essay 5", "New body of essay 5"))
    assert builder.build().markdown_rendered == 1
    preview(tmp_path / "alone", use_cache=False)
    assert tree(tmp_path / "preview") == tree(tmp_path / "alone")


def test_a_preview_starts_from_a_damaged_markdown_cache_as_without_one(tmp_path, make_site):
    from passivepress.cache import CACHE_DIR

    site = make_site(tmp_path, SITE)
    disk_build(site, tmp_path / "cli")
    (store,) = (site / CACHE_DIR).glob("markdown-*.sqlite")
    store.write_bytes(b"not a database")
    options = BuildOptions(output=tmp_path / "preview", preview=True, now=NOW, record_urls=False)
    assert Builder(site, options, Recorder()).build().markdown_rendered == 12
    assert store.read_bytes() == b"not a database"  # a preview leaves the cache folder be


def test_a_big_previews_first_build_shares_its_work_and_makes_what_one_process_makes(
    tmp_path, make_site
):
    """The preview's first build runs before its threads start: it forks early (Markdown
    workers, social cards) as a CLI build does, and makes the same site as one process."""
    essays = "".join(
        f"-- content/essays/2024-02-{n % 28 + 1:02d}-m{n}.md --\n---\ntitle: More {n}\n"
        f"date: 2024-02-{n % 28 + 1:02d}\ntags: [t{n % 3}]\n---\nMore body {n}.\n"
        for n in range(60)
    )
    site = make_site(tmp_path, SITE + essays)
    shared = in_fresh_process(
        """
        import json, sys
        from datetime import datetime
        from pathlib import Path
        from passivepress import build
        from passivepress.build import Builder, BuildOptions

        early = []  # essays whose cards the early copy was given
        real_start = build._EarlyCards.start

        def start(self, cards, target, essays):
            early.append(len(essays))
            return real_start(self, cards, target, essays)

        build._EarlyCards.start = start
        options = BuildOptions(
            output=Path(sys.argv[2]), preview=True, now=datetime.fromisoformat(sys.argv[3]),
            record_urls=False, jobs=2,
        )
        result = Builder(Path(sys.argv[1]), options).build()
        print(json.dumps({"processes": result.processes, "early": early}))
        """,
        site,
        tmp_path / "shared",
        NOW.isoformat(),
    )
    assert shared == {"processes": 2, "early": [72]}  # every essay's card made early
    options = BuildOptions(
        output=tmp_path / "alone", preview=True, now=NOW, record_urls=False, jobs=1
    )
    assert Builder(site, options, Recorder()).build().processes == 1
    assert tree(tmp_path / "shared") == tree(tmp_path / "alone")


@pytest.mark.parametrize("kind", ["preview", "cli"])
def test_a_tag_named_anew_is_named_so_in_every_feed(tmp_path, make_site, kind):
    """A tag is named as its newest essay writes it, and every feed names the tags of its
    entries: another spelling there reaches the feeds of other tags too."""
    site = make_site(
        tmp_path,
        CONFIG
        + """
-- content/essays/2024-01-01-a.md --
---
title: A
date: 2024-01-01
tags: [career]
---
A.
-- content/essays/2024-01-02-b.md --
---
title: B
date: 2024-01-02
tags: [career, books]
---
B.
-- content/essays/2024-01-03-c.md --
---
title: C
date: 2024-01-03
tags: [Books]
---
C.
""",
    )
    out = tmp_path / "out"
    build = builds_of(kind, site, out)
    build()

    def categories(feed: str) -> set[str]:
        parsed = feedparser.parse((out / feed).read_bytes())
        return {tag.term for entry in parsed.entries for tag in entry.tags}

    assert "Books" in categories("tags/career/feed.xml")
    newest = site / "content/essays/2024-01-03-c.md"
    newest.write_text(newest.read_text().replace("[Books]", "[books]"))
    build()
    assert categories("tags/career/feed.xml") == {"career", "books"}
    clean = tmp_path / "clean"
    options = BuildOptions(output=clean, preview=kind == "preview", now=NOW, record_urls=False)
    Builder(site, replace(options, use_cache=False)).build()
    assert tree(out) == tree(clean)


def test_read_whole_reads_a_file_to_its_end_whatever_size_it_was_told(tmp_path):
    path = tmp_path / "essay.md"
    for data in (b"", b"x", b"---\ntitle: T\n---\n" + b"word " * 50_000):
        path.write_bytes(data)
        assert uptodate.read_whole(path) == data
        assert uptodate.read_whole(str(path), len(data)) == data
        # Told a size from before the file grew or shrank: its bytes as they are now.
        assert uptodate.read_whole(path, max(0, len(data) - 3)) == data
        assert uptodate.read_whole(path, len(data) + 3) == data
    with pytest.raises(OSError):
        uptodate.read_whole(tmp_path)
    with pytest.raises(OSError):
        uptodate.read_whole(tmp_path / "missing.md")
