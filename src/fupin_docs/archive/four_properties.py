"""`archive check`: the DA/T 70-2018 四性检测, item by item.

Each check is one row of the standard's tables (检测项目): it says what was
checked, how many, and names the 档号 of every item that fails. Where the
standard's number for the 归档 stage could be confirmed (GD-x-y: 真实性 1,
完整性 2, 可用性 3, 安全性 4), the row carries it; rows without a confirmed
number carry None and their plain name.

The check reads what it checks through `Holdings`: the workspace's archive
today (either catalog, through the Archive), a received transfer package
(DA/T 93 移交) later, as a second implementation of the same few reads.
"""

from __future__ import annotations

import os
import platform
import re
import stat
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from ..errors import UserError
from ..hashing import file_digests
from .anchor import check_anchors
from .extract import _IMAGE_MAGIC, IMAGE_EXTS, TEXT_EXTS, inspect_file
from .item import DIGEST_ACTION, ArchiveItem, fold_events, record_problems
from .journal import now_iso
from .numbering import RETENTIONS, parse_archive_no, sequence_key

PASS, FAIL, NA = "通过", "不通过", "不适用"
PROPERTIES = ("真实性", "完整性", "可用性", "安全性")
# 检测阶段 -> the prefix of that stage's table in DA/T 70-2018 (only 归档's numbers were confirmed)
STAGES = {"归档": "GD", "移交": "YJ", "保存": "BC"}
CHECK_ACTION = "check"  # the journal record each run leaves: stage and result counts

