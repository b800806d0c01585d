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
    related: list[_Essay] = field(default_factory=list, repr=False)


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


def _copy(essays: list[_Essay]) -> list[_Essay]:
    return [_Essay(e.key, list(e.tags), list(e.mentions)) for e in essays]


def _chosen(essays: list[_Essay]) -> list[list[int]]:
    index = {id(e): n for n, e in enumerate(essays)}
    return [[index[id(r)] for r in e.related] for e in essays]


def _same_as_a_full_search(essays: list[_Essay]) -> None:
    """What relate chose (with a memo) is what it chooses for a copy without one."""
    fresh = _copy(essays)
    taxonomy.relate(fresh)  # type: ignore[arg-type]
    assert _chosen(essays) == _chosen(fresh)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_after_edits_of_tags_and_books_only_the_touched_are_searched_and_all_are_right(
    seed, monkeypatch
):
    """With the memo of the last build, an edit of some essays' tags or books (the order
    the same) searches again only the essays whose candidates it can change; every
    essay's related essays are still what a full search (held to the plain reference
    above) chooses."""
    rng = random.Random(seed)
    tags = [_Tag(f"t{n}") for n in range(8)]
    books = [f"b{n}" for n in range(6)]
    essays = [
        _Essay(
            f"essay:{n}", rng.sample(tags, rng.randint(0, 3)), rng.sample(books, rng.randint(0, 1))
        )
        for n in range(2000)
    ]
    memo: dict = {}
    taxonomy.relate(essays, memo)  # type: ignore[arg-type]
    searched: list[int] = []
    real_best = taxonomy._best

    def counting(scores, i):
        searched.append(i)
        return real_best(scores, i)

    for _ in range(5):
        essays = _copy(essays)
        for essay in rng.sample(essays, rng.randint(1, 3)):
            essay.tags = rng.sample(tags, rng.randint(0, 3))
            if rng.random() < 0.5:
                essay.mentions = rng.sample(books, rng.randint(0, 2))
        searched.clear()
        monkeypatch.setattr(taxonomy, "_best", counting)
        taxonomy.relate(essays, memo)  # type: ignore[arg-type]
        monkeypatch.setattr(taxonomy, "_best", real_best)
        assert 0 < len(searched) < len(essays) // 4, f"{len(searched)} searched"
        _same_as_a_full_search(essays)


def _searching(monkeypatch) -> list[int]:
    """The essays relate searches (calls _best for) from now on."""
    searched: list[int] = []
    real_best = taxonomy._best

    def counting(scores, i):
        searched.append(i)
        return real_best(scores, i)

    monkeypatch.setattr(taxonomy, "_best", counting)
    return searched


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_after_essays_are_added_or_removed_all_are_right(seed, monkeypatch):
    """Essays added anywhere (the newest first, as publishing does, or among the others),
    removed, or both, some with other tags meanwhile: with the memo, every essay's related
    essays are what a full search chooses."""
    rng = random.Random(seed)
    tags = [_Tag(f"t{n}") for n in range(8)]
    books = [f"b{n}" for n in range(6)]

    def new(n: int) -> _Essay:
        return _Essay(
            f"essay:{n}", rng.sample(tags, rng.randint(0, 3)), rng.sample(books, rng.randint(0, 1))
        )

    essays = [new(n) for n in range(1500)]
    memo: dict = {}
    taxonomy.relate(essays, memo)  # type: ignore[arg-type]
    made = len(essays)
    for _ in range(6):
        essays = _copy(essays)
        for _ in range(rng.randint(0, 2)):
            essays.insert(rng.choice([0, rng.randrange(len(essays))]), new(made))
            made += 1
        for _ in range(rng.randint(0, 2)):
            essays.pop(rng.randrange(len(essays)))
        for essay in rng.sample(essays, rng.randint(0, 2)):
            essay.tags = rng.sample(tags, rng.randint(0, 3))
        taxonomy.relate(essays, memo)  # type: ignore[arg-type]
        _same_as_a_full_search(essays)


def _new_first(essays: list[_Essay]) -> None:
    essays.insert(0, _Essay("essay:new", [_Tag("t1")], ["b2"]))  # published today


def _moved(essays: list[_Essay]) -> None:
    essays.insert(40, essays.pop(80))  # another date


@pytest.mark.parametrize(("change", "most"), [(_new_first, 200), (_moved, None)])
def test_a_new_first_essay_searches_its_neighbours_again_a_moved_one_all(change, most, monkeypatch):
    essays = _essays(5, 2000)
    memo: dict = {}
    taxonomy.relate(essays, memo)  # type: ignore[arg-type]
    essays = _copy(essays)
    change(essays)
    searched = _searching(monkeypatch)
    taxonomy.relate(essays, memo)  # type: ignore[arg-type]
    if most is None:
        assert len(searched) == len(essays)
    else:
        assert 0 < len(searched) < most, f"{len(searched)} searched"
    _same_as_a_full_search(essays)
