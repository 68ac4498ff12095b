"""One problem in the ledger (问题台账) and the value rules every entry path shares.

A problem is kept in the ledger file under Chinese keys (see FIELDS); the
check-sheet import, the xlsx import, `ledger set` and the YAML loader all go
through the same parse_* helpers, so a value accepted by one is accepted by all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional, Union

from ..inputs.fields import parse_date
from ..chinese_script import t2s
from ..text_safety import first_bad
from ..inputs.choices import DONE_STATUSES, PROBLEM_SOURCES, PROBLEM_STATUSES

# The household check (排查) items: 两不愁三保障 + 饮水安全, in the seed's order.
CHECK_ITEMS = ("家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全")

OPEN_STATUS, WORKING_STATUS, FIXED_STATUS, CLOSED_STATUS = PROBLEM_STATUSES

# Ledger-file key for each attribute, in the order a problem is written.
FIELDS = {
    "pid": "问题编号",
    "source": "问题来源",
    "category": "类别",
    "village": "村",
    "household": "户编号",
    "head": "户主姓名",
    "description": "问题描述",
    "found_on": "发现日期",
    "measures": "整改措施",
    "unit": "责任单位",
    "person": "责任人",
    "deadline": "完成时限",
    "status": "整改状态",
    "closed_on": "销号日期",
    "evidence": "佐证材料",
}
KEYS = {key: attr for attr, key in FIELDS.items()}

# 完成时限 may be a phrase for problems with no end date.
LONG_TERM = ("长期坚持",)

PID_PATTERN = re.compile(r"^WT-(\d{4})-(\d{4,})$")

Deadline = Union[dt.date, str, None]


@dataclass
class LedgerProblem:
    pid: str
    source: str
    description: str
    category: str = ""
    village: str = ""
    household: str = ""
    head: str = ""
    found_on: Optional[dt.date] = None
    measures: str = ""
    unit: str = ""
    person: str = ""
    deadline: Deadline = None
    status: str = OPEN_STATUS
    closed_on: Optional[dt.date] = None
    evidence: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    def deadline_date(self) -> Optional[dt.date]:
        return self.deadline if isinstance(self.deadline, dt.date) else None

    def is_overdue(self, today: dt.date) -> bool:
        """Past its deadline and not yet 已整改/已销号."""
        due = self.deadline_date()
        return due is not None and due < today and not self.done

    def days_overdue(self, today: dt.date) -> int:
        return (today - self.deadline_date()).days if self.is_overdue(today) else 0

    def value(self, attr: str) -> Any:
        return getattr(self, attr)

    def to_record(self) -> dict:
        """The ledger-file mapping (Chinese keys, dates as ISO text); empty fields left out."""
        out: dict = {}
        for attr, key in FIELDS.items():
            value = getattr(self, attr)
            if value in (None, "", []):
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, list):
                value = list(value)
            out[key] = value
        return out

    def to_json(self, today: Optional[dt.date] = None) -> dict:
        """Stable JSON form (see `fupin ledger list --help` for the keys)."""
        out = {"id": self.pid}
        for attr, key in FIELDS.items():
            if attr == "pid":
                continue
            value = getattr(self, attr)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif value == "":
                value = None
            out[key] = value
        out["佐证材料"] = list(self.evidence)
        if today is not None:
            out["逾期"] = self.is_overdue(today)
            out["逾期天数"] = self.days_overdue(today)
        return out


def display_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(value)
    return str(value)


# --- value rules ---------------------------------------------------------------------

@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """Traditional → Simplified for header cells and enumerated values (not free text)."""
    return t2s().convert(text)


_SPACES = re.compile(r"[\s\u3000\u00a0]+")

def first_control(text: str) -> Optional[int]:
    """Index of the first character no ledger text may hold (text_safety's rule; a
    cell may wrap, so CR is allowed), or None."""
    return first_bad(text, in_file=True)


def control_complaint(value: Any, what: str) -> Optional[str]:
    """The message for a text holding such a character (never echoing the text), else None."""
    if not isinstance(value, str):
        return None
    index = first_control(value)
    if index is None:
        return None
    return (f"{what}含有看不见的控制字符（U+{ord(value[index]):04X}，可能来自网页或其他软件的复制），"
            f"请删去后重新输入")


def clean_label(text: Any) -> str:
    """A header cell or enumerated value: no spaces anywhere, Simplified script."""
    if text is None:
        return ""
    return to_simplified(_SPACES.sub("", str(text)))


def clean_text(value: Any) -> str:
    """Free text: trimmed; numbers as written (an Excel 101 stays “101”)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(getattr(value, "source", value)).strip().replace("\u3000", " ").strip()


def parse_status(value: Any) -> str:
    text = clean_label(value)
    if text in PROBLEM_STATUSES:
        return text
    if not text:
        raise ValueError(f"整改状态不能为空，请填写：{'、'.join(PROBLEM_STATUSES)}")
    raise ValueError(f"整改状态“{clean_text(value)}”不是允许的值，请填写：{'、'.join(PROBLEM_STATUSES)}")


