"""The output folder: built atomically, never a folder that holds sources or that the tool
did not make, and byte-identical from one build to the next."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import CONFIG, NOW, tree

SITE = (
    CONFIG
    + """
-- content/essays/2024-03-01-hello.md --
---
title: Hello
date: 2024-03-01
tags: [Careers, Writing, Mentoring, Books]
books: [b-book, a-book]
---
Hello *world*.

## A section

```python
print("hi")
```
-- content/essays/2024-03-01-same-day.md --
---
title: Same day
date: 2024-03-01
tags: [Writing, Careers]
---
Same day.
-- content/essays/2024-04-01-later.md --
---
title: Later
date: 2024-04-01 10:00
tags: [Mentoring]
aliases: [/2019/old-later/]
---
Later.
-- content/books/a-book.md --
---
title: A Book
---
A.
-- content/books/b-book.md --
---
title: B Book
own: true
---
B.
-- content/pages/about.md --
---
title: About
---
About.
-- static/images/me.txt --
not an image
"""
)

BROKEN_ESSAY = "---\ntitle: Broken\n---\nNo date.\n"


def leftovers(folder, output="_site"):
    """Temporary folders a build may have left beside its output (named after it)."""
    return sorted(p.name for p in folder.iterdir() if output in p.name and p.name != output)


# --- atomic builds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(("content/essays/2024-05-01-broken.md", BROKEN_ESSAY), id="content"),
        pytest.param(
            (
                "templates/essay.html",
                '{% extends "!theme/essay.html" %}\n'
                "{% block content %}{{ essay.nope }}{% endblock %}\n",
            ),
            id="template",
        ),
        pytest.param(
            ("content/pages/essays.md", "---\ntitle: X\nslug: tags\n---\nx\n"), id="collision"
        ),
    ],
)
def test_a_failed_build_leaves_the_previous_site_untouched(tmp_path, make_site, cli, breakage):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    before = tree(site / "_site")
    stamps = {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*")}

    path, text = breakage
    (site / path).parent.mkdir(parents=True, exist_ok=True)
    (site / path).write_text(text, encoding="utf-8")
    (site / "content/essays/2024-03-01-hello.md").write_text(
        "---\ntitle: Changed\ndate: 2024-03-01\n---\nChanged.\n", encoding="utf-8"
    )
    sources = {
        k: v for k, v in tree(site).items() if not k.startswith(("_site/", ".passivepress/"))
    }
    result = cli("build", str(site))

    assert result.code == 1
    assert tree(site / "_site") == before
    after = {k: v for k, v in tree(site).items() if not k.startswith(("_site/", ".passivepress/"))}
    assert after == sources, "a failed build changes nothing in the site folder either"
    assert {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*")} == stamps
    assert leftovers(site) == []


def test_strict_failure_leaves_the_previous_site_untouched(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    before = tree(site / "_site")
    (site / "content/essays/2024-05-01-new.md").write_text(
        "---\ntitle: New\ndate: 2024-05-01\n---\n[gone](/essays/gone/)\n", encoding="utf-8"
    )
    assert cli("build", str(site), "--strict").code == 1
    assert tree(site / "_site") == before


def test_a_successful_build_replaces_the_whole_previous_output(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    assert (site / "_site/essays/later/index.html").is_file()
    (site / "content/essays/2024-04-01-later.md").unlink()
    assert cli("build", str(site)).code == 0
    assert not (site / "_site/essays/later").exists(), "stale pages are not kept"
    assert not (site / "_site/2019/old-later").exists()
    assert leftovers(site) == []


def test_no_temporary_folders_are_left_beside_the_output(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    out = tmp_path / "public"
    build_site(site, output=out)
    build_site(site, output=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "site"]


def test_no_temporary_folders_are_left_after_a_failed_build(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        SITE
        + '-- templates/home.html --\n{% extends "!theme/home.html" %}'
        + "{% block content %}{{ nope }}{% endblock %}\n",
    )
    out = tmp_path / "public"
    assert cli("build", str(site), "--output", str(out)).code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_failed_first_build_creates_no_output_folder(tmp_path, make_site, cli):
    site = make_site(tmp_path, CONFIG + f"-- content/essays/x.md --\n{BROKEN_ESSAY}")
    assert cli("build", str(site)).code == 1
    assert not (site / "_site").exists()
    assert leftovers(site) == []


def test_the_output_folder_can_be_rebuilt_after_a_previous_build(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    out = tmp_path / "deploy"
    for _ in range(3):
        assert cli("build", str(site), "-o", str(out)).code == 0
    assert (out / "index.html").is_file()


def test_an_existing_empty_folder_may_be_the_output(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    out = tmp_path / "empty"
    out.mkdir()
    assert cli("build", str(site), "-o", str(out)).code == 0
    assert (out / "index.html").is_file()


# --- refusing unsafe output folders -------------------------------------------------------


def refused(cli, site, out) -> str:
    before = tree(site.parent)
    result = cli("build", str(site), "--output", str(out))
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert tree(site.parent) == before, "nothing was touched"
    return result.err


def test_the_site_folder_itself_is_refused_as_output(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert "site folder" in refused(cli, site, site)


def test_a_parent_of_the_site_is_refused_as_output(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert "contains the site folder" in refused(cli, site, tmp_path)


@pytest.mark.parametrize("inside", ["content", "content/essays", "static", "templates"])
def test_a_folder_inside_the_sources_is_refused_as_output(tmp_path, make_site, cli, inside):
    site = make_site(tmp_path, SITE + "-- templates/.keep --\n")
    err = refused(cli, site, site / inside / "out")
    assert f"inside the site's {inside.split('/')[0]}/ folder" in err


def test_a_non_empty_folder_the_tool_did_not_create_is_refused(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    mine = tmp_path / "my-documents"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work", encoding="utf-8")
    err = refused(cli, site, mine)
    assert "not empty" in err
    assert (mine / "thesis.txt").read_text(encoding="utf-8") == "years of work"


def test_a_file_is_refused_as_output(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    refused(cli, site, site / "passivepress.yml")


def test_the_output_setting_is_checked_too(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE.replace("timezone: UTC", "timezone: UTC\noutput: content"))
    before = tree(site)
    result = cli("build", str(site))
    assert result.code == 2
    assert tree(site) == before


def test_a_relative_output_setting_is_inside_the_site_folder(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE.replace("timezone: UTC", "timezone: UTC\noutput: public"))
    assert cli("build", str(site)).code == 0
    assert (site / "public" / "index.html").is_file()


# --- determinism --------------------------------------------------------------------------


def test_two_builds_are_byte_identical(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    one = build_site(site, output=tmp_path / "one").files()
    two = build_site(site, output=tmp_path / "two").files()
    assert sorted(one) == sorted(two)
    for name in one:
        assert one[name] == two[name], name
    assert len(one) > 20


def test_builds_in_fresh_processes_are_byte_identical(tmp_path, make_site):
    # Different hash seeds shuffle any set or dict built from strings; the output must not
    # depend on them, nor on the machine's time zone.
    site = make_site(tmp_path, SITE)
    outputs = []
    for seed, zone in (("1", "UTC"), ("2", "Pacific/Auckland")):
        out = tmp_path / f"out-{seed}"
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "TZ": zone,
            "SOURCE_DATE_EPOCH": str(int(NOW.timestamp())),
        }
        run = subprocess.run(
            [sys.executable, "-m", "passivepress", "build", str(site), "-o", str(out), "-q"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        outputs.append(tree(out))
    assert sorted(outputs[0]) == sorted(outputs[1])
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name


def test_the_output_does_not_depend_on_the_order_files_were_created(
    tmp_path, make_site, build_site
):
    one = make_site(tmp_path, SITE, name="one")
    # Same files, written in reverse order.
    two = tmp_path / "two"
    for rel, data in reversed(list(tree(one).items())):
        (two / rel).parent.mkdir(parents=True, exist_ok=True)
        (two / rel).write_bytes(data)
    assert build_site(one).files() == build_site(two).files()


def test_an_alias_redirects_to_the_essay(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, SITE))
    page = built.html("/2019/old-later/")
    refresh = [m.get("content") for m in page.iter("meta") if m.get("http-equiv") == "refresh"]
    assert refresh == ["0; url=https://example.com/essays/later/"]
    canonical = [el.get("href") for el in page.iter("link") if el.get("rel") == "canonical"]
    assert canonical == ["https://example.com/essays/later/"]


# --- incremental rebuilds ---------------------------------------------------------------------
#
# A second build reuses what did not change. Whatever was edited, its output must be exactly
# what a fresh build of the same sources (no cache, empty output folder) writes.


def _edit(path: str, old: str, new: str):
    def apply(site):
        file = site / path
        file.write_text(file.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    return apply


def _write(path: str, text: str):
    def apply(site):
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text, encoding="utf-8")

    return apply


def _delete(path: str):
    def apply(site):
        (site / path).unlink()

    return apply


HELLO = "content/essays/2024-03-01-hello.md"
EDITS = {
    "essay body": (_edit(HELLO, "Hello *world*.", "Hello *everyone*."), {}),
    "essay title": (_edit(HELLO, "title: Hello", "title: Hello again"), {}),
    "essay tags": (_edit(HELLO, "Careers, Writing, ", ""), {}),
    "essay date": (_edit(HELLO, "date: 2024-03-01", "date: 2024-05-01"), {}),
    "book title": (_edit("content/books/a-book.md", "title: A Book", "title: A Novel"), {}),
    "page deleted": (_delete("content/pages/about.md"), {}),
    "essay added": (
        _write("content/essays/new.md", "---\ntitle: New\ndate: 2024-05-02\n---\nx\n"),
        {},
    ),
    "site title": (_edit("passivepress.yml", "title: Test Site", "title: Renamed"), {}),
    "markdown setting": (
        _edit(
            "passivepress.yml", "timezone: UTC", "markdown:\n  typographer: false\ntimezone: UTC"
        ),
        {},
    ),
    "contact text": (_edit("passivepress.yml", "Tell me where", "Tell me, where"), {}),
    "template override": (
        _write(
            "templates/essay.html",
            '{% extends "!theme/essay.html" %}\n'
            '{% block after_content %}<p class="x">x</p>{% endblock %}\n',
        ),
        {},
    ),
    "static file": (_write("static/images/me.txt", "now a different text\n"), {}),
    "drafts option": (
        _write("content/essays/d.md", "---\ntitle: D\ndate: 2024-01-01\ndraft: true\n---\nx\n"),
        {"drafts": True},
    ),
    "base_url option": (lambda site: None, {"base_url": "https://preview.example.net/pr-1/"}),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_a_rebuild_after_an_edit_writes_what_a_fresh_build_writes(
    tmp_path, make_site, build_site, edit
):
    apply, options = EDITS[edit]
    site = make_site(tmp_path, SITE)
    build_site(site, record_urls=False)

    apply(site)
    incremental = build_site(site, record_urls=False, **options).files()

    fresh_site = tmp_path / "fresh"
    shutil.copytree(site, fresh_site, ignore=shutil.ignore_patterns("_site", ".passivepress"))
    fresh = build_site(fresh_site, use_cache=False, record_urls=False, **options).files()

    assert sorted(incremental) == sorted(fresh)
    changed = [name for name in fresh if incremental[name] != fresh[name]]
    assert changed == []


def test_a_file_removed_from_the_output_by_hand_comes_back(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    first = build_site(site).files()
    (site / "_site" / "essays" / "hello" / "index.html").unlink()
    (site / "_site" / "images" / "me.txt").unlink()
    assert build_site(site).files() == first


def test_a_deleted_essay_leaves_no_empty_folders_behind(tmp_path, make_site, build_site):
    site = make_site(tmp_path, SITE)
    build_site(site, record_urls=False)
    assert (site / "_site/essays/later").is_dir()
    (site / "content/essays/2024-04-01-later.md").unlink()
    build_site(site, record_urls=False)
    out = site / "_site"
    assert not (out / "essays/later").exists()
    empty = [p for p in out.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert empty == []
    assert (out / "essays/hello/index.html").is_file()


def _files(folder):
    """Each output file: its bytes, inode and modification time."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(folder).as_posix()] = (
                path.read_bytes(),
                st.st_ino,
                st.st_mtime_ns,
            )
    return out


