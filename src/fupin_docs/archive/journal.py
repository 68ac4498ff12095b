"""The archive journal: an append-only, hash-chained JSON-lines log.

Why JSON lines and not sqlite: the journal is both the catalog and the audit
log. Every add, change (metadata correction), withdraw and other event is one line that is never rewritten;
the current catalog is the fold of those lines. Appending one line is the
commit point of an add (a process killed before it leaves no item), the file is
readable with any text editor decades from now, and each line carries the hash
of the previous one, so editing, deleting or reordering any earlier line breaks
the chain and `archive verify` reports it. A separate head file remembers the
last (seq, hash) so that cutting lines off the end is detected too.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..atomic import atomic_write_bytes

GENESIS = "0" * 64


def _canonical(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def record_hash(record: dict) -> str:
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# What the journal's actions are called where people read them.
ACTION_LABELS = {
    "add": "归档",
    "withdraw": "撤回",
    "change": "修改",
    "digest": "补记 SM3 摘要",
    "ledger.close": "台账销号",
    "ledger.reopen": "台账撤销销号",
    "archive.anchor": "存证",
    "check": "四性检测",
}


def action_label(action: str | None) -> str:
    return ACTION_LABELS.get(action or "", action or "")


def local_time(iso: str | None) -> str:
    """An ISO time from the journal as this machine's local time, '2020-03-15 10:20:30'.
    Anything that is no ISO time comes back as it was."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class JournalState:
    events: list = field(default_factory=list)  # parsed records, in file order
    problems: list = field(default_factory=list)  # chain breaks (Chinese messages)
    torn_tail: bool = False  # last line incomplete: an append was interrupted
    good_bytes: int = 0  # length of the file up to the last complete line
    lines: int = 0  # complete lines read (for line numbers of later reads)

    @property
    def last_hash(self) -> str:
        return self.events[-1]["hash"] if self.events else GENESIS

    @property
    def last_seq(self) -> int:
        return self.events[-1]["seq"] if self.events else 0


# journal path -> (file key, JournalState): what this process last read of each journal
_CURRENT: dict = {}
_CURRENT_LOCK = threading.Lock()


