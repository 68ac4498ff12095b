"""The archive store: original bytes kept read-only, described by the catalog.

Layout inside workspace/archive/:
  objects/ab/<sha256><.ext>   every stored file, content-addressed and read-only (0444):
                              the path depends only on the bytes, so a file is stored once
                              and no metadata (title, name with '../') ever forms a path
  journal.jsonl (+ .head)     the embedded catalog: append-only, hash-chained (journal.py)
  tmp/                        files being copied in; never referenced by the catalog
  .lock                       cross-process lock around numbering and appends

An add copies the file to tmp/ while hashing it, fsyncs, renames it into objects/,
and only then appends the catalog record: killed at any point before that append,
it leaves at most an unreferenced object and no item.

The archive knows nothing of the search index: filing.py files a document and
then updates the index, so the index stays derived and the stages one-way.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import time
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import fsync_dir
from ..hashing import Digests, TooLarge, copy_and_hash
from ..text_safety import clean_text
from .catalog import CATALOGS, Catalog
from .errors import ArchiveError
from .extract import Extracted, inspect_file, safe_file_name
from .item import DIGEST_ACTION, EDITABLE_FIELDS, ArchiveItem, apply_change, page_count
from .journal import default_user, local_time, now_iso
from .kinds import normalize_kind
from .numbering import (archive_year, check_code, format_archive_no, match_archive_nos, normalize_retention,
                        sequence_key)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # 100 MB: above this, ask the user to split/compress
SECRECY_LEVELS = ("无", "公开", "内部", "秘密", "机密", "绝密")
RESERVED_ACTIONS = ("add", "withdraw", "change", DIGEST_ACTION)
STALE_PART_SECONDS = 3600  # a temporary copy this old belongs to an add that was killed


def open_catalog(workspace, chain: str = "archive") -> Catalog:
    """The catalog fupin.toml's `[archive] catalog` names (the journal by default).
    CHAIN "access": the access log's chain, kept the same way beside it."""
    name = workspace.config.archive.catalog
    if name not in CATALOGS:
        raise ArchiveError(f"fupin.toml 的 [archive] catalog = “{name}” 无效，可用：{'、'.join(CATALOGS)}")
    module, cls = CATALOGS[name].split(":")
    return getattr(importlib.import_module(module), cls).for_workspace(workspace, chain)


@dataclass
class ChangeResult:
    item: ArchiveItem  # with its new values
    record: dict  # the catalog record: seq, at, who, detail{archive_no, reason, changes}

    @property
    def changes(self) -> dict:
        return (self.record.get("detail") or {}).get("changes") or {}


def _check_secrecy(secrecy) -> str | None:
    secrecy = clean_text(secrecy or "").strip() or None
    if secrecy is not None and not secrecy.startswith(SECRECY_LEVELS):
        raise ArchiveError(f"密级“{secrecy}”无效，可用：{'、'.join(SECRECY_LEVELS)}（可带保密期限，如“秘密★1年”）")
    return secrecy


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = [tags]
    seen: list[str] = []
    for tag in tags or ():
        tag = clean_text(str(tag)).strip()
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
    text = "" if value is None else clean_text(str(value)).strip()
    if name == "kind":
        text = normalize_kind(text) or ""
    if not text and name in ("title", "kind"):
        raise ArchiveError(f"{EDITABLE_FIELDS[name]}不能改为空，请给出新的{EDITABLE_FIELDS[name]}")
    return text or None


@dataclass
class AddResult:
    item: ArchiveItem
    created: bool  # False: the same bytes were already archived; item is that one
    date_source: str | None = None  # no date given: "成文日期"/"印发日期"/"拍摄日期" found in the file
    text: str = field(default="", repr=False)  # the text extracted while filing, for the index


def _parse_date(value) -> str | None:
    """2020-03-15, 2020年3月15日 or a date → ISO; ArchiveError in parse_date's words."""
    if value is None or value == "":
        return None
    import datetime as dt

    from ..inputs.fields import cn_date, parse_date
    try:
        day = parse_date(value)
    except ValueError as err:
        raise ArchiveError(f"日期有误：{err}", field="date") from None
    # The year goes into the 档号 for good: a typo such as 2099 must not.
    if day > dt.date.today():
        raise ArchiveError(f"日期 {cn_date(day)} 晚于今天，材料的形成日期不能在将来，请核对", field="date")
    return day.isoformat()


