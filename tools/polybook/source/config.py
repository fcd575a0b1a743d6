"""The book's configuration, declared once.

Every setting is a field of :class:`BookConfig` whose metadata says its ``conf.py`` name, its
d2lbook ``config.ini`` key, how to validate it and what it means. Reading ``conf.py``, mapping a
d2lbook ``config.ini`` and the documentation table (:func:`docs_table`) all derive from it.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import math
import re
import runpy
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ConfigError, Diagnostic, Position
from ..fsutil import read_source, write_text
from .frameworks import Framework, framework_from_spec

Validator = Callable[[Any], Any]
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


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
    if not math.isfinite(number):
        raise ValueError("expected a positive number, not nan or infinity")
    if number <= 0:
        raise ValueError("expected a positive number")
    return number


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.I)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(value: Any) -> int:
    """Bytes from a size as people write it: ``8G``, ``512 MB``, ``5M``, ``1.5GiB`` or a number of
    bytes. Units are binary (``1G`` is 2**30 bytes), as ``docker -m`` and ``ulimit`` read them."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 8G or 512M")
    if isinstance(value, (int, float)):
        number, unit = float(value), ""
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a size such as 8G, 512M or 5MB")
        number, unit = float(match.group(1)), match.group(2).upper()
    size = int(number * _UNITS[unit])
    if not math.isfinite(number) or size <= 0:
        raise ValueError("expected a positive size")
    return size


def _optional_size(value: Any) -> int | None:
    return None if value in (None, "", 0) else parse_size(value)


def _bool(value: Any) -> bool:
    """A yes/no setting: a Python bool, or d2lbook's ``True``/``False`` (also yes/no, 1/0)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ValueError("expected True or False")


def _links(value: Any) -> tuple[tuple[str, str, str], ...]:
    """Navigation-bar links: (name, URL, Font Awesome icon) triples, from a list or from
    d2lbook's comma-separated ``header_links`` text."""
    if isinstance(value, str):
        items = [v.strip() for v in value.replace("\n", ",").split(",")]
        items = [v for v in items if v]
        if len(items) % 3:
            raise ValueError("expected name, URL, icon triples separated by commas")
        return tuple((items[i], items[i + 1], items[i + 2]) for i in range(0, len(items), 3))
    if isinstance(value, (list, tuple)):
        links = []
        for item in value:
            if isinstance(item, dict):
                item = (item.get("name", ""), item.get("url", ""), item.get("icon", ""))
            if not isinstance(item, (list, tuple)) or len(item) != 3:
                raise ValueError(f"{item!r} is not a (name, URL, icon) triple")
            links.append((str(item[0]), str(item[1]), str(item[2])))
        return tuple(links)
    raise ValueError(f"expected a list of links, got {type(value).__name__}")


def _sphinx_settings(value: Any) -> dict[str, Any]:
    """More Sphinx settings: a mapping, or d2lbook's ``name = value`` lines (values are Python
    literals, else text)."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    settings: dict[str, Any] = {}
    for line in str(value).splitlines():
        if not line.strip():
            continue
        name, equals, raw = line.partition("=")
        if not equals or not _IDENTIFIER.match(name.strip()):
            raise ValueError(f"{line.strip()!r} is not `name = value`")
        try:
            settings[name.strip()] = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            settings[name.strip()] = raw.strip()
    return settings


#: A language code as BCP 47 writes it (``ko``, ``zh``, ``pt-BR``, ``zh_Hant``): never a path.
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def _languages(value: Any) -> tuple[str, ...]:
    codes = _names(value)
    if not codes:
        raise ValueError("expected at least the source language")
    for code in codes:
        if not LANGUAGE_CODE.match(code):
            raise ValueError(f"{code!r} is not a language code (such as en, ko, zh, pt-BR)")
    if len(set(codes)) != len(codes):
        raise ValueError("a language is listed twice")
    return codes


_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _fail(message: str) -> Any:
    raise ValueError(message)


def _file_name(value: Any) -> str:
    """A name that becomes part of file names (``<name>-pytorch.zip``): no folders, no ``..``."""
    name = _text(value)
    if not _FILE_NAME.match(name) or ".." in name:
        raise ValueError("expected a name of letters, digits, '.', '-' and '_' (it names files)")
    return name


@dataclass(frozen=True)
class LibraryAliases:
    """A framework's d2lbook ``[library-<fw>]`` aliases, appended to its generated module."""

    lib_name: str = ""
    lib_file: str = ""
    """Where the module goes, relative to the book's root (d2lbook's ``lib_file``)."""
    simple_alias: tuple[tuple[str, str], ...] = ()
    fluent_alias: tuple[tuple[str, str], ...] = ()
    alias: tuple[tuple[str, str], ...] = ()


