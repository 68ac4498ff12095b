"""Choosing problems: filters for `list`/`export`, and select_problems for reports."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from ..inputs.models import PROBLEM_SOURCES, PROBLEM_STATUSES, LedgerFilter, ProblemItem
from ..workspace.config import Workspace
from .errors import LedgerError
from ..inputs.fields import parse_date
from .model import LedgerProblem, clean_label, control_complaint
from .store import load_ledger
from .verify import unverified_ids

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


# --- one selection for every client (CLI options, web query parameters) ---------------

FILTER_NAMES = ("status", "unit", "village", "source", "category")
FILTER_LABELS = {"status": "整改状态", "unit": "责任单位", "village": "村", "source": "问题来源",
                 "category": "类别", "overdue": "逾期", "today": "计算逾期的日期"}
_TRUE = ("1", "true", "yes", "on", "是")


def form_date(text: Optional[str], what: str, name: str) -> Optional[dt.date]:
    """A date typed in a form (2020-06-08 or 2020年6月8日), None when empty; LedgerError
    “WHAT：…” about field NAME when it is no date."""
    text = (text or "").strip()
    if not text:
        return None
    complaint = control_complaint(text, what)
    if complaint:
        raise LedgerError(complaint, field=name)
    try:
        return parse_date(text)
    except ValueError as err:
        raise LedgerError(f"{what}：{err}", field=name) from None


@dataclass(frozen=True)
class LedgerQuery:
    """The filters of `ledger list/summary/export` (and /api/ledger): each text filter
    may list several values separated by 、 or commas; TODAY decides 逾期."""

    status: Optional[str] = None
    unit: Optional[str] = None
    village: Optional[str] = None
    source: Optional[str] = None
    category: Optional[str] = None
    overdue: bool = False
    today: dt.date = field(default_factory=dt.date.today)

    @classmethod
    def from_args(cls, args) -> "LedgerQuery":
        """From a mapping of texts (a web page's query); LedgerError names a bad date."""
        values = {}
        for name in FILTER_NAMES:
            text = (args.get(name) or "").strip()
            complaint = control_complaint(text, FILTER_LABELS[name])
            if complaint:
                raise LedgerError(complaint, field=name)
            values[name] = text or None
        overdue = str(args.get("overdue") or "").strip().lower() in _TRUE
        today = form_date(args.get("today"), "计算逾期的日期", "today") or dt.date.today()
        return cls(**values, overdue=overdue, today=today)

    def select(self, problems: Iterable[LedgerProblem]) -> list[LedgerProblem]:
        return filter_problems(problems, status=self.status, unit=self.unit, village=self.village,
                               source=self.source, category=self.category, overdue=self.overdue,
                               today=self.today)

    def shown(self) -> dict:
        """The filters in use, Chinese label → value (for pages and the access log)."""
        out = {FILTER_LABELS[name]: getattr(self, name) for name in FILTER_NAMES if getattr(self, name)}
        if self.overdue:
            out["逾期"] = "是"
        return out


def choose(workspace: Workspace, query: LedgerQuery) -> list[LedgerProblem]:
    """The ledger's problems QUERY selects, in ledger order."""
    return query.select(load_ledger(workspace))


def problems_json(workspace: Workspace, problems: list[LedgerProblem], today: dt.date) -> list[dict]:
    """`fupin ledger list --json` (and GET /api/ledger): each problem's to_json plus 存疑."""
    doubtful = unverified_ids(workspace, problems)
    return [{**p.to_json(today), "存疑": p.pid in doubtful} for p in problems]


def _deadline_key(problem: LedgerProblem):
    due = problem.deadline_date()
    return (due is None, due or dt.date.max)


# Sort keys a ledger table offers: name → (label, key).
SORTS = {
    "pid": ("问题编号", lambda p: p.pid),
    "status": ("整改状态", lambda p: (PROBLEM_STATUSES.index(p.status) if p.status in PROBLEM_STATUSES else 9, p.pid)),
    "village": ("村", lambda p: (p.village, p.pid)),
    "category": ("类别", lambda p: (p.category, p.pid)),
    "unit": ("责任单位", lambda p: (p.unit, p.pid)),
    "deadline": ("完成时限", lambda p: (*_deadline_key(p), p.pid)),
    "found_on": ("发现日期", lambda p: (p.found_on or dt.date.min, p.pid)),
}


def sort_problems(problems: list[LedgerProblem], by: str = "pid", descending: bool = False) -> list[LedgerProblem]:
    """PROBLEMS ordered by one of SORTS (unknown names sort by 问题编号)."""
    key = SORTS.get(by, SORTS["pid"])[1]
    return sorted(problems, key=key, reverse=descending)
