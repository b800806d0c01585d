"""How long ``passivepress serve`` takes to start serving, started again and again on a
generated site: with ``--temporary`` (every page built and written each time; after a
``passivepress build``, its social cards are copied from ``_site``) and keeping
its folder (``.passivepress/preview/``: only what changed since the last run is made).

    python benchmarks/preview_start.py --essays 1000 --runs 5
    python benchmarks/preview_start.py --essays 10000 --runs 3 --after-build

Each run is timed from the command's start to its "Serving at" line, then stopped with
Ctrl-C (SIGINT) after ``--linger`` seconds (time for the preview to keep its state, as it
does once no save waits) and timed to its exit. Between the runs of the last row one
essay's body is edited. Prints median [min–max] seconds with the machine it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import BenchError, append_sentence, essay_files
from corpus import add_after_build_option, add_corpus_options, build_once, generate
from preview_latency import serving_line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_once(site: Path, port: int, flags: list[str], linger: float, timeout: float):
    """(seconds to "Serving at", seconds from Ctrl-C to the exit)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(site.parent)}
    cmd = [sys.executable, "-m", "passivepress", "serve", str(site), "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd + flags, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    )
    try:
        serving_line(proc, [])
        up = time.perf_counter() - started
        time.sleep(linger)
        asked = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=timeout)
        down = time.perf_counter() - asked
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise BenchError(f"the preview exited with {proc.returncode}")
    return up, down


def summary(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_corpus_options(parser)
    parser.add_argument("--linger", type=float, default=3.0, help="seconds served per run")
    parser.add_argument("--timeout", type=float, default=600)
    add_after_build_option(
        parser, "its cache folder holds the rendered Markdown, which the preview takes"
    )
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="preview-start-", dir=args.workdir))
    site = work / f"essays-{args.essays}"
    generate(site, essays=args.essays, books=args.books)
    port = free_port()
    rows: list[tuple[str, list[float], list[float]]] = []
    try:
        if args.after_build:
            build_once(site, args.timeout)

        def runs(label: str, flags: list[str], count: int, edit: bool = False) -> None:
            ups, downs = [], []
            for run in range(count):
                if edit:
                    append_sentence(essay_files(site)[2], run)
                up, down = serve_once(site, port, flags, args.linger, args.timeout)
                ups.append(up)
                downs.append(down)
            rows.append((label, ups, downs))

        runs("--temporary: every page built and written", ["--temporary"], args.runs)
        runs("its folder kept: the first run", [], 1)
        runs("started again, nothing changed", [], args.runs)
        runs("started again, one essay edited before", [], args.runs, edit=True)
    except (BenchError, subprocess.SubprocessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    where = args.workdir or Path(tempfile.gettempdir())
    built = ", after a 'passivepress build'" if args.after_build else ""
    print(f"passivepress serve, {args.essays} essays ({machine}; site in {where}{built})")
    print()
    print("| preview | start → serving, s | Ctrl-C → exit, s |")
    print("| --- | --- | --- |")
    for label, ups, downs in rows:
        print(f"| {label} | {summary(ups)} | {summary(downs)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
