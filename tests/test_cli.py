"""The ``passivepress`` command as users and CI run it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import CONFIG, tree

SITE = (
    CONFIG
    + """
-- content/essays/2024-03-01-published.md --
---
title: Published
date: 2024-03-01
---
Out.
-- content/essays/2024-03-02-draft.md --
---
title: Draft
date: 2024-03-02
draft: true
---
Not yet.
-- content/essays/2030-01-01-future.md --
---
title: Future
date: 2030-01-01
---
Later.
"""
)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passivepress", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_python_m_passivepress_help_names_the_commands():
    result = run("--help")
    assert result.returncode == 0
    assert "usage: passivepress" in result.stdout
    assert "build" in result.stdout


def test_build_help_lists_every_option():
    result = run("build", "--help")
    assert result.returncode == 0
    for option in (
        "SITE_DIR",
        "--output",
        "--drafts",
        "--future",
        "--base-url",
        "--strict",
        "--quiet",
        "--verbose",
        "--debug",
    ):
        assert option in result.stdout, option


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "passivepress"
    if not script.exists():
        pytest.skip("no console script next to this interpreter")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("passivepress ")


def test_no_command_prints_help_and_is_a_usage_error(cli):
    result = cli()
    assert result.code == 2
    assert "build" in result.out


def test_an_unknown_option_is_a_usage_error(cli):
    with pytest.raises(SystemExit) as exit_:
        cli("build", "--no-such-option")
    assert exit_.value.code == 2


def test_build_defaults_to_the_current_folder_and_its_site_folder(
    tmp_path, make_site, cli, monkeypatch
):
    site = make_site(tmp_path, SITE)
    monkeypatch.chdir(site)
    result = cli("build")
    assert result.code == 0, result.err
    assert (site / "_site" / "essays" / "published" / "index.html").is_file()


def test_build_reports_what_it_built(tmp_path, make_site, cli):
    result = cli("build", str(make_site(tmp_path, SITE)))
    assert result.code == 0
    assert "Built" in result.err
    assert "pages" in result.err
    assert result.out == ""


def test_quiet_prints_nothing_on_success(tmp_path, make_site, cli):
    result = cli("build", str(make_site(tmp_path, SITE)), "--quiet")
    assert result.code == 0
    assert result.err == ""


def test_quiet_still_prints_errors(tmp_path, make_site, cli):
    site = make_site(tmp_path, CONFIG + "-- content/essays/x.md --\n---\ntitle: X\n---\n")
    result = cli("build", str(site), "--quiet")
    assert result.code == 1
    assert "error: content/essays/x.md:1: 'date' is required" in result.err


def test_verbose_prints_the_time_of_each_step(tmp_path, make_site, cli):
    result = cli("build", str(make_site(tmp_path, SITE)), "--verbose")
    assert result.code == 0
    for step in ("config", "content", "render", "write"):
        assert step in result.err
    assert "ms" in result.err


def test_drafts_and_future_flags_include_those_essays(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    essays = site / "_site" / "essays"
    assert sorted(p.name for p in essays.iterdir() if p.is_dir()) == ["published"]
    assert cli("build", str(site), "--drafts").code == 0
    assert sorted(p.name for p in essays.iterdir() if p.is_dir()) == ["draft", "published"]
    assert cli("build", str(site), "--drafts", "--future").code == 0
    assert sorted(p.name for p in essays.iterdir() if p.is_dir()) == [
        "draft",
        "future",
        "published",
    ]


def test_source_date_epoch_decides_which_essays_are_in_the_future(
    tmp_path, make_site, cli, monkeypatch
):
    site = make_site(tmp_path, SITE)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2031, 1, 1, tzinfo=UTC).timestamp())))
    assert cli("build", str(site)).code == 0
    assert (site / "_site" / "essays" / "future" / "index.html").is_file()


def test_output_option_writes_elsewhere(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    out = tmp_path / "public"
    assert cli("build", str(site), "--output", str(out)).code == 0
    assert (out / "index.html").is_file()
    assert not (site / "_site").exists()


def test_base_url_option_changes_the_links(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site), "--base-url", "https://preview.example.net/pr-1/").code == 0
    feed = (site / "_site" / "feed.xml").read_text(encoding="utf-8")
    assert "https://preview.example.net/pr-1/essays/published/" in feed
    assert "https://example.com/essays/" not in feed


def test_the_example_site_in_the_repository_builds_cleanly(tmp_path, cli, monkeypatch):
    # The repository is itself the example site a new user builds first. It is copied, so
    # the test never writes into the repository. "Now" is far ahead so that every example
    # essay counts as published, whatever today is.
    repo = Path(__file__).resolve().parents[1]
    if not (repo / "passivepress.yml").is_file():
        pytest.skip("no example site at the repository root")
    site = tmp_path / "example"
    site.mkdir()
    for name in ("passivepress.yml", "published-urls.txt"):
        if (repo / name).is_file():
            shutil.copy2(repo / name, site / name)
    for name in ("content", "static", "templates", "themes"):
        if (repo / name).is_dir():
            shutil.copytree(repo / name, site / name)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())))
    out = tmp_path / "out"
    result = cli("build", str(site), "--output", str(out), "--strict")
    assert result.code == 0, result.err
    assert (out / "index.html").is_file()
    assert (out / "feed.xml").is_file()
    assert len([p for p in tree(out) if p.startswith("essays/")]) >= 6
