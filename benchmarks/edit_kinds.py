"""How long a CLI build takes after the edits that take the full way (issue 6).

    python benchmarks/edit_kinds.py --essays 1000 --runs 3

build_speed.py times cold, warm and one-essay-edited builds (the quick way). This times,
on the same corpus, with the cache folder of the build before, the edits that change more
than what pages show: a page template, the essay template, a configuration value every
page shows, a new essay published and an essay deleted. Each edit is undone after its run
(with an untimed build), so every run starts from the same state. Seconds from the
command's start to its end, median [min–max], and how many outputs the build made again.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import add_corpus_options, generate

Edit = Callable[[Path, int], Callable[[], None]]  # (site, run) → undo


def tag_template(site: Path, run: int) -> Callable[[], None]:
    folder = site / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "tag.html").write_text(
        f'{{% extends "!theme/tag.html" %}}{{% block title %}}Tag {run}{{% endblock %}}'
    )
    return lambda: shutil.rmtree(folder)


def essay_template(site: Path, run: int) -> Callable[[], None]:
    folder = site / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "essay.html").write_text(
        f'{{% extends "!theme/essay.html" %}}{{% block footer %}}{{{{ super() }}}} {run}'
        "{% endblock %}"
    )
    return lambda: shutil.rmtree(folder)


def description(site: Path, run: int) -> Callable[[], None]:
    config = site / "passivepress.yml"
    before = config.read_text()
    config.write_text(re.sub(r"(?m)^description: .*$", f"description: Run {run}.", before))
    return lambda: config.write_text(before)


def new_essay(site: Path, run: int) -> Callable[[], None]:
    essays = sorted((site / "content" / "essays").glob("*.md"))
    text = essays[0].read_text()
    text = re.sub(r"(?m)^slug: .*$", f"slug: new-essay-{run}", text)
    # Yesterday: the newest essay, and not one dated in the future (which the site hides).
    day = (date.today() - timedelta(days=1)).isoformat()
    text = re.sub(r"(?m)^date: .*$", f"date: {day}", text)
    path = essays[0].with_name(f"{day}-new-essay-{run}.md")
    path.write_text(text)
    return path.unlink


def deleted_essay(site: Path, run: int) -> Callable[[], None]:
    essays = sorted((site / "content" / "essays").glob("*.md"))
    path = essays[(run * 7919) % len(essays)]
    text = path.read_text()
    path.unlink()
    return lambda: path.write_text(text)


EDITS: dict[str, Edit] = {
    "tag.html edited": tag_template,
    "essay.html edited": essay_template,
    "description edited": description,
    "a new essay": new_essay,
    "an essay deleted": deleted_essay,
}


def build(site: Path) -> tuple[float, int]:
    """One CLI build: its wall time and the outputs it made again."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "passivepress", "build", "-v", str(site)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stderr}")
    found = re.search(r"(\d+) outputs rendered", proc.stdout + proc.stderr)
    return seconds, int(found.group(1)) if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_corpus_options(parser)
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="edit-kinds-"))
    site = work / f"essays-{args.essays}"
    if site.exists():
        shutil.rmtree(site)
    generate(site, essays=args.essays, books=args.books)
    (site / "published-urls.txt").unlink(missing_ok=True)
    build(site)  # the cache the edits start from
    rows = []
    for name, edit in EDITS.items():
        times, made = [], []
        for run in range(args.runs):
            undo = edit(site, run)
            seconds, outputs = build(site)
            times.append(seconds)
            made.append(outputs)
            undo()
            build(site)
            (site / "published-urls.txt").unlink(missing_ok=True)
        rows.append((name, times, max(made)))
    print(f"{args.essays:,} essays, {args.runs} runs each, Python {sys.version.split()[0]}\n")
    print("| edit | seconds, median [min–max] | outputs made again |")
    print("| --- | --- | ---: |")
    for name, times, made in rows:
        print(
            f"| {name} | {statistics.median(times):.2f} [{min(times):.2f}–{max(times):.2f}] "
            f"| {made:,} |"
        )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
