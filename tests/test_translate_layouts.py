"""Each class of failure seen on real translations, as a fixture of our own words: the layouts
translators write, translations next to wordless blocks, translations that repeat their source,
captions above tables, translators' notes on import. Every translated line must survive, with
its own source."""

from __future__ import annotations

import pytest

from polybook.i18n.blocks import Chapter
from polybook.i18n.importer import ImportReport, align_origin, carry_over
from polybook.i18n.pairs import read_pairs
from polybook.i18n.sync import carry, render, sync_page


def synced(chapter: str, pairs: str) -> str:
    """The pair file after a sync, without its header."""
    text = sync_page(Chapter.of(chapter), pairs).text
    return text[text.index("-->\n") + 5 :]


def translations_of(chapter: str, pairs: str) -> dict[str, str]:
    """Each unit's translation as the file is read (source text -> translation)."""
    read = Chapter.of(chapter)
    found, _ = carry(read, read_pairs(pairs, read))
    return {p.source: p.translation for p in found}


SUMMARY = """# Summary

* Tensors hold the data of a model.
* Gradients say how to change the weights.
* A loss measures how wrong a prediction is.
"""
SUMMARY_PAIRS = """# Summary

# 요약

* Tensors hold the data of a model.
* Gradients say how to change the weights.
* A loss measures how wrong a prediction is.

* 텐서는 모델의 데이터를 담습니다.
* 기울기는 가중치를 어떻게 바꿀지 알려 줍니다.
* 손실은 예측이 얼마나 틀렸는지 잽니다.
"""


def test_an_english_list_followed_by_its_translated_list_pairs_item_by_item() -> None:
    found = translations_of(SUMMARY, SUMMARY_PAIRS)
    assert found["Gradients say how to change the weights."] == "기울기는 가중치를 어떻게 바꿀지 알려 줍니다."
    assert found["A loss measures how wrong a prediction is."] == "손실은 예측이 얼마나 틀렸는지 잽니다."
    text = synced(SUMMARY, SUMMARY_PAIRS)
    # rewritten in polybook's layout: each item holds its translation
    assert "* Tensors hold the data of a model.\n\n  텐서는 모델의 데이터를 담습니다.\n" in text


DEEPER = """# Going Deeper
:label:`sec_deeper`

Stacking layers lets a network learn features of features.

## Why Depth Helps

Each layer reuses what the previous one found.
"""


@pytest.mark.parametrize(
    "heading",
    [
        "# Going Deeper\n# 더 깊이\n:label:`sec_deeper`",  # consecutive lines, the label after both
        "# Going Deeper 더 깊이\n:label:`sec_deeper`",  # one line
        "# Going Deeper\n:label:`sec_deeper`\n\n# 더 깊이",  # polybook's layout
    ],
    ids=["consecutive", "one-line", "polybook"],
)
def test_headings_on_one_line_or_consecutive_lines_are_pairs(heading: str) -> None:
    pairs = (
        f"{heading}\n\nStacking layers lets a network learn features of features.\n\n"
        "층을 쌓으면 특징의 특징을 배웁니다.\n\n"
        "## Why Depth Helps (깊이가 도움이 되는 이유)\n\nEach layer reuses what the previous one found.\n\n"
        "각 층은 앞 층이 찾은 것을 다시 씁니다.\n"
    )
    found = translations_of(DEEPER, pairs)
    assert found["# Going Deeper"] == "# 더 깊이"
    assert found["## Why Depth Helps"] == "## 깊이가 도움이 되는 이유"
    text = synced(DEEPER, pairs)
    assert text.startswith("# Going Deeper\n:label:`sec_deeper`\n\n# 더 깊이\n")
    assert text.count(":label:`sec_deeper`") == 1


TABS = """# Frameworks

:begin_tab:`pytorch`
PyTorch builds the graph as the code runs.
:end_tab:

:begin_tab:`tensorflow`
TensorFlow traces a function into a graph.
:end_tab:
"""


def test_prose_tabs_with_all_their_english_first_pair_tab_by_tab() -> None:
    pairs = (
        TABS.replace("# Frameworks\n", "# Frameworks\n\n# 프레임워크\n")
        + "\n:begin_tab:`pytorch`\nPyTorch는 코드가 실행되는 대로 그래프를 만듭니다.\n:end_tab:\n\n"
        ":begin_tab:`tensorflow`\nTensorFlow는 함수를 추적해 그래프로 만듭니다.\n:end_tab:\n"
    )
    found = translations_of(TABS, pairs)
    assert found["PyTorch builds the graph as the code runs."].startswith("PyTorch는")
    assert found["TensorFlow traces a function into a graph."].startswith("TensorFlow는")


