"""The execution cache: content-addressed, written atomically, able to say why it misses.

A notebook's key is a hash of what decides its outputs: its code cells for that framework, the
kernel environment's frozen package list, the library symbols it uses (each with what it calls),
and the execution options. Prose, marks, translations, tags and ``#@hide`` markers are not in it.

Layout under ``OUT/cache/``::

    entries/<fw>/<key>.ipynb     an executed notebook, only ever written whole
    records/<fw>/<page>.json     the components of the page's last successful key, its seconds

With a shared store (:mod:`polybook.execution.store`), what the run stores goes there too, and
what the local cache lacks is looked for there first and copied here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..fsutil import write_bytes, write_json, write_text
from .store import Store

ENTRIES_KEPT_PER_PAGE = 3


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Components:
    """Everything a cache key is made of, kept to explain a miss."""

    cells: tuple[tuple[str, str], ...]
    """Per code cell: digest of its code, and its ``path:line``."""
    environment: str
    symbols: tuple[tuple[str, str], ...]
    """Library symbols used, with their digests, sorted by name."""
    options: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        data = json.dumps(
            [[c for c, _ in self.cells], self.environment, list(self.symbols), list(self.options)],
            sort_keys=True,
        )
        return hashlib.sha256(data.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return {k: [list(x) for x in v] if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Components:
        return cls(
            cells=tuple(tuple(c) for c in data["cells"]),
            environment=data["environment"],
            symbols=tuple(tuple(s) for s in data["symbols"]),
            options=tuple(tuple(o) for o in data["options"]),
        )


def components(
    code_cells: list[tuple[str, str]],
    environment: str,
    symbols: dict[str, str],
    options: dict[str, str],
) -> Components:
    """Components from the cells' ``(code, path:line)``, the env digest, symbols and options."""
    return Components(
        cells=tuple((_digest(code), where) for code, where in code_cells),
        environment=environment,
        symbols=tuple(sorted(symbols.items())),
        options=tuple(sorted(options.items())),
    )


def explain(current: Components, previous: Components | None) -> str:
    """Why a notebook whose key has no entry must run, in a reader's words."""
    if previous is None:
        return "new: not executed before"
    reasons: list[str] = []
    old_cells = [c for c, _ in previous.cells]
    for index, (digest, where) in enumerate(current.cells, start=1):
        if index > len(old_cells):
            reasons.append(f"cell {index} added ({where})")
        elif digest != old_cells[index - 1]:
            reasons.append(f"code changed in cell {index} ({where})")
    if len(old_cells) > len(current.cells):
        reasons.append(f"{len(old_cells) - len(current.cells)} cell(s) removed")
    old_symbols, new_symbols = dict(previous.symbols), dict(current.symbols)
    for name in sorted(new_symbols):
        if name in old_symbols and old_symbols[name] != new_symbols[name]:
            reasons.append(
                "library imports changed" if name.startswith("(") else f"library symbol d2l.{name} changed"
            )
    added = sorted(set(new_symbols) - set(old_symbols))
    if added:
        reasons.append(
            "uses library symbol(s) " + ", ".join(f"d2l.{n}" for n in added if not n.startswith("("))
        )
    if current.environment != previous.environment:
        reasons.append("environment changed")
    if current.options != previous.options:
        reasons.append("execution options changed")
    return "; ".join(r for r in reasons if r) or "key changed"


@dataclass
class Record:
    """What the cache remembers of a page's last successful execution."""

    key: str
    components: Components
    seconds: float
    peak_memory_mb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Cache:
    """The cache of one output folder, and the shared store it reads and fills (if any)."""

    def __init__(self, out: Path, shared: Store | None = None) -> None:
        self.root = out / "cache"
        self.shared = shared

    def entry(self, framework: str, key: str) -> Path:
        return self.root / "entries" / framework / f"{key}.ipynb"

    def record_path(self, framework: str, page: str) -> Path:
        return self.root / "records" / framework / f"{page}.json"

    def has(self, framework: str, key: str) -> bool:
        return self.entry(framework, key).is_file()

    def fetch(self, framework: str, keys: list[str]) -> set[str]:
        """Copy the entries of ``keys`` that the shared store has and this cache lacks here;
        return the keys it had."""
        if self.shared is None:
            return set()
        missing = {self.shared.entry(framework, key): key for key in keys if not self.has(framework, key)}
        found = self.shared.read(missing)
        for path, data in found.items():
            write_bytes(self.entry(framework, missing[path]), data)
        return {missing[path] for path in found}

    def fetch_records(self, pairs: list[tuple[str, str]]) -> None:
        """Copy the shared store's records of ``(framework, page)`` pairs this cache has none of."""
        if self.shared is None:
            return
        missing = {
            self.shared.record(fw, page): (fw, page)
            for fw, page in pairs
            if not self.record_path(fw, page).is_file()
        }
        for path, data in self.shared.read(missing).items():
            write_bytes(self.record_path(*missing[path]), data)

    def record(self, framework: str, page: str) -> Record | None:
        path = self.record_path(framework, page)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Record(
                key=data["key"],
                components=Components.from_json(data["components"]),
                seconds=float(data["seconds"]),
                peak_memory_mb=data.get("peak_memory_mb"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no record, or one from an older polybook: the page simply runs

    def store(
        self,
        framework: str,
        page: str,
        comps: Components,
        notebook_json: str,
        seconds: float,
        peak: float | None,
    ) -> None:
        """Keep an executed notebook: the entry first, then the record that points to it.

        Each file is written through a temporary file and a rename, so a build killed at any
        moment leaves a whole entry or none, and a record only ever names an existing entry. The
        shared store gets the entry (unless another run wrote that key first), then the record.
        """
        write_text(self.entry(framework, comps.key), notebook_json)
        record = {
            "key": comps.key,
            "components": comps.to_json(),
            "seconds": round(seconds, 3),
            "peak_memory_mb": peak,
        }
        write_json(self.record_path(framework, page), record)
        if self.shared is not None:
            self.shared.put_once(self.shared.entry(framework, comps.key), notebook_json.encode())
            self.shared.put(
                self.shared.record(framework, page), self.record_path(framework, page).read_bytes()
            )

    def prune(self, framework: str, keep: set[str]) -> int:
        """Remove entries that no record names, beyond the newest few; return how many."""
        folder = self.root / "entries" / framework
        if not folder.is_dir():
            return 0
        stale = sorted(
            (p for p in folder.glob("*.ipynb") if p.stem not in keep),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        removed = 0
        for path in stale[ENTRIES_KEPT_PER_PAGE * max(1, len(keep)) :]:
            path.unlink(missing_ok=True)
            removed += 1
        return removed