def parse_source(value: Any) -> str:
    text = clean_label(value)
    if text in PROBLEM_SOURCES:
        return text
    shortened = [source for source in PROBLEM_SOURCES if text and source.startswith(text)]
    if len(shortened) == 1:  # 省考 → 省考反馈, 暗访 → 暗访督查
        return shortened[0]
    if not text:
        raise ValueError(f"问题来源不能为空，请填写：{'、'.join(PROBLEM_SOURCES)}")
    raise ValueError(f"问题来源“{clean_text(value)}”不是允许的值，请填写：{'、'.join(PROBLEM_SOURCES)}")


def parse_optional_date(value: Any, what: str) -> Optional[dt.date]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"{what}“{clean_text(value)}”不是日期，请写成 2020-06-30 或 2020年6月30日")
    try:
        return parse_date(value)
    except ValueError as err:
        raise ValueError(f"{what}：{err}") from None


_MONTH_END = re.compile(r"^(\d{4})年(\d{1,2})月底前?$")
_BEFORE_DAY = re.compile(r"^(.+?)前$")


def parse_deadline(value: Any) -> Deadline:
    """完成时限: a date; “2020年6月底前” (→ 2020-06-30); “2020年6月30日前”; or 长期坚持."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return parse_date(value)
    text = clean_text(value).replace(" ", "")
    if text in LONG_TERM:
        return text
    month_end = _MONTH_END.match(text)
    if month_end:
        year, month = int(month_end[1]), int(month_end[2])
        if 1 <= month <= 12:
            return dt.date(year, month, calendar.monthrange(year, month)[1])
    before = _BEFORE_DAY.match(text)
    if before:
        text = before[1]
    try:
        return parse_date(text)
    except ValueError as err:
        if "不存在" in str(err):  # the right form, but no such day (2020-02-30)
            raise ValueError(f"完成时限：{err}") from None
        raise ValueError(
            f"完成时限“{clean_text(value)}”不是日期，请写成 2020-06-30、2020年6月30日、"
            f"2020年6月底前，或“长期坚持”"
        ) from None


def deadline_before_found(deadline: Deadline, found_on: Optional[dt.date]) -> Optional[str]:
    """The complaint when 完成时限 DEADLINE falls before 发现日期 FOUND_ON, else None."""
    if isinstance(deadline, dt.date) and found_on is not None and deadline < found_on:
        return (f"完成时限 {deadline.isoformat()} 早于发现日期 {found_on.isoformat()}，"
                f"整改不可能在发现问题之前完成，请核对完成时限")
    return None


def make_pid(year: int, seq: int) -> str:
    return f"WT-{year}-{seq:04d}"


_LIST_SPLIT = re.compile(r"[、，,；;\s]+")


def parse_evidence(value: Any) -> list[str]:
    """佐证材料: archive numbers, as a list or one text separated by 、，; or spaces."""
    if value is None:
        return []
    items = value if isinstance(value, list) else _LIST_SPLIT.split(clean_text(value))
    out: list[str] = []
    for item in items:
        text = clean_text(item)
        if text and text not in out:
            out.append(text)
    return out


def problem_from_values(values: dict, report, *, require_pid: bool = True) -> Optional[LedgerProblem]:
    """Build a problem from raw values keyed by attribute name.

    REPORT(attr, message) is called for every bad value; None is returned if
    any was reported. Missing keys take their defaults.
    """
    bad = False
    for attr, value in values.items():
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            complaint = control_complaint(text, FIELDS.get(attr, ""))
            if complaint:
                report(attr, complaint)
                return None

    def check(attr, parser, *args):
        nonlocal bad
        try:
            return parser(values.get(attr), *args)
        except ValueError as err:
            report(attr, str(err))
            bad = True
            return None

    pid = clean_text(values.get("pid"))
    if require_pid and not pid:
        report("pid", "问题编号不能为空，请填写（如 WT-2020-0001）")
        bad = True
    description = clean_text(values.get("description"))
    if not description:
        report("description", "问题描述不能为空，请写明存在什么问题")
        bad = True
    source = check("source", parse_source)
    status = check("status", parse_status) if values.get("status") not in (None, "") else OPEN_STATUS
    found_on = check("found_on", parse_optional_date, "发现日期")
    closed_on = check("closed_on", parse_optional_date, "销号日期")
    deadline = check("deadline", parse_deadline)
    evidence = parse_evidence(values.get("evidence"))
    if not bad:
        if status == CLOSED_STATUS and closed_on is None:
            report("closed_on", "整改状态为“已销号”，但没有销号日期，请补上销号日期")
            bad = True
        elif closed_on is not None and status != CLOSED_STATUS:
            report("closed_on", f"填写了销号日期，但整改状态是“{status}”；已销号的问题请把整改状态改为“已销号”，否则删去销号日期")
            bad = True
        elif status == CLOSED_STATUS and not evidence:
            report("evidence", "已销号的问题须列出佐证材料（档号），请补上")
            bad = True
    if bad:
        return None
    return LedgerProblem(
        pid=pid, source=source, description=description,
        category=clean_text(values.get("category")),
        village=clean_text(values.get("village")),
        household=clean_text(values.get("household")),
        head=clean_text(values.get("head")),
        found_on=found_on,
        measures=clean_text(values.get("measures")),
        unit=clean_text(values.get("unit")),
        person=clean_text(values.get("person")),
        deadline=deadline, status=status, closed_on=closed_on, evidence=evidence,
    )
