"""Whole ledgers as .xlsx, the way offices and upper levels exchange them.

Header row (row 1): 问题编号, 问题来源, 问题描述, 类别, 村, 户, 整改措施, 责任单位,
责任人, 完成时限, 整改状态, 销号日期, 佐证材料, then 户主姓名 and 发现日期.
户 holds the 户编号; 佐证材料 lists archive numbers separated by 、.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..atomic import atomic_path
from ..inputs.problems import InputError, Problem
from ..workspace.config import Workspace
from .cells import read_sheet
from .errors import LedgerError
from .model import FIELDS, LedgerProblem, deadline_before_found, problem_from_values
from .store import edit_ledger, load_ledger

LEDGER_HEADER = ("问题编号", "问题来源", "问题描述", "类别", "村", "户", "整改措施", "责任单位",
                 "责任人", "完成时限", "整改状态", "销号日期", "佐证材料")
EXTRA_HEADER = ("户主姓名", "发现日期")
HEADER = LEDGER_HEADER + EXTRA_HEADER
HEADER_ATTR = {**{key: attr for attr, key in FIELDS.items()}, "户": "household"}
REQUIRED = ("问题描述", "问题来源", "整改状态")
ALIASES = {"户编号": "户", "户号": "户", "序号编号": "问题编号", "编号": "问题编号", "时限": "完成时限",
           "整改时限": "完成时限", "状态": "整改状态", "佐证资料": "佐证材料", "问题类别": "类别", "村名": "村"}
WIDTHS = {"问题编号": 14, "问题来源": 10, "问题描述": 40, "类别": 10, "村": 10, "户": 12, "整改措施": 36,
          "责任单位": 14, "责任人": 10, "完成时限": 12, "整改状态": 10, "销号日期": 12, "佐证材料": 24,
          "户主姓名": 10, "发现日期": 12}
OVERDUE_FILL = PatternFill("solid", fgColor="F8CBAD")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


def export_ledger(workspace: Workspace, target: str | Path, problems: Optional[Iterable[LedgerProblem]] = None,
                  *, today: Optional[dt.date] = None) -> int:
    """Write PROBLEMS (default: the whole ledger) to TARGET atomically; returns the row count.
    Overdue problems have their 完成时限 cell shaded."""
    target = Path(target)
    if target.suffix.lower() != ".xlsx":
        raise LedgerError(f"只支持导出为 .xlsx 文件，请把文件名改为 {target.with_suffix('.xlsx').name}")
    today = today or dt.date.today()
    problems = list(load_ledger(workspace) if problems is None else problems)
    _check_cell_sizes(problems)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题台账"
    sheet.append(list(HEADER))
    for col, name in enumerate(HEADER, start=1):
        cell = sheet.cell(1, col)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(col)].width = WIDTHS.get(name, 12)
    sheet.freeze_panes = "B2"
    wrap = Alignment(wrap_text=True, vertical="top")
    for problem in problems:
        values = []
        for name in HEADER:
            value = getattr(problem, HEADER_ATTR[name])
            if isinstance(value, list):
                value = "、".join(value)
            values.append(value if value not in ("", None) else None)
        sheet.append(values)
        row = sheet.max_row
        for col, name in enumerate(HEADER, start=1):
            cell = sheet.cell(row, col)
            if isinstance(cell.value, str):
                _as_text(cell)
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            if name in ("问题描述", "整改措施"):
                cell.alignment = wrap
        if problem.is_overdue(today):
            sheet.cell(row, HEADER.index("完成时限") + 1).fill = OVERDUE_FILL
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADER))}{max(sheet.max_row, 1)}"
    with atomic_path(target) as tmp:
        workbook.save(tmp)
    return len(problems)


# Excel and WPS keep at most 32,767 characters (UTF-16 code units) in a cell and
# cut off the rest without a word when the file is opened.
CELL_LIMIT = 32_767


def _cell_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check_cell_sizes(problems: list[LedgerProblem]) -> None:
    """LedgerError naming every problem and field too long for one cell (nothing is written)."""
    too_long = []
    for problem in problems:
        for name in HEADER:
            value = getattr(problem, HEADER_ATTR[name])
            if isinstance(value, list):
                value = "、".join(value)
            if isinstance(value, str) and _cell_length(value) > CELL_LIMIT:
                too_long.append(f"问题 {problem.pid} 的{name}（{_cell_length(value)} 字）")
    if too_long:
        shown = "、".join(too_long[:10]) + (f"等 {len(too_long)} 处" if len(too_long) > 10 else "")
        raise LedgerError(f"未导出：{shown}超过 Excel 单元格上限 {CELL_LIMIT} 字，导出后会被截断；"
                          f"请精简这些内容（详细材料可归档后在佐证材料中写档号）后再导出，"
                          f"或用 --status 等条件不导出这些问题")


# Text a spreadsheet would take for a formula (or that Excel turns into one when
# the cell is edited): = + - @ first, after any spaces, tabs or line breaks.
_FORMULA_LIKE = re.compile(r"^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]")


def _as_text(cell) -> None:
    """Write CELL's text as text: openpyxl stores any "=…" string as a live formula
    (a 责任单位 typed as =cmd|' /C calc'!A0 would run when the file is opened)."""
    cell.data_type = "s"  # a string cell, never <f>
    if _FORMULA_LIKE.match(cell.value):
        cell.quotePrefix = True  # Excel/WPS keep it text when the cell is edited


@dataclass
class LedgerImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def import_ledger(workspace: Workspace, source: str | Path, *, who: Optional[str] = None,
                  today: Optional[dt.date] = None) -> LedgerImportResult:
    """Merge a ledger .xlsx into the workspace ledger (all or nothing).

    A row whose 问题编号 is in the ledger updates the fields its non-empty cells
    give (an empty cell keeps the ledger's value; each change goes to the history); a new 问题编号 is added as is;
    a row without one gets the next WT-YYYY-NNNN. Required columns: 问题描述,
    问题来源, 整改状态; values are checked like every other entry path.
    """
    today = today or dt.date.today()
    sheet = read_sheet(source, required=REQUIRED, known=HEADER, aliases=ALIASES, what="台账")
    present = [HEADER_ATTR[name] for name in sheet.columns]
    problems: list[Problem] = []
    parsed: list[tuple[int, LedgerProblem]] = []
    first_row: dict[str, int] = {}
    for row, values in sheet.rows:
        raw = {HEADER_ATTR[name]: sheet.cell(values, name) for name in sheet.columns}
        errors_before = len(problems)

        def report(attr, message, row=row):
            name = "户" if attr == "household" else FIELDS[attr]
            if name not in sheet.columns:  # a rule about a column the sheet lacks
                name = "整改状态"
            problems.append(sheet.problem(row, name, f"：{message}"))

        problem = problem_from_values(raw, report, require_pid=False)
        if problem is None:
            continue
        if problem.pid:
            if problem.pid in first_row:
                problems.append(sheet.problem(row, "问题编号", f"：问题编号“{problem.pid}”重复（第{first_row[problem.pid]}行已有），请删除或改编号"))
                continue
            first_row[problem.pid] = row
        if len(problems) == errors_before:
            parsed.append((row, problem))
    if problems:
        raise InputError(problems)
    result = LedgerImportResult()
    with edit_ledger(workspace, who) as session:
        ledger = session.ledger
        # 完成时限 before 发现日期, taking the ledger's value for whichever the row leaves empty
        for row, incoming in parsed:
            old = ledger.find(incoming.pid) if incoming.pid else None
            complaint = deadline_before_found(incoming.deadline or (old.deadline if old else None),
                                              incoming.found_on or (old.found_on if old else None))
            if complaint:
                problems.append(sheet.problem(row, "完成时限" if "完成时限" in sheet.columns else "问题编号",
                                              f"：{complaint}"))
        if problems:
            raise InputError(problems)
        for _row, incoming in parsed:
            old = ledger.find(incoming.pid) if incoming.pid else None
            if old is None:
                if not incoming.pid:
                    incoming.pid = ledger.next_pid((incoming.found_on or today).year)
                session.add(incoming, "台账导入")
                result.created.append(incoming.pid)
                continue
            # An empty cell means "not filled in by the sender", never "erase ours".
            changes = {attr: getattr(incoming, attr) for attr in present
                       if attr != "pid" and getattr(incoming, attr) not in (None, "", [])}
            if session.change(old, "台账导入", **changes):
                result.updated.append(old.pid)
            else:
                result.unchanged.append(old.pid)
    return result