def test_a_deleted_tab_set_after_english_first_tabs_is_no_translation_of_them() -> None:
    """Found by the property tests: a tab set written English first, then a second tab set in
    polybook's layout, deleted from the chapter. Its English, nearly the first set's words, is
    a source gone since, not a translation that repeats the first set's English."""
    chapter = (
        "# Frameworks\n\n:begin_tab:`pytorch`\nPyTorch runs the model of each layer eagerly.\n:end_tab:\n\n"
        ":begin_tab:`tensorflow`\nTensorFlow traces the model of each layer.\n:end_tab:\n"
    )
    pairs = (
        "# Frameworks\n\n# 프레임워크\n\n"
        ":begin_tab:`pytorch`\nPyTorch runs the model of each layer eagerly.\n:end_tab:\n\n"
        ":begin_tab:`tensorflow`\nTensorFlow traces the model of each layer.\n:end_tab:\n\n"
        ":begin_tab:`pytorch`\nPyTorch는 모델을 즉시 실행합니다.\n:end_tab:\n\n"
        ":begin_tab:`tensorflow`\nTensorFlow는 모델을 추적합니다.\n:end_tab:\n\n"
        ":begin_tab:`pytorch`\nPyTorch runs the model of each block eagerly.\n\n"
        "PyTorch는 층을 즉시 실행합니다.\n:end_tab:\n\n"
        ":begin_tab:`tensorflow`\nTensorFlow traces the model of each block.\n\n"
        "TensorFlow는 층을 추적합니다.\n:end_tab:\n"
    )
    found = translations_of(chapter, pairs)
    assert found["PyTorch runs the model of each layer eagerly."] == "PyTorch는 모델을 즉시 실행합니다."
    assert found["TensorFlow traces the model of each layer."] == "TensorFlow는 모델을 추적합니다."
    text = synced(chapter, pairs)
    orphaned = text[text.index("<!-- polybook:orphaned -->") :]
    for line in (
        "PyTorch runs the model of each block eagerly.",
        "PyTorch는 층을 즉시 실행합니다.",
        "TensorFlow는 층을 추적합니다.",
    ):
        assert line in orphaned


def test_a_deleted_list_after_a_translated_list_is_no_translation_of_it() -> None:
    """Found by the property tests: two lists, each written as an English list followed by its
    translated list (markdown reads all four as one list), and the second deleted from the
    chapter. Its English, worded like the first list's, is a source gone since: the first
    list keeps its own translations, the second goes whole to the orphans."""
    chapter = (
        "# Tips\n\n* Scale the inputs before training.\n* Shuffle the examples every epoch.\n\nThen train.\n"
    )
    pairs = (
        "# Tips\n\n# 요령\n\n"
        "* Scale the inputs before training.\n* Shuffle the examples every epoch.\n\n"
        "* 학습 전에 입력의 크기를 맞춥니다.\n* 에포크마다 예제를 섞습니다.\n\n"
        "* Scale the inputs before testing.\n* Shuffle the examples every step.\n\n"
        "* 테스트 전에 출력의 크기를 맞춥니다.\n* Shuffle the examples every step.\n\n"
        "Then train.\n\n그런 다음 학습합니다.\n"
    )
    found = translations_of(chapter, pairs)
    assert found["Scale the inputs before training."] == "학습 전에 입력의 크기를 맞춥니다."
    assert found["Shuffle the examples every epoch."] == "에포크마다 예제를 섞습니다."
    result = sync_page(Chapter.of(chapter), pairs)
    orphaned = result.text[result.text.index("<!-- polybook:orphaned -->") :]
    assert orphaned.count("Shuffle the examples every step.") == 2  # an item left in English
    for line in ("Scale the inputs before testing.", "테스트 전에 출력의 크기를 맞춥니다."):
        assert line in orphaned
    assert (result.status.translated, result.status.orphaned) == (4, 2)


LOSS = """# Loss

The squared loss of one example is

$$l = (y - \\hat{y})^2.$$

It grows quickly with the error.
"""
LOSS_PAIRS = """# Loss

# 손실

The squared loss of one example is

$$l = (y - \\hat{y})^2.$$

예제 하나의 제곱 손실은 다음과 같습니다.

It grows quickly with the error.

오차가 커지면 빠르게 커집니다.
"""


def test_a_translation_after_an_equation_survives_an_edit_of_the_next_paragraph() -> None:
    edited = LOSS.replace("It grows quickly with the error.", "It grows quickly as the error grows.")
    first = synced(edited, LOSS_PAIRS)
    assert "The squared loss of one example is\n\n예제 하나의 제곱 손실은 다음과 같습니다.\n" in first
    assert "It grows quickly with the error.\n-->\n\n오차가 커지면 빠르게 커집니다." in first
    # and again after a math-only paragraph, in polybook's own layout
    chapter = "# Loss\n\nBefore.\n\n$a = b$\n\nAfter the math.\n"
    pairs = synced(chapter, "# Loss\n\n# 손실\n\nBefore.\n\n앞.\n\n$a = b$\n\nAfter the math.\n\n수식 뒤.\n")
    again = synced(chapter.replace("After the math.", "After the math, edited."), pairs)
    assert "앞." in again and "수식 뒤." in again
    assert again.count("$a = b$") == 1


