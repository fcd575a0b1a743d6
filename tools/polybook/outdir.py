"""The output folder: one run at a time, one book only, never read back as source.

A run claims ``OUT`` with an exclusive lock (``filelock``: an ``flock`` the kernel releases when
the process dies, so a killed run never leaves a stale lock). Beside the lock, a small record
names the holder (pid, command, since when) so a second run can say whom it waits for. The
book that owns ``OUT`` is recorded once; another book is refused rather than mixing its
notebooks, cache and site with the first one's.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import OutputError
from .fsutil import write_json

if TYPE_CHECKING:
    import filelock

LOCK = ".polybook.lock"
HOLDER = ".polybook-holder.json"
OWNER = ".polybook-book.json"


@dataclass(frozen=True)
class Holder:
    """Who holds an output folder."""

    pid: int
    command: str
    host: str
    since: float
    book: str

    def __str__(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.since))
        return f"`{self.command}` (pid {self.pid} on {self.host}, since {when})"


def check_placement(source: Path, out: Path) -> None:
    """``OUT`` may be inside the book (it is then never read as source) but not the book itself.

    :raises OutputError: when ``out`` is the book's folder.
    """
    if out.resolve() == source.resolve():
        raise OutputError(
            "--out is the book's own folder: generated files would mix with the chapters; "
            "choose a folder of its own (the default is SOURCE/_build)",
            path=str(out),
        )


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".polybook-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise OutputError(f"cannot write the output folder: {why}", path=str(out)) from None


def _holder(out: Path) -> Holder | None:
    try:
        return Holder(**json.loads((out / HOLDER).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


_FREED = Holder(0, "", "", 0.0, "")


def _holder_when_written(out: Path, lock: filelock.FileLock) -> Holder | None:
    """The holder of a lock we just failed to take. It writes its record right after taking the
    lock, so a run that arrives in between looks again for up to a second rather than wait for
    "another polybook run" it cannot name. Returns ``_FREED`` (with the lock now ours) when the
    holder finished meanwhile."""
    import filelock

    deadline = time.monotonic() + 1.0
    while True:
        holder = _holder(out)
        if holder is not None or time.monotonic() > deadline:
            return holder
        time.sleep(0.05)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            continue
        return _FREED


def _claim_for(out: Path, source: Path) -> None:
    """Record ``source`` as the book of ``out``; refuse ``out`` when another book has it."""
    record = out / OWNER
    try:
        owner = json.loads(record.read_text(encoding="utf-8")).get("book", "")
    except (OSError, ValueError, AttributeError):
        owner = ""
    other = Path(owner) if owner else None
    # a book that moved or was deleted gives its folder up; one that is still there keeps it
    still_there = other is not None and ((other / "conf.py").is_file() or (other / "config.ini").is_file())
    if other is not None and other != source.resolve() and still_there:
        raise OutputError(
            f"this output folder holds the build of another book ({other}); give each book its own --out",
            path=str(out),
        )
    write_json(record, {"book": str(source.resolve())})


@contextlib.contextmanager
def claim(
    out: Path,
    source: Path,
    command: str,
    *,
    wait: bool = True,
    on_wait: Callable[[Holder | None], None] = lambda holder: None,
) -> Iterator[None]:
    """Hold ``out`` for this run.

    :param wait: wait for another run to finish (after telling ``on_wait`` whom we wait for);
        False: fail at once.
    :raises OutputError: when ``out`` cannot be written, belongs to another book, or is held and
        ``wait`` is False.
    """
    import filelock  # here, not at the top: it costs a third of a second to import

    _writable(out)
    lock = filelock.FileLock(str(out / LOCK))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        holder = _holder_when_written(out, lock)
        if holder is _FREED:  # the other run ended while we looked
            holder = None
        elif not wait:
            who = f"by {holder}" if holder else "by another polybook run"
            raise OutputError(
                f"the output folder is in use {who}; try again when it ends, or leave out --no-wait",
                path=str(out),
            ) from None
        else:
            on_wait(holder)
            lock.acquire()
    me = Holder(os.getpid(), command, socket.gethostname(), time.time(), str(source.resolve()))
    try:
        write_json(out / HOLDER, asdict(me))  # first: a run waiting for us can name us at once
        _claim_for(out, source)
        yield
    finally:
        held = _holder(out)
        if held is not None and held.pid == me.pid:
            with contextlib.suppress(OSError):
                (out / HOLDER).unlink()
        lock.release()
