"""The document tree: the one content model both renderers draw.

Compose turns an input model into this tree; DOCX and PDF renderers map each
block type to the GB/T 9704 layout. Neither renderer adds or reorders words,
so a document says the same thing in both formats (see `words()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

# Font roles (GB/T 9704 §7.3.3): headings 一、黑体 （一）楷体 1.仿宋 （1）仿宋.
Role = Literal["body", "h1", "h2", "h3", "h4"]


@dataclass(frozen=True)
class Run:
    text: str
    role: Role = "body"


@dataclass(frozen=True)
class Title:
    """标题 (§7.3.1): 二号 小标宋, centred; the renderers split it into 梯形 lines
    (render/title_lines.py)."""

    text: str


@dataclass(frozen=True)
class Addressees:
    """主送机关 (§7.3.2): flush left, ends with a full-width colon."""

    text: str


@dataclass(frozen=True)
class Heading:
    """A heading on its own line, indented 2 字 like body text."""

    level: int  # 1..4
    text: str  # numbering included: "一、指导思想"


@dataclass(frozen=True)
class Paragraph:
    """Body text, first-line indent 2 字; may open with an inline heading run."""

    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class Column:
    header: str
    weight: float  # relative width
    align: Literal["left", "center"] = "left"


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AttachmentNote:
    """附件说明 (§7.3.4): “附件：1.××”, later names aligned under the first."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Signature:
    """署名 and 成文日期 (§7.3.5)."""

    issuer: str
    date: str  # 2020年6月8日
    seal: bool = False


@dataclass(frozen=True)
class Note:
    """附注 (§7.3.6): indented 2 字, in full-width parentheses."""

    text: str


@dataclass(frozen=True)
class Attendance:
    """纪要 出席/请假/列席 (§10.3): label 黑体, names 仿宋 aligned after the colon."""

    label: str  # "出席"
    names: tuple[str, ...]


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class AttachmentHeading:
    """附件 page start (§7.3.7): “附件N” 黑体 flush left on line 1, title centred on line 3."""

    label: str  # "附件1" or "附件"
    title: str


Block = Union[Title, Addressees, Heading, Paragraph, Table, AttachmentNote,
              Signature, Note, Attendance, PageBreak, AttachmentHeading]


@dataclass(frozen=True)
class Header:
    """版头 (§7.2)."""

    mark: str  # 发文机关标志
    copy_number: str | None = None
    secrecy: str | None = None  # "机密★1年"
    urgency: str | None = None
    doc_number: str | None = None  # or 纪要 “第3期”
    signers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Colophon:
    """版记 (§7.4)."""

    printer: str
    print_date: str
    cc: str | None = None


@dataclass(frozen=True)
class ComposedDocument:
    kind: str  # plan | notice | minutes | rectification
    kind_label: str  # 实施方案 …
    header: Header
    blocks: tuple[Block, ...]
    colophon: Colophon
    metadata: dict = field(default_factory=dict)  # what the archive records

    @property
    def title(self) -> str:
        return self.metadata.get("title", "")

    def words(self) -> list[str]:
        """Every text the reader sees, in reading order (header to colophon)."""
        out: list[str] = []
        h = self.header
        out += [t for t in (h.copy_number, h.secrecy, h.urgency, h.mark, h.doc_number) if t]
        if h.signers:  # the names stand apart, two a line, never joined with 、 (§7.2.5)
            out += ["签发人：", *h.signers]
        for block in self.blocks:
            out += block_texts(block)
        if self.colophon.cc:
            out.append(f"抄送：{self.colophon.cc}")
        out.append(self.colophon.printer)
        out.append(f"{self.colophon.print_date}印发")
        return out


def block_texts(block: Block) -> list[str]:
    if isinstance(block, Title):
        return [block.text]
    if isinstance(block, (Addressees, Heading, Note)):
        return [block.text if not isinstance(block, Note) else f"（{block.text}）"]
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, Table):
        return [c.header for c in block.columns] + [cell for row in block.rows for cell in row]
    if isinstance(block, AttachmentNote):
        return [attachment_note_line(block, i) for i in range(len(block.names))]
    if isinstance(block, Signature):
        return [block.issuer, block.date]
    if isinstance(block, Attendance):
        return [f"{block.label}：" + "、".join(block.names)]
    if isinstance(block, AttachmentHeading):
        return [block.label, block.title]
    return []


def attachment_note_line(note: AttachmentNote, index: int) -> str:
    """One 附件说明 line; numbered only when there are several (§7.3.4)."""
    name = note.names[index]
    if len(note.names) == 1:
        return f"附件：{name}"
    return f"{'附件：' if index == 0 else ''}{index + 1}.{name}"
