"""`fupin ledger verify`: is every 整改状态 backed by the history, every 销号 by the archive?

The ledger file may be edited by hand (its header says so), so what it says is
checked against the two records a hand edit does not touch: the history
(台账变更记录, one line per change) and the archive (the 佐证材料 of a 销号).

Problems (damage; the CLI exits 3, `archive verify` reports them too):
  - the 整改状态, 销号日期 or 佐证材料 in the ledger is not what the history's
    last change of it says (or the history has no record of the problem and it
    is no longer 未整改);
  - a 已销号 problem's 佐证材料 is not in the archive, or has been withdrawn;
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
from .store import history_path, load_ledger

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
    path = history_path(workspace)
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            report.problem("", f"台账变更记录第{number}行已损坏，无法读取（{path.name}）；请从备份恢复")
            continue
        if isinstance(item, dict):
            entries.append(item)
        else:
            report.problem("", f"台账变更记录第{number}行不是一条记录（{path.name}）；请从备份恢复")
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
    check_problems(workspace, list(ledger), report)
    return report


def unverified_ids(workspace: Workspace, problems: Iterable[LedgerProblem]) -> set[str]:
    """The 问题编号 among PROBLEMS whose state the history or the archive does not back."""
    report = LedgerVerifyReport()
    check_problems(workspace, list(problems), report)
    return set(report.unverified_ids)
