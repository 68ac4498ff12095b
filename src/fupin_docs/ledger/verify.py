"""`fupin ledger verify`: is every 整改状态 backed by the history, every 销号 by the archive?

The ledger file may be edited by hand (its header says so), so what it says is
checked against the two records a hand edit does not touch: the history
(台账变更记录, one line per change) and the archive (the 佐证材料 of a 销号).

Problems (damage; the CLI exits 3, `archive verify` reports them too):
  - the 整改状态, 销号日期 or 佐证材料 in the ledger is not what the history's
    last change of it says (or the history has no record of the problem and it
    is no longer 未整改);
  - a 已销号 problem's 佐证材料 is not in the archive, or has been withdrawn;
  - a 已销号 problem has no matching `ledger.close` record in the archive's
    journal (same 问题编号, 销号日期 and 佐证材料), or the journal's last word on
    it is a `ledger.reopen`: the ledger and its history are plain files anyone
    can edit together, the journal is hash-chained and anchored, so it is the
    witness of every 销号 (a close imported from another office's ledger has
    none, and stays 存疑);
  - a `ledger.close` in the journal whose problem is gone from the ledger (or
    the whole ledger is gone), or whose problem is open again although neither
    the journal (`ledger.reopen`) nor the history (撤销销号) says it was reopened;
  - the ledger file or a history line cannot be read.
Warnings: a 未整改 problem the history never recorded (added by hand).

Ordinary reads use `unverified_ids` so that summaries never count a problem
whose state cannot be backed as 已整改/已销号 (see summary.summarize).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ..errors import FupinError
from ..workspace.config import Workspace
from .model import CLOSED_STATUS, OPEN_STATUS, LedgerProblem
from .store import history_lines, load_ledger

# History fields whose last value must be the ledger's: the problem's state.
STATE_FIELDS = {"整改状态": "status", "销号日期": "closed_on", "佐证材料": "evidence"}


@dataclass(frozen=True)
class Finding:
    pid: str  # 问题编号 ("" for the file as a whole)
    severity: str  # "problem" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.pid}：{self.message}" if self.pid else self.message


@dataclass
class LedgerVerifyReport:
    problems_checked: int = 0
    evidence_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    def problem(self, pid: str, message: str) -> None:
        self.findings.append(Finding(pid, "problem", message))

    def warn(self, pid: str, message: str) -> None:
        self.findings.append(Finding(pid, "warning", message))

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "problem"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unverified_ids(self) -> list[str]:
        """问题编号 with a problem, in ledger order, each once."""
        return list(dict.fromkeys(f.pid for f in self.problems if f.pid))

    def to_json(self) -> dict:
        """Stable keys: ok, problems_checked, evidence_checked, unverified_ids,
        problems[] and warnings[] (each {id, message}; id is the 问题编号 or null)."""
        return {
            "ok": self.ok,
            "problems_checked": self.problems_checked,
            "evidence_checked": self.evidence_checked,
            "unverified_ids": self.unverified_ids,
            "problems": [{"id": f.pid or None, "message": f.message} for f in self.problems],
            "warnings": [{"id": f.pid or None, "message": f.message} for f in self.warnings],
        }


def _state(value: Any, attr: str) -> Any:
    """A ledger or history value in one comparable form."""
    if attr == "evidence":
        return tuple(value or ())
    if value in (None, ""):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _replay(entries: Iterable[dict]) -> dict[str, dict[str, Any]]:
    """问题编号 → the state the history says it is in now."""
    states: dict[str, dict[str, Any]] = {}
    for item in entries:
        pid = item.get("问题编号")
        if not isinstance(pid, str):
            continue
        key = item.get("字段") or ""
        if not key:  # registered: 新值 is the whole record
            record = item.get("新值") if isinstance(item.get("新值"), dict) else {}
            states[pid] = {"status": record.get("整改状态", OPEN_STATUS), "closed_on": record.get("销号日期"),
                           "evidence": record.get("佐证材料") or []}
        elif key in STATE_FIELDS:
            states.setdefault(pid, {"status": None, "closed_on": None, "evidence": [], "partial": True})
            states[pid][STATE_FIELDS[key]] = item.get("新值")
    return states


def _read_history(report: LedgerVerifyReport, workspace: Workspace) -> list[dict]:
    entries = []
    for where, source, text in history_lines(workspace):
        try:
            item = json.loads(text)
        except ValueError:
            report.problem("", f"台账变更记录{where}已损坏，无法读取{source}；请从备份恢复")
            continue
        if isinstance(item, dict):
            entries.append(item)
        else:
            report.problem("", f"台账变更记录{where}不是一条记录{source}；请从备份恢复")
    return entries


_NAMES = {"status": "整改状态", "closed_on": "销号日期", "evidence": "佐证材料"}


def _shown(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(value) or "（无）"
    return str(value) if value not in (None, "") else "（空）"


def check_problems(workspace: Workspace, problems: list[LedgerProblem], report: LedgerVerifyReport,
                   entries: Optional[list[dict]] = None, archive=None) -> None:
    """Check PROBLEMS against the history (ENTRIES, read if None) and the archive."""
    entries = _read_history(report, workspace) if entries is None else entries
    states = _replay(entries)
    journal: Any = False  # read once, when the first 已销号 problem needs it
    for problem in problems:
        report.problems_checked += 1
        recorded = states.get(problem.pid)
        if recorded is None:
            if problem.status != OPEN_STATUS:
                report.problem(problem.pid, f"整改状态为“{problem.status}”，但台账变更记录中没有这个问题的任何记录"
                                            f"（可能是直接改了台账文件），状态无从核实，未计入整改完成数")
            else:
                report.warn(problem.pid, "台账变更记录中没有这个问题的登记记录（可能是直接在台账文件中添加的）")
        else:
            for attr in ("status", "closed_on", "evidence"):
                if recorded.get("partial") and attr != "status" and recorded.get(attr) in (None, []):
                    continue  # registered before the history began: only changes are known
                if recorded.get("partial") and attr == "status" and recorded.get("status") is None:
                    continue
                if _state(getattr(problem, attr), attr) != _state(recorded.get(attr), attr):
                    report.problem(problem.pid, f"台账中{_NAMES[attr]}是“{_shown(_state(getattr(problem, attr), attr))}”，"
                                                f"但台账变更记录中最后记下的是“{_shown(_state(recorded.get(attr), attr))}”"
                                                f"（可能是直接改了台账文件），未计入整改完成数")
                    break
        if problem.status == CLOSED_STATUS:
            archive = archive or _archive(workspace)
            for number in problem.evidence:
                report.evidence_checked += 1
                item = archive.get(number) if archive is not None else None
                if item is None:
                    report.problem(problem.pid, f"已销号，但佐证材料 {number} 在档案中不存在，销号无据，"
                                                f"未计入整改完成数；请核对档号，或把佐证材料归档后重新销号")
                elif getattr(item, "withdrawn", False):
                    report.problem(problem.pid, f"已销号，但佐证材料 {number} 已撤回（作废），销号无据，"
                                                f"未计入整改完成数；请改附有效的档案")
            if not problem.evidence:
                report.problem(problem.pid, "已销号，但没有佐证材料，销号无据，未计入整改完成数")
            if journal is False:
                journal = _journal(archive)
            _check_witness(problem, None if journal is None else journal.get(problem.pid, []), entries, report)


LEDGER_ACTIONS = ("ledger.close", "ledger.reopen")


def _journal(archive) -> Optional[dict[str, list[dict]]]:
    """问题编号 → its ledger.close / ledger.reopen records from the archive's journal,
    oldest first; None when the journal cannot be read."""
    if archive is None:
        return None
    try:
        events = archive.events()
    except (FupinError, OSError, ValueError):
        return None
    out: dict[str, list[dict]] = {}
    for event in events:
        if event.get("action") not in LEDGER_ACTIONS:
            continue
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        pid = detail.get("问题编号")
        if isinstance(pid, str) and pid:
            out.setdefault(pid, []).append(event)
    return out


def _imported_close(entries: list[dict], pid: str) -> bool:
    """Whether the history's last change of PID's 整改状态 to 已销号 came from a ledger import."""
    last = None
    for item in entries:
        if item.get("问题编号") != pid:
            continue
        key = item.get("字段") or ""
        new = item.get("新值")
        if (not key and isinstance(new, dict) and new.get("整改状态") == CLOSED_STATUS) or \
                (key == "整改状态" and new == CLOSED_STATUS):
            last = item
    return last is not None and last.get("操作") == "台账导入"


def _check_witness(problem: LedgerProblem, records: Optional[list[dict]], entries: list[dict],
                   report: LedgerVerifyReport) -> None:
    """A 已销号 PROBLEM against the journal's RECORDS of it (None: journal unreadable)."""
    if records is None:
        report.problem(problem.pid, "已销号，但档案日志无法读取，销号无从核实，未计入整改完成数；"
                                    "请运行 fupin archive verify 查看原因")
        return
    last = records[-1] if records else None
    if last is None:
        if _imported_close(entries, problem.pid):
            report.problem(problem.pid, "已销号是从导入的台账中带来的，本单位档案日志中没有这次销号的记录，"
                                        "销号无从核实，未计入整改完成数；如已整改到位，请把佐证材料归档后用 "
                                        "fupin ledger close 在本单位销号")
        else:
            report.problem(problem.pid, "已销号，但档案日志中没有这次销号的记录（销号须用 fupin ledger close 办理，"
                                        "可能是直接改了台账文件和变更记录），销号无据，未计入整改完成数")
        return
    detail = last.get("detail") or {}
    if last.get("action") == "ledger.reopen":
        report.problem(problem.pid, f"已销号，但档案日志最后记下的是 {str(last.get('at') or '')[:10]} 撤销销号，"
                                    f"之后没有再销号的记录（可能是直接改了台账文件），销号无据，未计入整改完成数")
        return
    recorded_date = detail.get("销号日期")
    given = [str(n) for n in detail.get("佐证材料") or []]
    full = detail.get("全部佐证材料")
    evidence_ok = (set(map(str, full)) == set(problem.evidence)) if isinstance(full, list) \
        else set(given) <= set(problem.evidence)
    if recorded_date != _state(problem.closed_on, "closed_on"):
        report.problem(problem.pid, f"台账中销号日期是“{_shown(_state(problem.closed_on, 'closed_on'))}”，"
                                    f"但档案日志记下的销号日期是“{_shown(recorded_date)}”"
                                    f"（可能是直接改了台账文件），未计入整改完成数")
    elif not evidence_ok:
        shown = full if isinstance(full, list) else given
        report.problem(problem.pid, f"台账中佐证材料是“{_shown(problem.evidence)}”，"
                                    f"但档案日志记下的销号佐证材料是“{_shown(shown)}”"
                                    f"（可能是直接改了台账文件），未计入整改完成数")


