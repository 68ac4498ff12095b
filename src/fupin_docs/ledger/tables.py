"""The problem ledger in the county database: each township's problems (the same
records as ledger/问题台账.yaml, in the ledger's order) and its change history
(the same entries as 台账变更记录.jsonl, never updated or deleted).

An edit holds a transaction-scoped advisory lock on the township's ledger,
reads it, and writes the problems and the new history entries in the same
transaction: all or nothing, as the two files are renamed together when the
ledger is embedded.
"""

from __future__ import annotations

import contextlib
import json

from ..workspace.database import Migration, hold_lock, stage_connection, township, upgrade
from .errors import LedgerError

COMPONENT = "ledger"
MIGRATIONS = (
    Migration(1, """
CREATE TABLE ledger_problem (
    scope text NOT NULL,
    position integer NOT NULL,   -- the ledger's order
    pid text NOT NULL,
    record text NOT NULL,        -- the problem as the ledger file writes it (Chinese keys), as JSON
    PRIMARY KEY (scope, pid)
);
CREATE TABLE ledger_history (
    scope text NOT NULL,
    seq bigint NOT NULL,
    pid text NOT NULL,
    entry text NOT NULL,         -- one 台账变更记录 entry, as JSON
    PRIMARY KEY (scope, seq)
);
CREATE INDEX ledger_history_pid ON ledger_history (scope, pid);
CREATE TRIGGER ledger_history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_history
    FOR EACH STATEMENT EXECUTE FUNCTION fupin_refuse_rewrite();
"""),
)
DEPENDS_ON = ("catalog",)  # fupin_refuse_rewrite() comes with the catalog's tables


def setup(url: str, progress=None) -> int:
    return upgrade(url, COMPONENT, MIGRATIONS, progress)


def _decoded(text: str) -> dict | None:
    """A stored record or entry, or None when it is not one (not JSON, not an object)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _text(record: dict) -> str:
    """A problem's record or a history entry as stored (JSON, Chinese kept)."""
    return json.dumps(record, ensure_ascii=False, default=str)


class CountyLedger:
    def __init__(self, url: str, scope: str):
        self.url = url
        self.scope = scope

    @classmethod
    def for_workspace(cls, workspace) -> "CountyLedger":
        return cls(workspace.config.database.url, township(workspace))

    def _connection(self):
        return stage_connection(self.url, COMPONENT, MIGRATIONS)

    @staticmethod
    def _records(conn, scope: str) -> list[dict]:
        """The problems' records; a row this program did not write (changed in the
        database by hand) is refused by name, never half read."""
        rows = conn.execute("SELECT pid, record FROM ledger_problem WHERE scope = %s ORDER BY position",
                            (scope,)).fetchall()
        records = []
        for pid, text in rows:
            record = _decoded(text)
            if record is None:
                raise LedgerError(f"县级数据库中问题 {pid} 的记录已损坏，无法读取，可能被直接改过；请从备份恢复")
            if record.get("问题编号") != pid:
                raise LedgerError(f"县级数据库中问题 {pid} 的记录写的是另一个问题编号“{record.get('问题编号')}”，"
                                  "可能被直接改过；请从备份恢复")
            records.append(record)
        return records

    def records(self) -> list[dict]:
        """The problems' records, in the ledger's order."""
        with self._connection() as conn:
            return self._records(conn, self.scope)

    @contextlib.contextmanager
    def editing(self):
        """Hold the township's ledger; yield (records, write) where write(records, entries)
        makes RECORDS the problems and appends ENTRIES in this same transaction. Only
        the rows that changed are written: one edit in a ledger of thousands is one row."""
        with self._connection() as conn:
            hold_lock(conn, f"fupin_ledger:{self.scope}", "问题台账正由其他人修改，请稍后再试")
            existing = self._records(conn, self.scope)
            stored = {record["问题编号"]: (n, _text(record)) for n, record in enumerate(existing)}

            def write(records: list[dict], entries: list[dict]) -> None:
                wanted = {record["问题编号"]: (n, _text(record)) for n, record in enumerate(records)}
                gone = [pid for pid in stored if pid not in wanted]
                changed = [(self.scope, n, pid, text) for pid, (n, text) in wanted.items() if stored.get(pid) != (n, text)]
                with conn.cursor() as cursor:
                    if gone:
                        cursor.execute("DELETE FROM ledger_problem WHERE scope = %s AND pid = ANY(%s)", (self.scope, gone))
                    cursor.executemany("INSERT INTO ledger_problem (scope, position, pid, record) VALUES (%s, %s, %s, %s) "
                                       "ON CONFLICT (scope, pid) DO UPDATE SET position = EXCLUDED.position, "
                                       "record = EXCLUDED.record", changed)
                    last = conn.execute("SELECT coalesce(max(seq), 0) FROM ledger_history WHERE scope = %s",
                                        (self.scope,)).fetchone()[0]
                    cursor.executemany("INSERT INTO ledger_history (scope, seq, pid, entry) VALUES (%s, %s, %s, %s)",
                                       [(self.scope, last + n, entry.get("问题编号", ""), _text(entry))
                                        for n, entry in enumerate(entries, 1)])
                stored.clear()
                stored.update(wanted)  # a second write in this transaction compares with the first

            yield existing, write

    def history_rows(self, pid: str | None = None) -> list[tuple[int, str]]:
        """(number, entry as stored) of the 台账变更记录, oldest first, undecoded."""
        with self._connection() as conn:
            if pid is None:
                return conn.execute("SELECT seq, entry FROM ledger_history WHERE scope = %s ORDER BY seq",
                                    (self.scope,)).fetchall()
            return conn.execute("SELECT seq, entry FROM ledger_history WHERE scope = %s AND pid = %s ORDER BY seq",
                                (self.scope, pid)).fetchall()

    def history(self, pid: str | None = None) -> list[dict]:
        entries = []
        for seq, text in self.history_rows(pid):
            entry = _decoded(text)
            if entry is None:
                raise LedgerError(f"县级数据库中的台账变更记录第 {seq} 条已损坏，无法读取；请从备份恢复")
            entries.append(entry)
        return entries