class Archive:
    def __init__(self, workspace, *, max_bytes: int = DEFAULT_MAX_BYTES, catalog: Catalog | None = None):
        self.workspace = workspace
        self.root = Path(workspace.archive_dir)
        self.objects_dir = self.root / "objects"
        self.tmp_dir = self.root / "tmp"
        self.max_bytes = max_bytes
        cfg = workspace.config.archive
        self.fonds = check_code("fonds", cfg.fonds)
        self.category = check_code("category", cfg.category)
        self.org_code = check_code("org_code", cfg.org_code)
        try:
            self.default_retention = normalize_retention(cfg.retention)
        except ArchiveError as err:
            raise ArchiveError(f"fupin.toml 的 [archive] retention 有误：{err}") from None
        self.catalog = catalog if catalog is not None else open_catalog(workspace)

    # ---- reading -------------------------------------------------------------
    def items(self, include_withdrawn: bool = False) -> list[ArchiveItem]:
        return [item for item in self.catalog.items().values() if include_withdrawn or not item.withdrawn]

    def get(self, archive_no: str) -> ArchiveItem | None:
        """The item ARCHIVE_NO names, typed any way match_archive_nos accepts (hyphen or
        '.' for '·', lower case, the bare 件号 …); None when there is none; ArchiveError
        listing the candidates when a short form names several."""
        return self._find(self.catalog.items(), archive_no)

    def require(self, archive_no: str) -> ArchiveItem:
        """As get(), but an unknown 档号 is an ArchiveError."""
        item = self.get(archive_no)
        if item is None:
            raise ArchiveError(f"档案中没有档号为“{archive_no}”的文件", hint="archive.list")
        return item

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

    def head(self):
        """The catalog chain's head (ChainHead: seq, hash), for packs and anchors."""
        return self.catalog.head()

    def events(self) -> list[dict]:
        """Every catalog record (add, withdraw, change, and events logged by other stages)."""
        return self.catalog.events()

    def history(self, item: ArchiveItem) -> list[dict]:
        """The catalog records that concern ITEM, oldest first."""
        return [event for event in self.events()
                if (event.get("detail") or {}).get("archive_no") == item.archive_no
                or item.archive_no in ((event.get("detail") or {}).get("archive_nos") or [])]

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

    def _clean_stale_parts(self) -> None:
        """Remove what killed adds left in tmp/. Only old ones: a part that another
        add is copying right now is younger than any copy can take."""
        if not self.tmp_dir.exists():
            return
        cutoff = time.time() - STALE_PART_SECONDS
        for part in self.tmp_dir.glob("*.part"):
            with contextlib.suppress(OSError):
                if part.stat().st_mtime < cutoff:
                    part.unlink()

    def _copy_in(self, path: Path) -> tuple[Path, Digests]:
        """Copy PATH into tmp/ while taking its SHA-256 and SM3 (one read); fsync.
        Returns (temp path, Digests(sha256, sm3, size))."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="add-", suffix=".part", dir=self.tmp_dir)
        try:
            with os.fdopen(fd, "wb") as target:
                digests = copy_and_hash(path, target, limit=self.max_bytes)
                target.flush()
                os.fsync(target.fileno())
        except TooLarge:
            Path(tmp).unlink(missing_ok=True)
            raise ArchiveError(f"“{path.name}”在读取时超过了归档上限，请拆分后再归档") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp), digests

    def _store_object(self, tmp: Path, sha256: str, file_name: str) -> Path:
        target = self.object_path(sha256, file_name)
        if target.exists():
            tmp.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        fsync_dir(target.parent)
        return target

    def add(self, path, *, kind=None, title=None, unit=None, date=None, tags=(), doc_number=None,
            issuer=None, secrecy=None, retention=None, renditions=(), how="手工添加",
            who=None, date_from_text=True) -> AddResult:
        """File PATH. Without DATE, the date is the 成文日期 (or 印发日期) clearly shown at
        the end of the document's text (a photo's 拍摄日期) when DATE_FROM_TEXT, and
        AddResult.date_source says which. With no date at all the file is refused:
        the 档号 is numbered in the date's year for good (DA/T 22), so a guess
        such as "this year" would put it in the wrong year's sequence."""
        source = self._check_source(path)
        file_name = safe_file_name(source.name)
        info: Extracted = inspect_file(source, file_name)
        iso_date = _parse_date(date)
        date_source = None
        if iso_date is None:
            if date_from_text and info.date_hint:
                iso_date, date_source = info.date_hint[0].isoformat(), info.date_hint[1]
        retention = normalize_retention(retention) or self.default_retention
        secrecy = _check_secrecy(secrecy)
        kind = normalize_kind(clean_text(kind) if kind else kind) or ("照片" if info.format in ("jpeg", "png", "gif", "bmp", "tiff", "webp") else "other")
        title = clean_text(title or "").strip() or clean_text(info.title_hint or "").strip() \
            or clean_text(Path(file_name).stem)
        tags = _clean_tags(tags)
        unit, doc_number, issuer = (clean_text(str(v)).strip() or None if v else None
                                    for v in (unit, doc_number, issuer))
        how = clean_text(how)
        extra = []
        for rendition in renditions:
            rpath = self._check_source(rendition)
            rname = safe_file_name(rpath.name)
            extra.append((rpath, rname, inspect_file(rpath, rname)))

        self._clean_stale_parts()
        tmp, digests = self._copy_in(source)
        sha256, size = digests.sha256, digests.size
        staged = []
        try:
            for rpath, rname, rinfo in extra:
                rtmp, rdigests = self._copy_in(rpath)
                staged.append((rtmp, rdigests, rname, rinfo))
            with self.catalog.writing() as writer:
                items = writer.items
                for existing in items.values():
                    # A withdrawn item keeps its bytes but is no longer on file: filing the same
                    # content again makes a new item (the stored object is shared, not copied).
                    if existing.sha256 == sha256 and not existing.withdrawn:
                        return AddResult(existing, False)  # no date_source: nothing was dated
                if iso_date is None:  # asked only now: a file already on file needs no date
                    raise ArchiveError(f"找不到“{file_name}”的日期（文件末尾没有成文日期，照片没有拍摄日期）："
                                       "请给出文件的形成日期，档号的年度取自这个日期", field="date")
                year = int(iso_date[:4])
                key = (self.fonds, self.category, year, retention, self.org_code)
                used = [int(no[-4:]) for no in items if sequence_key(no) == key]
                archive_no = format_archive_no(*key, (max(used) + 1) if used else 1)
                self._store_object(tmp, sha256, file_name)
                rendition_records = []
                for rtmp, rdigests, rname, rinfo in staged:
                    self._store_object(rtmp, rdigests.sha256, rname)
                    rendition_records.append({"file_name": rname, "sha256": rdigests.sha256, "sm3": rdigests.sm3,
                                              "format": rinfo.format, "size": rdigests.size, "pages": rinfo.pages})
                item = ArchiveItem(
                    archive_no=archive_no, title=title, kind=kind, unit=unit or None, date=iso_date,
                    doc_number=doc_number or None, issuer=issuer or None, secrecy=secrecy,
                    retention=retention, pages=page_count(info.format, info.pages, rendition_records),
                    format=info.format, file_name=file_name,
                    size=size, sha256=sha256, sm3=digests.sm3, tags=tags, added_at=now_iso(), how=how,
                    renditions=rendition_records,
                    date_source=date_source)
                detail = item.to_json()
                for derived in ("kind_label", "retention_label", "withdrawn", "withdraw_reason", "withdrawn_at",
                                "changed_at", "changed_by"):
                    detail.pop(derived, None)
                if detail.get("date_source") is None:
                    detail.pop("date_source", None)
                detail["added_by"] = who = who or default_user()
                record = writer.append("add", detail, who)
                item.added_by = record["who"]
                item.added_at = record["at"]
        finally:
            tmp.unlink(missing_ok=True)
            for rtmp, *_ in staged:
                rtmp.unlink(missing_ok=True)
        return AddResult(item, True, date_source=date_source, text=info.text or "")

    def _live_item(self, items, archive_no: str, if_withdrawn: str) -> ArchiveItem:
        """The item ARCHIVE_NO names, refusing an unknown or withdrawn one."""
        item = self._find(items, archive_no)
        if item is None:
            raise ArchiveError(f"档案中没有档号为“{archive_no}”的文件", hint="archive.list")
        if item.withdrawn:
            raise ArchiveError(f"{item.archive_no} 已于 {local_time(item.withdrawn_at)} 撤回，{if_withdrawn}")
        return item

    def withdraw(self, archive_no: str, reason: str, who: str | None = None) -> ArchiveItem:
        reason = clean_text(reason or "").strip()
        if not reason:
            raise ArchiveError("撤回必须写明原因，例如“重复归档”", field="reason")
        with self.catalog.writing() as writer:
            item = copy.copy(self._live_item(writer.items, archive_no, "无需重复撤回"))
            record = writer.append("withdraw", {"archive_no": item.archive_no, "reason": reason}, who)
        item.withdrawn, item.withdraw_reason, item.withdrawn_at = True, reason, record["at"]
        return item

    def change(self, archive_no: str, *, who: str | None = None, reason: str, **fields) -> "ChangeResult":
        """Correct ARCHIVE_NO's descriptive metadata (EDITABLE_FIELDS: title, date, unit,
        kind, doc_number, issuer, secrecy, tags — tags replaces the whole list; None or ""
        clears an optional field). Appends one hash-chained 'change' record with who,
        when, REASON and {field: {old, new}} for each field that really changes; the
        bytes, sha256 and the 档号 (its year included) stay as they are. Returns the
        item with its new values and the record appended; ArchiveError for a withdrawn item, an unknown field,
        no reason or nothing to change."""
        reason = clean_text(reason or "").strip()
        if not reason:
            raise ArchiveError("修改元数据必须写明原因，例如“日期登记错误，按原件更正”", field="reason")
        unknown = [name for name in fields if name not in EDITABLE_FIELDS]
        if unknown:
            allowed = "、".join(f"{label}（{name}）" for name, label in EDITABLE_FIELDS.items())
            raise ArchiveError(f"不能修改“{'、'.join(unknown)}”：可修改的只有 {allowed}。"
                               "档号、保管期限和文件本身（格式、页数、大小、sha256）归档后不能改动")
        if not fields:
            raise ArchiveError("没有给出要修改的内容，请至少给出一项，如新的题名或日期", field="changes")
        wanted = {name: _edited_value(name, value) for name, value in fields.items()}
        with self.catalog.writing() as writer:
            item = copy.copy(self._live_item(writer.items, archive_no, "撤回的文件不能修改元数据"))
            year = archive_year(item.archive_no)
            new_date = wanted.get("date")
            if "date" in wanted and year is not None and (new_date is None or int(new_date[:4]) != year):
                raise ArchiveError(
                    f"{item.archive_no} 的档号按 {year} 年度编号，"
                    + (f"新日期 {new_date} 在 {new_date[:4]} 年度" if new_date else "日期不能清空")
                    + "：档号按年度连续编排，改到另一年度会使两个年度的件号都不对。"
                      "请撤回该件（写明“日期登记错误”），再按正确日期重新归档同一文件", field="date",
                    hint="archive.refile")
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
            record = writer.append("change", detail, who)
        apply_change(item, record)
        return ChangeResult(item, record)

    def log_event(self, action: str, detail: dict, who: str | None = None) -> dict:
        """Append any event (ledger changes, pack exports …) to the audit log."""
        if action in RESERVED_ACTIONS:
            raise ArchiveError(f"“{action}”是档案保留的操作名，请换一个名称记录事件")
        with self.catalog.writing() as writer:
            return writer.append(action, dict(detail), who)

    def verify(self, anchors=()):
        """Check the catalog, the files and the chain against ANCHORS (and those remembered)."""
        from .verify import verify_archive
        return verify_archive(self, anchors)
