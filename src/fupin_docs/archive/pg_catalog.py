"""The county catalog: the archive's hash-chained records in PostgreSQL.

The same records as the embedded journal (journal.py: seq, at, who, action,
detail, prev, hash; hashed the same way, so a workspace moves between the two
without a record changing), one chain per township (全宗号 + 机构代码). Many
writers share the database: a writer holds a transaction-scoped advisory lock
on its township's chain, sees every record committed before it, and its
records become visible together when its transaction commits — a process
killed before that leaves nothing. 档号 numbers are therefore taken from the
chain under that lock: gap-free per township, year and retention.

Rows are never updated or deleted (a trigger refuses it); someone who gets
round the trigger still cannot change a record without `archive verify`
seeing the broken chain, nor cut records off the end without the head row
disagreeing.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import ArchiveError
from ..workspace.database import DatabaseError, Migration, hold_lock, stage_connection, township, upgrade
from .catalog import CHAINS, ChainCheck, ChainHead
from .item import fold_events
from .journal import GENESIS, default_user, now_iso, record_hash

COMPONENT = "catalog"
MIGRATIONS = (
    Migration(1, """
CREATE TABLE catalog_event (
    scope text NOT NULL,
    seq bigint NOT NULL,
    hash char(64) NOT NULL,
    record text NOT NULL,   -- the record as JSON; its hash covers every key but "hash"
    PRIMARY KEY (scope, seq)
);
CREATE TABLE catalog_head (
    scope text PRIMARY KEY,
    seq bigint NOT NULL,
    hash char(64) NOT NULL
);
CREATE FUNCTION fupin_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'fupin: archive records are append-only (% refused on %)', TG_OP, TG_TABLE_NAME;
END $$;
CREATE TRIGGER catalog_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON catalog_event
    FOR EACH STATEMENT EXECUTE FUNCTION fupin_refuse_rewrite();
"""),
    # Each township's office name, for a county-wide search to say whose a document is
    # (written by the township's own filings; the 全宗号/机构代码 say it without it).
    Migration(2, """
CREATE TABLE catalog_township (
    scope text PRIMARY KEY,
    office text NOT NULL
);
"""),
    # Which workspace folder owns each township's 档号: a second folder configured with
    # the same 全宗号/机构代码 (a copied fupin.toml) is refused, not interleaved.
    Migration(3, """
ALTER TABLE catalog_township ADD COLUMN workspace_id text;
"""),
)
WORKSPACE_ID_FILE = "workspace.id"  # in the archive folder: this folder's identity in the county database



def setup(url: str, progress=None) -> int:
    """Create or upgrade the catalog's tables in the database at URL."""
    return upgrade(url, COMPONENT, MIGRATIONS, progress)


@dataclass
class _Folded:
    seq: int
    hash: str
    events: list
    items: dict


_CACHE: dict = {}  # (url, scope) -> _Folded: what this process last read of each chain
_CACHE_LOCK = threading.Lock()