AUTHORS = """# Authors

Aston Zhang, Zachary Lipton, Mu Li and Alexander Smola.

The book began in 2017.
"""
AUTHORS_PAIRS = """# Authors

# 저자

Aston Zhang, Zachary Lipton, Mu Li and Alexander Smola.

Aston Zhang, Zachary Lipton, Mu Li, Alexander Smola.

The book began in 2017.

이 책은 2017년에 시작되었습니다.
"""


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text,
        lambda text: text.replace("began in 2017", "was begun in 2017"),
        lambda text: text.replace("Mu Li and Alexander Smola.", "Mu Li, Alexander Smola and many others."),
    ],
    ids=["unchanged", "next-edited", "itself-edited"],
)
def test_a_translation_that_mostly_repeats_its_source_stays_a_translation(edit) -> None:  # type: ignore[no-untyped-def]
    chapter = edit(AUTHORS)
    found = translations_of(chapter, AUTHORS_PAIRS)
    names = next(s for s in found if s.startswith("Aston"))
    assert found[names] == "Aston Zhang, Zachary Lipton, Mu Li, Alexander Smola."
    assert "이 책은 2017년에 시작되었습니다." in synced(chapter, AUTHORS_PAIRS)


RESULTS = """# Results

: Accuracy of the three models.
:label:`tab_acc`

| model | accuracy |
|---|---|
| linear | 0.81 |

The MLP wins.
"""
RESULTS_PAIRS = """# Results

# 결과

: Accuracy of the three models.
:label:`tab_acc`

: 세 모델의 정확도.

| model | accuracy |
|---|---|
| linear | 0.81 |

| 모델 | 정확도 |
|---|---|
| 선형 | 0.81 |

The MLP wins.

MLP가 이깁니다.
"""


def test_a_translated_caption_above_its_table_survives_a_sync_with_no_change() -> None:
    first = synced(RESULTS, RESULTS_PAIRS)
    assert ": Accuracy of the three models.\n:label:`tab_acc`\n\n: 세 모델의 정확도.\n" in first
    found = translations_of(RESULTS, RESULTS_PAIRS)
    assert found[": Accuracy of the three models."] == ": 세 모델의 정확도."
    header = sync_page(Chapter.of(RESULTS), RESULTS_PAIRS).text
    assert sync_page(Chapter.of(RESULTS), header).text == header


def test_a_heading_gone_with_its_translation_on_its_line_is_no_figures_translation() -> None:
    """Found by the property tests: an untranslated figure's slot, then a heading written with its
    translation on one line whose source was deleted. The heading is an orphan, kept whole."""
    pairs = (
        "# Plots\n\n# 그림\n\n![The loss curve.](img/loss.svg)\n:label:`fig_loss`\n\n"
        "<!-- polybook:untranslated -->\n\n## Training 훈련\n\nThe loss falls.\n\n손실이 줄어듭니다.\n"
    )
    chapter = "# Plots\n\n![The loss curve.](img/loss.svg)\n:label:`fig_loss`\n\nThe loss falls.\n"
    found = translations_of(chapter, pairs)
    assert found["![The loss curve.](img/loss.svg)"] == ""
    assert found["The loss falls."] == "손실이 줄어듭니다."
    text = synced(chapter, pairs)
    assert text.endswith("<!-- polybook:orphaned -->\n\n<!-- polybook:unpaired -->\n\n## Training 훈련\n")


def test_two_one_line_headings_gone_are_two_orphans_not_a_pair() -> None:
    """Found by the property tests in CI: two headings written with their translations on their
    lines, both deleted from the chapter. Each is an orphan of its own; neither becomes the
    other's translation (which left the status one orphan short)."""
    pairs = "# Chapter\n\n# 장\n\n$a = b$\n\n## Biases 편향\n\n$c = d$\n\n## Losses 손실\n"
    chapter = "# Chapter\n\n$a = b$\n\n$c = d$\n"
    result = sync_page(Chapter.of(chapter), pairs)
    assert (result.status.translated, result.status.orphaned) == (1, 2)
    assert synced(chapter, pairs).endswith(
        "<!-- polybook:orphaned -->\n\n<!-- polybook:unpaired -->\n\n## Biases 편향\n\n"
        "<!-- polybook:unpaired -->\n\n## Losses 손실\n"
    )


ORIGIN = """# Dropout
:label:`sec_dropout`

Dropout zeroes some activations during training.

```{.python .input}
#@tab all
def dropout(X, p):
    return X
```

At test time, nothing is dropped.

The expected value of each activation stays the same.
"""
TRANSLATED = """# 드롭아웃
:label:`sec_dropout`

드롭아웃은 훈련하는 동안 일부 활성값을 0으로 만듭니다.

```{.python .input}
#@tab all
def dropout(X, p):
    return X
```

역자 주: 드롭아웃은 '탈락'으로 옮기기도 하지만, 이 책에서는 원어를 그대로 씁니다.

테스트할 때에는 아무것도 떨어뜨리지 않습니다.

각 활성값의 기댓값은 그대로입니다.
"""


