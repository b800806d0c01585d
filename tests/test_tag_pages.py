"""Tag pages are paginated as the essay archive is: /tags/<slug>/, then /tags/<slug>/page/2/ ..."""

from __future__ import annotations

from conftest import CONFIG, NOW, Built, Html, tree
from passivepress.build import Builder, BuildOptions
from passivepress.report import Recorder

# 25 essays, one a day, all tagged "writing"; every fifth is also tagged "rare" (5 essays).
# With 10 a page: writing has pages of 25..16, 15..6 and 5..1; rare has one page.
ESSAYS = "".join(
    f"""
-- content/essays/2024-01-{n:02d}-e{n}.md --
---
title: Essay {n}
date: 2024-01-{n:02d}
tags: [writing{", rare" if n % 5 == 0 else ""}]
---
Text of essay {n}.
"""
    for n in range(1, 26)
)
SITE = CONFIG + "pagination:\n  per_page: 10\n" + ESSAYS

WRITING = ["/tags/writing/", "/tags/writing/page/2/", "/tags/writing/page/3/"]


def listed(page: Html) -> list[str]:
    """The essays a list page shows, in order."""
    return [a.get("href", "") for h in page.with_class("essay-item__title") for a in h.iter("a")]


def essays(*numbers: int, base: str = "") -> list[str]:
    return [f"{base}/essays/e{n}/" for n in numbers]


def rel_links(page: Html) -> dict[str, set[str]]:
    """rel=prev/next targets, from <link> in the head and <a> in the body alike."""
    out: dict[str, set[str]] = {}
    for el in page.iter():
        if el.tag in ("a", "link") and el.get("rel") in ("prev", "next"):
            out.setdefault(el.get("rel", ""), set()).add(el.get("href", ""))
    return out


def canonical(page: Html) -> str:
    found = [el.get("href") for el in page.iter("link") if el.get("rel") == "canonical"]
    assert len(found) == 1
    return found[0] or ""


def test_a_tag_is_split_into_pages_of_per_page_essays_newest_first(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE))
    assert listed(built.html("/tags/writing/")) == essays(*range(25, 15, -1))
    assert listed(built.html("/tags/writing/page/2/")) == essays(*range(15, 5, -1))
    assert listed(built.html("/tags/writing/page/3/")) == essays(*range(5, 0, -1))
    assert not built.exists("/tags/writing/page/4/")
    assert not built.exists("/tags/writing/page/1/")
    assert built.broken_links() == []


def test_tag_pages_link_to_the_next_and_previous_page_that_exist(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE))
    assert rel_links(built.html(WRITING[0])) == {"next": {WRITING[1]}}
    assert rel_links(built.html(WRITING[1])) == {"prev": {WRITING[0]}, "next": {WRITING[2]}}
    assert rel_links(built.html(WRITING[2])) == {"prev": {WRITING[1]}}
    for url in WRITING:
        for targets in rel_links(built.html(url)).values():
            assert all(built.exists(t) for t in targets)
        nav = built.html(url).one("pagination", "nav")
        assert "of 3" in built.html(url).text(nav)


def test_later_pages_say_their_number_and_are_their_own_canonical_url(
    tmp_path, make_site, build_site
):
    built = build_site(make_site(tmp_path, SITE))
    assert built.html(WRITING[0]).title() == "Essays about writing — Test Site"
    assert built.html(WRITING[1]).title() == "Essays about writing, page 2 — Test Site"
    assert built.html(WRITING[2]).title() == "Essays about writing, page 3 — Test Site"
    for url in WRITING:
        assert canonical(built.html(url)) == "https://example.com" + url


def test_a_tag_with_at_most_per_page_essays_has_one_page_without_pagination(
    tmp_path, make_site, build_site
):
    built = build_site(make_site(tmp_path, SITE))
    page = built.html("/tags/rare/")
    assert listed(page) == essays(25, 20, 15, 10, 5)
    assert not built.exists("/tags/rare/page/2/")
    assert page.with_class("pagination") == []
    assert rel_links(page) == {}
    assert page.title() == "Essays about rare — Test Site"


def test_tag_pages_stay_under_the_base_path(tmp_path, make_site, build_site):
    site = SITE.replace("base_url: https://example.com/", "base_url: https://example.com/blog/")
    built = build_site(make_site(tmp_path, site))
    page = built.html("/tags/writing/page/2/")
    assert listed(page) == essays(*range(15, 5, -1), base="/blog")
    assert rel_links(page) == {
        "prev": {"/blog/tags/writing/"},
        "next": {"/blog/tags/writing/page/3/"},
    }
    assert canonical(page) == "https://example.com/blog/tags/writing/page/2/"
    assert "https://example.com/blog/tags/writing/page/3/" in built.sitemap()
    assert built.broken_links("https://example.com/blog/") == []