class PgCatalog:
    def __init__(self, url: str, scope: str, *, label: str = "档案目录", what: str = "档案", office: str = "",
                 folder: Path | None = None):
        """Township SCOPE's chain; LABEL names it in messages about damage, WHAT in
        "someone else is writing WHAT" (the access log is a chain of its own).
        OFFICE: the township's name, and FOLDER: the workspace's archive folder, whose
        identity claims SCOPE at the first write (catalog_township)."""
        self.url = url
        self.scope = scope
        self.label = label
        self.what = what
        self.office = office
        self.folder = folder

    @classmethod
    def for_workspace(cls, workspace, chain: str = "archive") -> "PgCatalog":
        scope = township(workspace)
        label, what = CHAINS[chain]
        if chain != "archive":
            return cls(workspace.config.database.url, f"{chain}:{scope}", label=label, what=what)
        return cls(workspace.config.database.url, scope, label=label, what=what,
                   office=workspace.config.office.name, folder=workspace.archive_dir)

    def _connection(self):
        return stage_connection(self.url, COMPONENT, MIGRATIONS)

    def _folded(self, conn) -> _Folded:
        """The fold of the chain as committed now: the cached one, extended by the
        records committed since."""
        key = (self.url, self.scope)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
        if cached is not None and not self._still_holds(conn, cached):
            cached = None  # the database went back (a restore, a failover): read the chain again
        after = cached.seq if cached else 0
        rows = conn.execute("SELECT seq, record FROM catalog_event WHERE scope = %s AND seq > %s ORDER BY seq",
                            (self.scope, after)).fetchall()
        if not rows and cached is not None:
            return cached
        new_events = [json.loads(record) for _seq, record in rows]
        base = cached or _Folded(0, GENESIS, [], {})
        last = new_events[-1] if new_events else None
        folded = _Folded(last["seq"] if last else base.seq, last["hash"] if last else base.hash,
                         base.events + new_events, fold_events(new_events, base.items) if new_events else base.items)
        with _CACHE_LOCK:
            current = _CACHE.get(key)
            if current is None or current.seq <= folded.seq:
                _CACHE[key] = folded
        return folded

    def _still_holds(self, conn, cached: _Folded) -> bool:
        """Whether the chain still has CACHED's last record where the cache saw it."""
        if cached.seq == 0:
            return True
        row = conn.execute("SELECT hash FROM catalog_event WHERE scope = %s AND seq = %s",
                           (self.scope, cached.seq)).fetchone()
        return row is not None and row[0] == cached.hash

    def _read(self) -> _Folded:
        with self._connection() as conn:
            return self._folded(conn)

    # ---- the Catalog interface --------------------------------------------------
    def items(self) -> dict:
        return dict(self._read().items)

    def events(self) -> list[dict]:
        return list(self._read().events)

    def exists(self) -> bool:
        with self._connection() as conn:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM catalog_head WHERE scope = %s)",
                                (self.scope,)).fetchone()[0]

    def head(self) -> ChainHead:
        folded = self._read()
        return ChainHead(folded.seq, folded.hash)

    @contextlib.contextmanager
    def writing(self):
        with self._connection() as conn:
            hold_lock(conn, f"fupin_catalog:{self.scope}", f"{self.what}正由其他人写入，请稍后再试")
            if self.folder is not None:
                self._claim(conn, _folder_id(self.folder, create=True))
            yield _PgWriter(conn, self.scope, self._folded(conn))

    def _claim(self, conn, folder_id: str) -> None:
        """Record this folder as the owner of the township's 档号, or refuse when
        another folder owns them (two townships configured alike)."""
        row = conn.execute("SELECT office, workspace_id FROM catalog_township WHERE scope = %s",
                           (self.scope,)).fetchone()
        if row is not None and row[1] and row[1] != folder_id:
            raise ArchiveError(f"全宗号/机构代码 {self.scope} 在县级数据库中已属于另一个工作目录（{row[0]}），"
                               "两个单位不能共用一套档号；请在本工作目录 fupin.toml 的 [archive] 中把 fonds（全宗号）"
                               "和 org_code（机构代码）改为本单位的，再归档")
        conn.execute("INSERT INTO catalog_township (scope, office, workspace_id) VALUES (%s, %s, %s) "
                     "ON CONFLICT (scope) DO UPDATE SET office = EXCLUDED.office, workspace_id = EXCLUDED.workspace_id "
                     "WHERE catalog_township.office IS DISTINCT FROM EXCLUDED.office "
                     "OR catalog_township.workspace_id IS DISTINCT FROM EXCLUDED.workspace_id",
                     (self.scope, self.office, folder_id))

    def owner(self) -> str | None:
        """The office name of ANOTHER workspace folder that owns this township's 档号,
        or None (nobody yet, or this folder)."""
        mine = _folder_id(self.folder, create=False) if self.folder is not None else None
        with self._connection() as conn:
            row = conn.execute("SELECT office, workspace_id FROM catalog_township WHERE scope = %s",
                               (self.scope,)).fetchone()
        return row[0] if row is not None and row[1] and row[1] != mine else None

    def townships(self) -> dict[str, str]:
        with self._connection() as conn:
            return dict(conn.execute("SELECT scope, office FROM catalog_township").fetchall())

    def adopt(self, records: list[dict]) -> None:
        with self.writing() as writer:
            if writer._seq:
                if records and (writer._seq, writer._hash) == (records[-1]["seq"], records[-1]["hash"]):
                    return  # taken already (an import run again after being stopped)
                raise ArchiveError(f"{self.label}中已有记录，迁移只能迁入空的{self.label}")
            for record in records:
                writer.insert(record)

    def check_chain(self) -> ChainCheck:
        """Read every record of the township's chain and check it and the head row."""
        with self._connection() as conn:
            rows = conn.execute("SELECT seq, hash, record FROM catalog_event WHERE scope = %s ORDER BY seq",
                                (self.scope,)).fetchall()
            head = conn.execute("SELECT seq, hash FROM catalog_head WHERE scope = %s", (self.scope,)).fetchone()
        if not rows and head is None:
            return ChainCheck(exists=False)
        problems: list[str] = []
        events: list[dict] = []
        prev, expected = GENESIS, 1
        for seq, stored_hash, text in rows:
            try:
                record = json.loads(text)
                if not isinstance(record, dict):
                    raise ValueError
            except ValueError:
                problems.append(f"{self.label}第 {seq} 条无法解析：记录已被改动或损坏")
                continue
            if seq != expected or record.get("seq") != seq:
                problems.append(f"{self.label}第 {seq} 条序号应为 {expected}：有记录被删除、插入或调换")
            if record.get("prev") != prev:
                problems.append(f"{self.label}第 {seq} 条与前一条记录的哈希链接不上：之前的记录被改动或删除")
            if record.get("hash") != record_hash(record) or stored_hash != record.get("hash"):
                problems.append(f"{self.label}第 {seq} 条内容与其哈希不符：该记录被改动过")
            prev, expected = record.get("hash", ""), seq + 1
            events.append(record)
        last_seq = rows[-1][0] if rows else 0
        if head is None:
            problems.append(f"{self.label}的头记录丢失，无法确认记录末尾未被截去")
        elif head[0] > last_seq:
            problems.append(f"{self.label}被截短：头记录显示共 {head[0]} 条，现只有 {last_seq} 条")
        elif head[0] < last_seq:
            problems.append(f"{self.label}的头记录落后 {last_seq - head[0]} 条：头记录被改回了旧的")
        elif rows and head[1] != rows[-1][1]:
            problems.append(f"{self.label}第 {head[0]} 条与头记录的哈希不符：记录被改写过")
        return ChainCheck(events=events, problems=problems)


