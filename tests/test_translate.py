"""Translation pairs: sync never loses a translator's words, and its status counts the edits."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from polybook.errors import Diagnostics
from polybook.i18n.sync import HEADER
from polybook.i18n.translate import sync_text
from polybook.source.parser import parse_page

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta", "lambda", "zeta"]


def doc(text: str):  # type: ignore[no-untyped-def]
    return parse_page(text, "page", Path("page.md"), "page.md", ("pytorch",), Diagnostics())


def chapter(blocks: list[str]) -> str:
    return "# Title\n\n" + "\n\n".join(blocks) + "\n"


def translate(pair_text: str, blocks: list[str], chosen: set[int]) -> tuple[str, dict[int, str]]:
    """Insert a translation after each chosen source block, as a translator would."""
    words = {}
    for index in sorted(chosen):
        words[index] = f"Übersetzung {index} von {blocks[index].split()[1]}."
        slot = f"{blocks[index]}\n\n<!-- polybook:untranslated -->\n"
        assert slot in pair_text
        pair_text = pair_text.replace(slot, f"{blocks[index]}\n\n{words[index]}\n", 1)
    return pair_text, words


@st.composite
def scenario(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(min_value=3, max_value=9))
    blocks = [f"Paragraph {WORDS[i]} number {i} says something." for i in range(n)]
    chosen = draw(st.sets(st.integers(min_value=0, max_value=n - 1)))
    # edits at positions two apart, so each edit has unchanged neighbours
    positions = list(range(0, n, 2))
    kinds = draw(
        st.lists(
            st.sampled_from(["keep", "modify", "delete", "insert"]),
            min_size=len(positions),
            max_size=len(positions),
        )
    )
    return blocks, chosen, dict(zip(positions, kinds, strict=True))


def apply_edits(
    blocks: list[str], chosen: set[int], edits: dict[int, str], untranslatable: int
) -> tuple[list[str], dict[str, int]]:
    """The blocks after the edits, and the status a sync must then report: ``untranslatable``
    blocks of the chapter around them are missing a translation whatever happens."""
    new_blocks: list[str] = []
    expected = {"translated": 0, "stale": 0, "missing": untranslatable, "orphaned": 0}
    for index, block in enumerate(blocks):
        kind = edits.get(index, "keep")
        translated = index in chosen
        if kind == "keep":
            new_blocks.append(block)
            expected["translated" if translated else "missing"] += 1
        elif kind == "modify":
            new_blocks.append(block.replace("says something", "now says something else"))
            expected["stale" if translated else "missing"] += 1
        elif kind == "delete":
            expected["orphaned"] += translated
        else:  # insert a new block before this one
            new_blocks += [f"Inserted block {index} is new here.", block]
            expected["missing"] += 1
            expected["translated" if translated else "missing"] += 1
    return new_blocks, expected


@settings(max_examples=80, deadline=None)
@given(scenario())
def test_sync_keeps_every_translation_and_counts_the_edits(case) -> None:  # type: ignore[no-untyped-def]
    blocks, chosen, edits = case
    first, _ = sync_text(doc(chapter(blocks)), chapter(blocks), None)
    pair_text, words = translate(first, blocks, chosen)
    new_blocks, expected = apply_edits(blocks, chosen, edits, untranslatable=1)  # the title
    source = chapter(new_blocks)
    synced, status = sync_text(doc(source), source, pair_text)
    for text in words.values():
        assert text in synced
    assert {k: getattr(status, k) for k in expected} == expected
    again, status_again = sync_text(doc(source), source, synced)
    assert again == synced  # idempotent
    assert status_again == status


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_moved_block_keeps_its_translation(data) -> None:  # type: ignore[no-untyped-def]
    blocks = [f"Paragraph {w} is here." for w in WORDS[:6]]
    first, _ = sync_text(doc(chapter(blocks)), chapter(blocks), None)
    pair_text, words = translate(first, blocks, set(range(6)))
    source_index = data.draw(st.integers(0, 5))
    target_index = data.draw(st.integers(0, 5))
    moved = blocks[:]
    moved.insert(target_index, moved.pop(source_index))
    source = chapter(moved)
    synced, status = sync_text(doc(source), source, pair_text)
    for text in words.values():
        assert text in synced
    assert (status.translated, status.stale, status.missing, status.orphaned) == (6, 0, 1, 0)


def test_pairs_read_like_the_source_with_list_items_and_labels() -> None:
    source = (
        "## Linear Models\n:label:`subsec_linear_model`\n\n"
        "The assumption of linearity says that the target is a weighted sum.\n\n"
        "* Each weight says how much a feature matters.\n* The bias shifts everything.\n\n"
        "```{.python .input}\n#@tab all\nw = d2l.zeros(3)\n```\n"
    )
    pairs, status = sync_text(doc(source), source, None)
    slot = "\n\n<!-- polybook:untranslated -->\n"
    assert pairs.startswith(HEADER + "\n")  # the file explains itself
    expected = source.replace("_model`\n", "_model`" + slot).replace("sum.\n", "sum." + slot)
    expected = expected.replace("matters.\n", "matters.\n\n  <!-- polybook:untranslated -->\n")
    expected = expected.replace("everything.\n", "everything.\n\n  <!-- polybook:untranslated -->\n")
    assert pairs == HEADER + "\n" + expected
    assert (status.missing, status.translated) == (4, 0)
    pairs = pairs.replace(
        ":label:`subsec_linear_model`" + slot, ":label:`subsec_linear_model`\n\n## 선형 모델\n"
    )
    pairs = pairs.replace(
        "weighted sum." + slot,
        "weighted sum.\n\n선형성 가정은 타깃을 가중합으로 나타낼 수 있다는 뜻입니다.\n",
    )
    pairs = pairs.replace(
        "* Each weight says how much a feature matters.\n\n  <!-- polybook:untranslated -->\n",
        "* Each weight says how much a feature matters.\n"
        "  각 가중치는 특성이 얼마나 중요한지를 나타냅니다.\n",
    )
    synced, status = sync_text(doc(source), source, pairs)
    assert (status.translated, status.missing) == (3, 1)
    assert "## 선형 모델" in synced
    assert "  각 가중치는 특성이 얼마나 중요한지를 나타냅니다." in synced
    assert synced.count("w = d2l.zeros(3)") == 1  # code appears once


def test_a_figure_caption_is_translated_but_a_line_of_marks_is_not() -> None:
    # a caption is text inside an image's brackets; `:bibliography:` alone has no words at all
    source = "# Title\n\n![The fitted line.](img/fit.svg)\n:label:`fig_fit`\n\n:bibliography:`refs.bib`\n"
    pairs, status = sync_text(doc(source), source, None)
    assert (status.missing, status.translated) == (2, 0)  # the title and the caption
    assert "fig_fit`\n\n<!-- polybook:untranslated -->\n" in pairs
    assert "refs.bib`\n\n<!-- polybook:untranslated -->" not in pairs
    pairs = pairs.replace(
        "fig_fit`\n\n<!-- polybook:untranslated -->", "fig_fit`\n\n![맞춘 직선.](img/fit.svg)"
    )
    _, status = sync_text(doc(source), source, pairs)
    assert (status.missing, status.translated, status.orphaned) == (1, 1, 0)


LIST = "# Title\n\nSteps:\n\n- Pick the learning rate\n  before training.\n- Watch the loss.\n"


def test_a_stale_list_item_stays_in_its_list_and_keeps_its_translation() -> None:
    pairs, _ = sync_text(doc(LIST), LIST, None)
    pairs = pairs.replace("- Watch the loss.", "- Watch the loss.\n\n  손실을 지켜봅니다.")
    edited = LIST.replace("Watch the loss.", "Watch the loss closely.")
    stale, status = sync_text(doc(edited), edited, pairs)
    assert (status.stale, status.orphaned) == (1, 0)
    # the comment is indented as the item's content: the list goes on past it
    assert "\n  <!-- polybook:stale — the source changed; it was:\n  Watch the loss.\n  -->\n" in stale
    again, status = sync_text(doc(edited), edited, stale)
    assert again == stale  # idempotent: the translation is still the stale item's
    assert (status.stale, status.orphaned, status.missing) == (1, 0, 3)
    assert again.count("손실을 지켜봅니다.") == 1


def test_a_lazy_continuation_line_of_an_item_keeps_its_first_letters() -> None:
    source = "# Title\n\n- Pick the learning rate\nbefore training.\n- Watch the loss.\n"
    pairs, _ = sync_text(doc(source), source, None)
    assert "before training." in pairs  # not "fore training."
    translated = pairs.replace("before training.", "before training.\n\n  훈련 전에 학습률을 고릅니다.")
    again, status = sync_text(doc(source), source, translated)
    assert (status.translated, status.orphaned) == (1, 0)
    assert again.count("훈련 전에 학습률을 고릅니다.") == 1


def test_a_translation_equal_to_its_source_is_a_translation() -> None:
    source = "# Title\n\n## PyTorch\n\nSome words here.\n"
    pairs, _ = sync_text(doc(source), source, None)
    pairs = pairs.replace("## PyTorch\n\n<!-- polybook:untranslated -->", "## PyTorch\n\n## PyTorch")
    again, status = sync_text(doc(source), source, pairs)
    assert (status.translated, status.missing, status.orphaned) == (1, 2, 0)
    assert again == pairs


def test_the_site_sees_a_revived_orphan_as_status_does() -> None:
    from polybook.i18n.translated import translated_blocks

    source = "# Title\n\nThe first paragraph is here.\n\nThe second paragraph is there.\n"
    pairs, _ = sync_text(doc(source), source, None)
    pairs = pairs.replace(
        "here.\n\n<!-- polybook:untranslated -->", "here.\n\n첫 번째 문단은 여기에 있습니다.", 1
    )
    gone = source.replace("The first paragraph is here.\n\n", "")
    orphaned, status = sync_text(doc(gone), gone, pairs)
    assert status.orphaned == 1
    # the edit is undone before anyone syncs again: the orphan is that paragraph's translation
    _, status = sync_text(doc(source), source, orphaned)
    assert (status.translated, status.orphaned) == (1, 0)
    states = translated_blocks(doc(source), source, orphaned)
    assert states[3] == ("translated", "첫 번째 문단은 여기에 있습니다.")


def item_chapter(items: list[str]) -> str:
    return "# Title\n\nThe list:\n\n" + "\n".join(f"- {item}" for item in items) + "\n"


@settings(max_examples=60, deadline=None)
@given(scenario())
def test_sync_keeps_every_list_item_translation_and_counts_the_edits(case) -> None:  # type: ignore[no-untyped-def]
    items, chosen, edits = case
    pair_text, _ = sync_text(doc(item_chapter(items)), item_chapter(items), None)
    words = {}
    for index in sorted(chosen):  # an item's translation goes inside the item, after a blank line
        words[index] = f"Übersetzung {index} von {items[index].split()[1]}."
        line = f"- {items[index]}\n"
        assert line in pair_text
        pair_text = pair_text.replace(line, f"{line}\n  {words[index]}\n", 1)
    new_items, expected = apply_edits(items, chosen, edits, untranslatable=2)  # title, "The list:"
    if not new_items:
        return  # no list left to hold items
    source = item_chapter(new_items)
    synced, status = sync_text(doc(source), source, pair_text)
    for text in words.values():
        assert text in synced
    assert {k: getattr(status, k) for k in expected} == expected
    again, status_again = sync_text(doc(source), source, synced)
    assert again == synced  # idempotent, stale items included
    assert status_again == status
