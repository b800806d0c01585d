"""Save-to-reload latency of ``passivepress serve`` on a large site (issue 3: < 300 ms for
1,000 essays on a 2-core machine).

    python benchmarks/preview_latency.py                # 1,000 essays, 9 saves
    python benchmarks/preview_latency.py --essays 200 --runs 5
    python benchmarks/preview_latency.py --profile      # where one incremental build spends

It generates a site with ``corpus.py``, starts ``passivepress serve`` in its own process,
holds a live-reload connection like an open browser tab, then saves one essay at a time
(in place, as most editors do) and measures:

- save → event: from the write to the live-reload event that tells pages to reload
  (the watcher's quiet period + the incremental build + the event);
- save → page: that plus fetching the changed page, as the reloading tab does.

``--profile`` instead builds in this process and profiles one incremental build with
pyinstrument (or cProfile when pyinstrument is not installed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate

EVENTS_PATH = "/__passivepress/events"


class Events:
    """One live-reload connection, as an open tab holds it."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", EVENTS_PATH)
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()

    def next(self) -> dict:
        data: list[str] = []
        while True:
            line = self.resp.fp.readline().decode()
            if not line:
                raise EOFError("live-reload connection closed")
            line = line.rstrip("\r\n")
            if not line and data:
                return json.loads("\n".join(data))
            if line.startswith("data:"):
                data.append(line[5:].strip())


def serving_line(proc: subprocess.Popen, log: list[str]) -> str:
    """The server's "Serving at" line, its log read up to it into ``log``."""
    assert proc.stderr is not None
    while True:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit("the server ended before serving:\n" + "".join(log))
        log.append(line)
        if "Serving at" in line:
            return line


def start_server(site: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "passivepress", "serve", str(site), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    log: list[str] = []
    line = serving_line(proc, log)
    port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
    assert proc.stderr is not None
    # Keep reading its log, so the pipe never fills and the server never blocks on it.
    threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True).start()
    return proc, port, log


def fetch(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    body = conn.getresponse().read()
    conn.close()
    return body


def measure(site: Path, runs: int, pause: float) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc, port, log = start_server(site, env)
    print(f"first build and start: {time.perf_counter() - started:.2f} s")
    essays = sorted((site / "content" / "essays").glob("*.md"))
    to_event: list[float] = []
    to_page: list[float] = []
    try:
        events = Events(port)
        events.next()  # the build the "page" was served from
        time.sleep(pause)
        for run in range(runs):
            path = essays[(run * 97 + 13) % len(essays)]
            slug = path.stem.split("-", 3)[3]
            marker = f"Edited in run {run}."
            text = path.read_text()
            start = time.perf_counter()
            path.write_text(text.replace("\n---\n", f"\n---\n{marker} ", 1))
            event = events.next()
            t_event = time.perf_counter() - start
            body = fetch(port, f"/essays/{slug}/")
            t_page = time.perf_counter() - start
            ok = event.get("ok") and marker.encode() in body
            to_event.append(t_event)
            to_page.append(t_page)
            print(
                f"run {run + 1}: save → event {t_event * 1000:6.0f} ms, "
                f"save → page {t_page * 1000:6.0f} ms{'' if ok else '  (NEW TEXT MISSING)'}"
            )
            time.sleep(pause)
    finally:
        proc.send_signal(2)  # Ctrl-C
        proc.wait(timeout=30)

    def summary(name: str, values: list[float]) -> None:
        ms = [v * 1000 for v in values]
        print(
            f"{name}: median {statistics.median(ms):.0f} ms, "
            f"min {min(ms):.0f} ms, max {max(ms):.0f} ms ({len(ms)} saves)"
        )

    print(f"\n{len(essays)} essays, {os.cpu_count()} cores")
    summary("save → live-reload event", to_event)
    summary("save → changed page fetched", to_page)
    rebuilt = [line.strip() for line in log if line.startswith("Rebuilt")]
    if rebuilt:
        print("server log of the last rebuild:", rebuilt[-1])


def profile(site: Path, tmp: Path) -> None:
    """One incremental build after a save, profiled, as the preview server runs it."""
    from passivepress.build import Builder, BuildOptions
    from passivepress.report import Reporter

    class Steps(Reporter):
        def __init__(self) -> None:
            self.steps: list[tuple[str, float]] = []

        def step(self, name: str, seconds: float) -> None:
            self.steps.append((name, seconds))

    out = tmp / "profile-output"
    steps = Steps()
    builder = Builder(
        site,
        BuildOptions(
            output=out, preview=True, drafts=True, future=True, base_url="http://127.0.0.1:8000/"
        ),
        steps,
    )
    builder.build()
    essays = sorted((site / "content" / "essays").glob("*.md"))

    def saved(path: Path) -> list[str]:
        return [path.relative_to(site).as_posix()]  # as the server's watcher tells it

    for i in range(3):  # warm up: the first incremental builds fill caches
        path = essays[(i * 7 + 1) % len(essays)]
        path.write_text(path.read_text() + f"\nWarm-up {i}.\n")
        builder.build(changed=saved(path))
    path = essays[len(essays) // 2]
    path.write_text(path.read_text() + "\nProfiled edit.\n")
    steps.steps.clear()
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        result = builder.build(changed=saved(path))
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    else:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        result = builder.build(changed=saved(path))
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    way = "the quick way" if result.quick else "the full way"
    print(
        f"incremental build ({way}): {result.seconds * 1000:.0f} ms, "
        f"{result.rendered} outputs rendered"
    )
    for name, seconds in steps.steps:
        print(f"  {name:8} {seconds * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between saves")
    parser.add_argument("--site", type=Path, help="use (or create) the site here")
    parser.add_argument("--profile", action="store_true", help="profile one incremental build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="passivepress-bench-") as tmp:
        site = args.site or Path(tmp) / "site"
        if not (site / "passivepress.yml").exists():
            generate(site, args.essays, args.books)
        if args.profile:
            profile(site, Path(tmp))
        else:
            measure(site, args.runs, args.pause)


if __name__ == "__main__":
    main()
