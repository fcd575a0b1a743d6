"""A notebook's kernel: started in the environment its job names, marked so that it and every
process it starts can be found and ended, and watched for memory.

jupyter_client starts a kernel as the leader of a session of its own and ends that session's
process group when the notebook is done. That misses what a cell starts in a session of its own
(``setsid``, a daemon that forks twice), and nothing ends a kernel whose worker was killed. So
each kernel gets a token in its environment, which every process it starts inherits, and a
sweep kills every process of this user that carries it. A watchdog process per notebook, which
Linux signals when the worker thread that started it ends (``PR_SET_PDEATHSIG``), sweeps when
the worker dies by any means: a ``kill -9`` of polybook, of a pool worker or of a cluster
worker leaves no kernel and no daemon behind. (A process that clears its own environment would
escape the sweep; cgroups would catch it too, but need privileges a CI runner rarely gives.)

Memory is sampled while a cell runs (the kernel and its children) and read after every cell,
the last one included (the kernel's high-water mark), so a one-cell page that takes 3 GB
reports 3 GB; past the job's cap, the kernel is killed and the notebook fails at that cell.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from ..processes import die_with_parent

#: The environment variable that marks a kernel and everything it starts.
TOKEN = "POLYBOOK_KERNEL"


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_hex(12)


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def marked(token: str, prefix: bool = False) -> list[psutil.Process]:
    """The live processes of this user whose environment carries ``token`` (or, with
    ``prefix``, a token that starts with it)."""
    uid = os.getuid()
    found = []
    for process in psutil.process_iter(["uids", "status"]):
        try:
            if process.info["uids"].real != uid or process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            carried = process.environ().get(TOKEN)
            if carried is not None and (carried == token or (prefix and carried.startswith(token))):
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def sweep(token: str, rounds: int = 20, prefix: bool = False) -> int:
    """Kill every process carrying ``token`` until none is left (a dying process may fork);
    return how many were killed."""
    killed = 0
    for _ in range(rounds):
        found = marked(token, prefix)
        if not found:
            break
        for process in found:
            with contextlib.suppress(psutil.Error):
                process.kill()
        killed += len(found)
        # a killed process stays a zombie until its parent reaps it: gone enough for us
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not all(_gone(p) for p in found):
            time.sleep(0.02)
    return killed


@contextlib.contextmanager
def watchdog(token: str) -> Iterator[None]:
    """A process that sweeps ``token`` when this thread ends (or the worker dies); the block
    ends with a sweep of our own, so nothing the notebook started outlives it."""
    # its own session: a signal to the worker's process group is not meant for it
    guard = subprocess.Popen(
        [sys.executable, "-m", "polybook.execution.kernels", token, str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if k != TOKEN},
    )
    try:
        yield
    finally:
        sweep(token)
        guard.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            guard.wait(10)


def _guard(token: str, parent: int) -> None:
    """The watchdog's life: wait for the signal, sweep, leave."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop(signum: int, frame: Any) -> None:
        sweep(token)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    die_with_parent(signal.SIGTERM)
    if os.getppid() != parent:  # the worker died before the request reached Linux
        stop(signal.SIGTERM, None)
    while True:
        signal.pause()


def high_water_mark(pid: int) -> int | None:
    """A process's peak resident memory so far, in bytes (Linux ``VmHWM``)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def tree_memory(pid: int) -> int:
    """Resident memory of a process and its descendants, in bytes."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


class MemoryWatch:
    """The memory of one kernel: its peak, and a cap that kills it (a thread samples it)."""

    def __init__(self, token: str, cap: int | None, interval: float = 0.5) -> None:
        self.token = token
        self.cap = cap
        self.interval = interval
        self.pid: int | None = None
        self.peak = 0
        self.exceeded: int | None = None
        """The bytes seen when the cap was passed."""
        self.cell: int | None = None
        """The cell running now (the worker keeps it up to date)."""
        self.exceeded_cell: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int | None) -> None:
        self.pid = pid
        if pid and self._thread is None:
            self._thread = threading.Thread(target=self._sample, name="polybook-memory", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def measure(self) -> bool:
        """Read the kernel's memory now (after every cell); False once it passed the cap."""
        if not self.pid:
            return self.exceeded is None
        now = max(tree_memory(self.pid), high_water_mark(self.pid) or 0)
        self.peak = max(self.peak, now)
        if self.cap is not None and now > self.cap and self.exceeded is None:
            self.exceeded, self.exceeded_cell = now, self.cell
            sweep(self.token)
        return self.exceeded is None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.measure():
                return

    @property
    def peak_mb(self) -> float | None:
        return round(self.peak / 2**20, 1) if self.peak else None


def size_words(size: float) -> str:
    """``8 GB``, ``512 MB``, ``1.5 GB``: a byte count as a reader says it (binary units)."""
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{int(size)} bytes"


if __name__ == "__main__":
    _guard(sys.argv[1], int(sys.argv[2]))
