"""Every kind of edit an author makes, in a seeded random order, on a generated site: after
each one, a CLI build (which knows only what the cache folder kept), the preview (which
keeps the previous model in memory) and a preview stopped, killed or left running by turns
(which starts again from what it kept in its folder) make exactly what a clean build
makes, byte for byte; so does a preview's first run, which takes the CLI build's cards.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from conftest import NOW, tree
from passivepress import uptodate
from passivepress.build import Builder, BuildOptions, build
from passivepress.preview_folder import PreviewFolder
from passivepress.report import Recorder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from corpus import generate

ESSAYS = Path("content/essays")


def essays(site: Path) -> list[Path]:
    """The published essays (an edit of a draft rightly changes nothing)."""
    return [p for p in sorted((site / ESSAYS).glob("*.md")) if "draft: true" not in p.read_text()]


def front(path: Path, key: str, value: str) -> None:
    """Set a front-matter key (added before the closing --- when missing)."""
    text = path.read_text()
    head, sep, body = text[4:].partition("\n---\n")
    lines = [line for line in head.split("\n") if not line.startswith(f"{key}:")]
    lines.append(f"{key}: {value}")
    path.write_text("---\n" + "\n".join(lines) + sep + body)


def body_word(rng: random.Random, site: Path) -> None:
    """One word for another inside a plain paragraph after the first: the HTML changes and
    nothing else (not the word count, summary, headings or links), in an essay without
    embeds (whose HTML is its Markdown's alone)."""
    path = rng.choice([p for p in essays(site) if "{book}" not in p.read_text()])
    lines = path.read_text().split("\n")
    body = lines.index("---", 1) + 1
    plain = [
        i
        for i, line in enumerate(lines)
        if i > body + 1 and re.fullmatch(r"[A-Z][A-Za-z ,.*]+", line) and len(line.split()) > 5
    ]
    i = plain[len(plain) // 2]
    words = lines[i].split(" ")
    words[2] = "ladder" if words[2] != "ladder" else "signal"
    lines[i] = " ".join(words)
    path.write_text("\n".join(lines))


def title(rng: random.Random, site: Path) -> None:
    front(rng.choice(essays(site)), "title", f'"A new title {rng.randint(0, 999)}"')


def tags(rng: random.Random, site: Path) -> None:
    front(rng.choice(essays(site)), "tags", f"[{rng.choice(['career', 'fresh', 'writing'])}]")


def date(rng: random.Random, site: Path) -> None:
    """An essay moved to the end of the archive (a date that keeps its place goes quick)."""
    dated = {p: re.search(r"^date: (\S+)", p.read_text(), re.M).group(1) for p in essays(site)}
    oldest = min(dated, key=lambda p: (dated[p], p.name))
    movable = [p for p in essays(site) if p != oldest]
    front(rng.choice(movable), "date", f"2001-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")


def draft(rng: random.Random, site: Path) -> None:
    front(rng.choice(essays(site)), "draft", "true")


def summary(rng: random.Random, site: Path) -> None:
    front(rng.choice(essays(site)), "summary", '"Another summary, shorter."')


def updated(rng: random.Random, site: Path) -> None:
    """A revision date: the page, the feeds and the sitemap's lastmod change."""
    front(rng.choice(essays(site)), "updated", "2025-06-0" + str(rng.randint(1, 9)))


def cta(rng: random.Random, site: Path) -> None:
    """No call-to-action under one essay: its page and the feeds' footers change."""
    front(rng.choice(essays(site)), "cta", "false")


def delete(rng: random.Random, site: Path) -> None:
    rng.choice(essays(site)).unlink()


def add(rng: random.Random, site: Path) -> None:
    other = rng.choice(essays(site)).read_text().split("slug: ")[1].split("\n")[0]
    (site / ESSAYS / f"2023-12-0{rng.randint(1, 9)}-added-{rng.randint(0, 99)}.md").write_text(
        "---\ntitle: Added\ndate: 2023-12-01\ntags: [career, fresh]\nbooks: [book-001]\n---\n"
        f"Read [this](/essays/{other}/) and {{book}}`book-002`.\n\n```{{book}} book-003\n```\n"
    )


def embed(rng: random.Random, site: Path) -> None:
    """A {cta} box and a book the essay did not mention yet (which relates it to others)."""
    path = rng.choice([p for p in essays(site) if "book-004" not in p.read_text()])
    path.write_text(path.read_text() + "\n```{cta}\n```\n\nAlso {book}`book-004`.\n")


def rename(rng: random.Random, site: Path) -> None:
    path = rng.choice(essays(site))
    path.rename(path.with_name("2011-01-01-renamed.md"))


def book(rng: random.Random, site: Path) -> None:
    path = site / "content/books" / f"book-00{rng.randint(0, 4)}.md"
    front(path, "title", f'"Retitled book {rng.randint(0, 99)}"')
    front(path, "featured", "true")


def config(rng: random.Random, site: Path) -> None:
    path = site / "passivepress.yml"
    path.write_text(path.read_text().replace("Benchmark Mentor", "Another Mentor"))


def template(rng: random.Random, site: Path) -> None:
    """A site-level override of a theme template, or another version of one: only the
    pages whose templates load it are made again."""
    from passivepress.bundled import builtin_theme_dir

    folder = site / "templates"
    folder.mkdir(exist_ok=True)
    mark = rng.randint(0, 999)
    name = rng.choice(["tag.html", "essay.html", "_cta.html"])
    if name == "_cta.html":
        text = (builtin_theme_dir() / "templates" / name).read_text()
        text = text.replace("cta__heading", f"cta__heading-{mark}")
    else:
        text = f'{{% extends "!theme/{name}" %}}{{% block title %}}{mark}{{% endblock %}}'
    (folder / name).write_text(text)


EDITS = [
    body_word,
    title,
    tags,
    date,
    draft,
    summary,
    updated,
    cta,
    delete,
    add,
    embed,
    rename,
    book,
    config,
    template,
]
# Edits that change nothing but what the essay's own page and the pages, lists and feeds
# showing it show: the CLI takes the quick way for them (passivepress.quick), the full one
# for the others.
QUICK = {body_word, title, summary, updated, cta}


def files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in site.rglob("*")
        if p.is_file() and ".passivepress" not in p.parts
    }


def changed_since(before: dict[str, bytes], site: Path) -> list[str]:
    """The files that changed, were added or removed: what the preview's watcher reports."""
    after = files(site)
    return sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_kind_of_edit_builds_what_a_clean_build_makes(tmp_path: Path, seed: int) -> None:
    site = tmp_path / "site"
    generate(site, essays=24, books=6)
    options = {"now": NOW, "record_urls": False}
    preview = Builder(site, BuildOptions(output=tmp_path / "preview", preview=True, **options))
    preview.build()
    # A preview that keeps its folder, and is stopped, killed or left running by turns.
    folder = claim(site)
    kept_options = BuildOptions(output=folder.output, preview=True, **options)
    kept = Builder(site, kept_options, kept=folder)
    kept.build()
    cli = BuildOptions(output=tmp_path / "cli", **options)
    build(site, cli, Recorder(), uptodate.scan(site))
    rng = random.Random(seed)
    for n, edit in enumerate(rng.sample(EDITS, len(EDITS))):
        before = files(site)
        way = ("stopped", "running", "killed")[n % 3]
        if way == "stopped":
            kept.keep_for_next_run()
            folder.release()
        edit(rng, site)
        if way == "stopped":
            folder = claim(site)
            kept = Builder(site, kept_options, kept=folder)
            # What it kept (and added to the cache folder's store) spares it the Markdown.
            assert kept.build().markdown_rendered <= 1, edit.__name__
        else:
            kept.build(changed=changed_since(before, site))
            if way == "killed":
                folder.release()  # with whatever it kept last
                folder = claim(site)
                kept = Builder(site, kept_options, kept=folder)
                kept.build()
            elif rng.random() < 0.5:
                kept.keep_for_next_run()  # no save came for a while
        recorder = Recorder()
        result = build(site, cli, recorder, uptodate.scan(site))  # as `passivepress build`
        assert recorder.paths, f"{edit.__name__}: the CLI build rendered nothing"
        assert result.quick == (edit in QUICK), f"{edit.__name__}: quick way {result.quick}"
        # The preview, told what changed as its watcher tells it, takes the same way.
        shown = preview.build(changed=changed_since(before, site))
        assert shown.quick == (edit in QUICK), f"{edit.__name__}: preview's way {shown.quick}"
        clean = tmp_path / f"clean-{n}"
        Builder(site, BuildOptions(output=clean, use_cache=False, **options)).build()
        fresh_preview = tmp_path / f"fresh-preview-{n}"
        clean_preview = BuildOptions(output=fresh_preview, preview=True, use_cache=False, **options)
        Builder(site, clean_preview).build()
        # A preview's first run, which links the social cards of the CLI's last build.
        first_run = tmp_path / f"first-run-{n}"
        Builder(site, BuildOptions(output=first_run, preview=True, **options)).build()
        assert tree(tmp_path / "cli") == tree(clean), f"after {edit.__name__} (edit {n})"
        assert tree(tmp_path / "preview") == tree(fresh_preview), f"after {edit.__name__}"
        assert tree(first_run) == tree(fresh_preview), f"first run after {edit.__name__}"
        assert tree(folder.output) == tree(fresh_preview), f"after {edit.__name__}, {way}"
    folder.release()


def claim(site: Path) -> PreviewFolder:
    folder = PreviewFolder.claim(site)
    assert folder is not None
    return folder
