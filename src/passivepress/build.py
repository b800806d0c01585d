"""The build pipeline, in the order it runs: config → theme → content → routes → render →
static → checks → commit. Everything a reader needs to follow a build is in
:meth:`Builder.build`.

A :class:`Builder` can build the same site many times (the preview server keeps one); what
it learned last time (rendered Markdown, what each output read) lets it redo only the work
whose inputs changed. The CLI keeps that knowledge in ``.passivepress/cache/``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import html
import importlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from passivepress import (
    __version__,
    digests,
    embeds,
    forks,
    loader,
    markdown,
    published,
    quick,
    routes,
    theme,
    uptodate,
)
from passivepress import cache as cache_module
from passivepress import config as config_module
from passivepress.cache import OutputRecord, State, digest, fingerprint, markdown_key
from passivepress.changes import Changes, Kept, Snapshot
from passivepress.clock import build_time
from passivepress.errors import (
    ConfigError,
    ContentError,
    PassivepressError,
    Problem,
    StrictError,
)
from passivepress.model import Book, Essay, Page, Site
from passivepress.output import MARKER, Stage, check_target, link_if_holding, stage_root
from passivepress.preview_folder import PreviewFolder
from passivepress.report import Reporter
from passivepress.urls import output_path

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

log = logging.getLogger(__name__)

# Below this many documents to render, starting worker processes costs more than it saves.
PARALLEL_MIN_DOCUMENTS = 48


@dataclass(frozen=True)
class BuildOptions:
    output: Path | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False
    preview: bool = False
    now: datetime | None = None
    use_cache: bool = True  # read and write .passivepress/cache/ (False: --clean)
    # With use_cache False: still take rendered Markdown from the cache folder, and write
    # nothing there (check's build). A preview's first build does so anyway.
    borrow_markdown: bool = False
    record_urls: bool = True  # check and extend published-urls.txt
    jobs: int | None = None  # worker processes for Markdown; None: all cores
    # Stop once the model is made (settings, content, embeds): nothing is rendered or
    # written (check, when the last build's output is still what a build would make).
    model_only: bool = False


@dataclass
class BuildResult:
    output: Path
    pages: int = 0
    feeds: int = 0
    files: int = 0
    rendered: int = 0  # outputs made this time (the rest were unchanged and reused)
    markdown_rendered: int = 0
    seconds: float = 0.0
    warnings: list[Problem] = field(default_factory=list)
    site: Site | None = None
    quick: bool = False  # built the quick way (passivepress.quick)
    processes: int = 1  # processes that rendered the outputs (see passivepress.forks)


class _Timer:
    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.reporter.step(name, time.perf_counter() - start)


def _same_state(before: State, after: State, result: BuildResult) -> bool:
    """Nothing to write to the cache: a warm build that changed nothing (at 10,000 essays
    the cache is hundreds of MB; rewriting it would cost more than the build)."""
    return (
        result.rendered == 0
        and result.markdown_rendered == 0
        and before.settings == after.settings
        and before.output == after.output
        and before.outputs.keys() == after.outputs.keys()
        and before.markdown.keys() == after.markdown.keys()
        and before.static == after.static
    )


class _Workers:
    """The build's worker processes (Markdown, social cards), shared by its steps.

    A CLI build forks them as it starts, while this process is still small: forked later,
    each worker would count the whole model in its resident memory (at 10,000 essays a
    card worker forked during rendering held 590 MiB). Fork is unsafe once other threads
    exist (the preview server's), so there they are spawned, and only when needed.
    """

    def __init__(self, count: int, early: bool) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None
        self._fork = threading.active_count() == 1 and os.name == "posix"
        if early and self._fork and count > 1:
            self.pool().submit(int).result()  # workers start on the first job

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Here, not at the top: a build with little to do (a quick one, above all)
            # starts no processes and need not load what starts them.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if self._fork else "spawn"
            context = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(self.count, mp_context=context)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def fork_ready(self) -> bool:
        """Whether this process may fork copies of itself now (see :mod:`forks`). The
        pool is closed first: it runs a thread of its own while it lives."""
        if not self._fork:
            return False
        self.close()
        return forks.can_fork()


class _Collector:
    """Python's cycle collector, kept from walking the model over and over.

    Reading makes millions of objects that live until the build ends, and every full
    collection walked all of them again (at 10,000 essays, 13 full collections took 2.5 s
    of a 12 s build). Reading and planning the routes make no reference cycles (a test
    keeps it so), so the collector pauses while they run; then the model and the plan are
    frozen (set aside from the collections that go on during rendering) and given back
    when the build is over. So is the kept state a CLI build starts from (see Builder).
    """

    def __init__(self, active: bool, frozen: bool = False) -> None:
        """``frozen``: what is frozen already (the kept state) is given back by restore."""
        self.active = active
        self.paused, self.frozen = False, frozen

    def pause(self) -> None:
        if self.active:
            gc.disable()
            self.paused = True

    def settle(self) -> None:
        if self.paused:
            gc.freeze()
            gc.enable()
            self.paused, self.frozen = False, True

    def restore(self) -> None:
        if self.frozen:
            gc.unfreeze()
        if self.paused:
            gc.enable()
        self.paused = self.frozen = False


def _release_free_memory() -> None:
    """Hand memory freed by reading (every file's YAML, the Markdown sources, results
    passed between processes) back to the system. glibc keeps it otherwise, and the later
    steps then grow on top of it: at 10,000 essays that was over 100 MB of the peak."""
    import ctypes

    # Not glibc (macOS, musl, Windows): nothing to do.
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols, libc's among them


def _markdown_settings(config: config_module.Config) -> str:
    """What a rendered Markdown body depends on besides its text and place. The base path,
    not the whole base URL: the preview's bodies are the published site's (its local
    address keeps the path), and so are those of a build with another host (--base-url)."""
    return fingerprint(loader.markdown_options(config)) + config.base_path


def _at_least(folder: Path, count: int) -> bool:
    """Whether ``folder`` holds ``count`` files or more (stops counting there)."""
    seen = 0
    for _, _, files in os.walk(folder):
        seen += len(files)
        if seen >= count:
            return True
    return False


def _changed_files(readings: loader.ReadCache, sources: uptodate.Sources) -> int:
    """Content files whose kept reading is not of their bytes now (new files included)."""
    return sum(
        1
        for name, found in sources.files.items()
        if name.startswith("content/")
        and loader.is_content_file(name.rpartition("/")[2])
        and (name not in readings or readings[name][0] != found)
    )


class _EarlyCards:
    """Social cards made by a copy of this process while this one links the essays and
    plans the outputs (one core had nothing else to do then: at 10,000 essays, for 1.6 s),
    then also by each process that renders pages, once it has none left.

    The copy is forked as the build starts, while this process is small (forked later, it
    would share the model's pages, and each page this process then changed would be
    copied: 300 MiB at 10,000 essays), and waits until the essays are known. It alone
    loads Pillow and warms its glyph caches, so the Markdown workers make no card. Used
    only when every card is made anew, with nothing kept from a previous build (the stage
    is then a new folder). The cards are written into the stage's folder, made early; a
    card the output folder already holds with the same bytes is linked there instead, so
    its file keeps its modification time, as every output of a full build does.
    """

    def __init__(self) -> None:
        self.deck: forks.Deck[int] = forks.Deck()  # dealt by start
        self.jobs: list[tuple[str, tuple]] = []  # (output file, card job)
        self.files: set[str] = set()  # the cards' output files, once started
        self.root: Path | None = None  # the stage's folder, until the stage takes it
        self.folder = ""  # the stage's folder, where the cards are written
        self.previous: str | None = None  # the output folder, when it holds a build of ours
        # Pillow and the card code loaded while this process reads the first files, when
        # the Markdown workers have nothing to do yet.
        prepare = functools.partial(importlib.import_module, "passivepress.social")
        self.copy: forks.Standby[list[int]] | None = forks.Standby(self._make, prepare)

    @property
    def started(self) -> bool:
        return bool(self.jobs)

    def _make(self, payload: tuple[str, str | None, list[Any], list[list[int]]]) -> list[int]:
        """In the copy: the cards it made."""
        self.folder, self.previous, self.jobs, self.deck.chunks = payload
        return self.help()

    def start(self, cards: routes.CardMaker, target: Path, essays: list[Essay]) -> None:
        wanted = [(output_path(path), e) for e in essays if (path := routes.card_path(e))]
        if len(wanted) < PARALLEL_MIN_DOCUMENTS or self.copy is None:
            return
        self.root = stage_root(target)
        self.folder = str(self.root)
        if (target / MARKER).is_file():
            self.previous = str(target.resolve())
        self.jobs = [(rel, cards.job(essay)) for rel, essay in wanted]
        self.files = {rel for rel, _essay in wanted}
        self.deck.deal(range(len(self.jobs)), smallest=8)
        try:
            self.copy.send((self.folder, self.previous, self.jobs, self.deck.chunks))
        except OSError:  # the copy is gone (killed): the renderers and this process make them
            self.copy.stop()
            self.copy = None

    def help(self) -> list[int]:
        """Make cards left in the deck, here; their numbers."""
        made: list[int] = []
        for chunk in self.deck:
            for number in chunk:
                self._write(number)
                made.append(number)
        return made

    def _write(self, number: int, again: bool = False) -> None:
        rel, job = self.jobs[number]
        path = os.path.join(self.folder, rel)
        if again:
            # A copy that died may have left this card, perhaps linked to the output
            # folder's own file: never written through that link.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        before = os.path.join(self.previous, rel) if self.previous is not None else None
        _write_card(job, path, before)

    def finish(self, helped: Iterable[list[int]]) -> set[str]:
        """Every card made (those the copy and the renderers, ``helped``, did not make are
        made here): their output files."""
        made = set(self.help())
        if self.copy is not None:
            made.update(self.copy.result() or ())  # all of it, if the copy died: made again
            self.copy = None
        for numbers in helped:
            made.update(numbers)
        for number in range(len(self.jobs)):
            if number not in made:
                self._write(number, again=True)
        return self.files

    def take(self) -> Path | None:
        """The folder the cards are written into, for the stage (which removes it after
        an error from then on)."""
        root, self.root = self.root, None
        return root

    def close(self) -> None:
        """The copy stopped if it still waits or works, and the folder removed unless the
        stage took it."""
        if self.copy is not None:
            self.copy.stop()
            self.copy = None
        self.deck.close()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


class _Rendering:
    """Markdown documents rendered in batches while the loader goes on reading: from the
    cache when seen before, else on all cores. A document given without its text (a kept
    reading) and not cached gives None. The cache on disk is written when it closes.

    A preview keeps its bodies in memory; its first build takes them from the cache folder
    that CLI builds keep, when there is one, without writing to it: a big site's preview
    then starts without rendering its Markdown again. So does ``check``'s build.
    """

    def __init__(
        self,
        builder: Builder,
        config: config_module.Config,
        cache: dict[str, markdown.Rendered],
        result: BuildResult,
    ) -> None:
        self.builder, self.config, self.cache, self.result = builder, config, cache, result
        self.settings = _markdown_settings(config)
        self.options = loader.markdown_options(config)
        self.keys: set[str] = set()
        self.made: dict[str, markdown.Rendered] = {}
        self.code: dict[str, str] = {}  # highlighted code blocks (markdown.CodeBlocks)
        self.store: cache_module.MarkdownStore | None = None
        if builder.persist:
            try:
                self.store = cache_module.MarkdownStore(builder.site_dir)
            except (OSError, sqlite3.Error) as exc:  # no cache is only a slower build
                log.debug("markdown cache unavailable: %s", exc)
        elif not builder.state.markdown and (
            builder.options.borrow_markdown
            or (builder.options.preview and builder.options.use_cache)
        ):
            self.store = cache_module.MarkdownStore.to_read(builder.site_dir)
        self.writes = builder.persist and self.store is not None

    def start(
        self, jobs: list[tuple[str, str | None, str]]
    ) -> Callable[[], list[markdown.Rendered | None]]:
        """Start rendering ``jobs`` (body key, body or None, site path); the returned
        function waits for them."""
        keys = [markdown_key(self.settings, path, body_key) for body_key, _, path in jobs]
        self.keys.update(keys)
        known: dict[str, Any] = self.builder.state.markdown
        if self.store is not None:
            try:
                known = self.store.get_many(keys)
            except sqlite3.Error as exc:
                log.debug("markdown cache unreadable: %s", exc)
                known = {}
        out: list[markdown.Rendered | None] = [known.get(k) for k in keys]
        todo = [i for i, hit in enumerate(out) if hit is None and jobs[i][1] is not None]
        # Code blocks are kept where quick builds will look for them.
        keep_code = self.writes
        work = [(jobs[i][1], self.options, self.config.base_path, keep_code) for i in todo]
        workers = self.builder._workers
        if len(work) >= PARALLEL_MIN_DOCUMENTS and workers.count > 1:
            chunk = max(1, len(work) // (workers.count * 4))
            # Sent to the workers now; collected when the loader has read everything.
            done: Any = workers.pool().map(_render_markdown, work, chunksize=chunk)
        else:
            done = [_render_markdown(job) for job in work]

        def finish() -> list[markdown.Rendered | None]:
            for i, (rendered, code) in zip(todo, done, strict=True):
                out[i] = rendered
                if self.writes:
                    self.made[keys[i]] = rendered
                    self.code.update(code)
            self.result.markdown_rendered += len(todo)
            if self.builder.options.preview:
                # Only a preview builds again; a one-shot build (--clean) lets them go with
                # the model (a body an embed was filled into would otherwise be kept twice).
                for k, rendered in zip(keys, out, strict=True):
                    self.cache[k] = rendered  # type: ignore[assignment]
            return out

        return finish

    def close(self) -> None:
        """Keep what was rendered, on disk only: the state file stays small."""
        if self.store is not None:
            try:
                if self.writes:
                    self.store.put_many(self.made, self.keys)
                    self.store.add_code(self.code)
            except sqlite3.Error as exc:
                log.debug("could not write the markdown cache: %s", exc)
            self.store.close()
            self.store = None
        self.made, self.keys, self.code = {}, set(), {}


@dataclass
class _Share:
    """What rendering a share of a build's outputs made: by each one's place in the list
    of outputs to make, its record and whether its file lies in the stage; and the first
    error, with its place."""

    made: dict[int, tuple[OutputRecord, bool]] = field(default_factory=dict)
    failed: tuple[int, ContentError] | None = None
    cards: list[int] = field(default_factory=list)  # early cards made (see _EarlyCards)


class _Renderer:
    """Renders the outputs a build must make, given by their places in ``todo``, here or
    in a forked copy of this process (which must not report: the parent does)."""

    def __init__(
        self,
        builder: Builder,
        site: Site,
        env: theme.TrackingEnvironment,
        stage: Stage,
        todo: list[routes.Route],
    ) -> None:
        self.site_dir, self.reporter = builder.site_dir, builder.reporter
        self.record = builder.record_reads
        self.disclosure = site.config.affiliate.disclosure
        self.env, self.stage, self.todo = env, stage, todo
        # Outputs other processes write: pool workers (to wait for), or another (None:
        # written already).
        self.made: dict[str, Future[None] | None] = {}
        self.parent = os.getpid()
        # For the progress shown: outputs rendered by this process, and how many it had
        # when ``processes`` began to share the rest.
        self.here = self.before = 0
        self.processes = 1
        # One tuple per distinct (key, attribute), shared by every page that read it: at
        # 10,000 essays, tens of MB fewer, here and in the cache.
        self.shared: dict[tuple[str, str], tuple[str, str]] = {}

    def split(self, processes: int) -> None:
        """From now on ``processes`` render (this one about one output in so many)."""
        self.processes, self.before = processes, self.here

    def __call__(self, chunks: Iterable[list[int]]) -> _Share:
        """Render the outputs at the places in ``chunks``, taken one chunk at a time (from
        a :class:`forks.Deck` shared with other processes, or a list); stop at an error."""
        share = _Share()
        here = os.getpid() == self.parent
        total = len(self.todo)
        for chunk in chunks:
            for i in chunk:
                if here:  # the others are about as far
                    done = self.before + (self.here - self.before) * self.processes
                    self.reporter.progress(min(total, done), total)
                try:
                    share.made[i] = self._one(self.todo[i])
                    self.here += 1
                except ContentError as exc:
                    share.failed = (i, exc)
                    return share
        return share

    def _one(self, route: routes.Route) -> tuple[OutputRecord, bool]:
        rel = route.file
        deps: tuple[tuple[str, str], ...] = ()
        if route.template is not None:
            assert route.context is not None
            text, read = theme.render(
                self.env, route.template, route.context(), route.origin, self.site_dir, self.record
            )
            text = disclose(text, self.disclosure)
            deps = tuple([self.shared.setdefault(dep, dep) for dep in sorted(read)])
            st, staged = self.stage.put(rel, text.encode("utf-8"))
        elif rel in self.made:
            future = self.made[rel]
            if future is not None:
                future.result()
            st, staged = self.stage.adopt(rel)
        else:
            assert route.produce is not None
            st, staged = self.stage.put(rel, route.produce())
        return OutputRecord(deps, st.st_size, st.st_mtime_ns), staged


def _render_markdown(
    job: tuple[str, markdown.MarkdownOptions, str, bool],
) -> tuple[markdown.Rendered, dict[str, str]]:
    """A body rendered, and (if the job says to keep them) its highlighted code blocks."""
    body, options, base_path, keep_code = job
    code = markdown.CodeBlocks() if keep_code else None
    # Without the cycle collector, which an essay's 300 tokens set off again and again for
    # nothing: rendering makes no reference cycles (a test keeps reading so). 0.96 of the
    # time, best of six rounds.
    collecting = gc.isenabled()
    gc.disable()
    try:
        rendered = markdown.render(body, options, base_path=base_path, code=code)
    finally:
        if collecting:
            gc.enable()
    return rendered, code.made if code is not None else {}


class Builder:
    """Builds one site; keeps caches between builds of the same site."""

    def __init__(
        self,
        site_dir: Path,
        options: BuildOptions | None = None,
        reporter: Reporter | None = None,
        once: bool = False,
        kept: PreviewFolder | None = None,
    ) -> None:
        """``once``: this builder builds once, so what it learns is kept only in the cache
        folder (if it keeps one). ``kept``: a preview's folder, where it keeps what its next
        run starts from (see :mod:`passivepress.preview_folder`)."""
        self.site_dir = site_dir.resolve()
        self.options = options or BuildOptions()
        self.reporter = reporter or Reporter()
        self.kept = kept if self.options.preview and self.options.use_cache else None
        # The preview server keeps its knowledge in memory; CLI builds keep it on disk.
        self.persist = self.options.use_cache and not self.options.preview
        # What each page reads (the model's attributes) is what a later build compares
        # with: not looked for by a build with no later one (--clean), about a tenth of a
        # page's rendering.
        self.record_reads = not once or self.persist or self.options.preview
        # The kept state lives as long as this build: the collector would walk it in
        # each of its collections (0.6 s of a build that adds one essay at 10,000
        # essays). Set aside until the build ends (see _Collector).
        self._state_set_aside = self.persist and gc.isenabled()
        self.state = (
            cache_module.load_state(self.site_dir, set_aside=self._state_set_aside)
            if self.persist
            else State()
        )
        # The outputs a preview kept from its last run are looked at before they are kept
        # again (anything may have touched them meanwhile); those it wrote itself since
        # need no look.
        self._outputs_unseen = False
        # What a preview keeps of its last full build, in two steps (see
        # keep_for_next_run): the snapshot and the changes found by comparing it, until its
        # model is made (at the latest by the first quick build, which changes the
        # snapshot); then that model, until the whole state is written.
        self._unsaved: tuple[Snapshot, Changes] | None = None
        self._unwritten: Kept | None = None
        # The last model kept or loaded, with the settings it was made with: the tokens of
        # fields read from files whose bytes did not change are taken from it.
        self._earlier: tuple[str, Kept] | None = None
        if self.kept is not None:
            loaded = self.kept.load()
            if loaded is not None:
                self.state, self._outputs_unseen = loaded, True
                if isinstance(loaded.model, Kept):
                    self._earlier = (loaded.settings, loaded.model)
        if self.persist:
            cache_module.make_again(self.state, quick.rewritten(self.site_dir))
        # Readings of unchanged files: a preview's in memory, a CLI build's from the cache
        # folder (without their text; see loader.load).
        self.read_cache: loader.ReadCache = self.state.readings
        self.related_memo: dict[str, Any] = self.state.related
        self._read_settings = self.state.read_settings
        self._read_config: config_module.Config | None = None  # what read_cache was read with
        self._workers = _Workers(1, early=False)
        self._collector = _Collector(active=False)
        self._env: theme.TrackingEnvironment | None = None
        # A preview's model after its last full build, for quick builds (see build).
        self.resident: quick.Resident | None = None
        self._env_key = ""
        self._bytecode: Path | None = None
        self._embeds_memo: dict[str, Any] = {}  # see embeds.resolve
        self._early_cards: _EarlyCards | None = None  # this build's, see _EarlyCards
        # This build's: what the other kind of build kept (see _lent_state), then only its
        # cards' records, as the state of its output folder (_reuse copies from there).
        self._lent: State | None = None
        # The last good build's model, to compare the new one with: the objects themselves
        # in a preview, what the cache folder kept of them otherwise.
        self._snapshot: Snapshot | Kept | None = self.state.model

    # -- the pipeline -------------------------------------------------------------------

    def build(
        self,
        sources: uptodate.Sources | None = None,
        changed: Iterable[str] | None = None,
    ) -> BuildResult:
        """Build the site; the previous output is replaced only on success.

        ``sources``: :func:`passivepress.uptodate.scan` of the site, when the caller has
        just made it (else it is made here, for builds that keep a cache). ``changed``: the
        files (by their path from the site folder) that changed since this builder's last
        build, when the caller knows them (the preview's watcher): if they are a few essays,
        books or pages, the build may take the quick way (:mod:`passivepress.quick`).
        """
        if self.kept is None:
            return self._build_either(sources, changed)
        self.kept.begin()
        try:
            result = self._build_either(sources, changed)
        except PassivepressError:
            self.kept.end()  # a mistake in the site, found before anything was written
            raise
        # Anything else (a bug, Ctrl-C) may have stopped it in mid-write: the marker stays,
        # and the next run trusts nothing kept.
        self.kept.end()
        return result

    def _build_either(
        self, sources: uptodate.Sources | None, changed: Iterable[str] | None
    ) -> BuildResult:
        """The quick way when it can, else the full way."""
        options, site_dir = self.options, self.site_dir
        if changed is not None and self.resident is not None:
            result = self._quick(self.resident, changed)
            if result is not None:
                return result
        self.resident = None  # until this build is done
        started = time.perf_counter()
        # The preview server runs the cycle collector between builds itself.
        active = not options.preview and gc.isenabled()
        self._collector = _Collector(active, frozen=self._state_set_aside)
        self._state_set_aside = False  # given back when this build ends
        try:
            if self.persist and sources is None:
                sources = uptodate.scan(site_dir)  # before anything is read
            # Workers forked now, while this process is small, when there will be much to
            # render: not when the cache folder kept the readings of nearly every file, nor
            # in a preview once its threads run (its first build runs before they start).
            early = (not options.preview or forks.can_fork()) and (
                _changed_files(self.read_cache, sources) >= PARALLEL_MIN_DOCUMENTS
                if self.read_cache and sources is not None
                else _at_least(site_dir / "content", PARALLEL_MIN_DOCUMENTS)
            )
            count = options.jobs or os.cpu_count() or 1
            making = not self.state.outputs and not options.model_only
            if making and self._snapshot is None:
                self._lent = self._lent_state()
            if early and count > 1 and making and self._lent is None and forks.can_fork():
                # Before the pool: its thread would forbid the fork. (A build with outputs
                # kept from before makes only the cards that changed.)
                self._early_cards = _EarlyCards()
            self._workers = _Workers(count, early=early)
            return self._build(sources, started)
        finally:
            self._lent = None
            self._workers.close()
            self._collector.restore()
            if self._early_cards is not None:
                self._early_cards.close()
                self._early_cards = None

    def keep_for_next_run(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """Keep a preview's last full build in its folder, as a CLI build keeps its own in
        the cache folder; True once it is kept (or there is nothing to keep).

        The preview calls this while no save waits, and ``stop`` says when one does: the
        work then stops within a few hundredths of a second and goes on the next time. Its
        model must be made before a quick build changes the snapshot (the quick build
        makes it first otherwise); the rest may wait: the outputs quick builds write
        meanwhile are listed with it, and made again by the next run.

        The rendered Markdown goes into the cache folder's store, which CLI builds share:
        a preview run after them needs none of it rendered, and they need none of what a
        preview rendered."""
        if self.kept is None:
            return True
        if not self._make_model(stop):
            return False
        if self._unwritten is None:
            return True
        state = self.state
        if not self._store_bodies(state.markdown, stop) or stop():
            return False
        # As a CLI build keeps its state: the bodies in the store, the readings without
        # their text, the model as tokens.
        readings = {name: (seen, p.kept_copy()) for name, (seen, p) in self.read_cache.items()}
        kept = replace(
            state,
            markdown={},
            model=self._unwritten,
            read_settings=self._read_settings,
            readings=readings,
        )
        self.kept.save(kept, rewritten=self._rewritten())
        self._earlier, self._unwritten = (state.settings, self._unwritten), None
        return True

    def _lent_state(self) -> State | None:
        """For a first build with nothing kept of its own, what the other kind of build
        kept (without its readings): a preview's, the last CLI build's; a CLI build's, the
        preview's. The social cards it wrote with the same inputs are copied from its
        output folder, not drawn again (a fifth of a build's work). None when there is no
        such build, or the outputs quick builds rewrote since are not known."""
        if not self.options.use_cache:
            return None
        if self.options.preview:
            state = cache_module.load_state(self.site_dir, readings=False)
            again = quick.rewritten(self.site_dir)
            if "*" in again:
                return None
            cache_module.make_again(state, again)
        else:
            # The outputs its saves rewrote are marked as its own next run marks them.
            state = PreviewFolder.peek(self.site_dir) or State()
        if not state.outputs or not isinstance(state.model, Kept):
            return None
        return state if os.path.isdir(state.output) else None

    @staticmethod
    def _lent_cards(cli: State, plan: list[routes.Route]) -> tuple[State, dict[str, bytes]]:
        """The other build's records of the outputs that outlive other settings (social
        cards), as a state of its output folder, and their recipes."""
        whole = {route.file for route in plan if route.whole}
        outputs = {rel: old for rel, old in cli.outputs.items() if rel in whole}
        recipes = {rel: cli.model.recipes[rel] for rel in outputs if rel in cli.model.recipes}
        return State(output=cli.output, outputs=outputs), recipes

    def _make_model(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """The last full build's model as it is kept, made from its snapshot (unless it
        is made already); False when ``stop`` said to stop first."""
        if self._unsaved is None:
            return True
        snapshot, judge = self._unsaved
        earlier = None
        if self._earlier is not None and self._earlier[0] == self.state.settings:
            earlier = self._earlier[1]
        model = Kept.of(snapshot, judge, earlier=earlier, stop=stop)
        if model is None:
            return False
        self._unsaved, self._unwritten = None, model
        return True

    def _rewritten(self) -> set[str]:
        """The outputs quick builds wrote since the last full build."""
        journal = self.resident.journal if self.resident is not None else None
        return set(journal.rewritten) if journal is not None else set()

    def _store_bodies(
        self, bodies: Mapping[str, markdown.Rendered], stop: Callable[[], bool]
    ) -> bool:
        """Add to the cache folder's Markdown store the bodies it does not hold yet; False
        when ``stop`` said to stop first (what was added stays)."""
        try:
            store = cache_module.MarkdownStore(self.site_dir)
        except (OSError, sqlite3.Error) as exc:
            log.debug("markdown cache unavailable: %s", exc)
            return True
        try:
            missing = store.missing([key for key, body in bodies.items() if body is not None])
            for start in range(0, len(missing), 500):
                if stop():
                    return False
                store.add({key: bodies[key] for key in missing[start : start + 500]})
        except sqlite3.Error as exc:
            log.debug("could not write the markdown cache: %s", exc)
        finally:
            store.close()
        return True

    def _quick(self, resident: quick.Resident, changed: Iterable[str]) -> BuildResult | None:
        """A preview's quick build, or None (the full way)."""
        if self.kept is not None:
            # Made before this build patches the snapshot, if the preview has had no idle
            # time for it since the full build (once: up to a second at 10,000 essays).
            self._make_model()
        result = quick.build_resident(self.site_dir, self.options, self.reporter, resident, changed)
        if result is not None and self.kept is not None:
            self.kept.note(self._rewritten())
        if resident.journal is not None and self._snapshot is not None:
            # Outputs a quick build rewrote read what their recorded reads may not say:
            # the next full build makes them again (without a recipe, one is new).
            for rel in resident.journal.rewritten:
                self._snapshot.recipes.pop(rel, None)
        return result

    def _build(self, sources: uptodate.Sources | None, started: float) -> BuildResult:
        options, reporter, site_dir = self.options, self.reporter, self.site_dir
        step = _Timer(reporter)

        with step("config"):
            loaded = config_module.load(site_dir)
            config = self._override_base_url(loaded.config)
            out_dir = options.output or Path(config.output)
            out_dir = (site_dir / out_dir) if not out_dir.is_absolute() else out_dir
            check_target(out_dir, site_dir)
            now = options.now or build_time(config.tz)
            config_fp = fingerprint(config)

        with step("theme"):
            site_theme = theme.Theme(site_dir, config)
            templates = cache_module.files_digest(site_theme.template_dirs)
            env = self._environment(site_theme, templates, config_fp)
            cards = social_cards(site_theme, config)
            early_cards = None
            if self._early_cards:
                early_cards = functools.partial(self._early_cards.start, cards, out_dir)

        self._collector.pause()
        with step("content"):
            if config_fp != self._read_settings:
                # Every file is read again, but a rendered body stays valid while the
                # Markdown settings are the same (a new site title renders no Markdown).
                if self._read_config is not None:
                    self.state.markdown = self._rendered_bodies(self._read_config)
                self.read_cache.clear()
                self._read_settings, self._read_config = config_fp, config
            markdown_cache: dict[str, markdown.Rendered] = {}
            result = BuildResult(output=out_dir)
            rendering = _Rendering(self, config, markdown_cache, result)
            with contextlib.closing(rendering):
                content = loader.load(
                    site_dir,
                    config,
                    now=now,
                    drafts=options.drafts,
                    future=options.future,
                    preview=options.preview,
                    # Kept by a preview and by builds with a cache folder; a build with --clean
                    # lets every reading go as soon as the model is made.
                    read_cache=self.read_cache if options.preview or self.persist else None,
                    keep_text=options.preview,
                    for_disk=self.persist,
                    known=sources.files if sources is not None else None,
                    memo=self.related_memo,
                    render_all=rendering.start,
                    on_shown=early_cards,
                )
            site = content.site

        _release_free_memory()
        with step("embeds"):
            memo = self._embeds_memo if options.preview else None
            embeds.resolve(site, env, site_dir, site.contact_url, memo)

        warnings = [*loaded.warnings, *content.warnings]
        if options.model_only:
            result.site, result.warnings = site, warnings
            return result

        _release_free_memory()
        with step("routes"):
            plan = routes.plan(site, content.menu, cards)
        self._collector.settle()

        with step("urls"):
            produced = published_paths(plan, site)
            history = published.read(site_dir) if options.record_urls else []
            aliases = {a for e in site.essays for a in e.aliases}
            lost = published.lost([u for u in history if u not in aliases], produced)
            warnings += lost
        # Not the templates: a page is made again when one its template may load changed
        # (Changes.templates).
        settings = digest(
            __version__,
            config_fp,
            repr(options.preview),
            repr(options.drafts),
            repr(options.future),
        )
        same_output = self.state.output == str(out_dir)
        previous = self.state if (self.state.settings == settings and same_output) else State()
        # Outputs whose inputs name all they depend on (social cards) outlive other
        # settings: the last build's records of those in this output folder still hold,
        # and a first build with nothing of its own takes those of the other kind's.
        lasting = self.state if same_output else previous
        lent_recipes: dict[str, bytes] | None = None
        if self._lent is not None and not lasting.outputs:
            # Its cards only: the rest of it is not needed.
            lasting, lent_recipes = self._lent_cards(self._lent, plan)
            self._lent = lasting
        else:
            self._lent = None
        snapshot = Snapshot.of(site, content.menu, content.digests)
        if self.record_reads:  # not for a build that no later one compares with (--clean)
            snapshot.templates, snapshot.template_files = (
                self._template_digests(env, plan, templates),
                templates,
            )
        # What changed since the last build, object by object. What the cache folder kept
        # is only good for the same settings (it trusts unchanged files' fields): then
        # only its outputs' recipes are, for the outputs that outlive the settings.
        old = self._snapshot if self._snapshot is not None else Snapshot()
        if isinstance(old, Kept) and previous is not self.state:
            old = Kept(recipes=old.recipes)
        elif lent_recipes is not None:
            old = Kept(recipes=lent_recipes)
        judge = Changes(old, snapshot)
        records: dict[str, OutputRecord] = {}
        # What the output folder holds: the preview's is its own, it knows every file there
        # without looking; a CLI build knows what the last one wrote, unless that one
        # stopped while moving files into place (then the folder is walked).
        applying = site_dir / cache_module.CACHE_DIR / "applying"
        known = (
            set(previous.outputs) | set(self.state.static)
            if (not self.persist and not self._outputs_unseen)
            or (self.persist and previous.outputs and not applying.exists())
            else None
        )
        stage = Stage(
            out_dir,
            update=bool(previous.outputs),
            known=known,
            trusted=not self.persist and not self._outputs_unseen,
            root=self._early_cards.take() if self._early_cards else None,
        )
        try:
            with step("render"):
                self._render_routes(
                    plan, site, env, stage, previous, lasting, records, result, judge
                )

            with step("static"):
                static_warnings = stage.copy_static(
                    site_theme.static_dirs, site_dir, self.state.static if same_output else None
                )
                warnings += static_warnings

            with step("check"):
                links = link_problems(site, stage.files)
                warnings += [p for found in links.values() for p in found]

            for warning in warnings:
                reporter.warning(warning)
            if options.strict and warnings:
                raise StrictError.of(warnings)
            # A preview started again that found every output as it kept it: what it
            # kept stays true, and is not written again (half a second at 10,000 essays).
            as_kept = (
                self._outputs_unseen
                and previous is self.state
                and result.rendered == 0
                and result.markdown_rendered == 0
                and records.keys() == previous.outputs.keys()
                and stage.static == previous.static
            )
            with step("write"):
                if self.persist:
                    # What quick builds would start from stops being true here.
                    quick.forget(site_dir)
                    # A cache folder that cannot be written is only a slower next build.
                    with contextlib.suppress(OSError):
                        applying.parent.mkdir(parents=True, exist_ok=True)
                        applying.touch()
                if self.kept is not None and not as_kept:
                    # What the preview kept stops being true here (not before: a build
                    # that fails leaves the output folder as it was).
                    self.kept.forget()
                    self._unsaved = self._unwritten = None
                stage.commit()
            self._outputs_unseen = False
        except BaseException:
            if self._early_cards is not None:
                self._early_cards.close()  # no card written into the stage any more
            stage.discard()
            raise
        if options.record_urls and not (options.drafts or options.future or options.preview):
            published.record(site_dir, history, produced)

        # This build's warnings by where they came from, for quick builds to update.
        warning_parts = {
            "config": list(loaded.warnings),
            "content": list(content.warnings),
            "lost": lost,
            "static": static_warnings,
            "links": links,
        }

        def keep_state() -> None:
            """What the next build compares with and trusts: in this process."""
            before = self.state
            self._snapshot = Kept.of(snapshot, judge) if self.persist else snapshot
            self.state = State(
                output=str(out_dir),
                settings=settings,
                outputs=records,
                markdown=markdown_cache,
                static=stage.static,
                related=self.related_memo,
                model=self._snapshot if self.persist else None,
                read_settings=self._read_settings if self.persist else "",
                readings=self.read_cache if self.persist else {},
            )
            if self.persist and not _same_state(before, self.state, result):
                with step("cache"):
                    cache_module.save_state(site_dir, self.state)
            if self.persist:
                with contextlib.suppress(OSError):
                    applying.unlink(missing_ok=True)
            if self.persist and sources is not None:
                files = {rel: (r.size, r.mtime_ns) for rel, r in records.items()}
                files.update({rel: (r.out_size, r.out_mtime_ns) for rel, r in stage.static.items()})
                uptodate.record(
                    site_dir,
                    options_key,
                    sources.digest,
                    valid_until=valid_until,
                    output=out_dir.resolve(),
                    files=files,
                    warnings=warnings,
                    pages=result.pages,
                    feeds=result.feeds,
                )
                sources.save(site_dir)

        def keep_model() -> None:
            """What quick builds start from (passivepress.quick). Whatever goes wrong here
            costs the next build its quick way, never this build, which is done."""
            assert sources is not None
            with contextlib.suppress(Exception):
                quick.keep(
                    site_dir,
                    site=site,
                    menu=content.menu,
                    plan=plan,
                    records=records,
                    static=stage.static,
                    readings=self.read_cache,
                    digests=content.digests,
                    sources=sources,
                    options_key=options_key,
                    output=out_dir.resolve(),
                    valid_until=valid_until,
                    markdown_settings=_markdown_settings(config),
                    bytecode=self._bytecode,
                    warnings=warning_parts,
                    pages=result.pages,
                    feeds=result.feeds,
                )

        options_key = records_key(self.site_dir, options)
        valid_until = content.next_change.timestamp() if content.next_change else None
        if options.preview:
            keep_state()
            if self.kept is not None and not as_kept:
                self._unsaved = (snapshot, judge)
            # What quick builds of the next saves start from (made when one needs it).
            self.resident = quick.Resident(
                site=site,
                menu=list(content.menu),
                env=env,
                make=functools.partial(
                    quick.index,
                    site=site,
                    plan=plan,
                    records=records,
                    static=stage.static,
                    readings=self.read_cache,
                    content=dict(content.digests),
                    output=out_dir,
                    valid_until=valid_until,
                    markdown_settings=_markdown_settings(config),
                    warnings=warning_parts,
                    pages=result.pages,
                    feeds=result.feeds,
                    ident=f"preview-{id(self)}-{time.time_ns()}",
                ),
            )
        elif not (self.persist and sources is not None):
            keep_state()
        elif len(records) >= PARALLEL_MIN_DOCUMENTS and self._workers.fork_ready():
            # Both take long for a big site, and neither needs the other: the model is
            # kept by a forked copy of this process meanwhile. Keeping makes hundreds of
            # thousands of objects (the index of what each output read), for which the
            # collector walked every record and read of the build again and again (at
            # 10,000 essays, keeping the model for quick builds took 1.03 s instead of
            # 0.87 s); it is paused meanwhile, and collects any cycles after.
            with step("keep"), cache_module.collector_paused():
                forks.together(keep_state, keep_model)
        else:
            with cache_module.collector_paused():
                keep_state()
                with step("keep"):
                    keep_model()
        result.files = len(stage.files)
        result.warnings = warnings
        result.site = site
        result.seconds = time.perf_counter() - started
        return result

    # -- the steps ----------------------------------------------------------------------

    def _override_base_url(self, config: config_module.Config) -> config_module.Config:
        url = self.options.base_url
        if not url:
            return config
        wrong = config_module.base_url_problem(url)
        if wrong:
            raise ConfigError(Problem(f"'base_url' {wrong}", "--base-url"))
        return config_module.with_base_url(config, url)

    def _template_digests(
        self, env: theme.TrackingEnvironment, plan: list[routes.Route], templates: str
    ) -> dict[str, str]:
        """theme.template_digests of the plan's page templates: the last build's while no
        template file changed (parsing them all takes longer than a small build)."""
        names = sorted({route.template for route in plan if route.template is not None})
        kept = self._snapshot
        if (
            kept is not None
            and kept.template_files == templates
            and set(names) <= kept.templates.keys()
        ):
            return {name: kept.templates[name] for name in names}
        return theme.template_digests(env, names, templates)

    def _environment(
        self, site_theme: theme.Theme, templates: str, config_fp: str
    ) -> theme.TrackingEnvironment:
        key = digest(templates, config_fp, *map(str, site_theme.template_dirs))
        if self._env is None or key != self._env_key:
            bytecode = None
            if self.persist:
                # Jinja folds filters of constants ("/css/a.css"|url) into the compiled
                # code, so compiled templates are kept per configuration.
                bytecode = (
                    self.site_dir / cache_module.CACHE_DIR / "templates" / digest(config_fp)[:16]
                )
                try:
                    bytecode.mkdir(parents=True, exist_ok=True)
                    for stale in bytecode.parent.iterdir():
                        if stale != bytecode:
                            shutil.rmtree(stale, ignore_errors=True)
                except OSError as exc:  # no cache folder is only a slower build
                    log.debug("compiled templates not kept: %s", exc)
                    bytecode = None
            self._env, self._env_key = site_theme.environment(bytecode), key
            self._bytecode = bytecode
            self._embeds_memo = {}  # made with the old templates or configuration
        return self._env

    def _rendered_bodies(self, config: config_module.Config) -> dict[str, markdown.Rendered]:
        """What the read cache holds rendered, by the key :class:`_Rendering` looks up."""
        settings = _markdown_settings(config)
        return {
            markdown_key(settings, item.site_path, item.body_key): item.rendered
            for _, item in self.read_cache.values()
            if item.rendered is not None
        }

    def _render_routes(
        self,
        plan: list[routes.Route],
        site: Site,
        env: theme.TrackingEnvironment,
        stage: Stage,
        previous: State,
        lasting: State,
        records: dict[str, OutputRecord],
        result: BuildResult,
        judge: Changes,
    ) -> None:
        """Render what changed and keep the rest. ``judge`` says what changed, by comparing
        with the previous model (the preview's in memory, or what the cache folder kept).
        ``previous``: the last build's state if it had the same settings; ``lasting``: its
        state if it wrote the same output folder (see Route.whole)."""
        known = previous.outputs if previous.output else {}
        whole = lasting.outputs if lasting.output else {}
        todo: list[routes.Route] = []
        for route in plan:
            rel, old = route.file, known.get(route.file)
            if route.template is not None:
                result.pages += 1
                if (
                    old
                    and judge.page_unchanged(route, old)
                    and self._reuse(stage, lasting, rel, old, route, records)
                ):
                    continue
                judge.will_render(route)
            else:
                result.feeds += route.kind == "feed"
                if old is None and route.whole:
                    old = whole.get(rel)
                if not judge.output_changed(route, old) and self._reuse(
                    stage, lasting, rel, old, route, records
                ):
                    continue
            todo.append(route)
        for route in todo:
            stage.claim(route.file, route.origin)

        render = _Renderer(self, site, env, stage, todo)
        workers = self._workers
        early = self._early_cards if self._early_cards and self._early_cards.started else None
        cards = early.files if early is not None else set()
        if len(todo) >= PARALLEL_MIN_DOCUMENTS and workers.count > 1 and workers.fork_ready():
            # The model is made: forked copies of this process render the outputs with
            # it, with nothing sent to them, taking chunks of them as they go. The first
            # page of each template is rendered here first, so the copies find every
            # template compiled.
            first: dict[str | None, int] = {}
            for i, route in enumerate(todo):
                first.setdefault(route.template, i)
            primer = sorted(i for template, i in first.items() if template is not None)
            outcomes = [render([primer])]
            if outcomes[0].failed is None:
                primed = set(primer)
                # Early cards are taken on once all are made (below).
                rest = [
                    i for i, route in enumerate(todo) if i not in primed and route.file not in cards
                ]
                render.split(workers.count)
                result.processes = workers.count

                def share(deck: forks.Deck[int]) -> _Share:
                    done = render(deck)
                    if early is not None and done.failed is None:
                        done.cards = early.help()
                    return done

                with forks.Deck(rest) as deck:
                    outcomes += forks.together(*[functools.partial(share, deck)] * workers.count)
            if early is not None and not any(o.failed for o in outcomes):
                render.made = dict.fromkeys(early.finish(o.cards for o in outcomes))
        else:
            # Slow outputs (social cards) are started on the other cores first and
            # collected last, so they are made while this process renders the pages.
            if early is not None:
                render.made = dict.fromkeys(early.finish(()))
            else:
                render.made = self._start_in_parallel(todo, stage.root)
            order = sorted(range(len(todo)), key=lambda i: todo[i].file in render.made)
            try:
                outcomes = [render([order])]
            finally:
                for future in render.made.values():
                    if future is not None:
                        future.cancel()  # after an error; the build's end stops the workers

        failures = [o.failed for o in outcomes if o.failed is not None]
        done = {i: made for outcome in outcomes for i, made in outcome.made.items()}
        if not failures and len(done) < len(todo):
            # What a forked copy took and never answered for (it died): made here; and
            # the early cards, all made, taken on.
            lost = render([[i for i in range(len(todo)) if i not in done]])
            done.update(lost.made)
            failures = [lost.failed] if lost.failed is not None else []
        if failures:
            raise min(failures, key=lambda failed: failed[0])[1]
        for i, route in enumerate(todo):
            record, staged = done[i]
            records[route.file] = record
            if staged:
                stage.staged.append(route.file)
            result.rendered += 1
            self.reporter.rendered(route.path)
        self.reporter.progress(len(plan), len(plan))

    def _start_in_parallel(
        self, todo: list[routes.Route], stage_root: Path
    ) -> dict[str, Future[None]]:
        """Start making the slow outputs (social cards) among ``todo`` on all cores."""
        slow = [route for route in todo if route.job]
        if len(slow) < PARALLEL_MIN_DOCUMENTS or self._workers.count < 2:
            return {}
        pool = self._workers.pool()
        return {
            route.file: pool.submit(_write_card, route.job(), str(stage_root / route.file))
            for route in slow
        }

    def _reuse(
        self,
        stage: Stage,
        previous: State,
        rel: str,
        old: OutputRecord | None,
        route: routes.Route,
        records: dict[str, OutputRecord],
    ) -> bool:
        if old is None:
            return False
        if previous is self._lent:
            # Another output folder, which lives on (_site's cards for a preview's first
            # run, the preview's for a first CLI build): copied, not linked, so that what
            # anything later writes into either folder stays there.
            st = stage.copy_in(rel, route.origin, old.size, old.mtime_ns, previous.output)
            if st is None:
                return False
            records[rel] = OutputRecord(old.deps, st.st_size, st.st_mtime_ns)
            return True
        if not stage.keep(rel, route.origin, old.size, old.mtime_ns, previous.output):
            return False
        records[rel] = old
        return True


def build(
    site_dir: Path,
    options: BuildOptions | None = None,
    reporter: Reporter | None = None,
    sources: uptodate.Sources | None = None,
) -> BuildResult:
    """Build the site in ``site_dir`` once (``sources``: see :meth:`Builder.build`).

    With ``sources`` (the CLI's), a build that keeps a cache takes the quick way when only
    a few essays, books or pages changed (:mod:`passivepress.quick`), the full one else.
    """
    options = options or BuildOptions()
    reporter = reporter or Reporter()
    if sources is not None and options.use_cache and not options.preview:
        key = records_key(site_dir, options)
        done = quick.build(site_dir.resolve(), options, reporter, sources, key)
        if done is not None:
            return done
    return Builder(site_dir, options, reporter, once=True).build(sources)


def records_key(site_dir: Path, options: BuildOptions) -> str:
    """:func:`uptodate.options_key` of a build of ``site_dir`` with ``options``: what its
    records (the up-to-date record, the model kept for quick builds) are kept under."""
    return uptodate.options_key(
        site_dir,
        options.output,
        options.drafts,
        options.future,
        options.base_url,
        options.record_urls,
    )


def social_cards(site_theme: theme.Theme, config: config_module.Config) -> routes.CardMaker:
    """Social-card images in the theme's colours and font, for essays that give no image.

    Pillow is imported only when a card has to be made: a build whose cards are all up to
    date never loads it.
    """
    stylesheet = site_theme.stylesheet
    stylesheet_digest = digest(stylesheet)
    font = str(site_theme.card_font) if site_theme.card_font else None
    font_digest = digests.hex_of(Path(font).read_bytes()) if font else ""
    # A site named after its author shows the name once.
    site_name = "" if config.title == config.author.name else config.title
    made: dict[str, Any] = {}

    def job(essay: Essay) -> tuple:
        if "colours" not in made:
            from passivepress import social

            made["colours"] = social.CardColours.from_css(stylesheet)
        return (essay.title, config.author.name, site_name, made["colours"], font)

    def inputs(essay: Essay) -> tuple[str, ...]:
        if "pillow" not in made:
            import PIL  # the package's version only: drawing is loaded when a card is made

            from passivepress.deflate import NAME

            made["pillow"], made["deflate"] = PIL.__version__, NAME
        return (
            essay.title,
            config.author.name,
            site_name,
            stylesheet_digest,
            font_digest,
            made["pillow"],
            made["deflate"],
        )

    return routes.CardMaker(lambda essay: _make_card(job(essay)), inputs, job)


def _write_card(job: tuple, path: str, before: str | None = None) -> None:
    """In a worker process: make a card and write it where the stage expects it (sending
    ten thousand images back to the main process would only hold them in its memory).
    ``before``: the output folder's card, linked there instead if it has the same bytes."""
    data = _make_card(job)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if before is None or link_if_holding(before, path, data) is None:
        with open(path, "wb") as fh:
            fh.write(data)


def _make_card(job: tuple) -> bytes:
    from passivepress import social

    title, author, site, colours, font = job
    return social.card(title, author, site, colours=colours, font_path=font)


DISCLOSURE_SLOT = "<!--passivepress:affiliate-disclosure-->"


def disclose(page: str, disclosure: str) -> str:
    """Fill the theme's disclosure slot on pages that show an affiliate link; drop it elsewhere.

    Decided on the finished page, so it holds whatever showed the link: a book card, a
    shop link in the text, a template of the site's own.
    """
    if DISCLOSURE_SLOT not in page:
        return page
    note = ""
    if 'rel="sponsored' in page and disclosure:
        note = f'<p class="affiliate-disclosure">{html.escape(disclosure)}</p>'
    return page.replace(DISCLOSURE_SLOT, note, 1).replace(DISCLOSURE_SLOT, "")


# Listing pages whose URL is part of the site's address book, besides every content page.
_MAIN_URLS = frozenset({"/", "/essays/", "/books/", "/tags/", "/feed.xml", "/atom.xml"})


def published_paths(plan: list[routes.Route], site: Site) -> dict[str, str]:
    """URLs readers may have kept, each with the file that makes it: content pages, their
    aliases, the main listings and feeds; not paginated or tag pages, not drafts."""
    unpublished = {str(e.source) for e in site.essays if e.draft or e.future}
    unpublished |= {str(p.source) for p in site.pages if p.draft}
    out = {}
    for route in plan:
        if route.sources and route.kind in ("page", "redirect"):
            if route.sources[0] not in unpublished:
                out[route.path] = route.sources[0]
        elif route.path in _MAIN_URLS:
            out[route.path] = route.origin
    return out


def check_links(site: Site, files: Mapping[str, Any]) -> list[Problem]:
    """Internal links, anchors and images in content that lead to nothing on the built site.

    Links in Markdown are written from the site's root (``/essays/x/``); passivepress puts
    them under the base path. A link that already includes the base path is therefore
    broken, and the hint says so.
    """
    return [p for found in link_problems(site, files).values() for p in found]


def link_problems(
    site: Site, files: Mapping[str, Any], items: Sequence[Essay | Book | Page] | None = None
) -> dict[str, list[Problem]]:
    """:func:`check_links` by item key (of ``items`` only, when given), in the site's order;
    items without broken links are left out."""
    out: dict[str, list[Problem]] = {}
    base_path = site.config.base_path
    # Items by output file, made when a link to a heading needs them; their ids read only
    # then (most of a quick build's model stays packed, see passivepress.quick).
    by_file: dict[str, Any] = {}

    def item_at(target: str) -> Any:
        if not by_file:
            by_file.update(
                (output_path(item.path), item) for item in (*site.essays, *site.books, *site.pages)
            )
        return by_file.get(target)

    for item in (*site.essays, *site.books, *site.pages) if items is None else items:
        problems: list[Problem] = []
        for link, line in item.body_links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            if not parts.path:  # '#section' on the same page
                # '#top' needs no element: browsers scroll to the top of the page for it.
                if parts.fragment and parts.fragment != "top" and parts.fragment not in item.ids:
                    problems.append(
                        Problem(
                            f"broken link: no heading with id '{parts.fragment}' on this page",
                            str(item.source),
                            line,
                            hint="heading ids are the heading text in lowercase, words joined by -",
                        )
                    )
                continue
            if not parts.path.startswith("/"):
                continue
            path = unquote(parts.path)
            target = output_path(path)
            if target not in files and output_path(path + "/") in files:
                target = output_path(path + "/")
            if target not in files:
                hint = "check the spelling; essays live at /essays/<slug>/"
                if base_path != "/" and path.startswith(base_path):
                    inner = "/" + path[len(base_path) :]
                    hint = (
                        f"write links from the site's root, as {inner}: passivepress adds "
                        f"{base_path.rstrip('/')} itself"
                    )
                problems.append(
                    Problem(
                        f"broken link: nothing on the site at {link}",
                        str(item.source),
                        line,
                        hint=hint,
                    )
                )
            elif (
                parts.fragment
                and parts.fragment != "top"
                and item_at(target) is not None
                and parts.fragment not in item_at(target).ids
            ):
                problems.append(
                    Problem(
                        f"broken link: {parts.path} has no heading with id '{parts.fragment}'",
                        str(item.source),
                        line,
                    )
                )
        if problems:
            out[item.key] = problems
    return out
