"""The archive store: original bytes kept read-only, catalog folded from the journal.

Layout inside workspace/archive/:
  objects/ab/<sha256><.ext>   every stored file, content-addressed and read-only (0444):
                              the path depends only on the bytes, so a file is stored once
                              and no metadata (title, name with '../') ever forms a path
  journal.jsonl (+ .head)     catalog + audit log, append-only, hash-chained (journal.py)
  tmp/                        files being copied in; never referenced by the catalog
  .lock                       cross-process lock (filelock) around numbering and appends

An add copies the file to tmp/ while hashing it, fsyncs, renames it into objects/,
and only then appends the journal line: killed at any point before that append,
it leaves at most an unreferenced object and no item.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date as date_cls
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import ArchiveError
from .extract import Extracted, inspect_file, safe_file_name
from .journal import Journal, JournalState, default_user, local_time, now_iso
from .kinds import kind_label, normalize_kind
from .numbering import (RETENTIONS, check_code, format_archive_no, match_archive_nos,
                        normalize_retention, sequence_key)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # 100 MB: above this, ask the user to split/compress
SECRECY_LEVELS = ("无", "公开", "内部", "秘密", "机密", "绝密")
LOCK_TIMEOUT = 120


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
    renditions: list = field(default_factory=list)  # [{file_name, sha256, format, size, pages}]
    date_source: str | None = None  # how the date was found when not given: 成文日期/印发日期 (from the text)
    changed_at: str | None = None  # 最近修改时间 (archive edit), None when never changed
    changed_by: str | None = None  # 最近修改人

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
        known = cls.__dataclass_fields__
        item = cls(**{key: value for key, value in detail.items() if key in known})
        # Items filed before page counts came from the PDF rendition (a generated
        # .docx recorded its template's <Pages>1</Pages>) get the right figure on read.
        item.pages = page_count(item.format, item.pages, item.renditions)
        return item


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
_REQUIRED_FIELDS = ("title", "kind")


def _check_secrecy(secrecy) -> str | None:
    secrecy = (secrecy or "").strip() or None
    if secrecy is not None and not secrecy.startswith(SECRECY_LEVELS):
        raise ArchiveError(f"密级“{secrecy}”无效，可用：{'、'.join(SECRECY_LEVELS)}（可带保密期限，如“秘密★1年”）")
    return secrecy


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = [tags]
    seen: list[str] = []
    for tag in tags or ():
        tag = str(tag).strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _edited_value(name: str, value):
    """VALUE for field NAME as the catalog keeps it; None or "" clears an optional field."""
    if name == "tags":
        return _clean_tags(value)
    if name == "date":
        return _parse_date(value)
    if name == "secrecy":
        return _check_secrecy(value)
    text = "" if value is None else str(value).strip()
    if name == "kind":
        text = normalize_kind(text) or ""
    if not text and name in _REQUIRED_FIELDS:
        raise ArchiveError(f"{EDITABLE_FIELDS[name]}不能改为空，请给出新的{EDITABLE_FIELDS[name]}")
    return text or None


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


@dataclass
class AddResult:
    item: ArchiveItem
    created: bool  # False: the same bytes were already archived; item is that one
    index_error: str | None = None  # set when the item stands but the index update failed
    date_source: str | None = None  # no date given: "成文日期"/"印发日期" found in the text, "today" when none


def _parse_date(value) -> str | None:
    """2020-03-15, 2020年3月15日 or a date → ISO; ArchiveError in parse_date's words."""
    if value is None or value == "":
        return None
    import datetime as dt

    from ..inputs.fields import cn_date, parse_date
    try:
        day = parse_date(value)
    except ValueError as err:
        raise ArchiveError(f"--date：{err}") from None
    # The year goes into the 档号 for good: a typo such as 2099 must not.
    if day > dt.date.today():
        raise ArchiveError(f"--date：日期 {cn_date(day)} 晚于今天，材料的形成日期不能在将来，请核对")
    return day.isoformat()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Archive:
    def __init__(self, workspace, *, max_bytes: int = DEFAULT_MAX_BYTES):
        self.workspace = workspace
        self.root = Path(workspace.archive_dir)
        self.objects_dir = self.root / "objects"
        self.tmp_dir = self.root / "tmp"
        self.journal = Journal(self.root / "journal.jsonl")
        self.max_bytes = max_bytes
        self.last_index_error: str | None = None  # set by change() when the index update failed
        self.last_change: dict | None = None  # the journal record change() appended
        cfg = workspace.config.archive
        self.fonds = check_code("fonds", cfg.fonds)
        self.category = check_code("category", cfg.category)
        self.org_code = check_code("org_code", cfg.org_code)
        try:
            self.default_retention = normalize_retention(cfg.retention)
        except ArchiveError as err:
            raise ArchiveError(f"fupin.toml 的 [archive] retention 有误：{err}") from None

    # ---- reading -------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / ".lock"), timeout=LOCK_TIMEOUT)
        try:
            lock.acquire()
        except Timeout:
            raise ArchiveError(f"档案正被另一个程序占用（等待 {LOCK_TIMEOUT} 秒仍未释放）。"
                               f"请稍后重试；若确认没有其他 fupin 在运行，可删除 {self.root / '.lock'}") from None
        try:
            yield
        finally:
            lock.release()

    def _state(self) -> JournalState:
        return self.journal.read()

    @staticmethod
    def _fold(state: JournalState) -> dict:
        items: dict[str, ArchiveItem] = {}
        for event in state.events:
            action, detail = event.get("action"), event.get("detail") or {}
            try:
                if action == "add":
                    item = ArchiveItem.from_record(detail)
                    items[item.archive_no] = item
                elif action == "withdraw" and detail.get("archive_no") in items:
                    item = items[detail["archive_no"]]
                    item.withdrawn = True
                    item.withdraw_reason = detail.get("reason")
                    item.withdrawn_at = event.get("at")
                elif action == "change" and detail.get("archive_no") in items:
                    apply_change(items[detail["archive_no"]], event)
            except (TypeError, AttributeError):
                continue  # a malformed record; verify reports the damage
        return items

    def _all(self) -> dict:
        return self._fold(self._state())

    def items(self, include_withdrawn: bool = False) -> list[ArchiveItem]:
        items = list(self._all().values())
        return [item for item in items if include_withdrawn or not item.withdrawn]

    def get(self, archive_no: str) -> ArchiveItem | None:
        """The item ARCHIVE_NO names, typed any way match_archive_nos accepts (hyphen or
        '.' for '·', lower case, the bare 件号 …); None when there is none; ArchiveError
        listing the candidates when a short form names several."""
        return self._find(self._all(), archive_no)

    @staticmethod
    def _find(items: dict, archive_no: str) -> ArchiveItem | None:
        found = match_archive_nos(archive_no, items)
        if len(found) > 1:
            shown = "；".join(f"{no}《{items[no].title}》" + ("（已撤回）" if items[no].withdrawn else "")
                             for no in sorted(found)[:10])
            more = f"等 {len(found)} 件" if len(found) > 10 else ""
            raise ArchiveError(f"“{archive_no.strip()}”对应多件文件：{shown}{more}。请写出完整档号")
        return items[found[0]] if found else None

    def object_path(self, sha256: str, file_name: str) -> Path:
        suffix = Path(file_name).suffix.lower()
        if not (1 < len(suffix) <= 10 and suffix[1:].isalnum() and suffix.isascii()):
            suffix = ""
        return self.objects_dir / sha256[:2] / f"{sha256}{suffix}"

    def file_path(self, item: ArchiveItem) -> Path:
        return self.object_path(item.sha256, item.file_name)

    def rendition_paths(self, item: ArchiveItem) -> list[Path]:
        return [self.object_path(r["sha256"], r["file_name"]) for r in item.renditions]

    def events(self) -> list[dict]:
        """Every journal record (add, withdraw, and events logged by other stages)."""
        return list(self._state().events)

    # ---- writing -------------------------------------------------------------
    def _check_source(self, path) -> Path:
        path = Path(path)
        if not path.exists():
            raise ArchiveError(f"找不到文件“{path}”，请检查路径")
        if not path.is_file():
            raise ArchiveError(f"“{path}”不是普通文件（可能是文件夹），请指定要归档的文件")
        size = path.stat().st_size
        if size > self.max_bytes:
            raise ArchiveError(
                f"“{path.name}”太大（{size / 1048576:.1f} MB），超过单个文件归档上限 "
                f"{self.max_bytes / 1048576:.0f} MB。请压缩（如降低扫描分辨率）或拆分后再归档")
        if size == 0:
            raise ArchiveError(f"“{path.name}”是空文件（0 字节），没有可归档的内容")
        return path

    def _copy_in(self, path: Path) -> tuple[Path, str, int]:
        """Copy PATH into tmp/ while hashing; fsync. Returns (temp path, sha256, size)."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(prefix="add-", suffix=".part", dir=self.tmp_dir)
        try:
            with open(path, "rb") as source, os.fdopen(fd, "wb") as target:
                while True:
                    chunk = source.read(1 << 20)
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ArchiveError(f"“{path.name}”在读取时超过了归档上限，请拆分后再归档")
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp), digest.hexdigest(), size

    def _store_object(self, tmp: Path, sha256: str, file_name: str) -> Path:
        target = self.object_path(sha256, file_name)
        if target.exists():
            tmp.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        return target

    def add(self, path, *, kind=None, title=None, unit=None, date=None, tags=(), doc_number=None,
            issuer=None, secrecy=None, retention=None, renditions=(), how="手工添加",
            who=None, index=True, date_from_text=True) -> AddResult:
        """File PATH. Without DATE, the date is the 成文日期 (or 印发日期) clearly shown at
        the end of the document's text when DATE_FROM_TEXT, and the 档号 year is that
        date's (else this year's, date left empty); AddResult.date_source says which."""
        source = self._check_source(path)
        file_name = safe_file_name(source.name)
        info: Extracted = inspect_file(source, file_name)
        iso_date = _parse_date(date)
        date_source = None
        if iso_date is None:
            if date_from_text and info.date_hint:
                iso_date, date_source = info.date_hint[0].isoformat(), info.date_hint[1]
            else:
                date_source = "today"
        retention = normalize_retention(retention) or self.default_retention
        secrecy = _check_secrecy(secrecy)
        kind = normalize_kind(kind) or ("照片" if info.format in ("jpeg", "png", "gif", "bmp", "tiff", "webp") else "other")
        title = (title or "").strip() or info.title_hint or Path(file_name).stem
        tags = [str(tag).strip() for tag in tags if str(tag).strip()]
        extra = []
        for rendition in renditions:
            rpath = self._check_source(rendition)
            rname = safe_file_name(rpath.name)
            extra.append((rpath, rname, inspect_file(rpath, rname)))

        tmp, sha256, size = self._copy_in(source)
        staged = []
        try:
            for rpath, rname, rinfo in extra:
                rtmp, rsha, rsize = self._copy_in(rpath)
                staged.append((rtmp, rsha, rsize, rname, rinfo))
            with self._lock():
                state = self._state()
                items = self._fold(state)
                for existing in items.values():
                    # A withdrawn item keeps its bytes but is no longer on file: filing the same
                    # content again makes a new item (the stored object is shared, not copied).
                    if existing.sha256 == sha256 and not existing.withdrawn:
                        return AddResult(existing, False)  # no date_source: nothing was dated
                year = int(iso_date[:4]) if iso_date else date_cls.today().year
                key = (self.fonds, self.category, year, retention, self.org_code)
                used = [int(no[-4:]) for no in items if sequence_key(no) == key]
                archive_no = format_archive_no(*key, (max(used) + 1) if used else 1)
                self._store_object(tmp, sha256, file_name)
                rendition_records = []
                for rtmp, rsha, rsize, rname, rinfo in staged:
                    self._store_object(rtmp, rsha, rname)
                    rendition_records.append({"file_name": rname, "sha256": rsha, "format": rinfo.format,
                                              "size": rsize, "pages": rinfo.pages})
                item = ArchiveItem(
                    archive_no=archive_no, title=title, kind=kind, unit=unit or None, date=iso_date,
                    doc_number=doc_number or None, issuer=issuer or None, secrecy=secrecy,
                    retention=retention, pages=page_count(info.format, info.pages, rendition_records),
                    format=info.format, file_name=file_name,
                    size=size, sha256=sha256, tags=tags, added_at=now_iso(), how=how,
                    renditions=rendition_records,
                    date_source=date_source if date_source != "today" else None)
                detail = item.to_json()
                for derived in ("kind_label", "retention_label", "withdrawn", "withdraw_reason", "withdrawn_at",
                                "changed_at", "changed_by"):
                    detail.pop(derived, None)
                if detail.get("date_source") is None:
                    detail.pop("date_source", None)
                detail["added_by"] = who = who or default_user()
                record = self.journal.append(state, "add", detail, who)
                item.added_by = record["who"]
                item.added_at = record["at"]
        finally:
            tmp.unlink(missing_ok=True)
            for rtmp, *_ in staged:
                rtmp.unlink(missing_ok=True)
        result = AddResult(item, True, date_source=date_source)
        if index:
            result.index_error = self._index(item, info.text)
        return result

    def _index(self, item: ArchiveItem, text: str) -> str | None:
        """Update the search index; the archive item stands whatever happens here."""
        try:
            from ..search import index_item
            index_item(self.workspace, item, text)
            return None
        except Exception as err:  # the index is derived; verify reports it out of step
            return f"{type(err).__name__}: {err}"

    def _live_item(self, items, archive_no: str, if_withdrawn: str) -> ArchiveItem:
        """The item ARCHIVE_NO names, refusing an unknown or withdrawn one."""
        item = self._find(items, archive_no)
        if item is None:
            raise ArchiveError(f"档案中没有档号为“{archive_no}”的文件，可用 fupin archive list 查看")
        if item.withdrawn:
            raise ArchiveError(f"{item.archive_no} 已于 {local_time(item.withdrawn_at)} 撤回，{if_withdrawn}")
        return item

    def withdraw(self, archive_no: str, reason: str, who: str | None = None) -> ArchiveItem:
        reason = (reason or "").strip()
        if not reason:
            raise ArchiveError("撤回必须写明原因（--reason），例如：--reason \"重复归档\"")
        with self._lock():
            state = self._state()
            item = self._live_item(self._fold(state), archive_no, "无需重复撤回")
            record = self.journal.append(state, "withdraw", {"archive_no": item.archive_no, "reason": reason}, who)
        item.withdrawn, item.withdraw_reason, item.withdrawn_at = True, reason, record["at"]
        try:
            from ..search import remove_item
            remove_item(self.workspace, item.archive_no)
        except Exception:
            pass  # verify reports the index out of step
        return item

    def change(self, archive_no: str, *, who: str | None = None, reason: str, index: bool = True,
               **fields) -> ArchiveItem:
        """Correct ARCHIVE_NO's descriptive metadata (EDITABLE_FIELDS: title, date, unit,
        kind, doc_number, issuer, secrecy, tags — tags replaces the whole list; None or ""
        clears an optional field). Appends one hash-chained 'change' record with who,
        when, REASON and {field: {old, new}} for each field that really changes; the
        bytes, sha256 and the 档号 (its year included) stay as they are. Returns the
        item with its new values; ArchiveError for a withdrawn item, an unknown field,
        no reason or nothing to change."""
        reason = (reason or "").strip()
        if not reason:
            raise ArchiveError("修改元数据必须写明原因（--reason），例如：--reason \"日期登记错误，按原件更正\"")
        unknown = [name for name in fields if name not in EDITABLE_FIELDS]
        if unknown:
            allowed = "、".join(f"{label}（{name}）" for name, label in EDITABLE_FIELDS.items())
            raise ArchiveError(f"不能修改“{'、'.join(unknown)}”：可修改的只有 {allowed}。"
                               "档号、保管期限和文件本身（格式、页数、大小、sha256）归档后不能改动")
        if not fields:
            raise ArchiveError("没有给出要修改的内容，请至少指定一项，如 --title 新题名 或 --date 2020-03-15")
        wanted = {name: _edited_value(name, value) for name, value in fields.items()}
        with self._lock():
            state = self._state()
            items = self._fold(state)
            item = self._live_item(items, archive_no, "撤回的文件不能修改元数据")
            changes = {}
            for name, new in wanted.items():
                old = getattr(item, name)
                if name == "tags":
                    old = list(old or [])
                if old != new:
                    changes[name] = {"old": old, "new": new}
            if not changes:
                given = "、".join(EDITABLE_FIELDS[name] for name in wanted)
                raise ArchiveError(f"{item.archive_no} 的{given}与给出的值相同，没有需要修改的内容")
            detail = {"archive_no": item.archive_no, "reason": reason, "changes": changes}
            record = self.journal.append(state, "change", detail, who)
        apply_change(item, record)
        self.last_change, self.last_index_error = record, None
        if index:
            from .extract import extract_text
            try:
                text = extract_text(self.file_path(item), item.file_name)
            except Exception:  # unreadable bytes: verify reports them; the index keeps the metadata
                text = ""
            self.last_index_error = self._index(item, text)
        return item

    def log_event(self, action: str, detail: dict, who: str | None = None) -> dict:
        """Append any event (ledger changes, pack exports …) to the audit log."""
        if action in ("add", "withdraw", "change"):
            raise ArchiveError(f"“{action}”是档案保留的操作名，请换一个名称记录事件")
        with self._lock():
            state = self._state()
            return self.journal.append(state, action, dict(detail), who)

    def verify(self):
        from .verify import verify_archive
        return verify_archive(self)
