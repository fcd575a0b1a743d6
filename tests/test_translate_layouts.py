"""Each class of failure seen on real translations, as a fixture of our own words: the layouts
translators write, translations next to wordless blocks, translations that repeat their source,
captions above tables, translators' notes on import. Every translated line must survive, with
its own source."""

from __future__ import annotations

import pytest

from polybook.i18n.blocks import Chapter
from polybook.i18n.importer import ImportReport, align_origin
from polybook.i18n.pairs import read_pairs
from polybook.i18n.sync import carry, sync_page


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
