"""Diagnostics and errors: one taxonomy, every message located as ``path:line``.

A :class:`Diagnostic` is something wrong with the book's source; a run collects all of them
(:class:`Diagnostics`) and reports them together. A :class:`PolybookError` stops a command;
only the CLI catches it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Kind(enum.Enum):
    """Every diagnostic polybook reports; the value is the suffix shown as ``[polybook.<value>]``.

    The member's docstring-like description (second tuple item) feeds the generated docs table.
    """

    FENCE_UNCLOSED = ("fence-unclosed", Severity.ERROR, "a code fence is never closed")
    TAB_UNCLOSED = ("tab-unclosed", Severity.ERROR, "a `:begin_tab:` has no `:end_tab:`")
    TAB_UNOPENED = ("tab-unopened", Severity.ERROR, "an `:end_tab:` has no `:begin_tab:`")
    TAB_NESTED = (
        "tab-nested",
        Severity.WARNING,
        "a `:begin_tab:` inside an open prose tab closes the open one",
    )
    FRAMEWORK_UNKNOWN = (
        "framework-unknown",
        Severity.ERROR,
        "a tab names a framework the configuration does not list",
    )
    SAVE_TARGET = (
        "save-target",
        Severity.ERROR,
        "`#@save` marks something that is not a def, class, import or assignment",
    )
    CELL_SYNTAX = (
        "cell-syntax",
        Severity.ERROR,
        "a code cell that polybook must analyse is not valid Python",
    )
    ADD_TO_CLASS_UNKNOWN = (
        "add-to-class-unknown",
        Severity.ERROR,
        "`@d2l.add_to_class(C)` names a class that no `#@save` block defines",
    )
    SAVE_DUPLICATE = (
        "save-duplicate",
        Severity.WARNING,
        "a name is saved twice in one framework's library; the later one wins",
    )
    LABEL_DUPLICATE = ("label-duplicate", Severity.ERROR, "a label is defined twice in the book")
    REF_UNKNOWN = (
        "ref-unknown",
        Severity.ERROR,
        "a `:numref:`, `:ref:` or `:eqref:` names no label of the book",
    )
    MARK_ORPHAN = (
        "mark-orphan",
        Severity.WARNING,
        "a `:label:`, `:width:` or caption has nothing to attach to",
    )
    IMAGE_MISSING = ("image-missing", Severity.WARNING, "an image file does not exist")
    IMAGE_OUTSIDE = (
        "image-outside",
        Severity.ERROR,
        "an image path points outside the book's folder",
    )
    TOC_MISSING = ("toc-missing", Severity.ERROR, "a ```` ```toc ```` entry names no page")
    CONFIG = ("config", Severity.ERROR, "a configuration value is invalid")
    TRANSLATION_ROLE = (
        "translation-role",
        Severity.ERROR,
        "a translation lost or changed a role of its source",
    )
    TRANSLATION_CODE = ("translation-code", Severity.ERROR, "a translation lost or changed inline code")
    TRANSLATION_MATH = ("translation-math", Severity.ERROR, "a translation lost or changed math")
    TRANSLATION_LINK = (
        "translation-link",
        Severity.ERROR,
        "a translation lost or changed a link or image target",
    )
    TRANSLATION_BROKEN_ROLE = (
        "translation-broken-role",
        Severity.ERROR,
        "a role in a translation is broken by a space or a typographic quote",
    )
    TRANSLATION_BROKEN_LINK = (
        "translation-broken-link",
        Severity.ERROR,
        "a space between `]` and `(` breaks a link",
    )
    TRANSLATION_HEADING = (
        "translation-heading",
        Severity.ERROR,
        "a translated heading lost the space after `#`",
    )
    TRANSLATION_EXTRA = ("translation-extra", Severity.ERROR, "a translation adds a mark the source lacks")
    TRANSLATION_HTML = ("translation-html", Severity.ERROR, "a translation adds raw HTML the source lacks")
    EVAL_FAILED = (
        "eval-failed",
        Severity.ERROR,
        "a notebook failed to execute: an exception, a timeout or a dead kernel, at its cell",
    )

    def __init__(self, code: str, severity: Severity, description: str) -> None:
        self.code = code
        self.severity = severity
        self.description = description


@dataclass(frozen=True, order=True)
class Position:
    """A place in a source file; ``line`` is 1-based."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Diagnostic:
    kind: Kind
    message: str
    position: Position

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    def format(self) -> str:
        prefix = "" if self.severity is Severity.ERROR else "warning: "
        return f"{self.position}: {prefix}{self.message} [polybook.{self.kind.code}]"

    def __str__(self) -> str:
        return self.format()


@dataclass
class Diagnostics:
    """Collects the diagnostics of one run, in the order they were found."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, kind: Kind, message: str, path: str | Path, line: int) -> None:
        self.items.append(Diagnostic(kind, message, Position(str(path), line)))

    def extend(self, other: Diagnostics | list[Diagnostic]) -> None:
        self.items.extend(other.items if isinstance(other, Diagnostics) else other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.position, d.kind.code))

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)


class PolybookError(Exception):
    """Base of every error that stops a polybook command."""

    exit_code = 1


class ConfigError(PolybookError):
    """A configuration value is missing or invalid."""

    def __init__(self, message: str, *, key: str = "", path: str = "") -> None:
        super().__init__(message, key, path)
        self.message = message
        self.key = key
        self.path = path

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message} [polybook.config]"


class SourceErrors(PolybookError):
    """The book's source has errors; carries every diagnostic of the run."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        errors = sum(d.severity is Severity.ERROR for d in self.diagnostics)
        return f"{errors} error(s) in the book's source"
