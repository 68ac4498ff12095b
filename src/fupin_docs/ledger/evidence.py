"""销号 with evidence: each archive number must name an archived, non-withdrawn item.

The only place the ledger touches the archive, so the rule lives in one function.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

from ..archive import Archive
from ..errors import FupinError
from ..workspace.config import Workspace
from .errors import LedgerError
from .model import CLOSED_STATUS, LedgerProblem, control_complaint
from .store import edit_ledger


@dataclass(frozen=True)
class Evidence:
    archive_no: str
    title: str


def check_evidence(workspace: Workspace, archive_nos: Iterable[str], archive=None) -> list[Evidence]:
    """The archived items for ARCHIVE_NOS, or LedgerError naming every bad one."""
    wanted: list[str] = []
    for number in archive_nos:
        complaint = control_complaint(number, "档号")
        if complaint:
            raise LedgerError(complaint, field="evidence")
        number = number.strip()
        if number and number not in wanted:
            wanted.append(number)
    if not wanted:
        raise LedgerError("销号须至少附一件佐证材料：请先把佐证材料归档，再给出它的档号", field="evidence",
                          hint="archive.add")
    archive = archive or Archive(workspace)
    found: list[Evidence] = []
    missing: list[str] = []
    withdrawn: list[str] = []
    for number in wanted:
        item = archive.get(number)
        if item is None:
            missing.append(number)
        elif getattr(item, "withdrawn", False):
            withdrawn.append(number)
        elif all(e.archive_no != item.archive_no for e in found):
            found.append(Evidence(item.archive_no, item.title or ""))
    messages = []
    if missing:
        messages.append(f"档案中没有 {'、'.join(missing)}，请先把佐证材料归档，或核对档号")
    if withdrawn:
        messages.append(f"{'、'.join(withdrawn)} 已撤回（作废），不能作为佐证材料，请改附有效的档案")
    if messages:
        raise LedgerError("；".join(messages), field="evidence", hint="archive.list" if missing else None)
    return found


def close_problem(workspace: Workspace, pid: str, evidence: Iterable[str], *,
                  date: Optional[dt.date] = None, who: Optional[str] = None) -> tuple[LedgerProblem, list[Evidence]]:
    """`fupin ledger close`: 销号 PID with archived evidence on DATE (default today).

    Refused (LedgerError, nothing written) when the problem is already 已销号,
    when no evidence is given, when any archive number is unknown or withdrawn,
    or when DATE is after today or before the problem's 发现日期.
    """
    today = dt.date.today()
    date = date or today
    if date > today:
        raise LedgerError(f"销号日期 {date} 晚于今天（{today}）：只能在整改到位之后销号，不能预先销号，"
                          f"请核对销号日期（不写即按今天销号）", field="date")
    archive = Archive(workspace)
    with edit_ledger(workspace, who) as session:
        problem = session.ledger.get(pid)
        if problem.status == CLOSED_STATUS:
            raise LedgerError(f"问题 {problem.pid} 已于 {problem.closed_on} 销号，不能重复销号；"
                              f"如需补充佐证材料或重新整改，请先把它的整改状态改回“整改中”（撤销销号）",
                              hint="ledger.reopen")
        items = check_evidence(workspace, evidence, archive)
        if problem.found_on and date < problem.found_on:
            raise LedgerError(f"销号日期 {date} 早于发现日期 {problem.found_on}，请核对销号日期", field="date")
        numbers = list(problem.evidence) + [e.archive_no for e in items if e.archive_no not in problem.evidence]
        session.change(problem, "销号", status=CLOSED_STATUS, closed_on=date, evidence=numbers)

        def witness() -> None:
            # After the ledger is written (still under its lock): the journal never
            # holds a 销号 the ledger lacks; if this fails, the ledger's 销号 has no
            # witness and `ledger verify` reports it until it is done again.
            try:
                archive.log_event("ledger.close", {
                    "问题编号": problem.pid, "销号日期": date.isoformat(),
                    "佐证材料": [e.archive_no for e in items], "全部佐证材料": list(numbers),
                    "问题描述": problem.description,
                }, who=session.who)
            except (FupinError, OSError) as err:
                raise LedgerError(f"问题 {problem.pid} 已在台账中销号，但档案日志未能记下这次销号：{err}；"
                                  f"这次销号无据可查，核对台账时会列为存疑。请排除原因后用 fupin ledger set "
                                  f"{problem.pid} --status 整改中 撤销销号，再重新销号") from None

        session.after_commit.append(witness)
    return problem, items
