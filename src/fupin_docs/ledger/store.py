"""The ledger file (ledger/问题台账.yaml) and every change made to it.

Reading: `load_ledger(workspace)`. Changing: `with edit_ledger(workspace, who) as s:`
— the ledger is locked (filelock), loaded, changed through the session (which
records each change for the history), then the ledger and the history are
written together or not at all (commit). An exception inside the block, or a
full or read-only disk, leaves both files untouched, which is what makes every
import all-or-nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from ruamel.yaml import YAML

from ..atomic import fsync_dir
from ..locking import held
from ..inputs.problems import InputError, Problem
from ..inputs.yaml_source import DATA_LIMITS, load_yaml_file
from ..workspace.config import Workspace
from . import history
from .errors import LedgerError
from .model import (CLOSED_STATUS, FIELDS, KEYS, PID_PATTERN, LedgerProblem, control_complaint,
                    deadline_before_found, make_pid, parse_deadline, parse_status, problem_from_values)

LEDGER_DIR = "ledger"
LEDGER_FILE = "问题台账.yaml"
HISTORY_FILE = "台账变更记录.jsonl"
LOCK_FILE = ".问题台账.lock"
FORMAT_VERSION = 1

HEADER_COMMENT = """\
# 问题台账（由 fupin ledger 维护）
# 可以直接编辑本文件，但建议用 fupin ledger set / close 修改，以便留下变更记录。
# 整改状态只能是：未整改、整改中、已整改、已销号；销号须用 fupin ledger close 并附佐证材料档号。
"""


def ledger_dir(workspace: Workspace) -> Path:
    return workspace.root / LEDGER_DIR


def ledger_path(workspace: Workspace) -> Path:
    return ledger_dir(workspace) / LEDGER_FILE


def history_path(workspace: Workspace) -> Path:
    return ledger_dir(workspace) / HISTORY_FILE


@dataclass
class Ledger:
    path: Optional[Path]  # the ledger file; None in the county database
    problems: list[LedgerProblem] = field(default_factory=list)

    def __post_init__(self):
        self._by_id = {p.pid: p for p in self.problems}

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self):
        return iter(self.problems)

    def find(self, pid: str) -> Optional[LedgerProblem]:
        return self._by_id.get(pid.strip())

    def get(self, pid: str) -> LedgerProblem:
        problem = self.find(pid)
        if problem is None:
            if not self.problems:
                raise LedgerError(f"台账中没有问题编号“{pid}”，台账还是空的，请先导入问题", hint="ledger.import")
            raise LedgerError(f"台账中没有问题编号“{pid}”，请核对问题编号", hint="ledger.list")
        return problem

    def next_pid(self, year: int) -> str:
        seq = 0
        for problem in self.problems:
            match = PID_PATTERN.match(problem.pid)
            if match and int(match[1]) == year:
                seq = max(seq, int(match[2]))
        return make_pid(year, seq + 1)

    def _add(self, problem: LedgerProblem) -> None:
        self.problems.append(problem)
        self._by_id[problem.pid] = problem


# --- reading -------------------------------------------------------------------------


def _county(workspace: Workspace):
    """The county database's ledger of this township, or None (the ledger files)."""
    if not workspace.config.database.url:
        return None
    from .tables import CountyLedger
    return CountyLedger.for_workspace(workspace)


def _from_records(records: list[dict]) -> Ledger:
    """A ledger from the county database's records (written by this program, checked as a file's are)."""
    problems: list[LedgerProblem] = []
    complaints: list[str] = []
    for record in records:
        values = {KEYS[key]: value for key, value in record.items() if key in KEYS}
        problem = problem_from_values(values, lambda attr, message, pid=record.get("问题编号"):
                                      complaints.append(f"{pid}：{FIELDS[attr]}{message}"))
        if problem is not None:
            problems.append(problem)
    if complaints:
        raise LedgerError("县级数据库中的问题台账有记录无法读取：" + "；".join(complaints[:3]))
    return Ledger(None, problems)


def load_ledger(workspace: Workspace) -> Ledger:
    """The ledger as it is on disk (empty if none yet). Hand edits are validated:
    a bad value raises InputError with the file's LINE:COL."""
    county = _county(workspace)
    if county is not None:
        return _from_records(county.records())
    path = ledger_path(workspace)
    if not path.exists():
        return Ledger(path)
    doc = load_yaml_file(path, limits=DATA_LIMITS)  # a county's ledger is larger than any input
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None or not isinstance(data.get("问题", []), list):
        raise InputError([doc.problem((), "台账文件格式不对：应有“问题:”列表，请从备份恢复或重新导入")])
    problems: list[Problem] = []
    out: list[LedgerProblem] = []
    seen: dict[str, tuple] = {}
    for index, raw in enumerate(data.get("问题") or []):
        base = ("问题", index)
        if not isinstance(raw, dict):
            problems.append(doc.problem(base, "每个问题应为“键: 值”的一组内容"))
            continue
        values: dict[str, Any] = {}
        for key, value in raw.items():
            attr = KEYS.get(key)
            if attr is None:
                problems.append(doc.problem(base + (key,), f"不认识的键“{key}”，可用的有：{'、'.join(FIELDS.values())}",
                                            prefer_key=True))
                continue
            values[attr] = value

        def report(attr, message, base=base):
            problems.append(doc.problem(base + (FIELDS[attr],), message))

        problem = problem_from_values(values, report)
        if problem is None:
            continue
        if problem.pid in seen:
            line, col = seen[problem.pid]
            problems.append(doc.problem(base + ("问题编号",),
                                        f"问题编号“{problem.pid}”重复（第一次出现在第{line}行），请改为不同的编号"))
            continue
        seen[problem.pid] = doc.position(base + ("问题编号",))
        out.append(problem)
    if problems:
        raise InputError(problems)
    return Ledger(path, out)


