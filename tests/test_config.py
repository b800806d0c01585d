"""passivepress.yml: a site published under a sub-path, overriding base_url, and how
settings are checked (every problem in one run, unknown keys warned with a suggestion)."""

from __future__ import annotations

import pytest

from conftest import CONFIG

SUB = CONFIG.replace("base_url: https://example.com/", "base_url: https://example.com/sub/")

CONTENT = """
-- content/essays/2024-03-01-hello.md --
---
title: Hello
date: 2024-03-01
tags: [Careers]
---
Read [about me](/about/) and [elsewhere](https://other.example/about/).
-- content/pages/about.md --
---
title: About
menu: 1
---
Me.
-- content/books/a-book.md --
---
title: A Book
own: true
---
Mine.
"""


@pytest.fixture(scope="module")
def sub(tmp_path_factory, make_site, build_site):
    return build_site(make_site(tmp_path_factory.mktemp("sub"), SUB + CONTENT))


def site_urls(page) -> list[str]:
    """Root-relative URLs a page refers to (links, stylesheets, images, forms)."""
    return [u for u in page.urls() if u.startswith("/")]


# --- a site under a sub-path --------------------------------------------------------------


def test_files_are_written_at_the_output_root_even_under_a_sub_path(sub):
    # The host maps https://example.com/sub/ to the output folder itself.
    assert (sub.out / "essays" / "hello" / "index.html").is_file()
    assert not (sub.out / "sub").exists()


@pytest.mark.parametrize("url", ["/", "/essays/hello/", "/about/", "/tags/careers/", "/404.html"])
def test_every_internal_link_and_the_stylesheet_start_with_the_sub_path(sub, url):
    page = sub.html(url)
    urls = site_urls(page)
    assert urls
    assert all(u.startswith("/sub/") for u in urls), [u for u in urls if not u.startswith("/sub/")]
    stylesheets = [el.get("href") for el in page.iter("link") if el.get("rel") == "stylesheet"]
    assert "/sub/css/style.css" in stylesheets


def test_links_written_in_markdown_are_put_under_the_sub_path(sub):
    page = sub.html("/essays/hello/")
    links = page.links(page.one("e-content"))
    assert links == ["/sub/about/", "https://other.example/about/"]


def test_a_link_written_with_the_sub_path_is_warned_about_with_a_hint(
    tmp_path, make_site, build_site
):
    # On a site at /essays/, "/essays/x/" could mean either; links are always written
    # from the site's root, and the check points out the likely mistake.
    site = make_site(
        tmp_path,
        SUB
        + "-- content/pages/about.md --\n---\ntitle: About\n---\n"
        + "Back to [about](/sub/about/).\n",
    )
    warnings = build_site(site).recorder.warnings
    assert [(str(w.path), w.line) for w in warnings] == [("content/pages/about.md", 4)]
    assert "/sub/about/" in warnings[0].message
    assert "/about/" in warnings[0].hint


def test_the_canonical_url_includes_the_sub_path(sub):
    page = sub.html("/essays/hello/")
    canonical = [el.get("href") for el in page.iter("link") if el.get("rel") == "canonical"]
    assert canonical == ["https://example.com/sub/essays/hello/"]


@pytest.mark.parametrize("url", ["/feed.xml", "/atom.xml", "/tags/careers/feed.xml"])
def test_feed_links_are_absolute_under_the_sub_path(sub, url):
    feed = sub.feed(url)
    assert feed.entries[0].link == "https://example.com/sub/essays/hello/"
    assert feed.feed.link.startswith("https://example.com/sub/")
    body_links = [
        part.split('"')[0] for part in feed.entries[0].content[0].value.split('href="')[1:]
    ]
    assert body_links[0] == "https://example.com/sub/about/"


def test_the_sitemap_and_robots_txt_use_the_sub_path(sub):
    assert all(loc.startswith("https://example.com/sub/") for loc in sub.sitemap())
    assert "https://example.com/sub/essays/hello/" in sub.sitemap()
    assert "Sitemap: https://example.com/sub/sitemap.xml" in sub.read("/robots.txt").decode()


def test_nothing_links_to_a_missing_file_under_a_sub_path(sub):
    assert sub.broken_links("https://example.com/sub/") == []


def test_covers_and_portraits_are_found_under_a_sub_path(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        SUB.replace("name: Ada Author", "name: Ada Author\n  image: /images/ada.png")
        + """
-- static/images/ada.png --
png
-- static/covers/a.png --
png
-- content/books/a.md --
---
title: A Book
cover: /covers/a.png
own: true
---
Mine.
-- content/essays/one.md --
---
title: One
date: 2024-01-01
image: /covers/a.png
---
Body.
""",
    )
    built = build_site(site)
    assert built.broken_links("https://example.com/sub/") == []
    assert built.html("/essays/one/").meta("og:image") == "https://example.com/sub/covers/a.png"


