"""Where the accounts live: SQLite in the workspace (a township's server), or the
county database (every township's server on one PostgreSQL).

Both speak the same SQL (`?` placeholders, rows read by column name). In the
county database every user belongs to one township (全宗号/机构代码) or, with
no township, to the county (a county inspection team); a township's server
sees its own users and the county's, never another township's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from ..workspace.database import Migration, stage_connection, township, upgrade

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password TEXT NOT NULL,
  created_at REAL NOT NULL,
  expires_at REAL,
  disabled INTEGER NOT NULL DEFAULT 0,
  last_login REAL
);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  "user" TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  last_seen REAL NOT NULL,
  ends_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  first_at REAL NOT NULL,
  locked_until REAL NOT NULL DEFAULT 0
);
"""

COMPONENT = "accounts"
MIGRATIONS = (
    Migration(1, """
CREATE TABLE users (
  name text PRIMARY KEY,             -- unique in the county: one person, one account
  scope text,                        -- township (全宗号/机构代码); NULL: county-wide
  role text NOT NULL,
  password text NOT NULL,
  created_at double precision NOT NULL,
  expires_at double precision,
  disabled integer NOT NULL DEFAULT 0,
  last_login double precision
);
CREATE TABLE sessions (
  id text PRIMARY KEY,
  "user" text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  address text NOT NULL DEFAULT '',
  created_at double precision NOT NULL,
  last_seen double precision NOT NULL,
  ends_at double precision NOT NULL
);
CREATE TABLE throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  first_at double precision NOT NULL,
  locked_until double precision NOT NULL DEFAULT 0
);
"""),
)


def setup(url: str, progress=None) -> int:
    return upgrade(url, COMPONENT, MIGRATIONS, progress)


class SqliteTables:
    """workspace/accounts/accounts.sqlite3, readable only by its owner."""

    def __init__(self, path: Path):
        self.path = path
        self._ready = False
        self._lock = threading.Lock()
        self.scope = None

    def visible(self, table: str = "users") -> tuple[str, tuple]:
        """The condition on TABLE's users a server may see (all of them: one township)."""
        return "1 = 1", ()

    def query(self, sql: str, args=()) -> list:
        fresh = not self.path.exists()
        if fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if fresh or not self._ready:
                db.executescript(SQLITE_SCHEMA)
                self._ready = True
            return db.execute(sql, args).fetchall()
        finally:
            db.close()


class PgTables:
    """The accounts tables of the county database, seen from township SCOPE."""

    def __init__(self, url: str, scope: str):
        self.url = url
        self.scope = scope

    def visible(self, table: str = "users") -> tuple[str, tuple]:
        return f"({table}.scope = ? OR {table}.scope IS NULL)", (self.scope,)

    def query(self, sql: str, args=()) -> list:
        from psycopg.rows import dict_row
        with stage_connection(self.url, COMPONENT, MIGRATIONS) as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(sql.replace("?", "%s"), args)
            return cursor.fetchall() if cursor.description else []


def tables_for(workspace):
    url = workspace.config.database.url
    if url:
        return PgTables(url, township(workspace))
    return SqliteTables(Path(workspace.root) / "accounts" / "accounts.sqlite3")
