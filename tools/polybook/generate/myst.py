"""Turn a Document's text blocks into MyST Markdown, the input of MyST-NB.

d2l marks become their MyST equivalents: roles (``{numref}``, ``{eq}``, ``{cite:p}``), label
targets (``(label)=``), figure and table directives, labelled ``$$`` equations, ``{toctree}`` and
``{eval-rst}``. Slide marks are removed as d2lbook does for the book: ``[**x**]`` and ``(**x**)``
keep ``x``; ``[~~x~~]`` and ``(~~x~~)`` are slide-only text and are dropped.
"""

from __future__ import annotations

import re

from ..source.document import TextBlock

ROLE_TO_MYST = {
    "numref": "numref",
    "ref": "ref",
    "eqref": "eq",
    "cite": "cite:p",
    "citet": "cite:t",
}
_CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)")
_BOLD_LINK = re.compile(r"\[\*\*(?:(?!\*\*\]).)*\*\*\]\(", re.S)
_SLIDE_DROP = re.compile(r"\[~~.*?~~\]|\(~~.*?~~\)", re.S)
_SLIDE_KEEP = re.compile(r"\[\*\*(.*?)\*\*\](?!\()|\(\*\*(.*?)\*\*\)", re.S)
_SLIDE_LONE = re.compile(r"\[\*\*|\*\*\](?!\()|\(\*\*|\*\*\)|\[~~|~~\]|\(~~|~~\)")
_FIGURE = re.compile(
    r"!\[(?P<alt>(?:[^\]\\]|\\.|\](?!\())*)\]\(\s*(?P<src><[^>]*>|\S+)(?:\s+\"[^\"]*\")?\s*\)", re.S
)
_NO_SLIDE_MARKS = {"fence", "eval_rst", "toc", "html"}


def strip_slide_marks(text: str) -> str:
    """Remove d2lbook's slide marks, leaving inline code untouched."""
    if "**" not in text and "~~" not in text:
        return text
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    masked = _BOLD_LINK.sub(hide, _CODE_SPAN.sub(hide, text))
    masked = _SLIDE_DROP.sub("", masked)
    masked = _SLIDE_KEEP.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), masked)
    masked = _SLIDE_LONE.sub("", masked)
    for _ in range(2):  # a bold link may hold a code span
        masked = re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], masked)
    return masked


def _fence(body: str, head: str) -> str:
    """A directive fence that nothing inside ``body`` closes.

    Backticks when it can; colons (MyST's colon fence) when the directive's argument holds a
    backtick, which CommonMark forbids in a backtick fence's info string (a caption with a role).
    """
    mark = ":" if "`" in head else "`"
    longest = max((len(m) for m in re.findall(re.escape(mark) + "+", body)), default=0)
    fence = mark * max(3, longest + 1)
    return f"{fence}{head}\n{body}\n{fence}" if body else f"{fence}{head}\n{fence}"


def convert_roles(text: str) -> str:
    """d2l roles in a piece of inline text (a caption) in their MyST form."""
    from ..source.markdown import parser

    out, cursor = [], 0
    for token in parser().parseInline(text)[0].children or []:
        if token.type != "d2l_role" or token.meta["name"] not in ROLE_TO_MYST:
            continue
        index = text.find(token.content, cursor)
        if index < 0:
            continue
        out += [text[cursor:index], f"{{{ROLE_TO_MYST[token.meta['name']]}}}`{token.meta['target']}`"]
        cursor = index + len(token.content)
    return "".join(out) + text[cursor:]


def replace_roles(block: TextBlock) -> tuple[str, list[str]]:
    """The block's text with its inline roles in MyST; also the labels that were inline."""
    text, out, cursor, labels = block.source, [], 0, []
    for role in block.roles:
        index = text.find(role.raw, cursor)
        if index < 0:
            continue
        out.append(text[cursor:index])
        if role.name in ROLE_TO_MYST:
            out.append(f"{{{ROLE_TO_MYST[role.name]}}}`{role.target}`")
        elif role.name == "eqlabel":
            out.append(f"({role.target})")
        elif role.name == "label":
            labels.append(role.target)
        elif role.name == "bibliography":
            out.append(_fence("", "{bibliography}"))
        cursor = index + len(role.raw)
    out.append(text[cursor:])
    return "".join(out), labels


