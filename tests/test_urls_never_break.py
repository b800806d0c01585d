"""A URL the site has published keeps working: aliases, redirects and the list of
published URLs that catches a renamed essay."""

from __future__ import annotations

import difflib
import random

from conftest import CONFIG
from passivepress import published

ESSAY = "content/essays/2024-03-01-first-steps.md"
SITE = (
    CONFIG
    + f"""
-- {ESSAY} --
---
title: First steps
date: 2024-03-01
---
Body.
-- content/essays/2024-04-01-draft.md --
---
title: Not yet
date: 2024-04-01
draft: true
---
Draft.
"""
)


def rename(site, slug: str, aliases: str = "") -> None:
    path = site / ESSAY
    text = path.read_text()
    if "slug:" not in text:
        text = text.replace("title: First steps", f"title: First steps\nslug: {slug}")
    if aliases:
        text = text.replace("date: 2024-03-01", f"date: 2024-03-01\naliases: {aliases}")
    path.write_text(text)


def test_every_build_records_the_urls_it_published(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    listed = (site / "published-urls.txt").read_text().splitlines()
    assert "/essays/first-steps/" in listed
    assert "/feed.xml" in listed and "/" in listed
    assert "/essays/draft/" not in listed, "drafts were never published"


def test_a_renamed_essay_is_a_warning_that_names_the_url_and_the_alias(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    cli("build", str(site))
    rename(site, "first-steps-at-work")
    result = cli("build", str(site))
    assert result.code == 0
    assert "warning: published-urls.txt: the published URL /essays/first-steps/ no longer" in (
        result.err
    )
    assert 'aliases: ["/essays/first-steps/"]' in result.err
    assert ESSAY in result.err, "the hint names the file to put the alias in"
    strict = cli("build", str(site), "--strict")
    assert strict.code == 1
    assert "/essays/first-steps/" in strict.err


def test_the_warning_stays_until_an_alias_covers_the_url(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    cli("build", str(site))
    rename(site, "first-steps-at-work")
    cli("build", str(site))
    assert "no longer exists" in cli("build", str(site)).err, "not forgotten after one build"
    rename(site, "first-steps-at-work", '["/essays/first-steps/"]')
    result = cli("build", str(site), "--strict")
    assert result.code == 0, result.err
    out = site / "_site"
    assert (out / "essays" / "first-steps" / "index.html").is_file()
    redirects = (out / "_redirects").read_text().splitlines()
    assert redirects == ["/essays/first-steps/ /essays/first-steps-at-work/ 301"]


def test_a_redirect_page_refreshes_to_the_new_url_and_names_it_canonical(
    tmp_path, make_site, build_site
):
    site = make_site(tmp_path, SITE)
    rename(site, "new", '["/2019/05/old-title/"]')
    built = build_site(site)
    page = built.html("/2019/05/old-title/")
    refresh = [m.get("content") for m in page.iter("meta") if m.get("http-equiv") == "refresh"]
    canonical = [link.get("href") for link in page.iter("link") if link.get("rel") == "canonical"]
    assert refresh == ["0; url=https://example.com/essays/new/"]
    assert canonical == ["https://example.com/essays/new/"]


def test_host_files_for_static_hosts(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    built = build_site(site)
    assert built.read("/.nojekyll") == b""
    assert built.read("/CNAME") == b"example.com\n"
    github = make_site(
        tmp_path, SITE.replace("https://example.com/", "https://ada.github.io/site/"), "gh"
    )
    assert not build_site(github).exists("/CNAME"), "a github.io address needs no CNAME"


def test_the_404_page_works_at_any_depth(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE.replace("https://example.com/", "https://example.com/sub/"))
    page = build_site(site).html("/404.html")
    local = [u for u in page.urls() if not u.startswith(("http", "mailto:", "#"))]
    assert local and all(u.startswith("/sub/") for u in local), local


def test_the_guessed_new_home_is_what_difflib_would_guess():
    # closest() passes over candidates difflib would score in full; it must still pick
    # the same one, ties included, among URLs that share most of their letters.
    rng = random.Random(6)
    letters = "abcdeesst-/0123"
    for _ in range(300):
        candidates = sorted(
            "/" + "".join(rng.choices(letters, k=rng.randint(1, 14))) + "/"
            for _ in range(rng.randint(0, 40))
        )
        word = "/" + "".join(rng.choices(letters, k=rng.randint(1, 14))) + "/"
        expected = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
        assert published.closest(word, candidates) == (expected[0] if expected else None)
    urls = [f"/essays/essay-{n:05d}/" for n in range(2000)] + ["/tags/", "/feed.xml"]
    for word in ("/essays/essay-00099/", "/essays/essy-1234/", "/2019/05/essay-00400/"):
        expected = difflib.get_close_matches(word, urls, n=1, cutoff=0.5)
        assert published.closest(word, urls) == expected[0]
