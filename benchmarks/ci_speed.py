"""passivepress in CI: a fresh checkout with the cache folder and the output restored (issue 6).

    python benchmarks/ci_speed.py --essays 1000
    python benchmarks/ci_speed.py --essays 1000 --essays 10000 --runs 5 --workdir /dev/shm/ci

``build_speed.py`` times builds in one folder, where a warm build finds every source as it
last saw it (same size, modification time, inode) and reads none of them. A CI job starts
from a checkout instead: every file is new (new times, new inodes), so every source is read
and hashed, and only the cache folder and the output (restored from the CI's cache, as the
workflow ``passivepress init`` writes does) say what the last build made. This script
times that, each build a separate process from its start to its end:

- first: the first CI run, nothing restored (``passivepress build`` into an empty folder);
- unchanged: a checkout of the same commit, cache folder and output restored;
- one edit: a checkout in which one essay (from the middle of the archive) has a sentence
  more, as a push that edits it;
- newest edited: the same for the newest essay, which every feed shows.

The workflow commits the list of published URLs back after a build, so the checkouts after
the first run hold it. Each run starts again from the checkout and what the first run saved,
in the same folder (the cache names the folder it was made in, as a CI runner's workspace
is the same path on every run). The restored files' modification times are cut to whole
seconds, as tar formats that keep no fractions leave them. The script checks what it
times: a build with nothing changed rewrites no file, the edited essay's page has the new
sentence, and after the first edit the whole output is a clean build's of the same
checkout.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from build_speed import (  # noqa: E402
    BenchError,
    Sample,
    add_corpus_options,
    append_sentence,
    edit_marker,
    essay_files,
    fmt_time,
    loadavg,
    machine,
    mib,
    prepare_passivepress,
    progress,
    rmtree,
    run_script,
    run_timed,
)
from corpus import generate  # noqa: E402

MODES = ("first", "unchanged", "edit", "edit_new")
RESTORED = (".passivepress/cache", "_site")  # what the CI's cache keeps


def checkout(repo: Path, site: Path) -> None:
    """``site`` as a fresh checkout of ``repo`` leaves it: every file written anew."""
    rmtree(site)
    shutil.copytree(repo, site, copy_function=shutil.copyfile)


def save(site: Path, saved: Path) -> None:
    rmtree(saved)
    for rel in RESTORED:
        shutil.copytree(site / rel, saved / rel, symlinks=True)


def restore(saved: Path, site: Path) -> None:
    """What the CI's cache saved, put back with whole-second modification times."""
    for rel in RESTORED:
        shutil.copytree(saved / rel, site / rel, symlinks=True, dirs_exist_ok=True)
        for folder, _, files in os.walk(site / rel):
            for name in files:
                path = os.path.join(folder, name)
                st = os.stat(path)
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns // 10**9 * 10**9))


def times(folder: Path) -> dict[str, int]:
    """Every file's modification time, by its path in ``folder``."""
    found = {}
    for parent, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            found[os.path.relpath(path, folder)] = os.stat(path).st_mtime_ns
    return found


def slug_of(path: Path) -> str:
    for line in path.read_text().splitlines()[1:]:
        if line.startswith("slug:"):
            return line.split(":", 1)[1].strip()
        if line == "---":
            break
    raise BenchError(f"{path} gives no slug (corpus.py writes one for every essay)")


def same_trees(one: Path, other: Path) -> list[str]:
    """Files that differ between two output folders (missing from either, or other bytes)."""
    differing: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        differing.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differing.extend(prefix + n for n in mismatch + errors)
        for name, sub in sorted(cmp.subdirs.items()):
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(one, other), "")
    return sorted(differing)