# Our own limits (DA/T 46 gives a field's type, not its length): 题名 as an office
# writes it fits in 200 characters; a longer one is a paste accident or a forged record.
TITLE_MAX = 200
TEXT_MAX = 200  # 责任者, 单位, 文件编号, 原文件名
SHOWN = 10  # 档号 named per failing row; the rest are counted
SECRECY_LEVELS = ("无", "公开", "内部", "秘密", "机密", "绝密")
EARLIEST_YEAR = 1949  # no 文书 of this office's kind predates the 全宗 it belongs to
# Formats kept for the long term as they are: OFD (GB/T 33190), PDF/A (checked in the
# file's XMP), and for photographs JPEG/TIFF (DA/T 50 数码照片归档与管理规范).
PHOTO_FORMATS = ("jpeg", "tiff")
# What each extension the archive keeps by metadata only claims to be, by its first bytes.
_CLAIMED_MAGIC = {
    "ofd": (b"PK\x03\x04",), "zip": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",), "xls": (b"\xd0\xcf\x11\xe0",), "ppt": (b"\xd0\xcf\x11\xe0",),
    "wps": (b"\xd0\xcf\x11\xe0",), "et": (b"\xd0\xcf\x11\xe0",),
    "rar": (b"Rar!",), "7z": (b"7z\xbc\xaf",),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Holdings(Protocol):
    """What a check reads. ArchiveHoldings reads the workspace's archive; a transfer
    package reader (移交) is a second implementation."""

    fonds: str
    org_code: str

    def items(self) -> dict[str, ArchiveItem]:
        """archive_no -> item, withdrawn ones included."""

    def events(self) -> list[dict]:
        """Every record of the chain, in order."""

    def chain_problems(self) -> tuple[list[str], list[str], int]:
        """(problems with the chain itself, problems with its anchors, anchors checked)."""

    def file_path(self, item: ArchiveItem) -> Path: ...

    def rendition_paths(self, item: ArchiveItem) -> list[Path]: ...

    def stored_files(self) -> list[Path]:
        """Every file in the store, referenced or not."""

    def referenced_name(self, path: Path) -> str:
        """The SHA-256 a stored file's name stands for."""


class ArchiveHoldings:
    """The workspace's archive, through the Archive and its catalog (either backend)."""

    def __init__(self, archive):
        self.archive = archive
        self.fonds, self.org_code = archive.fonds, archive.org_code
        self._chain = None

    def _check(self):
        if self._chain is None:
            self._chain = self.archive.catalog.check_chain()
        return self._chain

    def items(self):
        return dict(self.archive.catalog.items())

    def events(self):
        return self._check().events

    def chain_problems(self):
        chain = self._check()
        anchor_problems, _, checked = check_anchors(self.archive, chain.events, [])
        return list(chain.problems), list(anchor_problems), len(checked)

    def file_path(self, item):
        return self.archive.file_path(item)

    def rendition_paths(self, item):
        return self.archive.rendition_paths(item)

    def stored_files(self):
        root = self.archive.objects_dir
        return sorted(p for p in root.rglob("*") if not p.is_dir()) if root.exists() else []

    def referenced_name(self, path):
        return path.name.split(".")[0]


@dataclass
class CheckItem:
    key: str  # stable ASCII id, e.g. "authenticity.fixity"
    code: str | None  # DA/T 70-2018 检测项目编号 for the stage, None when not confirmed
    property: str  # 真实性/完整性/可用性/安全性
    name: str  # 检测项目
    result: str = PASS
    basis: str = ""  # what was checked and how many (说明)
    failures: list = field(default_factory=list)  # one line per failing item, naming its 档号
    notes: list = field(default_factory=list)  # worth knowing, not a failure

    def fail(self, message: str) -> None:
        self.result = FAIL
        self.failures.append(message)

    @property
    def explanation(self) -> str:
        """说明 as the report prints it: what was checked, then what failed."""
        text = self.basis
        if self.failures:
            shown = "；".join(self.failures[:SHOWN])
            more = f"，另有 {len(self.failures) - SHOWN} 处" if len(self.failures) > SHOWN else ""
            text += f"。不通过：{shown}{more}"
        if self.notes:
            text += "。" + "；".join(self.notes)
        return text

    def to_json(self) -> dict:
        return {"key": self.key, "code": self.code, "property": self.property, "name": self.name,
                "result": self.result, "basis": self.basis, "failures": list(self.failures),
                "notes": list(self.notes), "explanation": self.explanation}


@dataclass
class CheckReport:
    stage: str
    fonds: str
    office: str
    checked_at: str
    tool: str
    environment: dict  # tool, python, os
    items_on_file: int = 0
    withdrawn: int = 0
    files: int = 0
    bytes: int = 0
    checks: list = field(default_factory=list)
    logged_seq: int | None = None  # the journal record this run was logged as

    def counts(self) -> dict:
        return {result: sum(1 for c in self.checks if c.result == result) for result in (PASS, FAIL, NA)}

    @property
    def ok(self) -> bool:
        return not any(c.result == FAIL for c in self.checks)

    def to_json(self) -> dict:
        """Stable keys: ok, stage, fonds, office, checked_at, tool, environment{tool, python, os},
        items, withdrawn, files, bytes, counts{通过, 不通过, 不适用}, logged_seq,
        checks[{key, code, property, name, result, basis, failures[], notes[], explanation}]."""
        return {"ok": self.ok, "stage": self.stage, "fonds": self.fonds, "office": self.office,
                "checked_at": self.checked_at, "tool": self.tool, "environment": dict(self.environment),
                "items": self.items_on_file, "withdrawn": self.withdrawn, "files": self.files,
                "bytes": self.bytes, "counts": self.counts(), "logged_seq": self.logged_seq,
                "checks": [c.to_json() for c in self.checks]}


def environment() -> dict:
    """The software environment the check ran in (DA/T 70: 软硬件环境 recorded)."""
    from .. import __version__
    return {"tool": f"fupin-docs {__version__}", "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}（{platform.machine()}）"}


def _label(item: ArchiveItem) -> str:
    return f"{item.archive_no}《{item.title}》" if item.title else item.archive_no


def _sniff(path: Path) -> str | None:
    """The format a file's own bytes say it is (None: none this check knows)."""
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if head.startswith(b"%PDF-"):
        return "pdf"
    for fmt, magics in _IMAGE_MAGIC.items():
        if any(head.startswith(m) for m in magics) and (fmt != "webp" or head[8:12] == b"WEBP"):
            return fmt
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, OSError):
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "OFD.xml" in names:
            return "ofd"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole2"
    return None


