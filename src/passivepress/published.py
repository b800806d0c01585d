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
    candidates = sorted(produced)
    for url in sorted(set(previous) - produced.keys()):
        guess = closest(url, candidates)
        if guess is not None and guess.startswith("/essays/"):
            hint = (
                f"if it is now {guess}, add to {produced[guess]}:\n"
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


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.5) -> str | None:
    """What ``difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)`` finds, in
    time that does not grow with every candidate's full comparison.

    difflib computes the costly ratio of every candidate that passes the cutoff's cheap
    bounds, and URLs of one site share most of their letters, so nearly all pass: at
    10,000 essays each lost URL took 0.15 s of every build. Here a candidate whose bound
    is already below the best found so far is passed over. The best is the same, ties
    included: difflib keeps the largest (ratio, candidate) pair, and so does this.
    """
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    best: tuple[float, str] | None = None
    for candidate in candidates:
        matcher.set_seq1(candidate)
        for bound in (matcher.real_quick_ratio, matcher.quick_ratio, matcher.ratio):
            score = bound()
            if score < cutoff or (best is not None and (score, candidate) < best):
                break
        else:
            best = (score, candidate)
    return best[1] if best is not None else None


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
