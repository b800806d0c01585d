"""Fuzz the preview's kept folder and first runs, with CLI builds in between, against clean
builds.

A seed's site is edited as in fuzz/edits.py, while the preview is started on the folder it
keeps (.passivepress/preview/), rebuilds after saves, keeps its state when idle (all or in
part), is stopped, killed, or crashes in mid-write (its `building` marker left and an
output half written), and is started again; between runs, hands change its kept output
(a stray file, an edit, the same size with a newer time, a removal, a touch, the same
bytes in a new file) or remove it, CLI builds run into _site, public/ or a folder outside
the site (the cache sometimes cleared), a tool rewrites a card of _site in place, and
previews that do not keep a folder make their first run. After each step every build made
since the last edits must match a clean build of its kind byte for byte, and fail where
the clean one fails. Now and then the site folder is copied with its cache folders (with
or without its output, an essay of the copy sometimes edited) and the copy built: its
output must be a clean build's, and the original's output untouched.

    python fuzz/restarts.py --seeds 1-50 --minutes 10
    python fuzz/restarts.py --replay FAILURE.json
    python fuzz/reduce.py FAILURE.json
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import runner
from builds import (
    attempt,
    cli_build,
    cli_options,
    one_process,
    preview_options,
    render_in_parallel,
)
from compare import compare, plant, tree
from kinds import Editor, new_site
from logfs import FS, Op, apply_op, files_of, paths_of
from runner import Log, SeedRun, Settings, difference, edit_name

from passivepress import config as config_module
from passivepress.build import Builder, BuildOptions, build
from passivepress.preview_folder import PREVIEW_DIR, PreviewFolder
from passivepress.report import Recorder
from passivepress.urls import base_path_of


class Impossible(Exception):
    """An event that cannot be done now (a start while the preview runs, say): a bug of
    the generator, or, replaying a shrunk log, an event whose partner was left out."""


class Exec:
    """Does a run's events, as it is made or replayed. The events:

    - ``["ops", [op, ...]]``: file operations (see logfs);
    - ``["start", port, jobs]``: the preview starts on its kept folder and builds;
      ``["build"]``: it builds after saves, told which files changed; ``["ready"]``: its
      idle work; ``["keep"]``: it keeps its state; ``["keep_partial", n]``: it starts
      keeping and is interrupted after n steps (a save came);
    - ``["stop"]`` (it keeps its state first), ``["kill"]``, ``["crash", rel]`` (killed in
      mid-write: the marker stays and ``rel`` was half written, same size and time);
    - ``["hand", how, rel]``: a hand's change to the kept output between runs;
      ``["hand_cli", rel]``: a tool rewriting an output of _site in place;
      ``["wipe"]``: .passivepress/preview/ removed; ``["wipe_cache"]``: the CLI's cache;
    - ``["cli", "_site" | "public" | "outside"]``: ``passivepress build [--output ...]``;
    - ``["first_run", port, jobs]``: a preview that keeps no folder, built once;
    - ``["copy", with_output, rel, text]``: the site folder copied elsewhere with its
      cache folders (and ``_site`` if ``with_output``), ``text`` appended to the copy's
      file ``rel`` (none: no edit), and the copy built as ``passivepress build`` does: its
      output must be a clean build's, and the original's ``_site`` as it was;
    - ``["plant"]``: a CLI build into _site and one of its outputs tampered with;
    - ``["check"]``: every build since the last edits against a clean build.
    """

    def __init__(self, work: Path, log: Log, parallel_from: int | None = None) -> None:
        render_in_parallel(parallel_from)
        self.work = work
        self.site = work / "site"
        self.log = log
        self.folder: PreviewFolder | None = None
        self.builder: Builder | None = None
        self.port = 8000
        self.jobs = 1
        self.base = "/"  # the running preview's base path
        self.pending: set[str] = set()  # files changed since the running preview's build
        self.prev_last: str | None = None  # "ok" or the error of the preview's last build
        self.prev_tree: dict[str, bytes] = {}
        self.cli_last: str | None = None  # of this step's CLI build
        self.cli_tree: dict[str, bytes] = {}
        self.firsts: list[tuple[int, str, dict[str, bytes]]] = []  # this step's first runs
        self.runs = 0
        self.hand_cli = False  # an output of _site was rewritten in place (said on failure)
        self.status = "ok"  # of the last check: "ok", "error" or "unknown" (nothing built)
        self.error = ""  # the clean build's, when the status is "error"

    def base_path(self) -> str | None:
        try:
            return base_path_of(config_module.load(self.site).config.base_url)
        except Exception:  # an invalid setting (reported by the build)
            return None

    def popts(self, output: Path, port: int, jobs: int = 1, clean: bool = False) -> BuildOptions:
        """As `passivepress serve --port PORT --jobs JOBS` builds."""
        base = self.base_path() or "/"
        return preview_options(
            output,
            drafts=True,
            future=True,
            jobs=jobs,
            base_url=f"http://127.0.0.1:{port}{base}",
            use_cache=not clean,
        )

    def note(self, ops: list[Op]) -> None:
        for op in ops:
            self.pending.update(paths_of(op))

    def attempt(self, build_it: Callable[[], object]) -> str:
        """ "ok", or "ERR" and the message of the mistake the build reported."""
        _, error = attempt(build_it)
        return "ok" if error is None else "ERR " + error[:500]

    def running(self) -> tuple[PreviewFolder, Builder]:
        if self.folder is None or self.builder is None:
            raise Impossible("the preview is not running")
        return self.folder, self.builder

    def do(self, ev: list, strict: bool = True) -> dict | None:
        """Do one event; a failure record (from a check), or None."""
        kind, site = ev[0], self.site
        if kind == "ops":
            self.note([op for op in ev[1] if apply_op(site, op, strict)])
        elif kind == "start":
            if self.folder is not None:
                raise Impossible("a start while the preview runs")
            self.port, self.jobs = ev[1], ev[2]
            folder = PreviewFolder.claim(site)
            if folder is None:
                raise Impossible("the preview folder could not be claimed")
            self.folder = folder
            self.base = self.base_path() or "/"
            options = self.popts(folder.output, self.port, self.jobs)
            self.builder = Builder(site, options, Recorder(), kept=folder)
            self.pending = set()
            self.prev_last = self.attempt(self.builder.build)
            self.prev_tree = tree(folder.output)
        elif kind == "build":  # the watcher's build of the running preview
            folder, builder = self.running()
            base = self.base_path()
            if base is not None and base != self.base:  # the server makes a new builder
                self.base = base
                options = self.popts(folder.output, self.port, self.jobs)
                builder = self.builder = Builder(site, options, Recorder(), kept=folder)
            changed = sorted(self.pending)
            self.pending = set()
            self.prev_last = self.attempt(lambda: builder.build(changed=changed))
            self.prev_tree = tree(folder.output)
        elif kind == "ready":
            if self.builder is not None and self.builder.resident is not None:
                self.builder.resident.ready()
        elif kind == "keep":
            if self.builder is not None:
                self.builder.keep_for_next_run()
        elif kind == "keep_partial":
            if self.builder is not None:
                self.builder.keep_for_next_run(stop=_stop_after(ev[1]))
        elif kind in ("stop", "kill", "crash"):
            folder, builder = self.running()
            if kind == "stop":
                builder.keep_for_next_run()
            elif kind == "crash":
                _crash(folder, ev[1])
            folder.release()
            self.folder = self.builder = None
        elif kind == "hand":
            _hand(site / PREVIEW_DIR / "site", ev[1], ev[2])
        elif kind == "hand_cli":
            path = site / "_site" / ev[1]
            if path.is_file():
                with path.open("r+b") as fh:  # in place: the same file, not a new one
                    data = fh.read()
                    fh.seek(0)
                    fh.write(data + b"\0")
                self.hand_cli = True
        elif kind == "wipe":
            if self.folder is not None:
                raise Impossible("the preview folder removed while the preview runs")
            shutil.rmtree(site / PREVIEW_DIR, ignore_errors=True)
        elif kind == "wipe_cache":  # "clear the cache": the CLI's state and Markdown store
            shutil.rmtree(site / ".passivepress" / "cache", ignore_errors=True)
        elif kind in ("cli", "plant"):
            name = ev[1] if len(ev) > 1 else "_site"
            out = self.cli_out(name)
            # Into _site as `passivepress build` with no --output builds (the records then
            # name no output, only the site's folder).
            options = cli_options(None if name == "_site" else out)
            self.cli_last = self.attempt(lambda: cli_build(site, options))
            if kind == "plant" and self.cli_last == "ok":
                plant(out)
            self.cli_tree = tree(out)
        elif kind == "first_run":
            self.runs += 1
            out = self.work / f"first-{self.runs}"
            port, jobs = ev[1], ev[2]
            result = self.attempt(
                lambda: Builder(site, self.popts(out, port, jobs), Recorder()).build()
            )
            self.firsts.append((port, result, tree(out)))
            shutil.rmtree(out, ignore_errors=True)
        elif kind == "copy":
            return self.copy(ev[1], ev[2], ev[3])
        elif kind == "check":
            return self.check()
        else:
            raise Impossible(f"unknown event {ev!r}")
        return None

    def copy(self, with_output: bool, rel: str | None, text: str) -> dict | None:
        """A copy of the site (a second checkout, a restored backup) holds the original's
        build records, which name the original's folders: its build must make its own
        output, and leave the original's alone."""
        copy, clean = self.work / "copy", self.work / "clean-copy"
        for path in (copy, clean):
            shutil.rmtree(path, ignore_errors=True)
        ignore = None if with_output else shutil.ignore_patterns("_site")
        shutil.copytree(self.site, copy, symlinks=True, ignore=ignore)
        if rel is not None and (copy / rel).is_file():
            with (copy / rel).open("a", encoding="utf-8") as fh:
                fh.write(text)
        original = tree(self.site / "_site")
        got = self.attempt(lambda: cli_build(copy, cli_options(None)))
        got_tree = tree(copy / "_site")
        with one_process():
            want = self.attempt(lambda: build(copy, cli_options(clean, True), Recorder()))
        want_tree = tree(clean)
        for path in (copy, clean):
            shutil.rmtree(path, ignore_errors=True)
        touched = compare(tree(self.site / "_site"), original, "original")
        if touched:
            return difference("copy-original", "output-diff", touched.files, touched.diff)
        return _judge("copy", got, got_tree, (want, want_tree))

    def cli_out(self, name: str) -> Path:
        return self.work / "out-cli" if name == "outside" else self.site / name

    def check(self) -> dict | None:
        """Every build since the last check against a clean build of its kind."""
        site = self.site
        cleans: dict[int, tuple[str, dict[str, bytes]]] = {}

        def clean_preview(port: int) -> tuple[str, dict[str, bytes]]:
            if port not in cleans:
                out = self.work / f"clean-preview-{port}"
                shutil.rmtree(out, ignore_errors=True)
                options = self.popts(out, port, 1, clean=True)
                with one_process():
                    result = self.attempt(lambda: Builder(site, options, Recorder()).build())
                cleans[port] = (result, tree(out))
                shutil.rmtree(out, ignore_errors=True)
            return cleans[port]

        failures = []
        cleans_made: list[str] = []  # the clean builds' results, "ok" or an error
        # The running preview, when it has built since the last edits.
        if self.folder is not None and not self.pending and self.prev_last is not None:
            want = clean_preview(self.port)
            cleans_made.append(want[0])
            failures.append(_judge("kept-preview", self.prev_last, self.prev_tree, want))
        for port, result, got in self.firsts:
            want = clean_preview(port)
            cleans_made.append(want[0])
            failures.append(_judge("first-run", result, got, want))
        self.firsts = []
        compared = bool(cleans) or self.cli_last is not None
        if self.cli_last is not None:
            out = self.work / "clean-cli"
            shutil.rmtree(out, ignore_errors=True)
            with one_process():
                result = self.attempt(lambda: build(site, cli_options(out, True), Recorder()))
            want = (result, tree(out))
            shutil.rmtree(out, ignore_errors=True)
            cleans_made.append(result)
            failures.append(_judge("cli", self.cli_last, self.cli_tree, want))
            self.cli_last = None
        errors = [r for r in cleans_made if r != "ok"]
        self.error = errors[0] if errors else ""
        self.status = "error" if errors else "ok" if compared else "unknown"
        failure = next((f for f in failures if f is not None), None)
        if failure is not None and self.hand_cli:
            failure["after_hand_cli"] = True
        return failure

    def close(self) -> None:
        if self.folder is not None:
            self.folder.release()
            self.folder = self.builder = None