def test_a_sub_path_named_like_a_section_of_the_site_still_works(tmp_path, make_site, build_site):
    config = CONFIG.replace("https://example.com/", "https://example.com/essays/")
    site = make_site(
        tmp_path,
        config + "-- content/essays/hello.md --\n---\ntitle: Hello\ndate: 2024-03-01\n---\nx\n",
    )
    built = build_site(site)
    assert "/essays/essays/hello/" in built.html("/").links()
    assert built.feed().entries[0].link == "https://example.com/essays/essays/hello/"
    assert built.broken_links("https://example.com/essays/") == []


def test_base_url_can_be_overridden_for_one_build(tmp_path, make_site, build_site):
    site = make_site(tmp_path, CONFIG + CONTENT)
    built = build_site(site, base_url="https://preview.example.net/pr-7/")
    page = built.html("/essays/hello/")
    assert "/pr-7/about/" in page.links()
    assert built.feed().entries[0].link == "https://preview.example.net/pr-7/essays/hello/"


def test_a_base_url_without_a_trailing_slash_is_understood(tmp_path, make_site, build_site):
    config = CONFIG.replace("base_url: https://example.com/", "base_url: https://example.com/sub")
    built = build_site(make_site(tmp_path, config + CONTENT))
    assert "/sub/about/" in built.html("/essays/hello/").links()
    assert built.feed().entries[0].link == "https://example.com/sub/essays/hello/"


# --- settings -----------------------------------------------------------------------------


def test_settings_reach_the_pages(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        """
-- passivepress.yml --
title: Maren Holt
description: Essays on mentoring.
base_url: https://example.com/
language: de
copyright: © 2024 Maren Holt
menu:
  - {title: Essays, url: /essays/}
  - {title: Elsewhere, url: https://elsewhere.example/}
""",
    )
    page = build_site(site).html("/")
    assert page.root.get("lang") == "de"
    assert page.title() == "Maren Holt"
    assert page.meta("description") == "Essays on mentoring."
    assert "© 2024 Maren Holt" in page.text()
    nav = page.find(".//nav[@aria-label='Main']")
    assert page.links(nav) == ["/essays/", "https://elsewhere.example/"]


def test_the_date_format_setting_changes_how_dates_are_shown(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        CONFIG
        + "date_format: '%Y/%m/%d'\n"
        + "-- content/essays/a.md --\n---\ntitle: A\ndate: 2024-03-05\n---\nx\n",
    )
    page = build_site(site).html("/essays/a/")
    assert page.text(page.one("dt-published", "time")) == "2024/03/05"


def test_dates_are_shown_the_same_way_on_every_platform(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path, CONFIG + "-- content/essays/a.md --\n---\ntitle: A\ndate: 2024-03-05\n---\nx\n"
    )
    page = build_site(site).html("/essays/a/")
    assert page.text(page.one("dt-published", "time")) == "5 March 2024"


def test_unknown_settings_are_kept_for_templates_and_warned_about(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        CONFIG
        + "newsletter: https://letters.example/\n"
        + "-- templates/404.html --\n"
        + '{% extends "!theme/404.html" %}\n'
        + '{% block footer %}<a class="letters" href="{{ site.extra.newsletter }}">x</a>'
        + "{% endblock %}\n",
    )
    built = build_site(site)
    assert built.html("/404.html").one("letters").get("href") == "https://letters.example/"
    assert [(str(w.path), w.message) for w in built.recorder.warnings] == [
        ("passivepress.yml", "unknown setting 'newsletter'")
    ]


def test_settings_under_extra_are_not_warned_about(tmp_path, make_site, build_site):
    site = make_site(tmp_path, CONFIG + "extra:\n  newsletter: https://letters.example/\n")
    assert build_site(site).recorder.warnings == []


@pytest.mark.parametrize(
    ("typo", "line", "suggestion"),
    [
        ("descripton: Essays", 3, "did you mean 'description'?"),
        ("feeds:\n  limt: 5", 4, "did you mean 'feeds.limit'?"),
        ("contact:\n  emial: x@example.com", 4, "did you mean 'contact.email'?"),
    ],
)
def test_an_unknown_setting_that_looks_like_a_typo_gets_a_suggestion(
    tmp_path, make_site, build_site, typo, line, suggestion
):
    site = make_site(
        tmp_path,
        f"""
-- passivepress.yml --
title: Test Site
base_url: https://example.com/
{typo}
""",
    )
    built = build_site(site)
    assert len(built.recorder.warnings) == 1
    warning = built.recorder.warnings[0]
    assert (str(warning.path), warning.line) == ("passivepress.yml", line)
    assert warning.hint == suggestion
