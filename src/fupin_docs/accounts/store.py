"""Users, sessions and login throttling: in one SQLite file in the workspace,
or in the county database (tables.py).

Why SQLite (the standard library's) by default: accounts change in place (a
password, a session's last use), unlike the archive's append-only journal;
several server threads read and write them at once; and nothing has to be
installed. The file is workspace/accounts/accounts.sqlite3, readable only by
its owner.

Sessions: the browser holds a random token; the database holds only its
SHA-256, so a copy of the database opens no session. A session ends on logout,
after IDLE_SECONDS without a request, after MAX_SECONDS in all, and never
outlives its account (an inspector's account expires at the end of the visit;
a disabled account's sessions are revoked at once).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..errors import UserError
from ..text_safety import first_bad
from .tables import tables_for

ROLES = {"admin": "管理员", "clerk": "办事员", "inspector": "督查组（只读）"}

NAME_MAX = 32
PASSWORD_MIN = 8
PASSWORD_MAX = 128
THROTTLE_FAILURES = 5  # failed logins for one name from one address …
THROTTLE_SECONDS = 15 * 60  # … lock that pair for this long
IDLE_SECONDS = 30 * 60
MAX_SECONDS = 12 * 3600
TOUCH_EVERY = 30  # seconds between writes of a session's last use

class LoginFailed(UserError):
    """Wrong name or password, or an account that may not log in: one message for all."""


class LoginThrottled(UserError):
    """Too many failures for this name from this address."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: float
    expires_at: float | None
    disabled: bool
    last_login: float | None
    county_wide: bool = False  # an account of the whole county (on the county database), not of one township

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def read_only(self) -> bool:
        return self.role == "inspector"

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and (now if now is not None else time.time()) >= self.expires_at

    def to_json(self, now: float | None = None) -> dict:
        """Stable keys: name, role, role_label, created_at, expires_at (ISO or null),
        disabled, expired, last_login (ISO or null), county_wide."""
        return {"name": self.name, "role": self.role, "role_label": self.role_label,
                "created_at": iso(self.created_at), "expires_at": iso(self.expires_at),
                "disabled": self.disabled, "expired": self.expired(now), "last_login": iso(self.last_login),
                "county_wide": self.county_wide}


@dataclass(frozen=True)
class Session:
    user: User
    address: str
    created_at: float
    ends_at: float  # the moment it ends at the latest (its own limit or the account's expiry)


def iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment).astimezone().isoformat(timespec="seconds")


def users_json(users, now: float | None = None) -> list[dict]:
    """What `fupin user list --json` and GET /api/users answer."""
    return [user.to_json(now) for user in users]


_DURATION = re.compile(r"^\s*(\d{1,4})\s*(d|h|m|天|小时|分钟)\s*$", re.IGNORECASE)
_UNITS = {"d": 86400, "天": 86400, "h": 3600, "小时": 3600, "m": 60, "分钟": 60}


def parse_expiry(value, now: float | None = None) -> float | None:
    """An expiry as a moment (epoch seconds): '3d', '12h', '30m' (also 3天 …) from NOW,
    a date 'YYYY-MM-DD' (the end of that day), a timedelta, a datetime, or None."""
    now = time.time() if now is None else now
    if value is None or value == "":
        return None
    if isinstance(value, timedelta):
        return now + value.total_seconds()
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    match = _DURATION.match(text)
    if match:
        amount = int(match[1])
        if amount < 1:
            raise UserError("有效期至少为 1，例如 3d（3 天）", field="expires")
        return now + amount * _UNITS[match[2].lower()]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UserError(f"有效期“{text}”写法不对：请写 3d（3 天）、12h（12 小时）或到期日期 2020-06-30",
                        field="expires") from None
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).astimezone()
    if end.timestamp() <= now:
        raise UserError(f"到期日期 {day.isoformat()} 已经过去，请写今天或以后的日期", field="expires")
    return end.timestamp()


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError("用户名不能为空", field="name")
    if len(name) > NAME_MAX:
        raise UserError(f"用户名不超过 {NAME_MAX} 个字，现为 {len(name)} 个字", field="name")
    if first_bad(name) is not None or any(ch.isspace() for ch in name) or "/" in name:
        raise UserError("用户名只能由汉字、字母、数字和 - _ . 组成，不能有空格", field="name")
    return name


