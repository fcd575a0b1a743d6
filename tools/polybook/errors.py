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
from typing import Any


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
    LIBRARY_UNDEFINED = (
        "library-undefined",
        Severity.WARNING,
        "a saved block uses a name the generated library never defines (an import without `#@save`?)",
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
    FILE_MISSING = (
        "file-missing",
        Severity.WARNING,
        "a file an `eval_rst` directive reads (`raw :file:`, `include`) does not exist; it is left out",
    )
    FILE_OUTSIDE = (
        "file-outside",
        Severity.ERROR,
        "a file an `eval_rst` directive reads is outside the book's folder",
    )
    TOC_MISSING = ("toc-missing", Severity.ERROR, "a ```` ```toc ```` entry names no page")
    CONFIG = ("config", Severity.ERROR, "a configuration value is invalid")
    CONFIG_IGNORED = (
        "config-ignored",
        Severity.WARNING,
        "a d2lbook `config.ini` key that polybook does not use (the message says why) or does not know",
    )
    RESOURCE_MISSING = (
        "resource-missing",
        Severity.WARNING,
        "a file the configuration names (a resource, logo, favicon, stylesheet, script) does not exist",
    )
    ENCODING = ("encoding", Severity.ERROR, "a page, pair file or configuration is not UTF-8")
    ENCODING_GUESSED = (
        "encoding-guessed",
        Severity.WARNING,
        "a file to import is not UTF-8: read in the encoding it appears to be in (named), written as UTF-8",
    )
    OUTPUT = (
        "output",
        Severity.ERROR,
        "the output folder cannot be used: not writable, the book's own folder, or another book's",
    )
    USAGE = (
        "usage",
        Severity.ERROR,
        "a command-line argument names no language, framework or page of the book",
    )
    LOCALE_MISSING = (
        "locale-missing",
        Severity.WARNING,
        "a language has no locale file: the words polybook adds to its pages are English",
    )
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
    TRANSLATION_HTML = (
        "translation-html",
        Severity.ERROR,
        "a translation adds raw HTML the source lacks (a `<script>`, an `onerror` attribute…)",
    )
    TRANSLATION_FILE = (
        "translation-file",
        Severity.ERROR,
        "a translation reads a file: `literalinclude`, `include`, `raw` with `:file:`/`:url:`, `download`",
    )
    TRANSLATION_PATH = (
        "translation-path",
        Severity.ERROR,
        "a translation points at a path outside the book (an image, a link)",
    )
    TRANSLATION_EMPHASIS = (
        "translation-emphasis",
        Severity.ERROR,
        "a `*` in a translation opens or closes no emphasis",
    )
    TRANSLATION_UNCLOSED = (
        "translation-unclosed",
        Severity.ERROR,
        "a translation opens a fence, an equation or a directive it never closes",
    )
    TRANSLATION_UNPAIRED = (
        "translation-unpaired",
        Severity.WARNING,
        "a block pairs with no source block (or a source block with no translation) on import or sync",
    )
    TRANSLATION_LOSS = (
        "translation-loss",
        Severity.ERROR,
        "rewriting a pair file would lose a translator's words: nothing was written",
    )
    GLOSSARY = (
        "glossary",
        Severity.ERROR,
        "a line of a `glossary.tsv` is not `term<TAB>translation[<TAB>notes]`",
    )
    TRANSLATION_GLOSSARY = (
        "translation-glossary",
        Severity.WARNING,
        "a translation does not use the glossary's translation of a term its source has",
    )
    EVAL_FAILED = (
        "eval-failed",
        Severity.ERROR,
        "a notebook failed to execute: an exception, a timeout, a dead kernel or its memory cap, at its cell",
    )
    EVAL_OUTPUT_CUT = (
        "eval-output-cut",
        Severity.WARNING,
        "a notebook's outputs passed `polybook_max_output`: the rest is cut, with a note on the page",
    )
    EVAL_GPU_UNDECLARED = (
        "eval-gpu-undeclared",
        Severity.WARNING,
        "a page's code looks like it wants a GPU but declares no `#@gpu`: it runs on the CPU",
    )

    def __init__(self, code: str, severity: Severity, description: str) -> None:
        self.code = code
        self.severity = severity
        self.description = description


@dataclass(frozen=True, order=True)
class Position:
    """A place in a source file; ``line`` is 1-based (0: the file as a whole)."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Diagnostic:
    kind: Kind
    message: str
    position: Position
    demoted: bool = False
    """An error of its kind that this command reports as a warning (it does not concern it)."""

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.demoted else self.kind.severity

    def relocated(self, path: str) -> Diagnostic:
        """The same diagnostic, with its file shown as ``path``."""
        return Diagnostic(self.kind, self.message, Position(path, self.position.line), self.demoted)

    def as_warning(self) -> Diagnostic:
        """The same diagnostic, reported as a warning."""
        return Diagnostic(self.kind, self.message, self.position, True)

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


class LocatedError(PolybookError):
    """An error about one file (and line): shown as ``path[:line]: message [polybook.<kind>]``."""

    kind = Kind.CONFIG

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        super().__init__(message, path, line)
        self.message = message
        self.path = path
        self.line = line

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across process pools, keywords included
        return (_rebuild, (type(self), self.__dict__))

    def __str__(self) -> str:
        where = str(Position(self.path, self.line)) + ": " if self.path else ""
        return f"{where}{self.message} [polybook.{self.kind.code}]"

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.kind, self.message, Position(self.path, self.line))


def _rebuild(cls: type[LocatedError], state: dict[str, Any]) -> LocatedError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, *state.values())
    return error


class ConfigError(LocatedError):
    """A configuration value is missing or invalid."""

    def __init__(self, message: str, *, key: str = "", path: str = "", line: int = 0) -> None:
        super().__init__(message, path=path, line=line)
        self.key = key


class EncodingError(LocatedError):
    """A file a person wrote is not UTF-8."""

    kind = Kind.ENCODING

    def __init__(self, path: str, byte: int, line: int) -> None:
        super().__init__(f"not UTF-8 at byte {byte} (line {line})", path=path)
        self.byte = byte
        self.at_line = line


class OutputError(LocatedError):
    """The output folder cannot be used."""

    kind = Kind.OUTPUT


class UsageError(LocatedError):
    """A command-line argument that does not fit the book."""

    kind = Kind.USAGE


class SourceErrors(PolybookError):
    """The book's source has errors; carries every diagnostic of the run."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        errors = sum(d.severity is Severity.ERROR for d in self.diagnostics)
        return f"{errors} error(s) in the book's source"
