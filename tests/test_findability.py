"""What search engines, link previews and feed readers find in the built pages, read with
independent parsers: extruct (JSON-LD, Open Graph, microformats), mf2py, feedparser,
html5lib and Pillow. The example site (this repository) and a small site written below are
both checked page by page.

The Nu Html Checker runs too when ``VNU_JAR`` names a vnu.jar and Java is installed (it is
not in the default run: it needs Java and npm). ``scripts/audit`` runs it with Lighthouse.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import extruct
import mf2py
import pytest
from PIL import Image

from conftest import CONFIG, Built, Html
from passivepress.build import BuildOptions, build
from passivepress.report import Recorder

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://example.com/"

EVIL = '</script><script>alert(1)</script> "quoted" & <b>'

LONG_PARAGRAPH = (
    "Most people who ask for mentoring already know what they want to change, and what "
    "they lack is not advice but a second person who takes the change seriously, week after "
    "week, until it has become the way they work and nobody remembers it was ever new."
)

SITE = (
    # Pages without a picture of their own (home, about, tags ...) show the author's.
    CONFIG.replace(
        "name: Ada Author",
        "name: Ada Author\n  url: https://example.com/about/\n  image: /images/ada.png",
    ).replace(
        "text: Tell me where you are stuck.",
        "text: Tell me where you are stuck.\n  booking_url: https://cal.example.com/ada\n"
        "  form_action: https://forms.example.com/ada\n  form_provider: netlify",
    )
    + """
-- content/essays/2024-03-01-first-steps.md --
---
title: First steps
date: 2024-03-01 09:30
updated: 2024-04-02
summary: How to start mentoring someone in the first hour.
tags: [mentoring, careers]
books: [the-book]
---
The first session sets the tone.

```{book} the-book
```

## What to ask

Ask what they would change first.

```{cta}
```
-- content/essays/2024-03-05-evil.md --
---
title: '</script><script>alert(1)</script> "quoted" & <b>'
slug: evil
date: 2024-03-05
tags: [careers]
---
Titles are text, whatever they contain.
-- content/essays/2024-03-10-with-a-picture.md --
---
title: With a picture
date: 2024-03-10
image: /images/photo.png
aliases: [/old/with-a-picture/]
---
This essay brings its own picture.
-- content/essays/2024-03-12-a-long-first-paragraph.md --
---
title: A long first paragraph
date: 2024-03-12
---
"""
    + LONG_PARAGRAPH
    + """

A second paragraph that no description should reach.
-- content/essays/2024-03-15-auf-deutsch.md --
---
title: Auf Deutsch
date: 2024-03-15
lang: de
---
Ein Essay auf Deutsch.
-- content/books/the-book.md --
---
title: The Book
authors: [Ada Author, Bea Second]
year: 2023
isbn: "978-0-00-000001-9"
cover: /covers/the-book.svg
summary: A book about the first years of mentoring.
own: true
links:
  - {label: Shop, url: "https://shop.example/the-book", affiliate: true}