_ATTRIBUTE = re.compile(r"^[A-Za-z_][\w.()]*$")


def _pairs(text: Any, key: str) -> tuple[tuple[str, str], ...]:
    """``a, b -> c`` into ``(("a", "a"), ("b", "c"))``; d2lbook's alias list syntax."""
    pairs = []
    for item in re.split(r"[,\n]", str(text)):
        item = item.strip()
        if not item:
            continue
        if "->" in item:
            src, dst = (s.strip() for s in item.split("->", 1))
        else:
            src = dst = item
        # d2l-en's own config.ini writes `exp(`: a stray parenthesis d2lbook tolerates
        src, dst = src.rstrip("( "), dst.rstrip("( ")
        if not _IDENTIFIER.match(src) or not _ATTRIBUTE.match(dst):
            raise ValueError(f"{key}: {item!r} is not `name` or `name -> attribute`")
        pairs.append((src, dst))
    return tuple(pairs)


def _assignments(text: Any) -> tuple[tuple[str, str], ...]:
    pairs = []
    for line in str(text).splitlines():
        if not line.strip():
            continue
        name, equals, expr = line.partition("=")
        name, expr = name.strip(), expr.strip()
        if not equals or not _IDENTIFIER.match(name):
            raise ValueError(f"alias: {line.strip()!r} is not `name = expression`")
        try:
            ast.parse(expr, mode="eval")
        except SyntaxError as exc:
            raise ValueError(f"alias: {line.strip()!r}: the expression is not Python ({exc.msg})") from exc
        pairs.append((name, expr))
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
        lib_name = str(spec.get("lib_name", "")).strip()
        if lib_name and not _ATTRIBUTE.match(lib_name):
            raise ValueError(f"lib_name: {lib_name!r} is not a module name")
        lib_file = str(spec.get("lib_file", "")).strip()
        if lib_file and (
            Path(lib_file).is_absolute() or ".." in Path(lib_file).parts or not lib_file.endswith(".py")
        ):
            raise ValueError(f"lib_file: {lib_file!r} is not a .py file inside the book")
        out[str(fw)] = LibraryAliases(
            lib_name=lib_name,
            lib_file=lib_file,
            simple_alias=_pairs(spec.get("simple_alias", ""), "simple_alias"),
            fluent_alias=_pairs(spec.get("fluent_alias", ""), "fluent_alias"),
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
        validate=_file_name,
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
        ini=("project", "lang"),
        validate=_languages,
    )
    pages_dir: str = option(
        "Folder, relative to the book's root, that holds index.md and the chapters.",
        default=".",
        conf="polybook_pages",
        ini=("build", "source_dir"),
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
    max_memory: int | None = option(
        "Memory a notebook's kernel (and what it starts) may use, e.g. '8G'; past it the notebook "
        "fails at the running cell. None: no cap. A page's `#@memory 16G` overrides it.",
        default=None,
        conf="polybook_max_memory",
        validate=_optional_size,
    )
    max_output: int = option(
        "Outputs a notebook may keep, e.g. '5M'; what comes after is cut, with a note on the page.",
        default=5 * 2**20,
        conf="polybook_max_output",
        validate=parse_size,
    )
    cache: str = option(
        "A shared execution cache (fsspec URL: file:///srv/cache, s3://bucket/prefix) that every "
        "machine and CI run reads and fills; --cache and POLYBOOK_CACHE override it. Empty: none.",
        default="",
        conf="polybook_cache",
        validate=_text,
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
        "URL of a page's notebook in Colab; {framework}, {page} and {lang} are filled in. Empty: "
        "derived from a GitHub polybook_repository, or no link.",
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
    site_url: str = option(
        "URL the site is published at (its root, holding en/, ko/ …): notebooks link to it.",
        default="",
        conf="polybook_site_url",
        validate=_text,
    )
    d2l_url: str = option(
        "Where downloaded notebooks install the book's d2l package from; {wheel} and {version} "
        "are filled in. Empty: the wheel on polybook_site_url, or d2l-<name>==<release> from PyPI.",
        default="",
        conf="polybook_d2l_url",
        validate=_text,
    )

    execute: bool = option(
        "Execute the notebooks when building (`--no-exec` skips it for one build).",
        default=True,
        conf="polybook_execute",
        ini=("build", "eval_notebook"),
        validate=_bool,
    )
    notebooks: tuple[str, ...] = option(
        "Glob patterns of the pages that run as notebooks; the other pages are shown unexecuted.",
        default=("*",),
        conf="polybook_notebooks",
        ini=("build", "notebooks"),
        validate=_names,
    )
    not_notebooks: tuple[str, ...] = option(
        "Glob patterns of pages shown but never run, even when `polybook_notebooks` matches them.",
        default=(),
        conf="polybook_not_notebooks",
        ini=("build", "non-notebooks"),
        validate=_names,
    )
    resources: tuple[str, ...] = option(
        "Files and folders, relative to the book's root, the book needs besides its pages; "
        "each is checked to exist.",
        default=(),
        conf="polybook_resources",
        ini=("build", "resources"),
        validate=_names,
    )
    extensions: tuple[str, ...] = option(
        "More Sphinx extensions for the site and the PDF.",
        default=(),
        conf="extensions",
        ini=("build", "sphinx_extensions"),
        validate=_names,
    )
    sphinx_settings: dict[str, Any] = option(
        "More Sphinx settings, applied last (config.ini: `name = value` lines).",
        factory=dict,
        conf="polybook_sphinx_settings",
        ini=("build", "sphinx_configs"),
        validate=_sphinx_settings,
    )
    warnings_are_errors: bool = option(
        "Sphinx warnings make `build html` and `build pdf` fail.",
        default=False,
        conf="polybook_warnings_are_errors",
        ini=("build", "warning_is_error"),
        validate=_bool,
    )
    logo: str = option(
        "The site's logo, an image relative to the book's root.",
        default="",
        conf="html_logo",
        ini=("html", "html_logo"),
        validate=_text,
    )
    favicon: str = option(
        "The site's favicon, relative to the book's root.",
        default="",
        conf="html_favicon",
        ini=("html", "favicon"),
        validate=_text,
    )
    css: tuple[str, ...] = option(
        "Stylesheets, relative to the book's root, added to every page of the site.",
        default=(),
        conf="polybook_css",
        ini=("html", "include_css"),
        validate=_names,
    )
    js: tuple[str, ...] = option(
        "Scripts, relative to the book's root, added to every page of the site.",
        default=(),
        conf="polybook_js",
        ini=("html", "include_js"),
        validate=_names,
    )
    header_links: tuple[tuple[str, str, str], ...] = option(
        "Links in the site's header: (name, URL, Font Awesome icon) triples.",
        default=(),
        conf="polybook_header_links",
        ini=("html", "header_links"),
        validate=_links,
    )
    latex_logo: str = option(
        "The PDF's title-page logo, relative to the book's root.",
        default="",
        conf="latex_logo",
        ini=("pdf", "latex_logo"),
        validate=_text,
    )
    pdf_fonts: tuple[str, str, str] = option(
        "The PDF's main, sans and mono fonts (empty: TeX Gyre Pagella, TeX Gyre Heros, Latin Modern "
        "Mono); a font the machine lacks falls back to the default with a warning.",
        default=("", "", ""),
        conf="polybook_pdf_fonts",
        validate=lambda v: tuple(str(x).strip() for x in v) if len(v) == 3 else _fail("expected 3 fonts"),
    )
    version_file: str = option(
        "A file, relative to the book's root, whose `__version__ = …` line `polybook lib` sets to "
        "the release.",
        default="",
        conf="polybook_version_file",
        ini=("library", "version_file"),
        validate=_text,
    )
    notes: tuple[Diagnostic, ...] = field(
        default=(), metadata={"help": "What reading the configuration found worth a warning."}
    )

    def where(self, name: str) -> Position:
        """Where the setting ``name`` (a field's name) is written: its file and line."""
        meta = next((f.metadata for f in _options() if f.name == name), None)
        if meta is None or not self.config_file:
            return Position(self.config_file, 0)
        if self.config_file.endswith(".py"):
            return Position(self.config_file, _line_of(self.config_file, meta["conf"]))
        if meta["ini"]:
            return Position(self.config_file, _line_of(self.config_file, meta["ini"][1], meta["ini"][0]))
        return Position(self.config_file, 0)

    @functools.cached_property
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


def _line_of(path: str, key: str, section: str = "") -> int:
    """The line that sets ``key`` (in ``[section]`` of an ini file), for a located message."""
    try:
        lines = read_source(Path(path)).splitlines()
    except (OSError, ConfigError):
        return 0
    inside = not section
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*[=:]")
    for number, line in enumerate(lines, start=1):
        if section and line.strip().startswith("["):
            inside = line.strip() == f"[{section}]"
        elif inside and pattern.match(line):
            return number
    return 0


def _build(root: Path, source: str, values: dict[str, Any]) -> BookConfig:
    kwargs: dict[str, Any] = {}
    is_py = source.endswith(".py")
    for f in _options():
        if f.name not in values:
            continue
        raw = values[f.name]
        try:
            kwargs[f.name] = f.metadata["validate"](raw)
        except (ValueError, TypeError) as exc:
            key = f.metadata["conf"] if is_py else ".".join(f.metadata["ini"])
            line = (
                _line_of(source, f.metadata["conf"])
                if is_py
                else _line_of(source, *reversed(f.metadata["ini"]))
            )
            raise ConfigError(f"{key} = {raw!r}: {exc}", key=key, path=source, line=line) from exc
    config = BookConfig(root=root, config_file=source, **kwargs)
    pages = config.pages_root
    if not pages.is_relative_to(root.resolve()) or not pages.is_dir():
        key = "polybook_pages"
        why = (
            "is outside the book's folder" if not pages.is_relative_to(root.resolve()) else "is not a folder"
        )
        raise ConfigError(
            f"{key} = {config.pages_dir!r}: {pages} {why}", key=key, path=source, line=_line_of(source, key)
        )
    return config


def _conf_py_line(path: Path, tb: TracebackType | None) -> int:
    """The line of ``conf.py`` where its execution stopped (the deepest frame in that file)."""
    line = 0
    for frame, number in traceback.walk_tb(tb):
        if Path(frame.f_code.co_filename) == path:
            line = number
    return line


def read_conf_py(root: Path) -> BookConfig:
    """Read polybook's own ``conf.py`` (Sphinx's conventions) from ``root``.

    The book's code runs here: whatever it raises, or a ``sys.exit()`` in it, becomes a located
    configuration error rather than a traceback or a silent exit.
    """
    path = root / "conf.py"
    read_source(path)  # not UTF-8: say so at the byte, not as Python's SyntaxError
    try:
        namespace = runpy.run_path(str(path))
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:
        line = _conf_py_line(path, exc.__traceback__)
        raise ConfigError(f"calls sys.exit({exc.code!r})", path=str(path), line=line) from None
    except SyntaxError as exc:
        raise ConfigError(f"cannot read: {exc.msg}", path=str(path), line=exc.lineno or 0) from None
    except BaseException as exc:
        line = _conf_py_line(path, exc.__traceback__)
        raise ConfigError(f"cannot read: {type(exc).__name__}: {exc}", path=str(path), line=line) from exc
    values = {f.name: namespace[f.metadata["conf"]] for f in _options() if f.metadata["conf"] in namespace}
    return _build(root, str(path), values)


def find_root(start: Path) -> Path:
    """The nearest folder from ``start`` upwards that holds a ``conf.py`` or ``config.ini``;
    ``start`` itself when none does (loading it then says what is missing)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "conf.py").is_file() or (folder / "config.ini").is_file():
            return folder
    return start


def load_config(root: str | Path) -> BookConfig:
    """The configuration of the book in ``root``: its ``conf.py``, else its ``config.ini``.

    :raises ConfigError: when neither exists or a value is invalid.
    :raises EncodingError: when the file is not UTF-8.
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise ConfigError("the book's folder does not exist", path=str(root))
    if (root / "conf.py").is_file():
        return read_conf_py(root)
    if (root / "config.ini").is_file():
        from .config_ini import read_config_ini

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


def add_language(config: BookConfig, lang: str) -> Path:
    """Add ``lang`` to the languages in the book's own configuration file; the file written.

    In ``conf.py`` a one-line ``polybook_languages = [...]`` is replaced (or one is added); in a
    d2lbook ``config.ini``, ``languages`` of a ``[polybook]`` section (which d2lbook ignores).
    """
    path = Path(config.config_file)
    languages = [*config.languages, lang] if lang not in config.languages else list(config.languages)
    _languages(languages)
    text = read_source(path).rstrip("\n") + "\n"
    if path.name == "conf.py":
        line = f"polybook_languages = {languages!r}"
        one_line = re.compile(r"^polybook_languages\s*=\s*\[[^\]\n]*\]\s*$", re.M)
        text = one_line.sub(line, text, count=1) if one_line.search(text) else text + line + "\n"
    else:
        value = f"languages = {', '.join(languages)}"
        section = re.search(r"^\[polybook\][^\[]*", text, re.M)
        if section is None:
            text += f"\n[polybook]\n{value}\n"
        else:
            body = section.group(0)
            key = re.compile(r"^languages\s*=.*$", re.M)
            new = key.sub(value, body, count=1) if key.search(body) else body.rstrip("\n") + f"\n{value}\n"
            text = text[: section.start()] + new + text[section.end() :]
    write_text(path, text)
    return path
