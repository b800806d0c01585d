"""Fuzz incremental builds against clean builds, edit by edit.

Per seed: a small generated site, a CLI build that keeps its cache and a preview build;
then steps of 0-3 random edits (and the fixes of last step's invalid ones), after each:

- a CLI build as `passivepress build` makes it (nothing, the quick way, or in full),
- the preview's build told which files changed (Builder.build(changed=...)),
- a clean build and a fresh preview build, which the first two must match byte for byte.

When the clean build fails, the others must fail too and leave their output as it was.

    python fuzz/edits.py --seeds 1-50 --minutes 10
    python fuzz/edits.py --replay FAILURE.json
    python fuzz/reduce.py FAILURE.json
"""

from __future__ import annotations

import shutil
import sys
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import runner
import yaml
from builds import (
    attempt,
    built,
    cli_build,
    cli_options,
    one_process,
    preview_options,
    render_in_parallel,
)
from compare import compare, plant, tree
from kinds import QUICKISH, Editor, new_site
from logfs import FS, Op, apply_op, files_of, paths_of
from runner import Log, SeedRun, Settings, difference, edit_name
from sites import CONFIG

from passivepress.build import Builder, BuildOptions, build
from passivepress.report import Recorder
from passivepress.urls import base_path_of


class ReplayError(Exception):
    """A (shrunk) log whose events cannot be done in their order."""


