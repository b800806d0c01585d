"""Theme lookup (site templates/ → the site's theme → the built-in default), extending the
template one replaces, autoescaping and StrictUndefined."""

from __future__ import annotations

from conftest import CONFIG

ESSAY = """
-- content/essays/hello.md --
---
title: Hello
date: 2024-03-01
---
Body text.
"""


def test_a_template_in_the_sites_templates_folder_replaces_the_themes(
    tmp_path, make_site, build_site
):
    site = make_site(
        tmp_path,
        CONFIG
        + ESSAY
        + """
-- templates/essay.html --
<!doctype html>
<title>{{ essay.title }}</title>
<p class="mine">My own layout for {{ essay.title }}</p>
{{ essay.html }}
""",
    )
    built = build_site(site)
    page = built.html("/essays/hello/")
    assert page.text(page.one("mine")) == "My own layout for Hello"
    assert "Body text." in page.text()
    assert page.with_class("site-header") == []
    # Other templates still come from the theme.
    assert built.html("/").with_class("site-header")


def test_an_override_can_extend_the_template_it_replaces(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        CONFIG
        + ESSAY
        + """
-- templates/essay.html --
{% extends "!theme/essay.html" %}
{% block after_content %}
<p class="thanks">Thanks for reading {{ essay.title }}.</p>
{{ super() }}
{% endblock %}
""",
    )
    page = build_site(site).html("/essays/hello/")
    assert page.text(page.one("thanks")) == "Thanks for reading Hello."
    assert page.text(page.find(".//h1")) == "Hello"
    assert "Body text." in page.text(page.one("e-content"))
    assert page.with_class("cta", "aside"), "super() keeps the call to action"


def test_an_override_can_extend_the_built_in_default_directly(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        CONFIG
        + ESSAY
        + """
-- templates/essay.html --
{% extends "!default/essay.html" %}
{% block after_content %}<p class="plain">No call to action here.</p>{% endblock %}
""",
    )
    page = build_site(site).html("/essays/hello/")
    assert page.with_class("plain")
    assert page.with_class("cta", "aside") == []


def test_a_selected_theme_sits_between_the_site_and_the_default(tmp_path, make_site, build_site):
    site = make_site(
        tmp_path,
        CONFIG
        + "theme: calm\n"
        + ESSAY
        + """
-- themes/calm/templates/essay.html --
{% extends "!default/essay.html" %}
{% block after_content %}<p class="calm">calm theme</p>{% endblock %}
-- themes/calm/static/css/extra.css --
body { color: teal; }
-- templates/essay.html --
{% extends "!theme/essay.html" %}
{% block content %}<p class="site">site override</p>{{ super() }}{% endblock %}
""",
    )
    built = build_site(site)
    page = built.html("/essays/hello/")
    assert page.with_class("site"), "the site's override is used"
    assert page.with_class("calm"), "it extends the selected theme's essay.html"
    assert page.find(".//h1") is not None, "which extends the default"
    assert built.read("/css/extra.css") == b"body { color: teal; }\n"
    assert built.exists("/css/style.css"), "the default theme's static files are still there"


def test_a_themes_template_extending_theme_gets_the_default_below_it(
    tmp_path, make_site, build_site
):
    site = make_site(
        tmp_path,
        CONFIG
        + "theme: calm\n"
        + ESSAY
        + """
-- themes/calm/templates/essay.html --
{% extends "!theme/essay.html" %}
{% block after_content %}<p class="calm">calm theme</p>{% endblock %}
""",
    )
    page = build_site(site).html("/essays/hello/")
    assert page.with_class("calm")
    assert page.find(".//h1") is not None


def test_the_sites_static_files_win_over_the_themes(tmp_path, make_site, build_site):
    site = make_site(tmp_path, CONFIG + "-- static/css/style.css --\nbody { color: red; }\n")
    assert build_site(site).read("/css/style.css") == b"body { color: red; }\n"


def test_static_files_are_copied_to_the_output_root_as_they_are(tmp_path, make_site, build_site):
    site = make_site(tmp_path, CONFIG)
    (site / "static" / "covers").mkdir(parents=True)
    png = bytes(range(256))
    (site / "static" / "covers" / "a.png").write_bytes(png)
    (site / "static" / ".DS_Store").write_bytes(b"junk")
    built = build_site(site)
    assert built.read("/covers/a.png") == png
    assert not built.exists("/.DS_Store")


