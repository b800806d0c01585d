"""Shrink a fuzzer's failure log to a small case that fails the same way.

    python fuzz/reduce.py FAILURE.json [--out SMALL.json] [--budget 300]

Replays the log (with the fuzzer that wrote it) again and again, leaving out steps, then
single events, then file operations (the base site's files among them), then most of each
file's text, keeping every cut after which the same failure shows (the same build, the
same kind, and for outputs that differ one of the same files). Prints the small case's
steps, with each file's change as a diff, and writes it as a failure log that
``--replay`` takes. Exit code 0 when written, 1 when the log does not fail as it says,
2 on a usage error.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import importlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runner import describe, load_record, same_failure
from sites import split

Steps = list[dict]


class Reducer:
    def __init__(self, record: dict, work: Path, budget: int, log: Callable[[str], None]):
        module = importlib.import_module(record["fuzzer"])
        self.replay: Callable[[dict, Path, Callable], dict | None] = module.replay
        self.record = record
        self.want = record["failure"]
        self.work = work
        self.budget = budget
        self.log = log
        self.replays = 0
        self.last: dict | None = None  # the failure of the last replay that kept it

    def fails(self, steps: Steps) -> bool:
        """Whether ``steps`` still fail as the log's failure did."""
        if self.replays >= self.budget:
            return False
        self.replays += 1
        shutil.rmtree(self.work, ignore_errors=True)
        try:
            got = self.replay({**self.record, "steps": steps}, self.work, lambda msg: None)
        except Exception:  # a cut that left events no replay can do
            got = None
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
        if not same_failure(got, self.want) or not _same_crash(got, self.want):
            return False
        self.last = got
        return True

    def shrink(self, items: list, test: Callable[[list], bool]) -> list:
        """The fewest of ``items`` (in chunks, halved, then one by one) that ``test`` keeps."""
        chunk = max(1, len(items) // 2)
        while chunk >= 1 and self.replays < self.budget:
            i = 0
            while i < len(items) and self.replays < self.budget:
                cand = items[:i] + items[i + chunk :]
                if test(cand):
                    items = cand
                else:
                    i += chunk
            chunk //= 2
        return items

    def run(self) -> Steps | None:
        steps = _until_failure(self.record["steps"], self.want)
        if not self.fails(steps):
            return None
        self.log(f"reproduces: {_size(steps)}")
        while self.replays < self.budget:
            before = json.dumps(steps)
            steps = self.drop_steps(steps)
            steps = self.drop_events(steps)
            steps = self.drop_ops(steps)
            steps = self.cut_texts(steps)
            self.log(f"  {_size(steps)} after {self.replays} replays")
            if json.dumps(steps) == before:
                break
        return steps

    def drop_steps(self, steps: Steps) -> Steps:
        body = self.shrink(steps[1:], lambda cand: self.fails([steps[0], *cand]))
        return [steps[0], *body]

    def drop_events(self, steps: Steps) -> Steps:
        for s in range(len(steps)):
            events = steps[s]["events"]

            def test(cand: list, s: int = s, base: Steps = steps) -> bool:
                return self.fails(_with(base, s, {**base[s], "events": cand}))

            steps = _with(steps, s, {**steps[s], "events": self.shrink(events, test)})
        return steps

    def drop_ops(self, steps: Steps) -> Steps:
        for s in range(len(steps)):
            for e, event in enumerate(steps[s]["events"]):
                if event[0] != "ops" or not event[1]:
                    continue

                def test(cand: list, s: int = s, e: int = e, base: Steps = steps) -> bool:
                    return self.fails(_with_event(base, s, e, ["ops", cand]))

                steps = _with_event(steps, s, e, ["ops", self.shrink(event[1], test)])
        return steps

    def cut_texts(self, steps: Steps) -> Steps:
        """Each Markdown file written with its body cut to its first paragraph, then to a
        word: most of a generated essay is nothing to the failure."""
        for s in range(len(steps)):
            for e, event in enumerate(steps[s]["events"]):
                if event[0] != "ops":
                    continue
                for o, op in enumerate(event[1]):
                    if op[0] != "write" or not op[1].endswith(".md"):
                        continue
                    parts = split(op[2])
                    if parts is None:
                        continue
                    head, body = parts
                    for shorter in (body.split("\n\n")[0].rstrip("\n") + "\n", "Body.\n"):
                        if len(shorter) >= len(body):
                            continue
                        ops = list(event[1])
                        ops[o] = ["write", op[1], f"---\n{head}\n---\n{shorter}"]
                        cand = _with_event(steps, s, e, ["ops", ops])
                        if self.fails(cand):
                            steps, body = cand, shorter
                            event = steps[s]["events"][e]
        return steps


def _same_crash(got: dict | None, want: dict) -> bool:
    """For a crash, the same exception (its traceback's last line, up to the message)."""
    if got is None or "crash" not in str(want.get("kind")):
        return True

    def exception(failure: dict) -> str:
        return str(failure.get("detail", "")).strip().splitlines()[-1].split(":")[0]

    return exception(got) == exception(want)


def _until_failure(steps: Steps, failure: dict) -> Steps:
    """The steps up to the failing one (up to its failing event, when the log says)."""
    steps = copy.deepcopy(steps[: failure.get("step", len(steps) - 1) + 1])
    if "event" in failure:
        steps[-1]["events"] = steps[-1]["events"][: failure["event"] + 1]
    return steps


def _with(steps: Steps, s: int, step: dict) -> Steps:
    return [*steps[:s], step, *steps[s + 1 :]]


def _with_event(steps: Steps, s: int, e: int, event: list) -> Steps:
    events = [*steps[s]["events"][:e], event, *steps[s]["events"][e + 1 :]]
    return _with(steps, s, {**steps[s], "events": events})


def _size(steps: Steps) -> str:
    events = sum(len(s["events"]) for s in steps)
    ops = sum(len(e[1]) for s in steps for e in s["events"] if e[0] == "ops")
    return f"{len(steps)} steps, {events} events, {ops} file operations"


def listing(steps: Steps) -> str:
    """The steps as text: each event, and each file operation with what it changed."""
    files: dict[str, str | None] = {}
    out = []
    for n, step in enumerate(steps):
        out.append(f"step {n} (made as: {'; '.join(step['desc']) or 'no edit'})")
        for event in step["events"]:
            if event[0] != "ops":
                out.append(f"  {json.dumps(event)}")
                continue
            for op in event[1]:
                out.extend(_op_lines(op, files, setup=n == 0))
    return "\n".join(out)


def _op_lines(op: list, files: dict[str, str | None], setup: bool) -> list[str]:
    kind, rel = op[0], op[1]
    if kind == "write":
        old, files[rel] = files.get(rel), op[2]
        if old is None and setup:
            return [f"  write {rel} ({len(op[2])} characters)"]
        if old is None:
            return [f"  write {rel}:", *("    " + line for line in op[2].splitlines())]
        diff = difflib.unified_diff(old.splitlines(), op[2].splitlines(), n=0, lineterm="")
        return [f"  write {rel}:", *("    " + line for line in list(diff)[2:])]
    if kind == "write_hex":
        files[rel] = None
        return [f"  write {rel} ({len(op[2]) // 2} bytes)"]
    if kind == "delete":
        files.pop(rel, None)
    elif kind == "rename":
        files[op[2]] = files.pop(rel, None)
        return [f"  rename {rel} -> {op[2]}"]
    return [f"  {kind} {rel}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fuzz/reduce.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("log", type=Path, help="a failure log of fuzz/edits.py or restarts.py")
    parser.add_argument("--out", type=Path, help="(default: LOG with .reduced.json)")
    parser.add_argument("--workdir", type=Path, help="(default: a new temporary folder)")
    parser.add_argument("--budget", type=int, default=300, help="replays at most (300)")
    args = parser.parse_args(argv)
    try:
        record = load_record(args.log)
    except ValueError as exc:
        parser.error(str(exc))
    if record.get("fuzzer") not in ("edits", "restarts"):
        parser.error(f"{args.log} names no fuzzer of fuzz/")
    own = args.workdir is None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="passivepress-reduce-"))
    started = time.monotonic()
    reducer = Reducer(record, workdir / "reduce", args.budget, lambda msg: print(msg, flush=True))
    try:
        steps = reducer.run()
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
    if steps is None or reducer.last is None:
        print(f"{args.log} does not fail as it says (or not within the budget)")
        return 1
    out = args.out or args.log.with_name(args.log.name.removesuffix(".json") + ".reduced.json")
    reduced = {**record, "steps": steps, "failure": reducer.last, "reduced_from": str(args.log)}
    out.write_text(json.dumps(reduced), encoding="utf-8")
    minutes = (time.monotonic() - started) / 60
    print(f"{_size(steps)}, {reducer.replays} replays in {minutes:.1f} min\n")
    print(listing(steps))
    print("\nfails with: " + describe(reducer.last))
    print(f"\nwritten: {out}\nreplay: {sys.executable} fuzz/{record['fuzzer']}.py --replay {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
