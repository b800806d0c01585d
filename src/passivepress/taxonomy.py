"""What connects essays: tags, the books they mention, and essays related to each other.

Everything here is linear in the number of essays (times a small constant): related essays
are searched only among an essay's nearest neighbours in each of its tags and books, so a
tag shared by thousands of essays does not make the build quadratic.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from passivepress import digests
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
    saves are; when only some essays' tags or books changed, or essays were added or
    removed (a new essay published), only the essays whose candidates or their order that
    can change are searched again (see _touched and _reordered).
    """
    groups = [_groups(e) for e in essays]
    order = [e.key for e in essays]
    # A digest: the memo is kept in the cache folder between builds.
    signature = digests.of(
        repr(list(zip(order, groups, strict=True))).encode("utf-8", "surrogatepass")
    )
    if memo is not None and memo.get("signature") == signature:
        by_key = {e.key: e for e in essays}
        for essay in essays:
            essay.related.extend(by_key[k] for k in memo["related"][essay.key])
        return
    touched = None
    if memo is not None and "groups" in memo:
        if memo["order"] == order:
            touched = _touched(memo["groups"], groups)
        else:
            touched = _reordered(memo["order"], memo["groups"], order, groups)
    if touched is not None:
        _relate(essays, groups, touched, memo["related"])  # type: ignore[index]
    else:
        _relate(essays, groups)
    if memo is not None:
        memo["signature"] = signature
        memo["order"] = order
        memo["groups"] = groups
        memo["related"] = {e.key: [r.key for r in e.related] for e in essays}


def _groups(essay: Essay) -> tuple[str, ...]:
    """The groups an essay is related through: its tags, then the books it mentions."""
    return (*(f"t:{t.slug}" for t in essay.tags), *(f"b:{slug}" for slug in essay.mentions))


