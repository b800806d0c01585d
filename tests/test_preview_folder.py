"""The preview builds in ``.passivepress/preview/`` and keeps there what its next run starts
from: a preview started again makes only what changed meanwhile (issue 6), and what it
serves is what a preview started from nothing serves, whatever stopped the last run.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import NOW, tree
from passivepress.build import Builder, BuildOptions, BuildResult, build
from passivepress.cache import CACHE_DIR
from passivepress.errors import ContentError
from passivepress.preview_folder import PREVIEW_DIR, PreviewFolder
from passivepress.report import Recorder
from passivepress.serve import LivePreview, ServeOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from corpus import generate

ESSAY = "content/essays"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    generate(tmp_path / "site", essays=12, books=3)
    return tmp_path / "site"


def free_port() -> int:
    """A port to start previews on one after another: their pages name it (absolute URLs),
    so a preview started on another port rightly makes every page again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(site: Path, port: int, **options: object) -> LivePreview:
    options = {"now": NOW, "jobs": 1, "watch_default_theme": False, **options}
    preview = LivePreview(site, ServeOptions(port=port, **options), Recorder())  # type: ignore[arg-type]
    preview.start()
    return preview


def fetch(port: int, path: str) -> bytes:
    """The page as served, without the build id its live-reload script carries (each run
    of the server numbers its builds its own way)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        resp = conn.getresponse()
        assert resp.status == 200, (path, resp.status)
        return re.sub(rb' data-build="[^"]*"', b"", resp.read())
    finally:
        conn.close()


def fresh_tree(site: Path, port: int) -> dict[str, bytes]:
    """What a preview with nothing kept builds (in a temporary folder it removes)."""
    preview = start(site, port, keep=False)
    try:
        assert preview.snapshot.root is not None
        assert PREVIEW_DIR not in preview.snapshot.root.as_posix()
        return tree(preview.snapshot.root)
    finally:
        preview.stop()


def kept_output(site: Path) -> Path:
    return site / PREVIEW_DIR / "site"


def essay_files(site: Path) -> list[Path]:
    return sorted((site / ESSAY).glob("*.md"))


def retitle(essay: Path, title: str) -> None:
    essay.write_text(re.sub(r"(?m)^title: .*$", f'title: "{title}"', essay.read_text(), count=1))


def test_a_preview_started_again_makes_nothing_and_serves_what_a_fresh_one_serves(site):
    port = free_port()
    first = start(site, port)
    made = first.last_result
    home, feed = fetch(port, "/"), fetch(port, "/feed.xml")
    first.stop()
    assert made is not None and made.rendered > 50 and made.markdown_rendered > 12

    again = start(site, port)
    try:
        result = again.last_result
        assert result is not None and result.pages == made.pages
        assert (result.rendered, result.markdown_rendered) == (0, 0)
        assert (fetch(port, "/"), fetch(port, "/feed.xml")) == (home, feed)
    finally:
        again.stop()
    assert tree(kept_output(site)) == fresh_tree(site, port)


def test_what_changed_between_runs_is_made_again_and_only_that(site):
    port = free_port()
    first = start(site, port)
    assert first.last_result is not None
    everything = first.last_result.rendered
    first.stop()
    essay = essay_files(site)[3]
    retitle(essay, "Renamed")
    essay_files(site)[5].unlink()
    (site / "templates").mkdir()
    (site / "templates" / "tag.html").write_text(
        '{% extends "!theme/tag.html" %}{% block title %}Tagged{% endblock %}'
    )
    recorder = Recorder()
    again = LivePreview(site, ServeOptions(port=port, now=NOW, jobs=1), recorder)
    again.start()
    try:
        result = again.last_result
        assert result is not None and result.markdown_rendered == 0
        # The renamed essay's page and card, the pages, lists and feeds that showed either
        # essay, the tag pages: not every page.
        assert 0 < result.rendered < everything
        cards = {p for p in recorder.paths if p.endswith("card.png")}
        assert len(cards) == 1, cards
    finally:
        again.stop()
    assert tree(kept_output(site)) == fresh_tree(site, port)


def preview_options(output: Path, port: int) -> BuildOptions:
    """The options of the preview's builder, as LivePreview makes it."""
    return BuildOptions(
        output=output,
        preview=True,
        drafts=True,
        future=True,
        now=NOW,
        jobs=1,
        base_url=f"http://127.0.0.1:{port}/",
    )


