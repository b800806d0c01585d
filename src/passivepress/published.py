"""URLs never break: the list of every URL the site has published, and the ones now lost.

The list lives in the site folder (``published-urls.txt``), meant to be committed, so every
build (on any machine, in CI) knows what readers may have bookmarked or shared. A URL that
was published and is now neither produced nor covered by an alias is a warning (an error
with ``--strict``), with a hint naming the alias that would keep it working.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

from passivepress.errors import Problem

FILE = "published-urls.txt"
_HEADER = (
    "# Every URL this site has published, kept by passivepress so that none of them breaks.\n"
    "# Commit this file. When you remove a page on purpose, delete its line here.\n"
)


def read(site_dir: Path) -> list[str]:
    path = site_dir / FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip().startswith("/")]


def lost(previous: Iterable[str], produced: dict[str, str]) -> list[Problem]:
    """Published URLs that the site no longer produces, each with a suggested fix.

    ``produced`` maps each URL the site makes now to the file that makes it, to name the
    likely new home of a lost URL.
    """
    problems = []
    for url in sorted(set(previous) - produced.keys()):
        guess = difflib.get_close_matches(url, sorted(produced), n=1, cutoff=0.5)
        if guess and guess[0].startswith("/essays/"):
            hint = (
                f"if it is now {guess[0]}, add to {produced[guess[0]]}:\n"
                f'    aliases: ["{url}"]\n  if it is gone for good, delete its line '
                f"from {FILE}"
            )
        else:
            hint = (
                f"add 'aliases: [\"{url}\"]' to the essay that replaced it, or delete the "
                f"line from {FILE} if it is gone for good"
            )
        problems.append(Problem(f"the published URL {url} no longer exists", FILE, hint=hint))
    return problems


def record(site_dir: Path, previous: Iterable[str], produced: Iterable[str]) -> None:
    """Add newly published URLs to the list (written only when it changes)."""
    urls = sorted(set(previous) | set(produced))
    text = _HEADER + "".join(f"{u}\n" for u in urls)
    path = site_dir / FILE
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