class Exec:
    """Does a run's events, as it is made or replayed:

    - ``["ops", [op, ...]]``: file operations (see logfs);
    - ``["start"]``: the first CLI build (which keeps its cache) and preview build;
    - ``["builds", {"ready": bool, "plant": bool}]``: a step's builds, checked against
      clean ones (``ready``: the preview's idle work after its build, as the server does
      once no save waits; ``plant``: an output tampered with, to see the check fail).
    """

    def __init__(self, work: Path, params: dict, log: Log) -> None:
        render_in_parallel(params.get("parallel_from"))  # older logs lack it
        self.work = work
        self.site = work / "site"
        self.params = params
        self.log = log
        self.cli_dir = work / "cli"
        self.prev_dir = work / "preview"
        self.preview: Builder | None = None
        self.base = "/"  # the preview's base path ("serve" mode makes a new builder for another)
        self.snap: dict[str, bytes] = {}  # the site's files at the last builds
        self.touched: set[str] = set()  # files ops changed since (what the watcher reports)
        self.status = "ok"  # of the last builds: "ok", or "error" when a clean build failed
        self.error = ""
        self.ways: Counter[str] = Counter()
        self.notes: list[dict] = []

    def cli_opts(self, output: Path, clean: bool = False) -> BuildOptions:
        p = self.params
        return cli_options(
            output, clean, drafts=p["cli_drafts"], future=p["cli_future"], jobs=p["jobs"]
        )

    def preview_opts(self, output: Path) -> BuildOptions:
        if self.params["preview_mode"] == "serve":  # as `passivepress serve` builds
            return preview_options(
                output,
                drafts=True,
                future=True,
                base_url=f"http://127.0.0.1:8000{self.base}",
                jobs=self.params["jobs"],
            )
        return preview_options(output, jobs=self.params["jobs"])

    def base_path(self) -> str:
        try:
            config = yaml.safe_load((self.site / CONFIG).read_text(encoding="utf-8"))
            return base_path_of(str(config.get("base_url") or "/"))
        except Exception:  # an invalid setting: the server keeps the base it has
            return self.base

    def note(self, ops: list[Op]) -> None:
        for op in ops:
            self.touched.update(paths_of(op))

    def do(self, event: list, strict: bool = True) -> dict | None:
        """Do one event; a failure record, or None."""
        if event[0] == "ops":
            ops = [op for op in event[1] if apply_op(self.site, op, strict)]
            self.note(ops)
        elif event[0] == "start":
            self.base = self.base_path()
            cli_build(self.site, self.cli_opts(self.cli_dir))
            self.preview = Builder(self.site, self.preview_opts(self.prev_dir), Recorder())
            self.preview.build()
            self.snap, self.touched = files_of(self.site), set()
        elif event[0] == "builds":
            return self.builds(event[1])
        else:
            raise ReplayError(f"unknown event {event!r}")
        return None

    def builds(self, flags: dict) -> dict | None:
        if self.preview is None:
            raise ReplayError("builds before the first ones")
        site = self.site
        after = files_of(site)
        changed = {n for n in self.snap.keys() | after.keys() if self.snap.get(n) != after.get(n)}
        changed |= {t for t in self.touched if t in after or t in self.snap}
        changed_list = sorted(changed)
        self.snap, self.touched = after, set()
        cli_before, prev_before = tree(self.cli_dir), tree(self.prev_dir)
        out = {"changed": changed_list}
        try:
            cli, cli_err = attempt(lambda: cli_build(site, self.cli_opts(self.cli_dir)))
        except Exception:
            return {**out, "channel": "cli", "kind": "crash", "detail": _trace()}
        try:
            new_base = self.base_path()
            if self.params["preview_mode"] == "serve" and new_base != self.base:
                self.base = new_base  # the server makes a new builder for the new base
                self.preview = Builder(site, self.preview_opts(self.prev_dir), Recorder())
                prev, prev_err = attempt(self.preview.build)
            else:
                prev, prev_err = attempt(lambda: self.preview.build(changed=changed_list))
        except Exception:
            return {**out, "channel": "preview", "kind": "crash", "detail": _trace()}
        if flags.get("ready") and self.preview.resident is not None:
            try:
                self.preview.resident.ready()
            except Exception:
                return {**out, "channel": "preview", "kind": "crash-ready", "detail": _trace()}
        if flags.get("plant"):
            out["planted"] = plant(self.cli_dir)
        out["ways"] = {"cli": cli and cli.way, "preview": prev and built(prev).way}
        self.ways.update(f"{name} {way}" for name, way in out["ways"].items() if way)

        clean, fresh = self.work / "clean", self.work / "fresh-preview"
        shutil.rmtree(clean, ignore_errors=True)
        shutil.rmtree(fresh, ignore_errors=True)
        with one_process():
            clean_res, clean_err = attempt(
                lambda: build(site, self.cli_opts(clean, clean=True), Recorder())
            )
            _, fresh_err = attempt(
                lambda: Builder(site, self.preview_opts(fresh), Recorder()).build()
            )
        self.status, self.error = ("error", clean_err) if clean_err else ("ok", "")
        failure = self.judge(
            "cli", cli_err, clean_err, cli_before, self.cli_dir, clean, out
        ) or self.judge("preview", prev_err, fresh_err, prev_before, self.prev_dir, fresh, out)
        if failure is None and cli is not None and clean_res is not None:
            want = built(clean_res).warnings
            if cli.warnings != want:
                self.notes.append({"kind": "warnings-differ", "way": cli.way, "want": want[:5]})
        if (clean_err is None) != (fresh_err is None):
            self.notes.append({"kind": "clean-vs-preview-validity", "clean": clean_err})
        return failure

    def judge(
        self,
        channel: str,
        got_err: str | None,
        want_err: str | None,
        before: dict[str, bytes],
        got: Path,
        want: Path,
        out: dict,
    ) -> dict | None:
        """The failure of the build called ``channel`` against its clean build, if any."""
        if want_err is not None:
            if got_err is None:
                return {**out, "channel": channel, "kind": "missing-error", "detail": want_err}
            # A build that fails leaves the last good output as it was.
            diff = compare(tree(got), before, channel, want_label="before")
            if diff:
                return difference(
                    channel, "output-changed-on-failure", diff.files, diff.diff, **out
                )
            return None
        if got_err is not None:
            return {**out, "channel": channel, "kind": "unexpected-error", "detail": got_err}
        diff = compare(tree(got), tree(want), channel)
        if diff:
            return difference(channel, "output-diff", diff.files, diff.diff, **out)
        return None