def test_import_of_a_page_with_an_extra_paragraph_pairs_each_block_with_its_own() -> None:
    report = ImportReport("chapter_x/dropout")
    pairs, unpaired, untranslated = align_origin(ORIGIN, TRANSLATED, report)
    found = {p.source: p.translation for p in pairs}
    assert found["# Dropout"] == "# 드롭아웃"  # the title is paired, not dropped
    assert found["At test time, nothing is dropped."] == "테스트할 때에는 아무것도 떨어뜨리지 않습니다."
    assert (
        found["The expected value of each activation stays the same."] == "각 활성값의 기댓값은 그대로입니다."
    )
    assert [e.text for e in unpaired] == [
        "역자 주: 드롭아웃은 '탈락'으로 옮기기도 하지만, 이 책에서는 원어를 그대로 씁니다."
    ]
    assert untranslated == []
    assert (report.anchor + report.length, report.unpaired) == (4, 1)


# -- found by a new user's trial on real chapters: one fixture per class -------------------------

STEPS = [
    "Load the images and scale every pixel to the unit interval.",
    "Split the examples into a training set and a validation set.",
    "Train a small network and watch the validation loss each epoch.",
]
STEPS_KO = [
    "이미지를 불러오고 모든 픽셀을 단위 구간으로 맞춥니다. (1)",
    "예제를 훈련 세트와 검증 세트로 나눕니다. (2)",
    "작은 신경망을 훈련하며 에포크마다 검증 손실을 지켜봅니다. (3)",
]


def without(items: list[str], gone: int) -> list[str]:
    return [s for k, s in enumerate(items) if k != gone]


@pytest.mark.parametrize("gone", [0, 1])
@pytest.mark.parametrize("shape", ["list", "paragraphs"])
def test_a_block_deleted_from_an_english_first_run_takes_its_own_translation_along(shape, gone) -> None:  # type: ignore[no-untyped-def]
    """All the English first, then all the translations; one English block leaves the chapter.
    Its English is an old source, not the translation of the block before it: every block left
    keeps its own translation, the deleted one goes to the orphans with its own."""
    joint = "\n" if shape == "list" else "\n\n"
    bullet = "* " if shape == "list" else ""

    def block(items: list[str]) -> str:
        return joint.join(bullet + s for s in items)

    chapter = f"# Steps\n\n{block(without(STEPS, gone))}\n"
    pairs = f"# Steps\n\n# 단계\n\n{block(STEPS)}\n\n{block(STEPS_KO)}\n"
    found = translations_of(chapter, pairs)
    for k, source in enumerate(STEPS):
        if k != gone:
            assert found[source] == STEPS_KO[k]
    result = sync_page(Chapter.of(chapter), pairs)
    orphaned = result.text[result.text.index("<!-- polybook:orphaned -->") :]
    assert STEPS[gone] in orphaned and STEPS_KO[gone] in orphaned
    assert (result.status.translated, result.status.orphaned) == (3, 1)
    assert sync_page(Chapter.of(chapter), result.text).text == result.text


def test_a_deleted_block_after_an_untranslated_one_is_no_translation_of_it() -> None:
    """Each block followed by its translation, the first left untranslated with no slot, the
    second deleted: the deleted English is an old source with its translation, and the first
    block stays untranslated."""
    chapter = f"# Steps\n\n{STEPS[0]}\n\n{STEPS[2]}\n"
    pairs = f"# Steps\n\n# 단계\n\n{STEPS[0]}\n\n{STEPS[1]}\n\n{STEPS_KO[1]}\n\n{STEPS[2]}\n\n{STEPS_KO[2]}\n"
    found = translations_of(chapter, pairs)
    assert (found[STEPS[0]], found[STEPS[2]]) == ("", STEPS_KO[2])
    result = sync_page(Chapter.of(chapter), pairs)
    assert f"<!-- polybook:orphaned -->\n\n{STEPS[1]}\n\n{STEPS_KO[1]}\n" in result.text


def test_english_first_tabs_with_one_edited_keep_each_translation_in_its_tab() -> None:
    """Three prose tabs saying nearly the same, all the English first; the first words of the
    pytorch tab are edited. The old pytorch English is no copy of the mxnet tab: pytorch's
    translation stays with it, stale."""
    body = (
        " offers many functions\nfor making new tensors\nfilled with values.\nCalling `arange(n)`, for one,"
        "\ngives a vector of evenly spaced values\nfrom 0 up to `n` (left out).\nUnless told otherwise,"
        "\nnew tensors live in main memory\nand are computed on the CPU."
    )
    ko = "는 0, 1 또는 난수로 채운 텐서를 만들고 CPU에 저장합니다."
    tabs = [("mxnet", "MXNet"), ("pytorch", "PyTorch"), ("tensorflow", "TensorFlow")]
    english = "\n\n".join(f":begin_tab:`{t}`\n{n}{body}\n:end_tab:" for t, n in tabs)
    korean = "\n\n".join(f":begin_tab:`{t}`\n{n}{ko} ({t})\n:end_tab:" for t, n in tabs)
    chapter = f"# Tensors\n\n{english}\n".replace("PyTorch offers many", "PyTorch has plenty of")
    read = Chapter.of(chapter)
    found, _ = carry(read, read_pairs(f"# Tensors\n\n# 텐서\n\n{english}\n\n{korean}\n", read))
    for pair, (tab, _) in zip(found[1:], tabs, strict=True):
        assert pair.translation.endswith(f"({tab})"), (pair.source, pair.translation)
    assert [p.previous is not None for p in found[1:]] == [False, True, False]


