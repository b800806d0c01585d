"""CLI builds remember what they did (in .passivepress/cache/) and redo only what changed."""

from __future__ import annotations

from conftest import CONFIG

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