def _claimed(fmt: str) -> tuple | None:
    """What the recorded format says the first bytes are, or None when it says nothing checkable."""
    if fmt in ("pdf", "docx", "xlsx", "xlsm", "ofd") or fmt in _IMAGE_MAGIC:
        return (fmt,)
    if fmt in _CLAIMED_MAGIC:
        return ("ole2",) if _CLAIMED_MAGIC[fmt][0].startswith(b"\xd0") else ("zip", "docx", "xlsx", "ofd")
    return None


def _ext_format(file_name: str) -> str:
    ext = Path(file_name).suffix.lower()
    if ext in IMAGE_EXTS:
        return IMAGE_EXTS[ext]
    if ext in TEXT_EXTS:
        return TEXT_EXTS[ext]
    return {".xlsm": "xlsx"}.get(ext, ext.lstrip(".") or "bin")


def pdfa_part(path: Path) -> str | None:
    """The PDF/A part (and conformance) the file's XMP declares, e.g. '2B'; None when none."""
    from pypdf import PdfReader
    try:
        reader = PdfReader(str(path))
        metadata = reader.trailer["/Root"].get("/Metadata")
        if metadata is None:
            return None
        xmp = metadata.get_object().get_data().decode("utf-8", "replace")
    except Exception:
        return None
    part = re.search(r"pdfaid:part(?:=\"|>)\s*(\d)", xmp)
    level = re.search(r"pdfaid:conformance(?:=\"|>)\s*([A-Za-z])", xmp)
    return (part.group(1) + (level.group(1).upper() if level else "")) if part else None


@dataclass
class _Opened:
    ok: bool
    text: str = ""
    why: str = ""


def _open(path: Path, fmt: str, file_name: str) -> _Opened:
    """Open PATH by its format, as filing reads it (extract.inspect_file: PDF via pypdf,
    DOCX via python-docx, XLSX via openpyxl, images by their header, OFD as its
    package's XML through ofd_reader)."""
    try:
        info = inspect_file(path, file_name)
        return _Opened(True, info.text or "")
    except UserError as err:
        return _Opened(False, why=str(err))
    except Exception as err:  # a parser's own failure is the finding
        return _Opened(False, why=f"无法打开（{type(err).__name__}）")


@dataclass
class _File:
    """One stored file (an item's own or a rendition) as this run found it."""
    item: ArchiveItem
    label: str
    path: Path
    record: dict  # file_name, sha256, sm3, format, size as recorded
    exists: bool = False
    size: int | None = None
    sha256: str | None = None
    sm3: str | None = None
    sniffed: str | None = None
    writable: bool = False
    unreadable: str = ""
    opened: _Opened | None = None


def _files_of(holdings: Holdings, item: ArchiveItem) -> list[_File]:
    own = {"file_name": item.file_name, "sha256": item.sha256, "sm3": item.sm3, "format": item.format,
           "size": item.size}
    files = [_File(item, _label(item), holdings.file_path(item), own)]
    for rendition, path in zip(item.renditions, holdings.rendition_paths(item)):
        files.append(_File(item, f"{_label(item)}的副本 {rendition.get('file_name')}", path, dict(rendition)))
    return files


def _read(found: _File) -> None:
    try:
        info = os.lstat(found.path)
    except FileNotFoundError:
        return
    except OSError as err:
        found.exists, found.unreadable = True, err.strerror or str(err)
        return
    found.exists = True
    if not stat.S_ISREG(info.st_mode):
        found.unreadable = "被换成了链接、管道或设备"
        return
    found.size = info.st_size
    found.writable = bool(stat.S_IMODE(info.st_mode) & 0o222)
    try:
        digests = file_digests(found.path)
        found.sha256, found.sm3 = digests.sha256, digests.sm3
        found.sniffed = _sniff(found.path)
    except OSError as err:
        found.unreadable = err.strerror or str(err)
        return
    if found.sha256 == found.record.get("sha256"):  # opened only when intact: damage is 真实性's finding
        found.opened = _open(found.path, str(found.record.get("format") or ""), str(found.record.get("file_name") or ""))


def _text_fields(item: ArchiveItem) -> dict:
    return {"题名": item.title, "责任者": item.issuer, "单位": item.unit, "文件编号": item.doc_number,
            "原文件名": item.file_name, "文种": item.kind, "密级": item.secrecy}