def test_a_page_made_again_with_the_same_bytes_keeps_its_file(tmp_path, make_site, cli):
    """A change that makes pages again (here the site's description: every setting makes
    every page again) leaves the files whose bytes did not change as they were: the same
    file, the same modification time, which rsync and CDNs like."""
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    before = _files(site / "_site")
    config = site / "passivepress.yml"
    config.write_text(config.read_text().replace("for tests.", "for tests, and more."))
    assert cli("build", str(site)).code == 0
    after = _files(site / "_site")
    assert before.keys() == after.keys()
    same = [
        rel for rel in after if after[rel][0] == before[rel][0] and rel != ".passivepress-output"
    ]
    changed = [rel for rel in after if after[rel][0] != before[rel][0]]
    assert same and changed, "the description shows on some pages only"
    for rel in same:
        assert after[rel][1:] == before[rel][1:], rel
    for rel in changed:
        assert after[rel][2] != before[rel][2], rel


def test_a_clean_build_keeps_every_file_whose_bytes_are_the_same(tmp_path, make_site, cli):
    site = make_site(tmp_path, SITE)
    assert cli("build", str(site)).code == 0
    before = _files(site / "_site")
    assert cli("build", str(site), "--clean").code == 0
    after = _files(site / "_site")
    assert after.keys() == before.keys()
    # Bytes, inode and mtime alike: nothing was written again (the marker is new).
    assert {k: v for k, v in after.items() if k != ".passivepress-output"} == {
        k: v for k, v in before.items() if k != ".passivepress-output"
    }


