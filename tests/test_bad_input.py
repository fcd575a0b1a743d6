"""No traceback ever reaches a user: every bad input is one located line and exit 1.

Each case runs the real `polybook` command in a process of its own (as a user would), with a
book shaped the wrong way, and checks the diagnostic's text, its `[polybook.<kind>]` and the
exit code, and that no Python traceback was printed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polybook.errors import EncodingError
from polybook.fsutil import decode, decode_foreign

POLYBOOK = str(Path(sys.executable).with_name("polybook"))


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def polybook(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYBOOK, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


BOOK: dict[str, str | bytes] = {
    "conf.py": (
        "project = 'Bad input'\npolybook_frameworks = ['pytorch']\npolybook_languages = ['en', 'ko']\n"
    ),
    "index.md": "# Home\n\n```toc\npage\n```\n",
    "page.md": "# Page\n\nA sentence.\n\n```{.python .input}\nx = 1\n```\n",
}


@dataclass
class Case:
    files: dict[str, str | bytes]
    args: tuple[str, ...]
    expected: str
    """The diagnostic line, with ``{root}`` for the book's folder."""
    also: list[str] = field(default_factory=list)


CASES = {
    "page-not-utf8": Case(
        {"page.md": b"# Page\n\nCaf\xe9 in Latin-1.\n"},
        ("build", "notebooks"),
        "page.md: not UTF-8 at byte 11 (line 3) [polybook.encoding]",
    ),
    "translation-not-utf8": Case(
        {"translations/ko/page.md": b"# Page\n\n# \xc7\xd1\xb1\xb9\n"},  # EUC-KR, not UTF-8
        ("translate", "status", "ko"),
        "polybook: error: {root}/translations/ko/page.md: not UTF-8 at byte 10 (line 3) [polybook.encoding]",
    ),
    "translation-not-utf8-check": Case(
        {"translations/ko/page.md": b"# Page\n\n# \xc7\xd1\xb1\xb9\n"},
        ("translate", "check", "ko"),
        "{root}/translations/ko/page.md: not UTF-8 at byte 10 (line 3) [polybook.encoding]",
    ),
    "config-ini-not-utf8": Case(
        {"conf.py": None, "config.ini": b"[project]\ntitle = Caf\xe9\n"},  # type: ignore[dict-item]
        ("build", "notebooks"),
        "polybook: error: {root}/config.ini: not UTF-8 at byte 21 (line 2) [polybook.encoding]",
    ),
    "conf-py-raises": Case(
        {"conf.py": "project = 'x'\nvalue = {}['missing']\n"},
        ("build", "notebooks"),
        "polybook: error: {root}/conf.py:2: cannot read: KeyError: 'missing' [polybook.config]",
    ),
    "conf-py-exits": Case(
        {"conf.py": "import sys\nproject = 'x'\nsys.exit(3)\n"},
        ("build", "notebooks"),
        "polybook: error: {root}/conf.py:3: calls sys.exit(3) [polybook.config]",
    ),
    "timeout-nan": Case(
        {"conf.py": "project = 'x'\npolybook_timeout = float('nan')\n"},
        ("eval",),
        "polybook: error: {root}/conf.py:2: polybook_timeout = nan: expected a positive number, "
        "not nan or infinity [polybook.config]",
    ),
    "timeout-inf": Case(
        {"conf.py": "project = 'x'\npolybook_timeout = float('inf')\n"},
        ("eval",),
        "polybook: error: {root}/conf.py:2: polybook_timeout = inf: expected a positive number, "
        "not nan or infinity [polybook.config]",
    ),
    "library-junk": Case(
        {
            "conf.py": None,  # type: ignore[dict-item]
            "config.ini": "[build]\ntabs = pytorch\n\n[library-pytorch]\nlib_name = torch\n"
            "simple_alias = ones, 3d -> x\n",
        },
        ("lib",),
        "polybook: error: {root}/config.ini:6: [library-pytorch] simple_alias: '3d -> x' is not "
        "`name` or `name -> attribute` [polybook.config]",
    ),
    "library-alias-not-python": Case(
        {
            "conf.py": None,  # type: ignore[dict-item]
            "config.ini": "[build]\ntabs = pytorch\n\n[library-pytorch]\nalias =\n  size = lambda a: a.(\n",
        },
        ("lib",),
        "polybook: error: {root}/config.ini:5: [library-pytorch] alias: 'size = lambda a: a.(': "
        "the expression is not Python (invalid syntax) [polybook.config]",
    ),
    "language-is-a-path": Case(
        {"conf.py": "project = 'x'\npolybook_languages = ['en', '../../x']\n"},
        ("build", "notebooks"),
        "polybook: error: {root}/conf.py:2: polybook_languages = ['en', '../../x']: '../../x' is not "
        "a language code (such as en, ko, zh, pt-BR) [polybook.config]",
    ),
    "lang-argument-is-a-path": Case(
        {},
        ("translate", "init", "../../x"),
        "polybook: error: '../../x' is not a language code (such as ko, zh, pt-BR) [polybook.usage]",
    ),
    "build-lang-is-a-path": Case(
        {},
        ("build", "html", "--no-exec", "--lang", "../../x"),
        "polybook: error: --lang '../../x': the book's languages are en, ko [polybook.usage]",
    ),
    "name-with-slash": Case(
        {"conf.py": "project = 'x'\npolybook_name = 'a/b'\n"},
        ("build", "notebooks"),
        "polybook: error: {root}/conf.py:2: polybook_name = 'a/b': expected a name of letters, digits, "
        "'.', '-' and '_' (it names files) [polybook.config]",
    ),
    "name-with-dots": Case(
        {"conf.py": "project = 'x'\npolybook_name = '..'\n"},
        ("build", "notebooks"),
        "polybook: error: {root}/conf.py:2: polybook_name = '..': expected a name of letters, digits, "
        "'.', '-' and '_' (it names files) [polybook.config]",
    ),
    "pages-outside": Case(
        {"conf.py": "project = 'x'\npolybook_pages = '../elsewhere'\n"},
        ("build", "notebooks"),
        "polybook: error: {root}/conf.py:2: polybook_pages = '../elsewhere': {parent}/elsewhere is "
        "outside the book's folder [polybook.config]",
    ),
    "out-is-source": Case(
        {},
        ("build", "notebooks", "--out", "."),
        "polybook: error: {root}: --out is the book's own folder: generated files would mix with the "
        "chapters; choose a folder of its own (the default is SOURCE/_build) [polybook.output]",
    ),
    "out-not-writable": Case(
        {"a-file": "not a folder\n"},
        ("build", "notebooks", "--out", "a-file/out"),
        "polybook: error: {root}/a-file/out: cannot write the output folder: Not a directory "
        "[polybook.output]",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_located_line(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    root = tmp_path / "book"
    files = {**BOOK, **case.files}
    write(root, {k: v for k, v in files.items() if v is not None})
    done = polybook(*case.args, "--source", str(root), cwd=root)
    expected = case.expected.format(root=root, parent=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert expected in done.stderr.splitlines(), done.stderr


def test_a_read_only_out_is_refused_and_left_untouched(tmp_path: Path) -> None:
    """A folder the user may not write. Root may write anywhere, so as root polybook runs without
    the capabilities that override file permissions (util-linux's setpriv), as a user would."""
    import os

    root = write(tmp_path / "book", dict(BOOK))
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o555)
    caps = "-dac_override,-dac_read_search,-fowner"
    as_user = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", "--"] if os.geteuid() == 0 else []
    done = subprocess.run(
        [*as_user, POLYBOOK, "build", "notebooks", "--source", str(root), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"polybook: error: {out}: cannot write the output folder: Permission denied [polybook.output]"
    ]
    assert list(out.iterdir()) == []


def test_every_error_of_a_run_comes_together(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            **BOOK,
            "index.md": "# Home\n\n```toc\npage\nother\n```\n",
            "page.md": b"# Page\n\n\xff\n",
            "other.md": "# Other\n\n:numref:`nowhere`\n",
        },
    )
    done = polybook("build", "notebooks", "--source", str(root))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert f"{root}/page.md: not UTF-8 at byte 8 (line 3) [polybook.encoding]" in lines
    assert f"{root}/other.md:3: :numref: to unknown label 'nowhere' [polybook.ref-unknown]" in lines
    # the unreadable page is not also reported as missing from the table of contents
    assert not any("toc-missing" in line for line in lines)
    assert not (root / "_build" / "notebooks").exists()


def test_a_byte_order_mark_is_accepted_and_stripped(tmp_path: Path) -> None:
    bom = "\ufeff"
    root = write(
        tmp_path,
        {
            **BOOK,
            "page.md": (bom + "# Page\n\nA sentence.\n").encode(),
            "config.ini": (bom + "[project]\ntitle = With BOM\n").encode(),
            "translations/ko/page.md": (bom + "# Page\n\n# 쪽\n\nA sentence.\n\n한 문장.\n").encode(),
        },
    )
    (root / "conf.py").unlink()
    (root / "config.ini").write_bytes(
        (bom + "[project]\ntitle = With BOM\n[build]\ntabs = pytorch\n").encode()
    )
    done = polybook("build", "notebooks", "--source", str(root))
    assert done.returncode == 0, done.stderr
    nb = (root / "_build" / "notebooks" / "pytorch" / "page.ipynb").read_text(encoding="utf-8")
    assert bom not in nb
    assert '"# Page' in nb


def test_a_translation_with_a_bom_counts_as_translated(tmp_path: Path) -> None:
    bom = "\ufeff"
    root = write(tmp_path, {**BOOK, "translations/ko/page.md": (bom + "# Page\n\n# 쪽\n").encode()})
    done = polybook("translate", "status", "ko", "page", "--format", "json", "--source", str(root))
    assert done.returncode == 0, done.stderr
    assert '"translated": 1' in done.stdout


def test_a_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    root = write(tmp_path, dict(BOOK))
    # `| head -c 1`: the reader goes away after one byte
    shell = (
        f"'{POLYBOOK}' translate status ko --source '{root}' | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}"
    )
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert done.stderr == ""
    assert done.stdout.strip() in ("0", "141")


def test_a_language_without_a_locale_file_falls_back_to_english_with_a_warning(tmp_path: Path) -> None:
    root = write(tmp_path, {**BOOK, "conf.py": "project = 'x'\npolybook_languages = ['en', 'vi']\n"})
    done = polybook("build", "notebooks", "--source", str(root))
    assert done.returncode == 0
    assert (
        f"{root}/conf.py: warning: language 'vi' has no locale file (polybook/i18n/locales/vi.toml): "
        "the words polybook adds to its pages will be English [polybook.locale-missing]"
    ) in done.stderr.splitlines()


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("# 기초\n\n장은 그 절들을 나열하는 `index.md`를 가진 폴더입니다.\n", "euc-kr"),
        ("# 基础\n\n每一章都是一个文件夹，其中的 `index.md` 列出各节。\n", "gb18030"),
        ("# 基礎\n\n各章は節を並べる `index.md` を持つフォルダーです。\n", "shift_jis"),
        ("# 基礎\n\n每一章都是一個資料夾，其中的 `index.md` 列出各節。\n", "big5"),
    ],
)
def test_a_short_page_in_a_legacy_encoding_is_read_in_it(text: str, codec: str) -> None:
    """Old translations to import come in the encodings of their time, short pages too."""
    assert decode_foreign(text.encode(codec), "page.md")[0] == text


def test_crlf_line_ends_and_binary_bytes() -> None:
    assert decode(b"# A\r\n\r\nB\r\n", "p.md") == "# A\n\nB\n"
    with pytest.raises(EncodingError):
        decode_foreign(b"\x00\x9f\x92\x96" * 40, "garbage.md")
