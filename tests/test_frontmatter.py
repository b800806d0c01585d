"""Front matter as authors write it: slugs, text YAML would turn into other types, dates and
time zones, byte-order marks and Windows line endings, and where front matter ends."""

from __future__ import annotations

import pytest

from conftest import CONFIG


def essay(body: str, name: str = "2024-03-01-hello.md") -> str:
    return CONFIG + f"-- content/essays/{name} --\n" + body


# --- slugs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "url"),
    [
        ("2024-03-01-hello-world.md", "/essays/hello-world/"),
        ("hello-world.md", "/essays/hello-world/"),
        ("2024-03-01_hello-world.md", "/essays/hello-world/"),
        ("Hello World.md", "/essays/hello-world/"),
        ("2024-03-01-café-crème.md", "/essays/cafe-creme/"),
    ],
)
def test_the_slug_comes_from_the_file_name_without_its_date(
    tmp_path, make_site, build_site, filename, url
):
    site = make_site(tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\n---\nx\n", filename))
    built = build_site(site)
    assert built.exists(url)
    pages = [p for p in built.recorder.paths if p.startswith("/essays/") and p.endswith("/")]
    assert [p for p in pages if p != "/essays/"] == [url]


def test_a_slug_in_front_matter_wins_over_the_file_name(tmp_path, make_site, build_site):
    site = make_site(tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\nslug: chosen\n---\nx\n"))
    built = build_site(site)
    assert built.exists("/essays/chosen/")
    assert not built.exists("/essays/hello/")


def test_a_numeric_looking_slug_keeps_its_leading_zero(tmp_path, make_site, build_site):
    site = make_site(tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\nslug: 010\n---\nx\n"))
    built = build_site(site)
    assert built.exists("/essays/010/")
    assert not built.exists("/essays/8/")
    assert not built.exists("/essays/10/")


@pytest.mark.parametrize("title", ["yes", "no", "on", "off", "3.10", "1e3", "010", "null thing"])
def test_a_title_is_the_text_the_author_typed(tmp_path, make_site, build_site, title):
    site = make_site(tmp_path, essay(f"---\ntitle: {title}\ndate: 2024-03-01\n---\nx\n"))
    page = build_site(site).html("/essays/hello/")
    assert page.text(page.find(".//h1")) == title


def test_tags_that_look_like_booleans_stay_words(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\ntags: [yes, 2024]\n---\nx\n")
    )
    built = build_site(site)
    assert built.exists("/tags/yes/")
    assert built.exists("/tags/2024/")


def test_tags_may_be_written_as_comma_separated_text(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\ntags: Careers, Deep Work\n---\nx\n")
    )
    built = build_site(site)
    assert built.exists("/tags/careers/")
    assert built.exists("/tags/deep-work/")


# --- dates and time zones -----------------------------------------------------------------

BERLIN = CONFIG.replace("timezone: UTC", "timezone: Europe/Berlin")


def essay_dated(date: str, config: str = BERLIN) -> str:
    return config + f"-- content/essays/dated.md --\n---\ntitle: Dated\ndate: {date}\n---\nx\n"


def published(built) -> tuple[str, tuple]:
    """The page's <time datetime> and the feed's published time in UTC (y, m, d, H, M)."""
    page = built.html("/essays/dated/")
    stamp = page.one("dt-published", "time").get("datetime")
    entry = built.feed().entries[0]
    return stamp, tuple(entry.published_parsed[:5])


@pytest.mark.parametrize(
    ("date", "datetime_attr", "utc"),
    [
        # No zone: the site's time zone (Europe/Berlin), winter and summer time.
        ("2024-03-01", "2024-03-01T00:00:00+01:00", (2024, 2, 29, 23, 0)),
        ("2024-03-01 10:00", "2024-03-01T10:00:00+01:00", (2024, 3, 1, 9, 0)),
        ("2024-05-01 10:00", "2024-05-01T10:00:00+02:00", (2024, 5, 1, 8, 0)),
        ("2024-03-01T10:00:00", "2024-03-01T10:00:00+01:00", (2024, 3, 1, 9, 0)),
        # With an offset: exactly that moment.
        ("2024-03-01T10:00:00+02:00", "2024-03-01T10:00:00+02:00", (2024, 3, 1, 8, 0)),
        ("2024-03-01 10:00 +02:00", "2024-03-01T10:00:00+02:00", (2024, 3, 1, 8, 0)),
        ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00+00:00", (2024, 3, 1, 10, 0)),
        ("2024-03-01 10:00 -0500", "2024-03-01T10:00:00-05:00", (2024, 3, 1, 15, 0)),
    ],
)
def test_dates_without_a_zone_are_in_the_sites_time_zone(
    tmp_path, make_site, build_site, date, datetime_attr, utc
):
    built = build_site(make_site(tmp_path, essay_dated(date)))
    assert published(built) == (datetime_attr, utc)


def test_the_same_date_is_a_different_moment_in_another_site_time_zone(
    tmp_path, make_site, build_site
):
    tokyo = CONFIG.replace("timezone: UTC", "timezone: Asia/Tokyo")
    built = build_site(make_site(tmp_path, essay_dated("2024-03-01 10:00", tokyo)))
    assert published(built) == ("2024-03-01T10:00:00+09:00", (2024, 3, 1, 1, 0))


def test_an_essay_is_in_the_future_by_the_sites_clock_not_utc(tmp_path, make_site, build_site):
    # NOW is 2024-06-01 12:00 UTC, which is 21:00 in Tokyo: 20:00 there has passed.
    tokyo = CONFIG.replace("timezone: UTC", "timezone: Asia/Tokyo")
    built = build_site(make_site(tmp_path, essay_dated("2024-06-01 20:00", tokyo)))
    assert built.exists("/essays/dated/")
    built = build_site(make_site(tmp_path, essay_dated("2024-06-01 22:00", tokyo)))
    assert not built.exists("/essays/dated/")


def test_an_updated_date_is_shown_with_the_date(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        essay("---\ntitle: Hi\ndate: 2024-03-01\nupdated: 2024-04-02 08:00\n---\nx\n"),
    )
    built = build_site(site)
    page = built.html("/essays/hello/")
    assert page.one("dt-updated", "time").get("datetime") == "2024-04-02T08:00:00+00:00"
    assert built.feed("/atom.xml").entries[0].updated_parsed[:4] == (2024, 4, 2, 8)


def test_an_updated_date_before_the_date_is_warned_about(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\nupdated: 2024-02-01\n---\nx\n")
    )
    built = build_site(site)
    assert any(
        "content/essays/2024-03-01-hello.md:4" in w and "updated" in w for w in built.warnings
    )


# --- where front matter starts and ends ---------------------------------------------------


def test_a_dashed_line_in_the_body_is_a_thematic_break_not_front_matter(
    tmp_path, make_site, build_site
):
    site = make_site(
        tmp_path,
        essay(
            "---\ntitle: Real title\ndate: 2024-03-01\n---\n"
            "First part.\n\n---\n\ndraft: true\ntitle: Fake\n\n---\n\nLast part.\n"
        ),
    )
    built = build_site(site)
    page = built.html("/essays/hello/")
    content = page.one("e-content")
    assert page.text(page.find(".//h1")) == "Real title"
    assert len(content.findall(".//hr")) == 2
    assert "draft: true title: Fake" in page.text(content)
    assert "Last part." in page.text(content)


def test_front_matter_is_recognised_only_on_the_very_first_line(tmp_path, make_site, cli):
    site = make_site(tmp_path, essay("\n---\ntitle: Late\ndate: 2024-03-01\n---\nx\n"))
    result = cli("build", str(site))
    assert result.code == 1
    assert "content/essays/2024-03-01-hello.md:1: an essay needs front matter" in result.err


def test_a_page_without_front_matter_is_refused_naming_the_missing_title(tmp_path, make_site, cli):
    site = make_site(tmp_path, CONFIG + "-- content/pages/about.md --\nJust text.\n\n---\n")
    result = cli("build", str(site))
    assert result.code == 1
    assert "content/pages/about.md:1: 'title' is required" in result.err


def test_an_empty_body_is_fine(tmp_path, make_site, build_site):
    site = make_site(tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\n---\n"))
    assert build_site(site).exists("/essays/hello/")


# --- encodings and line endings -----------------------------------------------------------


def test_files_with_a_byte_order_mark_and_windows_line_endings_work(
    tmp_path, make_site, build_site
):
    site = make_site(tmp_path, CONFIG)
    config = (site / "passivepress.yml").read_text(encoding="utf-8")
    (site / "passivepress.yml").write_bytes(b"\xef\xbb\xbf" + config.replace("\n", "\r\n").encode())
    essays = site / "content" / "essays"
    essays.mkdir(parents=True)
    (essays / "hello.md").write_bytes(
        b"\xef\xbb\xbf---\r\ntitle: Caf\xc3\xa9 talk\r\ndate: 2024-03-01\r\nslug: cafe\r\n---\r\n"
        b"First paragraph\r\nstill first.\r\n\r\nSecond paragraph.\r\n"
    )
    built = build_site(site)
    page = built.html("/essays/cafe/")
    assert page.text(page.find(".//h1")) == "Café talk"
    paragraphs = [page.text(p) for p in page.one("e-content").findall("p")]
    assert paragraphs == ["First paragraph still first.", "Second paragraph."]
    assert built.html("/").title() == "Test Site"
    assert "\r" not in built.read("/essays/cafe/").decode()


def test_old_mac_line_endings_work(tmp_path, make_site, build_site):
    site = make_site(tmp_path, CONFIG)
    essays = site / "content" / "essays"
    essays.mkdir(parents=True)
    (essays / "hello.md").write_bytes(b"---\rtitle: Hi\rdate: 2024-03-01\r---\rBody.\r")
    page = build_site(site).html("/essays/hello/")
    assert page.text(page.find(".//h1")) == "Hi"


# --- content is never a template ----------------------------------------------------------


def test_jinja_looking_text_in_content_is_shown_as_written(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        essay(
            "---\ntitle: Templates {{ site.title }}\ndate: 2024-03-01\n---\n"
            "Write {{ site.title }} and {% if x %}maybe{% endif %} and {# note #}.\n\n"
            "```\n{{ config }}\n```\n"
        ),
    )
    built = build_site(site)
    page = built.html("/essays/hello/")
    text = page.text(page.one("e-content"))
    assert "Write {{ site.title }} and {% if x %}maybe{% endif %} and {# note #}." in text
    assert "{{ config }}" in text
    assert page.text(page.find(".//h1")) == "Templates {{ site.title }}"
    assert "Test Site and" not in text
    feed_body = built.feed().entries[0].content[0].value
    assert "{{ site.title }}" in feed_body


# --- unknown keys -------------------------------------------------------------------------


def test_unknown_front_matter_keys_are_kept_for_templates(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        essay("---\ntitle: Hi\ndate: 2024-03-01\nmood: cheerful\n---\nx\n")
        + "-- templates/essay.html --\n"
        + '{% extends "!theme/essay.html" %}\n'
        + '{% block after_content %}<p class="mood">{{ essay.extra.mood }}</p>{% endblock %}\n',
    )
    built = build_site(site)
    page = built.html("/essays/hello/")
    assert page.text(page.one("mood")) == "cheerful"
    assert built.warnings == []


def test_a_likely_typo_of_a_known_key_is_warned_with_a_suggestion(tmp_path, make_site, build_site):
    site = make_site(tmp_path, essay("---\ntitle: Hi\ndate: 2024-03-01\nsumary: Short.\n---\nx\n"))
    built = build_site(site)
    assert len(built.recorder.warnings) == 1
    warning = built.recorder.warnings[0]
    assert (str(warning.path), warning.line) == ("content/essays/2024-03-01-hello.md", 4)
    assert "sumary" in warning.message
    assert warning.hint == "did you mean 'summary'?"


def test_tittle_instead_of_title_is_answered_with_did_you_mean_title(tmp_path, make_site, cli):
    site = make_site(tmp_path, essay("---\ntittle: Hi\ndate: 2024-03-01\n---\nx\n"))
    result = cli("build", str(site))
    assert result.code == 1
    assert "content/essays/2024-03-01-hello.md:2" in result.err
    assert "did you mean 'title'" in result.err
