"""会议纪要 in the GB/T 9704 §10.3 纪要 format."""

from __future__ import annotations

import re

from ..inputs.fields import cn_date
from ..inputs.models import Minutes
from ..workspace.config import Config
from . import common
from .numbering import cn_number, level1
from .tree import Attendance, ComposedDocument, Paragraph, Run, Title


# A meeting name that already says which session it is (2020年第三次全体会议).
_SESSION_IN_NAME = re.compile(r"第[0-9０-９一二三四五六七八九十百]+次")
# Where “第三次” goes in a name: before the kind of meeting (…专题会议 → …第三次专题会议).
_MEETING_KINDS = ("专题会议", "全体会议", "常务会议", "工作会议", "推进会议", "调度会议", "联席会议", "办公会议",
                  "专题会", "推进会", "调度会", "座谈会", "办公会", "会议")


# The opening's last sentence: when 会议内容 follows, it leads into the meeting's
# substance (which itself leads into the decisions), not into the decisions twice.
_LEAD_IN = {False: "现将会议议定事项纪要如下：", True: "现将会议主要精神纪要如下："}


def meeting_with_session(name: str, session: int | None) -> str:
    """The meeting's name as the opening says it, with its session once (never 第3次…第三次)."""
    if not session or _SESSION_IN_NAME.search(name):
        return name
    ordinal = f"第{cn_number(session)}次"
    for kind in _MEETING_KINDS:
        if name.endswith(kind) and len(name) > len(kind):
            return name[:-len(kind)] + ordinal + kind
    return ordinal + name


def compose_minutes(doc: Minutes, config: Config) -> ComposedDocument:
    name = doc.meeting_name
    title = doc.title or (f"{name}纪要" if name.endswith("会议") else f"{name}会议纪要")
    blocks: list = [Title(title)]

    intro = doc.intro
    if not intro:
        topics = "、".join(t.rstrip("。") for t in doc.topics)
        studied = f"，专题研究{topics}等事项" if topics else ""
        intro = [f"{cn_date(doc.meeting_date)}，{doc.host}在{doc.place}主持召开{meeting_with_session(name, doc.session)}"
                 f"{studied}。{_LEAD_IN[bool(doc.summary)]}"]
    blocks += common.paragraphs(intro)
    blocks += common.paragraphs(doc.summary)
    # 议定事项 are numbered sentences, not headings: the whole item, number
    # included, is body text (仿宋), one face from the number to the last word.
    for n, decision in enumerate(doc.decisions, 1):
        duty = common.duty_text(decision.units, decision.deadline)
        suffix = f"（{duty}）" if duty else ""
        blocks.append(Paragraph((Run(level1(n) + decision.content + suffix),)))

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
