"""What connects essays: tags, the books they mention, and essays related to each other.

Everything here is linear in the number of essays (times a small constant): related essays
are searched only among an essay's nearest neighbours in each of its tags and books, so a
tag shared by thousands of essays does not make the build quadratic.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from passivepress.config import Config
from passivepress.markdown import Embed
from passivepress.model import Book, Essay, Tag, locate
from passivepress.urls import slugify

RELATED = 3  # essays shown under "Related essays"
_NEIGHBOURS = 24  # candidates looked at on each side, in each shared tag or book


def mentioned_books(
    book_slugs: Sequence[str],
    embeds: Sequence[Embed],
    links: Sequence[tuple[str, int]],
    base_path: str,
) -> tuple[str, ...]:
    """Slugs of books an essay lists (``books:``), embeds (``{book}``) or links to."""
    slugs = list(book_slugs)
    slugs += [e.arg for e in embeds if e.kind in ("book", "book-link")]
    for link, _ in links:
        path = urlsplit(link).path
        if base_path != "/" and path.startswith(base_path):
            path = "/" + path[len(base_path) :]
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "books":
            slugs.append(parts[1])
    return tuple(dict.fromkeys(slugs))


def link_books(essays: Sequence[Essay], books: dict[str, Book]) -> None:
    """``essay.books``: the books it lists; ``book.essays``: every essay mentioning it."""
    for essay in essays:
        for slug in dict.fromkeys(essay.book_slugs):
            if slug in books:
                essay.books.append(books[slug])
        for slug in essay.mentions:
            if slug in books:
                books[slug].essays.append(essay)


def group_tags(essays: Sequence[Essay], config: Config) -> list[Tag]:
    """Tags by slug ("Career" and "career" are one tag, named as first written)."""
    tags: dict[str, Tag] = {}
    for essay in essays:
        for name in essay.tag_names:
            slug = slugify(name)
            if not slug:
                continue
            tag = tags.get(slug)
            if tag is None:
                path, url, permalink = locate(config, f"/tags/{slug}/")
                tag = tags[slug] = Tag(
                    name=name,
                    slug=slug,
                    path=path,
                    url=url,
                    permalink=permalink,
                    key=f"tag:{slug}",
                    has_feed=config.feeds.tags and config.feeds.rss,
                )
            if not tag.essays or tag.essays[-1] is not essay:
                tag.essays.append(essay)
                essay.tags.append(tag)
    return sorted(tags.values(), key=lambda t: t.slug)


def relate(essays: Sequence[Essay], memo: dict[str, Any] | None = None) -> None:
    """``essay.related``: essays sharing the most tags and books (a book counts double),
    closest in date first. ``essays`` is newest first.

    ``memo`` (kept between builds, by the preview and in the cache folder) skips the
    search when no essay's tags, books or place in the order changed, which is what most
    saves are.
    """
    # A digest: the memo is kept in the cache folder between builds.
    signature = hashlib.blake2b(
        repr([(e.key, [t.slug for t in e.tags], e.mentions) for e in essays]).encode(
            "utf-8", "surrogatepass"
        ),
        digest_size=16,
    ).digest()
    if memo is not None and memo.get("signature") == signature:
        by_key = {e.key: e for e in essays}
        for essay in essays:
            essay.related.extend(by_key[k] for k in memo["related"][essay.key])
        return
    _relate(essays)
    if memo is not None:
        memo["signature"] = signature
        memo["related"] = {e.key: [r.key for r in e.related] for e in essays}


def _relate(essays: Sequence[Essay]) -> None:
    groups: dict[str, list[int]] = defaultdict(list)
    keys: list[list[tuple[str, int]]] = []
    for i, essay in enumerate(essays):
        mine = [(f"t:{t.slug}", 1) for t in essay.tags]
        mine += [(f"b:{slug}", 2) for slug in essay.mentions]
        keys.append(mine)
        for key, _ in mine:
            groups[key].append(i)
    position: dict[tuple[str, int], int] = {}
    for key, members in groups.items():
        for pos, i in enumerate(members):
            position[(key, i)] = pos
    for i, essay in enumerate(essays):
        scores: dict[int, int] = defaultdict(int)
        for key, weight in keys[i]:
            members = groups[key]
            pos = position[(key, i)]
            for j in members[max(0, pos - _NEIGHBOURS) : pos + _NEIGHBOURS + 1]:
                scores[j] += weight
        scores.pop(i, None)
        essay.related.extend(essays[j] for j in _best(scores, i))


def _best(scores: dict[int, int], i: int) -> list[int]:
    """The RELATED best of ``scores`` for essay ``i``: the highest score first, then the
    nearest in the order, then the one before. Score by score, from the highest, so only
    the candidates of the scores that are taken get sorted (at 10,000 essays, sorting all
    of them was half the time)."""
    levels: dict[int, list[int]] = defaultdict(list)
    for j, score in scores.items():
        levels[score].append(j)
    best: list[int] = []
    for score in sorted(levels, reverse=True):
        # Nearest first; of two as near, the one before (2d - 1 before 2d).
        nearest = sorted(levels[score], key=lambda j: 2 * (j - i) if j > i else 2 * (i - j) - 1)
        best += nearest[: RELATED - len(best)]
        if len(best) == RELATED:
            break
    return best