def _file_key(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Journal:
    def __init__(self, path: Path, label: str = "审计日志"):
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.label = label  # what the messages call this journal

    def read(self, verify: bool = True, after: JournalState | None = None) -> JournalState:
        """The journal's records. VERIFY checks every line's hash and its link to the
        one before (archive verify's job; ordinary reads skip the hashing). AFTER, a
        state read earlier from the same file, reads only the lines appended since."""
        state = JournalState()
        offset, prev, expected_seq = 0, GENESIS, 1
        if after is not None and not after.torn_tail:
            state.events = list(after.events)
            state.problems = list(after.problems)
            offset, prev, expected_seq = after.good_bytes, after.last_hash, after.last_seq + 1
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return JournalState()
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        if tail.strip():
            state.torn_tail = True
        state.good_bytes = offset + len(data) - len(tail)
        first_line = (after.lines if after is not None and not after.torn_tail else 0)
        for number, raw in enumerate(complete, first_line + 1):
            state.lines = number
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
                if not isinstance(record, dict):
                    raise ValueError
            except (ValueError, UnicodeDecodeError):
                state.problems.append(f"{self.label}第 {number} 行无法解析，日志已被改动或损坏")
                continue
            if verify:
                if record.get("seq") != expected_seq:
                    state.problems.append(f"{self.label}第 {number} 行序号为 {record.get('seq')}，应为 {expected_seq}：有记录被删除、插入或调换")
                if record.get("prev") != prev:
                    state.problems.append(f"{self.label}第 {number} 行（序号 {record.get('seq')}）与前一条记录的哈希链接不上：之前的记录被改动或删除")
                if record.get("hash") != record_hash(record):
                    state.problems.append(f"{self.label}第 {number} 行（序号 {record.get('seq')}）内容与其哈希不符：该记录被改动过")
            prev = record.get("hash", "")
            expected_seq = (record.get("seq") if isinstance(record.get("seq"), int) else expected_seq) + 1
            state.events.append(record)
        return state

    def current(self) -> tuple[JournalState, JournalState | None]:
        """The records as they are now, chain not re-verified (verify's job), and the
        state this one grew from (None when it was read whole). Kept per process and
        keyed by the file's identity, size and mtime: an unchanged journal is not read
        again, a grown one only from where the last read stopped. The states are
        shared between callers: never change them (tail() gives one to append to)."""
        path = str(self.path)
        key = _file_key(self.path)
        if key is None:
            return JournalState(), None
        with _CURRENT_LOCK:
            cached = _CURRENT.get(path)
        if cached is not None and cached[0] == key:
            return cached[1], None
        grew = (cached is not None and cached[0][:2] == key[:2] and key[2] > cached[0][2]
                and not cached[1].torn_tail)
        before = cached[1] if grew else None
        state = self.read(verify=False, after=before)
        with _CURRENT_LOCK:
            _CURRENT[path] = (key, state)
        return state, before

    @staticmethod
    def tail(state: JournalState) -> JournalState:
        """A small state to append() to after STATE: the last record and where the
        file ends, not a copy of every record (an append needs nothing else)."""
        return JournalState(events=state.events[-1:], torn_tail=state.torn_tail, good_bytes=state.good_bytes,
                            lines=state.lines)

    def check(self) -> tuple[JournalState | None, list[str], list[str]]:
        """Read every record, checking the whole chain and the head record:
        (state, or None when the journal was never written; problems; warnings)."""
        name = self.label
        if not self.path.exists():
            gone = [f"{name} {self.path} 丢失（头记录仍在）：目录被改动过，请从备份恢复"] if self.head_path.exists() else []
            return None, gone, []
        state = self.read(verify=True)
        problems, warnings = list(state.problems), []
        if state.torn_tail:
            warnings.append(f"{name}末尾有一条未写完的记录（写入时被中断），该条未生效")
        head = self.read_head()
        seq = head.get("seq") if isinstance(head, dict) else None
        well_formed = (isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1
                       and isinstance(head.get("hash"), str) and len(head["hash"]) == 64)
        if head is None or not well_formed:
            if state.events or head is not None:
                problems.append(f"{name}的头记录 {self.head_path.name} 丢失或损坏，无法确认日志末尾未被截去")
        elif seq > state.last_seq:
            problems.append(f"{name}被截短：头记录显示共 {seq} 条，现只有 {state.last_seq} 条")
        else:
            match = next((e for e in state.events if e.get("seq") == seq), None)
            if match is None or match.get("hash") != head.get("hash"):
                problems.append(f"{name}第 {seq} 条与头记录的哈希不符：日志被改写过")
            elif state.last_seq - seq == 1:
                # each append writes its head right after its line: one behind is a
                # write interrupted in between; the next append brings it up to date
                warnings.append(f"{name}的头记录落后 1 条（最后一次写入时在更新头记录前被中断），"
                                "该条记录完整有效")
            elif state.last_seq > seq:
                problems.append(f"{name}的头记录落后 {state.last_seq - seq} 条：头记录被换成了旧的，"
                                "日志末尾的记录无法确认")
        return state, problems, warnings

    def read_head(self) -> dict | None:
        try:
            return json.loads(self.head_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def append(self, state: JournalState, action: str, detail: dict, who: str | None) -> dict:
        """Append one record. The caller holds the archive lock and passes a fresh state."""
        record = {
            "seq": state.last_seq + 1,
            "at": now_iso(),
            "who": who or default_user(),
            "action": action,
            "detail": detail,
            "prev": state.last_hash,
        }
        record["hash"] = record_hash(record)
        line = _canonical(record) + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            if state.torn_tail:
                # An earlier append was killed mid-line; drop the fragment so the
                # new line starts on a line of its own.
                os.ftruncate(fd, state.good_bytes)
                os.fsync(fd)
            try:
                os.lseek(fd, state.good_bytes, os.SEEK_SET)
                if os.write(fd, line) != len(line):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
                os.fsync(fd)
                # The line and the head record stand together or not at all: a
                # full disk must not leave a change in the journal that was
                # reported as failed, behind a head that does not cover it.
                self._write_head(record)
            except BaseException:
                os.ftruncate(fd, state.good_bytes)
                os.fsync(fd)
                raise
        finally:
            os.close(fd)
        state.events.append(record)
        state.torn_tail = False
        state.good_bytes += len(line)
        state.lines += 1
        return record

    def adopt(self, records: list[dict]) -> None:
        """Write RECORDS (a whole chain taken from elsewhere, unchanged) as this new
        journal's lines, and its head: all at once, or nothing."""
        if self.path.exists() or self.head_path.exists():
            raise FileExistsError(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, b"".join(_canonical(record) + b"\n" for record in records))
        if records:
            self._write_head(records[-1])

    def _write_head(self, record: dict) -> None:
        atomic_write_bytes(self.head_path, _canonical({"seq": record["seq"], "hash": record["hash"]}) + b"\n")


def default_user() -> str:
    for name in ("FUPIN_USER", "USER", "USERNAME", "LOGNAME"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        import getpass
        return getpass.getuser()
    except Exception:
        return "未知"
