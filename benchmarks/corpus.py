"""Generate a realistic corpus of essays and books for benchmarks.

    python benchmarks/corpus.py /tmp/site --essays 1000 --books 50

Essays are 600–1,500 words of Markdown with headings, lists, links, tables, code and
footnotes, tags from a small vocabulary and references to books, like a long-running
author's site. The text is generated from a fixed seed, so every run makes the same corpus.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

WORDS = [
    "mentor",
    "career",
    "writing",
    "client",
    "essay",
    "practice",
    "habit",
    "team",
    "manager",
    "question",
    "answer",
    "feedback",
    "promotion",
    "pivot",
    "network",
    "referral",
    "trust",
    "craft",
    "apprentice",
    "patience",
    "signal",
    "listen",
    "decide",
    "boundary",
    "calendar",
    "energy",
    "season",
    "ambition",
    "doubt",
    "courage",
    "ladder",
    "project",
    "lesson",
    "reader",
    "audience",
    "voice",
    "draft",
    "publish",
    "evidence",
    "story",
    "example",
    "meeting",
    "review",
    "hire",
    "interview",
    "offer",
    "salary",
    "negotiate",
    "learn",
    "teach",
    "growth",
    "focus",
    "attention",
    "quiet",
]
TAGS = [
    "mentoring",
    "career",
    "writing",
    "leadership",
    "being-found",
    "negotiation",
    "habits",
    "teams",
    "hiring",
    "books",
    "coaching",
    "freelance",
]


def sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"*{words[i]}*"
    if rng.random() < 0.1:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}`"
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))


def essay_body(rng: random.Random, n: int, total: int, books: list[str]) -> str:
    target = rng.randint(600, 1500)
    parts: list[str] = [paragraph(rng)]
    words = len(parts[0].split())
    section = 0
    while words < target:
        kind = rng.random()
        if kind < 0.15:
            section += 1
            parts.append(f"## {sentence(rng, 2, 5)[:-1]} {section}")
        elif kind < 0.25:
            parts.append("\n".join(f"- {sentence(rng, 4, 10)}" for _ in range(rng.randint(3, 6))))
        elif kind < 0.30:
            other = rng.randrange(total)
            parts.append(
                f"As I wrote in [an earlier essay](/essays/essay-{other:05d}/), "
                f"{sentence(rng).lower()}"
            )
        elif kind < 0.33:
            parts.append(
                "| question | answer | why |\n| --- | --- | --- |\n"
                + "\n".join(
                    f"| {rng.choice(WORDS)} | {rng.choice(WORDS)} | {sentence(rng, 3, 6)} |"
                    for _ in range(4)
                )
            )
        elif kind < 0.36:
            parts.append("```python\ndef next_step(mentee):\n    return mentee.goals[0]\n```")
        elif kind < 0.40:
            parts.append(f"> {sentence(rng)}")
        elif kind < 0.43 and books:
            parts.append(f"{sentence(rng)} See {{book}}`{rng.choice(books)}`.")
        else:
            parts.append(paragraph(rng))
        words += len(parts[-1].split())
    parts.append(f"{sentence(rng)}[^1]\n\n[^1]: {sentence(rng, 4, 9)}")
    return "\n\n".join(parts) + "\n"


def generate(root: Path, essays: int, books: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    (root / "content" / "essays").mkdir(parents=True, exist_ok=True)
    (root / "content" / "books").mkdir(parents=True, exist_ok=True)
    (root / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (root / "passivepress.yml").write_text(
        "title: Benchmark Mentor\ndescription: A long-running author's site.\n"
        "base_url: https://example.com/\ntimezone: Europe/London\n"
        "author: {name: Ada Mentor, email: ada@example.com}\n"
        "contact: {email: ada@example.com, text: Write to me., "
        "booking_url: https://cal.example.com/ada}\n"
        "menu:\n  - {title: Essays, url: /essays/}\n  - {title: Books, url: /books/}\n"
    )
    slugs = [f"book-{i:03d}" for i in range(books)]
    for i, slug in enumerate(slugs):
        (root / "content" / "books" / f"{slug}.md").write_text(
            f"---\ntitle: Book number {i}\nauthors: [Author {i}]\nyear: {2000 + i % 25}\n"
            f"isbn: '978-0-00-{i:06d}-0'\nown: {str(i == 0).lower()}\n"
            f'summary: "{sentence(rng, 6, 12)}"\n'
            f"links:\n  - {{label: Shop, url: 'https://shop.example/{slug}', affiliate: true}}\n"
            f"---\n{paragraph(rng)}\n"
        )
    start = date(2012, 1, 1)
    for i in range(essays):
        day = start + timedelta(days=i * 4000 // max(essays, 1))
        tags = rng.sample(TAGS, rng.randint(1, 3))
        mentioned = rng.sample(slugs, rng.randint(0, 2)) if slugs else []
        (root / "content" / "essays" / f"{day.isoformat()}-essay-{i:05d}.md").write_text(
            f'---\ntitle: "Essay {i}: {sentence(rng, 3, 7)[:-1]}"\ndate: {day.isoformat()}\n'
            f'summary: "{sentence(rng, 10, 20)}"\ntags: [{", ".join(tags)}]\n'
            f"books: [{', '.join(mentioned)}]\nslug: essay-{i:05d}\n---\n"
            + essay_body(rng, i, essays, slugs)
        )
    (root / "content" / "pages" / "about.md").write_text(
        "---\ntitle: About\nmenu: 1\n---\n" + paragraph(rng) + "\n"
    )
    (root / "content" / "pages" / "contact.md").write_text(
        "---\ntitle: Contact\nmenu: 2\n---\n" + paragraph(rng) + "\n"
    )


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark takes for the corpus it makes and times."""
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="where the corpus is made (default: a temp)")


def add_after_build_option(parser: argparse.ArgumentParser, then: str) -> None:
    """``--after-build``: a ``passivepress build`` of the corpus first, untimed (see
    :func:`build_once`); ``then`` says what the timed command takes from it."""
    parser.add_argument(
        "--after-build",
        action="store_true",
        help=f"run 'passivepress build' first (untimed): {then}",
    )


def build_once(site: Path, timeout: float) -> None:
    """``passivepress build`` of the corpus, its output not shown (CalledProcessError if it
    fails)."""
    cmd = [sys.executable, "-m", "passivepress", "build", "-q", str(site)]
    subprocess.run(cmd, check=True, timeout=timeout, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.root, args.essays, args.books, args.seed)


if __name__ == "__main__":
    main()
