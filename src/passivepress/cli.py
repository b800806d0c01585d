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
from passivepress.errors import PassivepressError, Problem
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

    def progress(self, done: int, total: int) -> None:
        # Only long builds get a bar; a short one would just flicker.
        if not self.bar or total < 300:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // total
        self.stream.write(f"\r  rendering [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
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
    from passivepress.build import BuildOptions, build

    result = build(
        Path(args.site_dir),
        BuildOptions(
            output=Path(args.output) if args.output else None,
            drafts=args.drafts,
            future=args.future,
            base_url=args.base_url,
            strict=args.strict,
            use_cache=not args.clean,
            jobs=args.jobs,
        ),
        ConsoleReporter(args.verbose, args.quiet),
    )
    log.debug("%d outputs rendered, the others were unchanged", result.rendered)
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
    build.add_argument("-o", "--output", metavar="DIR", help="output folder (default: _site)")
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
        help="processes rendering Markdown (default: all cores)",
    )
    _add_common(build)
    build.set_defaults(func=_cmd_build)
    return parser


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
