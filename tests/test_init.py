"""``passivepress init``: a new site that builds with --strict and checks clean straight away,
with a CI workflow (or host files) that publish it, and never a user's file overwritten."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Html
from passivepress import config as config_module

# PyYAML reads the workflow's `on:` key as YAML 1.1's boolean true.
ON = True


def files_below(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def steps_using(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A job's steps by the action they use (without its version)."""
    return {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}


def run_lines(job: dict[str, Any]) -> str:
    return "\n".join(s["run"] for s in job["steps"] if "run" in s)


def test_a_new_site_builds_strictly_and_checks_clean(tmp_path, cli):
    site = tmp_path / "mysite"
    created = cli("init", str(site))
    assert created.code == 0, created.err

    built = cli("build", str(site), "--strict")
    assert built.code == 0, built.err
    assert "warning" not in built.err

    checked = cli("check", str(site), "--format", "json")
    assert checked.code == 0, checked.err
    assert json.loads(checked.out)["findings"] == []


def test_the_new_site_has_an_essay_a_book_and_pages_that_invite_contact(tmp_path, cli):
    site = tmp_path / "mysite"
    cli("init", str(site))
    assert cli("build", str(site)).code == 0
    out = site / "_site"

    (essay_file,) = (site / "content/essays").glob("*.md")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-why-i-write-in-public\.md", essay_file.name)
    essay = Html((out / "essays/why-i-write-in-public/index.html").read_bytes())
    assert essay.meta("description")  # a summary written by hand
    assert essay.with_class("p-category")  # tags
    assert "/books/a-field-guide-to-first-jobs/" in essay.links()
    assert any(href.startswith("mailto:") for href in essay.links(essay.find(".//main")))

    book = Html((out / "books/a-field-guide-to-first-jobs/index.html").read_bytes())
    sponsored = [a for a in book.iter("a") if "sponsored" in (a.get("rel") or "")]
    assert sponsored and book.with_class("affiliate-disclosure")

    home = Html((out / "index.html").read_bytes())
    nav = home.links(home.find(".//nav"))
    assert "/about/" in nav and "/contact/" in nav
    assert (out / "contact/index.html").is_file()
    assert (out / "favicon.svg").is_file()

    assert {".passivepress/", "_site/"} <= set((site / ".gitignore").read_text().split())


def test_the_config_names_every_setting_and_loads_without_warnings(tmp_path, cli):
    site = tmp_path / "mysite"
    cli("init", str(site))
    text = (site / "passivepress.yml").read_text(encoding="utf-8")
    loaded = config_module.parse(text)
    assert loaded.warnings == []

    # Every setting of the schema is in the file, switched on or as a comment to uncomment.
    def names(cls: Any, prefix: str = "") -> list[str]:
        out = []
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            out.append(prefix + f.name)
            if dataclasses.is_dataclass(hints[f.name]):
                out += names(hints[f.name], prefix + f.name + ".")
        return out

    written = set(re.findall(r"^[ #]*([a-z_]+):", text, flags=re.MULTILINE))
    missing = [n for n in names(config_module.Config) if n.split(".")[-1] not in written]
    assert missing == [], (
        f"add {missing} (commented if need be) to src/passivepress/starter/passivepress.yml"
    )
    for commented in ("form_action", "booking_url"):
        assert re.search(rf"^\s*# {commented}: ", text, flags=re.MULTILINE)


