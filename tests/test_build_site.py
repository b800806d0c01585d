"""A whole small site built end to end: which pages exist, at which pretty URLs, and what
they link to. Output is read with html5lib and xml.etree, never by matching our templates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import CONFIG, NOW, tree

SITE = (
    CONFIG
    + """
-- content/essays/2024-03-01-first-steps.md --
---
title: First steps
date: 2024-03-01
tags: [Mentoring, Career Advice]
books: [the-quiet-signal]
---
The first essay. Read [about me](/about/) or [the book](/books/the-quiet-signal/).
-- content/essays/2024-04-01-second-thoughts.md --
---
title: Second thoughts
date: 2024-04-01
tags: [Mentoring]
---
The second essay.
-- content/essays/2024-05-01-third-time.md --
---
title: Third time
date: 2024-05-01
summary: A summary written by hand.
---
The third essay.
-- content/books/the-quiet-signal.md --
---
title: The Quiet Signal
author: Ada Author
year: 2023
own: true
links:
  - label: Bookshop
    url: https://bookshop.example/quiet
    affiliate: true
  - label: Publisher
    url: https://publisher.example/quiet
---
My own book.
-- content/books/other-book.md --
---
title: Another Book
authors: [Someone Else, A. N. Other]
---
A book I recommend.
-- content/pages/about.md --
---
title: About
menu: 1
---
I mentor engineers.
-- content/pages/contact.md --
---
title: Contact
menu: 2
---
Write to me.
"""
)


@pytest.fixture(scope="module")
def built(tmp_path_factory, make_site, build_site):
    """The site above, built once for the tests that only read it."""
    return build_site(make_site(tmp_path_factory.mktemp("built"), SITE))


def main_text(page) -> str:
    return page.text(page.find(".//main"))


# --- pretty URLs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/essays/",
        "/essays/first-steps/",
        "/essays/second-thoughts/",
        "/essays/third-time/",
        "/books/",
        "/books/the-quiet-signal/",
        "/books/other-book/",
        "/tags/",
        "/tags/mentoring/",
        "/tags/career-advice/",
        "/about/",
        "/contact/",
        "/404.html",
        "/feed.xml",
        "/atom.xml",
        "/sitemap.xml",
        "/robots.txt",
    ],
)
def test_every_kind_of_page_is_written_at_its_pretty_url(built, url):
    assert built.exists(url)


def test_pages_are_index_html_files_inside_a_folder_per_url(built):
    assert (built.out / "essays" / "first-steps" / "index.html").is_file()
    assert (built.out / "books" / "the-quiet-signal" / "index.html").is_file()
    assert (built.out / "tags" / "career-advice" / "index.html").is_file()
    assert (built.out / "about" / "index.html").is_file()
    assert not (built.out / "essays" / "first-steps.html").exists()


def test_the_reporter_hears_of_every_page_rendered(built):
    paths = set(built.recorder.paths)
    assert {"/", "/essays/first-steps/", "/books/other-book/", "/about/", "/404.html"} <= paths
    assert built.result.pages >= 12
    assert built.result.feeds >= 2


def test_an_essay_page_shows_its_title_date_and_body(built):
    page = built.html("/essays/first-steps/")
    assert page.text(page.find(".//h1")) == "First steps"
    assert page.title() == "First steps — Test Site"
    assert "The first essay." in page.text(page.one("e-content"))
    time = page.one("dt-published", "time")
    assert time.get("datetime") == "2024-03-01T00:00:00+00:00"


def test_an_essay_links_to_its_tags_and_the_books_it_mentions(built):
    page = built.html("/essays/first-steps/")
    links = page.links()
    assert "/tags/mentoring/" in links
    assert "/tags/career-advice/" in links
    assert "/books/the-quiet-signal/" in links


def test_the_home_page_lists_the_latest_essays_newest_first(built):
    page = built.html("/")
    essays = [h for h in page.links() if h.startswith("/essays/") and h != "/essays/"]
    assert essays == ["/essays/third-time/", "/essays/second-thoughts/", "/essays/first-steps/"]
    assert page.title() == "Test Site"


def test_the_home_page_shows_the_authors_own_book(built):
    page = built.html("/")
    assert "/books/the-quiet-signal/" in page.links()


def test_the_archive_lists_every_essay(built):
    page = built.html("/essays/")
    for slug in ("first-steps", "second-thoughts", "third-time"):
        assert f"/essays/{slug}/" in page.links()


def test_the_tag_page_lists_only_the_essays_with_that_tag(built):
    page = built.html("/tags/career-advice/")
    links = page.links()
    assert "/essays/first-steps/" in links
    assert "/essays/second-thoughts/" not in links
    assert "Career Advice" in main_text(page)


def test_the_tag_index_links_every_tag(built):
    page = built.html("/tags/")
    assert "/tags/mentoring/" in page.links()
    assert "/tags/career-advice/" in page.links()


def test_the_book_shelf_links_every_book(built):
    page = built.html("/books/")
    assert "/books/the-quiet-signal/" in page.links()
    assert "/books/other-book/" in page.links()


def test_a_book_page_lists_the_essays_that_mention_it(built):
    page = built.html("/books/the-quiet-signal/")
    assert "/essays/first-steps/" in page.links()
    assert "/essays/second-thoughts/" not in page.links()


def test_affiliate_shop_links_are_marked_sponsored_and_others_are_not(built):
    page = built.html("/books/the-quiet-signal/")
    rel = {a.get("href"): a.get("rel", "") for a in page.iter("a")}
    assert "sponsored" in rel["https://bookshop.example/quiet"].split()
    assert "sponsored" not in rel["https://publisher.example/quiet"].split()


def test_a_book_with_several_authors_names_them_all(built):
    page = built.html("/books/other-book/")
    assert "Someone Else and A. N. Other" in main_text(page)


def test_a_page_is_written_at_its_slug_and_appears_in_the_menu_in_order(built):
    page = built.html("/about/")
    assert page.text(page.find(".//h1")) == "About"
    nav = page.find(".//nav[@aria-label='Main']")
    assert nav is not None
    assert page.links(nav) == ["/about/", "/contact/"]


def test_the_menu_marks_the_current_page(built):
    page = built.html("/about/")
    current = [a.get("href") for a in page.iter("a") if a.get("aria-current") == "page"]
    assert current == ["/about/"]


def test_the_404_page_offers_a_way_home(built):
    page = built.html("/404.html")
    assert "/" in page.links()
    assert "/essays/" in page.links()


def test_every_page_has_a_canonical_url_and_a_description(built):
    for url in ("/", "/essays/first-steps/", "/books/other-book/", "/about/", "/tags/"):
        page = built.html(url)
        canonical = [el.get("href") for el in page.iter("link") if el.get("rel") == "canonical"]
        assert canonical == [f"https://example.com{url}"], url
        assert page.meta("description"), url


def test_a_hand_written_summary_is_the_essays_meta_description(built):
    page = built.html("/essays/third-time/")
    assert page.meta("description") == "A summary written by hand."


def test_pages_point_feed_readers_at_both_feeds(built):
    page = built.html("/")
    feeds = {
        el.get("type"): el.get("href") for el in page.iter("link") if el.get("rel") == "alternate"
    }
    assert feeds == {"application/rss+xml": "/feed.xml", "application/atom+xml": "/atom.xml"}


def test_no_page_links_to_a_file_the_site_does_not_have(built):
    assert built.broken_links() == []


def test_no_page_links_to_a_missing_tag_feed_when_tag_feeds_are_off(
    tmp_path, make_site, build_site
):
    site = make_site(tmp_path, SITE)
    with (site / "passivepress.yml").open("a") as config:
        config.write("feeds:\n  tags: false\n")
    built = build_site(site)
    assert not built.exists("/tags/mentoring/feed.xml")
    assert built.broken_links() == []


# --- archive pagination -------------------------------------------------------------------


def paginated_site(count: int) -> str:
    essays = "".join(
        f"""
