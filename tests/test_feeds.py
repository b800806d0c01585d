"""RSS and Atom feeds, read back with feedparser: what is in them, in which order, with
which dates and links."""

from __future__ import annotations

import pytest

from conftest import CONFIG, Html

SITE = (
    CONFIG
    + """
-- content/essays/2024-01-10-oldest.md --
---
title: Oldest
date: 2024-01-10
tags: [Careers]
---
The oldest essay, linking [about](/about/) and ![a chart](/images/chart.png).
-- content/essays/2024-02-10-middle.md --
---
title: Middle
date: 2024-02-10 09:30
tags: [Careers, Writing]
---
The middle essay has **bold** words.

## A section

Jump to [the section](#a-section).
-- content/essays/2024-03-10-newest.md --
---
title: Newest
date: 2024-03-10
tags: [Writing]
---
The newest essay.
-- content/essays/2024-03-20-unfinished.md --
---
title: Unfinished
date: 2024-03-20
tags: [Writing]
draft: true
---
A draft.
-- content/essays/2024-12-01-scheduled.md --
---
title: Scheduled
date: 2024-12-01
tags: [Writing]
---
Not out yet.
-- content/pages/about.md --
---
title: About
---
Me.
-- static/images/chart.png --
not really a png
"""
)

FEEDS = ["/feed.xml", "/atom.xml"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, make_site, build_site):
    return build_site(make_site(tmp_path_factory.mktemp("feeds"), SITE))


def titles(feed) -> list[str]:
    return [entry.title for entry in feed.entries]


def entry(feed, title):
    return next(e for e in feed.entries if e.title == title)


@pytest.mark.parametrize("url", FEEDS)
def test_the_feed_holds_the_published_essays_newest_first(built, url):
    assert titles(built.feed(url)) == ["Newest", "Middle", "Oldest"]


def test_the_rss_feed_is_rss_2_and_the_atom_feed_is_atom(built):
    assert built.feed("/feed.xml").version == "rss20"
    assert built.feed("/atom.xml").version == "atom10"


@pytest.mark.parametrize("url", FEEDS)
def test_the_feed_names_the_site_and_links_to_it(built, url):
    feed = built.feed(url).feed
    assert feed.title == "Test Site"
    assert feed.link == "https://example.com/"


@pytest.mark.parametrize("url", FEEDS)
def test_draft_essays_are_left_out_of_the_feed(built, url):
    assert "Unfinished" not in titles(built.feed(url))


@pytest.mark.parametrize("url", FEEDS)
def test_future_essays_are_left_out_of_the_feed(built, url):
    assert "Scheduled" not in titles(built.feed(url))


@pytest.mark.parametrize("url", FEEDS)
def test_drafts_and_future_essays_stay_out_of_the_feed_even_when_they_are_built(
    tmp_path, make_site, build_site, url
):
    # The pages exist with --drafts --future (for preview), but a feed is what subscribers
    # receive, so it only ever carries what is really published.
    built = build_site(make_site(tmp_path, SITE), drafts=True, future=True)
    assert built.exists("/essays/unfinished/")
    assert built.exists("/essays/scheduled/")
    assert titles(built.feed(url)) == ["Newest", "Middle", "Oldest"]
    assert titles(built.feed("/tags/writing/feed.xml")) == ["Newest", "Middle"]


@pytest.mark.parametrize("url", FEEDS)
def test_entry_links_are_absolute_permalinks(built, url):
    feed = built.feed(url)
    assert [e.link for e in feed.entries] == [
        "https://example.com/essays/newest/",
        "https://example.com/essays/middle/",
        "https://example.com/essays/oldest/",
    ]
    assert entry(feed, "Oldest").id == "https://example.com/essays/oldest/"


@pytest.mark.parametrize("url", FEEDS)
def test_entries_carry_the_full_html_of_the_essay(built, url):
    content = entry(built.feed(url), "Middle").content[0].value
    body = Html(content.encode())
    assert body.text(body.find(".//strong")) == "bold"
    assert "The middle essay has bold words." in body.text()
    assert body.find(".//h2") is not None


@pytest.mark.parametrize("url", FEEDS)
def test_links_and_images_in_feed_content_are_absolute(built, url):
    body = Html(entry(built.feed(url), "Oldest").content[0].value.encode())
    site_links = [h for h in body.links() if not h.startswith("mailto:")]
    assert site_links == ["https://example.com/about/"]
    assert [img.get("src") for img in body.iter("img")] == ["https://example.com/images/chart.png"]


@pytest.mark.parametrize("url", FEEDS)
def test_in_page_links_in_feed_content_point_at_the_essay(built, url):
    body = Html(entry(built.feed(url), "Middle").content[0].value.encode())
    assert "https://example.com/essays/middle/#a-section" in body.links()
    assert not any(h.startswith("#") for h in body.links())


