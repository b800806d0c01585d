"""What both fuzzers share around their runs: the command line, the seeds and the time
limit, the failure logs, the counts, and the exit code (0 every build matched, 1 one did
not, 2 a usage error)."""

from __future__ import annotations

import argparse
import gc
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kinds import EDITS
from sites import REPO

Log = Callable[[str], None]
FORMAT = 2  # of the failure logs; raise it when an event changes meaning


@dataclass(frozen=True)
class Settings:
    """What the command line says about each seed's run."""

    steps: int | None = None  # steps per seed (None: 10 to 25, drawn from the seed)
    essays: int | None = None  # essays in the site (None: 6 to 40, drawn from the seed)
    plant: int | None = None  # the step after whose builds an output is tampered with
    without: tuple[str, ...] = ()  # edit kinds left out


class SeedRun:
    """One seed's run; a fuzzer's subclass makes and does its steps.

    ``steps[0]`` sets the site up; each step is ``{"desc": [...], "events": [...]}``, and
    the events are all a replay needs (see each fuzzer's ``Exec``).
    """

    def __init__(self, seed: int, work: Path, settings: Settings, log: Log) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.work = work
        self.site = work / "site"
        self.settings = settings
        self.log = log
        self.steps: list[dict] = []
        self.done = 0  # steps run (reverts to the last good site not counted)
        self.counts: dict[str, Counter[str]] = {}
        self.notes: list[dict] = []  # differences that are not failures (warnings...)
        self.params: dict[str, Any] = {}

    def count(self, what: str, key: str) -> None:
        self.counts.setdefault(what, Counter())[key] += 1

    def step_count(self) -> int:
        return self.settings.steps if self.settings.steps is not None else self.rng.randint(10, 25)

    def parallel_from(self) -> int | None:
        """For about 40 % of seeds, the documents from which builds render in parallel
        (see builds.render_in_parallel); None for the others. From an RNG of its own, so
        that each seed's site and steps are those it had before this choice existed."""
        return 4 if random.Random(f"parallel {self.seed}").random() < 0.4 else None

    def site_size(self) -> tuple[int, int]:
        """(essays, books) of the seed's site."""
        essays, books = self.rng.randint(6, 40), self.rng.randint(3, 8)
        return (self.settings.essays if self.settings.essays is not None else essays), books

    def run(self) -> dict | None:
        """Make and check the steps; the first failure, or None when all matched."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the run holds (a preview folder's lock)."""


def edit_name(desc: str) -> str:
    """The kind of an edit, from its description (for the counts)."""
    word = desc.split()[0]
    if word == "INVALID":
        return "invalid:" + desc.split()[1]
    return "fix" if word == "fix" else word


def parse_seeds(text: str) -> list[int]:
    """ "1-50", "7" or "1-5,9" → the seeds, in order."""
    seeds: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        lo, hi = int(first), int(last or first)
        if hi < lo:
            raise ValueError(part)
        seeds.extend(range(lo, hi + 1))
    if not seeds:
        raise ValueError(text)
    return seeds


def commit() -> str | None:
    """The checkout's commit, "+" when its source differs from it (for the failure log)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "themes"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+" if dirty else "")


def describe(failure: dict) -> str:
    """A failure in a few lines: where, what, which files, and the first file's diff."""
    where = f"step {failure.get('step')}"
    if "event" in failure:
        where += f", event {failure['event']}"
    files = failure.get("files") or []
    head = f"{where}: {failure.get('channel', '-')} {failure.get('kind')}"
    if files:
        more = f" (and {failure['nfiles'] - len(files[:8])} more)" if failure["nfiles"] > 8 else ""
        head += f" in {failure['nfiles']} files: {', '.join(files[:8])}{more}"
    return head + "\n" + str(failure.get("detail", "")).rstrip()


def difference(channel: str, kind: str, files: list[str], detail: str, **more: Any) -> dict:
    """A failure record (files: every file that differs; the log keeps the first 50)."""
    return {
        "channel": channel,
        "kind": kind,
        "files": files[:50],
        "nfiles": len(files),
        "detail": detail,
        **more,
    }