def _trace() -> str:
    return traceback.format_exc()[-4000:]


class Run(SeedRun):
    """One seed: its site, its steps of edits, each followed by the checked builds."""

    def __init__(self, seed: int, work: Path, settings: Settings, log: Log) -> None:
        super().__init__(seed, work, settings, log)
        rng = self.rng
        essays, books = self.site_size()
        self.params = {
            "essays": essays,
            "books": books,
            "corpus_seed": rng.randint(0, 10**6),
            "preview_mode": rng.choice(["test", "test", "serve"]),
            "cli_drafts": rng.random() < 0.15,
            "cli_future": rng.random() < 0.15,
            "jobs": rng.choice([None, None, 1]),
            # Some seeds favour the edits the quick way takes (long runs of quick builds).
            "mode": "quick" if rng.random() < 0.35 else "mixed",
            "parallel_from": self.parallel_from(),
        }
        self.nsteps = self.step_count()
        favour = QUICKISH if self.params["mode"] == "quick" else ()
        self.editor = Editor(rng, favour=favour, without=settings.without)
        self.ex = Exec(work, self.params, log)
        self.ex.notes = self.notes  # the Exec's notes and counts are the run's
        self.counts["ways"] = self.ex.ways

    def run(self) -> dict | None:
        p, site, editor, ex = self.params, self.site, self.editor, self.ex
        fs = FS(site)
        new_site(fs, self.rng, p["essays"], p["books"], p["corpus_seed"])
        self.steps.append({"desc": ["setup"], "events": [["ops", fs.ops], ["start"]]})
        ex.do(["start"])
        snap = good = files_of(site)
        for i in range(1, self.nsteps + 1):
            fs = FS(site)
            descs = editor.step(fs, editor.count(), snap)
            flags = {"ready": self.rng.random() < 0.3}
            if self.settings.plant == i:
                flags["plant"] = True
            failure = self.builds(fs, descs, flags)
            self.done = i
            for desc in descs:
                self.count("edits", edit_name(desc))
            self.log(f"  step {i}: {'; '.join(descs) or '(no edit)'} -> {ex.status}")
            if failure:
                return failure
            after = files_of(site)
            editor.remember(snap, after, fs.touched)
            if ex.status == "ok":
                good = after
            elif not editor.pending:
                # Invalid, and no fix is coming: the generator did not mean it.
                self.notes.append({"kind": "unmeant-invalid", "step": i, "error": ex.error[:300]})
                self.log(f"  step {i}: unmeant invalid site, back to the last good one")
                fs = FS(site)
                editor.back_to(fs, after, good)
                failure = self.builds(fs, ["back to the last good site"], {})
                if failure:
                    return failure
            snap = files_of(site)
        return None

    def builds(self, fs: FS, descs: list[str], flags: dict) -> dict | None:
        """Log a step (the ops already done), build and check."""
        self.steps.append({"desc": descs, "events": [["ops", fs.ops], ["builds", flags]]})
        self.ex.note(fs.ops)
        failure = self.ex.do(["builds", flags])
        if failure:
            failure["step"] = len(self.steps) - 1
        return failure


def replay(record: dict, work: Path, log: Log) -> dict | None:
    """Do a failure log's events again; the first failure, or None."""
    ex = Exec(work, record["params"], log)
    for n, step in enumerate(record["steps"]):
        for event in step["events"]:
            failure = ex.do(event, strict=False)
            if failure:
                failure["step"] = n
                return failure
        log(f"  step {n}: {'; '.join(step['desc']) or '(no edit)'} -> {ex.status}")
    return None


if __name__ == "__main__":
    sys.exit(runner.main("edits", __doc__, Run, replay))