def test_the_workflow_builds_strictly_and_deploys_to_github_pages(tmp_path, cli):
    site = tmp_path / "mysite"
    cli("init", str(site))
    workflow = yaml.safe_load((site / ".github/workflows/deploy.yml").read_text())

    triggers = workflow[ON]
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    # Daily, so essays dated in the future go live on their day.
    (schedule,) = triggers["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month, weekday) == ("*", "*", "*") and minute.isdigit() and hour.isdigit()
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"

    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = steps_using(build)
    assert {
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/cache",
    } <= set(uses)
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_site"
    assert uses["actions/cache"]["with"]["path"].split() == [".passivepress/cache", "_site"]
    commands = run_lines(build)
    assert "pip install passivepress" in commands
    assert re.search(r"^passivepress build --strict", commands, flags=re.MULTILINE)

    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert "actions/deploy-pages" in steps_using(deploy)


def test_netlify_host_gets_a_netlify_toml(tmp_path, cli):
    site = tmp_path / "mysite"
    assert cli("init", str(site), "--host", "netlify").code == 0
    netlify = tomllib.loads((site / "netlify.toml").read_text())
    assert netlify["build"]["publish"] == "_site"
    command = netlify["build"]["command"]
    assert "pip install passivepress" in command and "passivepress build --strict" in command
    assert netlify["build"]["environment"]["PYTHON_VERSION"]
    # Netlify deploys by itself; GitHub only asks it for the daily build.
    assert not (site / ".github/workflows/deploy.yml").exists()
    rebuild = yaml.safe_load((site / ".github/workflows/rebuild.yml").read_text())
    assert rebuild[ON]["schedule"]
    assert "DEPLOY_HOOK_URL" in run_lines(rebuild["jobs"]["rebuild"])
    assert cli("build", str(site), "--strict").code == 0


def test_cloudflare_host_gets_wrangler_toml_and_a_build_script(tmp_path, cli):
    site = tmp_path / "mysite"
    assert cli("init", str(site), "--host", "cloudflare").code == 0
    wrangler = tomllib.loads((site / "wrangler.toml").read_text())
    assert wrangler["pages_build_output_dir"] == "_site"
    assert wrangler["name"] == "mysite"
    script = (site / "build.sh").read_text()
    assert "pip install passivepress" in script and "passivepress build --strict" in script
    assert os.access(site / "build.sh", os.X_OK)
    assert re.fullmatch(r"3\.\d+\n", (site / ".python-version").read_text())
    assert (site / ".github/workflows/rebuild.yml").is_file()
    assert cli("build", str(site), "--strict").code == 0


@pytest.mark.parametrize("host", ["github", "netlify", "cloudflare"])
def test_no_placeholder_is_left_in_the_new_files(tmp_path, cli, host):
    site = tmp_path / "mysite"
    cli("init", str(site), "--host", host)
    for name, text in files_below(site).items():
        assert not re.findall(r"@[a-z_]+@", text), name


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, cli):
    site = tmp_path / "mysite"
    site.mkdir()
    (site / "notes.txt").write_text("mine")
    result = cli("init", str(site))
    assert result.code == 2
    assert "not empty" in result.err and "--force" in result.err
    assert files_below(site) == {"notes.txt": "mine"}


def test_init_accepts_a_folder_that_only_holds_git(tmp_path, cli):
    site = tmp_path / "mysite"
    (site / ".git").mkdir(parents=True)
    assert cli("init", str(site)).code == 0
    assert (site / "passivepress.yml").is_file()


def test_init_refuses_a_file(tmp_path, cli):
    target = tmp_path / "file"
    target.write_text("x")
    assert cli("init", str(target)).code == 2


def test_force_adds_missing_files_and_never_overwrites(tmp_path, cli):
    site = tmp_path / "mysite"
    (site / "content/pages").mkdir(parents=True)
    (site / "passivepress.yml").write_text("title: Mine\n")
    (site / "content/pages/about.md").write_text("---\ntitle: About me\n---\nMine.\n")
    result = cli("init", str(site), "--force")
    assert result.code == 0
    assert (site / "passivepress.yml").read_text() == "title: Mine\n"
    assert (site / "content/pages/about.md").read_text() == "---\ntitle: About me\n---\nMine.\n"
    assert "passivepress.yml" in result.err and "about.md" in result.err  # said it kept them
    assert (site / "content/pages/contact.md").is_file()
    assert (site / ".github/workflows/deploy.yml").is_file()

    # A second run adds nothing, not even another copy of the sample essay.
    before = files_below(site)
    assert cli("init", str(site), "--force").code == 0
    assert files_below(site) == before


def test_unknown_host_is_a_usage_error(tmp_path, cli):
    with pytest.raises(SystemExit) as exc:
        cli("init", str(tmp_path / "x"), "--host", "ftp")
    assert exc.value.code == 2
