"""``passivepress new essay|book|page "Title"``: a file with its front matter filled in, at
a path made from the title, that builds; an existing file is never touched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from conftest import CONFIG, NOW
from passivepress import scaffold
from passivepress.frontmatter import split

SITE = (
    CONFIG
    + """
-- content/pages/contact.md --
---
title: Contact
---
Write to me.
"""
)


def front_matter(path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


@pytest.fixture
def site(tmp_path, make_site):
    return make_site(tmp_path, SITE)


def test_new_essay_is_a_dated_draft_that_builds_with_drafts(site, cli, build_site):
    result = cli("new", "essay", "My First Essay", "--site", str(site))
    assert result.code == 0, result.err
    path = site / "content/essays/2024-06-01-my-first-essay.md"
    assert result.out.strip().endswith("content/essays/2024-06-01-my-first-essay.md")
    assert path.is_file()
    fm = front_matter(path)
    assert fm["title"] == "My First Essay"
    assert fm["draft"] is True
    assert fm["summary"] == "" and fm["tags"] == []
    assert str(fm["date"]) == "2024-06-01 12:00"  # NOW, in the site's time zone (UTC)

    assert not build_site(site).exists("/essays/my-first-essay/")
    with_drafts = build_site(site, drafts=True)
    assert with_drafts.html("/essays/my-first-essay/").find(".//h1") is not None
    assert cli("build", str(site), "--strict", "--drafts").code == 0


@pytest.mark.parametrize(
    ("kind", "url", "file"),
    [
        ("book", "/books/the-long-game/", "content/books/the-long-game.md"),
        ("page", "/the-long-game/", "content/pages/the-long-game.md"),
    ],
)
def test_new_book_and_page_build_at_their_url(site, cli, build_site, kind, url, file):
    result = cli("new", kind, "The Long Game", "--site", str(site))
    assert result.code == 0, result.err
    assert result.out.strip().endswith(file)
    assert front_matter(site / file)["title"] == "The Long Game"
    built = build_site(site)
    assert built.html(url).title().startswith("The Long Game")
    assert cli("build", str(site), "--strict").code == 0


@pytest.mark.parametrize(
    "title",
    [
        "Mentoring: what I got wrong",
        'It\'s "quoted" # not a comment',
        "yes",
        "2024",
        "[Brackets] and {braces}, too",
        "Ünïcode — and dashes",
    ],
)
def test_titles_are_written_so_yaml_reads_them_back_unchanged(site, build_site, title):
    path = scaffold.new(site, "essay", title, now=NOW)
    fm = split(path.read_text(encoding="utf-8"), path)
    assert fm.doc.raw["title"] == title
    built = build_site(site, drafts=True)
    essay = built.result.site.essays[0]
    assert essay.title == title


def test_the_date_is_now_in_the_site_time_zone(tmp_path, make_site):
    site = make_site(tmp_path, "-- passivepress.yml --\ntitle: T\ntimezone: Asia/Tokyo\n")
    late = datetime(2024, 6, 1, 20, 30, tzinfo=UTC)  # already 2 June in Tokyo
    path = scaffold.new(site, "essay", "Late", now=late)
    assert path.name == "2024-06-02-late.md"
    assert "date: 2024-06-02 05:30\n" in path.read_text(encoding="utf-8")


def test_new_refuses_to_overwrite(site, cli):
    first = cli("new", "book", "Same Title", "--site", str(site))
    assert first.code == 0
    path = site / "content/books/same-title.md"
    path.write_text("---\ntitle: Same Title\n---\nMy notes.\n")
    second = cli("new", "book", "Same Title", "--site", str(site))
    assert second.code == 1
    assert "exists already" in second.err and "same-title.md" in second.err
    assert second.out == ""
    assert path.read_text() == "---\ntitle: Same Title\n---\nMy notes.\n"


def test_new_essay_refuses_a_slug_taken_on_another_day(site, cli):
    (site / "content/essays").mkdir(parents=True, exist_ok=True)
    (site / "content/essays/2023-01-01-hello.md").write_text("---\ntitle: Hello\n---\n")
    result = cli("new", "essay", "Hello", "--site", str(site))
    assert result.code == 1
    assert "/essays/hello/" in result.err
    assert sorted(p.name for p in (site / "content/essays").iterdir()) == ["2023-01-01-hello.md"]


def test_a_page_cannot_take_a_section_url(site, cli):
    result = cli("new", "page", "Essays", "--site", str(site))
    assert result.code == 2
    assert not (site / "content/pages/essays.md").exists()


def test_a_title_without_letters_is_a_usage_error(site, cli):
    assert cli("new", "essay", "???", "--site", str(site)).code == 2


def test_new_needs_a_site(tmp_path, cli):
    result = cli("new", "essay", "Hello", "--site", str(tmp_path))
    assert result.code == 2
    assert "passivepress.yml" in result.err