def _folder_id(folder: Path, *, create: bool) -> str | None:
    """The workspace folder's identity (a random id kept in its archive folder, made
    at its first write to the county database; copies and backups keep it)."""
    path = Path(folder) / WORKSPACE_ID_FILE
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        if not create:
            return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="ascii") as handle:  # two first writers: one id wins
            handle.write(uuid.uuid4().hex + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except FileExistsError:
        pass
    return path.read_text(encoding="ascii").strip()


class _PgWriter:
    def __init__(self, conn, scope: str, folded: _Folded):
        self._conn = conn
        self._scope = scope
        self._seq, self._hash = folded.seq, folded.hash
        self.items = folded.items  # shared: read it, never change an item in place

    def append(self, action: str, detail: dict, who: str | None) -> dict:
        record = {"seq": self._seq + 1, "at": now_iso(), "who": who or default_user(), "action": action,
                  "detail": detail, "prev": self._hash}
        record["hash"] = record_hash(record)
        return self.insert(record)

    def insert(self, record: dict) -> dict:
        """Store RECORD (hashed, next in the chain) and move the head to it."""
        self._conn.execute("INSERT INTO catalog_event (scope, seq, hash, record) VALUES (%s, %s, %s, %s)",
                           (self._scope, record["seq"], record["hash"], json.dumps(record, ensure_ascii=False)))
        self._conn.execute("INSERT INTO catalog_head (scope, seq, hash) VALUES (%s, %s, %s) "
                           "ON CONFLICT (scope) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash",
                           (self._scope, record["seq"], record["hash"]))
        self._seq, self._hash = record["seq"], record["hash"]
        return record


__all__ = ["PgCatalog", "setup", "DatabaseError"]
