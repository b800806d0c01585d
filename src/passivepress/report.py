"""How the builder tells the outside world what it is doing (the CLI decides how it looks)."""

from __future__ import annotations

import logging

from passivepress.errors import Problem

log = logging.getLogger("passivepress")


class Reporter:
    """Receives build events. The base class logs them; tests and the CLI subclass it."""

    def step(self, name: str, seconds: float) -> None:
        log.debug("%-10s %6.0f ms", name, seconds * 1000)

    def warning(self, problem: Problem) -> None:
        log.warning("warning: %s", problem)

    def progress(self, done: int, total: int, doing: str = "rendering") -> None:
        """Called while rendering (or, for ``check``, checking pages); the terminal
        reporter shows a bar."""

    def rendered(self, path: str) -> None:
        """One output was rendered (tests count these)."""


class Recorder(Reporter):
    """Keeps everything it is told, for tests."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.warnings: list[Problem] = []
        self.paths: list[str] = []
        self.progress_seen: list[tuple[int, int]] = []
        self.checking_seen: list[tuple[int, int]] = []

    def step(self, name: str, seconds: float) -> None:
        self.steps.append(name)

    def progress(self, done: int, total: int, doing: str = "rendering") -> None:
        seen = self.progress_seen if doing == "rendering" else self.checking_seen
        seen.append((done, total))

    def warning(self, problem: Problem) -> None:
        self.warnings.append(problem)

    def rendered(self, path: str) -> None:
        self.paths.append(path)