def test_an_unknown_theme_is_a_configuration_error(tmp_path, make_site, cli):
    site = make_site(tmp_path, CONFIG + "theme: nosuch\n")
    result = cli("build", str(site))
    assert result.code == 2
    assert "theme 'nosuch' not found" in result.err
    assert "passivepress.yml" in result.err


def test_titles_are_escaped_not_run_as_html(tmp_path, make_site, build_site):
    title = "<script>alert('x')</script> & <b>bold</b>"
    site = make_site(
        tmp_path,
        CONFIG
        + f'-- content/essays/x.md --\n---\ntitle: "{title}"\ndate: 2024-03-01\n'
        + "tags: ['<i>tag</i>']\n---\nBody.\n",
    )
    built = build_site(site)
    for url in ("/essays/x/", "/", "/essays/", "/tags/i-tag-i/"):
        page = built.html(url)
        scripts = [s for s in page.iter("script") if s.get("type") != "application/ld+json"]
        assert scripts == [], url
        assert page.find(".//main//b") is None, url
        assert page.find(".//main//i") is None, url
        for data in page.iter("script"):
            assert "</" not in (data.text or ""), "JSON-LD must not be able to close its script"
    page = built.html("/essays/x/")
    assert page.text(page.find(".//h1")) == title
    assert page.title() == f"{title} — Test Site"


def test_config_text_is_escaped_too(tmp_path, make_site, build_site):
    site = make_site(tmp_path, CONFIG.replace("title: Test Site", 'title: "Ada <Mentor>"'))
    page = build_site(site).html("/")
    assert page.title() == "Ada <Mentor>"
    assert page.find(".//Mentor") is None and page.find(".//mentor") is None


def test_a_template_using_an_undefined_variable_fails_naming_the_template_and_line(
    tmp_path, make_site, cli
):
    site = make_site(
        tmp_path,
        CONFIG
        + ESSAY
        + """
-- templates/essay.html --
{% extends "!theme/essay.html" %}
{% block after_content %}
<p>{{ essay.subtitel }}</p>
{% endblock %}
""",
    )
    result = cli("build", str(site))
    assert result.code == 1
    assert "error: templates/essay.html:3:" in result.err
    assert "subtitel" in result.err
    assert "content/essays/hello.md" in result.err, "says which page was being rendered"
    assert "Traceback" not in result.err
    assert not (site / "_site").exists()


def test_an_undefined_variable_in_a_partial_names_the_partial(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        CONFIG
        + """
-- templates/_cta.html --
<aside>
  {{ cta.no_such_field }}
</aside>
""",
    )
    result = cli("build", str(site))
    assert result.code == 1
    assert "error: templates/_cta.html:2:" in result.err


def test_a_template_syntax_error_names_the_template_and_line(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        CONFIG
        + ESSAY
        + """
-- templates/essay.html --
{% extends "!theme/essay.html" %}

{% block after_content %}{{ essay.title }{% endblock %}
""",
    )
    result = cli("build", str(site))
    assert result.code == 1
    assert "error: templates/essay.html:3:" in result.err
    assert "syntax" in result.err


def test_a_page_templates_digest_follows_what_it_may_load(tmp_path, make_site):
    """theme.template_digests: what a page template extends, includes and imports, and
    what those do; a name chosen while rendering makes it depend on every template."""
    from passivepress import config, theme

    site = make_site(
        tmp_path,
        CONFIG
        + """
-- templates/a.html --
{% extends "frame.html" %}{% block body %}{% include "part.html" %}{% endblock %}
-- templates/frame.html --
{% import "macros.html" as m %}<main>{% block body %}{% endblock %}</main>
-- templates/macros.html --
{% macro x() %}x{% endmacro %}
-- templates/part.html --
part {% include "maybe.html" ignore missing %}
-- templates/b.html --
{% set name = "part.html" %}{% include name %}
-- templates/other.html --
other
""",
    )
    folder = site / "templates"

    def digests():
        found = theme.Theme(site, config.load(site).config)
        env = found.environment(None)
        return theme.template_digests(env, ["a.html", "b.html", "other.html"], "everything")

    first = digests()
    assert first["b.html"] == "everything", "it names what it includes while rendering"
    assert len({first["a.html"], first["other.html"]}) == 2
    for name, edit in [
        ("macros.html", "{% macro x() %}y{% endmacro %}"),  # imported by what a.html extends
        ("maybe.html", "now here"),  # was missing, then added
        ("part.html", "another part"),
    ]:
        before = digests()
        (folder / name).write_text(edit)
        after = digests()
        assert after["a.html"] != before["a.html"], name
        assert after["other.html"] == before["other.html"], name