# --- writing -------------------------------------------------------------------------


def _dump(ledger: Ledger) -> str:
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump({"版本": FORMAT_VERSION, "问题": [p.to_record() for p in ledger.problems]}, buffer)
    return HEADER_COMMENT + buffer.getvalue()


def _write_temporary(target: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def commit(ledger: Ledger, history_file: Path, entries: list[dict]) -> None:
    """Write the ledger and its history together or not at all.

    Both new files are written in full (and synced) beside the old ones before
    either is renamed into place, so a full or read-only disk fails before
    anything changes. If the second rename fails, the first is undone."""
    ledger_tmp = _write_temporary(ledger.path, _dump(ledger).encode("utf-8"))
    history_tmp = backup = None
    try:
        history_tmp = _write_temporary(history_file, history.appended(history_file, entries))
        if history_file.exists():
            backup = history_file.with_name(f".{history_file.name}.{os.getpid()}.old")
            backup.unlink(missing_ok=True)
            os.link(history_file, backup)  # a second name for the old history: costs no space
        os.replace(history_tmp, history_file)
        try:
            os.replace(ledger_tmp, ledger.path)
        except BaseException:
            if backup is not None:
                os.replace(backup, history_file)
            else:
                history_file.unlink(missing_ok=True)
            raise
    finally:
        for leftover in (ledger_tmp, history_tmp, backup):
            if leftover is not None:
                leftover.unlink(missing_ok=True)
    fsync_dir(ledger.path.parent)


class LedgerSession:
    """Changes to one loaded ledger; each is recorded for the history."""

    def __init__(self, ledger: Ledger, who: str, workspace: Workspace):
        self.ledger = ledger
        self.who = who
        self.workspace = workspace
        self.entries: list[dict] = []
        self.now = dt.datetime.now().astimezone()
        # run after the ledger and history are written, still under the ledger's lock
        # (the archive journal's ledger.close / ledger.reopen records: see after_commit)
        self.after_commit: list = []

    def add(self, problem: LedgerProblem, action: str = "新建") -> LedgerProblem:
        if self.ledger.find(problem.pid) is not None:
            raise LedgerError(f"问题编号“{problem.pid}”已在台账中，不能重复添加")
        self.ledger._add(problem)
        self.entries.append(history.entry(action, problem.pid, "", None, problem.to_record(),
                                          who=self.who, when=self.now))
        return problem

    def change(self, problem: LedgerProblem, action: str, **values) -> list[str]:
        """Set attributes; returns the Chinese names of the fields that changed."""
        changed = []
        for attr, new in values.items():
            old = getattr(problem, attr)
            if old == new:
                continue
            setattr(problem, attr, new)
            changed.append(FIELDS[attr])
            self.entries.append(history.entry(action, problem.pid, FIELDS[attr],
                                              _jsonable(old), _jsonable(new), who=self.who, when=self.now))
        return changed


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return None if value == "" else value


def ledger_contents(workspace: Workspace) -> tuple[list[dict], list[dict]]:
    """(the problems' records, the history's entries): all a ledger holds, to move it."""
    return [problem.to_record() for problem in load_ledger(workspace)], read_history(workspace)


def adopt_ledger(workspace: Workspace, records: list[dict], entries: list[dict]) -> int:
    """Give WORKSPACE's empty ledger RECORDS and ENTRIES unchanged (a workspace moving
    into the county database or out of it); returns how many problems."""
    if not records and not entries:
        return 0
    if ledger_contents(workspace) == (records, entries):
        return len(records)  # taken already (a move run again after being stopped)
    ledger = _from_records(records)  # checked as any ledger is
    county = _county(workspace)
    if county is not None:
        with county.editing() as (existing, write):
            if existing or county.history():
                raise LedgerError("目标中已有问题台账，迁移只能迁入空的台账")
            write(records, entries)
        return len(ledger)
    directory = ledger_dir(workspace)
    directory.mkdir(parents=True, exist_ok=True)
    with held(directory / LOCK_FILE, "问题台账"):
        if ledger_path(workspace).exists() or history_path(workspace).exists():
            raise LedgerError("目标中已有问题台账，迁移只能迁入空的台账")
        ledger.path = ledger_path(workspace)
        commit(ledger, history_path(workspace), entries)
    return len(ledger)


def history_lines(workspace: Workspace) -> list[tuple[str, str, str]]:
    """The 台账变更记录 as stored, undecoded, for a check that reports damage instead of
    stopping at it: (where: "第N行"/"第N条", in what, the entry's text)."""
    county = _county(workspace)
    if county is not None:
        return [(f"第{seq}条", "（县级数据库）", text) for seq, text in county.history_rows()]
    path = history_path(workspace)
    if not path.exists():
        return []
    return [(f"第{number}行", f"（{path.name}）", line)
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1)
            if line.strip()]


