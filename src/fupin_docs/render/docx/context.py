"""The document tree as the plain data the docxtpl template walks.

Only dicts, lists, strings, numbers and booleans reach the template, so a
sandboxed template sees no Python object it could climb out of. Texts are
passed through unchanged; the sandbox's autoescape turns & and < into XML
entities, and nothing the user wrote is ever parsed as a template.
"""

from __future__ import annotations

from ...compose.tree import (Addressees, Attendance, AttachmentHeading, AttachmentNote, ComposedDocument,
                             Heading, Note, PageBreak, Paragraph, Signature, Table, Title,
                             block_texts)
from ..title_lines import split_title
from .. import layout as L


def _header(doc: ComposedDocument) -> dict:
    h = doc.header
    lines = []
    if h.copy_number:
        lines.append({"text": h.copy_number, "role": "body"})  # 份号: 三号 仿宋 digits
    if h.secrecy:
        lines.append({"text": h.secrecy, "role": "hei"})  # 密级和保密期限: 黑体
    if h.urgency:
        lines.append({"text": h.urgency, "role": "hei"})  # 紧急程度: 黑体
    # Always three lines, so the 标志 below keeps its fixed distance from the 版心 top.
    while len(lines) < L.BANNER_INFO_LINES:
        lines.append({"text": "", "role": "body"})
    return {
        "lines": lines,
        "mark": h.mark,
        "doc_number": h.doc_number or "",
        "signers": "、".join(h.signers),
        # §7.2.5: several 签发人 in order, two names a line; the 发文字号 stands
        # level with the last line (finish.signers sets the tab stops).
        "signer_lines": [{"names": list(h.signers[i:i + L.SIGNERS_PER_LINE]), "first": i == 0,
                          "last": i + L.SIGNERS_PER_LINE >= len(h.signers)}
                         for i in range(0, len(h.signers), L.SIGNERS_PER_LINE)],
    }


def _block(block, previous) -> dict:
    if isinstance(block, Title):
        return {"type": "title", "lines": list(split_title(block.text))}
    if isinstance(block, Addressees):
        return {"type": "addressees", "text": block.text}
    if isinstance(block, Heading):
        return {"type": "heading", "level": max(1, min(4, block.level)), "text": block.text}
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "runs": [{"text": r.text, "role": r.role} for r in block.runs]}
    if isinstance(block, Table):
        return {"type": "table", "columns": [{"header": c.header} for c in block.columns],
                "rows": [list(row) for row in block.rows],
                "weights": [c.weight for c in block.columns], "aligns": [c.align for c in block.columns]}
    if isinstance(block, AttachmentNote):
        items = []
        several = len(block.names) > 1
        for i, name in enumerate(block.names):
            items.append({"label": "附件：" if i == 0 else "",
                          "number": f"{i + 1}." if several else "",
                          "tab": several, "name": name})
        return {"type": "attachment_note", "entries": items}
    if isinstance(block, Signature):
        extra = L.BLANK_LINES_BEFORE_SEALED_SIGNATURE - L.BLANK_LINES_BEFORE_SIGNATURE if block.seal else 0
        return {"type": "signature", "issuer": block.issuer, "date": block.date, "seal": block.seal,
                "extra_blank_lines": max(0, extra)}
    if isinstance(block, Note):
        return {"type": "note", "text": block_texts(block)[0]}
    if isinstance(block, Attendance):
        return {"type": "attendance", "label": f"{block.label}：", "names": "、".join(block.names),
                "first": not isinstance(previous, Attendance)}
    if isinstance(block, PageBreak):
        return {"type": "page_break"}
    if isinstance(block, AttachmentHeading):
        # The title centred on line 3, split into 梯形 lines like the document title (§7.3.1).
        return {"type": "attachment_heading", "label": block.label, "title_lines": list(split_title(block.title))}
    raise TypeError(f"unknown block {type(block).__name__}")


def build_context(doc: ComposedDocument) -> dict:
    blocks = []
    previous = None
    for block in doc.blocks:
        blocks.append(_block(block, previous))
        previous = block
    c = doc.colophon
    return {
        "kind": doc.kind,
        "kind_label": doc.kind_label,
        "title": doc.title,
        "header": _header(doc),
        "blocks": blocks,
        "colophon": {"cc": f"抄送：{c.cc}" if c.cc else "", "printer": c.printer,
                     "print_date": f"{c.print_date}印发"},
    }
