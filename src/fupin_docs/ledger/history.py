"""The ledger history (台账变更记录): who changed which field of which problem, when.

An append-only JSON-lines file beside the ledger; one line per change, Chinese
keys: 时间, 操作人, 操作, 问题编号, 字段, 原值, 新值. Lines are never rewritten;
each batch is written as old bytes + new lines to a temporary file, then renamed
(together with the ledger, see store.commit), so a crash leaves either the old
history or the old history plus the batch.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path
from typing import Any, Iterable, Optional

from .errors import LedgerError


def current_user(who: Optional[str] = None) -> str:
    """The operator: WHO, else $FUPIN_USER, else the login name."""
    if who and who.strip():
        return who.strip()
    env = os.environ.get("FUPIN_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return "未知"


def entry(action: str, pid: str, field: str = "", old: Any = None, new: Any = None,
          *, who: str, when: Optional[dt.datetime] = None) -> dict:
    when = when or dt.datetime.now().astimezone()
    return {"时间": when.isoformat(timespec="seconds"), "操作人": who, "操作": action,
            "问题编号": pid, "字段": field, "原值": old, "新值": new}


def appended(path: Path, entries: Iterable[dict]) -> bytes:
    """The history file's bytes with ENTRIES added at the end (nothing written)."""
    lines = "".join(json.dumps(item, ensure_ascii=False, default=str) + "\n" for item in entries)
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    return old + lines.encode("utf-8")



def read(path: Path, pid: Optional[str] = None) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not isinstance(item, dict):
            raise LedgerError(f"台账变更记录第{number}行已损坏，无法读取（{path.name}）；请从备份恢复")
        if pid is None or item.get("问题编号") == pid:
            out.append(item)
    return out