@pytest.mark.parametrize(
    "note", ["역자 주: '특징'은 feature를 옮긴 말입니다.", "<!-- 역자: 검토가 필요합니다 -->"]
)
def test_a_translators_note_between_a_block_and_its_translation_is_kept_aside(note) -> None:  # type: ignore[no-untyped-def]
    """A short note (as text or as an HTML comment) between a paragraph and its translation:
    the translation, which fits the paragraph by its length and its reference, is the pair;
    the note is kept in the orphaned section."""
    source = "Stacking the features of every example as rows gives the design matrix of :eqref:`eq_x`."
    translation = "모든 예제의 특징을 행으로 쌓으면 :eqref:`eq_x`의 설계 행렬이 됩니다."
    chapter = f"# Data\n\n{source}\n"
    pairs = f"# Data\n\n# 데이터\n\n{source}\n\n{note}\n\n{translation}\n"
    assert translations_of(chapter, pairs)[source] == translation
    text = synced(chapter, pairs)
    assert note in text[text.index("<!-- polybook:orphaned -->") :]


def test_translations_written_as_nested_bullets_are_read_without_their_bullet() -> None:
    """Each translation as a nested bullet under its item; the first item then deleted. The
    translations lose their bullet, and a second sync changes nothing."""
    chapter = "# Steps\n\n" + "\n".join(f"* {s}" for s in STEPS[1:]) + "\n"
    pairs = (
        "# Steps\n\n# 단계\n\n"
        + "\n".join(f"* {s}\n    * {t}" for s, t in zip(STEPS, STEPS_KO, strict=True))
        + "\n"
    )
    found = translations_of(chapter, pairs)
    assert (found[STEPS[1]], found[STEPS[2]]) == (STEPS_KO[1], STEPS_KO[2])
    first = sync_page(Chapter.of(chapter), pairs)
    assert first.status.orphaned == 1
    assert f"* {STEPS[1]}\n\n  {STEPS_KO[1]}\n" in first.text
    assert sync_page(Chapter.of(chapter), first.text).text == first.text


def test_an_edited_multiline_item_keeps_the_translation_written_right_under_it() -> None:
    """An item of three lines, its translation on the next lines with no blank line; one word
    of the English then edited: the translation is the item's, stale, not its last two lines."""
    item = (
        "* Is there a way to draw the points\n  so that nearby points stay near\n  and far points stay far?"
    )
    ko = "  가까운 점은 가깝게, 먼 점은 멀게 두도록\n  점들을 그리는 방법이 있을까요? (A)"
    chapter = "# Maps\n\n" + item.replace("a way", "any way") + "\n"
    read = Chapter.of(chapter)
    found, orphans = carry(read, read_pairs(f"# Maps\n\n# 지도\n\n{item}\n{ko}\n", read))
    assert found[1].translation.endswith("(A)") and found[1].previous is not None
    assert orphans == []


def test_a_deleted_exercise_with_sub_questions_is_one_orphan_read_back_whole() -> None:
    """polybook's own layout; an exercise with nested sub-questions leaves the chapter. Its
    orphan reads back as one pair (the nested list does not split it), a second sync changes
    nothing, and undoing the deletion brings its translation back."""
    first = (
        "1. Suppose the matrix has full rank.\n    1. What if it does not?\n    1. How would you repair it?"
    )
    second = "1. Suppose the noise is Laplacian."
    chapter = f"# Exercises\n\n{first}\n{second}\n"
    pairs = sync_page(Chapter.of(chapter), None).text.replace(
        "    1. How would you repair it?\n\n   <!-- polybook:untranslated -->",
        "    1. How would you repair it?\n\n   행렬이 최대 계수라고 가정합니다. (A)\n"
        "    1. 그렇지 않으면 어떻게 될까요? (A1)\n    1. 어떻게 고치겠습니까? (A2)",
    )
    assert "(A2)" in pairs
    edited = Chapter.of(f"# Exercises\n\n{second}\n")
    once = sync_page(edited, pairs)
    assert sync_page(edited, once.text).text == once.text
    orphans = read_pairs(once.text, edited).orphans
    assert [(o.source.split("\n")[0], o.translation.split("\n")[0]) for o in orphans] == [
        ("Suppose the matrix has full rank.", "행렬이 최대 계수라고 가정합니다. (A)")
    ]
    back = Chapter.of(chapter)
    found, _ = carry(back, read_pairs(once.text, back))
    assert found[1].translation.endswith("어떻게 고치겠습니까? (A2)")