def preview_builder(site: Path, folder: PreviewFolder, port: int) -> Builder:
    """The preview's builder (without the server around it)."""
    return Builder(site, preview_options(folder.output, port), Recorder(), kept=folder)


def builder_tree(site: Path, port: int) -> dict[str, bytes]:
    """What a preview builder with nothing kept makes."""
    return fresh_build(site, port)[1]


def fresh_build(site: Path, port: int) -> tuple[BuildResult, dict[str, bytes]]:
    """What a preview builder makes with nothing kept, nor taken from the cache folder."""
    out = site.parent / "fresh"
    options = replace(preview_options(out, port), use_cache=False)
    result = Builder(site, options, Recorder()).build()
    return result, tree(out)


def url_of(rel: str) -> str:
    """An output file's URL, as the recorder names what was rendered."""
    return "/" + rel.removesuffix("index.html")


def claim(site: Path) -> PreviewFolder:
    folder = PreviewFolder.claim(site)
    assert folder is not None
    return folder


def run(site: Path) -> tuple[PreviewFolder, Builder, BuildResult]:
    """A preview run's folder and builder, after its first build (and that build)."""
    folder = claim(site)
    builder = preview_builder(site, folder, 8000)
    return folder, builder, builder.build()


def kept_run(site: Path) -> None:
    """A preview run that built, kept what the next starts from, and stopped."""
    folder, builder, _ = run(site)
    builder.keep_for_next_run()
    folder.release()


def test_saves_after_the_last_keeping_are_made_again_by_the_next_run(site):
    """A preview killed after quick builds: the outputs they wrote are newer than the kept
    state's records, and they are made again (their bytes may be the same while what they
    read is not: the modification time cannot tell)."""
    folder, builder, _ = run(site)
    builder.keep_for_next_run()  # as the preview does once no save waits
    essay = essay_files(site)[2]
    retitle(essay, "Quick")
    quick = builder.build(changed=[essay.relative_to(site).as_posix()])
    assert quick.quick and quick.rendered > 1
    journal = builder.resident.journal
    assert journal is not None and journal.rewritten
    folder.release()  # killed: nothing more is kept

    folder, again, result = run(site)
    assert result.markdown_rendered == 0
    assert set(again.reporter.paths) == {url_of(rel) for rel in journal.rewritten}
    assert tree(folder.output) == builder_tree(site, 8000)
    folder.release()


def test_a_save_before_the_keeping_is_made_the_quick_way_and_kept_after_it(site):
    """A save right after a full build, before the preview had idle time to keep it: the
    quick build first makes the model the full build's snapshot gives (its own patches
    it), and what it wrote is listed with the state kept afterwards."""
    folder, builder, _ = run(site)
    essay = essay_files(site)[4]
    retitle(essay, "Early")
    assert builder.build(changed=[essay.relative_to(site).as_posix()]).quick
    builder.keep_for_next_run()
    rewritten = builder.resident.journal.rewritten
    folder.release()
    assert (site / PREVIEW_DIR / "state.pickle").exists()

    folder, again, result = run(site)
    assert result.markdown_rendered == 0
    assert set(again.reporter.paths) == {url_of(rel) for rel in rewritten}
    assert tree(folder.output) == builder_tree(site, 8000)
    folder.release()