def _drop_directives(lines: list[str], missing: tuple[str, ...]) -> list[str]:
    """The reStructuredText ``lines`` without the directives that read a ``missing`` file (each
    left as a comment saying so): docutils stops a page on a file it cannot read."""
    from ..source.parser import rst_file_reads

    reads = {line - 1: target for _, target, line in rst_file_reads("\n".join(lines), 1)}
    out: list[str] = []
    index = 0
    while index < len(lines):
        start = index
        index += 1
        while index < len(lines) and (not lines[index].strip() or lines[index][:1].isspace()):
            index += 1
        directive = lines[start:index]
        dropped = [reads[i] for i in range(start, index) if reads.get(i) in missing]
        if lines[start].lstrip().startswith("..") and dropped:
            out.append(f".. polybook: left out, {dropped[0]} does not exist")
            out.append("")
        else:
            out.extend(directive)
    return out


def block_to_myst(block: TextBlock) -> str:
    """One text block as MyST Markdown."""
    if block.kind == "toc":
        options = "\n".join(f":{k}:" + (f" {v}" if v else "") for k, v in block.toc_options)
        body = "\n".join([options, "", *block.toc] if options else block.toc)
        return _fence(body, "{toctree}")
    if block.kind == "eval_rst":
        inner = block.source.split("\n")[1:-1]
        if block.missing_files:
            inner = _drop_directives(inner, block.missing_files)
        return _fence("\n".join(inner).strip("\n"), "{eval-rst}")
    text, inline_labels = replace_roles(block)
    if block.kind not in _NO_SLIDE_MARKS:
        text = strip_slide_marks(text).strip("\n")
    label = block.label
    if block.kind == "figure":
        return _figure(text, block)
    if block.kind == "math" and label:
        if not re.search(r"\$\$\s*\([^)]*\)\s*$", text.rstrip()):
            end = text.rfind("$$") + 2
            text = f"{text[:end]} ({label}){text[end:]}"
        # d2l-en writes a labelled equation as the last line of a paragraph ("… in expanded form
        # as\n$$…$$\n:eqlabel:`eq_ftc`"); MyST labels only an equation that starts its block
        start = text.find("$$")
        if text[:start].strip():
            text = f"{text[:start].rstrip()}\n\n{text[start:]}"
        label = None
    if block.kind == "table" and (block.caption or label):
        caption = convert_roles(strip_slide_marks(block.caption or ""))
        options = f":name: {label}\n" if label else ""
        text = _fence(f"{options}\n{text}", "{table}" + (f" {caption}" if caption else ""))
        label = None
    targets = ([label] if label else []) + inline_labels
    return "".join(f"({t})=\n" for t in targets) + text.strip("\n")


def plain_text(inline: str) -> str:
    """Inline Markdown as the words a reader sees: roles, marks and link targets removed."""
    text = re.sub(r"\{[\w:]+\}`([^`]*)`", r"\1", inline)
    text = re.sub(r":\w+:`([^`]*)`", r"\1", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    text = re.sub(r"[*_`\\]", "", text)
    return " ".join(text.split())


def _figure(text: str, block: TextBlock) -> str:
    match = _FIGURE.search(text)
    if not match:
        return text
    src = match.group("src").strip("<>")
    caption = match.group("alt").strip()
    options = [f":name: {block.label}"] if block.label else []
    options += [f":{key}: {getattr(block, key)}" for key in ("width", "height") if getattr(block, key)]
    alt = plain_text(caption)
    if alt:  # what a screen reader says for the image: its caption (else docutils says its path)
        options.append(f":alt: {alt}")
    body = "\n".join([*options, *(["", caption] if caption else [])])
    if not caption and not block.label:
        return _fence("\n".join(options), f"{{image}} {src}")
    return _fence(body, f"{{figure}} {src}")
