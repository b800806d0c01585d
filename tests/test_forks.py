"""Work split over forked copies of the process (passivepress.forks), on real forks."""

from __future__ import annotations

import functools
import os
import threading
import time

import pytest

from passivepress import forks
from passivepress.errors import ContentError, Problem

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def test_each_chunk_of_a_deck_is_taken_once_by_whichever_process_is_free():
    items = list(range(100))
    parent = os.getpid()

    def work(deck: forks.Deck[int]) -> tuple[list[int], bool]:
        taken = []
        for chunk in deck:
            taken += chunk
            time.sleep(0.01)  # so that the other process gets some, however slow to start
        return taken, os.getpid() == parent

    with forks.Deck(items, smallest=10) as deck:
        assert len(deck.chunks) == 10
        (here, in_parent), (there, in_copy) = forks.together(lambda: work(deck), lambda: work(deck))
    assert (in_parent, in_copy) == (True, False)
    assert sorted(here + there) == items
    assert here and there


def test_a_deck_of_many_items_has_no_more_chunks_than_its_pipe_holds():
    with forks.Deck(range(100_000)) as deck:
        assert len(deck.chunks) <= forks.Deck.MOST
        assert [n for chunk in deck for n in chunk] == list(range(100_000))


def test_each_call_is_made_once_and_results_come_in_order():
    parent = os.getpid()

    def work(part: list[int]) -> tuple[list[int], bool]:
        return [n * n for n in part], os.getpid() == parent

    results = forks.together(*(functools.partial(work, p) for p in ([1, 2], [3], [4, 5, 6])))
    assert [squares for squares, _ in results] == [[1, 4], [9], [16, 25, 36]]
    # The first call here, the others in copies.
    assert [here for _, here in results] == [True, False, False]


def test_an_error_in_a_copy_is_raised_here_after_this_process_did_its_part():
    done_here: list[int] = []

    def work(part: list[int]) -> int:
        if part == [2]:
            raise ContentError(Problem("broken in the copy", "content/x.md", 3))
        done_here.extend(part)
        return sum(part)

    with pytest.raises(ContentError) as raised:
        forks.together(lambda: work([1]), lambda: work([2]))
    assert str(raised.value.problems[0]) == "content/x.md:3: broken in the copy"
    assert done_here == [1]


def test_an_exception_that_cannot_be_pickled_still_says_what_it_was():
    class Local(Exception):  # a class defined here cannot be pickled
        pass

    def work(part: list[int]) -> int:
        if part == [2]:
            raise Local("odd")
        return 0

    with pytest.raises(RuntimeError, match=r"in a forked process: .*Local"):
        forks.together(lambda: work([1]), lambda: work([2]))


def test_a_copy_that_ends_without_answering_has_its_part_done_here():
    parent = os.getpid()

    def work(part: list[int]) -> list[int]:
        if os.getpid() != parent:
            os._exit(3)  # as if killed: no answer at all
        return [n + 1 for n in part]

    assert forks.together(lambda: work([1]), lambda: work([2, 3])) == [[2], [3, 4]]


def test_a_failure_here_ends_the_copies_and_leaves_none_behind(tmp_path):
    pids = tmp_path / "pids"

    def work(part: list[int]) -> int:
        if part == [1]:
            raise ValueError("here")
        pids.write_text(str(os.getpid()))
        threading.Event().wait(30)  # a copy still busy when this process fails
        return 0

    with pytest.raises(ValueError, match="here"):
        forks.together(lambda: work([1]), lambda: work([2]))
    if pids.exists():  # the copy got that far before it was ended
        with pytest.raises(ChildProcessError):
            os.waitpid(int(pids.read_text()), os.WNOHANG)  # already reaped


def test_no_fork_while_another_thread_runs():
    assert forks.can_fork()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forks.can_fork()
    finally:
        stop.set()
        thread.join()


def test_a_deck_dealt_after_the_copies_were_forked_gives_each_chunk_once():
    """Copies forked before the chunks are known take from the deck once it is dealt and
    they are given its chunks; it ends when it is empty, though each copy holds the pipe's
    other end."""
    deck = forks.Deck()

    def take(chunks):
        deck.chunks = chunks  # this copy's deck was made empty
        return [n for chunk in deck for n in chunk]

    gate = forks.Standby(take)
    deck.deal(range(100), smallest=3)
    gate.send(deck.chunks)
    here = [n for chunk in deck for n in chunk]
    there = gate.result()
    deck.close()
    assert sorted(here + there) == list(range(100))


def test_a_standby_copy_works_once_sent_its_payload_and_can_be_stopped_unsent():
    worker = forks.Standby(lambda payload: (os.getpid(), payload * 2))
    worker.send(21)
    pid, answer = worker.result()
    assert answer == 42 and pid != os.getpid()
    idle = forks.Standby(lambda payload: payload)
    assert idle._child is not None and idle._child._child is not None
    pid = idle._child._child[0]
    idle.stop()  # killed and reaped while it waits
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_a_standby_copy_raises_here_what_its_work_raised():
    def work(payload):
        raise ValueError(f"bad {payload}")

    worker = forks.Standby(work)
    worker.send("input")
    with pytest.raises(ValueError, match="bad input"):
        worker.result()


def test_a_standby_copy_ends_when_its_parent_is_gone():
    """Waiting, it looks every second whether the process that forked it still lives."""
    read_end, write_end = os.pipe()
    try:
        assert forks._receive(read_end, parent=os.getpid() + 1_000_000) is None
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_standby_copy_prepares_before_it_waits(tmp_path):
    """What it is given to prepare runs as soon as it is forked, before any payload."""
    marker = tmp_path / "prepared"
    worker = forks.Standby(
        lambda payload: (payload, marker.read_text()), prepare=lambda: marker.write_text("ready")
    )
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), "prepared while waiting"
    worker.send("go")
    assert worker.result() == ("go", "ready")