def _judge(
    channel: str, got_res: str, got: dict[str, bytes], want: tuple[str, dict[str, bytes]]
) -> dict | None:
    want_res, want_tree = want
    if want_res != "ok":
        if got_res == "ok":
            return {"channel": channel, "kind": "missing-error", "detail": want_res}
        return None
    if got_res != "ok":
        return {"channel": channel, "kind": "unexpected-error", "detail": got_res}
    diff = compare(got, want_tree, channel)
    if diff:
        return difference(channel, "output-diff", diff.files, diff.diff)
    return None


def _stop_after(n: int) -> Callable[[], bool]:
    """A ``stop`` for keep_for_next_run that says stop at its (n+1)th question."""
    asked = [0]

    def stop() -> bool:
        asked[0] += 1
        return asked[0] > n

    return stop


def _crash(folder: PreviewFolder, rel: str) -> None:
    """Killed in mid-write: the marker stays, and ``rel`` is half written (its first byte
    changed, the same size and modification time, so only its bytes tell)."""
    (folder.root / "building").touch()
    path = folder.output / rel
    if path.is_file():
        data = path.read_bytes()
        st = path.stat()
        tmp = path.with_name(path.name + ".crash")
        tmp.write_bytes((b"X" + data)[: len(data)])
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, path)


