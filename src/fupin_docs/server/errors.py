"""The one place where library errors become HTTP statuses and page messages
(the server's counterpart of cli/common.py's exit codes and hints)."""

from __future__ import annotations

import logging

from ..accounts import LoginFailed, LoginThrottled
from ..errors import Busy, FupinError, IntegrityError, UserError
from ..workspace.database import DatabaseError

# What a visitor reads when the county database fails: no address, no driver text
# (the administrator finds those in the server's log and with fupin db status).
DATABASE_DOWN = "县级数据库暂时连不上或出错，本次操作没有完成，已全部撤销；请稍后再试，如一直这样请告诉管理员"

# What a library error's `hint` key means in the browser.
WEB_HINTS = {
    "archive.list": "可在“档案”页或检索页查到正确的档号",
    "archive.add": "归档文件请联系办事员",
    "archive.verify": "请管理员在“档案核验”页检查档案",
    "archive.digest": "请管理员在服务器上运行 fupin archive digest 补记 SM3 摘要",
    "archive.check": "受损或丢失的文件请管理员从备份恢复；缺少长期保存格式的文件请办事员生成 PDF/A 或 OFD 副本后归档",
    "archive.edit": "更正元数据请联系办事员",
    "index.rebuild": "请管理员在服务器上运行 fupin index rebuild 重建检索索引",
    "ledger.list": "可在问题台账中查看已有的问题编号",
    "pack.skip_missing": "请管理员在“档案核验”页检查档案，或去掉受损的材料后重新打包",
    "search.example": "例如：危房改造",
    "search.county": "去掉“全县”一项即检索本单位的档案",
    "user.county": "全县账号请联系县里统一办理",
    "pack.no_archive": "",
    "init": "请管理员在服务器上运行 fupin init 新建工作目录",
    "db.upgrade": "请管理员在服务器上运行 fupin db upgrade",
    "ledger.import": "可在“问题台账”页上传排查表导入问题",
    "ledger.close": "销号请在问题页面的“销号”一栏选择已归档的佐证材料",
    "ledger.reopen": "如需重新整改，可在问题页面把状态改为“整改中”",
}

# The form field a library error's `field` stands for on the pages.
FIELD_LABELS = {
    "date_from": "起始日期", "date_to": "截止日期", "limit": "条数", "reason": "原因", "selection": "选择的材料",
    "name": "用户名", "password": "密码", "role": "角色", "expires": "有效期", "since": "起始时间",
    "today": "截至日期", "evidence": "佐证材料", "deadline": "完成时限", "sheet": "排查表", "token": "预览",
}


def status_for(err: BaseException) -> int:
    """The HTTP status for a library error (the only such table in the server)."""
    if isinstance(err, LoginThrottled):
        return 429
    if isinstance(err, LoginFailed):
        return 401
    if isinstance(err, Busy) or (isinstance(err, DatabaseError) and not getattr(err, "hint", None)):
        return 503
    if isinstance(err, IntegrityError):
        return 500
    if isinstance(err, UserError) and getattr(err, "hint", None) == "archive.list":
        return 404
    if isinstance(err, FupinError):
        return 400
    return 500


def message_for(err: BaseException) -> str:
    if isinstance(err, OSError):
        return "服务器读写文件出错，本次操作没有完成；请稍后重试，或请管理员检查磁盘空间和权限"
    if isinstance(err, DatabaseError) and not getattr(err, "hint", None):
        logging.getLogger("fupin.serve").warning("%s", err)
        return DATABASE_DOWN
    text = str(err)
    hint = WEB_HINTS.get(getattr(err, "hint", None) or "")
    if hint:
        text += f"。{hint}"
    return text


def error_json(err: BaseException) -> dict:
    """The body of an /api/ error: {error, field, status}."""
    return {"error": message_for(err), "field": getattr(err, "field", None), "status": status_for(err)}
