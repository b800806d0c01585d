"""The ``passivepress`` command: parse arguments, run a command, turn errors into messages.

Exit codes: 0 success, 1 the site's content or templates are wrong (or --strict found
warnings), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar, TextIO

from passivepress import __version__
from passivepress.errors import PassivepressError, Problem, StrictError
from passivepress.report import Reporter

log = logging.getLogger("passivepress")


class ConsoleReporter(Reporter):
    """Warnings as they come, a progress bar on a terminal, step timings with --verbose.

    When stderr is not a terminal (CI logs), output is plain lines without escape codes.
    """

    def __init__(self, verbose: bool = False, quiet: bool = False, stream: TextIO | None = None):
        self.verbose = verbose
        self.stream = stream or sys.stderr
        self.bar = not quiet and _is_terminal(self.stream)
        self._last = 0.0
        self._shown = False

    def step(self, name: str, seconds: float) -> None:
        self._clear()
        if self.verbose:
            log.info("  %-8s %7.1f ms", name, seconds * 1000)

    def warning(self, problem: Problem) -> None:
        self._clear()
        log.warning("warning: %s", problem)

    def progress(self, done: int, total: int, doing: str = "rendering") -> None:
        # Only long builds get a bar; a short one would just flicker.
        if not self.bar or total < 300:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // total
        self.stream.write(f"\r  {doing} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self._shown = True

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self._shown = False


def _is_terminal(stream: TextIO) -> bool:
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class _Formatter(logging.Formatter):
    """'error:' in red and 'warning:' in yellow on a terminal; plain text elsewhere."""

    COLOURS: ClassVar[dict[str, str]] = {"error:": "\033[31m", "warning:": "\033[33m"}

    def __init__(self, colour: bool) -> None:
        super().__init__("%(message)s")
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.colour:
            for prefix, code in self.COLOURS.items():
                if text.startswith(prefix):
                    return f"{code}{prefix}\033[0m{text[len(prefix) :]}"
        return text


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    colour = _is_terminal(sys.stderr) and "NO_COLOR" not in os.environ
    handler.setFormatter(_Formatter(colour))
    root = logging.getLogger("passivepress")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _add_common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    group.add_argument(
        "-v", "--verbose", action="store_true", help="also print the time each build step took"
    )
    parser.add_argument(
        "--debug", action="store_true", help="show a Python traceback for errors (for bug reports)"
    )


def _cmd_build(args: argparse.Namespace) -> int:
    from passivepress import clock, uptodate

    site_dir = Path(args.site_dir).resolve()
    output = Path(args.output).resolve() if args.output else None
    reporter = ConsoleReporter(args.verbose, args.quiet)
    sources = None
    if not args.clean:
        # Before the pipeline is even imported: a build with nothing to do ends here.
        started = time.perf_counter()
        sources = uptodate.scan(site_dir, look_at_output=True)
        key = uptodate.options_key(site_dir, output, args.drafts, args.future, args.base_url, True)
        done = uptodate.check(site_dir, key, sources.digest, clock.now_epoch(), sources.written)
        if done is not None:
            sources.save(site_dir)
            for warning in done.warnings:
                reporter.warning(warning)
            if args.strict and done.warnings:
                raise StrictError.of(done.warnings)
            log.debug("nothing changed since the last build: its output is current")
            log.info(
                "Built %d pages, %d feeds in %.2f s → %s (nothing changed)",
                done.pages,
                done.feeds,
                time.perf_counter() - started,
                _shown(done.output),
            )
            return 0

    from passivepress.build import BuildOptions, build

    try:
        result = build(
            site_dir,
            BuildOptions(
                output=output,
                drafts=args.drafts,
                future=args.future,
                base_url=args.base_url,
                strict=args.strict,
                use_cache=not args.clean,
                jobs=args.jobs,
            ),
            reporter,
            sources,
        )
    finally:
        if sources is not None and sources.written is not None:
            sources.written.close()  # the copy looking at the output, if still running
    global _done_building
    _done_building = True
    log.debug(
        "%d outputs rendered, the others were unchanged%s",
        result.rendered,
        " (the quick way: only files in content/ changed)" if result.quick else "",
    )
    log.info(
        "Built %d pages, %d feeds in %.2f s → %s",
        result.pages,
        result.feeds,
        result.seconds,
        _shown(result.output),
    )
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# -- serve (issue 3) ---------------------------------------------------------------------


def _cmd_serve(args: argparse.Namespace) -> int:
    from passivepress.serve import ServeOptions, run

    options = ServeOptions(
        host=args.host,
        port=args.port,
        drafts=not args.no_drafts,
        future=not args.no_future,
        keep=not args.temporary,
    )
    try:
        run(Path(args.site_dir), options, ConsoleReporter(args.verbose, args.quiet), args.open)
    except KeyboardInterrupt:
        log.info("Stopped.")
    return 0


def _add_serve_command(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve",
        help="preview the site; pages reload on every save",
        description="Build the site into .passivepress/preview/, serve it on this computer "
        "and rebuild on every save; open pages reload by themselves. Drafts and future essays "
        "are shown. A broken file shows its error in the page and here; the server keeps "
        "running. Stop it with Ctrl-C. Started again, it makes only what changed meanwhile.",
    )
    serve.add_argument(
        "site_dir",
        nargs="?",
        default=".",
        metavar="SITE_DIR",
        help="folder holding passivepress.yml (default: current folder)",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only; "
        "0.0.0.0 lets other devices on your network see your drafts)",
    )
    serve.add_argument("-p", "--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--no-drafts", action="store_true", help="leave out essays marked draft")
    serve.add_argument(
        "--no-future", action="store_true", help="leave out essays dated in the future"
    )
    serve.add_argument("--open", action="store_true", help="open the site in a web browser")
    serve.add_argument(
        "--temporary",
        action="store_true",
        help="build into a temporary folder, removed when the server stops, and keep nothing "
        "for the next run",
    )
    _add_common(serve)
    serve.set_defaults(func=_cmd_serve)


# -- init, new, check (issue 5) ---------------------------------------------------------


def _cmd_init(args: argparse.Namespace) -> int:
    from passivepress.scaffold import init

    target = Path(args.dir)
    created = init(target, force=args.force, host=args.host)
    for path in created:
        log.info("  created %s", _shown(path))
    log.info(
        "Created %d files in %s. Next: cd %s, edit passivepress.yml, and run "
        "'passivepress serve' to see the site.",
        len(created),
        _shown(target),
        _shown(target),
    )
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from passivepress.scaffold import new

    path = new(Path(args.site), args.kind, args.title)
    # Only the path on stdout, so that `$EDITOR "$(passivepress new essay ...)"` works.
    print(_shown(path))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from passivepress.check import check

    report = check(
        Path(args.site_dir),
        external=args.external,
        timeout=args.timeout,
        concurrency=args.concurrency,
        reporter=ConsoleReporter(args.verbose, args.quiet),
    )
    if args.format == "json":
        print(report.to_json())
    else:
        sys.stdout.write(report.to_text(errors_only=args.quiet))
    return report.exit_code


def _positive(kind: type) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return parse


def _add_starting_commands(commands: argparse._SubParsersAction) -> None:
    """``init``, ``new`` and ``check``: from nothing to a site, and keeping it correct."""
    from passivepress.scaffold import HOSTS, KINDS

    init = commands.add_parser(
        "init",
        help="create a new site, ready to publish",
        description="Create a complete, working site in DIR: passivepress.yml with every "
        "setting explained, a sample essay, book, about and contact pages, .gitignore, and "
        "what your host needs to build and publish it (GitHub Pages: a workflow that builds "
        "with --strict on every push and every morning). Refuses a folder that is not empty "
        "(exit code 2) unless --force; never overwrites a file.",
    )
    init.add_argument("dir", metavar="DIR", help="folder for the new site (created if needed)")
    init.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that is not empty: only missing files are written",
    )
    init.add_argument(
        "--host",
        choices=HOSTS,
        default="github",
        help="where the site will be published (default: github, i.e. GitHub Pages); "
        "netlify writes netlify.toml, cloudflare writes wrangler.toml and build.sh",
    )
    init.add_argument("--debug", action="store_true", help="show a Python traceback for errors")
    init.set_defaults(func=_cmd_init)

    new = commands.add_parser(
        "new",
        help="start a new essay, book or page",
        description="Write a new Markdown file with its front matter filled in and print its "
        "path: an essay (content/essays/DATE-SLUG.md, dated now in the site's time zone, "
        "marked draft: true), a book (content/books/SLUG.md) or a page "
        "(content/pages/SLUG.md). The slug comes from the title. Never overwrites a file "
        "(exit code 1).",
    )
    new.add_argument("kind", choices=KINDS, help="what to create")
    new.add_argument("title", metavar="TITLE", help='its title, in quotes: "My essay"')
    new.add_argument(
        "--site",
        default=".",
        metavar="SITE_DIR",
        help="folder holding passivepress.yml (default: current folder)",
    )
    new.add_argument("--debug", action="store_true", help="show a Python traceback for errors")
    new.set_defaults(func=_cmd_new)

    check = commands.add_parser(
        "check",
        help="list what to fix before publishing",
        description="Build the site into a temporary folder (or take the last build's "
        "output, when nothing changed since) and report, page by page, what hurts it: broken "
        "links and #anchors, missing images (errors); images without alt text, essays "
        "without a summary or tags, pages without a description, essays without a call to "
        "action, affiliate links without a disclosure, published URLs that are gone "
        "(warnings). Exit code 1 when there are errors, 0 otherwise; a build that fails "
        "exits as 'build' would.",
    )
    check.add_argument(
        "site_dir",
        nargs="?",
        default=".",
        metavar="SITE_DIR",
        help="folder holding passivepress.yml (default: current folder)",
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default, grouped by page) or json (for tools)",
    )
    check.add_argument(
        "--external",
        action="store_true",
        help="also try links to other sites (one request per address; failures are warnings)",
    )
    check.add_argument(
        "--timeout",
        type=_positive(float),
        default=10.0,
        metavar="S",
        help="seconds to wait for another site to answer (default: 10)",
    )
    check.add_argument(
        "--concurrency",
        type=_positive(int),
        default=8,
        metavar="N",
        help="requests to other sites at a time (default: 8)",
    )
    _add_common(check)
    check.set_defaults(func=_cmd_check)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="passivepress",
        description="Build a findable site of essays and books, with a call to get in touch "
        "on every page.",
        epilog="Run 'passivepress COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"passivepress {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser(
        "build",
        help="build the site into _site/",
        description="Build the site into its output folder (default SITE_DIR/_site). The "
        "previous output is replaced only when the build succeeds.",
    )
    build.add_argument(
        "site_dir",
        nargs="?",
        default=".",
        metavar="SITE_DIR",
        help="folder holding passivepress.yml (default: current folder)",
    )
    build.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="output folder, relative to the current folder (default: SITE_DIR/_site)",
    )
    build.add_argument("--drafts", action="store_true", help="include essays marked draft")
    build.add_argument("--future", action="store_true", help="include essays dated in the future")
    build.add_argument(
        "--base-url", metavar="URL", help="override base_url, e.g. for a preview deploy"
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too (broken links, unknown keys ...)",
    )
    build.add_argument(
        "--clean",
        action="store_true",
        help="ignore and do not write the cache in .passivepress/cache/",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="processes that render Markdown, pages and cards (default: all cores)",
    )
    _add_common(build)
    build.set_defaults(func=_cmd_build)
    _add_serve_command(commands)
    _add_starting_commands(commands)
    return parser


# Set by a finished build: the process may end without freeing what it made.
_done_building = False


def run() -> None:
    """The ``passivepress`` command. After a build the process ends at once, without
    freeing the model object by object on the way out (at 10,000 essays that took a tenth
    of a second or more; the system takes the memory back whole)."""
    code = main()
    # Not under a profiler or a coverage tracer: they write their reports on the way out.
    if _done_building and sys.getprofile() is None and sys.gettrace() is None:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _setup_logging(getattr(args, "quiet", False), getattr(args, "verbose", False))
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except PassivepressError as exc:
        if args.debug:
            raise
        for problem in exc.problems:
            log.error("error: %s", problem)
        count = len(exc.problems)
        if count > 1:
            log.error("%d problems; nothing was written.", count)
        else:
            log.error("Nothing was written.")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