-- content/essays/2024-01-{day:02d}-essay-{day}.md --
---
title: Essay {day}
date: 2024-01-{day:02d}
---
Text {day}.
"""
        for day in range(1, count + 1)
    )
    return CONFIG + "pagination:\n  per_page: 2\n" + essays


def test_the_archive_is_split_into_pages_of_per_page_essays(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, paginated_site(5)))
    assert built.exists("/essays/")
    assert built.exists("/essays/page/2/")
    assert built.exists("/essays/page/3/")
    assert not built.exists("/essays/page/4/")
    assert not built.exists("/essays/page/1/")

    def listed(url):
        page = built.html(url)
        return [h for h in page.links() if h.startswith("/essays/essay-")]

    assert listed("/essays/") == ["/essays/essay-5/", "/essays/essay-4/"]
    assert listed("/essays/page/2/") == ["/essays/essay-3/", "/essays/essay-2/"]
    assert listed("/essays/page/3/") == ["/essays/essay-1/"]


def test_archive_pages_link_to_the_next_and_previous_page(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, paginated_site(5)))

    def rel_links(url):
        page = built.html(url)
        return {a.get("rel"): a.get("href") for a in page.iter("a") if a.get("rel")}

    assert rel_links("/essays/") == {"next": "/essays/page/2/"}
    assert rel_links("/essays/page/2/") == {"prev": "/essays/", "next": "/essays/page/3/"}
    assert rel_links("/essays/page/3/") == {"prev": "/essays/page/2/"}


def test_a_site_without_essays_still_has_an_archive_and_a_home_page(
    tmp_path, make_site, build_site
):
    built = build_site(make_site(tmp_path, CONFIG))
    assert built.exists("/")
    assert built.exists("/essays/")
    assert not built.exists("/essays/page/2/")
    assert built.feed("/feed.xml").entries == []


# --- sitemap and robots.txt ---------------------------------------------------------------

DRAFT_AND_FUTURE = """
-- content/essays/draft.md --
---
title: Unfinished
date: 2024-02-01
draft: true
---
Not ready.
-- content/essays/future.md --
---
title: Next month
date: 2024-07-01
---
Scheduled.
"""


def test_the_sitemap_lists_published_pages_with_absolute_urls(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE + DRAFT_AND_FUTURE))
    locs = built.sitemap()
    assert "https://example.com/" in locs
    assert "https://example.com/essays/first-steps/" in locs
    assert "https://example.com/books/the-quiet-signal/" in locs
    assert "https://example.com/tags/mentoring/" in locs
    assert "https://example.com/about/" in locs
    assert len(locs) == len(set(locs))


def test_the_sitemap_leaves_out_drafts_future_essays_and_the_404_page(
    tmp_path, make_site, build_site
):
    built = build_site(make_site(tmp_path, SITE + DRAFT_AND_FUTURE))
    locs = built.sitemap()
    assert "https://example.com/essays/draft/" not in locs
    assert "https://example.com/essays/future/" not in locs
    assert not any("404" in loc for loc in locs)


def test_drafts_built_with_drafts_stay_out_of_the_sitemap(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE + DRAFT_AND_FUTURE), drafts=True)
    assert built.exists("/essays/draft/")
    assert "https://example.com/essays/draft/" not in built.sitemap()


def test_the_sitemap_gives_an_essays_last_change(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE))
    root = ET.fromstring(built.read("/sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    lastmod = {
        u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
        for u in root.findall("s:url", ns)
    }
    assert lastmod["https://example.com/essays/first-steps/"].startswith("2024-03-01")


def test_robots_txt_allows_crawling_and_names_the_sitemap(built):
    lines = built.read("/robots.txt").decode().splitlines()
    assert "User-agent: *" in lines
    assert "Sitemap: https://example.com/sitemap.xml" in lines
    assert "Disallow: /" not in lines


# --- drafts and future essays -------------------------------------------------------------


def test_draft_essays_are_left_out_of_the_site(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE + DRAFT_AND_FUTURE))
    assert not built.exists("/essays/draft/")
    assert "/essays/draft/" not in built.html("/essays/").links()
    assert "/essays/draft/" not in built.html("/").links()


def test_draft_essays_are_built_with_drafts(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE + DRAFT_AND_FUTURE), drafts=True)
    assert built.exists("/essays/draft/")
    assert "/essays/draft/" in built.html("/essays/").links()
    assert not built.exists("/essays/future/")


def test_future_essays_are_left_out_of_the_site(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE + DRAFT_AND_FUTURE))
    assert not built.exists("/essays/future/")
    assert "/essays/future/" not in built.html("/").links()


def test_future_essays_are_built_with_future(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE + DRAFT_AND_FUTURE), future=True)
    assert built.exists("/essays/future/")
    assert not built.exists("/essays/draft/")


def test_an_essay_later_today_is_still_in_the_future(tmp_path, make_site, build_site):
    # NOW is 2024-06-01 12:00 UTC.
    site = make_site(
        tmp_path,
        CONFIG
        + """