def test_a_run_stopped_in_mid_build_trusts_nothing_kept(site):
    """Even a file changed behind the kept records' back (same size, same modification
    time) is made again after a run that stopped while writing."""
    kept_run(site)
    page = next(kept_output(site).glob("essays/*/index.html"))
    before, st = page.read_bytes(), page.stat()
    page.write_bytes(before.replace(b"<title>", b"<title>X", 1)[: len(before)])
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))
    (site / PREVIEW_DIR / "building").touch()

    folder, _, result = run(site)
    assert result.rendered == fresh_build(site, 8000)[0].rendered
    assert page.read_bytes() == before
    assert not (site / PREVIEW_DIR / "building").exists()
    folder.release()


def test_a_run_stopped_in_mid_build_stays_untrusted_after_a_build_that_failed(site):
    """A preview killed in mid-write, started again while a file has a mistake: its first
    build fails and removes the marker it found. What the killed run kept must still go
    untrusted, by this run's next build and by a CLI build that would take the cards the
    preview kept (a card changed behind the records' back, same size and time, was copied
    into _site and back; found by fuzz/restarts.py, seed 2029)."""
    kept_run(site)
    card = next(kept_output(site).glob("essays/*/card.png"))
    before, st = card.read_bytes(), card.stat()
    card.write_bytes((b"X" + before)[: len(before)])
    os.utime(card, ns=(st.st_atime_ns, st.st_mtime_ns))
    (site / PREVIEW_DIR / "building").touch()
    essay = essay_files(site)[0]
    good = essay.read_text()
    essay.write_text(good.replace("\ntitle:", "\ntitle: [unclosed\ntitle:", 1))

    folder = claim(site)
    builder = preview_builder(site, folder, 8000)
    with pytest.raises(ContentError):
        builder.build()
    assert not (site / PREVIEW_DIR / "building").exists()
    essay.write_text(good)

    build(site, BuildOptions(now=NOW, record_urls=False), Recorder())  # no state of its own
    assert tree(site / "_site") == tree_of_clean_build(site)
    builder.build(changed=[essay.relative_to(site).as_posix()])
    assert card.read_bytes() == before
    assert tree(folder.output) == builder_tree(site, 8000)
    folder.release()


def test_outputs_changed_by_hand_are_made_again(site):
    kept_run(site)
    page = next(kept_output(site).glob("essays/*/index.html"))
    before = page.read_bytes()
    page.write_bytes(b"edited by hand")
    stray = kept_output(site) / "stray.html"
    stray.write_text("not ours")

    folder, again, _ = run(site)
    assert again.reporter.paths == [url_of(page.relative_to(kept_output(site)).as_posix())]
    assert page.read_bytes() == before and not stray.exists()
    folder.release()


def test_a_second_preview_of_the_site_builds_in_a_temporary_folder(site):
    port = free_port()
    first = start(site, port)
    try:
        assert PreviewFolder.claim(site) is None
        second = start(site, 0)
        try:
            root = second.snapshot.root
            assert root is not None and not root.is_relative_to(site)
        finally:
            second.stop()
        assert not root.exists()
        assert first.snapshot.root == kept_output(site)
    finally:
        first.stop()


def test_a_preview_folder_it_did_not_make_is_replaced(site):
    junk = kept_output(site) / "junk.txt"
    junk.parent.mkdir(parents=True)
    junk.write_text("left by something else")
    port = free_port()
    preview = start(site, port)
    try:
        assert not junk.exists()
        assert b"Benchmark Mentor" in fetch(port, "/")
    finally:
        preview.stop()


def test_cli_builds_take_the_markdown_a_preview_rendered(site):
    """The preview adds what it rendered to the cache folder's store, which CLI builds
    share (the bodies do not depend on the preview's address)."""
    start(site, free_port()).stop()
    assert list((site / CACHE_DIR).glob("markdown-*.sqlite"))
    result: BuildResult = build(site, BuildOptions(now=NOW, record_urls=False), Recorder())
    assert result.markdown_rendered == 0
    assert tree(site / "_site") == tree_of_clean_build(site)


