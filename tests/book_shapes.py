"""Chapters and pair files shaped like real books, for the translation property tests.

A chapter is a list of :class:`Shape` blocks (headings with labels, prose with math and code,
math-only paragraphs, equations, code cells, lists, name lists, bibliography lines, captions
above tables, figures, prose tabs). Each translatable unit carries an id (``k12``, ``k12.3``)
that its translation repeats, so a test can tell which translation went to which source.
Pair files are written the ways translators write them: polybook's layout, a list followed by
its translated list or with each translation as a nested bullet, headings twice, on one line
or translation first with the English in brackets, prose tabs with all the English first, a
translation after the equation or code cell that follows its source or on the lines right
under its paragraph. The text is ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from hypothesis import strategies as st

KINDS = ["heading", "para", "names", "bib", "mathonly", "display", "code", "table", "figure", "list", "tabs"]
STRUCT = {"mathonly", "display", "code"}
SLOT = "<!-- polybook:untranslated -->"
ID = re.compile(r"k\d+(?:\.\d+)?")
TOPICS = [
    "weights",
    "biases",
    "gradients",
    "losses",
    "batches",
    "layers",
    "kernels",
    "tokens",
    "images",
    "labels",
    "epochs",
    "optimizers",
    "activations",
    "features",
    "samples",
    "queries",
]
VERBS = ["shape", "slow", "guide", "limit", "feed", "break", "balance", "steer"]


@dataclass(frozen=True)
class Shape:
    kind: str
    k: int
    version: int = 0
    label: str = ""
    """For a heading: "" (none), "direct" (the next line) or "blank" (after a blank line)."""
    items: int = 2

    def edited(self) -> Shape:
        return replace(self, version=self.version + 1)

    @property
    def tail(self) -> str:
        return " revised" * self.version

    def units(self) -> list[tuple[str, str, str]]:
        """(id, source text, translation) of each translatable unit, in order."""
        if self.k >= 100:
            return self._fresh()
        k, t = self.k, self.tail
        topic, verb = TOPICS[k % len(TOPICS)], VERBS[k % len(VERBS)]
        if self.kind == "heading":
            return [(f"k{k}", f"## Section k{k} on {topic}{t}", f"## 절 k{k}")]
        if self.kind == "para":
            return [
                (
                    f"k{k}",
                    f"Paragraph k{k} explains how $x_{k}$ and `f{k}()` {verb} the {topic}{t}.",
                    f"문단 k{k}은 $x_{k}$와 `f{k}()`가 {topic}에 어떤 영향을 주는지 설명합니다.",
                )
            ]
        if self.kind == "names":
            return [
                (
                    f"k{k}",
                    f"Ada Byron, Alan Turing and Grace Hopper k{k} on {topic}{t}.",
                    f"Ada Byron, Alan Turing, Grace Hopper k{k} on {topic}.",
                )
            ]
        if self.kind == "bib":
            return [
                (
                    f"k{k}",
                    f"Smith, J. and Lee, K. (2019). Deep {topic} k{k}{t}. Journal of Examples.",
                    f"Smith, J., Lee, K. (2019). Deep {topic} k{k}. 예제 학술지.",
                )
            ]
        if self.kind == "table":
            return [
                (f"k{k}", f": Caption k{k} of the {topic} table{t}.", f": {topic} 표 k{k}의 캡션."),
                (
                    f"k{k}.9",
                    f"| name | {topic}{t} |\n|---|---|\n| size k{k}.9 | {k} |",
                    f"| 이름 | 값 |\n|---|---|\n| 크기 k{k}.9 | {k} |",
                ),
            ]
        if self.kind == "figure":
            return [
                (
                    f"k{k}",
                    f"![Figure k{k} shows the {topic} curve{t}.](img/f{k}.svg)",
                    f"![그림 k{k}은 곡선을 보여 줍니다.](img/f{k}.svg)",
                )
            ]
        if self.kind == "list":
            return [
                (
                    f"k{k}.{j}",
                    f"Item k{k}.{j} on {TOPICS[(7 * k + 3 * j) % len(TOPICS)]} "
                    f"that {VERBS[(5 * k + j) % len(VERBS)]} "
                    f"{TOPICS[(3 * k + 5 * j + 1) % len(TOPICS)]}{t}.",
                    f"항목 k{k}.{j}의 설명.",
                )
                for j in range(self.items)
            ]
        if self.kind == "tabs":
            return [
                (
                    f"k{k}.1",
                    f"PyTorch note k{k}.1 runs {topic} eagerly{t}.",
                    f"PyTorch 메모 k{k}.1는 즉시 실행됩니다.",
                ),
                (
                    f"k{k}.2",
                    f"TensorFlow note k{k}.2 traces {topic}{t}.",
                    f"TensorFlow 메모 k{k}.2는 그래프로 추적합니다.",
                ),
            ]
        return []

    def _fresh(self) -> list[tuple[str, str, str]]:
        """A block an author adds: worded unlike any other, so it is new and not an edit."""
        k, t = self.k, self.tail
        kind = {"heading": "## ", "table": ": "}.get(self.kind, "")
        words = (
            f"{TOPICS[(5 * k) % len(TOPICS)]} {VERBS[k % len(VERBS)]} {TOPICS[(11 * k + 3) % len(TOPICS)]}"
        )
        text = f"{kind}Quite unlike anything before, k{k} brings news: {words}{t}"
        units = [(f"k{k}", text, f"{kind}새 소식 k{k}")]
        if self.kind == "table":
            units.append(
                (
                    f"k{k}.9",
                    f"| col | new{t} |\n|---|---|\n| v k{k}.9 | 0 |",
                    f"| 열 | 새 |\n|---|---|\n| 값 k{k}.9 | 0 |",
                )
            )
        if self.kind == "figure":
            units = [
                (
                    f"k{k}",
                    f"![Quite unlike anything before, k{k} brings news: {words}{t}](img/n{k}.svg)",
                    f"![새 그림 k{k}](img/n{k}.svg)",
                )
            ]
        if self.kind == "list":
            units = [
                (
                    f"k{k}.{j}",
                    f"Unheard-of point k{k}.{j} on {TOPICS[(3 * k + 7 * j) % len(TOPICS)]}{t}",
                    f"새 요점 k{k}.{j}",
                )
                for j in range(self.items)
            ]
        if self.kind == "tabs":
            units = [
                (
                    f"k{k}.{j}",
                    f"Unheard-of tab k{k}.{j} on {TOPICS[(3 * k + 7 * j) % len(TOPICS)]}{t}",
                    f"새 탭 k{k}.{j}",
                )
                for j in (1, 2)
            ]
        return units if self.kind not in STRUCT else []

    def source(self) -> str:
        """The block as the chapter writes it."""
        k = self.k
        if self.kind == "heading":
            head = self.units()[0][1]
            return {
                "": head,
                "direct": f"{head}\n:label:`sec_k{k}`",
                "blank": f"{head}\n\n:label:`sec_k{k}`",
            }[self.label]
        if self.kind == "mathonly":
            return f"$a_{{{k}}} = b_{{{k}}}{'+1' * self.version}$"
        if self.kind == "display":
            return f"$$y_{{{k}}} = w x_{{{k}}}{'+1' * self.version}.$$\n:eqlabel:`eq_k{k}`"
        if self.kind == "code":
            return f"```{{.python .input}}\n#@tab all\nx{k} = {k + self.version}\n```"
        units = self.units()
        if self.kind == "table":
            return f"{units[0][1]}\n:label:`tab_k{k}`\n\n{units[1][1]}"
        if self.kind == "figure":
            return f"{units[0][1]}\n:label:`fig_k{k}`"
        if self.kind == "list":
            return "\n".join(f"* {text}" for _, text, _ in units)
        if self.kind == "tabs":
            (_, p, _), (_, f, _) = units
            return f":begin_tab:`pytorch`\n{p}\n:end_tab:\n\n:begin_tab:`tensorflow`\n{f}\n:end_tab:"
        return units[0][1]

    def paired(self, chosen: set[str], layout: str, after: Shape | None) -> tuple[str, bool]:
        """The block in a pair file, with the translations of ``chosen`` units, in ``layout``;
        and whether the block after it was written here too (a translation after a structure)."""
        units = self.units()
        done = {uid: tr for uid, _, tr in units if uid in chosen}
        if not units:
            return self.source(), False
        if self.kind == "heading" and units[0][0] in done:
            head, tr = units[0][1], done[units[0][0]]
            mark = {"": "", "direct": f"\n:label:`sec_k{self.k}`", "blank": f"\n\n:label:`sec_k{self.k}`"}[
                self.label
            ]
            if layout == "oneline":
                return f"{head} {tr.removeprefix('## ')}{mark}", False
            if layout == "consecutive":
                return f"{head}\n{tr}{mark}", False
            if layout == "target-first":  # `## 절 k3 (Section k3 on weights)`
                return f"{tr} ({head.removeprefix('## ')}){mark}", False
            return f"{self.source()}\n\n{tr}", False
        if self.kind == "list" and layout == "list-after-list" and done:
            english = self.source()
            translated = "\n".join(f"* {done.get(uid, text)}" for uid, text, _ in units)
            return f"{english}\n\n{translated}", False
        if self.kind == "list" and layout == "nested-bullet":  # each translation a bullet under its item
            return "\n".join(
                f"* {text}" + (f"\n    * {done[uid]}" if uid in done else f"\n\n  {SLOT}\n")
                for uid, text, _ in units
            ), False
        if self.kind == "list":
            return "\n".join(
                f"* {text}" + (f"\n  {done[uid]}" if uid in done else f"\n\n  {SLOT}")
                for uid, text, _ in units
            ), False
        if self.kind == "tabs" and layout == "english-first" and len(done) == 2:
            (_, p, tp), (_, f, tf) = units
            english = f":begin_tab:`pytorch`\n{p}\n:end_tab:\n\n:begin_tab:`tensorflow`\n{f}\n:end_tab:"
            return (
                f"{english}\n\n:begin_tab:`pytorch`\n{tp}\n:end_tab:\n\n:begin_tab:`tensorflow`\n{tf}\n:end_tab:",
                False,
            )
        if self.kind == "tabs":
            parts = []
            for (uid, text, _), fw in zip(units, ("pytorch", "tensorflow"), strict=True):
                body = f"{text}\n\n{done[uid]}" if uid in done else f"{text}\n\n{SLOT}"
                parts.append(f":begin_tab:`{fw}`\n{body}\n:end_tab:")
            return "\n\n".join(parts), False
        if self.kind == "table":
            (cid, cap, ctr), (tid, table, ttr) = units
            caption = f"{cap}\n:label:`tab_k{self.k}`\n\n{ctr if cid in done else SLOT}"
            return f"{caption}\n\n{table}\n\n{ttr if tid in done else SLOT}", False
        ((uid, text, tr),) = units
        source = self.source()
        if uid not in done:
            return f"{source}\n\n{SLOT}", False
        if layout == "after-next" and after is not None and after.kind in STRUCT:
            return f"{source}\n\n{after.source()}\n\n{tr}", True
        if layout == "under":  # the translation on the lines right under its paragraph
            return f"{source}\n{tr}", False
        return f"{source}\n\n{tr}", False


def chapter(shapes: list[Shape]) -> str:
    return "# Chapter\n\n" + "\n\n".join(s.source() for s in shapes) + "\n"


def pair_file(shapes: list[Shape], chosen: set[str], layouts: dict[int, str]) -> str:
    """A pair file of ``shapes`` as a translator would write it."""
    out = ["# Chapter", "", "# 장", ""]
    skip = False
    for index, shape in enumerate(shapes):
        if skip:
            skip = False
            continue
        after = shapes[index + 1] if index + 1 < len(shapes) else None
        text, skip = shape.paired(chosen, layouts.get(shape.k, "canonical"), after)
        out += [text, ""]
    return "\n".join(out).rstrip("\n") + "\n"


LAYOUTS = {
    "heading": ["canonical", "consecutive", "oneline", "target-first"],
    "list": ["canonical", "list-after-list", "nested-bullet"],
    "tabs": ["canonical", "english-first"],
    "para": ["canonical", "after-next", "under"],
    "names": ["canonical", "after-next"],
    "bib": ["canonical", "after-next"],
}


@st.composite
def shapes(draw: st.DrawFn, min_size: int = 2, max_size: int = 9) -> list[Shape]:
    """A chapter's blocks: every kind of block real books have, in any order."""
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=min_size, max_size=max_size))
    found = []
    for k, kind in enumerate(kinds):
        label = draw(st.sampled_from(["", "direct", "blank"])) if kind == "heading" else ""
        items = draw(st.integers(1, 3)) if kind == "list" else 2
        found.append(Shape(kind, k, label=label, items=items))
    return found


