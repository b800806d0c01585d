"""Every kind of bad input, one test each, through the command: the exit code, and a message
that names the file and the line (``error: path:line: ...``), never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import CONFIG, tree

ESSAY = "content/essays/2024-03-01-hello.md"


def site_with_essay(text: str) -> str:
    return CONFIG + f"-- {ESSAY} --\n" + text


@pytest.fixture
def fails(tmp_path, make_site, cli):
    """Build ``archive`` and return stderr, checking the exit code, that nothing was
    written, and that the user sees no traceback."""

    def run(archive: str, code: int = 1, *args: str) -> str:
        site = make_site(tmp_path, archive)
        result = cli("build", str(site), *args)
        assert result.code == code, result.err
        assert "Traceback" not in result.err
        assert not (site / "_site").exists()
        return result.err

    return run


# --- front matter -------------------------------------------------------------------------


def test_unclosed_front_matter(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\n\nBody.\n"))
    assert f"error: {ESSAY}:1: the front matter that starts on line 1 is never closed" in err
    assert "hint:" in err


def test_invalid_yaml_points_at_the_line_in_the_file(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\nsummary: a: b\n---\nBody.\n"))
    # line 4 of the file is "summary: a: b" (front matter starts on line 2).
    assert f"error: {ESSAY}:4:" in err
    assert "could not parse YAML" in err


def test_invalid_yaml_further_down_still_counts_lines_from_the_top_of_the_file(fails):
    err = fails(
        site_with_essay(
            "---\ntitle: Hello\ndate: 2024-03-01\ntags:\n  - one\n  - two\n"
            "summary: 'unclosed\n---\nBody.\n"
        )
    )
    assert f"error: {ESSAY}:7:" in err


def test_front_matter_that_is_a_list(fails):
    err = fails(site_with_essay("---\n- title: Hello\n- date: 2024-03-01\n---\nBody.\n"))
    assert f"error: {ESSAY}:2: front matter must be a list of 'key: value' lines" in err


def test_missing_title(fails):
    err = fails(site_with_essay("---\ndate: 2024-03-01\n---\nBody.\n"))
    assert f"error: {ESSAY}:1: 'title' is required" in err


def test_missing_date(fails):
    err = fails(site_with_essay("---\ntitle: Hello\n---\nBody.\n"))
    assert f"error: {ESSAY}:1: 'date' is required" in err


def test_a_date_that_is_not_a_date(fails):
    err = fails(site_with_essay("---\ntitle: Hello\nsummary: s\ndate: March 1st\n---\nx\n"))
    assert f"error: {ESSAY}:4: 'date' is not a date: 'March 1st'" in err
    assert "2024-03-01" in err, "the hint shows how to write a date"


def test_a_date_with_an_impossible_month(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-13-01 10:00\n---\nx\n"))
    assert f"error: {ESSAY}:3: 'date' is not a date" in err


def test_a_calendar_date_that_does_not_exist(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-02-30\n---\nx\n"))
    assert f"error: {ESSAY}:3:" in err


def test_an_unknown_book(fails):
    err = fails(
        CONFIG
        + "-- content/books/the-quiet-signal.md --\n---\ntitle: The Quiet Signal\n---\nx\n"
        + f"-- {ESSAY} --\n"
        + "---\ntitle: Hello\ndate: 2024-03-01\nbooks:\n  - the-quiet-signal\n"
        + "  - the-quite-signal\n---\nx\n"
    )
    assert f"error: {ESSAY}:6: unknown book 'the-quite-signal'" in err
    assert "did you mean 'the-quiet-signal'?" in err


def test_a_duplicate_key(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\ntitle: Again\n---\nx\n"))
    assert f"error: {ESSAY}:4: the key 'title' appears twice" in err
    assert "line 2" in err


def test_a_slug_that_cannot_be_a_url(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\nslug: Hello World\n---\nx\n"))
    assert f"error: {ESSAY}:4: the slug 'Hello World' is not usable in a URL" in err
    assert "hello-world" in err


def test_a_file_that_is_not_utf8(tmp_path, make_site, cli):
    site = make_site(tmp_path, CONFIG)
    (site / "content" / "essays").mkdir(parents=True)
    (site / ESSAY).write_bytes(b"---\ntitle: Hello\ndate: 2024-03-01\n---\nCaf\xe9 au lait\n")
    result = cli("build", str(site))
    assert result.code == 1
    assert f"error: {ESSAY}:5: the file is not valid UTF-8 text" in result.err
    assert "Traceback" not in result.err


def test_draft_that_is_not_true_or_false(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\ndraft: maybe\n---\nx\n"))
    assert f"error: {ESSAY}:4: 'draft' must be true or false, not 'maybe'" in err


def test_a_title_that_is_a_list(fails):
    err = fails(site_with_essay("---\ntitle: [a, b]\ndate: 2024-03-01\n---\nx\n"))
    assert f"error: {ESSAY}:2: 'title' must be text" in err


def test_a_book_without_a_title(fails):
    err = fails(CONFIG + "-- content/books/nameless.md --\n---\nyear: 2020\n---\nx\n")
    assert "error: content/books/nameless.md:1: 'title' is required" in err


def test_an_alias_that_is_not_a_path(fails):
    err = fails(
        site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\naliases:\n  - old-url\n---\nx\n")
    )
    assert f"error: {ESSAY}:5: the alias 'old-url' is not a path on this site" in err


def test_an_alias_that_climbs_out_of_the_output_folder_is_refused(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        site_with_essay(
            "---\ntitle: Hello\ndate: 2024-03-01\naliases:\n  - /../../escaped/\n---\nx\n"
        ),
    )
    result = cli("build", str(site))
    written_outside = (tmp_path / "escaped").exists()
    assert not written_outside
    assert result.code == 1
    assert f"error: {ESSAY}:5:" in result.err


def test_a_yaml_alias_that_refers_to_itself(fails):
    err = fails(site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\nsummary: &a [*a]\n---\nx\n"))
    assert f"error: {ESSAY}:4:" in err


def test_a_content_file_linking_outside_the_site_is_not_read(tmp_path, make_site, cli):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\ndate: 2024-03-01\n---\nPrivate.\n", encoding="utf-8")
    site = make_site(tmp_path, CONFIG)
    (site / "content" / "essays").mkdir(parents=True)
    (site / "content" / "essays" / "secret.md").symlink_to(secret)
    result = cli("build", str(site))
    assert result.code == 1
    assert "content/essays/secret.md" in result.err
    assert "outside the site" in result.err
    assert not (site / "_site").exists()


def test_a_static_file_linking_outside_the_site_is_not_copied(tmp_path, make_site, build_site):
    secret = tmp_path / "id_rsa"
    secret.write_text("private key", encoding="utf-8")
    site = make_site(tmp_path, CONFIG)
    (site / "static").mkdir()
    (site / "static" / "key.txt").symlink_to(secret)
    built = build_site(site)
    assert not built.exists("/key.txt")
    assert any("static/key.txt" in w and "outside the site" in w for w in built.warnings)


# --- two sources wanting the same URL -----------------------------------------------------


def test_two_essays_with_the_same_slug_are_refused_naming_both(fails):
    err = fails(
        CONFIG
        + "-- content/essays/2024-01-01-hello.md --\n---\ntitle: A\ndate: 2024-01-01\n---\nx\n"
        + "-- content/essays/2024-02-01-hello.md --\n---\ntitle: B\ndate: 2024-02-01\n---\nx\n"
    )
    assert "content/essays/2024-01-01-hello.md" in err
    assert "content/essays/2024-02-01-hello.md" in err
    assert "/essays/hello/" in err


def test_a_page_whose_slug_is_a_generated_page_is_refused(fails):
    err = fails(
        CONFIG + "-- content/pages/archive.md --\n---\ntitle: Archive\nslug: essays\n---\nx\n"
    )
    assert "content/pages/archive.md" in err
    assert "the essay archive" in err
    assert "/essays/" in err


def test_an_alias_onto_an_existing_page_is_refused(fails):
    err = fails(
        CONFIG
        + "-- content/pages/about.md --\n---\ntitle: About\n---\nx\n"
        + f"-- {ESSAY} --\n---\ntitle: Hello\ndate: 2024-03-01\naliases: [/about/]\n---\nx\n"
    )
    assert "content/pages/about.md" in err
    assert ESSAY in err


def test_a_static_file_in_the_way_of_a_generated_file_is_refused(fails):
    err = fails(CONFIG + "-- static/robots.txt --\nUser-agent: *\n")
    assert "static/robots.txt" in err


# --- configuration ------------------------------------------------------------------------


def test_a_missing_passivepress_yml_is_a_usage_error(tmp_path, cli):
    result = cli("build", str(tmp_path))
    assert result.code == 2
    assert "passivepress.yml" in result.err
    assert "Traceback" not in result.err


def test_every_configuration_problem_is_reported_in_one_run(fails):
    err = fails(
        """