@pytest.mark.parametrize("url", FEEDS)
def test_footnote_links_in_feed_content_point_at_the_essay(tmp_path, make_site, build_site, url):
    site = make_site(
        tmp_path,
        CONFIG
        + """
-- content/essays/notes.md --
---
title: Notes
date: 2024-01-01
---
A claim.[^1]

[^1]: The source.
""",
    )
    body = Html(entry(build_site(site).feed(url), "Notes").content[0].value.encode())
    assert body.links()
    assert not any(h.startswith("#") for h in body.links())


@pytest.mark.parametrize("url", FEEDS)
def test_entries_are_tagged_with_the_essays_tags(built, url):
    terms = [t.term for t in entry(built.feed(url), "Middle").tags]
    assert terms == ["Careers", "Writing"]


def test_entry_dates_are_the_essays_dates(built):
    for url in FEEDS:
        feed = built.feed(url)
        published = {e.title: e.published_parsed[:5] for e in feed.entries}
        assert published == {
            "Newest": (2024, 3, 10, 0, 0),
            "Middle": (2024, 2, 10, 9, 30),
            "Oldest": (2024, 1, 10, 0, 0),
        }, url


def test_per_tag_feeds_hold_only_that_tags_published_essays(built):
    feed = built.feed("/tags/writing/feed.xml")
    assert titles(feed) == ["Newest", "Middle"]
    assert titles(built.feed("/tags/careers/feed.xml")) == ["Middle", "Oldest"]
    assert feed.feed.link == "https://example.com/tags/writing/"
    assert "Writing" in feed.feed.title


def test_tag_pages_point_feed_readers_at_their_tag_feed(built):
    page = built.html("/tags/writing/")
    feeds = [el.get("href") for el in page.iter("link") if el.get("rel") == "alternate"]
    assert "/tags/writing/feed.xml" in feeds


def test_feeds_limit_keeps_only_the_newest_essays(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    with (site / "passivepress.yml").open("a") as f:
        f.write("feeds:\n  limit: 2\n")
    built = build_site(site)
    for url in [*FEEDS, "/tags/careers/feed.xml"]:
        assert len(built.feed(url).entries) == 2, url
    assert titles(built.feed("/feed.xml")) == ["Newest", "Middle"]


def test_feeds_limit_zero_keeps_every_essay(tmp_path, make_site, build_site):
    essays = "".join(
        f"-- content/essays/e{n}.md --\n---\ntitle: E{n}\ndate: 2024-01-{n:02d}\n---\nx\n"
        for n in range(1, 26)
    )
    site = make_site(tmp_path, CONFIG + "feeds:\n  limit: 0\n" + essays)
    assert len(build_site(site).feed().entries) == 25


def test_the_default_feed_limit_is_twenty(tmp_path, make_site, build_site):
    essays = "".join(
        f"-- content/essays/e{n}.md --\n---\ntitle: E{n}\ndate: 2024-01-{n:02d}\n---\nx\n"
        for n in range(1, 26)
    )
    feed = build_site(make_site(tmp_path, CONFIG + essays)).feed()
    assert len(feed.entries) == 20
    assert feed.entries[0].title == "E25"


def test_feeds_can_be_switched_off(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE.replace("timezone: UTC", "timezone: UTC\nfeeds:\n  rss: false"))
    built = build_site(site)
    assert not built.exists("/feed.xml")
    assert built.exists("/atom.xml")
    links = [el.get("href") for el in built.html("/").iter("link") if el.get("rel") == "alternate"]
    assert links == ["/atom.xml"]


def test_feed_bytes_are_the_same_on_every_build(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    first = build_site(site, output=tmp_path / "one")
    second = build_site(site, output=tmp_path / "two")
    for url in [*FEEDS, "/tags/writing/feed.xml"]:
        assert first.read(url) == second.read(url), url


def test_feed_bytes_do_not_depend_on_when_the_build_runs(tmp_path, make_site, build_site):
    from datetime import UTC, datetime

    site = make_site(tmp_path, SITE)
    june = build_site(site, output=tmp_path / "june")
    later = build_site(site, output=tmp_path / "later", now=datetime(2024, 11, 1, tzinfo=UTC))
    for url in FEEDS:
        assert june.read(url) == later.read(url), url


def test_an_empty_feed_is_the_same_in_every_machine_time_zone(
    tmp_path, make_site, build_site, monkeypatch
):
    import time

    site = make_site(tmp_path, CONFIG)
    outputs = []
    for zone in ("UTC", "America/New_York"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        outputs.append(build_site(site, output=tmp_path / zone.replace("/", "-")))
    monkeypatch.undo()
    time.tzset()
    for url in FEEDS:
        assert outputs[0].read(url) == outputs[1].read(url), url
