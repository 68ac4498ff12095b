"""Household check sheet (排查表) → problems: one per failing item.

The sheet's header (first row, or the first row with 户编号 under a title row):
村, 户编号, 户主姓名, 家庭收入, 基本生活, 义务教育, 基本医疗, 住房安全, 饮水安全, 备注
(户主姓名, 备注 and an optional 排查日期 column may be absent; other columns are
ignored). Item cells: 达标/不达标, 是/否 (否 fails), ✓/✗ (also √/×).

Re-importing a sheet adds nothing already recorded: a problem is identified by
户编号 + 类别 + 问题来源. Every problem in the sheet is reported at once
(FILE:ROW:COLUMN) and the ledger is left untouched unless the whole sheet is good.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..inputs.problems import InputError, Problem
from ..workspace.config import Workspace
from .cells import Sheet, read_sheet
from .model import (CHECK_ITEMS, OPEN_STATUS, LedgerProblem, clean_label, clean_text, control_complaint,
                    deadline_before_found,
                    make_pid, parse_deadline, parse_optional_date, parse_source)
from .errors import LedgerError
from .store import Ledger, edit_ledger, ledger_dir, load_ledger

REQUIRED = ("户编号", "村", *CHECK_ITEMS)
KNOWN = REQUIRED + ("户主姓名", "备注", "排查日期")
ALIASES = {"户号": "户编号", "户编码": "户编号", "家庭编号": "户编号", "村名": "村", "村别": "村",
           "行政村": "村", "户主": "户主姓名", "姓名": "户主姓名", "备注说明": "备注", "存在问题": "备注",
           "排查时间": "排查日期"}
PASS_VALUES = ("达标", "是", "✓", "√", "✔", "☑")
FAIL_VALUES = ("不达标", "否", "✗", "×", "✘", "☒")
ALLOWED_TEXT = "达标/不达标（也可写 是/否 或 ✓/✗）"
HOUSEHOLD_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,39}$")
ROSTER_FILE = "户名册.xlsx"  # optional, in the workspace's ledger/ folder


@dataclass(frozen=True)
class CheckRow:
    row: int
    village: str
    household: str
    head: str
    note: str
    found_on: Optional[dt.date]
    failing: tuple[str, ...]
    passing: tuple[str, ...]


@dataclass
class ImportResult:
    households: int = 0
    villages: int = 0
    failing: int = 0  # failing items in the sheet
    created: list[str] = field(default_factory=list)  # new problem ids
    existing: list[str] = field(default_factory=list)  # already in the ledger (not duplicated)
    now_passing: list[str] = field(default_factory=list)  # open problems whose item now passes

    def to_json(self) -> dict:
        return {"households": self.households, "villages": self.villages, "failing": self.failing,
                "created": self.created, "existing": self.existing, "now_passing": self.now_passing}


def item_passes(value: Any) -> Optional[bool]:
    """True for 达标/是/✓, False for 不达标/否/✗, None for anything else."""
    label = clean_label(value)
    if label in PASS_VALUES:
        return True
    if label in FAIL_VALUES:
        return False
    return None


def household_id(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(value)


def read_roster(path: str | Path) -> dict[str, str]:
    """户名册: 户编号 → 村 ('' when the roster has no 村 column)."""
    sheet = read_sheet(path, required=("户编号",), known=("户编号", "村", "户主姓名"), aliases=ALIASES,
                       what="户名册")
    return {household_id(sheet.cell(v, "户编号")): clean_text(sheet.cell(v, "村")) for _, v in sheet.rows
            if household_id(sheet.cell(v, "户编号"))}


def read_check_sheet(path: str | Path, *, roster: Optional[dict[str, str]] = None,
                     known_villages: Optional[dict[str, str]] = None) -> list[CheckRow]:
    """Parse and check the whole sheet; InputError lists every bad cell.

    ROSTER (户编号 → 村) makes ids not on it errors; KNOWN_VILLAGES (户编号 → 村,
    from the ledger) catches a household moved to another village by mistake.
    """
    sheet: Sheet = read_sheet(path, required=REQUIRED, known=KNOWN, aliases=ALIASES, what="排查表")
    problems: list[Problem] = []
    rows: list[CheckRow] = []
    first_row: dict[str, int] = {}
    for row, values in sheet.rows:
        bad = False

        def report(name, message):
            nonlocal bad
            problems.append(sheet.problem(row, name, message))
            bad = True

        raw_id = sheet.cell(values, "户编号")
        hid = household_id(raw_id)
        village = clean_text(sheet.cell(values, "村"))
        if not hid:
            report("户编号", "户编号为空，请填写该户的户编号")
        elif not HOUSEHOLD_ID.match(hid):
            report("户编号", f"“{hid}”不是有效的户编号（应由数字、字母和“-”组成），请核对是否填错了列")
        elif hid in first_row:
            report("户编号", f"户编号“{hid}”重复（第{first_row[hid]}行已有），同一户只能排查登记一行，请合并或删除")
        else:
            first_row[hid] = row
            if roster is not None and hid not in roster:
                report("户编号", f"户编号“{hid}”不在户名册中，请核对户编号是否写错")
            elif roster is not None and roster.get(hid) and village and roster[hid] != village:
                report("村", f"户编号“{hid}”在户名册中属于“{roster[hid]}”，本表写的是“{village}”，请核对")
            elif known_villages and known_villages.get(hid) and village and known_villages[hid] != village:
                report("村", f"户编号“{hid}”在台账中属于“{known_villages[hid]}”，本表写的是“{village}”，请核对")
        if not village:
            report("村", "村名为空，请填写该户所在的村")
        failing, passing = [], []
        for item in CHECK_ITEMS:
            cell = sheet.cell(values, item)
            result = item_passes(cell)
            if result is None:
                shown = clean_text(cell)
                if shown:
                    report(item, f"的值“{shown}”不是允许的值，请填写 {ALLOWED_TEXT}")
                else:
                    report(item, f"未填写，请填写 {ALLOWED_TEXT}")
            elif result:
                passing.append(item)
            else:
                failing.append(item)
        found_on = None
        if "排查日期" in sheet.columns:
            try:
                found_on = parse_optional_date(sheet.cell(values, "排查日期"), "排查日期")
            except ValueError as err:
                report("排查日期", str(err).replace("排查日期：", "：", 1))
        if not bad:
            rows.append(CheckRow(row, village, hid, clean_text(sheet.cell(values, "户主姓名")),
                                 clean_text(sheet.cell(values, "备注")), found_on,
                                 tuple(failing), tuple(passing)))
    if not sheet.rows:
        problems.append(Problem(sheet.file, sheet.header_row + 1, 1, "排查表只有表头，没有任何户的数据"))
    if problems:
        raise InputError(problems)
    return rows


def describe(category: str, note: str) -> str:
    return f"{category}不达标：{note}" if note else f"{category}不达标"


@dataclass
class CheckSheetPlan:
    """What importing a sheet would do: the figures and the problems it would add."""

    result: ImportResult
    new: list[LedgerProblem] = field(default_factory=list)


def _settings(source, deadline, unit, person, who, roster, workspace):
    for value, what, name in ((source, "问题来源", "source"), (deadline, "完成时限", "deadline"),
                              (unit, "责任单位", "unit"), (person, "责任人", "person"), (who, "操作人", "who")):
        complaint = control_complaint(value, what)
        if complaint:
            raise LedgerError(complaint, field=name)
    try:
        source = parse_source(source)
        due = parse_deadline(deadline)
    except ValueError as err:
        raise LedgerError(str(err)) from None
    roster_path = Path(roster) if roster else ledger_dir(workspace) / ROSTER_FILE
    roster_map = read_roster(roster_path) if (roster or roster_path.exists()) else None
    return source, due, roster_map


def _plan(ledger: Ledger, path: str | Path, *, source: str, date: dt.date, due: Any, unit: Optional[str],
          person: Optional[str], roster_map: Optional[dict[str, str]]) -> CheckSheetPlan:
    """Read the sheet against LEDGER and work out every problem it adds (nothing written)."""
    known_villages = {p.household: p.village for p in ledger if p.household and p.village}
    rows = read_check_sheet(path, roster=roster_map, known_villages=known_villages)
    early = [row for row in rows if row.failing and deadline_before_found(due, row.found_on or date)]
    if early:
        found = min(row.found_on or date for row in early)
        raise LedgerError(f"完成时限 {due} 早于排查（发现）日期 {found}，整改不可能在发现问题之前完成，"
                          f"请核对完成时限和排查日期（或表中的“排查日期”）", field="deadline")
    by_key = {(p.household, p.category, p.source): p for p in ledger if p.household}
    plan = CheckSheetPlan(ImportResult(households=len(rows), villages=len({r.village for r in rows})))
    result = plan.result
    sequence: dict[int, int] = {}

    def next_pid(year: int) -> str:
        if year not in sequence:
            sequence[year] = int(ledger.next_pid(year).rsplit("-", 1)[1]) - 1
        sequence[year] += 1
        return make_pid(year, sequence[year])

    for row in rows:
        for item in row.passing:
            old = by_key.get((row.household, item, source))
            if old is not None and not old.done:
                result.now_passing.append(old.pid)
        for item in row.failing:
            result.failing += 1
            old = by_key.get((row.household, item, source))
            if old is not None:
                result.existing.append(old.pid)
                continue
            found_on = row.found_on or date
            problem = LedgerProblem(
                pid=next_pid(found_on.year), source=source, description=describe(item, row.note),
                category=item, village=row.village, household=row.household, head=row.head,
                found_on=found_on, unit=(unit or "").strip(), person=(person or "").strip(),
                deadline=due, status=OPEN_STATUS)
            plan.new.append(problem)
            by_key[(row.household, item, source)] = problem
            result.created.append(problem.pid)
    return plan


def preview_check_sheet(workspace: Workspace, path: str | Path, *, source: str = "自查",
                        date: Optional[dt.date] = None, deadline: Any = None, unit: Optional[str] = None,
                        person: Optional[str] = None, roster: str | Path | None = None,
                        who: Optional[str] = None) -> CheckSheetPlan:
    """What import_check_sheet with the same arguments would add to the ledger as it is now,
    refused with the same errors; nothing is written."""
    source, due, roster_map = _settings(source, deadline, unit, person, who, roster, workspace)
    return _plan(load_ledger(workspace), path, source=source, date=date or dt.date.today(), due=due, unit=unit,
                 person=person, roster_map=roster_map)


def import_check_sheet(workspace: Workspace, path: str | Path, *, source: str = "自查",
                       date: Optional[dt.date] = None, deadline: Any = None, unit: Optional[str] = None,
                       person: Optional[str] = None, roster: str | Path | None = None,
                       who: Optional[str] = None) -> ImportResult:
    """`fupin ledger import-check`: add a problem per failing item (all or nothing).

    SOURCE is the 问题来源 (default 自查); DATE the 发现日期 when the sheet has no
    排查日期 column (default today); DEADLINE/UNIT/PERSON fill 完成时限/责任单位/
    责任人 of new problems. ROSTER (户名册 .xlsx with 户编号, optionally 村) makes
    unknown ids errors; without it, ledger/户名册.xlsx in the workspace is used if present.
    """
    source, due, roster_map = _settings(source, deadline, unit, person, who, roster, workspace)
    date = date or dt.date.today()
    with edit_ledger(workspace, who) as session:
        plan = _plan(session.ledger, path, source=source, date=date, due=due, unit=unit, person=person,
                     roster_map=roster_map)
        for problem in plan.new:
            session.add(problem, "排查导入")
    return plan.result
