"""The county database (PostgreSQL): connecting, and versioned schema changes.

A workspace without `[database] url` keeps everything embedded and never loads
this module's driver. With it, each stage that keeps data there (the catalog,
the index, accounts, the ledger) owns its tables and its list of migrations;
this module applies them in order, each once, and records the version per
stage in one table, so `fupin db upgrade` and `fupin db status` see them all.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from ..errors import UserError

DRIVER_MISSING = ("服务器缺少连接县级数据库所需的组件，请管理员安装："
                  "pip install 'fupin-docs[postgresql]'")


class DatabaseError(UserError):
    """The database cannot be reached or is not ready; the message says what to do."""


@dataclass(frozen=True)
class Migration:
    version: int
    sql: str  # one or more statements, run in one transaction


def _driver():
    try:
        import psycopg
    except ImportError:
        raise DatabaseError(DRIVER_MISSING) from None
    return psycopg


def shown_url(url: str) -> str:
    """URL without its password, for messages and `db status`."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


_POOLS: dict = {}
_POOLS_LOCK = threading.Lock()


class Connections:
    """A small per-process pool of connections to one database (a server thread
    borrows one per request; the CLI uses one)."""

    def __init__(self, url: str, size: int = 8):
        self.url = url
        self.size = size
        self._idle: list = []
        self._lock = threading.Lock()

    def close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()

    def _open(self):
        psycopg = _driver()
        try:
            return psycopg.connect(self.url, autocommit=False)
        except psycopg.OperationalError as err:
            raise DatabaseError(f"连接不上县级数据库 {shown_url(self.url)}：{str(err).strip().splitlines()[0]}。"
                                "请检查数据库是否在运行、地址和账号是否正确") from None

    @contextlib.contextmanager
    def connection(self) -> Iterator:
        """A connection for the caller's transaction; committed on leaving, rolled back
        on an exception (and then dropped if it is broken)."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = self._open()
        try:
            yield conn
            conn.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                conn.rollback()
            with contextlib.suppress(Exception):
                conn.close()
            raise
        with self._lock:
            if len(self._idle) < self.size and not conn.closed:
                self._idle.append(conn)
                conn = None
        if conn is not None:
            conn.close()


MAX_POOLS = 4  # databases a process keeps idle connections to (a server uses one)


def connections(url: str) -> Connections:
    """The process's pool for URL; the least recently used pool beyond MAX_POOLS
    lets its idle connections go (a long-running process that met many databases)."""
    with _POOLS_LOCK:
        pool = _POOLS.pop(url, None) or Connections(url)
        _POOLS[url] = pool  # most recently used last
        while len(_POOLS) > MAX_POOLS:
            _POOLS.pop(next(iter(_POOLS))).close_idle()
        return pool


def forget_pools() -> None:
    """Drop every pooled connection (after a fork: a child must not share its parent's)."""
    with _POOLS_LOCK:
        _POOLS.clear()


SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS fupin_schema (
    component text PRIMARY KEY,
    version integer NOT NULL,
    upgraded_at timestamptz NOT NULL DEFAULT now()
)"""


def upgrade(url: str, component: str, migrations: Sequence[Migration],
            progress: Callable[[str], None] | None = None) -> int:
    """Apply COMPONENT's migrations not yet applied, each in its own transaction,
    serialised across processes; returns the version now in place."""
    with connections(url).connection() as conn:
        conn.execute(SCHEMA_TABLE)
        conn.commit()
        # one upgrader at a time, whichever process
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('fupin_schema'))")
        row = conn.execute("SELECT version FROM fupin_schema WHERE component = %s", (component,)).fetchone()
        current = row[0] if row else 0
        newest = max((m.version for m in migrations), default=0)
        if current > newest:
            raise DatabaseError(f"数据库中“{component}”的结构版本（{current}）比本程序认识的（{newest}）新："
                                "请先升级本程序")
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version <= current:
                continue
            if progress:
                progress(f"{component} → {migration.version}")
            conn.execute(migration.sql)
            conn.execute("INSERT INTO fupin_schema (component, version) VALUES (%s, %s) "
                         "ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version, upgraded_at = now()",
                         (component, migration.version))
            current = migration.version
        return current


def versions(url: str) -> dict[str, int]:
    """component -> schema version in the database (empty when never set up)."""
    with connections(url).connection() as conn:
        exists = conn.execute("SELECT to_regclass('fupin_schema') IS NOT NULL").fetchone()[0]
        if not exists:
            return {}
        return dict(conn.execute("SELECT component, version FROM fupin_schema ORDER BY component").fetchall())


def require_version(url: str, component: str, migrations: Sequence[Migration]) -> None:
    """Refuse to work on a database whose COMPONENT tables are missing or older."""
    newest = max(m.version for m in migrations)
    have = versions(url).get(component, 0)
    if have < newest:
        raise DatabaseError(f"县级数据库 {shown_url(url)} 尚未建好或版本较旧（{component}：{have}，需要 {newest}）",
                            hint="db.upgrade")
