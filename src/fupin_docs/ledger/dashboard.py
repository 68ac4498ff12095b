"""The figures of the ledger's dashboard: 整改率 overall, by village and by category,
the overdue problems, and the problems closed (销号) per week.

Every count follows summarize(): a problem whose state the history or archive
does not back (存疑) counts in its group's total, never as done or closed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Optional

from ..workspace.config import Workspace
from .model import CLOSED_STATUS, LedgerProblem
from .store import load_ledger
from .summary import UNASSIGNED, summarize
from .verify import unverified_ids

WEEKS = 12  # closed per week: this many weeks, ending with today's


def _rates(problems: list[LedgerProblem], attr: str, today: dt.date, doubtful: set[str]) -> list[dict]:
    groups: dict[str, list[LedgerProblem]] = defaultdict(list)
    for problem in problems:
        groups[getattr(problem, attr) or UNASSIGNED].append(problem)
    out = []
    for name, members in groups.items():
        figures = summarize(members, today, {p.pid for p in members if p.pid in doubtful})
        out.append({"name": name, "total": figures["total"], "done": figures["done"],
                    "rate_percent": figures["rate_percent"], "overdue": figures["overdue"]})
    return sorted(out, key=lambda g: (g["rate_percent"], -g["total"], g["name"]))


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def dashboard(workspace: Workspace, today: Optional[dt.date] = None, weeks: int = WEEKS) -> dict:
    """{summary (summarize's figures), by_village, by_category (each a list of {name, total,
    done, rate_percent, overdue}, lowest rate first), overdue (problems, most days first),
    weekly (list of {week (Monday), closed}, oldest first), closed_earlier (销号 before the weeks shown)}."""
    today = today or dt.date.today()
    problems = list(load_ledger(workspace))
    doubtful = unverified_ids(workspace, problems)
    figures = summarize(problems, today, doubtful)
    overdue_ids = set(figures["overdue_ids"])
    overdue = sorted((p for p in problems if p.pid in overdue_ids),
                     key=lambda p: (-p.days_overdue(today), p.pid))
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    counts = [0] * weeks
    earlier = 0
    for problem in problems:
        if problem.status != CLOSED_STATUS or problem.closed_on is None or problem.pid in doubtful:
            continue
        index = (week_start(problem.closed_on) - first).days // 7
        if index < 0:
            earlier += 1
        elif index < weeks:
            counts[index] += 1
    weekly = [{"week": first + dt.timedelta(weeks=i), "closed": counts[i]} for i in range(weeks)]
    return {"summary": figures, "by_village": _rates(problems, "village", today, doubtful),
            "by_category": _rates(problems, "category", today, doubtful), "overdue": overdue,
            "weekly": weekly, "closed_earlier": earlier, "today": today}
