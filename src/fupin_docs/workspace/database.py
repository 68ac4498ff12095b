"""The county database (PostgreSQL): connecting, and versioned schema changes.

A workspace without `[database] url` keeps everything embedded and never loads
this module's driver. With it, each stage that keeps data there (the catalog,
the index, accounts, the ledger) owns its tables and its list of migrations;
this module applies them in order, each once, and records the version per
stage in one table, so `fupin db upgrade` and `fupin db status` see them all.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from ..errors import UserError

DRIVER_MISSING = ("服务器缺少连接县级数据库所需的组件，请管理员安装："
                  "pip install 'fupin-docs[postgresql]'")


class DatabaseError(UserError):
    """The database cannot be reached or is not ready; the message says what to do."""


def township(workspace) -> str:
    """The township a workspace is in the county database: its 全宗号/机构代码, the
    key of its chains, index rows, ledger and accounts."""
    archive = workspace.config.archive
    return f"{archive.fonds}/{archive.org_code}"


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


SECRET_PARAMETERS = ("password", "sslpassword", "passfile", "sslkey")


def shown_url(url: str) -> str:
    """URL without its password (in user:password@ or ?password=), for messages."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    location, mark, query = rest.partition("?")
    if "@" in location:
        credentials, host = location.rsplit("@", 1)
        location = credentials.split(":", 1)[0] + "@" + host
    if query:
        query = "&".join(part.split("=", 1)[0] + "=***" if part.split("=", 1)[0].lower() in SECRET_PARAMETERS
                         else part for part in query.split("&"))
    return f"{scheme}://{location}{mark}{query}"


def has_password(url: str) -> bool:
    return shown_url(url) != url


_SHARED = threading.local()  # url -> the connection of this thread's one_transaction()
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
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise DatabaseError(f"连接不上县级数据库 {shown_url(self.url)}：{_without_secrets(reason, self.url)}。"
                                "请检查数据库是否在运行、地址和账号是否正确") from None
        except psycopg.Error:  # a malformed address: its text may hold the password, so it is not shown
            raise DatabaseError(f"县级数据库地址写法不对（{shown_url(self.url)}），应为 "
                                "postgresql://用户名@服务器/数据库名；请检查 fupin.toml 的 [database] url") from None

    @staticmethod
    def _alive(conn) -> bool:
        """Whether an idle connection still answers (the server may have restarted since)."""
        try:
            conn.execute("SELECT 1")
            conn.rollback()
            return True
        except Exception:
            with contextlib.suppress(Exception):
                conn.close()
            return False

    @contextlib.contextmanager
    def connection(self) -> Iterator:
        """A connection for the caller's transaction; committed on leaving, rolled back
        on an exception (and then dropped if it is broken). Inside one_transaction()
        on this thread, the shared connection: committed once, when that ends."""
        shared = getattr(_SHARED, "conns", {}).get(self.url)
        if shared is not None:
            yield shared
            return
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed or not self._alive(conn):
            conn = self._open()
        try:
            yield conn
            conn.commit()
        except BaseException as err:
            with contextlib.suppress(Exception):
                conn.rollback()
            with contextlib.suppress(Exception):
                conn.close()
            if isinstance(err, _driver().Error):
                # the database's own failure, in office words: never mistaken for a
                # damaged index (which a search would rebuild) or shown as a traceback
                known = STATE_MESSAGES.get(getattr(err, "sqlstate", None) or "")
                if known:
                    raise DatabaseError(f"{known}；本次操作没有完成，已全部撤销") from None
                raise DatabaseError(f"县级数据库出错（{type(err).__name__}），本次操作没有完成，已全部撤销："
                                    f"{_without_secrets(str(err).strip().splitlines()[0] if str(err).strip() else '', self.url)}"
                                    "。请稍后重试；如仍出错，请管理员检查数据库") from None
            raise
        with self._lock:
            if len(self._idle) < self.size and not conn.closed:
                self._idle.append(conn)
                conn = None
        if conn is not None:
            conn.close()


