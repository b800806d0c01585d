"""Load on ``passivepress serve`` (issue 3): 100 concurrent connections (wrk) while 30
live-reload connections stay open and 500 saves land in 10 seconds; at the end the preview
must serve exactly what a fresh build of the final sources produces.

    python benchmarks/preview_load.py                  # 200 essays, 10 s, 500 saves
    python benchmarks/preview_load.py --essays 1000 --duration 20 --saves 1000

Needs Debian's ``wrk`` (``apt-get install wrk``). All traffic goes to 127.0.0.1, is bounded
by ``--duration`` and stops by itself.

What it checks and prints:

- wrk: requests/s, latency (average, p99, max), socket errors and non-2xx answers;
- the live-reload connections: how many stayed open to the end and saw the final build;
- the saves: how many, in how long, and how many builds they caused;
- the end state: every file of the preview's output folder equals the same file of a fresh
  build (same options: preview, drafts, future, local base URL), no file is missing or extra,
  and over HTTP every page is those bytes plus only the live-reload script;
- Ctrl-C: the server exits with 0, no traceback, nothing left in the temporary folder
  (it builds in the site's .passivepress/preview/, and keeps that).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate
from preview_latency import start_server

from passivepress.preview_folder import PREVIEW_DIR

EVENTS_PATH = "/__passivepress/events"
EPOCH = "1717243200"  # 2024-06-01: "now" for the server and the fresh build alike
INJECTED = re.compile(
    rb'(<div id="passivepress-error".*?</div>\n)?<script src="/__passivepress/'
    rb'live\.js"[^>]*></script>\n'
)


class Stream(threading.Thread):
    """One live-reload connection, read until the end of the run."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", EVENTS_PATH)
        self.resp = self.conn.getresponse()
        self.events: list[dict] = []
        self.ended: str | None = None

    def run(self) -> None:
        data: list[str] = []
        try:
            while True:
                line = self.resp.fp.readline().decode()
                if not line:
                    self.ended = "closed by the server"
                    return
                line = line.rstrip("\r\n")
                if not line and data:
                    self.events.append(json.loads("\n".join(data)))
                    data = []
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
        except OSError as exc:
            self.ended = str(exc)


