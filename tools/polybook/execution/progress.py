"""Live progress of an eval: a rich display on a terminal, one line per notebook elsewhere."""

from __future__ import annotations

import sys
import time
from typing import Any

from .jobs import Job, Outcome


class ConsoleProgress:
    """Live progress: a rich display on a terminal, one line per notebook elsewhere (CI logs)."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.done = self.failed = 0
        self.running: dict[tuple[str, str], float] = {}
        self.began = time.monotonic()
        self.live = None
        if getattr(self.stream, "isatty", lambda: False)() and total:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(
                self._render(), console=Console(file=self.stream), refresh_per_second=4, transient=True
            )
            self.live.start()

    def _render(self) -> Any:
        from rich.table import Table

        now = time.monotonic()
        table = Table.grid(padding=(0, 2))
        table.add_row(
            f"[bold]eval[/] {self.done}/{self.total} done",
            f"[yellow]{len(self.running)} running[/]",
            f"[red]{self.failed} failed[/]" if self.failed else "0 failed",
            f"{now - self.began:.0f} s",
        )
        for (fw, page), since in sorted(self.running.items(), key=lambda kv: kv[1]):
            table.add_row("", f"{fw}", page, f"{now - since:.0f} s")
        return table

    def started(self, job: Job) -> None:
        self.running[(job.framework, job.page)] = time.monotonic()
        self._refresh()

    def finished(self, job: Job, outcome: Outcome) -> None:
        self.running.pop((job.framework, job.page), None)
        self.done += 1
        self.failed += outcome.status == "failed"
        if self.live is None:
            mark = {"failed": "FAILED", "interrupted": "STOPPED"}.get(outcome.status, "ok")
            print(
                f"[{self.done}/{self.total}] {mark:7} {job.framework}/{job.page} "
                f"{outcome.seconds:.1f} s ({job.reason})",
                file=self.stream,
                flush=True,
            )
        self._refresh()

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._render())

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
