"""Related essays (taxonomy.relate): the essays sharing the most tags and books with one
(a book counts double), among its nearest neighbours in each, nearest first."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from passivepress import taxonomy


@dataclass(eq=False)
class _Tag:
    slug: str


@dataclass(eq=False)
class _Essay:
    key: str
    tags: list[_Tag]
    mentions: list[str]
    related: list[_Essay] = field(default_factory=list)


def _essays(seed: int, count: int) -> list[_Essay]:
    rng = random.Random(seed)
    tags = [_Tag(f"t{n}") for n in range(12)]
    books = [f"b{n}" for n in range(8)]
    return [
        _Essay(
            f"essay:{n}", rng.sample(tags, rng.randint(0, 3)), rng.sample(books, rng.randint(0, 2))
        )
        for n in range(count)
    ]


def _expected(essays: list[_Essay], i: int) -> list[int]:
    """What relate must choose for essay ``i``, worked out the slow, plain way: every
    other essay that is among the _NEIGHBOURS nearest on either side in a group it shares
    scores that group's weight; the best score first, then the nearest, then the earlier."""
    scores: dict[int, int] = {}
    mine = [(f"t:{t.slug}", 1) for t in essays[i].tags] + [
        (f"b:{b}", 2) for b in essays[i].mentions
    ]
    for key, weight in mine:
        members = [
            j
            for j, e in enumerate(essays)
            if key in {f"t:{t.slug}" for t in e.tags} | {f"b:{b}" for b in e.mentions}
        ]
        pos = members.index(i)
        near = members[max(0, pos - taxonomy._NEIGHBOURS) : pos + taxonomy._NEIGHBOURS + 1]
        for j in near:
            if j != i:
                scores[j] = scores.get(j, 0) + weight
    return sorted(scores, key=lambda j: (-scores[j], abs(j - i), j))[: taxonomy.RELATED]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_related_essays_are_the_best_scored_then_the_nearest(seed):
    essays = _essays(seed, 300)
    taxonomy.relate(essays)  # type: ignore[arg-type]
    index = {id(e): n for n, e in enumerate(essays)}
    for i, essay in enumerate(essays):
        assert [index[id(r)] for r in essay.related] == _expected(essays, i), f"essay {i}"
    assert any(len(e.related) == taxonomy.RELATED for e in essays)
    assert any(not e.related for e in essays if not e.tags and not e.mentions)
