"""How long ``passivepress check`` takes, and its peak memory, on a generated site.

    python benchmarks/check_speed.py --essays 1000 --runs 3
    python benchmarks/check_speed.py --essays 10000 --runs 3 --workdir /dev/shm

``check`` builds the site into a temporary folder (a clean build, no cache; here in the
work folder, through TMPDIR), or with ``--after-build`` takes that build's output, and then
reads every page back; this times the whole command,
from its start to its end, and prints the median [min–max] seconds, pages per second and
the largest process's peak RSS (``/usr/bin/time -v``), with the machine it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import BenchError, run_timed
from corpus import add_after_build_option, add_corpus_options, build_once, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_corpus_options(parser)
    parser.add_argument("--timeout", type=float, default=1800)
    add_after_build_option(
        parser,
        "as CI does before checking; check then reads that build's pages and makes only the "
        "model again",
    )
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="check-speed-", dir=args.workdir))
    site = work / f"essays-{args.essays}"
    generate(site, essays=args.essays, books=args.books)
    samples = []
    pages = 0
    try:
        if args.after_build:
            build_once(site, args.timeout)
        for run in range(args.runs):
            log = work / f"check-{run}.log"
            cmd = [sys.executable, "-m", "passivepress", "check", str(site)]
            # check builds into a temporary folder: here, on the work folder's file system
            # (a tmpfs work folder then times no disk).
            env = {**os.environ, "TMPDIR": str(work)}
            samples.append(run_timed(cmd, cwd=work, log=log, timeout=args.timeout, env=env))
            found = re.search(r"Checked (\d+) pages", log.read_text())
            pages = int(found.group(1)) if found else 0
    except (BenchError, subprocess.SubprocessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    walls = sorted(s.wall_s for s in samples)
    median = statistics.median(walls)
    peak = max(s.max_rss_kib for s in samples) / 1024
    print(
        f"passivepress check{' after a build' if args.after_build else ''}, "
        f"{args.essays} essays ({pages} pages), {args.runs} run(s), "
        f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}:"
    )
    print(
        f"  {median:.2f} s [{walls[0]:.2f}–{walls[-1]:.2f}], {pages / median:.0f} pages/s, "
        f"peak RSS {peak:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
