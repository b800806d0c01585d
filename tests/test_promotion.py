"""Books in essays, calls-to-action that fit the essay, and affiliate links done right."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import CONFIG

PROMO = (
    CONFIG
    + """
  booking_url: https://cal.example.com/ada
  variants:
    speaking:
      heading: Invite me to speak
      text: I give talks on mentoring.
  tags:
    leadership: speaking
affiliate:
  rules:
    - {domain: amazon.com, param: tag, value: ada-21}
-- static/covers/quiet.png --
-- content/books/quiet.md --
---
title: The Quiet Signal
authors: [Ada Author]
own: true
year: 2023
summary: How to be found through your work.
links:
  - {label: Publisher, url: "https://publisher.example/quiet"}
  - {label: Amazon, url: "https://www.amazon.com/dp/123?ref=x"}
---
My book.
-- content/books/loud.md --
---
title: Loud Noises
authors: [Someone Else]
links:
  - {label: Shop, url: "https://shop.example/loud", affiliate: true}
---
Their book.
-- content/books/plain.md --
---
title: Plain Book
authors: [Third Person]
---
No shop.
-- content/essays/2024-03-01-embeds.md --
---
title: Embeds
date: 2024-03-01
tags: [mentoring]
---
Read {book}`quiet` first.

```{book} quiet
```