def same_failure(got: dict | None, want: dict) -> bool:
    """Whether ``got`` is ``want`` again: the same build, the same kind, and (for outputs
    that differ) at least one of the same files. What the reducer keeps to."""
    if got is None:
        return False
    if (got.get("channel"), got.get("kind")) != (want.get("channel"), want.get("kind")):
        return False
    return not want.get("files") or bool(set(got.get("files") or ()) & set(want["files"]))


def load_record(path: Path, name: str | None = None) -> dict:
    """A failure log; ValueError saying why it cannot be replayed."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(record, dict) or "steps" not in record:
        raise ValueError(f"{path} is not a fuzzer's failure log")
    if record.get("format") != FORMAT:
        raise ValueError(f"{path} is a log of format {record.get('format')}, not {FORMAT}")
    if name is not None and record.get("fuzzer") != name:
        raise ValueError(f"{path} is a log of fuzz/{record.get('fuzzer')}.py, not {name}.py")
    return record


def make_parser(name: str, doc: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"fuzz/{name}.py",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", default="1-10", help="e.g. 1-50, 7 or 1-5,9 (default 1-10)")
    parser.add_argument(
        "--minutes",
        type=float,
        help="start no seed after this long (a seed started is finished)",
    )
    parser.add_argument("--steps", type=int, help="steps per seed (default: 10-25, by seed)")
    parser.add_argument("--essays", type=int, help="essays per site (default: 6-40, by seed)")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the sites are made and built (default: a new temporary folder)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where failure logs, log.txt and stats.json go (default: WORKDIR/results)",
    )
    parser.add_argument("--replay", type=Path, metavar="FAILURE.json", help="run a failure log")
    parser.add_argument(
        "--without",
        default="",
        metavar="KIND,...",
        help="leave these edit kinds out (a known bug the fix of which is still to come)",
    )
    parser.add_argument(
        "--plant",
        type=int,
        metavar="STEP",
        help="tamper with an output after STEP's builds: the fuzzer must fail (a self-test)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every step")
    return parser


def main(
    name: str,
    doc: str,
    make_run: Callable[[int, Path, Settings, Log], SeedRun],
    replay: Callable[[dict, Path, Log], dict | None],
    argv: list[str] | None = None,
) -> int:
    """The command line of ``fuzz/<name>.py``; returns the exit code."""
    parser = make_parser(name, doc)
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        parser.error(f"--seeds: expected e.g. 1-50, 7 or 1-5,9, got {args.seeds!r}")
    without = tuple(filter(None, args.without.split(",")))
    unknown = [k for k in without if k not in EDITS]
    if unknown:
        parser.error(f"--without: no edit kind {', '.join(unknown)} (see fuzz/kinds.py)")
    for option in ("steps", "essays", "plant"):
        value = getattr(args, option)
        if value is not None and value < (0 if option == "steps" else 1):
            parser.error(f"--{option}: {value} is too small")
    if args.replay:
        try:
            record = load_record(args.replay, name)
        except ValueError as exc:
            parser.error(str(exc))
        return _replay(record, args.workdir, replay, args.verbose)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix=f"passivepress-fuzz-{name}-"))
    out = args.out or workdir / "results"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "log.txt").open("a", encoding="utf-8") as log_file:

        def log(msg: str, always: bool = False) -> None:
            log_file.write(msg + "\n")
            log_file.flush()
            if always or args.verbose:
                print(msg, flush=True)

        settings = Settings(args.steps, args.essays, args.plant, without)
        return _seeds(name, seeds, args.minutes, settings, workdir, out, make_run, log)


def _replay(record: dict, workdir: Path | None, replay: Callable, verbose: bool) -> int:
    """Replay a failure log in ``workdir`` (default: a temporary folder), printing the
    steps with ``verbose``; 1 when it fails again."""
    with tempfile.TemporaryDirectory(prefix="passivepress-replay-") as temporary:
        work = (workdir or Path(temporary)) / "replay"
        shutil.rmtree(work, ignore_errors=True)
        try:
            failure = replay(record, work, print if verbose else lambda msg: None)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if failure is None:
        print("replay: every build matched (the failure did not come back)")
        return 0
    print("replay FAILED " + describe(failure))
    return 1


def _seeds(
    name: str,
    seeds: list[int],
    minutes: float | None,
    settings: Settings,
    workdir: Path,
    out: Path,
    make_run: Callable[[int, Path, Settings, Log], SeedRun],
    log: Callable,
) -> int:
    started = time.monotonic()
    version = commit()
    totals: dict[str, Any] = {"seeds": [], "steps": 0, "failures": [], "counts": {}, "notes": []}
    chosen = [f"--{k} {v}" for k, v in asdict(settings).items() if v not in (None, ())]
    log(
        f"fuzz/{name}.py at {version}, seeds {seeds[0]}-{seeds[-1]} {' '.join(chosen)}", always=True
    )
    for seed in seeds:
        if minutes is not None and time.monotonic() - started >= minutes * 60:
            break
        seed_started = time.monotonic()
        work = workdir / f"{name}-{seed}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        run = make_run(seed, work, settings, lambda msg: log(msg))
        try:
            failure = run.run()
        except Exception:
            failure = {"kind": "fuzzer-crash", "detail": traceback.format_exc()[-4000:]}
            failure["step"] = run.done
        finally:
            run.close()
            shutil.rmtree(work, ignore_errors=True)
        totals["seeds"].append(seed)
        totals["steps"] += run.done
        for what, counter in run.counts.items():
            totals["counts"].setdefault(what, Counter()).update(counter)
        totals["notes"] += [{"seed": seed, **note} for note in run.notes]
        seconds = time.monotonic() - seed_started
        line = f"seed {seed}: {run.done} steps, {run.params}, {seconds:.1f} s"
        if failure is None:
            log(line + ": all matched", always=True)
        else:
            record = {
                "fuzzer": name,
                "format": FORMAT,
                "commit": version,
                "seed": seed,
                "params": run.params,
                "settings": asdict(settings),
                "failure": failure,
                "steps": run.steps,
            }
            path = out / f"failure-{name}-{seed}.json"
            path.write_text(json.dumps(record), encoding="utf-8")
            totals["failures"].append(str(path))
            log(f"{line}: FAILED {describe(failure)}\nfailure log: {path}", always=True)
        stats = {**totals, "seconds": round(time.monotonic() - started, 1)}
        (out / "stats.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")
        # A seed's builders and models end in reference cycles, which the collector's
        # thresholds leave for a long time in a process that makes so many: ten minutes of
        # edits.py grew to 3 GB without this, and stays near 100 MB with it.
        del run
        gc.collect()
    return _summary(name, totals, time.monotonic() - started, out, log)


def _summary(name: str, totals: dict, seconds: float, out: Path, log: Callable) -> int:
    seeds = totals["seeds"]
    ran = f"{len(seeds)} seeds" + (f" ({seeds[0]}-{seeds[-1]})" if seeds else "")
    log(f"fuzz/{name}.py: {ran}, {totals['steps']} steps in {seconds / 60:.1f} min", always=True)
    for what in ("ways", "actions"):
        if what in totals["counts"]:
            counter = totals["counts"][what]
            log(
                f"  {what}: " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())),
                always=True,
            )
    if totals["notes"]:
        log(f"  {len(totals['notes'])} notes (not failures): see stats.json", always=True)
    log(f"results: {out}", always=True)
    if not totals["failures"]:
        log("every build matched a clean build", always=True)
        return 0
    log(f"{len(totals['failures'])} FAILED:", always=True)
    for path in totals["failures"]:
        log(f"  {path}", always=True)
    first = totals["failures"][0]
    log(f"replay: {sys.executable} fuzz/{name}.py --replay {first}", always=True)
    log(f"shrink: {sys.executable} fuzz/reduce.py {first}", always=True)
    return 1
