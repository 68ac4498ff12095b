"""Shared by the DOCX tests: documents built straight from the tree, and readers."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

from fupin_docs.compose.tree import (Addressees, AttachmentHeading, AttachmentNote, Attendance, Colophon,
                                     ComposedDocument, Header, Heading, Note, PageBreak, Paragraph, Run,
                                     Signature, Table, Column, Title)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NS = {"w": W[1:-1]}

HOSTILE = ["A&B公司", "<b>加粗</b>", "{{ x }}", "{% raw %}", "{%p if x %}", "“引号”‘单引’\"双\"'单'",
           "表情😀", "生僻𠀀字", "犇羴鱻", "— 破折号……", "1 < 2 > 0 & ok", "]]>", "&amp;"]


def hostile_document(seal: bool = False) -> ComposedDocument:
    h = HOSTILE
    return ComposedDocument(
        kind="notice", kind_label="督查通知",
        header=Header(mark=f"{h[0]}文件", copy_number="000001", secrecy="机密★1年", urgency="特急",
                      doc_number="某政发〔2020〕7号", signers=("张三", h[5])),
        blocks=(
            Title(f"关于{h[1]}的通知" + h[2]),
            Addressees(f"{h[3]}："),
            Heading(1, f"一、{h[4]}"),
            Paragraph((Run("（一）", "h2"), Run(h[5]), Run(h[6]), Run(h[7]))),
            Heading(2, f"（二）{h[8]}"),
            Heading(3, f"1.{h[9]}"),
            Heading(4, f"（1）{h[10]}"),
            Table((Column("序号", 1, "center"), Column("问题描述", 4), Column("状态", 1.5, "center")),
                  tuple((str(i), f"{h[i % len(h)]}问题{i}", "已整改") for i in range(1, 13))),
            AttachmentNote((h[11], h[12], "附件三")),
            Signature(f"{h[0]}人民政府", "2020年6月8日", seal=seal),
            Note(f"联系人：{h[6]}"),
            Attendance("出席", ("李明华", "张志强", "镇扶贫工作站陈小平", "镇建设环保站王立新",
                                "镇水务站杨国庆", "镇财政所周敏")),
            Attendance("请假", ("吴海涛",)),
            PageBreak(),
            AttachmentHeading("附件1", h[2]),
            Paragraph((Run(h[3]),)),
        ),
        colophon=Colophon(printer=f"{h[0]}办公室", print_date="2020年6月8日", cc=f"{h[1]}，{h[2]}。"),
        metadata={"title": "hostile"},
    )


def short_document() -> ComposedDocument:
    """One page of body text and the 版记 page: 2 pages."""
    return ComposedDocument(
        kind="notice", kind_label="督查通知",
        header=Header(mark="某某镇人民政府文件", doc_number="某政发〔2020〕1号"),
        blocks=(Title("关于开展回头看工作的通知"), Addressees("各村："),
                Paragraph((Run("请认真开展回头看工作。"),)), Signature("某某镇人民政府", "2020年6月8日")),
        colophon=Colophon(printer="某某镇党政综合办公室", print_date="2020年6月8日", cc="县扶贫办。"),
        metadata={"title": "关于开展回头看工作的通知"},
    )


def part(path: Path, name: str):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def style_of(p) -> str | None:
    node = p.find(f"{W}pPr/{W}pStyle")
    return None if node is None else node.get(f"{W}val")


def text_of(node) -> str:
    out = []
    for el in node.iter(f"{W}t", f"{W}tab"):
        if el.tag == f"{W}tab":
            if el.getparent().tag == f"{W}r":  # not a tab stop of w:pPr/w:tabs
                out.append("\t")
        else:
            out.append(el.text or "")
    return "".join(out)


def body_paragraphs(path: Path) -> list:
    return list(part(path, "word/document.xml").iter(f"{W}p"))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def in_order(haystack: str, needles: list[str]) -> tuple[bool, str]:
    """Every needle occurs in HAYSTACK after the previous one (whitespace ignored)."""
    hay = squash(haystack)
    pos = 0
    for needle in needles:
        n = squash(needle)
        if not n:
            continue
        found = hay.find(n, pos)
        if found < 0:
            return False, needle
        pos = found + len(n)
    return True, ""


LONG = "脱贫攻坚挂牌督战工作扎实推进" * 160  # 2 240 CJK characters, no punctuation: 80 full lines


def grid_document(closing: bool = True) -> ComposedDocument:
    """Body text that fills whole pages: page 2 is 22 lines of 28 characters.
    Without CLOSING the long paragraph is the last above the 署名."""
    closing_paragraph = (Paragraph((Run("特此通知。"),)),) if closing else ()
    return ComposedDocument(
        kind="notice", kind_label="督查通知",
        header=Header(mark="某某镇人民政府文件", doc_number="某政发〔2020〕2号"),
        blocks=(Title("关于开展督查工作的通知"), Addressees("各村："), Paragraph((Run(LONG),)),
                *closing_paragraph, Signature("某某镇人民政府", "2020年6月8日")),
        colophon=Colophon(printer="某某镇党政综合办公室", print_date="2020年6月8日", cc="县扶贫办。"),
        metadata={"title": "关于开展督查工作的通知"},
    )


def reading_words(doc: ComposedDocument) -> list[str]:
    """doc.words() in the order a 公文 page is read: several 签发人 stand two a
    line, the 发文字号 level with the last line (§7.2.5), so the 发文字号 comes
    after the earlier lines of names; names are separated by space, not 、."""
    words = list(doc.words())
    h = doc.header
    if not h.signers:
        return words
    for word in ("签发人：", *h.signers):
        words.remove(word)
    lines = [h.signers[i:i + 2] for i in range(0, len(h.signers), 2)]
    seq: list[str] = []
    for n, line in enumerate(lines):
        if n == len(lines) - 1:
            seq.append(h.doc_number)
        if n == 0:
            seq.append("签发人：")
        seq += list(line)
    at = words.index(h.doc_number)
    words[at:at + 1] = seq
    return words


EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"


def three_signers_document(tmp: Path) -> ComposedDocument:
    """The rectification example (an 上行文) signed by three 签发人."""
    from fupin_docs.compose import compose
    from fupin_docs.inputs import load_document
    from fupin_docs.workspace.config import Config

    source = next(EXAMPLES_DIR.glob("rectification-*.yaml"))
    text = source.read_text(encoding="utf-8")
    assert "签发人: 李明华\n" in text
    path = tmp / source.name
    path.write_text(text.replace("签发人: 李明华\n", "签发人: [李明华, 张志强, 刘红梅]\n"), encoding="utf-8")
    doc = compose(load_document(path), Config())
    assert doc.header.signers == ("李明华", "张志强", "刘红梅")
    return doc


def template_with(tmp_path: Path, tag: str) -> Path:
    """A copy of the built-in Word template with TAG (template code, as typed) as
    the text of an extra paragraph: what an office's own template could hold."""
    import zipfile

    from fupin_docs.render.docx.render import builtin_template

    dst = tmp_path / "模板.docx"
    text = tag.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;").replace('"', "&quot;")
    with zipfile.ZipFile(builtin_template()) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode(), 1)
            zout.writestr(item, data)
    return dst