def effective(found: list[Shape], chosen: set[str], layouts: dict[int, str]) -> set[str]:
    """The units a pair file translates: a translated list written after its English list
    repeats the items left in English, and a translation equal to its source is one."""
    more = set()
    for shape in found:
        ids = {uid for uid, _, _ in shape.units()}
        if shape.kind == "list" and layouts.get(shape.k) == "list-after-list" and ids & chosen:
            more |= ids
    return chosen | more


def all_units(found: list[Shape]) -> list[tuple[str, str, str]]:
    return [u for s in found for u in s.units()]


@st.composite
def translated(draw: st.DrawFn, found: list[Shape]) -> tuple[set[str], dict[int, str]]:
    """Which units are translated, and the layout of each block."""
    ids = [uid for uid, _, _ in all_units(found)]
    chosen = draw(st.sets(st.sampled_from(ids))) if ids else set()
    layouts = {s.k: draw(st.sampled_from(LAYOUTS.get(s.kind, ["canonical"]))) for s in found}
    return chosen, layouts


EDITS = ["keep", "keep", "modify", "delete", "insert"]


@st.composite
def edits(draw: st.DrawFn, found: list[Shape]) -> list[Shape]:
    """The chapter after an author's edits: blocks kept, edited, deleted, inserted."""
    out = []
    fresh = max([s.k + 1 for s in found] + [100])
    for shape in found:
        what = draw(st.sampled_from(EDITS))
        if what == "keep":
            out.append(shape)
        elif what == "modify":
            out.append(shape.edited())
        elif what == "insert":
            kind = draw(st.sampled_from(KINDS))
            out += [Shape(kind, fresh), shape]
            fresh += 1
    return out
