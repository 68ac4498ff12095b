"""实施方案/工作方案: a 关于印发《…》的通知 followed by the plan itself."""

from __future__ import annotations

from ..inputs.fields import cn_date
from ..inputs.models import Plan
from ..workspace.config import Config
from . import common
from .numbering import level2, level3
from .tree import ComposedDocument, PageBreak, Paragraph, Run, Title


def _span(phase) -> str:
    if phase.start and phase.end:
        end = cn_date(phase.end)
        if phase.end.year == phase.start.year:
            end = end[5:]  # 2020年3月1日—6月30日
        return f"（{cn_date(phase.start)}—{end}）"
    if phase.start:
        return f"（{cn_date(phase.start)}起）"
    if phase.end:
        return f"（{cn_date(phase.end)}前）"
    return ""


def compose_plan(doc: Plan, config: Config) -> ComposedDocument:
    title = doc.title or f"关于印发《{doc.plan_title}》的通知"
    blocks = common.opening(doc, config, title)
    cover = doc.cover_text or [f"现将《{doc.plan_title}》印发给你们，请结合实际，认真抓好贯彻落实。"]
    blocks += common.paragraphs(cover)
    blocks += common.closing(doc, config)

    # The plan follows the notice on a new page, under its own title.
    blocks += [PageBreak(), Title(doc.plan_title)]
    outline = common.Outline()
    outline.part("指导思想", common.paragraphs(doc.guiding))
    outline.part("总体要求", common.paragraphs(doc.general))
    outline.part("目标任务", common.paragraphs(doc.goals))
    outline.part("重点对象及范围", common.paragraphs(doc.scope))

    task_blocks = []
    for n, task in enumerate(doc.tasks, 1):
        first = task.content[0] if task.content else ""
        task_blocks.append(Paragraph((Run(f"{level2(n)}{task.name.rstrip('。')}。", "h2"), Run(first))))
        task_blocks += common.paragraphs(task.content[1:])
        duty = common.duty_text(task.units, task.deadline)
        if duty:
            task_blocks.append(Paragraph((Run(duty + "。"),)))
    outline.part("主要任务", task_blocks)

    phase_blocks = []
    for n, phase in enumerate(doc.phases, 1):
        first = phase.content[0] if phase.content else ""
        phase_blocks.append(Paragraph((Run(f"{level2(n)}{phase.name}{_span(phase)}。", "h2"), Run(first))))
        phase_blocks += common.paragraphs(phase.content[1:])
        for m, milestone in enumerate(phase.milestones, 1):
            phase_blocks.append(Paragraph((Run(f"{level3(m)}{milestone.when}：{milestone.content}"),)))
    outline.part("实施步骤", phase_blocks)
    outline.part("组织保障", common.sections(doc.safeguards))
    outline.part("工作要求", common.sections(doc.requirements))
    blocks += outline.blocks
    blocks += common.attachment_pages(doc)

    return common.document(doc, config, "plan", title, blocks, plan_title=doc.plan_title,
                           units=sorted({t.units for t in doc.tasks if t.units}))