def check_holdings(holdings: Holdings, stage: str = "归档", *, office: str = "", today: date | None = None,
                   progress=None) -> CheckReport:
    """Run every DA/T 70 check that applies to HOLDINGS at STAGE. PROGRESS(done, total)
    is called as files are read. Nothing is written (check_archive logs the run)."""
    if stage not in STAGES:
        raise UserError(f"检测阶段“{stage}”无效，可用：{'、'.join(STAGES)}", field="stage")
    today = today or date.today()
    env = environment()
    report = CheckReport(stage, holdings.fonds, office, now_iso(), env["tool"], env)
    prefix = STAGES[stage] if stage == "归档" else None

    def row(key, number, prop, name):
        check = CheckItem(key, f"{prefix}-{number}" if prefix and number else None, prop, name)
        report.checks.append(check)
        return check

    events = holdings.events()
    chain_problems, anchor_problems, remembered = holdings.chain_problems()
    items = holdings.items()
    folded = fold_events(events)
    live = [item for item in items.values() if not item.withdrawn]
    report.items_on_file, report.withdrawn = len(live), len(items) - len(live)
    files = [found for item in items.values() for found in _files_of(holdings, item)]
    for done, found in enumerate(files, 1):
        _read(found)
        if progress is not None:
            progress(done, len(files))
    report.files = sum(1 for f in files if f.exists)
    report.bytes = sum(f.size or 0 for f in files)

    # ---- 真实性 ---------------------------------------------------------------
    fixity = row("authenticity.fixity", "1-1", "真实性", "固化信息有效性检测（数字摘要 SHA-256、SM3）")
    with_sm3 = 0
    for f in files:
        if not f.exists or f.unreadable or f.sha256 is None:
            continue  # missing: 完整性; unreadable: 可用性
        if f.sha256 != f.record.get("sha256"):
            fixity.fail(f"{f.label} 的校验值（SHA-256）与归档时不符，文件内容已被改动")
            continue
        recorded_sm3 = f.record.get("sm3")
        if recorded_sm3:
            with_sm3 += 1
            if recorded_sm3 != f.sm3:
                fixity.fail(f"{f.label} 的 SM3 摘要与记录不符（文件或记录被改动过）")
    fixity.basis = f"核对 {sum(1 for f in files if f.sha256)} 个文件的 SHA-256，其中 {with_sm3} 个同时核对 SM3"
    lacking = sum(1 for f in files if f.sha256 and not f.record.get("sm3"))
    if lacking:
        fixity.notes.append(f"{lacking} 个文件归档时还未记录 SM3 摘要，只核对了 SHA-256（可运行“补记 SM3 摘要”）")

    length = row("authenticity.length", "1-2", "真实性", "元数据项数据长度检测")
    for item in items.values():
        if item.title and len(item.title) > TITLE_MAX:
            length.fail(f"{item.archive_no} 的题名长 {len(item.title)} 字，超过 {TITLE_MAX} 字")
        for name, value in _text_fields(item).items():
            if name != "题名" and isinstance(value, str) and len(value) > TEXT_MAX:
                length.fail(f"{item.archive_no} 的{name}长 {len(value)} 字，超过 {TEXT_MAX} 字")
    length.basis = f"{len(items)} 件的题名不超过 {TITLE_MAX} 字，责任者、单位、文件编号、原文件名不超过 {TEXT_MAX} 字"

    types = row("authenticity.types", "1-3", "真实性", "元数据项数据类型、格式检测")
    for item in items.values():
        wrong = []
        if item.date:
            try:
                date.fromisoformat(item.date)
            except (TypeError, ValueError):
                wrong.append(f"日期“{item.date}”不是有效日期")
        if not isinstance(item.size, int) or isinstance(item.size, bool):
            wrong.append("大小不是整数")
        if item.pages is not None and (not isinstance(item.pages, int) or item.pages < 0):
            wrong.append("页数不是非负整数")
        if not _HEX64.match(item.sha256 or ""):
            wrong.append("校验值不是 64 位十六进制数字")
        if item.sm3 is not None and not _HEX64.match(item.sm3):
            wrong.append("SM3 摘要不是 64 位十六进制数字")
        if wrong:
            types.fail(f"{item.archive_no}：{'、'.join(wrong)}")
    types.basis = f"{len(items)} 件的日期（年-月-日）、大小、页数、校验值、SM3 摘要的类型和格式"

    ranges = row("authenticity.range", "1-4", "真实性", "设定值域的元数据项值域符合度检测")
    for item in items.values():
        if item.retention not in RETENTIONS:
            ranges.fail(f"{item.archive_no} 的保管期限“{item.retention}”不在 Y、D30、D10 之中")
        parts = parse_archive_no(item.archive_no)
        if parts and parts["retention"] != item.retention:
            ranges.fail(f"{item.archive_no} 档号中的保管期限与元数据“{item.retention}”不一致")
        if item.secrecy and not item.secrecy.startswith(SECRECY_LEVELS):
            ranges.fail(f"{item.archive_no} 的密级“{item.secrecy}”不在{'、'.join(SECRECY_LEVELS)}之中")
    ranges.basis = f"{len(items)} 件的保管期限（永久 Y、定期30年 D30、定期10年 D10）和密级"

    reasonable = row("authenticity.reasonable", "1-5", "真实性", "元数据项数据值合理性检测")
    for item in items.values():
        try:
            day = date.fromisoformat(item.date) if item.date else None
        except (TypeError, ValueError):
            continue  # 1-3's finding
        year = (parse_archive_no(item.archive_no) or {}).get("year")
        if day and day > today:
            reasonable.fail(f"{item.archive_no} 的日期 {item.date} 晚于检测当天 {today.isoformat()}")
        if day and day.year < EARLIEST_YEAR:
            reasonable.fail(f"{item.archive_no} 的日期 {item.date} 早于 {EARLIEST_YEAR} 年")
        if day and year and day.year != year:
            reasonable.fail(f"{item.archive_no} 的日期 {item.date} 不在档号的年度 {year} 年内")
        if item.added_at and item.added_at[:10] > today.isoformat():
            reasonable.fail(f"{item.archive_no} 的归档时间 {item.added_at[:10]} 晚于检测当天")
        if isinstance(item.size, int) and item.size <= 0:
            reasonable.fail(f"{item.archive_no} 的大小为 {item.size} 字节")
    reasonable.basis = (f"{len(items)} 件的日期不晚于检测当天、不早于 {EARLIEST_YEAR} 年、与档号年度一致，"
                        "归档时间不晚于检测当天，大小大于 0")

    special = row("authenticity.characters", "1-6", "真实性", "元数据项数据包含特殊字符检测")
    for item in items.values():
        bad = [name for name, value in _text_fields(item).items()
               if isinstance(value, str) and (_CONTROL.search(value) or unicodedata.normalize("NFC", value) != value)]
        if bad:
            special.fail(f"{item.archive_no} 的{'、'.join(bad)}含控制字符或不可见字符")
    special.basis = f"{len(items)} 件的题名、责任者、单位、文件编号、原文件名、文种、密级"

    numbers = row("authenticity.archive_no", "1-7", "真实性", "档号规范性检测（DA/T 22）")
    for no, item in items.items():
        parts = parse_archive_no(no)
        if parts is None:
            numbers.fail(f"档号“{no}”不符合 全宗号-门类代码·年度-保管期限-机构代码-件号 的格式")
        elif parts["seq"] == 0:
            numbers.fail(f"档号“{no}”的件号为 0000")
    numbers.basis = f"{len(items)} 个档号的格式（全宗号-门类代码·年度-保管期限-机构代码-件号，件号四位）"

    duplicates = row("authenticity.duplicates", "1-8", "真实性", "元数据项数据重复性检测")
    adds: dict = {}
    for event in events:
        if event.get("action") == "add" and isinstance(event.get("detail"), dict):
            adds.setdefault(event["detail"].get("archive_no"), []).append(event.get("seq"))
    for no, seqs in sorted(adds.items(), key=lambda pair: str(pair[0])):
        if len(seqs) > 1:
            duplicates.fail(f"档号 {no} 被归档记录使用了 {len(seqs)} 次（第 {'、'.join(map(str, seqs))} 条）")
    by_content: dict = {}
    for item in live:
        by_content.setdefault(item.sha256, []).append(item.archive_no)
    same = [nos for nos in by_content.values() if len(nos) > 1]
    duplicates.basis = f"{len(adds)} 个档号在归档记录中不重复"
    if same:
        duplicates.notes.append(f"内容相同的在档文件 {len(same)} 组（如 {'、'.join(same[0])}），不是档号重复")

    attributes = row("authenticity.attributes", "1-10", "真实性", "内容数据的电子属性一致性检测（文件名、大小、格式）")
    for f in files:
        if not f.exists or f.unreadable:
            continue
        fmt = str(f.record.get("format") or "")
        name = str(f.record.get("file_name") or "")
        if f.size != f.record.get("size"):
            attributes.fail(f"{f.label} 的大小应为 {f.record.get('size')} 字节，实为 {f.size} 字节")
        if _ext_format(name) != fmt and not (fmt == "xlsx" and name.lower().endswith(".xlsm")):
            attributes.fail(f"{f.label} 的文件名扩展名与登记的格式 {fmt} 不一致")
        claimed = _claimed(fmt)
        if claimed and f.sniffed not in claimed:
            actual = f"实为 {f.sniffed.upper()}" if f.sniffed else "文件头不是任何已知格式"
            attributes.fail(f"{f.label} 登记为 {fmt.upper()}（扩展名 {Path(name).suffix}），{actual}")
        elif claimed is None and f.sniffed in ("pdf", "docx", "xlsx", "ofd") + tuple(_IMAGE_MAGIC):
            attributes.fail(f"{f.label} 登记为 {fmt or '无格式'}，文件实为 {f.sniffed.upper()}：扩展名与内容不符")
    attributes.basis = f"{sum(1 for f in files if f.exists)} 个文件的大小、扩展名与登记的格式、文件头所示的实际格式"

    chain = row("authenticity.chain", None, "真实性", "审计日志（元数据记录）哈希链完整性检测")
    for message in chain_problems:
        chain.fail(message)
    chain.basis = f"审计日志 {len(events)} 条记录逐条核对哈希链，未被改写、删除或截短"

    # ---- 完整性 ---------------------------------------------------------------
    totals = row("integrity.count", "2-1", "完整性", "总件数相符性检测")
    malformed = [e.get("seq") for e in events if e.get("action") == "add" and record_problems(e.get("detail"))]
    for seq in malformed:
        totals.fail(f"审计日志第 {seq} 条归档记录格式不对，该件无法读出")
    if len(folded) != len(items):
        totals.fail(f"审计日志中的归档记录合为 {len(folded)} 件，目录中为 {len(items)} 件")
    missing_in_catalog = sorted(set(folded) - set(items))
    for no in missing_in_catalog[:SHOWN]:
        totals.fail(f"{no} 有归档记录，目录中没有")
    totals.basis = (f"审计日志 {sum(len(s) for s in adds.values())} 条归档记录与目录的 {len(items)} 件"
                    f"（在档 {len(live)} 件，撤回 {len(items) - len(live)} 件）相符")

    byte_total = row("integrity.bytes", "2-2", "完整性", "总字节数相符性检测")
    recorded_bytes = sum(int(f.record.get("size") or 0) for f in files)
    journal_bytes = sum(int(i.size or 0) + sum(int(r.get("size") or 0) for r in i.renditions)
                        for i in folded.values())
    if journal_bytes != recorded_bytes:
        byte_total.fail(f"审计日志记录的总字节数 {journal_bytes} 与目录的 {recorded_bytes} 不符")
    if report.bytes != recorded_bytes:
        short = [f for f in files if f.exists and f.size != f.record.get("size")]
        byte_total.fail(f"存储中的文件共 {report.bytes} 字节，登记为 {recorded_bytes} 字节"
                        + (f"（如 {short[0].label}）" if short else "（有文件丢失）"))
    byte_total.basis = f"{len(files)} 个文件（含副本）登记共 {recorded_bytes} 字节，存储中实有 {report.bytes} 字节"

    metadata = row("integrity.metadata", "2-3", "完整性", "元数据项完整性检测（DA/T 46 必备项）")
    office_as_author = 0
    for item in items.values():
        absent = [name for name, value in (("题名", item.title), ("日期", item.date), ("档号", item.archive_no),
                                           ("保管期限", item.retention), ("文种", item.kind),
                                           ("格式", item.format), ("计算机文件名", item.file_name),
                                           ("计算机文件大小", item.size), ("数字摘要", item.sha256),
                                           ("归档时间", item.added_at)) if not value]
        if not (item.issuer or item.unit):
            if office:
                office_as_author += 1
            else:
                absent.append("责任者")
        if absent:
            metadata.fail(f"{item.archive_no} 缺少 {'、'.join(absent)}")
    metadata.basis = (f"{len(items)} 件的题名、日期、责任者、档号、保管期限、文种、格式、计算机文件名、"
                      "计算机文件大小、数字摘要、归档时间")
    if office_as_author:
        metadata.notes.append(f"{office_as_author} 件未单独著录责任者，按立档单位“{office}”计")

    sequence = row("integrity.sequence", "2-6", "完整性", "连续性元数据项检测（件号按年度、保管期限连续）")
    by_key: dict = {}
    for no in items:
        key = sequence_key(no)
        if key:
            by_key.setdefault(key, []).append(parse_archive_no(no)["seq"])
    for key, seqs in sorted(by_key.items()):
        gaps = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
        if gaps:
            prefix_no = f"{key[0]}-{key[1]}·{key[2]}-{key[3]}-{key[4]}"
            shown = "、".join(f"{prefix_no}-{n:04d}" for n in gaps[:SHOWN])
            sequence.fail(f"{key[2]} 年度 {RETENTIONS.get(key[3], key[3])} 缺件号：{shown}"
                          + (f" 等 {len(gaps)} 个" if len(gaps) > SHOWN else ""))
    sequence.basis = (f"{len(by_key)} 个年度/保管期限序列，共 {sum(len(s) for s in by_key.values())} 个件号"
                      "（撤回的件仍占件号，不算缺号）")

    content = row("integrity.content", "2-7", "完整性", "内容数据完整性检测（文件及副本齐全）")
    for f in files:
        if not f.exists:
            content.fail(f"{f.label} 的文件不在存储中")
    renditions = sum(len(i.renditions) for i in items.values())
    content.basis = f"{len(items)} 件的 {len(files) - renditions} 个文件和 {renditions} 个副本"

    # ---- 可用性 ---------------------------------------------------------------
    readable = row("usability.opens", None, "可用性", "内容数据可读性检测（按格式打开）")
    opened_count = 0
    for f in files:
        if f.exists and f.unreadable:
            readable.fail(f"{f.label} 无法读取（{f.unreadable}）")
        elif f.opened is not None:
            if f.opened.ok:
                opened_count += 1
            else:
                readable.fail(f"{f.label} 打不开：{f.opened.why}")
    readable.basis = (f"{opened_count} 个文件按格式打开（PDF 用 pypdf、Word 用 python-docx、Excel 用 openpyxl、"
                      "图片核对文件头、OFD 解析其文档和页面）")

    text = row("usability.text", None, "可用性", "文本可提取性检测")
    text_formats = ("pdf", "docx", "xlsx", "ofd", "txt", "md", "csv")
    with_text = 0
    for item in items.values():
        candidates = [f for f in files if f.item is item and f.opened is not None and f.opened.ok
                      and str(f.record.get("format")) in text_formats]
        if not candidates:
            continue
        if any(f.opened.text.strip() for f in candidates):
            with_text += 1
        else:
            text.notes.append(f"{_label(item)} 提取不到文字（可能是扫描件，需要时可做文字识别）")
    if not any(f.opened is not None and str(f.record.get("format")) in text_formats for f in files):
        text.result = NA
    text.basis = f"{with_text} 件可提取文字（图片类文件不在此列）"
    if len(text.notes) > SHOWN:
        text.notes = text.notes[:SHOWN] + [f"等 {len(text.notes)} 件"]

    long_term = row("usability.format", "3-3", "可用性", "内容数据格式检测（长期保存格式：OFD、PDF/A 或其副本）")
    pdfa_count = ofd_count = photo_count = 0
    for item in live:
        forms = []
        for f in (f for f in files if f.item is item and f.opened is not None and f.opened.ok):
            fmt = str(f.record.get("format"))
            if fmt == "ofd":
                forms.append("OFD")
            elif fmt == "pdf":
                part = pdfa_part(f.path)
                if part:
                    forms.append(f"PDF/A-{part}")
            elif fmt in PHOTO_FORMATS and item.format in PHOTO_FORMATS:
                forms.append(fmt.upper())
        if any(x == "OFD" for x in forms):
            ofd_count += 1
        elif any(x.startswith("PDF/A") for x in forms):
            pdfa_count += 1
        elif forms:
            photo_count += 1
        else:
            long_term.fail(f"{_label(item)}（{item.format.upper()}）既不是 OFD 或 PDF/A，也没有这两种格式的副本")
    long_term.basis = (f"在档 {len(live)} 件：{ofd_count} 件有 OFD、{pdfa_count} 件有 PDF/A（核对 XMP 中的 pdfaid），"
                       f"{photo_count} 件照片为 JPEG/TIFF（DA/T 50）")

    software = row("usability.environment", None, "可用性", "软硬件环境记录检测")
    software.basis = f"检测软件 {env['tool']}，Python {env['python']}，操作系统 {env['os']}（记入本报告和审计日志）"

    # ---- 安全性 ---------------------------------------------------------------
    extra = row("security.extra_files", "4-3", "安全性", "载体中多余文件检测（存储中未登记的文件）")
    referenced = {i.sha256 for i in items.values()} | {r.get("sha256") for i in items.values() for r in i.renditions}
    expected = {f.path for f in files}
    stored = holdings.stored_files()
    for path in stored:
        if holdings.referenced_name(path) not in referenced:
            extra.fail(f"存储中有未登记的文件 {path.name}")
        elif path not in expected:
            extra.fail(f"存储中有名称不符的文件 {path.name}")
    extra.basis = f"存储中 {len(stored)} 个文件，逐个对照目录"

    read_only = row("security.read_only", None, "安全性", "存储文件只读检测")
    for f in files:
        if f.exists and f.writable:
            read_only.fail(f"{f.label} 的文件可被改写（应为只读）")
    read_only.basis = f"{sum(1 for f in files if f.exists)} 个存储文件的权限为只读"

    anchors = row("security.anchors", "4-7", "安全性", "归档过程安全性检测（审计日志与存证相符）")
    for message in anchor_problems:
        anchors.fail(message)
    for message in chain_problems:
        anchors.fail(message)
    anchors.basis = f"审计日志哈希链完整，与 {remembered} 份存证相符" if remembered else "审计日志哈希链完整"
    if not remembered and not anchor_problems:
        anchors.notes.append("尚未做过存证，建议定期把链头存证到工作目录之外")

    logged = row("security.logged", None, "安全性", "检测过程记录（本次检测记入审计日志）")
    logged.basis = "本次检测的阶段和结果计数记入审计日志"
    return report


def check_archive(archive, stage: str = "归档", *, office: str = "", who: str | None = None,
                  log: bool = True, progress=None) -> CheckReport:
    """四性检测 of ARCHIVE (the workspace's, either backend) at STAGE, logged as a
    'check' record with the stage and result counts unless LOG is False."""
    report = check_holdings(ArchiveHoldings(archive), stage, office=office, progress=progress)
    logged = next(c for c in report.checks if c.key == "security.logged")
    if not log:
        logged.result, logged.basis = NA, "本次检测未记入审计日志"
        return report
    counts = report.counts()
    failed = [c.code or c.name for c in report.checks if c.result == FAIL]
    try:
        record = archive.log_event(CHECK_ACTION, {"stage": stage, "passed": counts[PASS], "failed": counts[FAIL],
                                                  "not_applicable": counts[NA], "failed_items": failed,
                                                  "items": report.items_on_file, "tool": report.tool}, who)
    except Exception as err:  # a read-only or busy store: the check stands, the row says why
        logged.fail(f"未能记入审计日志（{err}）")
        return report
    report.logged_seq = record.get("seq")
    logged.basis = f"本次检测已记入审计日志第 {record.get('seq')} 条（阶段、结果计数）"
    return report
