"""The book's configuration, declared once.

Every setting is a field of :class:`BookConfig` whose metadata says its ``conf.py`` name, its
d2lbook ``config.ini`` key, how to validate it and what it means. Reading ``conf.py``, mapping a
d2lbook ``config.ini`` and the documentation table (:func:`docs_table`) all derive from it.
"""

from __future__ import annotations

import configparser
import dataclasses
import re
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .frameworks import Framework, framework_from_spec

Validator = Callable[[Any], Any]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value.strip()


def _names(value: Any) -> tuple[str, ...]:
    """A list of names, from a Python list or a d2lbook comma/whitespace-separated string."""
    if isinstance(value, str):
        items = [v for v in re.split(r"[,\s]+", value) if v]
    elif isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        raise ValueError(f"expected a list of names, got {type(value).__name__}")
    return tuple(items)


def _frameworks(value: Any) -> tuple[Framework, ...]:
    specs = _names(value) if isinstance(value, str) else value
    if not isinstance(specs, (list, tuple)) or not specs:
        raise ValueError("expected a non-empty list of frameworks")
    fws = tuple(framework_from_spec(s) for s in specs)
    names = [fw.name for fw in fws]
    if len(set(names)) != len(names):
        raise ValueError(f"a framework is listed twice: {names}")
    return fws


def _positive(value: Any) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("expected a positive number")
    return number


@dataclass(frozen=True)
class LibraryAliases:
    """A framework's d2lbook ``[library-<fw>]`` aliases, appended to its generated module."""

    lib_name: str = ""
    simple_alias: tuple[tuple[str, str], ...] = ()
    fluent_alias: tuple[tuple[str, str], ...] = ()
    alias: tuple[tuple[str, str], ...] = ()


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``a, b -> c`` into ``(("a", "a"), ("b", "c"))``; d2lbook's alias list syntax."""
    pairs = []
    for item in re.split(r"[,\n]", text):
        item = item.strip()
        if not item:
            continue
        if "->" in item:
            src, dst = (s.strip() for s in item.split("->", 1))
        else:
            src = dst = item
        # d2l-en's own config.ini writes `exp(`: a stray parenthesis d2lbook tolerates
        pairs.append((src.rstrip("( "), dst.rstrip("( ")))
    return tuple(pairs)


def _assignments(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for line in text.splitlines():
        if "=" in line:
            name, expr = line.split("=", 1)
            pairs.append((name.strip(), expr.strip()))
    return tuple(pairs)


def _library(value: Any) -> dict[str, LibraryAliases]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping from framework name to its aliases")
    out = {}
    for fw, spec in value.items():
        if isinstance(spec, LibraryAliases):
            out[str(fw)] = spec
            continue
        if not isinstance(spec, dict):
            raise ValueError(f"aliases of {fw!r} must be a mapping")
        out[str(fw)] = LibraryAliases(
            lib_name=str(spec.get("lib_name", "")),
            simple_alias=_pairs(spec.get("simple_alias", "")),
            fluent_alias=_pairs(spec.get("fluent_alias", "")),
            alias=_assignments(spec.get("alias", "")),
        )
    return out


def option(
    help: str,
    *,
    default: Any = dataclasses.MISSING,
    factory: Any = dataclasses.MISSING,
    conf: str,
    ini: tuple[str, str] | None = None,
    validate: Validator = lambda v: v,
) -> Any:
    """A configuration field: its ``conf.py`` name, its ``config.ini`` key, validator, help."""
    meta = {"help": help, "conf": conf, "ini": ini, "validate": validate}
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class BookConfig:
    """Everything polybook reads about a book."""

    root: Path = field(metadata={"help": "The book's folder (set by --source)."})
    config_file: str = field(default="", metadata={"help": "The file the values came from."})
    name: str = option(
        "Short name: file names of the PDF and notebook archives.",
        default="book",
        conf="polybook_name",
        ini=("project", "name"),
        validate=_text,
    )
    title: str = option(
        "The book's title.",
        default="Untitled",
        conf="project",
        ini=("project", "title"),
        validate=_text,
    )
    author: str = option(
        "Authors, as shown on the title page.",
        default="",
        conf="author",
        ini=("project", "author"),
        validate=_text,
    )
    copyright: str = option(
        "Copyright line.", default="", conf="copyright", ini=("project", "copyright"), validate=_text
    )
    release: str = option(
        "Version of the book.", default="", conf="release", ini=("project", "release"), validate=_text
    )
    frameworks: tuple[Framework, ...] = option(
        "Frameworks in tab order; the first is the default of unmarked cells.",
        factory=lambda: _frameworks(["pytorch"]),
        conf="polybook_frameworks",
        ini=("build", "tabs"),
        validate=_frameworks,
    )
    languages: tuple[str, ...] = option(
        "Languages of the site; the first is the source language.",
        default=("en",),
        conf="polybook_languages",
        validate=_names,
    )
    pages_dir: str = option(
        "Folder, relative to the book's root, that holds index.md and the chapters.",
        default=".",
        conf="polybook_pages",
        validate=_text,
    )
    exclude: tuple[str, ...] = option(
        "Glob patterns of Markdown files that are not pages.",
        default=("README.md", "CONTRIBUTING.md", "CHANGELOG.md", "STYLE_GUIDE.md", "INFO.md"),
        conf="polybook_exclude",
        ini=("build", "exclusions"),
        validate=_names,
    )
    library: dict[str, LibraryAliases] = option(
        "Per framework: names appended to its library module (d2lbook's [library-<fw>]).",
        factory=dict,
        conf="polybook_library",
        validate=_library,
    )
    timeout: float = option(
        "Seconds a code cell may run before its notebook fails.",
        default=1200.0,
        conf="polybook_timeout",
        validate=_positive,
    )
    requirements: tuple[str, ...] = option(
        "pip requirements every framework's environment gets besides the framework.",
        default=(),
        conf="polybook_requirements",
        validate=_names,
    )
    bibfiles: tuple[str, ...] = option(
        "BibTeX files, relative to the book's root, that `:cite:` draws on.",
        default=("references.bib",),
        conf="polybook_bibfiles",
        ini=("pdf", "bibfile"),
        validate=_names,
    )
    colab_url: str = option(
        "URL of a page's notebook in Colab; {framework} and {page} are filled in. Empty: no link.",
        default="",
        conf="polybook_colab_url",
        validate=_text,
    )
    suppress_warnings: tuple[str, ...] = option(
        "Sphinx warning types to silence (e.g. polybook.image-missing), as in Sphinx.",
        default=(),
        conf="suppress_warnings",
        validate=_names,
    )
    repository: str = option(
        "The book's repository URL (for 'Open in Colab' links).",
        default="",
        conf="polybook_repository",
        validate=_text,
    )

    @property
    def pages_root(self) -> Path:
        return (self.root / self.pages_dir).resolve()

    @property
    def default_framework(self) -> Framework:
        return self.frameworks[0]

    def framework(self, name: str) -> Framework | None:
        """The configured framework called ``name`` (case-insensitive, aliases too)."""
        key = name.strip().lower()
        for fw in self.frameworks:
            if key == fw.name or key in fw.aliases:
                return fw
        return None

    def select_frameworks(self, spec: str | None) -> tuple[Framework, ...]:
        """Frameworks named by a ``--framework`` value (``all``, or a comma list).

        :raises ConfigError: for a name the configuration does not list.
        """
        if not spec or spec.strip().lower() == "all":
            return self.frameworks
        chosen = []
        for name in _names(spec):
            fw = self.framework(name)
            if fw is None:
                known = ", ".join(f.name for f in self.frameworks)
                raise ConfigError(f"--framework {name!r} is not one of the book's: {known}")
            chosen.append(fw)
        return tuple(chosen)


def _options() -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(BookConfig) if "conf" in f.metadata]