-- passivepress.yml --
title: Test
base_url: example.com
timezone: Mars/Olympus
pagination:
  per_page: ten
feeds: yes
""",
        2,
    )
    assert "error: passivepress.yml:2: 'base_url' must be a full URL" in err
    assert "error: passivepress.yml:3: unknown time zone 'Mars/Olympus'" in err
    assert "error: passivepress.yml:5: 'pagination.per_page' must be a whole number" in err
    assert "error: passivepress.yml:6: 'feeds' must be a mapping" in err
    assert "4 problems" in err


def test_a_configuration_that_is_not_a_mapping(fails):
    err = fails("-- passivepress.yml --\n- title\n- base_url\n", 2)
    assert "error: passivepress.yml:1:" in err


def test_invalid_yaml_in_the_configuration(fails):
    err = fails("-- passivepress.yml --\ntitle: Test\nbase_url: https://example.com/\nx: [\n", 2)
    assert "error: passivepress.yml:" in err
    assert "could not parse YAML" in err


def test_a_bad_base_url_on_the_command_line_is_a_usage_error(tmp_path, make_site, cli):
    site = make_site(tmp_path, CONFIG)
    result = cli("build", str(site), "--base-url", "not a url")
    assert result.code == 2
    assert "--base-url" in result.err
    assert "base_url" in result.err


TYPO_CONFIG = """
-- passivepress.yml --
title: Test
base_url: https://example.com/
descripton: Oops
"""


def test_an_unknown_setting_warns_with_a_suggestion_and_still_builds(tmp_path, make_site, cli):
    site = make_site(tmp_path, TYPO_CONFIG)
    result = cli("build", str(site))
    assert result.code == 0
    assert "warning: passivepress.yml:3: unknown setting 'descripton'" in result.err
    assert "did you mean 'description'?" in result.err
    assert (site / "_site" / "index.html").is_file()


# --- warnings and --strict ----------------------------------------------------------------


def test_a_front_matter_typo_warns_with_a_suggestion(tmp_path, make_site, cli):
    site = make_site(
        tmp_path, site_with_essay("---\ntitle: Hi\ndate: 2024-03-01\ntgas: [x]\n---\nx\n")
    )
    result = cli("build", str(site))
    assert result.code == 0
    assert f"warning: {ESSAY}:4: unknown front matter key 'tgas'" in result.err
    assert "did you mean 'tags'?" in result.err


def test_a_broken_internal_link_is_a_warning(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        site_with_essay("---\ntitle: Hi\ndate: 2024-03-01\n---\nx\n\nSee [b](/essays/b/).\n"),
    )
    result = cli("build", str(site))
    assert result.code == 0
    assert f"warning: {ESSAY}:7: broken link: nothing on the site at /essays/b/" in result.err


def test_strict_turns_a_broken_internal_link_into_failure(fails):
    err = fails(
        site_with_essay("---\ntitle: Hi\ndate: 2024-03-01\n---\nx\n\nSee [b](/essays/b/).\n"),
        1,
        "--strict",
    )
    assert f"{ESSAY}:7:" in err
    assert "broken link" in err


def test_a_link_to_a_missing_heading_is_a_warning(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        site_with_essay(
            "---\ntitle: Hi\ndate: 2024-03-01\n---\n## The point\n\nSee [it](#the-pont).\n"
        ),
    )
    result = cli("build", str(site))
    assert result.code == 0
    assert f"warning: {ESSAY}:7:" in result.err
    assert "the-pont" in result.err


def test_strict_turns_a_missing_image_into_failure(fails):
    err = fails(
        site_with_essay("---\ntitle: Hi\ndate: 2024-03-01\n---\n![chart](/images/chart.png)\n"),
        1,
        "--strict",
    )
    assert f"{ESSAY}:5:" in err
    assert "/images/chart.png" in err


def test_strict_turns_an_unknown_setting_into_failure(fails):
    err = fails(TYPO_CONFIG, 1, "--strict")
    assert "error: passivepress.yml:3: (strict) unknown setting 'descripton'" in err


def test_links_to_pages_that_exist_are_not_warned_about(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        site_with_essay(
            "---\ntitle: Hi\ndate: 2024-03-01\n---\n[home](/) [archive](/essays/) "
            "[me](/essays/hello/) [tag index](/tags/) [feed](/feed.xml) [css](/css/style.css)"
            " [anchor](/essays/hello/#the-point) [query](/essays/?page=2)\n\n"
            "## The point\n"
        ),
    )
    result = cli("build", str(site), "--strict")
    assert result.code == 0, result.err
    assert "warning" not in result.err


# --- many problems at once, and --debug ---------------------------------------------------


def test_every_broken_file_is_reported_in_one_run(fails):
    err = fails(
        CONFIG
        + "-- content/essays/a.md --\n---\ntitle: A\n---\nx\n"
        + "-- content/essays/b.md --\n---\ntitle: B\ndate: someday\n---\nx\n"
        + "-- content/books/c.md --\n---\ntitle: [C\n---\nx\n"
        + "-- content/pages/d.md --\n---\ntitle: D\ndraft: perhaps\n---\nx\n"
    )
    assert "error: content/essays/a.md:1: 'date' is required" in err
    assert "error: content/essays/b.md:3: 'date' is not a date" in err
    assert "error: content/books/c.md:" in err
    assert "error: content/pages/d.md:3: 'draft' must be true or false" in err
    assert "4 problems" in err


def test_a_good_file_beside_a_broken_one_is_not_written_either(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        CONFIG
        + "-- content/essays/good.md --\n---\ntitle: Good\ndate: 2024-01-01\n---\nx\n"
        + "-- content/essays/bad.md --\n---\ntitle: Bad\n---\nx\n",
    )
    result = cli("build", str(site))
    assert result.code == 1
    assert "Nothing was written" in result.err
    assert not (site / "_site").exists()


def test_debug_shows_the_traceback_for_a_bug_report(tmp_path, make_site):
    site = make_site(tmp_path, site_with_essay("---\ntitle: Hello\n---\nBody.\n"))
    run = subprocess.run(
        [sys.executable, "-m", "passivepress", "build", str(site), "--debug"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "Traceback" in run.stderr
    assert "ContentError" in run.stderr
    assert "'date' is required" in run.stderr


def test_without_debug_there_is_no_traceback(tmp_path, make_site):
    site = make_site(tmp_path, site_with_essay("---\ntitle: Hello\n---\nBody.\n"))
    run = subprocess.run(
        [sys.executable, "-m", "passivepress", "build", str(site)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert f"error: {ESSAY}:1: 'date' is required" in run.stderr


def test_a_template_that_is_not_utf8_is_an_error_and_the_output_stays(tmp_path, make_site, cli):
    """Read when the build works out what each page template loads (a build with a cache
    folder) and again when rendering: either way one clear error, and the last output as
    it was."""
    site = make_site(
        tmp_path, site_with_essay("---\ntitle: Hello\ndate: 2024-03-01\ntags: [x]\n---\nBody.\n")
    )
    assert cli("build", str(site)).code == 0
    before = tree(site / "_site")
    (site / "templates").mkdir()
    (site / "templates" / "tag.html").write_bytes(b'\xff\xfe{% extends "base.html" %}\n')
    for args in ((), ("--clean",)):
        result = cli("build", str(site), *args)
        assert result.code == 1, result.err
        assert "Traceback" not in result.err
        assert "error: templates/tag.html:1: " in result.err
        assert "not valid UTF-8" in result.err
        assert tree(site / "_site") == before