def check_password_rules(password: str, name: str = "") -> None:
    """Rules a clerk can follow: at least 8 characters, with letters and digits,
    not the user name, not one character repeated."""
    if password is None or len(password) < PASSWORD_MIN:
        raise UserError(f"密码至少 {PASSWORD_MIN} 位，请包含字母和数字，例如 Sanxing2020", field="password")
    if len(password) > PASSWORD_MAX:
        raise UserError(f"密码不超过 {PASSWORD_MAX} 位", field="password")
    if not (any(ch.isalpha() for ch in password) and any(ch.isdigit() for ch in password)):
        raise UserError("密码须同时包含字母和数字，例如 Sanxing2020", field="password")
    if name and password.lower() == name.lower():
        raise UserError("密码不能与用户名相同", field="password")
    if len(set(password)) < 3:
        raise UserError("密码过于简单（重复同几个字符），请换一个", field="password")


def _hasher():
    from argon2 import PasswordHasher  # argon2id, the library's recommended parameters

    return PasswordHasher()


class Accounts:
    """The accounts of one workspace. Safe to share between threads (a connection per call)."""

    def __init__(self, workspace, *, idle_seconds: int = IDLE_SECONDS, max_seconds: int = MAX_SECONDS):
        self._tables = tables_for(workspace)
        self._workspace = workspace
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._hash = _hasher()
        self._dummy = None
        self._dummy_lock = threading.Lock()

    @property
    def path(self):
        """The SQLite file (None when the accounts are in the county database)."""
        return getattr(self._tables, "path", None)

    # ---- storage ---------------------------------------------------------------
    def _query(self, sql: str, args=()) -> list:
        return self._tables.query(sql, args)

    def _users_where(self, condition: str, args=()) -> list:
        """Users this server may see (its township's and the county's) matching CONDITION."""
        visible, scope_args = self._tables.visible()
        return self._query(f"SELECT * FROM users WHERE {visible} AND {condition}", (*scope_args, *args))

    @staticmethod
    def _user(row) -> User:
        return User(row["name"], row["role"], row["created_at"], row["expires_at"], bool(row["disabled"]),
                    row["last_login"], county_wide="scope" in row.keys() and row["scope"] is None)

    # ---- users -----------------------------------------------------------------
    def _log_change(self, change: str, user: User, who: str | None) -> None:
        """Every account change goes to this workspace's access log: who added,
        stopped or re-keyed which account (a county-wide one above all)."""
        from ..archive.journal import default_user
        from ..audit import AccessLog
        AccessLog(self._workspace).record("account", who=who or default_user(), change=change, user=user.name,
                                          role_of_user=user.role, county_wide=user.county_wide or None)

    def add_user(self, name: str, role: str, password: str, *, expires=None, county_wide: bool = False,
                 who: str | None = None) -> User:
        """A new account of this township (COUNTY_WIDE, on the county database: of the
        whole county, e.g. the county's inspection team)."""
        name = check_name(name)
        if role not in ROLES:
            raise UserError(f"角色“{role}”无效，可用：admin（管理员）、clerk（办事员）、inspector（督查组，只读）",
                            field="role")
        check_password_rules(password, name)
        expires_at = parse_expiry(expires)
        if role == "inspector" and expires_at is None:
            raise UserError("督查组账号必须给出有效期，例如 3d（3 天）或到期日期 2020-06-30", field="expires")
        if self.get(name) is not None:
            raise UserError(f"用户“{name}”已存在；修改密码可用 passwd，停用可用 disable", field="name")
        if county_wide and self._tables.scope is None:
            raise UserError("只有使用县级数据库时才能建立全县账号；本工作目录的账号只属于本单位", field="county")
        if self._query("SELECT name FROM users WHERE name = ?", (name,)):
            raise UserError(f"用户名“{name}”已被占用（可能是其他乡镇的账号），请换一个", field="name")
        columns, values = "name, role, password, created_at, expires_at", [name, role, self._hash.hash(password),
                                                                         time.time(), expires_at]
        if self._tables.scope is not None and not county_wide:
            columns, values = columns + ", scope", values + [self._tables.scope]
        self._query(f"INSERT INTO users ({columns}) VALUES ({', '.join('?' for _ in values)})", tuple(values))
        user = self.get(name)
        self._log_change("add", user, who)
        return user

    def get(self, name: str) -> User | None:
        rows = self._users_where("name = ?", ((name or "").strip(),))
        return self._user(rows[0]) if rows else None

    def require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise UserError(f"没有用户“{name}”", field="name")
        return user

    def users(self) -> list[User]:
        return [self._user(row) for row in self._users_where("1 = 1 ORDER BY created_at, name")]

    def has_admin(self) -> bool:
        now = time.time()
        return any(u.role == "admin" and not u.disabled and not u.expired(now) for u in self.users())

    def require_changeable(self, name: str, county_wide: bool) -> User:
        """The user NAME, when this change may touch it: an account of the whole county
        is shared by every township's server, so it changes only when the change says
        it is meant for the county (COUNTY_WIDE), never as a side effect of a township's work."""
        user = self.require(name)
        if user.county_wide and not county_wide:
            raise UserError(f"“{user.name}”是全县账号，各乡镇的服务器共用；停用或改密码须注明是全县账号（由县里统一办理）",
                            field="county", hint="user.county")
        return user

    def disable(self, name: str, *, county_wide: bool = False, who: str | None = None) -> User:
        user = self.require_changeable(name, county_wide)
        self._query("UPDATE users SET disabled = 1 WHERE name = ?", (user.name,))
        self._query('DELETE FROM sessions WHERE "user" = ?', (user.name,))
        self._log_change("disable", user, who)
        return self.require(user.name)

    def set_password(self, name: str, password: str, *, county_wide: bool = False, who: str | None = None) -> User:
        user = self.require_changeable(name, county_wide)
        check_password_rules(password, user.name)
        self._query("UPDATE users SET password = ?, disabled = 0 WHERE name = ?", (self._hash.hash(password), user.name))
        self._query('DELETE FROM sessions WHERE "user" = ?', (user.name,))  # a new password ends every session
        self._log_change("passwd", user, who)
        return self.require(user.name)

    # ---- login -----------------------------------------------------------------
    @staticmethod
    def _throttle_key(name: str, address: str) -> str:
        return hashlib.sha256(f"{(name or '').strip().lower()}\n{address}".encode("utf-8")).hexdigest()

    def _throttled_until(self, key: str, now: float) -> float:
        rows = self._query("SELECT locked_until FROM throttle WHERE key = ?", (key,))
        return rows[0]["locked_until"] if rows and rows[0]["locked_until"] > now else 0.0

    def _fail(self, key: str, now: float) -> None:
        rows = self._query("SELECT failures, first_at FROM throttle WHERE key = ?", (key,))
        failures, first = (rows[0]["failures"], rows[0]["first_at"]) if rows else (0, now)
        if now - first > THROTTLE_SECONDS:
            failures, first = 0, now
        failures += 1
        locked = now + THROTTLE_SECONDS if failures >= THROTTLE_FAILURES else 0
        self._query("INSERT INTO throttle (key, failures, first_at, locked_until) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at, "
                    "locked_until = excluded.locked_until", (key, failures, first, locked))

    def _dummy_hash(self) -> str:
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hash.hash(secrets.token_hex(16))
            return self._dummy

    def authenticate(self, name: str, password: str, *, address: str = "") -> User:
        """The user NAME when PASSWORD is right and the account may log in now.
        LoginFailed (one message whatever was wrong), LoginThrottled after
        THROTTLE_FAILURES failures for this name from ADDRESS."""
        from argon2.exceptions import InvalidHashError, VerificationError

        now = time.time()
        key = self._throttle_key(name, address)
        until = self._throttled_until(key, now)
        if until:
            minutes = max(1, int((until - now + 59) // 60))
            raise LoginThrottled(f"登录失败次数过多，请 {minutes} 分钟后再试，或请管理员协助")
        rows = self._users_where("name = ?", ((name or "").strip(),))
        stored = rows[0]["password"] if rows else self._dummy_hash()  # the same work for a name that does not exist
        try:
            self._hash.verify(stored, password or "")
            good = bool(rows)
        except (VerificationError, InvalidHashError):
            good = False
        user = self._user(rows[0]) if rows else None
        if not good or user is None or user.disabled or user.expired(now):
            self._fail(key, now)
            raise LoginFailed("用户名或密码不正确，或账号已停用、已到期。请核对后重试，或请管理员协助")
        self._query("DELETE FROM throttle WHERE key = ?", (key,))
        if self._hash.check_needs_rehash(stored):
            self._query("UPDATE users SET password = ? WHERE name = ?", (self._hash.hash(password), user.name))
        self._query("UPDATE users SET last_login = ? WHERE name = ?", (now, user.name))
        return user

    # ---- sessions --------------------------------------------------------------
    @staticmethod
    def _sid(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def open_session(self, user: User, *, address: str = "") -> str:
        """A new session for USER; returns the token the browser keeps."""
        now = time.time()
        token = secrets.token_urlsafe(32)
        ends = now + self.max_seconds
        if user.expires_at is not None:
            ends = min(ends, user.expires_at)
        self._query('INSERT INTO sessions (id, "user", address, created_at, last_seen, ends_at) VALUES (?, ?, ?, ?, ?, ?)',
                    (self._sid(token), user.name, address, now, now, ends))
        self._query("DELETE FROM sessions WHERE ends_at < ? OR last_seen < ?", (now, now - self.idle_seconds))
        return token

    def session(self, token: str | None) -> Session | None:
        """The live session TOKEN opens, or None (unknown, ended, idle too long, or its
        account disabled or expired: such a session is deleted)."""
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        now = time.time()
        sid = self._sid(token)
        visible, scope_args = self._tables.visible("u")  # a session of another township's user opens nothing here
        county = ", u.scope IS NULL AS u_county" if self._tables.scope is not None else ""  # embedded: no scopes
        rows = self._query("SELECT s.*, u.name AS u_name, u.role, u.created_at AS u_created, u.expires_at, "
                           f"u.disabled, u.last_login{county} FROM sessions s JOIN users u ON u.name = s.\"user\" "
                           f"WHERE s.id = ? AND {visible}", (sid, *scope_args))
        if not rows:
            return None
        row = rows[0]
        user = User(row["u_name"], row["role"], row["u_created"], row["expires_at"], bool(row["disabled"]),
                    row["last_login"], county_wide=bool(county) and bool(row["u_county"]))
        if now >= row["ends_at"] or now - row["last_seen"] > self.idle_seconds or user.disabled or user.expired(now):
            self._query("DELETE FROM sessions WHERE id = ?", (sid,))
            return None
        if now - row["last_seen"] > TOUCH_EVERY:
            self._query("UPDATE sessions SET last_seen = ? WHERE id = ?", (now, sid))
        ends = row["ends_at"] if user.expires_at is None else min(row["ends_at"], user.expires_at)
        return Session(user, row["address"], row["created_at"], ends)

    def session_user(self, token: str | None) -> User | None:
        found = self.session(token)
        return found.user if found else None

    def close_session(self, token: str | None) -> None:
        if token:
            self._query("DELETE FROM sessions WHERE id = ?", (self._sid(token),))