-- content/essays/morning.md --
---
title: Morning
date: 2024-06-01 11:59
---
Out.
-- content/essays/afternoon.md --
---
title: Afternoon
date: 2024-06-01 12:01
---
Not yet.
""",
    )
    built = build_site(site)
    assert built.exists("/essays/morning/")
    assert not built.exists("/essays/afternoon/")


def test_a_draft_page_is_left_out_unless_drafts(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        CONFIG
        + """
-- content/pages/secret.md --
---
title: Secret
draft: true
---
Hidden.
""",
    )
    assert not build_site(site).exists("/secret/")
    assert build_site(site, drafts=True).exists("/secret/")


# --- the call to action -------------------------------------------------------------------

CTA_SITE = """
-- passivepress.yml --
title: Test Site
base_url: https://example.com/
contact:
  email: ada@example.com
  heading: Work with me
  text: Tell me where you are stuck.
  booking_url: https://cal.example.com/ada
  booking_label: Book a call
-- content/essays/pricing.md --
---
title: Pricing & "value" for 100% of clients
date: 2024-03-01
---
Body.
-- content/essays/quiet.md --
---
title: A quiet one
date: 2024-03-02
cta: false
---
No invitation here.
"""


def mail_subject(page) -> str:
    mailtos = [h for h in page.links() if h.startswith("mailto:")]
    assert len(mailtos) == 1, mailtos
    parts = urlsplit(mailtos[0])
    assert parts.path == "ada@example.com"
    return parse_qs(parts.query)["subject"][0]


def test_every_essay_ends_with_a_mail_link_whose_subject_names_the_essay(
    tmp_path, make_site, build_site
):
    built = build_site(make_site(tmp_path, CTA_SITE))
    page = built.html("/essays/pricing/")
    assert mail_subject(page) == 'About: Pricing & "value" for 100% of clients'
    cta = page.one("cta", "aside")
    assert "Work with me" in page.text(cta)
    assert "Tell me where you are stuck." in page.text(cta)


def test_the_call_to_action_offers_the_booking_link_when_configured(
    tmp_path, make_site, build_site
):
    built = build_site(make_site(tmp_path, CTA_SITE))
    page = built.html("/essays/pricing/")
    cta = page.one("cta", "aside")
    booking = [a for a in cta.iter("a") if a.get("href") == "https://cal.example.com/ada"]
    assert [page.text(a) for a in booking] == ["Book a call"]


def test_the_call_to_action_has_no_booking_link_when_none_is_configured(built):
    page = built.html("/essays/first-steps/")
    cta = page.one("cta", "aside")
    assert [h for h in page.links(cta) if h.startswith("http")] == []


def test_the_home_page_carries_the_call_to_action(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, CTA_SITE))
    page = built.html("/")
    assert page.with_class("cta", "aside")
    assert mail_subject(page) == "About: Test Site"


def test_cta_false_switches_the_call_to_action_off_for_one_essay(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, CTA_SITE))
    page = built.html("/essays/quiet/")
    assert page.with_class("cta", "aside") == []
    assert not [h for h in page.links() if h.startswith("mailto:")]
    assert built.html("/essays/pricing/").with_class("cta", "aside")


def test_the_call_to_action_links_to_the_contact_page_when_there_is_one(built):
    cta = built.html("/essays/first-steps/").one("cta", "aside")
    assert "/contact/" in built.html("/essays/first-steps/").links(cta)


def test_the_contact_page_shows_an_accessible_form_with_a_honeypot(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        """
-- passivepress.yml --
title: Test Site
base_url: https://example.com/
contact:
  email: ada@example.com
  form_action: https://formspree.io/f/abc123
