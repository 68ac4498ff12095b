"""督查通知 / 督战通知."""

from __future__ import annotations

from ..inputs.models import Notice
from ..workspace.config import Config
from . import common
from .numbering import level2
from .tree import ComposedDocument, Heading, Paragraph, Run


def compose_notice(doc: Notice, config: Config) -> ComposedDocument:
    title = common.required_title(doc)
    blocks = common.opening(doc, config, title)
    blocks += common.paragraphs(doc.intro)

    outline = common.Outline()
    outline.part("督查对象和范围", common.paragraphs(doc.scope))
    outline.part("督查内容", common.sections(doc.contents))
    outline.part("督查方法", common.sections(doc.methods))
    outline.part("时间安排", [
        Paragraph((Run(f"{level2(n)}{item.when}。", "h2"), Run(item.content)))
        for n, item in enumerate(doc.schedule, 1)
    ])
    group_blocks = []
    for n, group in enumerate(doc.groups, 1):
        group_blocks.append(Heading(2, f"{level2(n)}{group.name}"))  # a heading line: kept with its group
        if group.leader:
            group_blocks.append(Paragraph((Run(f"组长：{group.leader}"),)))
        if group.members:
            group_blocks.append(Paragraph((Run(f"成员：{'、'.join(group.members)}"),)))
        if group.coverage:
            group_blocks.append(Paragraph((Run(f"督查范围：{group.coverage}"),)))
    outline.part("督查组组成", group_blocks)
    outline.part("有关要求", common.sections(doc.requirements))
    blocks += outline.blocks
    for contact in doc.contacts:
        phone = f"，联系电话：{contact.phone}" if contact.phone else ""
        blocks.append(Paragraph((Run(f"联系人：{contact.name}{phone}。"),)))
    blocks += common.closing(doc, config)
    blocks += common.attachment_pages(doc)

    return common.document(doc, config, "notice", title, blocks)
