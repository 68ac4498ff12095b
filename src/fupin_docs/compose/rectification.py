"""整改报告: progress computed from the problems, the problem table, next steps."""

from __future__ import annotations

from collections import Counter

from ..inputs.models import DONE_STATUSES, PROBLEM_STATUSES, ProblemItem, Rectification
from ..workspace.config import Config
from . import common
from .tree import Column, ComposedDocument, Paragraph, Run, Table

PROBLEM_COLUMNS = (
    Column("序号", 0.5, "center"),
    Column("问题描述", 3.2),
    Column("整改措施", 3.2),
    Column("责任单位", 1.3),
    Column("责任人", 1.0, "center"),
    Column("完成时限", 1.3, "center"),
    Column("整改状态", 1.0, "center"),
)


def progress_summary(problems: list[ProblemItem]) -> dict:
    """共N个问题, 已整改M个, 整改率 — the figures the report states."""
    counts = Counter(p.status for p in problems)
    total = len(problems)
    done = sum(counts[s] for s in DONE_STATUSES)
    rate = round(100 * done / total, 1) if total else 0.0
    return {"total": total, "done": done, "rate": rate,
            **{status: counts.get(status, 0) for status in PROBLEM_STATUSES}}


def _rate_text(rate: float) -> str:
    return f"{rate:g}%"


def problem_table(problems: list[ProblemItem]) -> Table:
    rows = tuple(
        (str(i), p.description, p.measures or "", p.unit or "", p.person or "",
         common.deadline_text(p.deadline), p.status)
        for i, p in enumerate(problems, 1)
    )
    return Table(PROBLEM_COLUMNS, rows)


def compose_rectification(doc: Rectification, config: Config,
                          problems: list[ProblemItem] | None = None) -> ComposedDocument:
    """PROBLEMS overrides the input's list (the ledger supplies them)."""
    problems = list(problems if problems is not None else doc.problems)
    title = common.required_title(doc)
    blocks = common.opening(doc, config, title)
    blocks += common.paragraphs(doc.intro)

    figures = progress_summary(problems)
    summary = (f"{doc.source}共指出问题{figures['total']}个，已完成整改{figures['done']}个"
               f"（其中已销号{figures['已销号']}个），正在整改{figures['整改中']}个，"
               f"尚未整改{figures['未整改']}个，整改率{_rate_text(figures['rate'])}。具体情况见下表。")
    outline = common.Outline()
    outline.part("整改工作开展情况", common.sections(doc.progress))
    outline.part("问题整改进展", [Paragraph((Run(summary),)), problem_table(problems)])
    outline.part("下一步工作", common.sections(doc.next_steps))
    blocks += outline.blocks
    blocks.append(Paragraph((Run("特此报告。"),)))
    blocks += common.closing(doc, config)
    blocks += common.attachment_pages(doc)

    # A report goes up (上行文): 签发人 is shown in the 版头 (§7.2.5).
    return common.document(doc, config, "rectification", title, blocks,
                           banner=common.header(doc, config, with_signers=True), source=doc.source,
                           summary=figures, units=sorted({p.unit for p in problems if p.unit}))