-- content/pages/contact.md --
---
title: Contact
---
Say hello.
""",
    )
    page = build_site(site).html("/contact/")
    forms = page.findall(".//form")
    assert len(forms) == 1
    form = forms[0]
    assert form.get("action") == "https://formspree.io/f/abc123"
    assert form.get("method") == "post"

    labels = {label.get("for"): page.text(label) for label in form.iter("label")}
    fields = [
        el for el in form.iter() if el.tag in ("input", "textarea") and el.get("type") != "hidden"
    ]
    assert {el.get("name") for el in fields} >= {"name", "email", "message"}
    for el in fields:
        assert labels.get(el.get("id")), f"{el.get('name')} has no label"

    hidden_boxes = [el for el in form.iter() if el.get("aria-hidden") == "true"]
    honeypots = [inp for box in hidden_boxes for inp in box.iter("input")]
    assert len(honeypots) == 1
    assert honeypots[0].get("tabindex") == "-1"
    assert honeypots[0].get("autocomplete") == "off"
    submit = [b for b in form.iter("button") if b.get("type") == "submit"]
    assert len(submit) == 1


def test_the_contact_page_has_no_form_without_a_form_action(built):
    page = built.html("/contact/")
    assert page.findall(".//form") == []
    assert any(h.startswith("mailto:ada@example.com") for h in page.links())


def test_reading_content_leaves_no_reference_cycles(tmp_path, make_site, build_site, monkeypatch):
    """A build pauses the cycle collector while it reads and plans the routes (it would
    walk the growing model again and again); anything they left in a cycle would then
    stay in memory. Run alone, this test also sees the Markdown parsers being made."""
    import gc

    from passivepress import build as build_module

    site = make_site(
        tmp_path,
        CONFIG
        + "".join(
            f"-- content/essays/2024-01-0{n}-e{n}.md --\n---\ntitle: E{n}\ndate: 2024-01-0{n}\n"
            f"tags: [a, b]\nbase: &b {{x: [1, 2]}}\nextra_copy: *b\n---\n# Head\n\nBody {n}.\n"
            for n in range(1, 6)
        ),
    )
    garbage: list[object] = []

    def watched(real):
        def call(*args, **kwargs):
            gc.collect()
            enabled = gc.isenabled()
            gc.disable()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                return real(*args, **kwargs)
            finally:
                gc.collect()
                garbage.extend(gc.garbage)
                gc.garbage.clear()
                gc.set_debug(0)
                if enabled:
                    gc.enable()

        return call

    monkeypatch.setattr(build_module.loader, "load", watched(build_module.loader.load))
    monkeypatch.setattr(build_module.routes, "plan", watched(build_module.routes.plan))
    build_site(site, record_urls=False)
    assert garbage == []


def test_markdown_on_all_cores_in_batches_builds_what_one_process_builds(
    tmp_path, make_site, build_site
):
    """Bodies are sent to worker processes in batches while the rest is read (two full
    batches and a short one here); the site is the same as rendered in one process."""
    essays = "".join(
        f"-- content/essays/2024-01-{n % 28 + 1:02d}-e{n}.md --\n---\ntitle: Essay {n}\n"
        f"date: 2024-01-{n % 28 + 1:02d}\ntags: [t{n % 3}]\n---\n"
        f"## Part {n}\n\nBody of essay {n}, with a [link](/essays/e{(n + 1) % 150}/).\n"
        for n in range(150)
    )
    site = make_site(tmp_path, CONFIG + essays)
    many = build_site(site, tmp_path / "many", use_cache=False, jobs=2)
    one = build_site(site, tmp_path / "one", use_cache=False, jobs=1)
    assert many.result.markdown_rendered == one.result.markdown_rendered == 150
    assert tree(tmp_path / "many") == tree(tmp_path / "one")


def _many_essays(count: int) -> str:
    return "".join(
        f"-- content/essays/2024-01-{n % 28 + 1:02d}-e{n}.md --\n---\ntitle: Essay {n}\n"
        f"date: 2024-01-{n % 28 + 1:02d}\ntags: [t{n % 3}]\n---\n"
        f"Body of essay {n}, see [the next](/essays/e{(n + 1) % count}/).\n"
        for n in range(count)
    )


def test_outputs_rendered_by_forked_copies_are_those_of_one_process(
    tmp_path, make_site, build_site
):
    """A cold build shares its pages, cards and feeds with a forked copy of itself; the
    site, and what the next build knows of every output, are the same as from one."""
    site = make_site(tmp_path, CONFIG + _many_essays(60))
    two = build_site(site, tmp_path / "two", use_cache=False, jobs=2)
    one = build_site(site, tmp_path / "one", use_cache=False, jobs=1)
    assert (two.result.processes, one.result.processes) == (2, 1)
    assert two.result.rendered == one.result.rendered
    assert sorted(two.recorder.paths) == sorted(one.recorder.paths)
    assert tree(tmp_path / "two") == tree(tmp_path / "one")


def test_a_template_error_met_by_any_process_is_reported_as_by_one_process(
    tmp_path, make_site, cli
):
    """Every process stops at its first error; the one reported is the first in the
    build's order, whichever process met it, so the message is the same with one process.
    (Essay 26's page comes early in that order, essay 59's late.)"""
    broken = (
        "-- templates/essay.html --\n"
        '{% extends "!theme/essay.html" %}\n'
        "{% block content %}{% if essay.title in ('Essay 59', 'Essay 26') %}"
        "{{ essay.no_such_field }}{% endif %}{{ super() }}{% endblock %}\n"
    )
    site = make_site(tmp_path, CONFIG + _many_essays(60) + broken)
    two = cli("build", str(site), "--jobs", "2", "--clean")
    one = cli("build", str(site), "--jobs", "1", "--clean")
    assert two.code == one.code == 1
    assert two.err == one.err
    assert "templates/essay.html:2: while rendering content/essays/2024-01-27-e26.md" in two.err
    assert not (site / "_site").exists()


def test_outputs_a_dead_copy_took_are_made_by_the_build_itself(
    tmp_path, make_site, build_site, monkeypatch
):
    """A forked copy that dies (killed, out of memory) answers for nothing: whatever it
    took is rendered by the build, and the site is whole."""
    import os

    from passivepress import build as build_module

    real = build_module._Renderer._one
    parent = os.getpid()

    died = tmp_path / "died"

    def one(self, route):
        if os.getpid() != parent:  # the copy, at the first output it took
            died.write_text(route.path)
            os._exit(9)
        return real(self, route)

    monkeypatch.setattr(build_module._Renderer, "_one", one)
    site = make_site(tmp_path, CONFIG + _many_essays(60))
    two = build_site(site, tmp_path / "two", use_cache=False, jobs=2)
    one_process = build_site(site, tmp_path / "one", use_cache=False, jobs=1)
    assert two.result.processes == 2 and died.exists()
    assert tree(tmp_path / "two") == tree(tmp_path / "one")
    assert two.result.rendered == one_process.result.rendered


def _card_makers(monkeypatch, tmp_path):
    """Record which process made each card (a line "pid path" in a file: cards are made
    in forked copies)."""
    import os

    from passivepress import build as build_module

    log = tmp_path / "cards.log"
    real = build_module._write_card

    def write_card(job, path, before=None):
        real(job, path, before)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {path}\n")

    monkeypatch.setattr(build_module, "_write_card", write_card)
    return log


def test_a_cold_build_makes_its_cards_in_a_copy_forked_as_it_starts(
    tmp_path, make_site, build_site, monkeypatch
):
    """The cards of a cold build into a new folder are made by a copy forked as the build
    starts, given its work once the essays are known (and by the renderers, once their
    pages are done): each card once, none by the build's own process unless it is left
    over, and the site is the one a single process builds."""
    import os

    from passivepress import forks

    started = []
    real_standby = forks.Standby

    class Standby(real_standby):
        def send(self, payload):
            started.append(len(payload[2]))  # (stage folder, previous output, jobs, chunks)
            super().send(payload)

    monkeypatch.setattr(forks, "Standby", Standby)
    log = _card_makers(monkeypatch, tmp_path)
    site = make_site(tmp_path, CONFIG + _many_essays(60))
    two = build_site(site, tmp_path / "two", use_cache=False, jobs=2)
    made = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()]
    log.unlink()
    one = build_site(site, tmp_path / "one", use_cache=False, jobs=1)
    assert started == [60], "one copy given the 60 cards"
    paths = [path for _pid, path in made]
    assert len(paths) == len(set(paths)) == 60, "every card made once"
    assert {pid for pid, _path in made} - {str(os.getpid())}, "made in other processes"
    assert two.result.processes == 2
    assert tree(tmp_path / "two") == tree(tmp_path / "one")
    assert sorted(two.recorder.paths) == sorted(one.recorder.paths)
    assert not log.exists() or str(os.getpid()) not in log.read_text(encoding="utf-8")


def test_cards_a_dead_copy_left_are_made_by_the_others(
    tmp_path, make_site, build_site, monkeypatch
):
    """The first process to make a card dies at it (the early copy): its cards are made by
    the renderers or the build itself, and the site is whole."""
    import os

    from passivepress import build as build_module

    real = build_module._write_card
    died = tmp_path / "died"

    def write_card(job, path, before=None):
        if not died.exists():
            died.write_text(path)
            os._exit(9)
        real(job, path, before)

    monkeypatch.setattr(build_module, "_write_card", write_card)
    site = make_site(tmp_path, CONFIG + _many_essays(60))
    build_site(site, tmp_path / "two", use_cache=False, jobs=2)
    build_site(site, tmp_path / "one", use_cache=False, jobs=1)
    assert died.exists()
    assert tree(tmp_path / "two") == tree(tmp_path / "one")


def test_a_cards_copy_gone_before_it_is_given_its_work_leaves_the_cards_to_the_others(
    tmp_path, make_site, build_site, monkeypatch
):
    """The copy dies as soon as it is forked (killed, out of memory): the build sends it
    its work into a pipe no one reads, or that is closed, and the renderers and the build
    make every card."""
    import os

    from passivepress import forks

    real = forks.Standby

    class Dying(real):
        def __init__(self, work, prepare=None):
            super().__init__(work, prepare=lambda: os._exit(9))

    monkeypatch.setattr(forks, "Standby", Dying)
    site = make_site(tmp_path, CONFIG + _many_essays(60))
    build_site(site, tmp_path / "two", use_cache=False, jobs=2)
    build_site(site, tmp_path / "one", use_cache=False, jobs=1)
    assert tree(tmp_path / "two") == tree(tmp_path / "one")


def test_a_build_into_its_previous_output_keeps_the_card_files_it_would_write_again(
    tmp_path, make_site, build_site, monkeypatch
):
    """A cold build into a folder holding a build of ours (--clean, or a cache lost) makes
    its cards early too, and a card with the same bytes keeps its file (and modification
    time), as every other output does; a changed one is a new file."""
    import os

    site = make_site(tmp_path, CONFIG + _many_essays(60))
    out = tmp_path / "out"
    build_site(site, out, use_cache=False, jobs=2)
    kept, changed = out / "essays/e7/card.png", out / "essays/e9/card.png"
    before = {card: (os.stat(card), card.read_bytes()) for card in (kept, changed)}
    essay = site / "content/essays/2024-01-10-e9.md"
    essay.write_text(essay.read_text().replace("title: Essay 9\n", "title: Essay nine\n"))
    log = _card_makers(monkeypatch, tmp_path)
    again = build_site(site, out, use_cache=False, jobs=2)
    assert again.result.processes == 2
    makers = {line.split(" ", 1)[0] for line in log.read_text(encoding="utf-8").splitlines()}
    assert makers - {str(os.getpid())}, "cards made ahead of the renderers, in a copy"
    after, was = os.stat(kept), before[kept][0]
    assert (after.st_ino, after.st_mtime_ns) == (was.st_ino, was.st_mtime_ns)
    assert os.stat(changed).st_ino != before[changed][0].st_ino
    assert changed.read_bytes() != before[changed][1]
    log.unlink()
    build_site(site, tmp_path / "fresh", use_cache=False, jobs=1)
    assert tree(out) == tree(tmp_path / "fresh")


def test_a_card_linked_by_a_copy_that_died_is_not_written_through(
    tmp_path, make_site, build_site, monkeypatch
):
    """The cards' copy links a card of the previous output into the new folder, then
    dies: the card is made again elsewhere and linked again, never written through the
    link into the previous output's file (which would change it in the live folder)."""
    import os

    from passivepress import build as build_module

    site = make_site(tmp_path, CONFIG + _many_essays(60))
    out = tmp_path / "out"
    build_site(site, out, use_cache=False, jobs=2)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("card.png")}
    real = build_module._write_card
    died = tmp_path / "died"

    def write_card(job, path, before=None):
        real(job, path, before)
        if not died.exists():
            died.write_text(path)
            os._exit(9)

    monkeypatch.setattr(build_module, "_write_card", write_card)
    build_site(site, out, use_cache=False, jobs=2)
    assert died.exists()
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("card.png")}
    assert after == before
    build_site(site, tmp_path / "fresh", use_cache=False, jobs=1)
    assert tree(out) == tree(tmp_path / "fresh")