def read_history(workspace: Workspace, pid: Optional[str] = None) -> list[dict]:
    """The 台账变更记录 entries (of problem PID), oldest first."""
    county = _county(workspace)
    if county is not None:
        return county.history(pid)
    return history.read(history_path(workspace), pid)


@contextlib.contextmanager
def edit_ledger(workspace: Workspace, who: Optional[str] = None) -> Iterator[LedgerSession]:
    county = _county(workspace)
    if county is not None:
        with county.editing() as (records, write):
            session = LedgerSession(_from_records(records), history.current_user(who), workspace)
            yield session
            if session.entries:
                write([problem.to_record() for problem in session.ledger.problems], session.entries)
        for step in session.after_commit if session.entries else ():
            step()  # after the transaction: the archive journal names only what was written
        return
    directory = ledger_dir(workspace)
    directory.mkdir(parents=True, exist_ok=True)
    with held(directory / LOCK_FILE, "问题台账"):
        session = LedgerSession(load_ledger(workspace), history.current_user(who), workspace)
        yield session
        if session.entries:
            commit(session.ledger, history_path(workspace), session.entries)
            for step in session.after_commit:
                step()


# --- the edit commands' API ------------------------------------------------------------

def set_fields(workspace: Workspace, pid: str, *, measures: Optional[str] = None,
               unit: Optional[str] = None, person: Optional[str] = None,
               deadline: Any = None, status: Optional[str] = None,
               who: Optional[str] = None) -> tuple[LedgerProblem, list[str]]:
    """`fupin ledger set`: change 整改措施/责任单位/责任人/完成时限/整改状态.

    None leaves a field as it is; an empty string clears it. 已销号 is reached
    only through close_problem (it needs evidence). Setting a 已销号 problem back
    to 整改中/未整改 reopens it (销号日期 is cleared, evidence kept).
    Returns the problem and the names of the fields that changed.
    """
    changes: dict[str, Any] = {}
    for attr, value in (("measures", measures), ("unit", unit), ("person", person), ("deadline", deadline),
                        ("status", status)):
        complaint = control_complaint(value, FIELDS[attr])
        if complaint:
            raise LedgerError(complaint, field=attr)
    for attr, value in (("measures", measures), ("unit", unit), ("person", person)):
        if value is not None:
            changes[attr] = value.strip()
    if deadline is not None:
        try:
            changes["deadline"] = parse_deadline(deadline)
        except ValueError as err:
            raise LedgerError(str(err), field="deadline") from None
    if status is not None:
        try:
            new_status = parse_status(status)
        except ValueError as err:
            raise LedgerError(str(err), field="status") from None
        if new_status == CLOSED_STATUS:
            raise LedgerError("销号须附佐证材料，不能直接把整改状态改为“已销号”", hint="ledger.close")
        changes["status"] = new_status
    if not changes:
        raise LedgerError("没有要修改的内容，请至少给出整改措施、责任单位、责任人、完成时限、整改状态之一",
                          field="ledger_changes")
    with edit_ledger(workspace, who) as session:
        problem = session.ledger.get(pid)
        if "deadline" in changes:
            complaint = deadline_before_found(changes["deadline"], problem.found_on)
            if complaint:
                raise LedgerError(f"问题 {problem.pid}：{complaint}", field="deadline")
        if problem.status == CLOSED_STATUS and "status" in changes and changes["status"] != CLOSED_STATUS:
            closed_on = problem.closed_on
            changes["closed_on"] = None
            action = "撤销销号"
            session.after_commit.append(lambda: _log_reopen(workspace, problem, closed_on, session.who))
        else:
            action = "修改"
        changed = session.change(problem, action, **changes)
    return problem, changed


def _log_reopen(workspace: Workspace, problem: LedgerProblem, closed_on: Optional[dt.date], who: str) -> None:
    """Tell the archive journal (the witness of every 销号, see verify) that PROBLEM was reopened.

    Written after the ledger: if it cannot be written, the ledger is reopened all the
    same, and the history's 撤销销号 record is what `ledger verify` goes by."""
    from ..archive import Archive
    from ..errors import FupinError

    try:
        Archive(workspace).log_event("ledger.reopen", {
            "问题编号": problem.pid, "原销号日期": closed_on.isoformat() if closed_on else None,
            "整改状态": problem.status, "佐证材料": list(problem.evidence), "问题描述": problem.description,
        }, who=who)
    except (FupinError, OSError) as err:
        raise LedgerError(f"问题 {problem.pid} 已撤销销号（台账和变更记录已写入），但档案日志未能记下这次撤销：{err}；"
                          f"台账核对以变更记录为准，不影响后续整改和重新销号") from None