def test_a_heading_written_translation_first_with_the_english_in_brackets_is_a_pair() -> None:
    chapter = "# Linear Models\n\nA line through the data.\n\n## Basics\n\nStart with one feature.\n"
    pairs = "# 선형 모델 (Linear Models)\n\nA line through the data.\n\n데이터를 지나는 직선.\n\n"
    pairs += "## 기초 (Basics)\n"
    found = translations_of(chapter, pairs)
    assert (found["# Linear Models"], found["## Basics"]) == ("# 선형 모델", "## 기초")


def test_an_edited_paragraph_keeps_the_translation_written_on_the_lines_under_it() -> None:
    source = "Large errors\ncount far more\nthan small ones."
    chapter = "# Loss\n\n" + source.replace("far more", "much more") + "\n"
    read = Chapter.of(chapter)
    found, orphans = carry(
        read, read_pairs(f"# Loss\n\n# 손실\n\n{source}\n큰 오차는\n작은 오차보다 훨씬 중요합니다.\n", read)
    )
    assert found[1].translation == "큰 오차는\n작은 오차보다 훨씬 중요합니다."
    assert found[1].previous == source and orphans == []


def test_code_with_translated_comments_is_kept_as_an_orphan_not_dropped() -> None:
    """Code comes from the chapter; a cell whose comment a translator translated (in place, or
    as a copy under the English cell) is kept in the orphaned section, never dropped."""
    cell = "```{.python .input}\n#@tab all\nn = 100  # number of points\n```"
    chapter = f"# Points\n\nMake some points.\n\n{cell}\n"
    translated = cell.replace("number of points", "점의 개수")
    for pairs in (
        f"# Points\n\n# 점\n\nMake some points.\n\n점을 만듭니다.\n\n{translated}\n",
        f"# Points\n\n# 점\n\nMake some points.\n\n점을 만듭니다.\n\n{cell}\n\n{translated}\n",
    ):
        result = sync_page(Chapter.of(chapter), pairs)
        text = result.text
        assert f"Make some points.\n\n점을 만듭니다.\n\n{cell}\n" in text  # the chapter's own cell
        assert f"<!-- polybook:unpaired -->\n\n{translated}\n" in text[text.index("<!-- polybook:orphaned") :]
        assert sync_page(Chapter.of(chapter), text).text == text


def test_an_arrow_in_an_edited_source_leaves_its_stale_note_whole() -> None:
    """A stale note holds the old English in an HTML comment; an arrow ``-->`` in it is escaped,
    so the note neither ends early nor loses words sync after sync."""
    source = "Data flows input --> model --> output."
    chapter = "# Flow\n\n" + source.replace("flows", "moves") + "\n"
    once = sync_page(
        Chapter.of(chapter), f"# Flow\n\n# 흐름\n\n{source}\n\n데이터는 입력에서 출력으로 흐릅니다.\n"
    ).text
    assert sync_page(Chapter.of(chapter), once).text == once
    read = Chapter.of(chapter)
    found, _ = carry(read, read_pairs(once, read))
    assert found[1].previous == source


def test_import_into_a_chapter_whose_paragraphs_moved_pairs_each_with_its_own() -> None:
    """A d2lbook translation made before two paragraphs swapped places; each translation comes
    in with its own paragraph (none orphaned), and a sync right after changes nothing."""
    a, b = "Scores are normalised by a softmax.", "Queries meet keys in one matrix product."
    ka, kb = "점수는 소프트맥스로 정규화합니다. (A)", "질의와 키는 한 번의 행렬 곱에서 만납니다. (B)"
    old, _, _ = align_origin(f"# Scores\n\n{a}\n\n{b}\n", f"# 점수\n\n{ka}\n\n{kb}\n", ImportReport("x"))
    today = Chapter.of(f"# Scores\n\n{b}\n\n{a}\n")
    pairs, orphans = carry_over(old, today)
    assert [p.translation for p in pairs] == ["# 점수", kb, ka] and orphans == []
    text = render(today, pairs, orphans)
    assert sync_page(today, text).text == text


def test_import_keeps_code_whose_comments_were_translated() -> None:
    cell = "```{.python .input}\n#@tab all\nn = 100  # number of points\n```"
    origin = f"# Points\n\nMake some points.\n\n{cell}\n"
    translated = f"# 点\n\n生成一些点。\n\n{cell.replace('number of points', '点的个数')}\n"
    _, unpaired, _ = align_origin(origin, translated, ImportReport("x"))
    assert [e.text for e in unpaired] == [cell.replace("number of points", "点的个数")]


# -- a second trial, in Korean, Chinese and Japanese ---------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "## Softmax ソフトマックス回帰（分類）",
        "## Softmax 소프트맥스 (분류)",
        "## Softmax 练习 [1]",
        "## Softmax 「練習」",
    ],
)
def test_a_one_line_heading_keeps_the_brackets_its_translation_ends_with(line) -> None:  # type: ignore[no-untyped-def]
    chapter = "## Softmax\n\nScores become probabilities.\n"
    text = synced(chapter, f"{line}\n\nScores become probabilities.\n\n점수가 확률이 됩니다.\n")
    assert f"## Softmax\n\n## {line.removeprefix('## Softmax ')}\n" in text