def test_an_error_after_the_cards_started_leaves_no_folder_and_no_output(tmp_path, make_site, cli):
    """Two outputs wanting one URL are found after the cards' copy started: the build
    fails with the usual message, leaves no output and no half-made folder beside it."""
    alias = (
        "-- content/essays/2024-02-01-clash.md --\n---\ntitle: Clash\n"
        "date: 2024-02-01\naliases: [/essays/e3/]\n---\nBody.\n"
    )
    site = make_site(tmp_path, CONFIG + _many_essays(60) + alias)
    result = cli("build", str(site), "--jobs", "2", "--clean")
    assert result.code == 1
    assert "both want the URL /essays/e3/" in result.err
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".")) == []
    assert not (site / "_site").exists()


def test_a_changed_template_rerendered_by_forked_copies_updates_the_output_in_place(
    tmp_path, make_site, build_site
):
    """A build that renders most pages of an existing output again (a changed template)
    shares them with a forked copy too: a page made again with the same bytes keeps its
    file, the others are moved into place, and the output is a clean build's."""
    import os

    site = make_site(tmp_path, CONFIG + _many_essays(60))
    out = tmp_path / "out"
    build_site(site, out, jobs=2, record_urls=False)
    odd, even = out / "essays/e5/index.html", out / "essays/e6/index.html"
    inodes = os.stat(odd).st_ino, os.stat(even).st_ino
    (site / "templates").mkdir()
    (site / "templates" / "essay.html").write_text(
        '{% extends "!theme/essay.html" %}\n'
        "{% block content %}{% if essay.title[-1] in '02468' %}<p>Even</p>{% endif %}"
        "{{ super() }}{% endblock %}\n",
        encoding="utf-8",
    )
    again = build_site(site, out, jobs=2, record_urls=False)
    assert again.result.processes == 2
    assert again.result.rendered >= 60
    build_site(site, tmp_path / "clean", jobs=1, use_cache=False, record_urls=False)
    assert tree(out) == tree(tmp_path / "clean")
    assert b"<p>Even</p>" in even.read_bytes() and b"<p>Even</p>" not in odd.read_bytes()
    assert os.stat(odd).st_ino == inodes[0], "the same bytes: the same file"
    assert os.stat(even).st_ino != inodes[1], "new bytes: a new file moved into place"