```{cta} speaking
```
-- content/essays/2024-03-02-lead.md --
---
title: Lead
date: 2024-03-02
tags: [leadership, mentoring]
books: [plain]
---
Leading is [listening](/books/plain/).
-- content/essays/2024-03-03-off.md --
---
title: Off
date: 2024-03-03
cta: false
tags: [mentoring]
---
No invitation here.
-- content/essays/2024-03-04-custom.md --
---
title: Custom
date: 2024-03-04
cta: {heading: A custom heading}
---
Body.
-- content/pages/contact.md --
---
title: Contact
---
Write to me.
"""
)


@pytest.fixture(scope="module")
def promo(tmp_path_factory, build_site):
    from conftest import write_site

    site = write_site(tmp_path_factory.mktemp("promo") / "site", PROMO)
    # A real PNG so the cover's width and height can be read.
    from PIL import Image

    Image.new("RGB", (400, 600), "navy").save(site / "static" / "covers" / "quiet.png")
    text = (site / "content" / "books" / "quiet.md").read_text()
    (site / "content" / "books" / "quiet.md").write_text(
        text.replace("year: 2023", "year: 2023\ncover: /covers/quiet.png")
    )
    return build_site(site, record_urls=False)


def cta_headings(page):
    return [page.text(h) for h in page.iter("h2") if (h.get("id") or "").startswith("cta-heading")]


def test_a_book_directive_embeds_a_card_with_the_shop_links(promo):
    page = promo.html("/essays/embeds/")
    card = page.one("book-embed")
    assert page.text(card.find(".//p[@class='book-embed__title']")) == "The Quiet Signal"
    assert "How to be found through your work." in page.text(card)
    assert "https://publisher.example/quiet" in page.links(card)


def test_a_book_role_links_to_the_book_page_with_its_title(promo):
    page = promo.html("/essays/embeds/")
    links = [a for a in page.iter("a") if a.get("class") == "book-link"]
    assert [(a.get("href"), page.text(a)) for a in links] == [("/books/quiet/", "The Quiet Signal")]


def test_affiliate_rules_add_the_id_and_mark_the_link_sponsored(promo):
    page = promo.html("/books/quiet/")
    amazon = [a for a in page.iter("a") if "amazon.com" in (a.get("href") or "")]
    assert amazon, "the Amazon link is on the book page"
    query = parse_qs(urlsplit(amazon[0].get("href")).query)
    assert query == {"ref": ["x"], "tag": ["ada-21"]}
    assert amazon[0].get("rel") == "sponsored noopener"
    publisher = [a for a in page.iter("a") if "publisher.example" in (a.get("href") or "")]
    assert publisher[0].get("rel") is None


def test_pages_with_affiliate_links_show_the_disclosure_once(promo):
    for url in ("/books/quiet/", "/books/loud/", "/essays/embeds/"):
        assert len(promo.html(url).with_class("affiliate-disclosure")) == 1, url
    for url in ("/books/plain/", "/essays/off/", "/"):
        assert promo.html(url).with_class("affiliate-disclosure") == [], url


def test_a_cta_directive_places_the_named_variant_inside_the_essay(promo):
    page = promo.html("/essays/embeds/")
    assert cta_headings(page) == ["Invite me to speak", "Get in touch"]


def test_a_tag_chooses_the_variant_of_the_essays_end(promo):
    assert cta_headings(promo.html("/essays/lead/")) == ["Invite me to speak"]


def test_cta_false_switches_it_off_and_fields_override_it(promo):
    assert cta_headings(promo.html("/essays/off/")) == []
    assert cta_headings(promo.html("/essays/custom/")) == ["A custom heading"]


def test_the_mail_subject_names_the_essay(promo):
    page = promo.html("/essays/lead/")
    mailto = next(a.get("href") for a in page.iter("a") if a.get("href", "").startswith("mailto:"))
    assert unquote(urlsplit(mailto).query) == "subject=About: Lead"


def test_essays_end_with_the_call_to_action_in_the_feeds_too(promo):
    entries = {e.title: e.content[0].value for e in promo.feed("/feed.xml").entries}
    assert "Invite me to speak" in entries["Lead"]
    assert "mailto:ada@example.com" in entries["Lead"]
    assert "Get in touch" not in entries["Off"] and "mailto:" not in entries["Off"]


def test_a_book_lists_every_essay_that_lists_embeds_or_links_it(promo):
    mentioned = promo.html("/books/quiet/")
    assert "/essays/embeds/" in mentioned.links()
    plain = promo.html("/books/plain/")
    assert "/essays/lead/" in plain.links()


def test_books_listed_in_front_matter_get_a_books_mentioned_section(promo):
    page = promo.html("/essays/lead/")
    section = page.one("books-mentioned")
    assert "/books/plain/" in page.links(section)


def test_related_essays_share_tags(promo):
    page = promo.html("/essays/off/")
    related = page.one("related", "nav")
    assert set(page.links(related)) <= {"/essays/embeds/", "/essays/lead/", "/essays/custom/"}
    assert "/essays/embeds/" in page.links(related)


def test_local_covers_get_their_width_and_height(promo):
    page = promo.html("/books/quiet/")
    img = next(i for i in page.iter("img") if i.get("src") == "/covers/quiet.png")
    assert (img.get("width"), img.get("height"), img.get("loading")) == ("400", "600", "lazy")


def test_the_shelf_puts_the_authors_own_books_first(promo):
    page = promo.html("/books/")
    order = [a.get("href") for a in page.iter("a") if (a.get("href") or "").startswith("/books/")]
    books = [h for h in dict.fromkeys(order) if h != "/books/"]
    assert books[0] == "/books/quiet/"


def test_a_missing_cover_is_a_warning_and_fails_strict(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        CONFIG + "-- content/books/b.md --\n---\ntitle: B\ncover: /covers/none.png\n---\nx\n",
    )
    result = cli("build", str(site), "--strict")
    assert result.code == 1
    assert "content/books/b.md:3: (strict) missing image" in result.err


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("```{book} nope\n```\n", 5, "unknown book 'nope' in {book}"),
        ("See {book}`nope`.\n", 5, "unknown book 'nope' in {book} role"),
        ("x\n\n```{cta} nope\n```\n", 7, "unknown call-to-action variant 'nope'"),
    ],
)
def test_unknown_books_and_variants_in_the_text_name_file_and_line(
    tmp_path, make_site, cli, body, line, message
):
    site = make_site(
        tmp_path,
        CONFIG + f"-- content/essays/e.md --\n---\ntitle: E\ndate: 2024-01-01\n---\n{body}",
    )
    result = cli("build", str(site))
    assert result.code == 1
    assert f"content/essays/e.md:{line}: {message}" in result.err


def test_an_unknown_variant_in_front_matter_is_an_error(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        CONFIG + "-- content/essays/e.md --\n---\ntitle: E\ndate: 2024-01-01\ncta: talk\n---\nx\n",
    )
    result = cli("build", str(site))
    assert result.code == 1
    assert "content/essays/e.md:4: unknown call-to-action variant 'talk'" in result.err


def test_json_ld_of_an_essay_with_a_script_in_its_title_stays_json(tmp_path, make_site, build_site):
    title = "Oops </script><script>alert(1)</script>"
    site = make_site(
        tmp_path,
        CONFIG + f"-- content/essays/e.md --\n---\ntitle: '{title}'\ndate: 2024-01-01\n---\nx\n",
    )
    page = build_site(site).html("/essays/e/")
    scripts = [s for s in page.iter("script")]
    assert all(s.get("type") == "application/ld+json" for s in scripts)
    assert any(json.loads(s.text).get("headline") == title for s in scripts)


def test_feeds_get_plain_versions_of_embedded_books(promo):
    """Feed readers drop classes and resolve nothing: each card and link is replaced by a
    plain one with absolute links, and the page keeps the theme's card."""
    import html5lib

    entries = {e.title: e.content[0].value for e in promo.feed("/feed.xml").entries}
    entry = html5lib.parse(entries["Embeds"], namespaceHTMLElements=False)
    links = [a.get("href") for a in entry.iter("a")]
    assert "https://example.com/books/quiet/" in links
    assert not [h for h in links if h.startswith("/")], links
    themed = [e.get("class") for e in entry.iter() if "book-" in (e.get("class") or "")]
    assert not themed, themed
    assert "The Quiet Signal" in "".join(entry.itertext())
    page = promo.html("/essays/embeds/")
    assert page.with_class("book-link") and page.with_class("book-embed")
