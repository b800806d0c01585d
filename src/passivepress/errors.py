"""Errors a user can cause, each pointing at a file and, where known, a line.

The CLI prints these as one line each (``path:line:col: message``) plus an optional
hint; anything else escaping the pipeline is a bug and shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the site's input, located as precisely as we can."""

    message: str
    path: Path | str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def location(self) -> str:
        if self.path is None:
            return ""
        loc = str(self.path)
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class PassivepressError(Exception):
    """Base of every error a user of the tool can cause."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ContentError(PassivepressError):
    """Content or templates are wrong: exit code 1."""


class ConfigError(PassivepressError):
    """The configuration or the command line is wrong: exit code 2."""

    exit_code = 2


class StrictError(PassivepressError):
    """Warnings were raised and ``--strict`` turns them into failure."""

    @classmethod
    def of(cls, warnings: list[Problem]) -> StrictError:
        return cls([replace(w, message=f"(strict) {w.message}") for w in warnings])
