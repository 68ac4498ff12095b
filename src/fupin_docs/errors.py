"""The one tree of errors the library raises; messages are Simplified Chinese.

    FupinError
    ├── UserError          the user can fix it (bad input, unknown 档号, busy archive …)
    │   ├── InputError     located problems in an input file (inputs/problems.py)
    │   ├── ArchiveError, SearchError, LedgerError, TemplateError, FontSetupError …
    │   └── Busy           another program holds the lock; try again later
    └── IntegrityError     damage found (archive, index, pack): never silently repaired
        └── ArchiveDamaged

Library messages say what is wrong and what value would fix it, in office
words; they name no command-line flag or command. An error may carry the
FIELD it is about ("date", "reason" …) and a HINT (a key such as
"archive.list") so that each client adds its own way to act on it: the CLI a
flag and a command, a web page a form field and a link. The clients map the
classes to exit codes or HTTP statuses in one place each (cli/common.py).
"""

from __future__ import annotations

import errno


class FupinError(Exception):
    """Base of every error the library raises on purpose."""

    def __init__(self, message: str = "", *, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.field = field  # the input field the message is about, if one
        self.hint = hint  # a key for the client's own "how to act on it" (see module doc)


class UserError(FupinError):
    """A problem the user can fix; the message says how."""


class Busy(UserError):
    """Another program holds the lock on the archive, index or ledger."""


class IntegrityError(FupinError):
    """Damage found in the archive, the index or a pack."""


def describe_os_error(err: OSError) -> str:
    """A failed read or write in office words (the system's own text is English)."""
    where = f"“{err.filename}”" if err.filename else ""
    if err.errno == errno.ENOSPC:
        return f"磁盘空间已满，无法写入{where}；本次操作没有完成。请清理磁盘后重试"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"没有权限写入或读取{where}（磁盘只读或权限不足）。请检查文件夹权限，或换一个可写的位置"
    if err.errno == errno.ENOENT:
        return f"找不到{where or '文件'}，请检查路径"
    if err.errno == errno.EISDIR:
        return f"{where}是文件夹，这里需要一个文件"
    return f"无法读写文件{where}（错误代码 {err.errno}）。请检查路径、权限和磁盘空间"