def test_a_file_kept_from_another_folder_is_looked_at_as_linked(tmp_path):
    """A file of another output folder is kept (linked) only while it is as that build
    wrote it; one changed since is left out of the stage, for the caller to make."""
    from passivepress.output import Stage

    before = tmp_path / "before"
    (before / "a").mkdir(parents=True)
    (before / "a" / "card.png").write_bytes(b"card as written")
    (before / "b.png").write_bytes(b"another")
    written = {rel: (before / rel).stat() for rel in ("a/card.png", "b.png")}
    (before / "b.png").write_bytes(b"changed since, and longer")

    stage = Stage(tmp_path / "site")
    kept = {
        rel: stage.keep(rel, "a test", st.st_size, st.st_mtime_ns, before)
        for rel, st in written.items()
    }
    assert kept == {"a/card.png": True, "b.png": False}
    linked = stage.root / "a" / "card.png"
    assert linked.stat().st_ino == (before / "a" / "card.png").stat().st_ino
    assert not (stage.root / "b.png").exists() and set(stage.files) == {"a/card.png"}
    stage.discard()


def test_a_static_copy_replaced_with_the_same_size_and_time_is_copied_again(tmp_path):
    """Static files are compared byte for byte every time, not by what an earlier
    comparison in the same process answered for the same size and mtime (filecmp's
    cache): a preview runs for hours."""
    from passivepress.output import Stage

    static = tmp_path / "static"
    static.mkdir()
    (static / "style.css").write_text("body { color: black }")
    site = tmp_path / "site"

    def build() -> None:
        stage = Stage(site)
        stage.copy_static([static], tmp_path)
        stage.commit()

    build()
    build()  # compares the source with the copy in site/: the same
    copy = site / "style.css"
    st = copy.stat()
    copy.write_text("body { color: white }")  # as long, and given the same time
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    build()
    assert copy.read_text() == "body { color: black }"