---
A review of the book.
-- content/pages/about.md --
---
title: About
slug: about
summary: Ada mentors new managers.
---
I mentor new managers.
-- content/pages/contact.md --
---
title: Contact
slug: contact
---
Write to me.
-- static/covers/the-book.svg --
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 3" width="200" height="300">
<rect width="2" height="3" fill="#1f5f5b"/></svg>
-- static/images/photo.png --
not really a picture; only its URL matters here
-- static/images/ada.png --
not really a picture either
"""
)


# --- building ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory, make_site, build_site) -> Built:
    site = make_site(tmp_path_factory.mktemp("findability"), SITE)
    return build_site(site, use_cache=False, record_urls=False)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Built:
    """The repository's own example site, built as it is (today's date decides the future)."""
    out = tmp_path_factory.mktemp("example") / "out"
    recorder = Recorder()
    result = build(ROOT, BuildOptions(output=out, use_cache=False, record_urls=False), recorder)
    return Built(ROOT, out.resolve(), result, recorder)


# --- reading -------------------------------------------------------------------------------


class Page:
    """One built HTML page, read by extruct, mf2py and html5lib."""

    def __init__(self, built: Built, rel: str) -> None:
        self.rel = rel
        self.url = "/" + rel.removesuffix("index.html")
        self.address = BASE + self.url.lstrip("/")
        self.source = (built.out / rel).read_text(encoding="utf-8")
        self.html = Html(self.source.encode())
        data = extruct.extract(
            self.source,
            base_url=self.address,
            syntaxes=["json-ld", "opengraph", "microformat"],
            uniform=True,
        )
        self.jsonld: list[dict[str, Any]] = []
        for block in data["json-ld"]:
            self.jsonld += block.get("@graph", [block])
        og = data["opengraph"]
        assert len(og) <= 1, f"{rel}: more than one Open Graph block"
        self.og: dict[str, Any] = og[0] if og else {}
        self.mf = mf2py.parse(doc=self.source, url=self.address)

    def typed(self, kind: str) -> list[dict[str, Any]]:
        return [item for item in self.jsonld if item.get("@type") == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.typed(kind)
        assert len(found) == 1, f"{self.rel}: expected one {kind} in JSON-LD, got {len(found)}"
        return found[0]

    def head_links(self, rel: str) -> list[dict[str, str]]:
        return [dict(el.attrib) for el in self.html.findall("head/link") if el.get("rel") == rel]

    def mf_items(self, kind: str) -> list[dict[str, Any]]:
        """Every microformats2 item of ``kind``, nested ones included."""
        found = []

        def walk(items: list[Any]) -> None:
            for item in items:
                if not isinstance(item, dict) or "type" not in item:
                    continue
                if kind in item["type"]:
                    found.append(item)
                walk(item.get("children", []))
                for values in item.get("properties", {}).values():
                    walk(values)

        walk(self.mf["items"])
        return found


def pages(built: Built) -> list[Page]:
    """Every HTML page but the redirects left at old URLs (they only point onwards)."""
    out = []
    for rel in sorted(built.files()):
        if rel.endswith(".html"):
            text = (built.out / rel).read_text(encoding="utf-8")
            if 'http-equiv="refresh"' not in text:
                out.append(Page(built, rel))
    return out


def instant(text: str) -> datetime:
    """A timestamp as an aware datetime, whichever ISO 8601 spelling it uses."""
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]  # mf2py writes +0100
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def png_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.size


# --- every page ----------------------------------------------------------------------------


def check_every_page(built: Built, site_title: str, language: str = "en") -> None:
    """Title, description, canonical, lang, feed discovery and Open Graph on every page."""
    checked = pages(built)
    assert len(checked) > 5
    for page in checked:
        where = page.rel
        assert page.html.title(), f"{where}: no <title>"

        description = page.html.meta("description")
        assert description, f"{where}: no meta description"
        assert len(description) <= 160, f"{where}: description of {len(description)} chars"
        if description.endswith("…"):
            # Cut at a word boundary: the last word before the ellipsis is a whole word.
            assert not description[:-1].endswith(" "), where

        canonical = page.head_links("canonical")
        assert len(canonical) == 1, f"{where}: {len(canonical)} canonical links"
        assert canonical[0]["href"] == page.address, where

        lang = page.html.root.get("lang")
        assert lang, f"{where}: no <html lang>"

        feeds = {(link["type"], link["href"]) for link in page.head_links("alternate")}
        assert ("application/rss+xml", "/feed.xml") in feeds, where
        assert ("application/atom+xml", "/atom.xml") in feeds, where

        og = page.og
        assert og.get("og:title"), f"{where}: no og:title"
        assert og.get("og:description") == description, where
        assert og.get("og:url") == page.address, where
        assert og.get("og:image", "").startswith(BASE), f"{where}: og:image {og.get('og:image')}"
        assert og.get("@type") in ("website", "article", "book"), where
        assert og.get("og:site_name") == site_title, where

        # Nothing but JSON-LD is a script: the theme works without JavaScript.
        for script in page.html.iter("script"):
            assert script.get("type") == "application/ld+json", f"{where}: a script element"


def check_essay(page: Page, author: str) -> None:
    where = page.rel
    og = page.og
    assert og["@type"] == "article", where
    assert page.html.meta("twitter:card") == "summary_large_image", where
    published = og["article:published_time"]

    post = page.one("BlogPosting")
    assert post["headline"] == page.html.text(page.html.find(".//h1")), where
    assert post["url"] == page.address
    assert instant(post["datePublished"]) == instant(published), where
    assert instant(post["dateModified"]) >= instant(post["datePublished"]), where
    assert post["author"]["@type"] == "Person"
    assert post["author"]["name"] == author
    assert post["image"] == og["og:image"], where

    crumbs = page.one("BreadcrumbList")["itemListElement"]
    assert [c["position"] for c in crumbs] == list(range(1, len(crumbs) + 1))
    assert crumbs[0]["item"] == BASE
    assert crumbs[-1]["item"] == page.address
    assert crumbs[-1]["name"] == post["headline"]

    entries = page.mf_items("h-entry")
    assert len(entries) == 1, f"{where}: {len(entries)} h-entry"
    props = entries[0]["properties"]
    assert props["name"] == [post["headline"]], where
    assert instant(props["published"][0]) == instant(published), where
    assert props["content"][0]["value"].strip(), f"{where}: empty e-content"
    author_card = props["author"][0]
    assert "h-card" in author_card["type"]
    assert author_card["properties"]["name"] == [author]
    tags = [a.get("content") for a in page.html.iter("meta") if a.get("property") == "article:tag"]
    assert props.get("category", []) == tags, where


def check_book(page: Page) -> None:
    where = page.rel
    assert page.og["@type"] == "book", where
    book = page.one("Book")
    assert book["name"] == page.html.text(page.html.find(".//h1")), where
    assert book["url"] == page.address
    assert book["author"] and all(a["@type"] == "Person" and a["name"] for a in book["author"])
    assert book["isbn"], where
    assert book["image"].startswith(BASE), where
    assert book["image"] == page.og["og:image"], where
    assert page.one("BreadcrumbList")["itemListElement"][-1]["item"] == page.address


def check_person(page: Page, name: str) -> None:
    person = [p for p in page.typed("Person") if p.get("name") == name]
    assert len(person) == 1, f"{page.rel}: no JSON-LD Person for {name}"
    assert person[0]["url"].startswith("https://"), page.rel
    cards = [c for c in page.mf_items("h-card") if c["properties"].get("name") == [name]]
    assert cards, f"{page.rel}: no h-card for {name}"


# --- the small site --------------------------------------------------------------------------


def test_every_page_has_title_description_canonical_lang_feeds_and_open_graph(small):
    check_every_page(small, "Test Site")


def test_essays_are_blog_postings_and_h_entries_with_their_author(small):
    essays = [p for p in pages(small) if p.og.get("@type") == "article"]
    assert {p.url for p in essays} == {
        "/essays/first-steps/",
        "/essays/evil/",
        "/essays/with-a-picture/",
        "/essays/a-long-first-paragraph/",
        "/essays/auf-deutsch/",
    }
    for page in essays:
        check_essay(page, "Ada Author")


def test_an_updated_essay_says_when_it_changed(small):
    page = Page(small, "essays/first-steps/index.html")
    post = page.one("BlogPosting")
    assert post["datePublished"].startswith("2024-03-01T09:30")
    assert post["dateModified"].startswith("2024-04-02")
    assert page.og["article:published_time"].startswith("2024-03-01T09:30")
    props = page.mf_items("h-entry")[0]["properties"]
    assert props["category"] == ["mentoring", "careers"]


def test_the_home_page_is_a_website_with_the_author_as_person_and_h_card(small):
    page = Page(small, "index.html")
    assert page.og["@type"] == "website"
    assert page.og["og:title"] == "Test Site"
    check_person(page, "Ada Author")
    assert page.one("WebSite")["url"] == BASE


def test_the_about_page_introduces_the_author_as_person_and_h_card(small):
    page = Page(small, "about/index.html")
    check_person(page, "Ada Author")
    crumbs = page.one("BreadcrumbList")["itemListElement"]
    assert [c["name"] for c in crumbs] == ["Test Site", "About"]
    assert page.typed("Person")[0]["url"] == "https://example.com/about/"


def test_other_pages_do_not_claim_to_be_the_author(small):
    assert Page(small, "contact/index.html").typed("Person") == []


def test_a_book_page_is_a_book_with_its_authors_isbn_and_cover(small):
    page = Page(small, "books/the-book/index.html")
    check_book(page)
    book = page.one("Book")
    assert [a["name"] for a in book["author"]] == ["Ada Author", "Bea Second"]
    assert book["isbn"] == "978-0-00-000001-9"
    assert book["image"] == "https://example.com/covers/the-book.svg"
    assert page.og["og:title"] == "The Book"


def test_a_long_first_paragraph_is_cut_at_a_word_boundary_for_the_description(small):
    page = Page(small, "essays/a-long-first-paragraph/index.html")
    description = page.html.meta("description")
    assert description.endswith("…")
    kept = description[:-1]
    assert 100 <= len(description) <= 160
    assert LONG_PARAGRAPH.startswith(kept)
    assert LONG_PARAGRAPH[len(kept)] in " ,.;:", "the cut falls between words"
    assert "second paragraph" not in description


def test_an_essay_in_another_language_says_so_in_html_lang(small):
    assert Page(small, "essays/auf-deutsch/index.html").html.root.get("lang") == "de"
    assert Page(small, "essays/first-steps/index.html").html.root.get("lang") == "en"


def test_essays_without_an_image_get_their_own_1200_by_630_social_card(small):
    for slug in ("first-steps", "evil", "a-long-first-paragraph", "auf-deutsch"):
        page = Page(small, f"essays/{slug}/index.html")
        card = f"https://example.com/essays/{slug}/card.png"
        assert page.og["og:image"] == card
        assert page.html.meta("twitter:image") == card
        assert png_size(small.read(f"/essays/{slug}/card.png")) == (1200, 630)


def test_an_essay_with_an_image_uses_it_and_gets_no_card(small):
    page = Page(small, "essays/with-a-picture/index.html")
    assert page.og["og:image"] == "https://example.com/images/photo.png"
    assert page.one("BlogPosting")["image"] == "https://example.com/images/photo.png"
    assert not small.exists("/essays/with-a-picture/card.png")


def test_a_title_with_markup_and_quotes_stays_text_everywhere(small):
    page = Page(small, "essays/evil/index.html")
    # JSON-LD still parses, and holds exactly the title.
    assert page.one("BlogPosting")["headline"] == EVIL
    assert page.one("BreadcrumbList")["itemListElement"][-1]["name"] == EVIL
    # HTML text and attributes.
    assert page.html.title() == f"{EVIL} — Test Site"
    assert page.og["og:title"] == EVIL
    assert page.html.text(page.html.find(".//h1")) == EVIL
    assert page.mf_items("h-entry")[0]["properties"]["name"] == [EVIL]
    # The only scripts are the two JSON-LD blocks; no <b> leaked into the page.
    scripts = list(page.html.iter("script"))
    assert [s.get("type") for s in scripts] == ["application/ld+json"] * 2
    assert page.html.find(".//main//b") is None
    # Feeds.
    for url in ("/feed.xml", "/atom.xml", "/tags/careers/feed.xml"):
        titles = [entry.title for entry in small.feed(url).entries]
        assert EVIL in titles, url


# --- the example site ------------------------------------------------------------------------


def test_the_example_site_passes_every_page_check(example):
    check_every_page(example, "Maren Holt")


def test_the_example_sites_essays_are_blog_postings_with_social_cards(example):
    essays = [p for p in pages(example) if p.og.get("@type") == "article"]
    assert len(essays) >= 5
    for page in essays:
        check_essay(page, "Maren Holt")
        card = page.address + "card.png"
        if page.og["og:image"] == card:
            assert png_size(example.read(page.url + "card.png")) == (1200, 630)


def test_the_example_sites_books_are_books(example):
    books = [p for p in pages(example) if p.og.get("@type") == "book"]
    assert len(books) == 3
    for page in books:
        check_book(page)


def test_the_example_sites_home_and_about_pages_present_the_author(example):
    for rel in ("index.html", "about/index.html"):
        check_person(Page(example, rel), "Maren Holt")
    assert Page(example, "index.html").og["@type"] == "website"


# --- the Nu Html Checker, when there is one -------------------------------------------------


VNU_JAR = os.environ.get("VNU_JAR", "")


@pytest.mark.skipif(
    not (VNU_JAR and Path(VNU_JAR).is_file() and shutil.which("java")),
    reason="set VNU_JAR to a vnu.jar (npm package vnu-jar) and install Java",
)
def test_the_nu_html_checker_finds_no_error_on_any_page(example, small):
    files = [str(p) for built in (example, small) for p in sorted(built.out.rglob("*.html"))]
    done = subprocess.run(
        # netlify-honeypot is Netlify's documented attribute; Netlify removes it on deploy.
        [
            "java",
            "-jar",
            VNU_JAR,
            "--errors-only",
            "--skip-non-html",
            "--filterpattern",
            ".*netlify-honeypot.*",
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
