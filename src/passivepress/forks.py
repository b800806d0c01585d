"""Work split over forked copies of this process, which share what it has built.

A cold build renders its pages from a model that took most of the build to make. Worker
processes started before it exists would need it sent to them (pickling 10,000 essays costs
more than rendering them); a process forked now has it already, copy-on-write. Each copy
does a share of the work and sends back only what it found, through a pipe.

Forking is safe only while this process has no other thread (a lock another thread held
would stay held in the copy forever): :func:`can_fork` says so, and callers do the work
here alone otherwise.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def can_fork() -> bool:
    """Whether forking is possible and safe here (POSIX, and no thread but this one)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class Deck(Generic[T]):
    """Chunks of work taken on demand by this process and its forked copies: each takes
    the next chunk when it is done with one, so all of them end at about the same time,
    whatever a chunk costs and however fast each process runs.

    The chunks' numbers wait in a pipe, written before anyone takes from it; a read of
    four bytes takes one number, whole, from any process. Iterate to take chunks; a process
    that stops early leaves the rest to the others.

    A deck made without ``items`` is dealt later (:meth:`deal`), so that copies forked
    before its chunks are known can take from it, once they are given :attr:`chunks` (their
    own copy of the deck was made empty). Its reads never wait: such a copy holds the
    pipe's other end too, so the pipe never ends; empty, the deck is done.
    """

    # The numbers must fit in the pipe's buffer before anyone reads: POSIX systems give
    # a pipe 16 KiB or more.
    MOST = 2048

    def __init__(self, items: Sequence[T] | None = None, smallest: int = 16) -> None:
        self.chunks: list[list[T]] = []
        self.fd, self._write = os.pipe()
        if items is None:
            os.set_blocking(self.fd, False)
        else:
            self.deal(items, smallest)

    def deal(self, items: Sequence[T], smallest: int = 16) -> None:
        size = max(smallest, -(-len(items) // self.MOST))
        self.chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
        try:
            numbers = b"".join(struct.pack("<I", n) for n in range(len(self.chunks)))
            _write_all(self._write, numbers)
        finally:
            os.close(self._write)
            self._write = -1

    def __iter__(self) -> Iterator[list[T]]:
        while True:
            try:
                number = os.read(self.fd, 4)
            except BlockingIOError:  # a deck dealt late, taken to the end
                return
            if not number:
                return
            yield self.chunks[struct.unpack("<I", number)[0]]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self._write >= 0:
            os.close(self._write)
            self._write = -1

    def __enter__(self) -> Deck[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def together(*calls: Callable[[], R]) -> list[R]:
    """Each call's result, in order: the first call made here, the others in forked
    copies meanwhile.

    An exception in a copy is raised here as it was raised there (after this process has
    made its own call). A copy that ends without an answer (killed, out of memory) has its
    call made again here, so the result never depends on it.
    """
    children: list[Child[R]] = []
    try:
        for call in calls[1:]:
            children.append(Child(call))
        results = [calls[0]()]
        for call, child in zip(calls[1:], children, strict=True):
            answered, value = child.answer()
            results.append(value if answered else call())
        return results
    finally:
        for child in children:  # only after a failure here: the copies are not needed
            child.stop()


class Child(Generic[R]):
    """A call made in a forked copy of this process while this one goes on; its result
    is waited for when asked (as :func:`together` does)."""

    def __init__(self, call: Callable[[], R]) -> None:
        self._child: tuple[int, int] | None = _fork(call)

    def answer(self) -> tuple[bool, R | None]:
        """Whether the copy answered (False when it ended without: killed, out of memory),
        and the call's result. An exception raised there is raised here."""
        assert self._child is not None, "asked twice"
        answer = _collect(*self._child)
        self._child = None
        if answer is None:
            return False, None
        ok, value = answer
        if not ok:
            raise value
        return True, value

    def result(self) -> R | None:
        """The call's result, or None when the copy ended without an answer."""
        return self.answer()[1]

    def stop(self) -> None:
        """Stop the copy if it still runs (its answer is not wanted), and reap it."""
        if self._child is not None:
            _end(*self._child)
            self._child = None


class Standby(Generic[R]):
    """A copy of this process forked now, while it is small, that waits until
    :meth:`send` gives it its work: ``work(payload)``, whose result :meth:`result` waits
    for. A copy never sent anything is stopped (:meth:`stop`); one whose parent is gone
    ends by itself."""

    def __init__(
        self, work: Callable[[Any], R], prepare: Callable[[], object] | None = None
    ) -> None:
        """``prepare``: what the copy does first, before it waits."""
        read_end, write_end = os.pipe()
        parent = os.getpid()

        def wait_then_work() -> R | None:
            os.close(write_end)
            if prepare is not None:
                prepare()
            payload = _receive(read_end, parent)
            return None if payload is None else work(payload[0])

        self._write = write_end
        self._child: Child[R | None] | None = Child(wait_then_work)
        os.close(read_end)

    def send(self, payload: object) -> None:
        data = pickle.dumps((payload,), pickle.HIGHEST_PROTOCOL)
        try:
            _write_all(self._write, struct.pack("<Q", len(data)) + data)
        finally:
            os.close(self._write)
            self._write = -1

    def result(self) -> R | None:
        """What the work gave, or None (see :meth:`Child.result`)."""
        assert self._child is not None, "asked twice"
        child, self._child = self._child, None
        return child.result()

    def stop(self) -> None:
        """Stop the copy, waiting or working (its result is not wanted), and reap it."""
        if self._child is not None:
            self._child.stop()
            self._child = None
        if self._write >= 0:
            os.close(self._write)
            self._write = -1


def _receive(fd: int, parent: int) -> tuple[Any] | None:
    """The message :meth:`Standby.send` writes (its length, then its pickle); None when
    the parent ended first."""
    data = bytearray()
    while len(data) < 8 or len(data) < 8 + struct.unpack("<Q", data[:8])[0]:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if os.getppid() != parent:
                return None
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return None
        data += chunk
    return pickle.loads(data[8:])


def _fork(call: Callable[[], object]) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: never returns
        status = 1
        try:
            os.close(read_end)
            try:
                answer: tuple[bool, object] = (True, call())
            except BaseException as exc:  # raised again in the parent
                answer = (False, exc)
            try:
                payload = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # an exception that cannot be pickled: say what it was
                payload = pickle.dumps((False, RuntimeError(f"in a forked process: {exc!r}")))
            _write_all(write_end, payload)
            status = 0
        finally:
            # No cleanup of the parent's (temporary folders, caches, buffered output): they
            # are the parent's to do, once.
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(pid: int, fd: int) -> tuple[bool, Any] | None:
    chunks: list[bytes] = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not chunks:
        return None
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # cut short: treated as no answer
        return None


def _end(pid: int, fd: int) -> None:
    """Stop a copy whose answer is not needed (or was being read when this process was
    interrupted), and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.close(fd)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