MADE_UP_TEXT = ("各村要对照两不愁三保障和饮水安全标准逐户核查，做到户不漏人、人不漏项，发现问题当场登记，"
                "建立问题台账，明确整改措施、责任单位和完成时限，整改一件销号一件")


def made_up_notice(paragraphs: int) -> ComposedDocument:
    """A notice of PARAGRAPHS body paragraphs (one to three lines each, a 黑体
    heading before every fourth): more paragraphs move the body's end down the
    pages, so a count puts it on an odd page, on an even page with room for
    the 版记 or on an even page without (the 版记 has two lines: 抄送 and 印发)."""
    numerals = "一二三四五六七八九十"
    blocks = [Title("关于开展脱贫攻坚回头看工作的通知"), Addressees("各村（社区），镇直各单位：")]
    for i in range(paragraphs):
        if i % 4 == 0:
            blocks.append(Heading(1, f"{numerals[i // 4 % 10]}、工作要求"))
        blocks.append(Paragraph((Run(MADE_UP_TEXT[: 40 + (i * 7) % 40]),)))
    blocks.append(Signature("某某镇人民政府", "2020年6月8日"))
    return ComposedDocument(
        kind="notice", kind_label="督查通知",
        header=Header(mark="某某镇人民政府文件", doc_number="某政发〔2020〕3号"), blocks=tuple(blocks),
        colophon=Colophon(printer="某某镇党政综合办公室", print_date="2020年6月8日", cc="县扶贫办，县委督查室。"),
        metadata={"title": "关于开展脱贫攻坚回头看工作的通知"})


# Paragraph counts whose body ends (measured in LibreOffice, with its own
# substitute faces and with real 仿宋/楷体/黑体): 10 on p.2 at its last line (no
# room), 17 on p.3 (odd), 24 on p.4 at line 18 (room, the closest case taken),
# 25 on p.4 at line 21 (no room).
MADE_UP_COUNTS = (10, 17, 24, 25)


def made_up_documents() -> dict[str, ComposedDocument]:
    return {f"made_up_{n}": made_up_notice(n) for n in MADE_UP_COUNTS}
