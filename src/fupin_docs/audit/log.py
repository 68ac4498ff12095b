"""The access journal (see the package docstring)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from ..archive.journal import local_time
from ..archive.store import open_catalog
from ..errors import UserError

# What each action is called where people read it.
ACCESS_ACTIONS = {
    "login": "登录",
    "login.failed": "登录失败",
    "logout": "退出",
    "search": "检索",
    "view": "查看",
    "preview": "预览",
    "download": "下载",
    "pack": "生成材料包",
    "pack.download": "下载材料包",
    "denied": "拒绝（无权限）",
    "verify": "档案核验",
    "withdraw": "撤回",
    "visit_sheet": "打印查阅登记",
    "ledger": "查看台账",
    "ledger.view": "查看问题",
    "ledger.set": "修改问题",
    "ledger.close": "销号",
    "ledger.import": "导入排查表",
    "ledger.export": "导出台账",
    "ledger.dashboard": "查看整改进度",
    "draft.new": "新建草稿",
    "draft.upload": "上传填写文件",
    "draft.download": "下载公文",
    "draft.file": "起草归档",
    "draft.delete": "删除草稿",
    "account": "账号变更",
}


ACCOUNT_CHANGES = {"add": "添加账号", "disable": "停用账号", "passwd": "修改密码"}


def parse_since(value) -> str | None:
    """A lower time bound as an ISO string: a date 'YYYY-MM-DD', an ISO time, or
    '3d'/'12h' before now. None for None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.astimezone().isoformat(timespec="seconds")
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time()).astimezone().isoformat(timespec="seconds")
    text = str(value).strip()
    units = {"d": 86400, "h": 3600, "m": 60}
    if text[:-1].isdigit() and text[-1:].lower() in units:
        moment = datetime.now().astimezone() - timedelta(seconds=int(text[:-1]) * units[text[-1].lower()])
        return moment.isoformat(timespec="seconds")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"起始时间“{text}”写法不对：请写日期 2020-06-08、时间 2020-06-08T09:00 或 3d（最近 3 天）",
                        field="since") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="seconds")


def _after(record_at: str, since: str) -> bool:
    try:
        return datetime.fromisoformat(record_at) >= datetime.fromisoformat(since)
    except (TypeError, ValueError):
        return False


def audit_json(records) -> list[dict]:
    """What `fupin audit list --json` and GET /api/audit answer: one object per
    record with the stable keys seq, at, who, role, address, action,
    action_label, detail."""
    out = []
    for record in records:
        # keys sorted as the journal file stores them, whether the record was read back or just written
        detail = json.loads(json.dumps(record.get("detail") or {}, ensure_ascii=False, sort_keys=True))
        role = detail.pop("role", None)
        address = detail.pop("address", None)
        out.append({"seq": record.get("seq"), "at": record.get("at"), "who": record.get("who"), "role": role,
                    "address": address, "action": record.get("action"),
                    "action_label": ACCESS_ACTIONS.get(record.get("action"), record.get("action")),
                    "detail": detail})
    return out


class AccessLog:
    """Who looked at what: a hash-chained log of its own, kept where the archive's
    records are (workspace/audit/access.jsonl, or the county database)."""

    def __init__(self, workspace):
        self.chain = open_catalog(workspace, "access")

    def record(self, action: str, *, who: str, role: str | None = None, address: str | None = None,
               **detail) -> dict:
        """Append one access record; returns it (with seq and hash). Every search is
        recorded: the append works from the chain's tail, never a copy of it all."""
        body = {"role": role, "address": address, **{k: v for k, v in detail.items() if v not in (None, "", [], ())}}
        with self.chain.writing() as writer:
            return writer.append(action, body, who or "（未登录）")

    def records(self, *, user: str | None = None, since=None, actions=None) -> list[dict]:
        """The records, oldest first, of USER (any when None) at or after SINCE."""
        since_iso = parse_since(since)
        out = []
        for record in self.chain.events():
            if user is not None and record.get("who") != user:
                continue
            if actions is not None and record.get("action") not in actions:
                continue
            if since_iso and not _after(record.get("at", ""), since_iso):
                continue
            out.append(record)
        return out

    def verify(self) -> list[str]:
        """Chinese problems with the chain and its head record; [] when intact."""
        return self.chain.check_chain().problems


def describe(record: dict) -> str:
    """One line of what a record's detail says, for pages and the 查阅登记."""
    detail = record.get("detail") or {}
    parts = []
    if detail.get("archive_no"):
        parts.append(str(detail["archive_no"]))
    if detail.get("title"):
        parts.append(f"《{detail['title']}》")
    if detail.get("file_name"):
        parts.append(str(detail["file_name"]))
    if detail.get("query") is not None and record.get("action") == "search":
        parts.append(("全县检索" if detail.get("county") else "检索") + f"“{detail['query']}”")
    if record.get("action") == "account":
        parts.append(f"{ACCOUNT_CHANGES.get(detail.get('change'), detail.get('change'))} {detail.get('user', '')}"
                     + ("（全县账号）" if detail.get("county_wide") else ""))
    if detail.get("filters"):
        parts.append("筛选：" + "，".join(f"{k}={v}" for k, v in detail["filters"].items()))
    if detail.get("total") is not None:
        parts.append(f"{detail['total']} 件")
    if detail.get("items") is not None:
        parts.append(f"{detail['items']} 件材料")
    if detail.get("purpose"):
        parts.append(f"用途：{detail['purpose']}")
    if detail.get("path"):
        parts.append(str(detail["path"]))
    if detail.get("reason"):
        parts.append(str(detail["reason"]))
    return " ".join(parts)


__all__ = ["ACCESS_ACTIONS", "AccessLog", "audit_json", "describe", "local_time", "parse_since"]
