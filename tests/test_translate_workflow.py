"""The translators' workflow through the command line: new lints, untrusted translations and the
build that refuses them, status a translator can act on, d2lbook books as they are, PO and
XLIFF exchange (on our own book's translations), drafts from memory and from a machine."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from conftest import PROJECT
from test_translate_cli import SLOT, run

from polybook.cli import main


@pytest.fixture
def book(make_book, monkeypatch):  # type: ignore[no-untyped-def]
    """``book({"index.md": ...})``: a book in English and Korean; the working directory is its root."""

    def make(pages: dict[str, str], languages: tuple[str, ...] = ("en", "ko")) -> Path:
        root = make_book(pages, frameworks=("pytorch",))
        with open(root / "conf.py", "a") as conf:
            conf.write(f"polybook_languages = {list(languages)!r}\n")
        monkeypatch.chdir(root)
        return root

    return make


def line_with(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` that has ``needle``."""
    return next(n for n, line in enumerate(text.split("\n"), start=1) if needle in line)


def pair_file(root: Path, text: str, page: str = "index.md") -> Path:
    path = root / "translations" / "ko" / page
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- check: no false positive on init's own layout; the new lints ---------------------------------


def test_check_accepts_init_layout_with_a_label_after_a_blank_line(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = book({"index.md": "# Models\n\n:label:`sec_models`\n\nText here.\n"})
    assert run(capsys, "init", "ko")[0] == 0
    path = root / "translations/ko/index.md"
    text = path.read_text()
    assert f":label:`sec_models`\n\n{SLOT}" in text  # the slot comes after the heading's label
    path.write_text(text.replace(SLOT, "# 모델", 1).replace(SLOT, "본문.", 1))
    assert run(capsys, "check", "ko")[:3:2] == (0, "")


CHAPTER = "# Models\n:label:`sec_m`\n\n## Alpha\n:label:`fig_a`\n\n"


@pytest.mark.parametrize(
    ("source", "translation", "message"),
    [
        (
            "See :numref:`fig_a` for the model.",
            "모델은 numref:`fig_a`에 있습니다.",
            "the role numref:`fig_a` lost its leading colon: write :numref:`fig_a` "
            "[polybook.translation-broken-role]",
        ),
        (
            "See :numref:`fig_a` for the model.",
            "모델은 :numref:`fig_a’에 있습니다.",
            "the role :numref:`fig_a’ is closed by the typographic quote ’: close it with a backtick, "
            ":numref:`fig_a` [polybook.translation-broken-role]",
        ),
        (
            "The model is *linear* in its inputs.",
            "이 모델은 입력에 대해 *선형(linear)*입니다.",
            "unbalanced emphasis: a * that opens or closes nothing",
        ),
        (
            "The model is linear in its inputs.",
            "이 모델은 입력에 대해 <script>alert(1)</script>선형입니다.",
            "raw HTML '<script>': a <script> element, which would run in readers' browsers "
            "[polybook.translation-html]",
        ),
        (
            "The model is linear in its inputs.",
            '이 모델은 <img src="x.png" onerror="alert(1)"> 선형입니다.',
            "an onerror attribute, a script run by the browser [polybook.translation-html]",
        ),
        (
            "The model is linear in its inputs.",
            "이 모델은 선형입니다.\n\n```{literalinclude} /etc/passwd\n```",
            "the MyST {literalinclude} reads a file of the build machine: not in a translation "
            "[polybook.translation-file]",
        ),
        (
            "The model is linear in its inputs.",
            "이 모델은 선형입니다. ![](../../../etc/shadow.png)",
            "'../../../etc/shadow.png' is outside the book: a translation may only use the book's own files "
            "[polybook.translation-path]",
        ),
    ],
    ids=[
        "role-without-colon",
        "closing-typographic-quote",
        "emphasis",
        "script",
        "onerror",
        "literalinclude",
        "path",
    ],
)
def test_check_names_each_new_problem(book, capsys, source: str, translation: str, message: str) -> None:  # type: ignore[no-untyped-def]
    root = book({"index.md": CHAPTER + source + "\n"})
    pair = CHAPTER.replace("# Models\n:label:`sec_m`\n", "# Models\n:label:`sec_m`\n\n# 모델\n").replace(
        "fig_a`\n", "fig_a`\n\n## 알파\n"
    )
    text = pair + source + "\n\n" + translation + "\n"
    pair_file(root, text)
    code, _, err = run(capsys, "check", "ko")
    assert code == 1
    first = line_with(text, translation.split("\n")[0])
    lines = range(first, first + translation.count("\n") + 1)  # located in the translation
    located = [
        ln for ln in err.splitlines() for at in lines if ln.startswith(f"translations/ko/index.md:{at}: ")
    ]
    assert any(message in line for line in located), err


def test_check_flags_a_role_without_its_colon_in_the_source_too(book, capsys) -> None:  # type: ignore[no-untyped-def]
    book({"index.md": "# Models\n:label:`sec_m`\n\nSee numref:`sec_m` below.\n"})
    code, _, err = run(capsys, "check", "ko")
    assert code == 1
    assert (
        "index.md:4: the role numref:`sec_m` lost its leading colon: write :numref:`sec_m` "
        "[polybook.translation-broken-role]"
    ) in err.splitlines()


def test_check_reports_the_glossary_per_pair_and_its_bad_lines(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = book({"index.md": "# Models\n\nThe gradient points uphill.\n\nGradients add up.\n"})
    pair_file(
        root,
        "# Models\n\n# 모델\n\nThe gradient points uphill.\n\n기울기는 오르막을 가리킵니다.\n\n"
        "Gradients add up.\n\n경사는 더해집니다.\n",
    )
    (root / "translations/ko/glossary.tsv").write_text(
        "# term\ttranslation\tnotes\ngradient\t경사\tnot 기울기\nloss only one field\n"
    )
    code, _, err = run(capsys, "check", "ko")
    lines = err.splitlines()
    assert code == 1  # the malformed line is an error; a term not used only warns
    assert (
        "translations/ko/glossary.tsv:3: expected term<TAB>translation[<TAB>notes], found 1 field(s): "
        "'loss only one field' [polybook.glossary]"
    ) in lines
    assert (
        "translations/ko/index.md:7: warning: the glossary translates 'gradient' as '경사' (not 기울기), "
        "which this translation does not use [polybook.translation-glossary]"
    ) in lines
    assert not any("index.md:11" in line for line in lines)  # "경사는 더해집니다." uses the term


def test_an_unclosed_fence_in_a_translation_cannot_swallow_the_page(book, capsys) -> None:  # type: ignore[no-untyped-def]
    from polybook.errors import Diagnostics
    from polybook.i18n.translated import translated_document
    from polybook.source.parser import parse_page

    chapter = "# Models\n\nFirst paragraph.\n\nSecond paragraph.\n"
    root = book({"index.md": chapter})
    text = (
        "# Models\n\n# 모델\n\nFirst paragraph.\n\n첫 문단.\n\n```python\n\nSecond paragraph.\n\n둘째 문단.\n"
    )
    pair_file(root, text)
    code, _, err = run(capsys, "check", "ko")
    assert code == 1
    assert f"translations/ko/index.md:{line_with(text, '```python')}: '```' opens a fence" in err
    doc = parse_page(chapter, "index", root / "index.md", "index.md", ("pytorch",), Diagnostics())
    translated = translated_document(doc, chapter, text)
    shown = {b.line: (b.translation_state, b.source) for b in translated.text_blocks}
    assert shown[5] == ("translated", "둘째 문단.")  # the page after it is whole


# -- untrusted translations are never published -------------------------------------------------


def test_build_refuses_a_language_whose_translation_is_untrusted(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = book({"index.md": "# Models\n\n![A plot.](img/plot.png)\n\nThe model is linear.\n"})
    (root / "img").mkdir()
    (root / "img/plot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    text = (
        "# Models\n\n# 모델\n\n![A plot.](img/plot.png)\n\n![그림.](../../etc/passwd.png)\n\n"
        "The model is linear.\n\n이 모델은 <script>fetch('/x')</script> 선형입니다.\n"
    )
    pair_file(root, text)
    capsys.readouterr()
    code = main(["build", "html", "--lang", "ko", "--no-exec"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"translations/ko/index.md:{line_with(text, '<script>')}: raw HTML '<script>'" in err
    assert (
        f"translations/ko/index.md:{line_with(text, 'passwd')}: '../../etc/passwd.png' is outside the book"
        in err
    )
    assert not (root / "_build/html").exists()  # nothing of it, nor of any language, published


# -- status a translator can act on; the command line ----------------------------------------------


def test_status_lists_each_unit_left_with_its_line_and_json_is_one_document(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = book(
        {"index.md": "# Models\n\nFirst paragraph.\n\nSecond paragraph.\n"}, languages=("en", "ko", "zh")
    )
    assert run(capsys, "init", "ko")[0] == 0
    path = root / "translations/ko/index.md"
    path.write_text(path.read_text().replace(SLOT, "# 모델", 1))
    text = path.read_text()
    code, out, _ = run(capsys, "status", "--list", "ko")  # an option before the positionals
    assert code == 0
    for paragraph in ("First paragraph.", "Second paragraph."):
        assert f"translations/ko/index.md:{line_with(text, paragraph)}: missing: {paragraph}" in out
    code, out, _ = run(capsys, "status", "--format", "json")  # every language: one document
    data = json.loads(out)
    assert [d["language"] for d in data["languages"]] == ["ko", "zh"]
    assert data["languages"][0]["total"]["translated"] == 1
    code, out, _ = run(capsys, "status", "zh", "--list", "index")  # options between positionals
    assert "index.md:3: missing: First paragraph." in out  # no pair file yet: the chapter's line
    code, out, _ = run(capsys)  # no action: the help, as a usage error (tests/test_cli.py)
    assert (
        code == 2
        and "usage: polybook translate" in out
        and "{init,sync,status,check,import,export,suggest}" in out
    )


# -- d2lbook books as they are ---------------------------------------------------------------------

ORIGIN = (
    "# Dropout\n:label:`sec_dropout`\n\nDropout zeroes some activations.\n\n"
    "At test time, nothing is dropped.\n"
)
TRANSLATED = (
    "# 드롭아웃\n:label:`sec_dropout`\n\n드롭아웃은 일부 활성값을 0으로 만듭니다.\n\n"
    "역자 주: 이 절은 원서의 둘째 판을 옮겼으며, 첫째 판과 달리 드롭아웃의 기댓값 보정을 훈련 때 합니다. "
    "두 판의 차이는 부록에 정리해 두었습니다.\n\n테스트할 때는 아무것도 떨어뜨리지 않습니다.\n"
)


def d2lbook(root: Path, pages: dict[str, str]) -> Path:
    """A d2lbook book: a config.ini with no languages, a toc, pages."""
    root.mkdir(parents=True)
    (root / "config.ini").write_text("[project]\nname = demo\ntitle = Demo\n\n[build]\ntabs = pytorch\n")
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_import_works_on_a_d2lbook_book_with_only_config_ini(tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    index = "# Demo\n\n```toc\nchapter_x/dropout\nchapter_y/other\n```\n"
    other = "# Other\n:label:`sec_dropout`\n\nSee :numref:`sec_missing`.\n"  # two reference errors
    root = d2lbook(
        tmp_path / "book", {"index.md": index, "chapter_x/dropout.md": ORIGIN, "chapter_y/other.md": other}
    )
    old = tmp_path / "d2l-ko"
    (old / "chapter_x").mkdir(parents=True)
    (old / "chapter_x/dropout_origin.md").write_text(ORIGIN)
    (old / "chapter_x/dropout.md").write_text(TRANSLATED)
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "import", "ko", "--from", str(old))
    assert code == 0, err
    # the errors of a page the import does not touch only warn
    assert (
        "chapter_y/other.md:2: warning: label 'sec_dropout' is already defined at chapter_x/dropout.md:2"
        in err
    )
    assert "chapter_y/other.md:4: warning: :numref: to unknown label 'sec_missing'" in err
    assert "pairs with no block of its origin: kept as an orphan [polybook.translation-unpaired]" in err
    assert "importing anyway (--add-language writes it there)" in out
    pair = (root / "translations/ko/chapter_x/dropout.md").read_text()
    assert ":label:`sec_dropout`\n\n# 드롭아웃\n" in pair
    assert "At test time, nothing is dropped.\n\n테스트할 때는 아무것도 떨어뜨리지 않습니다.\n" in pair
    assert pair.index("<!-- polybook:orphaned -->") < pair.index("역자 주: 이 절은 원서의 둘째 판을 옮겼으며")
    assert "[polybook]" not in (root / "config.ini").read_text()
    code, out, _ = run(capsys, "import", "ko", "--from", str(old), "--add-language")
    assert code == 0
    assert "[polybook]\nlanguages = en, ko\n" in (root / "config.ini").read_text()
    assert run(capsys, "status", "ko", "--format", "json")[0] == 0  # ko is a language of the book now


def test_import_reads_an_old_translation_in_a_legacy_encoding_and_reports_an_unreadable_one(  # type: ignore[no-untyped-def]
    tmp_path, capsys, monkeypatch
) -> None:
    """Old translations come in the encodings of their time: EUC-KR is read as such (and
    said), a file no encoding reads is an error for its page alone."""
    index = "# Demo\n\n```toc\nchapter_x/dropout\nchapter_y/other\n```\n"
    other = "# Other\n\nSome other text.\n"
    root = d2lbook(
        tmp_path / "book", {"index.md": index, "chapter_x/dropout.md": ORIGIN, "chapter_y/other.md": other}
    )
    old = tmp_path / "d2l-ko"
    for name in ("chapter_x", "chapter_y"):
        (old / name).mkdir(parents=True)
    (old / "chapter_x/dropout_origin.md").write_text(ORIGIN)
    (old / "chapter_x/dropout.md").write_bytes(TRANSLATED.encode("cp949"))
    (old / "chapter_y/other_origin.md").write_text(other)
    (old / "chapter_y/other.md").write_bytes(b"\x00\x9f\x92\x96" * 40)
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "import", "ko", "--from", str(old))
    assert code == 1
    assert "1 page(s) imported" in out
    assert "../d2l-ko/chapter_x/dropout.md:1: warning: not UTF-8: read as cp949, written in UTF-8" in err
    assert "../d2l-ko/chapter_y/other.md: not UTF-8 at byte 1 (line 1) [polybook.encoding]" in err
    pair = (root / "translations/ko/chapter_x/dropout.md").read_text(encoding="utf-8")
    assert "At test time, nothing is dropped.\n\n테스트할 때는 아무것도 떨어뜨리지 않습니다.\n" in pair
    assert not (root / "translations/ko/chapter_y/other.md").exists()


# -- PO and XLIFF, on our own book -----------------------------------------------------------------


@pytest.fixture(scope="module")
def our_book(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """A copy of this repository's book (chapters, configuration, translations)."""
    root = tmp_path_factory.mktemp("book")
    for name in ("chapters", "translations", "img"):
        shutil.copytree(PROJECT / name, root / name)
    for name in ("conf.py", "references.bib"):
        shutil.copy(PROJECT / name, root / name)
    return root


@pytest.mark.parametrize("fmt", ["po", "xliff"])
def test_export_then_import_changes_no_byte_of_our_translations(our_book, tmp_path, capsys, fmt) -> None:  # type: ignore[no-untyped-def]
    before = {p: p.read_bytes() for p in (our_book / "translations").rglob("*.md")}
    for lang in ("ko", "zh", "ja"):
        out = tmp_path / lang
        assert (
            run(capsys, "export", lang, "--format", fmt, "--out", str(out), "--source", str(our_book))[0] == 0
        )
        code, printed, err = run(capsys, "import", lang, "--from", str(out), "--source", str(our_book))
        assert code == 0, err
        assert f"21 page(s) imported from {out} ({fmt})" in printed
    after = {p: p.read_bytes() for p in (our_book / "translations").rglob("*.md")}
    assert after == before


def test_exported_po_files_open_in_polib_and_pass_msgfmt(our_book, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ko"
    assert run(capsys, "export", "ko", "--out", str(out), "--source", str(our_book))[0] == 0
    files = sorted(out.rglob("*.po"))
    assert len(files) == 21
    tensors = polib.pofile(str(out / "chapter_preliminaries/tensors.po"))
    first = tensors[0]
    assert (first.msgctxt, first.msgid, first.msgstr) == (
        "chapter_preliminaries/tensors#sec_tensors",
        "# Tensors",
        "# 텐서",
    )
    assert tensors.percent_translated() == 100
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: `make test` installs gettext from Debian"
    for path in files:
        result = subprocess.run(
            [msgfmt, "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0 and not result.stderr, result.stderr


def test_a_po_edit_comes_back_and_a_stale_unit_goes_out_fuzzy(book, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = book({"index.md": "# Models\n\nThe model is linear.\n\nIt has a bias.\n"})
    pair_file(
        root,
        "# Models\n\n# 모델\n\nThe model is linear.\n\n이 모델은 선형입니다.\n\n"
        "It has a bias.\n\n편향이 있습니다.\n",
    )
    (root / "index.md").write_text("# Models\n\nThe model is linear.\n\nIt has a bias term.\n")
    assert run(capsys, "sync", "ko")[0] == 0
    assert run(capsys, "export", "ko", "--out", str(tmp_path / "po"))[0] == 0
    po = polib.pofile(str(tmp_path / "po/index.po"))
    stale = next(e for e in po if e.msgid == "It has a bias term.")
    assert stale.fuzzy and stale.previous_msgid == "It has a bias." and stale.msgstr == "편향이 있습니다."
    # the translator updates the translation in Poedit and clears the fuzzy flag
    stale.msgstr, stale.flags, stale.previous_msgid = "편향 항이 있습니다.", [], None
    po.save()
    assert run(capsys, "import", "ko", "--from", str(tmp_path / "po"))[0] == 0
    pair = (root / "translations/ko/index.md").read_text()
    assert "It has a bias term.\n\n편향 항이 있습니다.\n" in pair and "stale" not in pair.split("-->", 1)[1]


def test_a_po_entry_marked_fuzzy_or_with_two_paragraphs_comes_back_stable(book, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A reviewer marks an entry fuzzy ("needs work", no previous English): it comes back as a
    draft, and a second export and import change nothing. A translation of two paragraphs
    comes back as one block, which a sync leaves as it is."""
    root = book({"index.md": "# Models\n\nThe model is linear.\n\nIt has a bias.\n"})
    pair_file(
        root,
        "# Models\n\n# 모델\n\nThe model is linear.\n\n이 모델은 선형입니다.\n\nIt has a bias.\n\n편향.\n",
    )
    assert run(capsys, "export", "ko", "--out", str(tmp_path / "po"))[0] == 0
    po = polib.pofile(str(tmp_path / "po/index.po"))
    linear = next(e for e in po if e.msgid == "The model is linear.")
    bias = next(e for e in po if e.msgid == "It has a bias.")
    linear.flags.append("fuzzy")
    bias.msgstr = "편향이 있습니다.\n\n(상수항이라고도 합니다.)"
    po.save()
    assert run(capsys, "import", "ko", "--from", str(tmp_path / "po"))[0] == 0
    pair = (root / "translations/ko/index.md").read_text()
    assert "<!-- polybook:draft review -->\n\n이 모델은 선형입니다." in pair
    assert "It has a bias.\n\n편향이 있습니다.\n(상수항이라고도 합니다.)\n" in pair
    assert run(capsys, "sync", "ko")[0] == 0
    assert (root / "translations/ko/index.md").read_text() == pair
    assert run(capsys, "export", "ko", "--out", str(tmp_path / "po2"))[0] == 0
    assert run(capsys, "import", "ko", "--from", str(tmp_path / "po2"))[0] == 0
    assert (root / "translations/ko/index.md").read_text() == pair


# -- drafts from memory and from a machine ---------------------------------------------------------


class Reverser:
    """A machine translator for the tests: deterministic, and plainly not a translation."""

    name = "reverser"

    def translate(self, texts, source, target):  # type: ignore[no-untyped-def]
        return [" ".join(reversed(text.split())) for text in texts]


def test_suggest_drafts_from_memory_and_a_backend_never_counted(book, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = book(
        {
            "index.md": "# Models\n\n```toc\na\nb\n```\n",
            "a.md": "# Alpha\n\nThe model is linear in its inputs.\n",
            "b.md": "# Beta\n\nThe model is linear in all its inputs.\n\nSomething never said before.\n",
        }
    )
    pair_file(
        root,
        "# Alpha\n\n# 알파\n\nThe model is linear in its inputs.\n\n이 모델은 입력에 대해 선형입니다.\n",
        "a.md",
    )
    module = root / "reverse_mt.py"
    module.write_text(
        "class Reverser:\n    name = 'reverser'\n\n    def translate(self, texts, source, target):\n"
        "        # a heading stays one: its '#' first, then its words reversed\n"
        "        return [' '.join(t.split()[:1] * t.startswith('#') + [w for w in reversed(t.split())\n"
        "                if not t.startswith('#') or w != t.split()[0]]) for t in texts]\n"
    )
    monkeypatch.syspath_prepend(str(root))
    code, _, err = run(capsys, "suggest", "ko", "b", "--mt", "reverse_mt:Reverser")
    assert code == 0, err
    pair = (root / "translations/ko/b.md").read_text()
    assert "<!-- polybook:draft score=0.9" in pair
    assert "이 모델은 입력에 대해 선형입니다." in pair
    assert "<!-- polybook:draft mt=reverser -->\n\nbefore. said never Something" in pair
    data = json.loads(run(capsys, "status", "ko", "b", "--format", "json")[1])
    assert data["total"]["translated"] == 0 and data["total"]["draft"] == 3
    # the site shows a draft with its notice
    from polybook.errors import Diagnostics
    from polybook.i18n.translated import translated_document
    from polybook.render.assemble import _with_state
    from polybook.source.parser import parse_page

    chapter = (root / "b.md").read_text()
    doc = translated_document(
        parse_page(chapter, "b", root / "b.md", "b.md", ("pytorch",), Diagnostics()), chapter, pair
    )
    block = next(b for b in doc.text_blocks if "선형" in b.source)
    assert block.translation_state == "draft"
    assert "polybook-draft" in _with_state(block, block.source)[0]
    capsys.readouterr()
    assert main(["build", "html", "--lang", "ko", "--no-exec"]) == 0, capsys.readouterr().err
    html = (root / "_build/html/ko/b.html").read_text(encoding="utf-8")
    assert '<div class="polybook-draft">' in html  # a dotted rule beside each draft
    assert "아직 검토되지 않은 제안 번역" in html  # and the page says once what that means