def _hand(out: Path, how: str, rel: str) -> None:
    """A hand's change to the preview's kept output, between two runs."""
    path = out / rel
    if how == "rm_output":
        shutil.rmtree(out, ignore_errors=True)
    elif how == "stray":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("stray\n")
    elif not path.is_file():
        pass
    elif how == "edit":
        path.write_bytes(path.read_bytes() + b"<!-- hand -->")
    elif how == "edit_same_size_newer":
        data = path.read_bytes()
        st = path.stat()
        path.write_bytes((b"Y" + data)[: len(data)])
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    elif how == "delete":
        path.unlink()
    elif how == "touch":
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))
    elif how == "replace_same":
        data = path.read_bytes()
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    else:
        raise Impossible(f"unknown hand {how!r}")


# What a step does around its edits (and how often), while the preview runs or not.
RUNNING = {
    "build": 30,
    "cli": 15,
    "first_run": 10,
    "stop_restart": 15,
    "kill_restart": 15,
    "crash_restart": 4,
    "stop": 6,
    "kill": 5,
}
STOPPED = {"start": 50, "cli": 20, "first_run": 12, "edit_only": 10, "wipe_start": 8}


class Run(SeedRun):
    """One seed: its site and its steps, each an action of the preview or the CLI around
    the step's edits, ending with a check."""

    def __init__(self, seed: int, work: Path, settings: Settings, log: Log) -> None:
        super().__init__(seed, work, settings, log)
        essays, books = self.site_size()
        self.params = {
            "essays": essays,
            "books": books,
            "corpus_seed": self.rng.randint(0, 10**6),
            "parallel_from": self.parallel_from(),
        }
        self.nsteps = self.step_count()
        self.editor = Editor(self.rng, without=settings.without)
        self.ex = Exec(work, log, self.params["parallel_from"])

    # --- events ---------------------------------------------------------------------------

    def ev(self, step: dict, event: list) -> dict | None:
        step["events"].append(event)
        self.count("events", event[0])
        return self.ex.do(event)

    def edits(self, step: dict, k: int) -> None:
        """k edits (after last step's fixes), done and logged; the preview is not told yet."""
        fs = FS(self.site)
        descs = self.editor.step(fs, k, self.snap)
        after = files_of(self.site)
        self.editor.remember(self.snap, after, fs.touched)
        self.snap = after
        step["desc"] += descs
        step["events"].append(["ops", fs.ops])
        self.ex.note(fs.ops)
        for desc in descs:
            self.count("edits", edit_name(desc))

    def idle(self, step: dict) -> None:
        """What a running preview does while no save waits (sometimes interrupted)."""
        r = self.rng.random()
        if self.rng.random() < 0.04:
            self.ev(step, ["wipe_cache"])
        if self.ex.builder is None:
            return
        if r < 0.2:
            self.ev(step, ["ready"])
        if self.rng.random() < 0.25:
            self.ev(step, ["keep_partial", self.rng.randint(1, 40)])
        elif self.rng.random() < 0.3:
            self.ev(step, ["keep"])

    def output_file(self, root: Path, cards: bool = False) -> str | None:
        """One of the files of the output ``root`` (a social card, with ``cards``)."""
        if not root.is_dir():
            return None
        files = [
            rel
            for rel in (p.relative_to(root).as_posix() for p in sorted(root.rglob("*")))
            if (root / rel).is_file()
            and not rel.startswith(".passivepress-output")
            and (not cards or rel.endswith("card.png"))
        ]
        return self.rng.choice(files) if files else None

    def hand_edits(self, step: dict) -> None:
        out = self.site / PREVIEW_DIR / "site"
        if self.rng.random() < 0.1:
            self.ev(step, ["hand", "rm_output", ""])
            return
        for _ in range(self.rng.randint(1, 3)):
            how = self.rng.choice(
                ["stray", "edit", "edit_same_size_newer", "delete", "touch", "replace_same"]
            )
            if how == "stray":
                rel = self.rng.choice(["stray.html", "essays/stray/index.html", "tags/x/stray.txt"])
            else:
                rel = self.output_file(out, cards=self.rng.random() < 0.3)
                if rel is None:
                    continue
            self.ev(step, ["hand", how, rel])

    def cli(self, step: dict) -> None:
        if self.rng.random() < 0.05:
            self.ev(step, ["wipe_cache"])
        r = self.rng.random()
        self.ev(step, ["cli", "_site" if r < 0.8 else ("public" if r < 0.9 else "outside")])

    def start(self, step: dict) -> None:
        port = 8000 if self.rng.random() < 0.9 else self.rng.choice([8001, 8002])
        self.ev(step, ["start", port, self.rng.choice([1, 1, 2])])

    def first_run(self, step: dict) -> None:
        self.ev(step, ["first_run", self.rng.choice([8000, 8000, 8003]), self.rng.choice([1, 2])])

    # --- steps ----------------------------------------------------------------------------

    def step(self, i: int) -> dict | None:
        rng, ex = self.rng, self.ex
        step: dict = {"desc": [], "events": []}
        self.steps.append(step)
        actions = RUNNING if ex.folder is not None else STOPPED
        action = rng.choices(list(actions), list(actions.values()))[0]
        step["action"] = action
        self.count("actions", action)
        k = self.editor.count()
        before_edits = rng.random() < 0.5  # stopped before the edits, or after (unbuilt)

        if action in ("build", "cli", "first_run") and ex.folder is not None:
            self.edits(step, k)
            if action == "cli" and rng.random() < 0.5:
                self.cli(step)
                self.ev(step, ["build"])
            else:
                self.ev(step, ["build"])
                if action == "cli":
                    self.cli(step)
            if action == "first_run":
                self.first_run(step)
            self.idle(step)
        elif action in ("stop_restart", "stop"):
            if before_edits:
                self.ev(step, ["stop"])
                self.edits(step, k)
            else:
                self.edits(step, k)
                if rng.random() < 0.5:
                    self.ev(step, ["build"])
                    self.idle(step)
                self.ev(step, ["stop"])
            self.between_runs(step)
            if action == "stop_restart":
                self.start(step)
        elif action in ("kill_restart", "kill", "crash_restart"):
            if before_edits and action != "crash_restart":
                self.ev(step, ["kill"])
                self.edits(step, k)
            else:
                # Quick builds before the end, sometimes with some keeping in between.
                parts = rng.randint(1, 3)
                for n in range(parts):
                    self.edits(step, k if n == 0 else rng.randint(1, 2))
                    if n < parts - 1 or rng.random() < 0.6:
                        self.ev(step, ["build"])
                        if rng.random() < 0.3:
                            self.idle(step)
                if action == "crash_restart":
                    assert ex.folder is not None
                    self.ev(step, ["crash", self.output_file(ex.folder.output) or "index.html"])
                else:
                    self.ev(step, ["kill"])
            self.between_runs(step)
            if action != "kill":
                self.start(step)
        elif action == "start":
            self.edits(step, k)
            if rng.random() < 0.25:
                self.hand_edits(step)
            self.start(step)
            self.idle(step)
        elif action == "wipe_start":
            self.edits(step, k)
            if rng.random() < 0.5:
                self.cli(step)
            self.ev(step, ["wipe"])
            self.start(step)
        else:  # cli, first_run or edit_only, while no preview runs
            self.edits(step, k)
            if action == "cli" or rng.random() < 0.3:
                self.cli(step)
            if action == "first_run":
                if rng.random() < 0.3:
                    self.cli(step)
                self.first_run(step)
        if rng.random() < 0.04:
            rel = self.output_file(self.site / "_site", cards=True)
            if rel:
                self.ev(step, ["hand_cli", rel])
        if rng.random() < 0.05:
            essays = [r for r in sorted(files_of(self.site)) if r.startswith("content/essays/")]
            rel = rng.choice(essays) if essays and rng.random() < 0.7 else None
            failure = self.ev(step, ["copy", rng.random() < 0.5, rel, f"\n\nCopied, step {i}.\n"])
            if failure:
                return failure
        if self.settings.plant == i:
            self.ev(step, ["plant"])
        return self.ev(step, ["check"])

    def between_runs(self, step: dict) -> None:
        if self.rng.random() < 0.3:
            self.cli(step)
        if self.rng.random() < 0.25:
            self.hand_edits(step)

    def run(self) -> dict | None:
        fs = FS(self.site)
        p = self.params
        new_site(fs, self.rng, p["essays"], p["books"], p["corpus_seed"])
        step0: dict = {"desc": ["setup"], "events": [["ops", fs.ops]], "action": "setup"}
        self.steps = [step0]
        self.snap = self.good = files_of(self.site)
        # A CLI build first sometimes, then a preview (keeping its folder) sometimes.
        if self.rng.random() < 0.6:
            self.cli(step0)
        if self.rng.random() < 0.8:
            self.start(step0)
        failure = self.ev(step0, ["check"])
        if failure:
            failure["step"] = 0
            return failure
        for i in range(1, self.nsteps + 1):
            failure = self.step(i)
            self.done = i
            step = self.steps[-1]
            events = " ".join(e[0] for e in step["events"] if e[0] != "ops")
            desc = "; ".join(step["desc"])[:200] or "(no edit)"
            status = "FAIL" if failure else self.ex.status
            self.log(f"  step {i} [{step['action']}] {desc} :: {events} -> {status}")
            if failure:
                failure["step"] = len(self.steps) - 1
                return failure
            if self.ex.status == "ok":
                self.good = files_of(self.site)
            elif self.ex.status == "error" and not self.editor.pending:
                self.log(f"  step {i}: unmeant invalid site, back to the last good one")
                note = {"kind": "unmeant-invalid", "step": i, "error": self.ex.error[:300]}
                self.notes.append(note)
                self.back_to_good()
        return None

    def back_to_good(self) -> None:
        fs = FS(self.site)
        self.editor.back_to(fs, files_of(self.site), self.good)
        self.steps.append(
            {
                "desc": ["back to the last good site"],
                "events": [["ops", fs.ops]],
                "action": "revert",
            }
        )
        self.ex.note(fs.ops)
        self.snap = files_of(self.site)

    def close(self) -> None:
        self.ex.close()


def replay(record: dict, work: Path, log: Log) -> dict | None:
    """Do a failure log's events again; the first failure, or None. Events that cannot be
    done (their partner left out of a shrunk log) are left out too."""
    ex = Exec(work, log, record["params"].get("parallel_from"))  # older logs lack it
    try:
        for n, step in enumerate(record["steps"]):
            for e, event in enumerate(step["events"]):
                try:
                    failure = ex.do(event, strict=False)
                except Impossible:
                    continue
                if failure:
                    failure.update(step=n, event=e)
                    return failure
            log(f"  step {n} [{step.get('action')}] {'; '.join(step['desc'])[:200]} -> {ex.status}")
    finally:
        ex.close()
    return None


if __name__ == "__main__":
    sys.exit(runner.main("restarts", __doc__, Run, replay))