def test_a_one_line_heading_is_cut_at_the_longest_heading_it_starts_with() -> None:
    chapter = "# Change\n\n## Change of Variables\n\nSubstitute.\n\n"
    chapter += "## Change of Variables in Two Dimensions\n\nTwice.\n"
    pairs = (
        "# Change 변환\n\n## Change of Variables 변수 변환\n\nSubstitute.\n\n치환합니다.\n\n"
        "## Change of Variables in Two Dimensions 2차원 변수 변환\n\nTwice.\n\n두 번.\n"
    )
    found = translations_of(chapter, pairs)
    assert found["## Change of Variables"] == "## 변수 변환"
    assert found["## Change of Variables in Two Dimensions"] == "## 2차원 변수 변환"
    assert sync_page(Chapter.of(chapter), pairs).status.stale == 0


def test_a_translators_note_after_a_translation_stays_out_of_the_pairs() -> None:
    """The first paragraph untranslated (no slot), the second with its translation, then a
    note (译者注): nothing moves up a paragraph; the note is kept aside."""
    first, second = "Probability is the language of uncertainty.", "Calculus tells how functions change."
    chapter = f"# 数学\n\n{first}\n\n{second}\n"
    note = "译者注：本节的符号与原书第一版略有不同。"
    pairs = f"# 数学\n\n{first}\n\n{second}\n\n微积分告诉我们函数如何变化。\n\n{note}\n"
    found = translations_of(chapter, pairs)
    assert (found[first], found[second]) == ("", "微积分告诉我们函数如何变化。")
    assert note in synced(chapter, pairs).split("<!-- polybook:orphaned -->")[1]


def test_a_new_tab_like_an_edited_one_does_not_take_its_translation() -> None:
    """The tensorflow tab is reworded and a jax tab added with nearly the old tensorflow words:
    the tensorflow translation stays in the tensorflow tab (stale)."""
    tf = "For brevity we import tensorflow as `tf` and build tensors with it."
    chapter = (
        "# Import\n\n:begin_tab:`tensorflow`\n"
        + tf.replace("For brevity", "To keep the code short,")
        + "\n:end_tab:\n\n"
        ":begin_tab:`jax`\nFor brevity we import tensorflow as `jnp` and build tensors with it.\n:end_tab:\n"
    )
    pairs = f"# Import\n\n# 導入\n\n:begin_tab:`tensorflow`\n{tf}\n\n"
    pairs += "簡潔のため tensorflow を `tf` として読み込みます。\n:end_tab:\n"
    read = Chapter.of(chapter)
    found, _ = carry(read, read_pairs(pairs, read))
    assert found[1].translation.startswith("簡潔のため tensorflow") and found[1].previous == tf
    assert found[2].translation == ""


def test_a_deleted_heading_with_its_translation_on_its_line_comes_back_with_its_heading() -> None:
    chapter = "# Ex\n\nTry these.\n\n## Exercises\n\nFirst one.\n"
    pairs = "# Ex\n\n# 例\n\nTry these.\n\n试试这些。\n\n## Exercises 练习\n\nFirst one.\n\n第一个。\n"
    gone = sync_page(Chapter.of(chapter.replace("## Exercises\n\n", "")), pairs).text
    assert "## Exercises 练习" in gone.split("<!-- polybook:orphaned -->")[1]
    back = sync_page(Chapter.of(chapter), gone)
    assert "## Exercises\n\n## 练习\n" in back.text and back.status.orphaned == 0


def test_a_translation_first_heading_whose_english_was_edited_comes_back_stale() -> None:
    read = Chapter.of("# Top\n\n## The Basics\n\nStart here.\n")
    found, orphans = carry(
        read, read_pairs("# Top 頂\n\n## 基礎 (Basics)\n\nStart here.\n\nここから。\n", read)
    )
    assert (found[1].translation, found[1].previous, orphans) == ("## 基礎", "## Basics", [])


@pytest.mark.parametrize("gone", ["Let us consider", "![A plot of the loss.](img/loss.svg)"])
def test_a_deleted_short_block_is_no_translation_of_the_untranslated_one_before(gone) -> None:  # type: ignore[no-untyped-def]
    """An untranslated paragraph (no slot), then a short block (a lead-in, a figure) with its
    translation, deleted: the short block's English or translation never becomes the
    untranslated paragraph's translation."""
    first = "Let us consider a function of two variables and its partial derivatives at a point."
    chapter = f"# F\n\n{first}\n\nThe end.\n"
    pairs = f"# F\n\n# 関数\n\n{first}\n\n{gone}\n\n図：損失のグラフ。\n\nThe end.\n\n終わり。\n"
    assert translations_of(chapter, pairs)[first] == ""
    result = sync_page(Chapter.of(chapter), pairs)
    assert "図：損失のグラフ。" in result.text.split("<!-- polybook:orphaned -->")[1]
    assert result.status.missing == 1