def tree_of_clean_build(site: Path) -> dict[str, bytes]:
    out = site.parent / "clean"
    build(site, BuildOptions(output=out, now=NOW, use_cache=False, record_urls=False), Recorder())
    return tree(out)


def test_a_preview_with_keep_off_leaves_the_site_folder_as_it_was(site):
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    start(site, free_port(), keep=False).stop()
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before


def test_keeping_stops_for_a_save_and_goes_on_after_it(site):
    """The preview keeps its state while no save waits; a save stops it. Once the model is
    made, the rest may wait for quick builds: what they wrote is listed with the state."""
    folder, builder, _ = run(site)
    assert builder.keep_for_next_run(stop=lambda: True) is False
    # Stopped once the model is made: only the writing is left.
    assert builder.keep_for_next_run(stop=lambda: builder._unwritten is not None) is False
    assert not (site / PREVIEW_DIR / "state.pickle").exists()
    essay = essay_files(site)[1]
    retitle(essay, "Meanwhile")
    quick = builder.build(changed=[essay.relative_to(site).as_posix()])
    assert quick.quick
    assert builder.keep_for_next_run() is True
    rewritten = builder.resident.journal.rewritten
    folder.release()

    folder, again, _ = run(site)
    assert set(again.reporter.paths) == {url_of(rel) for rel in rewritten}
    assert tree(folder.output) == builder_tree(site, 8000)
    folder.release()


def test_a_mistake_in_a_saved_file_leaves_what_was_kept_trusted(site):
    folder, builder, _ = run(site)
    builder.keep_for_next_run()
    essay = essay_files(site)[0]
    good = essay.read_text()
    essay.write_text(good.replace("\ntitle:", "\ntitle: [unclosed\ntitle:", 1))
    with pytest.raises(ContentError):
        builder.build(changed=[essay.relative_to(site).as_posix()])
    assert not (site / PREVIEW_DIR / "building").exists()
    essay.write_text(good)
    folder.release()

    folder, _, result = run(site)
    assert result.rendered == 0
    folder.release()


def test_no_state_is_kept_without_its_list_of_rewritten_outputs(site):
    folder, builder, _ = run(site)
    essay = essay_files(site)[1]
    retitle(essay, "Unlisted")
    assert builder.build(changed=[essay.relative_to(site).as_posix()]).quick
    (site / PREVIEW_DIR / "rewritten").mkdir()  # the list cannot be written there
    builder.keep_for_next_run()
    assert not (site / PREVIEW_DIR / "state.pickle").exists()
    folder.release()


def test_static_files_changed_between_runs_are_copied_again(site):
    static = site / "static"
    (static / "images").mkdir(parents=True)
    (static / "images" / "a.svg").write_text("<svg>a</svg>")
    (static / "gone.txt").write_text("soon gone")
    kept_run(site)
    (static / "images" / "a.svg").write_text("<svg>changed, and longer</svg>")
    (static / "gone.txt").unlink()
    (static / "new.txt").write_text("new")
    folder, _, _ = run(site)
    made = tree(folder.output)
    assert made["images/a.svg"] == b"<svg>changed, and longer</svg>"
    assert "gone.txt" not in made and made["new.txt"] == b"new"
    assert made == builder_tree(site, 8000)
    folder.release()