def _build(root: Path, source: str, values: dict[str, Any]) -> BookConfig:
    kwargs: dict[str, Any] = {}
    for f in _options():
        if f.name not in values:
            continue
        raw = values[f.name]
        try:
            kwargs[f.name] = f.metadata["validate"](raw)
        except (ValueError, TypeError) as exc:
            key = f.metadata["conf"] if source.endswith(".py") else ".".join(f.metadata["ini"])
            raise ConfigError(f"{key} = {raw!r}: {exc}", key=key, path=source) from exc
    return BookConfig(root=root, config_file=source, **kwargs)


def read_conf_py(root: Path) -> BookConfig:
    """Read polybook's own ``conf.py`` (Sphinx's conventions) from ``root``."""
    path = root / "conf.py"
    try:
        namespace = runpy.run_path(str(path))
    except Exception as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from exc
    values = {f.name: namespace[f.metadata["conf"]] for f in _options() if f.metadata["conf"] in namespace}
    return _build(root, str(path), values)


def read_config_ini(root: Path) -> BookConfig:
    """Read a d2lbook book's ``config.ini``, mapping its keys onto :class:`BookConfig`."""
    path = root / "config.ini"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from exc
    values: dict[str, Any] = {}
    for f in _options():
        ini = f.metadata["ini"]
        if ini and parser.has_option(*ini):
            values[f.name] = parser.get(*ini)
    library = {
        section.removeprefix("library-"): dict(parser.items(section))
        for section in parser.sections()
        if section.startswith("library-")
    }
    if library:
        values["library"] = library
    return _build(root, str(path), values)


def load_config(root: str | Path) -> BookConfig:
    """The configuration of the book in ``root``: its ``conf.py``, else its ``config.ini``.

    :raises ConfigError: when neither exists or a value is invalid.
    """
    root = Path(root).resolve()
    if (root / "conf.py").is_file():
        return read_conf_py(root)
    if (root / "config.ini").is_file():
        return read_config_ini(root)
    raise ConfigError(f"no conf.py or config.ini in {root}", path=str(root))


def docs_table() -> str:
    """A Markdown table of every setting, for the documentation."""
    rows = ["| conf.py | config.ini | default | meaning |", "|---|---|---|---|"]
    for f in _options():
        ini = ".".join(f.metadata["ini"]) if f.metadata["ini"] else ""
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
        if isinstance(default, tuple) and all(isinstance(d, Framework) for d in default):
            default = [fw.name for fw in default]
        rows.append(f"| `{f.metadata['conf']}` | {ini} | `{default!r}` | {f.metadata['help']} |")
    return "\n".join(rows)
