"""An archived item as the catalog knows it, and the fold of catalog events into items.

The catalog's events (add, change, withdraw …) are the truth; the current
metadata of every item is their fold. Any catalog implementation (the
hash-chained journal today, a database at county scale) folds the same way.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field

from .kinds import kind_label
from .numbering import RETENTIONS


@dataclass
class ArchiveItem:
    archive_no: str  # 档号
    title: str  # 题名
    kind: str  # 文种 (plan/notice/minutes/rectification or a free kind)
    unit: str | None  # 单位（所属村/部门）
    date: str | None  # 日期, ISO YYYY-MM-DD
    doc_number: str | None  # 文件编号（发文字号）
    issuer: str | None  # 责任者（发文机关）
    secrecy: str | None  # 密级
    retention: str  # 保管期限 Y/D30/D10
    pages: int | None  # 页数
    format: str  # 格式
    file_name: str  # 原文件名
    size: int  # 字节数
    sha256: str
    tags: list = field(default_factory=list)
    added_at: str = ""  # 归档时间
    added_by: str = ""  # 归档人
    how: str = ""  # 归档方式 (手工添加, 系统生成 …)
    withdrawn: bool = False
    withdraw_reason: str | None = None
    withdrawn_at: str | None = None
    renditions: list = field(default_factory=list)  # [{file_name, sha256, sm3, format, size, pages}]
    date_source: str | None = None  # how the date was found when not given: 成文日期/印发日期 (from the text)
    changed_at: str | None = None  # 最近修改时间 (archive edit), None when never changed
    changed_by: str | None = None  # 最近修改人
    sm3: str | None = None  # SM3 摘要 (GB/T 32905), hex; None: filed before SM3 was kept and not yet digested

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def retention_label(self) -> str:
        return RETENTIONS.get(self.retention, self.retention)

    def to_json(self) -> dict:
        data = asdict(self)
        data["kind_label"] = self.kind_label
        data["retention_label"] = self.retention_label
        return data

    @classmethod
    def from_record(cls, detail: dict) -> "ArchiveItem":
        """The item an 'add' record describes; ValueError naming what is malformed."""
        problems = record_problems(detail)
        if problems:
            raise ValueError("；".join(problems))
        known = cls.__dataclass_fields__
        item = cls(**{key: value for key, value in detail.items() if key in known})
        # Items filed before page counts came from the PDF rendition (a generated
        # .docx recorded its template's <Pages>1</Pages>) get the right figure on read.
        item.pages = page_count(item.format, item.pages, item.renditions)
        return item


_TEXT_FIELDS = ("archive_no", "title", "file_name", "sha256", "format", "retention")
_OPTIONAL_TEXT = ("kind", "unit", "date", "doc_number", "issuer", "secrecy", "added_at", "added_by", "how", "sm3")


# What each field of a record is called where people read it.
RECORD_LABELS = {
    "archive_no": "档号", "title": "题名", "file_name": "原文件名", "sha256": "校验值", "format": "格式",
    "retention": "保管期限", "kind": "文种", "unit": "单位", "date": "日期", "doc_number": "文件编号",
    "issuer": "责任者", "secrecy": "密级", "added_at": "归档时间", "added_by": "归档人", "how": "归档方式",
    "size": "大小", "pages": "页数", "tags": "标签", "renditions": "副本", "sm3": "SM3 摘要",
}


def record_problems(detail) -> list[str]:
    """What is malformed in an 'add' record's DETAIL (Chinese), [] when it can be folded."""
    if not isinstance(detail, dict):
        return ["记录内容不是一组字段"]
    label = RECORD_LABELS.get
    problems = [f"{label(name)}应为文字" for name in _TEXT_FIELDS
                if not isinstance(detail.get(name), str) or not detail.get(name)]
    problems += [f"{label(name)}应为文字或空" for name in _OPTIONAL_TEXT
                 if detail.get(name) is not None and not isinstance(detail.get(name), str)]
    if not isinstance(detail.get("size"), int) or isinstance(detail.get("size"), bool):
        problems.append("大小应为整数")
    if detail.get("pages") is not None and (not isinstance(detail.get("pages"), int)
                                            or isinstance(detail.get("pages"), bool)):
        problems.append("页数应为整数或空")
    tags = detail.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        problems.append("标签应为文字列表")
    renditions = detail.get("renditions", [])
    if not isinstance(renditions, list) or not all(
            isinstance(r, dict) and isinstance(r.get("file_name"), str) and isinstance(r.get("sha256"), str)
            and isinstance(r.get("format"), str) and isinstance(r.get("size"), int)
            and (r.get("pages") is None or isinstance(r.get("pages"), int))
            and (r.get("sm3") is None or isinstance(r.get("sm3"), str))
            for r in renditions):
        problems.append("副本应为列表，每项有文件名和校验值")
    return problems