def test_a_first_run_copies_the_social_cards_of_the_last_cli_build(site):
    """Cards do not depend on the preview's address: those a CLI build made with the same
    inputs are copied from its output folder (not drawn again, and not linked: what is
    written into one folder later stays there); a card whose essay changed since, or that
    was changed by hand, is made."""
    build(site, BuildOptions(now=NOW, record_urls=False), Recorder())
    retitled = essay_files(site)[2]
    retitle(retitled, "A title the CLI build never saw")
    by_hand = next((site / "_site").glob("essays/*/card.png"))
    by_hand.write_bytes(b"not a card")

    folder, builder, _ = run(site)
    cards = {p.relative_to(folder.output).as_posix() for p in folder.output.rglob("card.png")}
    made = {path for path in builder.reporter.paths if path.endswith("card.png")}
    slug = re.search(r"(?m)^slug: (\S+)", retitled.read_text()).group(1)
    expected = {f"/essays/{slug}/card.png", url_of(by_hand.relative_to(site / "_site").as_posix())}
    assert made == expected and len(cards) == 12
    for rel in cards:
        copy, original = folder.output / rel, site / "_site" / rel
        assert copy.stat().st_ino != original.stat().st_ino
        assert (copy.read_bytes() == original.read_bytes()) == (url_of(rel) not in made), rel
    assert tree(folder.output) == builder_tree(site, 8000)

    # Written into in place, _site's card is _site's alone.
    card = sorted(cards - {rel.lstrip("/") for rel in made})[0]
    with open(site / "_site" / card, "r+b") as fh:
        fh.write(b"\0")
    assert tree(folder.output) == builder_tree(site, 8000)
    folder.release()


def test_a_first_run_makes_every_card_when_the_cli_state_is_not_trusted(site):
    """A list of rewritten outputs that cannot be read: no record of the CLI's is trusted."""
    build(site, BuildOptions(now=NOW, record_urls=False), Recorder())
    (site / CACHE_DIR / "quick-journal.pickle").write_bytes(b"damaged")
    folder, builder, _ = run(site)
    assert len([p for p in builder.reporter.paths if p.endswith("card.png")]) == 12
    assert tree(folder.output) == builder_tree(site, 8000)
    folder.release()


def test_a_run_that_finds_everything_as_kept_leaves_the_state_as_it_was(site):
    """Nothing to write again; saves after it are listed with that state, as after a
    keeping, and made again by the next run."""
    kept_run(site)
    state = site / PREVIEW_DIR / "state.pickle"
    before = state.stat()
    (kept_output(site) / "stray.html").write_text("not ours")
    folder, builder, result = run(site)
    assert result.rendered == 0 and not (kept_output(site) / "stray.html").exists()
    assert builder.keep_for_next_run()
    after = state.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    essay = essay_files(site)[2]
    retitle(essay, "Saved after an unchanged start")
    assert builder.build(changed=[essay.relative_to(site).as_posix()]).quick
    folder.release()  # as if killed: nothing kept since the save

    folder, _, result = run(site)
    assert 0 < result.rendered < 40
    assert tree(folder.output) == builder_tree(site, 8000)
    folder.release()


def test_a_first_cli_build_copies_the_social_cards_the_preview_kept(site):
    """The other way round: a CLI build with no state of its own copies the cards of the
    preview's kept folder whose inputs are the same; those a save rewrote since the
    preview kept its state, or whose essay changed since, are made."""
    folder, builder, _ = run(site)
    builder.keep_for_next_run()
    saved, changed = essay_files(site)[2], essay_files(site)[4]
    retitle(saved, "Saved in the preview")
    assert builder.build(changed=[saved.relative_to(site).as_posix()]).quick
    folder.release()  # as if killed: the state kept lists the card the save rewrote
    retitle(changed, "Changed with no preview running")

    recorder = Recorder()
    build(site, BuildOptions(now=NOW, record_urls=False), recorder)
    made = {path for path in recorder.paths if path.endswith("card.png")}
    slugs = [re.search(r"(?m)^slug: (\S+)", p.read_text()).group(1) for p in (saved, changed)]
    assert made == {f"/essays/{slug}/card.png" for slug in slugs}
    cards = sorted((site / "_site").glob("essays/*/card.png"))
    assert len(cards) == 12
    for card in cards:
        kept = folder.output / card.relative_to(site / "_site")
        assert card.stat().st_ino != kept.stat().st_ino
    assert tree(site / "_site") == tree_of_clean_build(site)