# The database's failures an office meets, by SQLSTATE (PostgreSQL appendix A), in
# its words; any other keeps the server's own text beside the class name.
STATE_MESSAGES = {
    "25006": "县级数据库现在只能读、不能写（可能正在维护，或连到了备用库），请稍后再试，或请县里的管理员检查",
    "53100": "县级数据库所在的磁盘已满，不能写入，请县里的管理员清理磁盘空间",
    "53200": "县级数据库内存不足，请稍后再试，或请县里的管理员检查",
    "53300": "县级数据库的连接数已满（同时使用的人太多），请稍后再试",
    "57P01": "县级数据库正在关闭或重启，请稍后再试",
    "57P03": "县级数据库正在启动，暂时不能使用，请稍后再试",
    "42501": "县级数据库拒绝了这次操作（本单位的数据库账号没有这项权限），请县里的管理员检查账号权限",
}


@contextlib.contextmanager
def one_transaction(url: str | None):
    """Everything the stages write to the database at URL on this thread inside the
    block commits together at its end, or not at all (a filing: its catalog record,
    index rows and ledger change). URL None or empty (an embedded workspace): nothing."""
    if not url or url in getattr(_SHARED, "conns", {}):
        yield
        return
    if not hasattr(_SHARED, "conns"):
        _SHARED.conns = {}
    with connections(url).connection() as conn:
        _SHARED.conns[url] = conn
        try:
            yield
        finally:
            del _SHARED.conns[url]


MAX_POOLS = 4  # databases a process keeps idle connections to (a server uses one)


def connections(url: str) -> Connections:
    """The process's pool for URL; the least recently used pool beyond MAX_POOLS
    lets its idle connections go (a long-running process that met many databases)."""
    _after_fork_check()
    with _POOLS_LOCK:
        pool = _POOLS.pop(url, None) or Connections(url)
        _POOLS[url] = pool  # most recently used last
        while len(_POOLS) > MAX_POOLS:
            _POOLS.pop(next(iter(_POOLS))).close_idle()
        return pool


_OWNER = [os.getpid()]
_INHERITED: list = []  # a forked child's copies of its parent's pools: kept, never used or closed


def _after_fork_check() -> None:
    """A forked child must not talk on its parent's connections (their answers would
    mix), nor close them (that would end the parent's sessions): it sets them aside."""
    if _OWNER[0] != os.getpid():
        with _POOLS_LOCK:
            if _OWNER[0] != os.getpid():
                _INHERITED.append(dict(_POOLS))
                _POOLS.clear()
                _OWNER[0] = os.getpid()


def forget_pools() -> None:
    """Set every pooled connection aside (never closed here: a forked child shares them)."""
    with _POOLS_LOCK:
        _INHERITED.append(dict(_POOLS))
        _POOLS.clear()


def _without_secrets(text: str, url: str) -> str:
    """TEXT (a driver's message) with URL's password taken out, if it appears."""
    for part in url.replace("@", "&").replace(":", "&").replace("?", "&").split("&"):
        if part.lower().startswith(tuple(f"{p}=" for p in SECRET_PARAMETERS)):
            secret = part.split("=", 1)[1]
            if secret:
                text = text.replace(secret, "***")
    return text


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


LOCK_WAIT = "30s"  # how long a writer waits for another writer of the same township before "busy"


def hold_lock(conn, key: str, busy_message: str) -> None:
    """Take the transaction-scoped lock KEY on CONN (released at commit or rollback),
    waiting at most LOCK_WAIT; Busy(BUSY_MESSAGE) when another writer keeps it."""
    from ..errors import Busy
    psycopg = _driver()
    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
    except psycopg.errors.LockNotAvailable:
        raise Busy(busy_message) from None


_CONFIRMED: set = set()  # (url, component) whose tables this process found in place
_CONFIRMED_LOCK = threading.Lock()


def stage_connection(url: str, component: str, migrations: Sequence[Migration]):
    """A connection (context manager: one transaction) for COMPONENT's tables in the
    database at URL; the first use in a process checks the tables are there and
    current (DatabaseError saying what to run when not)."""
    if (url, component) not in _CONFIRMED:
        require_version(url, component, migrations)
        with _CONFIRMED_LOCK:
            _CONFIRMED.add((url, component))
    return connections(url).connection()


def require_version(url: str, component: str, migrations: Sequence[Migration]) -> None:
    """Refuse to work on a database whose COMPONENT tables are missing or older."""
    newest = max(m.version for m in migrations)
    have = versions(url).get(component, 0)
    if have < newest:
        raise DatabaseError(f"县级数据库 {shown_url(url)} 尚未建好或版本较旧（{component}：{have}，需要 {newest}）",
                            hint="db.upgrade")