def test_the_sitemap_lists_tag_pages_as_it_lists_archive_pages(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE))
    locs = built.sitemap()
    archive = ["/essays/", "/essays/page/2/", "/essays/page/3/"]
    for url in archive + WRITING + ["/tags/rare/"]:
        assert "https://example.com" + url in locs
    assert "https://example.com/tags/rare/page/2/" not in locs
    assert len(locs) == len(set(locs))


def test_published_urls_keep_leaving_out_tag_and_paginated_pages(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE))
    published = (built.site / "published-urls.txt").read_text().split()
    assert "/essays/" in published and "/tags/" in published
    assert not [u for u in published if "/page/" in u or u.startswith("/tags/writing")]


def test_the_tag_feed_and_the_tag_index_still_cover_every_essay(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE))
    feed = built.feed("/tags/writing/feed.xml")
    # The feed's own limit (20), not a page's (10).
    assert [e.title for e in feed.entries] == [f"Essay {n}" for n in range(25, 5, -1)]
    assert feed.feed.link == "https://example.com/tags/writing/"
    index = built.html("/tags/")
    counts = {
        a.get("href"): index.text(span)
        for a in index.with_class("tag-pill", "a")
        for span in a.iter("span")
        if span.get("class") == "tag-pill__count"
    }
    assert counts == {"/tags/rare/": "5 essays", "/tags/writing/": "25 essays"}


# -- incremental builds: an edit re-renders only the tag pages that show the essay ----------


def retitle(site, n: int) -> None:
    path = site / f"content/essays/2024-01-{n:02d}-e{n}.md"
    path.write_text(path.read_text().replace(f"title: Essay {n}", f"title: Renamed {n}"))


def tag_pages(rendered: set[str]) -> set[str]:
    return {p for p in rendered if p.startswith("/tags/") and not p.endswith(".xml")}


def test_a_new_title_re_renders_only_the_tag_pages_that_show_the_essay(
    tmp_path, make_site, build_site
):
    site = make_site(tmp_path, SITE)
    build_site(site, record_urls=False)
    retitle(site, 10)
    again = build_site(site, record_urls=False)
    rendered = set(again.recorder.paths)
    assert tag_pages(rendered) == {"/tags/writing/page/2/", "/tags/rare/"}
    assert "/essays/page/2/" in rendered and "/essays/" not in rendered
    assert "Renamed 10" in again.html("/tags/writing/page/2/").text()


def test_the_preview_re_renders_only_the_tag_pages_that_show_the_essay(tmp_path, make_site):
    site = make_site(tmp_path, SITE)
    recorder = Recorder()
    options = BuildOptions(output=tmp_path / "out", preview=True, now=NOW, record_urls=False)
    builder = Builder(site, options, recorder)
    builder.build()
    recorder.paths.clear()
    retitle(site, 3)
    builder.build()
    assert tag_pages(set(recorder.paths)) == {"/tags/writing/page/3/"}


def test_an_essay_moving_to_another_page_gives_what_a_clean_build_gives(
    tmp_path, make_site, build_site
):
    site = make_site(tmp_path, SITE)
    out = tmp_path / "out"
    build_site(site, out, record_urls=False)
    # Essay 3 becomes the newest: every page of "writing" shows other essays now.
    path = site / "content/essays/2024-01-03-e3.md"
    path.write_text(path.read_text().replace("date: 2024-01-03", "date: 2024-02-01"))
    again: Built = build_site(site, out, record_urls=False)
    assert set(WRITING) <= set(again.recorder.paths)
    assert listed(again.html("/tags/writing/"))[0] == "/essays/e3/"
    clean = build_site(site, tmp_path / "clean", record_urls=False, use_cache=False)
    assert tree(out) == tree(clean.out)


def test_a_paginator_gives_every_page_url_without_holding_the_list():
    import dataclasses

    from passivepress.routes import paginate

    pages = paginate("/essays/", list(range(25)), 10, "/blog/")  # type: ignore[arg-type]
    paginator = pages[1][2]
    assert paginator.urls == ("/blog/essays/", "/blog/essays/page/2/", "/blog/essays/page/3/")
    assert paginator.url(1) == "/blog/essays/" and paginator.url(3) == "/blog/essays/page/3/"
    assert (paginator.prev_url, paginator.next_url) == paginator.urls[::2]
    # A page's recipe holds its own numbers, not every page's URL (a 1,000-page archive).
    assert "urls" not in {f.name for f in dataclasses.fields(paginator)}
