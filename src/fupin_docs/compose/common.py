"""Parts every kind shares: 版头, 署名, 附件, 版记, metadata."""

from __future__ import annotations

from ..errors import UserError
from ..inputs.fields import cn_date
from ..inputs.models import KIND_LABELS, Gongwen, Section
from ..workspace.config import Config
from .numbering import level1, level2, numbered_level, numbered_prefix
from .tree import (Addressees, AttachmentHeading, AttachmentNote, Block, Colophon, ComposedDocument, Header,
                   Heading, Note, PageBreak, Paragraph, Run, Signature, Title)


def issuer(doc: Gongwen, config: Config) -> str:
    """发文机关: the document's own, else the office's. Never empty: a 版头 reading
    “文件” and a document without 署名 is refused (validation says so first, where
    it is given the office's settings)."""
    name = doc.issuer or config.office.name
    if not name:
        raise UserError("没有写“发文机关”，工作目录设置（fupin.toml）中也没有填写机关名称（name），版头和署名会空缺。"
                        "请在公文填写文件中写一行“发文机关: 本单位全称”，或在 fupin.toml 中填写机关名称（name）")
    return name


def printer(doc: Gongwen, config: Config) -> str:
    """印发机关 (版记): the document's own, else the office's; never empty."""
    name = doc.printer or config.office.printer
    if not name:
        raise UserError("没有写“印发机关”，工作目录设置（fupin.toml）中也没有填写印发机关（printer），版记会空缺。"
                        "请在公文填写文件中写一行“印发机关: 印发机关全称”，或在 fupin.toml 中填写印发机关（printer）")
    return name


def required_title(doc: Gongwen) -> str:
    """The clerk's own 标题: compose never makes one up (validation requires it)."""
    if not doc.title:
        raise ValueError(f"a {type(doc).__name__} needs its 标题; validate the input first")
    return doc.title


def header(doc: Gongwen, config: Config, mark: str | None = None, doc_number: str | None = None,
           with_signers: bool = False) -> Header:
    secrecy = None
    if doc.secrecy:
        secrecy = doc.secrecy + (f"★{doc.secrecy_period}" if doc.secrecy_period else "")
    default_mark = config.office.mark or f"{issuer(doc, config)}文件"
    return Header(
        mark=doc.issuer_mark or mark or default_mark,
        copy_number=doc.copy_number,
        secrecy=secrecy,
        urgency=doc.urgency,
        doc_number=doc_number if doc_number is not None else doc.doc_number,
        signers=tuple(doc.signers) if with_signers else (),
    )


def addressees_text(doc: Gongwen, config: Config) -> str | None:
    text = doc.addressees if doc.addressees is not None else config.office.addressees
    if not text:
        return None
    return text.rstrip("：:") + "："


def opening(doc: Gongwen, config: Config, title: str) -> list[Block]:
    """标题, then 主送机关 when there is one (§7.3.1, §7.3.2)."""
    blocks: list[Block] = [Title(title)]
    addressees = addressees_text(doc, config)
    if addressees:
        blocks.append(Addressees(addressees))
    return blocks


# A numbered line this short, or a run-in first sentence this short, is a heading.
HEADING_CHARS_MAX = 30


def paragraph(text: str) -> Paragraph:
    """Body text. A clerk's own 一、/（一） numbering is read as GB/T 9704 does:
    a short numbered line is a heading (黑体/楷体 throughout), a numbered
    paragraph opening with a short sentence (（一）加强领导。……) has that
    sentence as its run-in heading, and any other numbered paragraph is a
    numbered sentence in body text. The number never takes a face of its own."""
    level = numbered_level(text)
    prefix = numbered_prefix(text)
    if level in (1, 2) and prefix:
        role = f"h{level}"
        inner = text[len(prefix):].rstrip("。")
        if len(text) <= HEADING_CHARS_MAX and "。" not in inner:
            return Paragraph((Run(text, role),))
        first_end = text.find("。", len(prefix))
        if 0 <= first_end < HEADING_CHARS_MAX and first_end + 1 < len(text):
            return Paragraph((Run(text[:first_end + 1], role), Run(text[first_end + 1:])))
    return Paragraph((Run(text),))