def _reopened_in_history(entries: list[dict], pid: str, closed_on: Any) -> bool:
    """Whether the history records PID's 销号 on CLOSED_ON and, after it, a reopening."""
    closed_at = None
    for index, item in enumerate(entries):
        if item.get("问题编号") != pid:
            continue
        key = item.get("字段") or ""
        if key == "销号日期" and item.get("新值") == closed_on:
            closed_at = index
        elif key == "整改状态" and item.get("原值") == CLOSED_STATUS and item.get("新值") != CLOSED_STATUS:
            if closed_at is not None:
                return True
    return False


def check_journal(workspace: Workspace, ledger_exists: bool, problems: list[LedgerProblem],
                  report: LedgerVerifyReport, entries: list[dict], journal: Optional[dict[str, list[dict]]]) -> None:
    """Every `ledger.close` in the journal against the ledger: the problem must be there,
    closed, or reopened with a record that says so (journal or history)."""
    if not journal:
        return
    closes = {pid: records for pid, records in journal.items()
              if any(r.get("action") == "ledger.close" for r in records)}
    if not closes:
        return
    if not ledger_exists:
        shown = "、".join(list(closes)[:20]) + (f"等 {len(closes)} 个" if len(closes) > 20 else "")
        report.problem("", f"台账文件不存在，但档案日志记有问题 {shown} 的销号记录，"
                           f"台账可能被删除或移走，请从备份恢复 ledger 文件夹")
        return
    by_id = {p.pid: p for p in problems}
    for pid, records in closes.items():
        problem = by_id.get(pid)
        last = records[-1]
        detail = last.get("detail") or {}
        if problem is None:
            report.problem(pid, f"档案日志记有这个问题的销号（{_shown(detail.get('销号日期'))}，"
                                f"佐证材料 {_shown([str(n) for n in detail.get('佐证材料') or []])}），"
                                f"但台账中没有这个问题，可能被删除，请从备份恢复台账")
            continue
        if problem.status == CLOSED_STATUS or last.get("action") == "ledger.reopen":
            continue  # closed: check_problems compares it; reopened: the journal says so
        if not _reopened_in_history(entries, pid, detail.get("销号日期")):
            report.problem(pid, f"档案日志记有这个问题于 {_shown(detail.get('销号日期'))} 销号，但台账中整改状态是"
                                f"“{problem.status}”，档案日志和台账变更记录都没有撤销销号的记录"
                                f"（可能是直接改了台账文件）；如确需重新整改，请先恢复台账，"
                                f"再用 fupin ledger set {pid} --status 整改中 撤销销号")


def _archive(workspace: Workspace):
    from ..archive import Archive

    try:
        return Archive(workspace)
    except FupinError:
        return None  # an unreadable archive backs no evidence; archive verify says why


def verify_ledger(workspace: Workspace) -> LedgerVerifyReport:
    """Check the whole ledger (see the module doc). Never raises for what it finds."""
    report = LedgerVerifyReport()
    try:
        ledger = load_ledger(workspace)
    except FupinError as err:
        report.problem("", f"台账文件无法读取：{err}")
        return report
    entries = _read_history(report, workspace)
    archive = _archive(workspace)
    check_problems(workspace, list(ledger), report, entries, archive)
    held = ledger.path.exists() if ledger.path is not None else bool(len(ledger) or entries)  # None: in the database
    check_journal(workspace, held, list(ledger), report, entries, _journal(archive))
    return report


def unverified_ids(workspace: Workspace, problems: Iterable[LedgerProblem]) -> set[str]:
    """The 问题编号 among PROBLEMS whose state the history or the archive does not back."""
    report = LedgerVerifyReport()
    check_problems(workspace, list(problems), report)
    return set(report.unverified_ids)