def _members(groups: Sequence[tuple[str, ...]]) -> dict[str, list[int]]:
    """Each group's essays, by their places in the order."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, mine in enumerate(groups):
        for key in mine:
            members[key].append(i)
    return members


def _touched(before: Sequence[tuple[str, ...]], after: Sequence[tuple[str, ...]]) -> set[int]:
    """The essays whose related essays may differ when, in the same order, the groups of
    some essays went from ``before`` to ``after``: those essays, and the essays within
    _NEIGHBOURS places of them in each group they joined or left (a group's windows move
    only there; the order, and so every tie-break by nearness, stays as it was)."""
    touched: set[int] = set()
    moved: dict[str, list[int]] = defaultdict(list)  # group → essays that joined or left it
    for i, (old, new) in enumerate(zip(before, after, strict=True)):
        if old != new:
            touched.add(i)
            for key in set(old) ^ set(new):
                moved[key].append(i)
    if not moved:
        return touched
    for members in (_members(before), _members(after)):
        for key, essays in moved.items():
            group = members.get(key, [])
            places = {i: place for place, i in enumerate(group)}
            for i in essays:
                place = places.get(i)
                if place is not None:
                    touched.update(group[max(0, place - _NEIGHBOURS) : place + _NEIGHBOURS + 1])
    return touched


def _reordered(
    before: Sequence[str],
    before_groups: Sequence[tuple[str, ...]],
    after: Sequence[str],
    after_groups: Sequence[tuple[str, ...]],
) -> set[int] | None:
    """The places (in ``after``) of the essays whose related essays may differ when
    essays were only added or removed (the others in the same order), and some kept
    essays' groups changed; None when an essay moved (searched again in full).

    An essay's candidates are its windows' members; their order of nearness changes only
    where an essay came or went between two of them, on either side of it, and its windows
    only where one came or went inside them. So it keeps its related essays unless an
    added essay lies within the span of its candidates now, a removed one lay within their
    span before, or its groups (or a neighbour's in one, see _touched) changed.
    """
    was = {key: i for i, key in enumerate(before)}
    now = {key: i for i, key in enumerate(after)}
    if [k for k in before if k in now] != [k for k in after if k in was]:
        return None
    added = [i for i, key in enumerate(after) if key not in was]
    removed = [i for i, key in enumerate(before) if key not in now]
    touched = set(added)
    # The kept essays, with the groups they had and have: what _touched compares.
    places = [i for i, key in enumerate(after) if key in was]
    kept_before = [before_groups[was[after[i]]] for i in places]
    kept_after = [after_groups[i] for i in places]
    touched.update(places[j] for j in _touched(kept_before, kept_after))
    for groups, points, to_now in (
        (after_groups, added, None),
        (before_groups, removed, [now.get(key) for key in before]),
    ):
        if not points:
            continue
        for i, (lo, hi) in enumerate(_spans(groups)):
            k = bisect_left(points, lo)
            if k < len(points) and points[k] <= hi:
                place = i if to_now is None else to_now[i]
                if place is not None:
                    touched.add(place)
    return touched


def _spans(groups: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    """For each essay, the first and last place (in the order) of it and its candidates."""
    windows = _Windows(groups)
    spans = []
    for i, mine in enumerate(groups):
        lo = hi = i
        for key in mine:
            window = windows.of(key, i)
            lo, hi = min(lo, window[0]), max(hi, window[-1])
        spans.append((lo, hi))
    return spans


class _Windows:
    """Each group's essays (by their places in the order), and where each essay stands in
    each of its groups: an essay's window in a group is the _NEIGHBOURS members on either
    side of it there."""

    def __init__(self, groups: Sequence[tuple[str, ...]]) -> None:
        self.members = _members(groups)
        self.position: dict[tuple[str, int], int] = {}
        for key, group in self.members.items():
            for pos, i in enumerate(group):
                self.position[(key, i)] = pos

    def of(self, key: str, i: int) -> list[int]:
        """Essay ``i``'s window in group ``key`` (itself included)."""
        group, pos = self.members[key], self.position[(key, i)]
        return group[max(0, pos - _NEIGHBOURS) : pos + _NEIGHBOURS + 1]


def _relate(
    essays: Sequence[Essay],
    groups: Sequence[tuple[str, ...]],
    only: set[int] | None = None,
    known: dict[str, list[str]] | None = None,
) -> None:
    """Search the related essays of those at the places ``only`` (default: all); the
    others' are ``known`` (keys by essay key)."""
    windows = _Windows(groups)
    by_key = {e.key: e for e in essays} if only is not None else {}
    for i, essay in enumerate(essays):
        if only is not None and i not in only:
            assert known is not None
            essay.related.extend(by_key[k] for k in known[essay.key])
            continue
        # Counted by Counter.update, in C: some 130 candidates an essay.
        scores: Counter[int] = Counter()
        for key in groups[i]:
            window = windows.of(key, i)
            scores.update(window)
            if key.startswith("b:"):  # a book counts double
                scores.update(window)
        del scores[i]
        essay.related.extend(essays[j] for j in _best(scores, i))


def _best(scores: Counter[int], i: int) -> list[int]:
    """The RELATED best of ``scores`` for essay ``i``: the highest score first, then the
    nearest in the order, then the one before. Score by score, from the highest, so only
    the candidates of the scores that are taken are sorted; within a score, the nearest
    are taken going out from ``i`` on both sides at once."""
    best: list[int] = []
    score = max(scores.values(), default=0)
    while score > 0 and len(best) < RELATED:
        level = sorted([j for j, s in scores.items() if s == score])
        after = bisect_left(level, i)
        before = after - 1
        while len(best) < RELATED and (before >= 0 or after < len(level)):
            # Of two as near, the one before.
            if after == len(level) or (before >= 0 and i - level[before] <= level[after] - i):
                best.append(level[before])
                before -= 1
            else:
                best.append(level[after])
                after += 1
        score -= 1
    return best