def paragraphs(texts) -> list[Block]:
    return [paragraph(text) for text in texts]


def sections(items: list[Section]) -> list[Block]:
    """Titled sections become “（一）标题。内容” with the number and title in 楷体."""
    blocks: list[Block] = []
    number = 0
    for item in items:
        if item.heading:
            number += 1
            heading = item.heading.rstrip("。") + "。"
            first, rest = (item.content[0], item.content[1:]) if item.content else ("", [])
            runs = [Run(f"{level2(number)}{heading}", "h2")]
            if first:
                runs.append(Run(first))
            blocks.append(Paragraph(tuple(runs)))
            blocks += paragraphs(rest)
        else:
            blocks += paragraphs(item.content)
    return blocks


class Outline:
    """Collects level-1 parts, numbering only the ones that have content."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.count = 0

    def part(self, heading: str, body: list[Block]) -> None:
        if not body:
            return
        self.count += 1
        self.blocks.append(Heading(1, f"{level1(self.count)}{heading}"))
        self.blocks.extend(body)


def closing(doc: Gongwen, config: Config, signed: bool = True) -> list[Block]:
    """附件说明, 署名/日期, 附注 — in that order (§7.3.4–7.3.6)."""
    blocks: list[Block] = []
    if doc.attachments:
        blocks.append(AttachmentNote(tuple(a.name for a in doc.attachments)))
    if signed:
        blocks.append(Signature(doc.signature or issuer(doc, config), cn_date(doc.date), doc.seal))
    if doc.note:
        blocks.append(Note(doc.note.strip("（）()")))
    return blocks


def attachment_pages(doc: Gongwen) -> list[Block]:
    """附件 with text, each on a new page (§7.3.7)."""
    blocks: list[Block] = []
    with_text = [(i, a) for i, a in enumerate(doc.attachments, 1) if a.content]
    for number, attachment in with_text:
        label = "附件" if len(doc.attachments) == 1 else f"附件{number}"
        blocks += [PageBreak(), AttachmentHeading(label, attachment.name)]
        blocks += paragraphs(attachment.content)
    return blocks


def colophon(doc: Gongwen, config: Config) -> Colophon:
    cc = doc.cc if doc.cc is not None else (config.office.cc or None)
    if cc:
        cc = cc.rstrip("。.") + "。"
    return Colophon(
        printer=printer(doc, config),
        print_date=cn_date(doc.print_date or doc.date),
        cc=cc,
    )


def metadata(doc: Gongwen, config: Config, kind: str, title: str, **extra) -> dict:
    """What the archive records about a generated document (DA/T 46 core)."""
    return {
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "title": title,
        "doc_number": doc.doc_number,
        "issuer": issuer(doc, config),
        "date": doc.date.isoformat(),
        "secrecy": doc.secrecy,
        "tags": list(doc.tags),
        **extra,
    }


def deadline_text(deadline) -> str:
    """完成时限 as printed: a date in GB/T form, or the clerk's own phrase."""
    if deadline is None:
        return ""
    return cn_date(deadline) if hasattr(deadline, "year") else str(deadline)


def duty_text(units: str | None, deadline) -> str:
    """“责任单位：…；完成时限：…”, leaving out what is not given."""
    duty = []
    if units:
        duty.append(f"责任单位：{units}")
    if deadline:
        duty.append(f"完成时限：{deadline_text(deadline)}")
    return "；".join(duty)


def document(doc: Gongwen, config: Config, kind: str, title: str, blocks: list[Block],
             banner: Header | None = None, **extra) -> ComposedDocument:
    """The finished tree: blocks between the 版头 and the 版记, plus archive metadata."""
    return ComposedDocument(
        kind=kind, kind_label=KIND_LABELS[kind],
        header=banner or header(doc, config),
        blocks=tuple(blocks),
        colophon=colophon(doc, config),
        metadata=metadata(doc, config, kind, title, **extra),
    )
