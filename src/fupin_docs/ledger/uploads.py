"""A check sheet uploaded through the web pages, kept between its preview and the
clerk's confirmation: one file and its import settings under a one-time token.

The token is random, bound to the user who uploaded, and taken (renamed away)
by the first confirmation, so a sheet is imported at most once; staged sheets
older than KEEP_SECONDS are removed at the next upload.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..atomic import atomic_write_bytes
from ..inputs.problems import InputError
from ..workspace.config import Workspace
from .errors import LedgerError
from .query import form_date
from .store import ledger_dir

UPLOAD_DIR = ".uploads"
KEEP_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
XLSX_SUFFIX = ".xlsx"
OPTION_NAMES = ("source", "date", "deadline", "unit", "person")


@dataclass(frozen=True)
class StagedSheet:
    token: str
    path: Path
    file_name: str
    owner: str
    options: dict  # import_check_sheet's keyword arguments (date as a date)


def _folder(workspace: Workspace) -> Path:
    return ledger_dir(workspace) / UPLOAD_DIR


def import_options(form) -> dict:
    """The import settings of a form (问题来源, 排查日期, 完成时限, 责任单位, 责任人), as
    import_check_sheet takes them; empty ones left to its defaults."""
    out: dict = {}
    for name in OPTION_NAMES:
        text = (form.get(name) or "").strip()
        if text:
            out[name] = text
    if "date" in out:
        out["date"] = form_date(out["date"], "排查日期", "date")
    return out


def stage_check_sheet(workspace: Workspace, data: bytes, file_name: str, owner: str, options: dict) -> StagedSheet:
    """Keep DATA (an uploaded .xlsx named FILE_NAME) for OWNER until confirmed."""
    name = Path(file_name or "").name
    if not name.lower().endswith(XLSX_SUFFIX):
        raise LedgerError(f"只能上传 Excel 工作簿（.xlsx 文件），“{name or '未选择文件'}”不是；"
                          f"如是 .xls 或 .et 文件，请在 Excel/WPS 中另存为 Excel 工作簿（*.xlsx）后再上传",
                          field="sheet")
    if not data:
        raise LedgerError("上传的文件是空的，请重新选择排查表", field="sheet")
    folder = _folder(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    _clean(folder)
    token = secrets.token_urlsafe(24)
    atomic_write_bytes(folder / f"{token}.xlsx", data)
    meta = {"file_name": name, "owner": owner, "created": time.time(),
            "options": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in options.items()}}
    atomic_write_bytes(folder / f"{token}.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    return _staged(token, folder / f"{token}.xlsx", meta)


def _staged(token: str, path: Path, meta: dict) -> StagedSheet:
    options = dict(meta.get("options") or {})
    if options.get("date"):
        options["date"] = dt.date.fromisoformat(options["date"])
    return StagedSheet(token, path, meta.get("file_name", ""), meta.get("owner", ""), options)


_GONE = "这份排查表的预览已失效（已导入过、已超过一小时或服务器已清理），请重新上传排查表"


def staged_check_sheet(workspace: Workspace, token: str, owner: str) -> StagedSheet:
    """The sheet OWNER staged under TOKEN (LedgerError if none)."""
    folder = _folder(workspace)
    if not _TOKEN.match(token or ""):
        raise LedgerError(_GONE, field="token")
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise LedgerError(_GONE, field="token") from None
    if meta.get("owner") != owner or time.time() - float(meta.get("created", 0)) > KEEP_SECONDS:
        raise LedgerError(_GONE, field="token")
    return _staged(token, folder / f"{token}.xlsx", meta)


def take_check_sheet(workspace: Workspace, token: str, owner: str) -> StagedSheet:
    """Claim the staged sheet for its one import: a second claim (a resent form, a
    second tab) gets LedgerError. Call discard() when done with it."""
    staged = staged_check_sheet(workspace, token, owner)
    claimed = staged.path.with_suffix(".taken")
    try:
        os.rename(staged.path.with_suffix(".json"), claimed)
    except FileNotFoundError:
        raise LedgerError(_GONE, field="token") from None
    return staged


def discard(workspace: Workspace, token: str) -> None:
    if not _TOKEN.match(token or ""):
        return
    for suffix in (".xlsx", ".json", ".taken"):
        (_folder(workspace) / f"{token}{suffix}").unlink(missing_ok=True)


def _clean(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


@dataclass(frozen=True)
class CellError:
    row: int
    column: int
    message: str


def cell_errors(err: InputError) -> list[CellError]:
    """Every located problem of a refused sheet as 行:列 and its message (no file path:
    on a server the path is a temporary file the clerk never saw)."""
    return [CellError(p.line, p.column, p.message) for p in err.problems]
