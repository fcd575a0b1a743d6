"""Worker processes that die with their parent and leave Ctrl-C to it.

polybook runs work in process pools (parsing pages, Sphinx, notebooks). A terminal's Ctrl-C
goes to every process of the foreground group: left alone, each worker would print its own
``KeyboardInterrupt`` traceback. Here workers ignore SIGINT, so only the parent sees it; the
parent then stops its workers (:func:`process_pool` does it on the way out) and the command
line ends with one line. Workers also ask Linux to kill them when their parent dies, so a
``kill -9`` of polybook leaves none behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send ``signum`` to this process when its parent dies (a no-op elsewhere).

    Linux means the parent *thread*: a process started from a thread is signalled when that
    thread ends.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signum)
    except (OSError, AttributeError):
        pass


def release_forkserver() -> None:
    """Close this process's copy of the fd that tells a forkserver its client lives.

    The forkserver hands every child a copy (so that a child could start processes through it
    too) and serves until all copies are closed: a killed polybook would leave its forkserver
    waiting on its workers, and the workers (which die with the forkserver) waiting on it, for
    ever. Our workers start nothing through the forkserver. ``_forkserver_alive_fd`` is
    multiprocessing's own name for it; there is no public one.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if server is not None and fd is not None and multiprocessing.parent_process() is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None


def quiet_worker() -> None:
    """Initializer of a pool's worker: dies with its parent (the forkserver, which ends with
    polybook), ignores Ctrl-C."""
    release_forkserver()
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """SIGTERM every worker of ``pool`` and wait a moment for each.

    ``ProcessPoolExecutor`` has no way to stop running work before Python 3.14's
    ``terminate_workers``; its ``_processes`` map is the only handle on the workers.
    """
    processes = list(getattr(pool, "_processes", {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.terminate()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(5)


@contextlib.contextmanager
def process_pool(
    workers: int, method: str = "forkserver", initializer: Callable[[], Any] = quiet_worker
) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers are stopped, not waited for, when the block is left by an
    exception (Ctrl-C among them)."""
    pool = ProcessPoolExecutor(
        max_workers=max(1, workers), mp_context=multiprocessing.get_context(method), initializer=initializer
    )
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