@pytest.mark.parametrize("jobs", [1, 2])
def test_rendering_reports_its_progress_output_by_output(tmp_path, make_site, build_site, jobs):
    """What the terminal's progress bar shows: the rendering's progress, from nothing to
    all, in steps, whether one process renders or two."""
    site = make_site(tmp_path, CONFIG + _many_essays(60))
    built = build_site(site, use_cache=False, jobs=jobs)
    seen = built.recorder.progress_seen
    done = [d for d, _ in seen]
    assert done == sorted(done), "it never goes back"
    assert seen[-1][0] == seen[-1][1] > 100
    assert len({d for d in done if 0 < d < seen[-1][1]}) > 50, "it moves in many steps"


def test_only_a_build_with_no_later_one_skips_recording_what_pages_read(
    tmp_path, make_site, build_site, monkeypatch
):
    """What a page reads is what the next build compares with: a one-shot build without
    a cache folder (--clean) does not look for it, a builder kept for more builds and one
    that keeps a cache folder do; the pages are the same."""
    from passivepress import build as build_module
    from passivepress.build import Builder, BuildOptions

    real = build_module.theme.render
    flags: list[bool] = []

    def render(env, template, context, what, site_dir, record=True):
        flags.append(record)
        return real(env, template, context, what, site_dir, record)

    monkeypatch.setattr(build_module.theme, "render", render)
    # Nor does it work out what each page template loads (theme.template_digests).
    digests: list[object] = []
    real_digests = build_module.theme.template_digests
    monkeypatch.setattr(
        build_module.theme,
        "template_digests",
        lambda *a: digests.append(a) or real_digests(*a),
    )
    site = make_site(tmp_path, CONFIG + _many_essays(5))
    build_site(site, tmp_path / "once", use_cache=False)
    assert flags and not any(flags)
    assert not digests
    flags.clear()
    build_site(site, tmp_path / "cached")
    assert flags and all(flags)
    assert digests
    flags.clear()
    Builder(site, BuildOptions(output=tmp_path / "kept", use_cache=False, now=NOW)).build()
    assert flags and all(flags)
    assert tree(tmp_path / "once") == tree(tmp_path / "kept")
