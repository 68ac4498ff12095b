"""会议纪要 in the GB/T 9704 §10.3 纪要 format."""

from __future__ import annotations

from ..inputs.fields import cn_date
from ..inputs.models import Minutes
from ..workspace.config import Config
from . import common
from .numbering import level1
from .tree import Attendance, ComposedDocument, Paragraph, Run, Title


def compose_minutes(doc: Minutes, config: Config) -> ComposedDocument:
    session = f"第{doc.session}次" if doc.session else ""
    name = doc.meeting_name
    title = doc.title or (f"{name}纪要" if name.endswith("会议") else f"{name}会议纪要")
    blocks: list = [Title(title)]

    intro = doc.intro
    if not intro:
        topics = "、".join(t.rstrip("。") for t in doc.topics)
        studied = f"，专题研究{topics}等事项" if topics else ""
        intro = [f"{cn_date(doc.meeting_date)}，{doc.host}在{doc.place}主持召开{session}{name}"
                 f"{studied}。现将会议议定事项纪要如下："]
    blocks += common.paragraphs(intro)
    blocks += common.paragraphs(doc.summary)
    for n, decision in enumerate(doc.decisions, 1):
        duty = common.duty_text(decision.units, decision.deadline)
        suffix = f"（{duty}）" if duty else ""
        blocks.append(Paragraph((Run(level1(n), "h1"), Run(decision.content + suffix))))

    # §10.3: after the body, 出席/请假/列席 each on a new line.
    for label, names in (("出席", doc.attendees), ("请假", doc.absent), ("列席", doc.observers)):
        if names:
            blocks.append(Attendance(label, tuple(names)))
    if doc.recorder:
        blocks.append(Attendance("记录", (doc.recorder,)))
    # 纪要 carry no 署名 (§10.3); 附件 and 附注 still follow.
    blocks += common.closing(doc, config, signed=False)
    blocks += common.attachment_pages(doc)

    mark = config.office.minutes_mark or f"{common.issuer(doc, config)}会议纪要"
    number = doc.doc_number or (f"第{doc.issue_number}期" if doc.issue_number else None)
    return common.document(doc, config, "minutes", title, blocks,
                           banner=common.header(doc, config, mark=mark, doc_number=number),
                           meeting_date=doc.meeting_date.isoformat(), place=doc.place, host=doc.host,
                           attendees=list(doc.attendees))