def page_count(fmt: str | None, pages: int | None, renditions) -> int | None:
    """页数: a PDF's own count; for anything else its PDF rendition's count when it has
    one, else the count found in the file itself (or None: unknown)."""
    if fmt != "pdf":
        for rendition in renditions or ():
            if isinstance(rendition, dict) and rendition.get("format") == "pdf" \
                    and isinstance(rendition.get("pages"), int) and rendition["pages"] > 0:
                return rendition["pages"]
    return pages


# The descriptive metadata `Archive.change` may correct, with the names people read.
# Not here, on purpose: the 档号 and 保管期限 (part of the 档号), and everything the
# bytes determine (格式, 页数, 原文件名, 大小, sha256) or the add recorded (归档时间 …).
EDITABLE_FIELDS = {
    "title": "题名",
    "date": "日期",
    "unit": "单位",
    "kind": "文种",
    "doc_number": "文件编号",
    "issuer": "责任者",
    "secrecy": "密级",
    "tags": "标签",
}


def apply_change(item: "ArchiveItem", event: dict) -> None:
    """Fold one 'change' journal record into ITEM (the catalog's current values)."""
    changes = (event.get("detail") or {}).get("changes") or {}
    for name, change in changes.items():
        if name in EDITABLE_FIELDS and isinstance(change, dict) and "new" in change:
            value = change["new"]
            setattr(item, name, list(value) if name == "tags" and isinstance(value, list) else value)
            if name == "date":
                item.date_source = None  # the date is now one a person gave
    item.changed_at = event.get("at")
    item.changed_by = event.get("who")


# The record that gives an item filed before SM3 was kept its SM3 digests:
# detail {archive_no, sm3, renditions: [{file_name, sha256, sm3}]}.
DIGEST_ACTION = "digest"


def _hex64(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def digest_problems(detail) -> list[str]:
    """What is malformed in a 'digest' record's DETAIL (Chinese), [] when it can be folded."""
    if not isinstance(detail, dict) or not isinstance(detail.get("archive_no"), str):
        return ["没有档号"]
    problems = []
    if detail.get("sm3") is not None and not _hex64(detail.get("sm3")):
        problems.append("SM3 摘要应为 64 位十六进制数字")
    renditions = detail.get("renditions", [])
    if not isinstance(renditions, list) or not all(
            isinstance(r, dict) and _hex64(r.get("sha256")) and _hex64(r.get("sm3")) for r in renditions):
        problems.append("副本应为列表，每项有校验值和 SM3 摘要")
    return problems


def apply_digest(item: "ArchiveItem", detail: dict) -> None:
    """Fold one 'digest' record into ITEM: the SM3 digests it gives where the item has
    none yet (an SM3 recorded earlier stays: verify compares the two)."""
    if digest_problems(detail):
        return
    if item.sm3 is None and detail.get("sm3"):
        item.sm3 = detail["sm3"]
    given = {r["sha256"]: r["sm3"] for r in detail.get("renditions") or ()}
    if given and any(isinstance(r, dict) and r.get("sm3") is None and r.get("sha256") in given
                     for r in item.renditions):
        item.renditions = [dict(r, sm3=given[r["sha256"]])
                           if isinstance(r, dict) and r.get("sm3") is None and r.get("sha256") in given else r
                           for r in item.renditions]


def fold_events(events, items: dict | None = None) -> dict:
    """ITEMS (archive_no -> ArchiveItem) after applying EVENTS in order; a new dict.
    The items of ITEMS are never changed: one an event changes is copied first, so
    a fold others share stays as it was. A malformed record is passed over here;
    verify reports it as damage."""
    items = {} if items is None else dict(items)
    for event in events:
        action, detail = event.get("action"), event.get("detail") or {}
        try:
            if action == "add":
                item = ArchiveItem.from_record(detail)
                items[item.archive_no] = item
            elif action == "withdraw" and detail.get("archive_no") in items:
                item = items[detail["archive_no"]] = copy.copy(items[detail["archive_no"]])
                item.withdrawn = True
                item.withdraw_reason = detail.get("reason")
                item.withdrawn_at = event.get("at")
            elif action == "change" and detail.get("archive_no") in items:
                item = items[detail["archive_no"]] = copy.copy(items[detail["archive_no"]])
                apply_change(item, event)
            elif action == DIGEST_ACTION and detail.get("archive_no") in items:
                item = items[detail["archive_no"]] = copy.copy(items[detail["archive_no"]])
                apply_digest(item, detail)
        except (TypeError, AttributeError, ValueError):
            continue
    return items
