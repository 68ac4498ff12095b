"""Choosing problems: filters for `list`/`export`, and select_problems for reports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable, Optional

from ..inputs.models import PROBLEM_SOURCES, PROBLEM_STATUSES, LedgerFilter, ProblemItem
from ..workspace.config import Workspace
from .errors import LedgerError
from .model import LedgerProblem, clean_label
from .store import load_ledger

_SPLIT = re.compile(r"[、，,；;]+")


def _values(value: Optional[str]) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in _SPLIT.split(str(value)) if part.strip()]


def _check(values: list[str], allowed: tuple[str, ...], what: str) -> list[str]:
    out = []
    for value in values:
        label = clean_label(value)
        if label not in allowed:
            raise LedgerError(f"{what}“{value}”不是允许的值，可用：{'、'.join(allowed)}")
        out.append(label)
    return out


def filter_problems(problems: Iterable[LedgerProblem], *, status: Optional[str] = None,
                    unit: Optional[str] = None, village: Optional[str] = None,
                    source: Optional[str] = None, category: Optional[str] = None,
                    overdue: bool = False, today: Optional[dt.date] = None) -> list[LedgerProblem]:
    """Problems matching every given filter. Each filter may list several values
    separated by 、 or commas (e.g. status “未整改、整改中”); village and unit match
    exactly as written in the ledger."""
    statuses = _check(_values(status), PROBLEM_STATUSES, "整改状态")
    sources = _check(_values(source), PROBLEM_SOURCES, "问题来源")
    units, villages, categories = _values(unit), _values(village), _values(category)
    today = today or dt.date.today()
    out = []
    for problem in problems:
        if statuses and problem.status not in statuses:
            continue
        if sources and problem.source not in sources:
            continue
        if units and problem.unit not in units:
            continue
        if villages and problem.village not in villages:
            continue
        if categories and problem.category not in categories:
            continue
        if overdue and not problem.is_overdue(today):
            continue
        out.append(problem)
    return out


def report_description(problem: LedgerProblem) -> str:
    """A description that stands alone in a report table: who, where, what."""
    where = problem.village
    if problem.head:
        where += f"{problem.head}户"
    elif problem.household:
        where += f"{problem.household}号户"
    return f"{where}：{problem.description}" if where else problem.description


def to_problem_item(problem: LedgerProblem) -> ProblemItem:
    data = {"问题编号": problem.pid, "问题描述": report_description(problem), "整改状态": problem.status}
    for key, value in (("整改措施", problem.measures), ("责任单位", problem.unit),
                       ("责任人", problem.person), ("完成时限", problem.deadline)):
        if value not in (None, ""):
            data[key] = value
    return ProblemItem.model_validate(data)


def select_problems(workspace: Workspace, ledger_filter: Optional[LedgerFilter] = None) -> list[ProblemItem]:
    """The ledger's problems matching LEDGER_FILTER (问题来源/村/责任单位/整改状态,
    each optional, several values separated by 、), in ledger order, as the
    rectification report's ProblemItem rows."""
    ledger_filter = ledger_filter or LedgerFilter()
    chosen = filter_problems(load_ledger(workspace), status=ledger_filter.status, unit=ledger_filter.unit,
                             village=ledger_filter.village, source=ledger_filter.source)
    return [to_problem_item(p) for p in chosen]
