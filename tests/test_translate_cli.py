"""`polybook translate` through its command line: check (one test per lint), init, sync, status, import.

Every test writes a tiny book with ``make_book`` (languages en and ko), changes into it, and runs
``polybook.cli.main`` in-process, so paths in messages are relative to the book's folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from polybook.cli import main
from polybook.i18n.sync import HEADER

SLOT = "<!-- polybook:untranslated -->"
STALE = "<!-- polybook:stale — the source changed; it was:"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def book(make_book, monkeypatch):  # type: ignore[no-untyped-def]
    """``book({"index.md": ...})``: a book in English and Korean; the working directory is its root."""

    def make(pages: dict[str, str]) -> Path:
        root = make_book(pages, frameworks=("pytorch",))
        with open(root / "conf.py", "a") as conf:
            conf.write("polybook_languages = ['en', 'ko']\n")
        monkeypatch.chdir(root)
        return root

    return make


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``polybook translate …`` and return its exit code, stdout and stderr."""
    capsys.readouterr()
    code = main(["translate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def line_of(text: str, line: str) -> int:
    """1-based number of the line of ``text`` that is exactly ``line``."""
    return text.split("\n").index(line) + 1


# ---------------------------------------------------------------------------------------------
# translate check: one test per lint, on a hand-written pair file as DESIGN.md shows it

CHAPTER_HEAD = "# Models\n\n## Alpha\n:label:`fig_a`\n\n## Beta\n:label:`fig_b`\n\n"
PAIR_HEAD = (
    "# Models\n\n# 모델\n\n## Alpha\n:label:`fig_a`\n\n## 알파\n\n## Beta\n:label:`fig_b`\n\n## 베타\n\n"
)


def check_one(book, capsys, source: str, translation: str) -> tuple[int, list[str], str]:  # type: ignore[no-untyped-def]
    """A chapter ending in ``source``, its pair file ending in ``source`` and ``translation``;
    run ``translate check ko`` and return its exit code, its stderr lines and the pair file."""
    root = book({"index.md": CHAPTER_HEAD + source + "\n"})
    pair = PAIR_HEAD + source + "\n\n" + translation + "\n"
    (root / "translations" / "ko").mkdir(parents=True)
    (root / "translations" / "ko" / "index.md").write_text(pair)
    code, _, err = run(capsys, "check", "ko")
    return code, err.splitlines(), pair


LINTS = [
    pytest.param(
        "See :numref:`fig_a` for the model.",
        "모델의 구조는 :numref:`fig_b`에 그려져 있습니다.",
        [
            "the translation lost the role ':numref:`fig_a`' of its source [polybook.translation-role]",
            "the translation has the role ':numref:`fig_b`', which its source does not "
            "[polybook.translation-role]",
        ],
        id="role-target-changed",
    ),
    pytest.param(
        "See :numref:`fig_a` for the model.",
        "모델의 구조는 :numref: `fig_a`에 그려져 있습니다.",
        ["broken role ':numref: `': write :numref:`…` [polybook.translation-broken-role]"],
        id="role-broken-by-a-space",
    ),
    pytest.param(
        "See :numref:`fig_a` for the model.",
        "모델의 구조는 :numref:‘fig_a’에 그려져 있습니다.",
        ["broken role ':numref:‘': write :numref:`…` [polybook.translation-broken-role]"],
        id="role-with-a-typographic-quote",
    ),
    pytest.param(
        "Call `net(X)` to predict the labels.",
        "레이블을 예측하려면 net(X)를 호출하면 됩니다.",
        ["the translation lost the inline code 'net(X)' of its source [polybook.translation-code]"],
        id="inline-code-lost",
    ),
    pytest.param(
        "The loss is $l(w, b)$ for every example.",
        "모든 예제에 대해 손실은 $l(w)$로 정의됩니다.",
        [
            "the translation lost the math 'l(w, b)' of its source [polybook.translation-math]",
            "the translation has the math 'l(w)', which its source does not [polybook.translation-math]",
        ],
        id="math-changed",
    ),
    pytest.param(
        "Read [the docs](https://example.com/a) for details.",
        "자세한 내용은 [문서](https://example.com/b)를 읽어 보세요.",
        [
            "the translation lost the link or image target 'https://example.com/a' of its source "
            "[polybook.translation-link]",
            "the translation has the link or image target 'https://example.com/b', which its source "
            "does not [polybook.translation-link]",
        ],
        id="link-target-changed",
    ),
    pytest.param(
        "Read [the docs](https://example.com/a) for details.",
        "자세한 내용은 [문서] (https://example.com/a)를 읽어 보세요.",
        ["a space between ] and ( breaks the link: '] (https://' [polybook.translation-broken-link]"],
        id="link-broken-by-a-space",
    ),
    pytest.param(
        "### Training",
        "###훈련",
        ["the heading lost the space after its # [polybook.translation-heading]"],
        id="heading-without-its-space",
    ),
    pytest.param(
        "The model is linear in its inputs.",
        "이 모델은 입력에 대해 <b>선형</b>입니다.",
        [
            "raw HTML '<b>' that the source does not have [polybook.translation-html]",
            "raw HTML '</b>' that the source does not have [polybook.translation-html]",
        ],
        id="raw-html",
    ),
]


@pytest.mark.parametrize(("source", "translation", "messages"), LINTS)
def test_check_names_each_broken_mark_at_the_line_of_the_translation(
    book, capsys, source: str, translation: str, messages: list[str]
) -> None:  # type: ignore[no-untyped-def]
    code, lines, pair = check_one(book, capsys, source, translation)
    at = line_of(pair, translation)
    assert at > line_of(pair, source)  # the translation follows its source
    assert code == 1
    for message in messages:
        assert f"translations/ko/index.md:{at}: {message}" in lines


def test_check_flags_a_label_in_a_list_item_translation(book, capsys) -> None:  # type: ignore[no-untyped-def]
    # a list item holds its translation inside the item (here as sync writes it: after a blank line)
    root = book({"index.md": "* The model is linear.\n* It has a bias.\n"})
    pair = "* The model is linear.\n\n  이 모델은 선형입니다.\n  :label:`sec_model`\n* It has a bias.\n"
    (root / "translations" / "ko").mkdir(parents=True)
    (root / "translations" / "ko" / "index.md").write_text(pair)
    code, _, err = run(capsys, "check", "ko")
    assert code == 1
    expected = (
        f"translations/ko/index.md:{line_of(pair, '  :label:`sec_model`')}: `:label:` in a translation: "
        "marks come from the source, leave it out [polybook.translation-extra]"
    )
    assert expected in err.splitlines()


def test_check_flags_a_label_under_a_translated_heading(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = book({"index.md": "## Gamma\n:label:`sec_gamma`\n\nText.\n"})
    pair = "## Gamma\n:label:`sec_gamma`\n\n## 감마\n:label:`sec_gamma`\n\nText.\n\n본문.\n"
    (root / "translations" / "ko").mkdir(parents=True)
    (root / "translations" / "ko" / "index.md").write_text(pair)
    code, _, err = run(capsys, "check", "ko")
    assert code == 1
    assert err.splitlines()[0] == (
        "translations/ko/index.md:5: ':label:`sec_gamma`' under a translation: marks come from the source "
        "[polybook.translation-extra]"
    )


def test_check_accepts_the_prose_tab_marks_that_sync_writes_after_a_translation(book, capsys) -> None:  # type: ignore[no-untyped-def]
    # `:end_tab:` and the next `:begin_tab:` are the source's structure, not marks of the translation
    source = "Text.\n\n:begin_tab:`pytorch`\nOnly PyTorch.\n:end_tab:\n\nMore.\n"
    book({"index.md": source})
    assert run(capsys, "init", "ko")[0] == 0
    pair_path = Path("translations/ko/index.md")
    pair = pair_path.read_text().replace(SLOT, "본문.", 1).replace(SLOT, "파이토치만.", 1)
    pair_path.write_text(pair.replace(SLOT, "더.", 1))
    code, _, err = run(capsys, "check", "ko")
    assert (code, err) == (0, "")
    assert run(capsys, "sync", "ko")[0] == 0
    assert pair_path.read_text().index("파이토치만.") < pair_path.read_text().index(":end_tab:")
    assert run(capsys, "check", "ko")[0] == 0


def test_check_reports_the_line_of_a_list_item_translation_without_a_blank_line(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = book({"index.md": "* Call `f(x)` now.\n* It has a bias.\n"})
    pair = "* Call `f(x)` now.\n  지금 f(x)를 호출합니다.\n* It has a bias.\n"
    (root / "translations" / "ko").mkdir(parents=True)
    (root / "translations" / "ko" / "index.md").write_text(pair)
    code, _, err = run(capsys, "check", "ko")
    assert code == 1
    assert (
        "translations/ko/index.md:2: the translation lost the inline code 'f(x)' of its source "
        "[polybook.translation-code]"
    ) in err.splitlines()


def test_check_reports_a_changed_role_only_as_a_role(book, capsys) -> None:  # type: ignore[no-untyped-def]
    code, lines, _ = check_one(
        book, capsys, "See :numref:`fig_a` for the model.", "모델의 구조는 :numref:`fig_b`에 그려져 있습니다."
    )
    assert code == 1
    codes = {re.search(r"\[polybook\.([\w-]+)\]$", line).group(1) for line in lines if "[polybook." in line}  # type: ignore[union-attr]
    assert codes == {"translation-role"}


CLEAN_SOURCE = "See :numref:`fig_a` with `net(X)`, $y = Xw + b$ and [the docs](https://example.com/a)."
CLEAN_TRANSLATION = (
    ":numref:`fig_a`에 그려진 모델은 `net(X)`를 호출해 예측값 $y = Xw + b$를 계산하며, "
    "더 자세한 설명은 [공식 문서](https://example.com/a)에 있습니다."
)


def test_check_passes_a_clean_korean_translation(book, capsys) -> None:  # type: ignore[no-untyped-def]
    code, lines, _ = check_one(book, capsys, CLEAN_SOURCE, CLEAN_TRANSLATION)
    assert code == 0
    assert lines == []
    code, out, _ = run(capsys, "check", "ko")
    assert "polybook translate check: ko: every pair keeps its source's marks" in out.splitlines()
    # not vacuous: the paragraph is read as translated (with the three headings)
    code, out, _ = run(capsys, "status", "ko", "--format", "json")
    assert json.loads(out)["total"]["translated"] == 4


def test_check_lints_a_translation_that_is_mostly_marks(book, capsys) -> None:  # type: ignore[no-untyped-def]
    translation = ":numref:`fig_b`에서 `net(X)`, $y = Xw + b$, [문서](https://example.com/a)를 보세요."
    code, lines, pair = check_one(book, capsys, CLEAN_SOURCE, translation)
    assert code == 1
    assert (
        f"translations/ko/index.md:{line_of(pair, translation)}: the translation has the role "
        "':numref:`fig_b`', which its source does not [polybook.translation-role]"
    ) in lines


# ---------------------------------------------------------------------------------------------
# init, sync, status

INDEX = """
    # Linear Models

    ```toc
    :maxdepth: 2

    chapter_lr/intro
    ```
    """
INTRO = """
    ## Linear Regression
    :label:`sec_lr`

    Regression problems pop up whenever we want to predict a numerical value.

    The bias shifts every prediction of the model.

    ```{.python .input}
    #@tab all
    w = d2l.zeros(3)
    ```

    Training minimizes the squared loss.
    """
INTRO_PAIR = f"""\
{HEADER}
## Linear Regression
:label:`sec_lr`

{SLOT}

Regression problems pop up whenever we want to predict a numerical value.

{SLOT}

The bias shifts every prediction of the model.

{SLOT}

```{{.python .input}}
#@tab all
w = d2l.zeros(3)
```

Training minimizes the squared loss.

{SLOT}
"""
KO = {
    "Regression problems pop up whenever we want to predict a numerical value.": (
        "회귀 문제는 수치 값을 예측하고 싶을 때마다 나타납니다."
    ),
    "The bias shifts every prediction of the model.": "편향은 모델의 모든 예측을 같은 만큼 옮깁니다.",
    "Training minimizes the squared loss.": "훈련은 제곱 손실을 최소화합니다.",
}


def lr_book(book) -> Path:  # type: ignore[no-untyped-def]
    return book({"index.md": INDEX, "chapter_lr/intro.md": INTRO})  # type: ignore[no-any-return]


def translate_into(path: Path, *sources: str) -> None:
    """Fill the slots of these source paragraphs with their Korean, as a translator would."""
    text = path.read_text()
    for source in sources:
        slot = f"{source}\n\n{SLOT}\n"
        assert slot in text
        text = text.replace(slot, f"{source}\n\n{KO[source]}\n", 1)
    path.write_text(text)


def status(capsys) -> dict:  # type: ignore[no-untyped-def,type-arg]
    code, out, _ = run(capsys, "status", "ko", "--format", "json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def counts(data: dict, page: str) -> tuple[int, int, int, int]:  # type: ignore[type-arg]
    row = next(r for r in data["pages"] if r["page"] == page)
    return row["translated"], row["stale"], row["missing"], row["orphaned"]


def test_init_writes_one_pair_file_per_page_with_every_block_untranslated(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = lr_book(book)
    code, out, _ = run(capsys, "init", "ko", "--source", str(root))
    assert code == 0
    assert "polybook translate init: created translations/ko/index.md" in out
    assert "polybook translate init: created translations/ko/chapter_lr/intro.md" in out
    pairs = sorted(
        p.relative_to(root / "translations").as_posix() for p in root.rglob("translations/**/*.md")
    )
    assert pairs == ["ko/chapter_lr/intro.md", "ko/index.md"]
    assert (root / "translations/ko/chapter_lr/intro.md").read_text() == INTRO_PAIR
    index_pair = (root / "translations/ko/index.md").read_text()
    assert index_pair.startswith(f"{HEADER}\n# Linear Models\n\n{SLOT}\n\n```toc\n")
    assert index_pair.count(SLOT) == 1  # the toc is not translated
    assert counts(status(capsys), "chapter_lr/intro") == (0, 0, 4, 0)


def test_init_refuses_to_overwrite_a_pair_file(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = lr_book(book)
    assert run(capsys, "init", "ko")[0] == 0
    intro = root / "translations/ko/chapter_lr/intro.md"
    translate_into(intro, "Training minimizes the squared loss.")
    before = intro.read_text()
    code, out, _ = run(capsys, "init", "ko")
    assert code == 0
    assert "translations/ko/chapter_lr/intro.md exists; `polybook translate sync ko` updates it" in out
    assert "translations/ko/index.md exists" in out
    assert "created" not in out
    assert intro.read_text() == before


@pytest.mark.parametrize("which", ["chapter_lr/intro.md", "chapter_lr/intro", "absolute"])
def test_init_with_a_path_writes_only_that_page(book, capsys, which: str) -> None:  # type: ignore[no-untyped-def]
    root = lr_book(book)
    path = str(root / "chapter_lr/intro.md") if which == "absolute" else which
    code, out, _ = run(capsys, "init", "ko", path)
    assert code == 0
    assert (root / "translations/ko/chapter_lr/intro.md").read_text() == INTRO_PAIR
    assert not (root / "translations/ko/index.md").exists()
    assert "created translations/ko/chapter_lr/intro.md" in out
    assert "translations/ko/index.md" not in out


def test_sync_and_status_with_a_page_work_on_that_page_only(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = lr_book(book)
    assert run(capsys, "init", "ko")[0] == 0
    index = root / "translations/ko/index.md"
    index.unlink()
    code, out, _ = run(capsys, "sync", "ko", "chapter_lr/intro.md")
    assert code == 0
    assert not index.exists()  # the page not named is left alone
    code, out, _ = run(capsys, "status", "ko", "chapter_lr/intro", "--format", "json")
    assert [r["page"] for r in json.loads(out)["pages"]] == ["chapter_lr/intro"]
    code, _, err = run(capsys, "sync", "ko", "chapter_lr/nowhere.md")
    assert code == 1
    assert err.splitlines() == [
        "polybook: error: not a page of the book: chapter_lr/nowhere.md [polybook.usage]"
    ]


def test_sync_marks_an_edited_pair_stale_and_keeps_its_translation(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = lr_book(book)
    run(capsys, "init", "ko")
    intro = root / "translations/ko/chapter_lr/intro.md"
    translate_into(intro, "Regression problems pop up whenever we want to predict a numerical value.")
    translate_into(intro, "Training minimizes the squared loss.")
    chapter = root / "chapter_lr/intro.md"
    chapter.write_text(chapter.read_text().replace("the squared loss.", "the mean squared loss."))

    code, out, _ = run(capsys, "sync", "ko")
    assert code == 0
    assert "polybook translate sync: updated translations/ko/chapter_lr/intro.md" in out
    synced = intro.read_text()
    assert (
        "Training minimizes the mean squared loss.\n\n"
        f"{STALE}\nTraining minimizes the squared loss.\n-->\n\n"
        "훈련은 제곱 손실을 최소화합니다.\n"
    ) in synced
    assert (
        "Regression problems pop up whenever we want to predict a numerical value.\n\n"
        "회귀 문제는 수치 값을 예측하고 싶을 때마다 나타납니다.\n"
    ) in synced
    assert counts(status(capsys), "chapter_lr/intro") == (1, 1, 2, 0)

    code, out, _ = run(capsys, "sync", "ko")  # idempotent
    assert code == 0
    assert "updated" not in out
    assert intro.read_text() == synced

    # the translator revises the translation and drops the notice: the pair is translated again
    intro.write_text(
        re.sub(
            re.escape(STALE) + r".*?-->\n\n훈련은 제곱 손실을",
            "훈련은 평균 제곱 손실을",
            synced,
            flags=re.S,
        )
    )
    run(capsys, "sync", "ko")
    assert counts(status(capsys), "chapter_lr/intro") == (2, 0, 2, 0)
    assert "훈련은 평균 제곱 손실을 최소화합니다." in intro.read_text()


def test_sync_keeps_a_translation_with_its_edited_block_when_a_block_is_inserted_before_it(  # type: ignore[no-untyped-def]
    book, capsys
) -> None:
    root = book({"index.md": "# Title\n\nAlpha paragraph is here.\n\nBeta paragraph is here.\n"})
    run(capsys, "init", "ko")
    pair = root / "translations/ko/index.md"
    pair.write_text(
        pair.read_text().replace(
            f"Beta paragraph is here.\n\n{SLOT}", "Beta paragraph is here.\n\n베타 문단입니다."
        )
    )
    (root / "index.md").write_text(
        "# Title\n\nAlpha paragraph is here.\n\nA brand new paragraph.\n\nBeta paragraph is here, changed.\n"
    )
    assert run(capsys, "sync", "ko")[0] == 0
    assert f"A brand new paragraph.\n\n{SLOT}\n" in pair.read_text()
    assert "Beta paragraph is here, changed.\n\n" + STALE in pair.read_text()


def test_sync_keeps_a_translation_that_is_mostly_math(book, capsys) -> None:  # type: ignore[no-untyped-def]
    source = r"The loss is $\ell(\mathbf{w}, b) = \frac{1}{n} \sum_{i=1}^n \ell^{(i)}(\mathbf{w}, b)$."
    translation = r"손실은 $\ell(\mathbf{w}, b) = \frac{1}{n} \sum_{i=1}^n \ell^{(i)}(\mathbf{w}, b)$입니다."
    root = book({"index.md": source + "\n"})
    (root / "translations/ko").mkdir(parents=True)
    (root / "translations/ko/index.md").write_text(f"{source}\n\n{translation}\n")
    assert run(capsys, "sync", "ko")[0] == 0
    assert translation in (root / "translations/ko/index.md").read_text()


def test_status_json_matches_the_edits_and_is_written_as_a_report(book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = lr_book(book)
    run(capsys, "init", "ko")
    intro = root / "translations/ko/chapter_lr/intro.md"
    translate_into(intro, *KO)
    chapter = root / "chapter_lr/intro.md"
    text = chapter.read_text()
    text = text.replace("predict a numerical value.", "predict a number.")  # stale
    text = text.replace("The bias shifts every prediction of the model.\n\n", "")  # orphaned
    text += "\nWe now implement the model from scratch.\n"  # missing
    chapter.write_text(text)
    before = intro.read_text()

    code, out, _ = run(capsys, "status", "ko", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["language"] == "ko"
    rows = {r["page"]: r for r in data["pages"]}
    assert set(rows) == {"index", "chapter_lr/intro"}
    assert counts(data, "index") == (0, 0, 1, 0)
    assert counts(data, "chapter_lr/intro") == (1, 1, 2, 1)
    assert rows["chapter_lr/intro"]["percent"] == 25.0
    for key in ("translated", "stale", "missing", "orphaned"):
        assert data["total"][key] == sum(r[key] for r in data["pages"])
    assert data["total"] == {
        "translated": 1,
        "stale": 1,
        "draft": 0,
        "missing": 3,
        "orphaned": 1,
        "percent": 20.0,
    }
    assert json.loads((root / "_build/reports/translate-ko.json").read_text()) == data
    assert intro.read_text() == before  # status writes no pair file


@pytest.mark.parametrize("argv", [["init", "fr"], ["status", "fr"], ["check", "fr"], ["sync", "en"]])
def test_a_language_not_in_the_book_is_an_error(book, capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    root = lr_book(book)
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert err.splitlines() == [
        f"polybook: error: {argv[1]} is not a translation language of the book: ko [polybook.usage]"
    ]
    assert not (root / "translations").exists()


def test_init_needs_a_language(book, capsys) -> None:  # type: ignore[no-untyped-def]
    lr_book(book)
    code, _, err = run(capsys, "init")
    assert code == 1
    assert err.splitlines() == [
        "polybook: error: translate init needs a language: one of ko [polybook.usage]"
    ]


# ---------------------------------------------------------------------------------------------
# import from a d2lbook-style translation

FENCE = "```"
ORIGIN = rf"""# Linear Regression
:label:`sec_linear_regression`

Regression problems pop up whenever we want to predict a numerical value.

The model is $\hat{{y}} = \mathbf{{w}}^\top \mathbf{{x}} + b$, as :numref:`sec_linear_regression` shows.

* Each weight says how much a feature matters.
* The bias shifts every prediction.

{FENCE}{{.python .input}}
#@tab all
w = d2l.zeros(3)
{FENCE}

Training minimizes the squared loss.
"""
TRANSLATED = rf"""# 선형 회귀
:label:`sec_linear_regression`

회귀 문제는 수치 값을 예측하고 싶을 때마다 나타납니다.

이 모델은 $\hat{{y}} = \mathbf{{w}}^\top \mathbf{{x}} + b$로 쓸 수 있으며,
입력 특성의 가중합에 편향을 더한 값이라는 뜻입니다.
자세한 유도 과정은 :numref:`sec_linear_regression`에서 차근차근 다룹니다.

* 각 가중치는 특성이 얼마나 중요한지를 나타냅니다.
* 편향은 모든 예측을 옮깁니다.

{FENCE}{{.python .input}}
#@tab all
w = d2l.zeros(3)
{FENCE}

훈련은 제곱 손실을 최소화합니다.
"""
TODAY = (
    ORIGIN.replace("the squared loss.", "the squared loss over the whole training set.")
    + "\nNext we implement the model from scratch.\n"
)


def d2lbook_translation(folder: Path, translated: str = TRANSLATED) -> Path:
    """A d2lbook translation: ``X.md`` translated beside ``X_origin.md``, the English it was made from."""
    (folder / "chapter_lr").mkdir(parents=True)
    (folder / "chapter_lr/index_origin.md").write_text(ORIGIN)
    (folder / "chapter_lr/index.md").write_text(translated)
    return folder


def korean_strings(markdown: str) -> list[str]:
    """Every line with Hangul, without its list bullet."""
    return [
        re.sub(r"^\s*(?:[*+-]|\d+[.)])\s+", "", line).strip()
        for line in markdown.split("\n")
        if HANGUL.search(line)
    ]


@pytest.fixture
def imported(book, capsys, tmp_path_factory):  # type: ignore[no-untyped-def]
    # the d2lbook folder lies outside the book: inside it, its .md files would be pages of the book
    folder = d2lbook_translation(tmp_path_factory.mktemp("d2l-ko"))
    root = book(
        {"index.md": INDEX.replace("chapter_lr/intro", "chapter_lr/index"), "chapter_lr/index.md": TODAY}
    )
    code, out, _ = run(capsys, "import", "ko", "--from", str(folder))
    assert code == 0
    assert f"polybook translate import: 1 page(s) imported from {folder}" in out
    return root


def test_import_turns_a_d2lbook_translation_into_a_synced_pair_file(imported, capsys) -> None:  # type: ignore[no-untyped-def]
    pair_path = imported / "translations/ko/chapter_lr/index.md"
    assert pair_path.is_file()
    pair = pair_path.read_text()
    # unchanged blocks come in translated, each after its source
    assert ":label:`sec_linear_regression`\n\n# 선형 회귀\n" in pair
    assert (
        "Regression problems pop up whenever we want to predict a numerical value.\n\n"
        "회귀 문제는 수치 값을 예측하고 싶을 때마다 나타납니다.\n"
    ) in pair
    assert "as :numref:`sec_linear_regression` shows.\n\n이 모델은 " in pair
    assert re.search(r"\* Each weight says how much a feature matters\.\n\n?  각 가중치는", pair)
    # the paragraph changed since the origin: stale, with the origin's English, the Korean kept
    assert (
        "Training minimizes the squared loss over the whole training set.\n\n"
        f"{STALE}\nTraining minimizes the squared loss.\n-->\n\n"
        "훈련은 제곱 손실을 최소화합니다.\n"
    ) in pair
    # the paragraph the origin did not have: untranslated
    assert f"Next we implement the model from scratch.\n\n{SLOT}\n" in pair
    assert pair.count("w = d2l.zeros(3)") == 1  # code appears once
    for korean in korean_strings(TRANSLATED):
        assert korean in pair
    assert counts(status(capsys), "chapter_lr/index") == (5, 1, 1, 0)
    assert run(capsys, "check", "ko")[0] == 0


def test_import_is_kept_by_a_later_sync(imported, capsys) -> None:  # type: ignore[no-untyped-def]
    pair_path = imported / "translations/ko/chapter_lr/index.md"
    before = pair_path.read_text()
    code, out, _ = run(capsys, "sync", "ko")
    assert code == 0
    assert pair_path.read_text() == before
    assert "updated" not in out


def test_import_keeps_a_short_translation_of_a_math_paragraph(book, capsys, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    short = TRANSLATED.replace(
        "로 쓸 수 있으며,\n입력 특성의 가중합에 편향을 더한 값이라는 뜻입니다.\n"
        "자세한 유도 과정은 "
        ":numref:`sec_linear_regression`에서 차근차근 다룹니다.",
        "이며, :numref:`sec_linear_regression`에서 볼 수 있습니다.",
    )
    assert short != TRANSLATED
    folder = d2lbook_translation(tmp_path_factory.mktemp("d2l-ko"), short)
    root = book({"chapter_lr/index.md": TODAY})
    assert run(capsys, "import", "ko", "--from", str(folder))[0] == 0
    pair = (root / "translations/ko/chapter_lr/index.md").read_text()
    for korean in korean_strings(short):
        assert korean in pair