def wrk_script(folder: Path, paths: list[str]) -> Path:
    script = folder / "paths.lua"
    listed = ", ".join(f'"{p}"' for p in paths)
    script.write_text(
        f"paths = {{{listed}}}\ni = 0\n"
        "request = function()\n  i = i + 1\n"
        '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    )
    return script


def save_storm(site: Path, saves: int, duration: float, seed: int = 3) -> tuple[int, float]:
    """``saves`` saves spread over ``duration`` seconds, in the ways editors save: body edits,
    and some title and tag changes, so lists, tags and feeds change too."""
    rng = random.Random(seed)
    essays = sorted((site / "content" / "essays").glob("*.md"))
    start = time.perf_counter()
    for n in range(saves):
        path = rng.choice(essays[-40:] if rng.random() < 0.5 else essays)
        text = path.read_text()
        head, sep, body = text.partition("\n---\n")
        kind = rng.random()
        if kind < 0.15:
            head = re.sub(r'title: "(Essay \d+)[^"\n]*"', rf'title: "\1 (save {n})"', head)
        elif kind < 0.25:
            head = re.sub(r"tags: \[([^\]]*)\]", rf"tags: [\1, storm-{n % 5}]", head, count=1)
        new = head + sep + f"Save {n}. " + re.sub(r"^Save \d+\. ", "", body)
        how = rng.choice(("in_place", "rename_over", "vim", "jetbrains"))
        if how == "in_place":
            path.write_text(new)
        elif how == "rename_over":
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(new)
            os.replace(tmp, path)
        elif how == "vim":
            backup = path.with_name(path.name + "~")
            os.replace(path, backup)
            path.write_text(new)
            backup.unlink()
        else:
            tmp = path.with_name(path.name + "___jb_tmp___")
            old = path.with_name(path.name + "___jb_old___")
            tmp.write_text(new)
            os.replace(path, old)
            os.replace(tmp, path)
            old.unlink()
        wait = start + (n + 1) * duration / saves - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    return saves, time.perf_counter() - start


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def run(args: argparse.Namespace, tmp: Path) -> int:
    site = tmp / "site"
    generate(site, args.essays, args.books)
    server_tmp = tmp / "server-tmp"
    server_tmp.mkdir()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SOURCE_DATE_EPOCH": EPOCH,
        "TMPDIR": str(server_tmp),
    }
    proc, port, log = start_server(site, env)
    failures: list[str] = []
    try:
        streams = [Stream(port) for _ in range(args.streams)]
        for s in streams:
            s.start()
        paths = ["/", "/essays/", "/essays/page/2/", "/tags/", "/books/", "/feed.xml"]
        paths += [
            f"/essays/essay-{i:05d}/" for i in range(0, args.essays, max(1, args.essays // 20))
        ]
        wrk = subprocess.Popen(
            [
                "wrk",
                f"-c{args.connections}",
                "-t2",
                f"-d{args.duration + 1}s",
                "--timeout",
                "5s",
                "--latency",
                "-s",
                str(wrk_script(tmp, paths)),
                f"http://127.0.0.1:{port}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.5)  # wrk is connected
        saves, seconds = save_storm(site, args.saves, args.duration)
        wrk_out, _ = wrk.communicate(timeout=args.duration + 60)
        # The last saves may still be building: wait until the events stop.
        quiet_since, seen = time.monotonic(), len(streams[0].events)
        while time.monotonic() - quiet_since < 3:
            time.sleep(0.1)
            if len(streams[0].events) != seen:
                quiet_since, seen = time.monotonic(), len(streams[0].events)

        print(f"site: {args.essays} essays; {os.cpu_count()} cores\n")
        print(f"wrk -c{args.connections} -t2 -d{args.duration + 1}s (while saving):")
        print("\n".join("  " + line for line in wrk_out.strip().splitlines()))
        if re.search(r"Socket errors|Non-2xx", wrk_out):
            failures.append("wrk saw errors")
        print(f"\nsaves: {saves} in {seconds:.1f} s")

        final = streams[0].events[-1] if streams[0].events else {}
        builds = len(streams[0].events) - 1  # the first event is the state at connect
        print(f"builds seen by the live-reload connections: {builds} (last ok: {final.get('ok')})")
        open_streams = [s for s in streams if s.ended is None and s.is_alive()]
        in_step = [s for s in open_streams if s.events and s.events[-1] == final]
        print(
            f"live-reload connections: {len(open_streams)} of {len(streams)} still open, "
            f"{len(in_step)} saw the final build"
        )
        if len(in_step) != len(streams):
            failures.append("live-reload connections dropped or fell behind")

        # The end state: what a fresh build of the final sources produces.
        from passivepress.build import BuildOptions, build

        fresh = tmp / "fresh"
        os.environ["SOURCE_DATE_EPOCH"] = EPOCH
        build(
            site,
            BuildOptions(
                output=fresh,
                preview=True,
                drafts=True,
                future=True,
                base_url=f"http://127.0.0.1:{port}/",
                use_cache=False,
            ),
        )
        served, expected = tree(site / PREVIEW_DIR / "site"), tree(fresh)
        missing = sorted(set(expected) - set(served))
        extra = sorted(set(served) - set(expected))
        differ = sorted(k for k in set(served) & set(expected) if served[k] != expected[k])
        print(
            f"\npreview output vs fresh build: {len(expected)} files; "
            f"{len(missing)} missing, {len(extra)} extra, {len(differ)} different"
        )
        for name in (missing + extra + differ)[:10]:
            print("  ", name)
        if missing or extra or differ:
            failures.append("the preview's output is not what a fresh build produces")
        http_differ = []
        for rel in expected:
            if any(part.startswith(".") for part in rel.split("/")):
                continue  # hidden files (.nojekyll, the output marker) are never served
            url = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
            status, body = fetch(port, url)
            if status != 200 or INJECTED.sub(b"", body, count=1) != expected[rel]:
                http_differ.append(f"{url} ({status})")
        visible = [r for r in expected if not any(p.startswith(".") for p in r.split("/"))]
        print(f"over HTTP: {len(visible) - len(http_differ)} of {len(visible)} files as built")
        if http_differ:
            failures.append(f"served differently over HTTP: {http_differ[:5]}")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = -9
        time.sleep(0.2)
    text = "".join(log)
    leftovers = list(server_tmp.iterdir())
    print(f"\nCtrl-C: exit code {code}, traceback: {'Traceback' in text}, leftovers: {leftovers}")
    if code != 0 or "Traceback" in text or leftovers:
        failures.append("unclean stop")
    print("\nRESULT:", "PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--essays", type=int, default=200)
    parser.add_argument("--books", type=int, default=20)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load and saves")
    parser.add_argument("--saves", type=int, default=500)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--streams", type=int, default=30, help="live-reload connections")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="passivepress-load-") as tmp:
        sys.exit(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