def bench_size(essays: int, args: argparse.Namespace) -> dict[str, list[Sample]]:
    size_dir: Path = args.workdir / f"ci-{essays}"
    rmtree(size_dir)
    repo, site, saved = size_dir / "repo", size_dir / "site", size_dir / "saved"
    logs = size_dir / "logs"
    logs.mkdir(parents=True)
    progress(f"{essays} essays: generating the corpus (seed {args.seed})")
    generate(repo, essays, args.books, args.seed)
    command = [args.python, "-m", "passivepress", "build", str(site), "-q"]
    samples: dict[str, list[Sample]] = {mode: [] for mode in MODES}
    env = args.passivepress_env

    def timed(mode: str, run: int) -> Sample:
        sample = run_timed(
            command, cwd=size_dir, log=logs / f"{mode}-{run}.log", timeout=args.timeout, env=env
        )
        samples[mode].append(sample)
        progress(
            f"{essays} essays: {mode:9} run {run + 1}: {sample.wall_s:7.2f} s, "
            f"peak RSS {sample.max_rss_kib / 1024:6.0f} MiB"
        )
        return sample

    for run in range(args.runs):
        checkout(repo, site)
        timed("first", run)
    save(site, saved)
    # The workflow commits the list of published URLs back (a build adds to it): the
    # next checkout has it.
    shutil.copyfile(site / "published-urls.txt", repo / "published-urls.txt")
    for mode in MODES[1:]:
        for run in range(args.runs):
            checkout(repo, site)
            restore(saved, site)
            edited = None
            if mode != "unchanged":
                files = essay_files(site)
                edited = files[-1] if mode == "edit_new" else files[len(files) // 2 + run]
                append_sentence(edited, run)
            before = times(site / "_site") if edited is None else {}
            timed(mode, run)
            if edited is None:
                rewritten = [
                    rel for rel, t in times(site / "_site").items() if before.get(rel) != t
                ]
                if rewritten:
                    raise BenchError(
                        f"with nothing changed, the build wrote {len(rewritten)} files again, "
                        f"first {rewritten[:5]}: the restored cache was not used"
                    )
                continue
            page = site / "_site" / "essays" / slug_of(edited) / "index.html"
            if edit_marker(run) not in page.read_text(errors="replace"):
                raise BenchError(f"after editing {edited.name}, {page} lacks the new sentence")
            if mode == "edit" and run == 0:
                clean = size_dir / "clean"
                run_timed(
                    [*command, "--clean", "--output", str(clean)],
                    cwd=size_dir,
                    log=logs / "clean.log",
                    timeout=args.timeout,
                    env=env,
                )
                differing = same_trees(site / "_site", clean)
                if differing:
                    raise BenchError(
                        f"the output after one edit differs from a clean build's in "
                        f"{len(differing)} files, first {differing[:5]}"
                    )
                rmtree(clean)
                progress(f"{essays} essays: the output after one edit is a clean build's")
    if not args.keep:
        rmtree(size_dir)
    return samples


def report(results: dict[int, dict[str, list[Sample]]], meta: dict[str, object]) -> str:
    lines = [
        f"Measured {meta['when']} on {meta['machine']['cpu']} "  # type: ignore[index]
        f"({meta['machine']['cores_usable']} cores usable), "  # type: ignore[index]
        f"Python {meta['passivepress']['python']}, passivepress "  # type: ignore[index]
        f"{meta['passivepress'].get('commit', meta['passivepress']['source'])}; "  # type: ignore[attr-defined,index]
        f"load average at the start {meta['load']}; work folder {meta['workdir']}.",
        "",
        "Seconds, median [min–max]:",
        "",
        "| essays | first run, nothing restored | unchanged | one essay edited "
        "| the newest essay edited | unchanged / first | peak RSS |",
        "| ---: | --- | --- | --- | --- | ---: | ---: |",
    ]
    for essays, samples in results.items():
        first = statistics.median(s.wall_s for s in samples["first"])
        unchanged = statistics.median(s.wall_s for s in samples["unchanged"])
        peak = max(s.max_rss_kib for mode in MODES for s in samples[mode])
        lines.append(
            f"| {essays:,} | {fmt_time(samples['first'])} | {fmt_time(samples['unchanged'])} "
            f"| {fmt_time(samples['edit'])} | {fmt_time(samples['edit_new'])} "
            f"| {unchanged / first:.2f} | {mib(peak)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="passivepress in CI: a fresh checkout with its cache restored (issue 6).",
        epilog="See benchmarks/README.md.",
    )
    add_corpus_options(parser)
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (default 3)")
    parser.add_argument(
        "--workdir", type=Path, help="where corpora and sites go (default: a temporary folder)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder at the end")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the raw results here")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs passivepress (default: this one)",
    )
    parser.add_argument(
        "--no-snapshot",
        dest="snapshot",
        action="store_false",
        help="run passivepress from the work tree as it is (default: a copy)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds one build may take (default 1800)"
    )
    args = parser.parse_args(argv)
    sizes = args.essays or [1000]
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    temporary = args.workdir is None
    args.workdir = Path(tempfile.mkdtemp(prefix="ci-speed-")) if temporary else args.workdir
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        meta: dict[str, object] = {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "load": loadavg(),
            "workdir": str(args.workdir),
            "passivepress": prepare_passivepress(args),
        }
        results = {essays: bench_size(essays, args) for essays in sizes}
        print(report(results, meta))
        if args.json:
            raw = {
                str(n): {m: [s.__dict__ for s in v] for m, v in r.items()}
                for n, r in results.items()
            }
            args.json.write_text(json.dumps({"meta": meta, "results": raw}, indent=2))
    finally:
        if temporary and not args.keep:
            rmtree(args.workdir)
    return 0


if __name__ == "__main__":
    run_script(main, "ci_speed")