def test_import_keeps_a_translators_note_out_of_the_pairs() -> None:
    origin = "# A\n\nFirst paragraph here.\n\nSecond paragraph here, a little longer than the first one.\n"
    translated = "# 가\n\n첫 문단입니다.\n\n역자 주: 이 절은 원서와 다릅니다.\n\n"
    translated += "둘째 문단은 첫째보다 조금 더 깁니다.\n"
    old, unpaired, _ = align_origin(origin, translated, ImportReport("x"))
    assert [e.text for e in unpaired] == ["역자 주: 이 절은 원서와 다릅니다."]
    assert [p.translation for p in old] == ["# 가", "첫 문단입니다.", "둘째 문단은 첫째보다 조금 더 깁니다."]


# -- a third trial: the command line's inputs ------------------------------------------------------


@pytest.mark.parametrize(
    "note", ["<!-- polybook:untranslated -->", "<!-- polybook:stale — it was:\nOld.\n-->"]
)
def test_a_translation_written_above_polybooks_note_is_kept_as_the_translation(note) -> None:  # type: ignore[no-untyped-def]
    chapter = "# A\n\nThe model is linear.\n\nIt has a bias.\n"
    pairs = f"# A\n\n# 가\n\nThe model is linear.\n\n모델은 선형입니다.\n\n{note}\n\n"
    pairs += "It has a bias.\n\n편향이 있습니다.\n"
    assert translations_of(chapter, pairs)["The model is linear."] == "모델은 선형입니다."
    assert "모델은 선형입니다." in synced(chapter, pairs)


def test_a_paragraph_split_in_two_keeps_its_translation_once_and_stale() -> None:
    """The chapter splits a paragraph: the old paragraph is an old source (never the first
    half with the second half's English for a translation); its translation comes back stale
    under one half, and a second sync changes nothing."""
    first, second = "Regression predicts a number.", "Prices and lengths of stay are examples."
    chapter = Chapter.of(f"# R\n\n{first}\n\n{second}\n")
    pairs = f"# R\n\n# 회귀\n\n{first}\n{second}\n\n회귀는 수를 예측합니다. 가격과 재원 기간이 그 예입니다.\n"
    once = sync_page(chapter, pairs)
    found, orphans = carry(chapter, read_pairs(once.text, chapter))
    assert [p.translation for p in found[1:]].count(
        "회귀는 수를 예측합니다. 가격과 재원 기간이 그 예입니다."
    ) == 1
    assert all(
        p.translation in ("", "회귀는 수를 예측합니다. 가격과 재원 기간이 그 예입니다.") for p in found[1:]
    )
    assert orphans == [] and once.status.stale == 1
    assert sync_page(chapter, once.text).text == once.text


def test_a_pair_file_with_windows_line_ends_reads_as_it_would_with_unix_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from polybook.fsutil import read_source

    chapter = "# A\n\nThe model is linear.\n"
    pairs = "# A\n\n# 가\n\nThe model is linear.\n\n모델은 선형입니다.\n"
    path = tmp_path / "a.md"
    path.write_bytes(pairs.replace("\n", "\r\n").encode())
    assert synced(chapter, read_source(path)) == synced(chapter, pairs)


def test_import_keeps_a_translators_html_comment() -> None:
    origin = "# A\n\nFirst paragraph here.\n"
    translated = "# 가\n\n<!-- 訳注：原書と少し違います -->\n\n첫 문단입니다.\n"
    _, unpaired, _ = align_origin(origin, translated, ImportReport("x"))
    assert [e.text for e in unpaired] == ["<!-- 訳注：原書と少し違います -->"]


def test_a_paragraph_moved_and_edited_in_one_change_keeps_its_translation_stale() -> None:
    first = "Earlier we presented linear regression and built it from scratch."
    second, third = "Regression answers how much.", "Classification answers which one."
    pairs = (
        f"# S\n\n# 소\n\n{first}\n\n앞에서 선형 회귀를 소개하고 밑바닥부터 만들었습니다.\n\n"
        f"{second}\n\n회귀는 얼마나를 답합니다.\n\n{third}\n\n분류는 어느 것을 답합니다.\n"
    )
    read = Chapter.of(f"# S\n\n{second}\n\n{third}\n\n" + first.replace("presented", "introduced") + "\n")
    found, orphans = carry(read, read_pairs(pairs, read))
    assert found[3].translation.startswith("앞에서 선형 회귀를") and found[3].previous == first
    assert orphans == []


def test_a_deleted_heading_is_no_old_version_of_a_paragraph_put_in_its_place() -> None:
    """Found by the property tests: a heading deleted where a paragraph (here in a tab) was
    inserted, their words alike. The paragraph is new, the heading's translation an orphan,
    and a second sync changes nothing."""
    chapter = "# C\n\n:begin_tab:`pytorch`\nNew tab on the weights\n:end_tab:\n\nThe end.\n"
    pairs = "# C\n\n# 장\n\n## Section on the weights\n\n## 가중치 절\n\nThe end.\n\n끝.\n"
    once = sync_page(Chapter.of(chapter), pairs)
    assert translations_of(chapter, once.text)["New tab on the weights"] == ""
    assert "## 가중치 절" in once.text.split("<!-- polybook:orphaned -->")[1]
    assert sync_page(Chapter.of(chapter), once.text).text == once.text
