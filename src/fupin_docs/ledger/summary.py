"""Where the office stands: counts by status, unit, source; 整改率; overdue."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Iterable, Optional

from ..inputs.choices import DONE_STATUSES, PROBLEM_STATUSES
from ..workspace.config import Workspace
from ..inputs.models import LedgerFilter
from .model import LedgerProblem
from .query import LedgerQuery, choose, filter_problems
from .store import load_ledger
from .verify import unverified_ids

UNASSIGNED = "（未明确）"


def summarize(problems: Iterable[LedgerProblem], today: Optional[dt.date] = None,
              unverified: Iterable[str] = ()) -> dict:
    """The figures of `fupin ledger summary --json`.

    UNVERIFIED: 问题编号 whose state the history or archive does not back
    (verify.unverified_ids); they count in total and in unverified, never in
    by_status, done or rate — a hand-edited 已销号 is not a closed problem.

    Keys: total, by_status (all four statuses, always present; verified problems only),
    unverified (count), unverified_ids, by_unit
    (“（未明确）” for no 责任单位), by_source, by_village, by_category, done
    (已整改 + 已销号), rate ((已整改+已销号)/total, 0..1, 0 when empty),
    rate_percent (rate × 100, one decimal), overdue (count), overdue_ids, today.
    """
    today = today or dt.date.today()
    problems = list(problems)
    doubtful = set(unverified)
    by_status = {status: 0 for status in PROBLEM_STATUSES}
    by_status.update(Counter(p.status for p in problems if p.pid not in doubtful))
    unverified_ids = [p.pid for p in problems if p.pid in doubtful]
    done = sum(by_status[s] for s in DONE_STATUSES)
    total = len(problems)
    rate = done / total if total else 0.0
    overdue = [p.pid for p in problems if p.is_overdue(today) or (
        p.pid in doubtful and p.deadline_date() is not None and p.deadline_date() < today)]

    def count(attr: str) -> dict:
        counter = Counter(getattr(p, attr) or UNASSIGNED for p in problems)
        return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))

    return {
        "total": total,
        "by_status": by_status,
        "unverified": len(unverified_ids),
        "unverified_ids": unverified_ids,
        "by_unit": count("unit"),
        "by_source": count("source"),
        "by_village": count("village"),
        "by_category": count("category"),
        "done": done,
        "rate": round(rate, 4),
        "rate_percent": round(rate * 100, 1),
        "overdue": len(overdue),
        "overdue_ids": overdue,
        "today": today.isoformat(),
    }


def ledger_summary(workspace: Workspace, today: Optional[dt.date] = None, **filters) -> dict:
    problems = list(load_ledger(workspace))
    if filters:
        problems = filter_problems(problems, today=today, **filters)
    return summarize(problems, today, unverified_ids(workspace, problems))


def select_summary(workspace: Workspace, ledger_filter: Optional[LedgerFilter] = None,
                   today: Optional[dt.date] = None) -> dict:
    """The report's counts for the same selection as select_problems (keys as summarize())."""
    ledger_filter = ledger_filter or LedgerFilter()
    chosen = filter_problems(load_ledger(workspace), status=ledger_filter.status, unit=ledger_filter.unit,
                             village=ledger_filter.village, source=ledger_filter.source, today=today)
    return summarize(chosen, today, unverified_ids(workspace, chosen))


def query_summary(workspace: Workspace, query: LedgerQuery) -> dict:
    """`fupin ledger summary --json` (and GET /api/ledger/summary) for QUERY's problems."""
    problems = choose(workspace, query)
    return summarize(problems, query.today, unverified_ids(workspace, problems))
