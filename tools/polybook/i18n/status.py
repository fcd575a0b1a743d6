"""What is translated: counts per page and language, and the list of what is left to do.

Drafts (suggestions from translation memory or a machine) are counted apart and never as
translated; an orphan counts when it holds a translation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .pairs import Pair

STATES = ("translated", "stale", "draft", "missing", "orphaned")


@dataclass(frozen=True)
class Todo:
    """One unit a translator can act on, where to find it, and why."""

    state: str
    """``missing``, ``stale``, ``draft`` or ``orphaned``."""
    path: str
    line: int
    text: str
    """The first words of its source (of its translation, for an orphan)."""

    def format(self) -> str:
        words = " ".join(self.text.split())
        shown = words if len(words) <= 60 else words[:59] + "…"
        return f"{self.path}:{self.line}: {self.state}: {shown}"


@dataclass
class Status:
    page: str
    translated: int = 0
    stale: int = 0
    missing: int = 0
    orphaned: int = 0
    draft: int = 0
    todo: list[Todo] = field(default_factory=list, compare=False, repr=False)

    @property
    def total(self) -> int:
        return self.translated + self.stale + self.missing + self.draft

    @property
    def percent(self) -> float:
        return round(100 * self.translated / self.total, 1) if self.total else 100.0

    def record(self) -> dict[str, object]:
        """The counts as the JSON report shows them."""
        return {key: getattr(self, key) for key in (*STATES, "percent")}


def status_table(data: dict[str, object]) -> list[str]:
    """A language's report (:func:`polybook.i18n.pages.report`) as the lines of a table."""
    rows: list[dict[str, object]] = data["pages"]  # type: ignore[assignment]
    total: dict[str, object] = data["total"]  # type: ignore[assignment]
    lines = [f"{'page':<55} {'done':>5} {'stale':>5} {'draft':>5} {'todo':>5} {'orph':>5} {'%':>6}"]
    for r in [*rows, {**total, "page": f"{data['language']} total"}]:
        counts = f"{r['translated']:>5} {r['stale']:>5} {r['draft']:>5} {r['missing']:>5} {r['orphaned']:>5}"
        lines.append(f"{r['page']:<55} {counts} {r['percent']:>6}")
    return lines


def total_status(name: str, statuses: list[Status]) -> Status:
    """The sum of pages' statuses (a language's)."""
    total = Status(name)
    for status in statuses:
        for key in STATES:
            setattr(total, key, getattr(total, key) + getattr(status, key))
    return total


def state_of(pair: Pair) -> str:
    """``translated``, ``stale``, ``draft`` or ``missing``."""
    if not pair.translation:
        return "draft" if pair.draft else "missing"
    return "stale" if pair.previous is not None else "translated"


def status_of(
    page: str,
    pairs: list[Pair],
    orphans: list[Pair],
    *,
    pair_path: str = "",
    chapter_path: str = "",
    unit_lines: list[int] | None = None,
) -> Status:
    """The counts of one page, with the units left to do located in the pair file (or, for a
    unit the file does not have yet, in the chapter)."""
    status = Status(page)
    for index, pair in enumerate(pairs):
        state = state_of(pair)
        setattr(status, state, getattr(status, state) + 1)
        if state == "translated":
            continue
        if pair.source_line:
            where, line = (
                pair_path,
                {"stale": pair.line, "draft": pair.draft_line}.get(state) or pair.source_line,
            )
        else:
            where, line = chapter_path, unit_lines[index] if unit_lines else 0
        status.todo.append(Todo(state, where, line, pair.source))
    for orphan in orphans:
        if orphan.translation:
            status.orphaned += 1
            status.todo.append(Todo("orphaned", pair_path, orphan.line, orphan.translation))
    return status
