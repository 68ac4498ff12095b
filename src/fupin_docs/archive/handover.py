"""A year's archive as a transfer package (移交包, DA/T 93-2022), and reading one back.

The package (docs/handover.md):

    移交说明.xml              the package: 全宗号, 机构代码, 立档单位, 年度, counts, time, tool
    归档文件目录.pdf / .xlsx   DA/T 22 归档文件目录 of the year
    四性检测报告.pdf            DA/T 70 四性检测 (移交 stage) of the year's items, before export
    档案/<档号>/<files>        each item's original file and its renditions (OFD, PDF/A) as filed
    元数据/<档号>.xml          each item's DA/T 46 metadata, with every file's SHA-256 and SM3
    manifest-sha256.txt       "digest  path" for every other file of the package
    manifest-sm3.txt          the same with SM3 (GB/T 32905)

Withdrawn items are in the package, marked 已撤回 with the reason: their 件号
stays taken (a gap the 档案馆 could not explain otherwise), and their files are
kept in the archive as well.

The package is built in a folder beside the target and renamed into place when
complete, so a stop or a full disk leaves no half package. `PackageHoldings`
reads a received package for `four_properties.check_holdings`: items from the
metadata, files from the folders, the manifests checked; whatever is wrong with
it (a path leading out of the package, an entity declaration in the XML, a
missing, extra or changed file) is a finding naming the 档号, never a crash.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lxml import etree

from ..atomic import atomic_write_bytes, built_folder, fsync_dir
from ..errors import IntegrityError, UserError
from ..hashing import copy_and_hash, file_digests, sm3_hex
from .check_report import write_check_report
from .four_properties import CHECK_ACTION, FAIL, NA, PASS, ArchiveHoldings, CheckReport, check_holdings
from .handover_catalog import CatalogEntry, write_catalog_pdf, write_catalog_xlsx
from .item import ArchiveItem
from .journal import local_time
from .kinds import kind_label
from .numbering import RETENTIONS, archive_year, parse_archive_no
from .store import Archive

FILES_DIR, METADATA_DIR = "档案", "元数据"
PACKAGE_INFO = "移交说明.xml"
CATALOG_PDF, CATALOG_XLSX, REPORT_PDF = "归档文件目录.pdf", "归档文件目录.xlsx", "四性检测报告.pdf"
MANIFESTS = {"sha256": "manifest-sha256.txt", "sm3": "manifest-sm3.txt"}
STAGE = "移交"
BUILDING_MARK = ".移交包生成中-"  # .TARGET.移交包生成中-PID: a package being built beside its target
METADATA_MAX = 1 << 20  # bytes: one item's metadata is a few KB; more is not ours
MANIFEST_MAX = 64 << 20
STANDARD = "DA/T 46-2009"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")


# ---- names ---------------------------------------------------------------------------

def safe_name(name: str, limit: int = 120) -> str:
    """NAME as a file name any system takes: no separators, control or reserved
    characters, no leading dot, at most LIMIT characters (the extension kept)."""
    cleaned = _UNSAFE.sub("_", str(name)).strip().lstrip(".").rstrip(". ")
    if not cleaned:
        cleaned = "文件"
    if len(cleaned) > limit:
        stem, dot, ext = cleaned.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        cleaned = (stem if ext else cleaned)[: limit - len(ext) - 1] + ("." + ext if ext else "")
    return cleaned


def _unique(name: str, taken: set) -> str:
    candidate, n = name, 2
    while candidate.lower() in taken:
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem}-{n}.{ext}" if dot and stem else f"{name}-{n}"
        n += 1
    taken.add(candidate.lower())
    return candidate


# ---- the year's items as the check reads them ------------------------------------------

class YearHoldings(ArchiveHoldings):
    """The workspace's archive limited to one 年度: its items, the records about them,
    their stored files; the chain and its anchors checked whole."""

    def __init__(self, archive, year: int):
        super().__init__(archive)
        self.year = year
        self._items = None

    def items(self):
        if self._items is None:
            self._items = {no: item for no, item in super().items().items() if archive_year(no) == self.year}
        return dict(self._items)

    def events(self):
        numbers = set(self.items())
        return [e for e in super().events()
                if not isinstance(e.get("detail"), dict) or e["detail"].get("archive_no") in numbers
                or e.get("action") not in ("add", "withdraw", "change", "digest")]

    def stored_files(self):
        paths = []
        for item in self.items().values():
            paths.append(self.file_path(item))
            paths += self.rendition_paths(item)
        return sorted(p for p in set(paths) if p.exists())


# ---- writing the package ----------------------------------------------------------------

@dataclass
class PackedFile:
    role: str  # 原件 / 副本
    path: str  # package-relative, posix
    record: dict  # file_name, format, size, pages, sha256, sm3 as filed


@dataclass
class HandoverResult:
    target: Path
    year: int
    items: int  # 在档
    withdrawn: int
    files: int  # content files (originals and renditions)
    bytes: int
    report: CheckReport
    seconds: float = 0.0
    withdrawn_nos: list = field(default_factory=list)

    def to_json(self) -> dict:
        """Stable keys: target, year, items, withdrawn, withdrawn_nos[], files, bytes, seconds, ok, counts{}."""
        return {"target": str(self.target), "year": self.year, "items": self.items, "withdrawn": self.withdrawn,
                "withdrawn_nos": list(self.withdrawn_nos), "files": self.files, "bytes": self.bytes,
                "seconds": round(self.seconds, 2), "ok": self.report.ok, "counts": self.report.counts()}


def _sub(parent, tag: str, text=None, **attrs):
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v not in (None, "")})
    if text not in (None, ""):
        element.text = str(text)
    return element


def metadata_xml(item: ArchiveItem, archive, office: str, files: list[PackedFile]) -> bytes:
    """ITEM's DA/T 46 文件实体元数据 as XML (element names as the standard names them)."""
    parts = parse_archive_no(item.archive_no) or {}
    root = etree.Element("文件实体元数据", {"标准": STANDARD})
    _sub(root, "聚合层次", "文件")
    source = _sub(root, "来源")
    _sub(source, "立档单位名称", office)
    _sub(root, "电子文件号", item.archive_no)
    number = _sub(root, "档号", 值=item.archive_no)
    _sub(number, "全宗号", parts.get("fonds", archive.fonds))
    _sub(number, "类别号", parts.get("category", archive.category))
    _sub(number, "年度", parts.get("year"))
    _sub(number, "保管期限", item.retention, 名称=RETENTIONS.get(item.retention))
    _sub(number, "机构或问题", parts.get("org", archive.org_code))
    _sub(number, "室编件号", f"{parts['seq']:04d}" if parts else None)
    content = _sub(root, "内容描述")
    _sub(content, "题名", item.title)
    for tag in item.tags or ():
        _sub(content, "关键词", tag)
    _sub(content, "文件编号", item.doc_number)
    _sub(content, "责任者", item.issuer)
    _sub(content, "单位", item.unit)
    _sub(content, "日期", item.date, 来源=item.date_source)
    _sub(content, "文种", kind_label(item.kind), 代码=item.kind)
    _sub(content, "密级", item.secrecy)
    form = _sub(root, "形式特征")
    _sub(form, "页数", item.pages)
    electronic = _sub(root, "电子属性")
    for packed in files:
        record = packed.record
        entry = _sub(electronic, "计算机文件", 角色=packed.role)
        _sub(entry, "计算机文件名", packed.path.rsplit("/", 1)[-1])
        _sub(entry, "原文件名", record.get("file_name"))
        _sub(entry, "格式信息", record.get("format"))
        _sub(entry, "计算机文件大小", record.get("size"), 单位="字节")
        if packed.role == "副本":
            _sub(entry, "页数", record.get("pages"))
        _sub(entry, "数字摘要", record.get("sha256"), 算法="SHA-256")
        _sub(entry, "数字摘要", record.get("sm3"), 算法="SM3")
    process = _sub(root, "管理过程")
    _sub(process, "归档时间", item.added_at)
    _sub(process, "归档人", item.added_by)
    _sub(process, "归档方式", item.how)
    _sub(process, "最近修改时间", item.changed_at)
    _sub(process, "最近修改人", item.changed_by)
    if item.withdrawn:
        _sub(process, "撤回", item.withdraw_reason, 时间=item.withdrawn_at, 状态="已撤回")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _copy(source: Path, destination: Path, record: dict, label: str):
    """Copy SOURCE to DESTINATION (read-only, synced), refusing bytes that are not the filed ones."""
    try:
        with open(destination, "xb") as out:
            digests = copy_and_hash(source, out)
            out.flush()
            os.fsync(out.fileno())
    except FileNotFoundError:
        raise IntegrityError(f"{label}的文件不在档案存储中，不能移交；请先做档案核验并按提示处理",
                             hint="archive.verify") from None
    if digests.sha256 != record.get("sha256") or (record.get("sm3") and digests.sm3 != record["sm3"]):
        raise IntegrityError(f"{label}的文件内容与归档时的校验值不符（已被改动或损坏），不能移交；请先做档案核验",
                             hint="archive.verify")
    os.chmod(destination, 0o444)
    return digests


def export_year(workspace, year: int, target_dir, progress=None, *, who: str | None = None) -> HandoverResult:
    """Write every item of 年度 YEAR (withdrawn ones marked 已撤回) as a transfer package
    at TARGET_DIR, a new or empty folder. PROGRESS(stage, done, total) as it goes.
    The 四性检测 of the year's items (移交 stage) is run first, logged, and printed into
    the package; the result says whether it passed (the package is written either way:
    the report is what the 档案馆 reads)."""
    started = time.monotonic()
    target = Path(target_dir).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"“{target}”已存在且不是空文件夹：移交包只写入新的或空的文件夹，请换一个文件夹",
                        field="to")
    archive = Archive(workspace)
    office = workspace.config.office.name
    items = sorted((i for i in archive.items(include_withdrawn=True) if archive_year(i.archive_no) == year),
                   key=lambda i: i.archive_no)
    if not items:
        raise UserError(f"{year} 年度没有归档文件，无法生成移交包。请核对年度（档号中“·”后的四位数字）",
                        field="year", hint="archive.list")
    holdings = YearHoldings(archive, year)
    report = check_holdings(holdings, STAGE, office=office,
                            progress=(lambda d, t: progress("正在检测", d, t)) if progress else None)
    _log_check(archive, report, year, who)

    target.parent.mkdir(parents=True, exist_ok=True)
    with built_folder(target, BUILDING_MARK) as building:
        result = _build(building, archive, office, year, items, report, progress)
    result.target = target
    result.seconds = time.monotonic() - started
    return result


def _log_check(archive, report: CheckReport, year: int, who) -> None:
    logged = next((c for c in report.checks if c.key == "security.logged"), None)
    counts = report.counts()
    try:
        record = archive.log_event(CHECK_ACTION, {
            "stage": STAGE, "year": year, "passed": counts[PASS], "failed": counts[FAIL],
            "not_applicable": counts[NA], "failed_items": [c.code or c.name for c in report.checks if c.result == FAIL],
            "items": report.items_on_file, "tool": report.tool}, who)
    except Exception as err:  # a busy or read-only store: the check stands, the row says why
        if logged is not None:
            logged.fail(f"未能记入审计日志（{err}）")
        return
    report.logged_seq = record.get("seq")
    if logged is not None:
        logged.basis = f"本次检测（{year} 年度移交前）已记入审计日志第 {record.get('seq')} 条"


def _build(building: Path, archive, office: str, year: int, items, report, progress) -> HandoverResult:
    (building / FILES_DIR).mkdir(parents=True)
    (building / METADATA_DIR).mkdir()
    digests: dict[str, tuple[str, str]] = {}  # package path -> (sha256, sm3)
    entries, total_bytes, file_count = [], 0, 0
    total = sum(1 + len(i.renditions) for i in items)
    for seq, item in enumerate(items, 1):
        folder = safe_name(item.archive_no)
        (building / FILES_DIR / folder).mkdir()
        taken: set = set()
        sources = [("原件", archive.file_path(item), {"file_name": item.file_name, "format": item.format,
                                                     "size": item.size, "pages": item.pages,
                                                     "sha256": item.sha256, "sm3": item.sm3})]
        sources += [("副本", path, dict(r)) for r, path in zip(item.renditions, archive.rendition_paths(item))]
        packed = []
        for role, source, record in sources:
            name = _unique(safe_name(record.get("file_name") or "文件"), taken)
            relative = f"{FILES_DIR}/{folder}/{name}"
            label = f"{item.archive_no}《{item.title}》" + ("" if role == "原件" else f"的副本 {record.get('file_name')} ")
            copied = _copy(source, building / relative, record, label)
            record["sm3"] = record.get("sm3") or copied.sm3  # filed before SM3 was kept: the bytes matched SHA-256
            digests[relative] = (copied.sha256, copied.sm3)
            packed.append(PackedFile(role, relative, record))
            total_bytes += int(record.get("size") or 0)
            file_count += 1
            if progress is not None:
                progress("正在复制文件", file_count, total)
        fsync_dir(building / FILES_DIR / folder)
        xml = metadata_xml(item, archive, office, packed)
        atomic_write_bytes(building / METADATA_DIR / f"{folder}.xml", xml)
        digests[f"{METADATA_DIR}/{folder}.xml"] = (hashlib.sha256(xml).hexdigest(), sm3_hex(xml))
        remarks = [] if not item.withdrawn else [f"已撤回：{item.withdraw_reason or ''}".rstrip("：")]
        entries.append(CatalogEntry(seq, item.archive_no, item.doc_number or "", item.issuer or office,
                                    item.title, item.date or "", item.secrecy or "", item.pages,
                                    "；".join(remarks), [p.path for p in packed]))
    withdrawn = [i.archive_no for i in items if i.withdrawn]
    made_at = report.checked_at
    meta = [("全宗号", archive.fonds), ("立档单位", office), ("机构代码", archive.org_code), ("年度", str(year)),
            ("数量", f"{len(items) - len(withdrawn)} 件在档" + (f"，另有已撤回 {len(withdrawn)} 件" if withdrawn else "")
             + f"，文件 {file_count} 个，共 {total_bytes} 字节"),
            ("生成时间", local_time(made_at)), ("生成软件", report.tool)]
    title = f"{office}{year}年度归档文件目录" if office else f"{year}年度归档文件目录"
    if progress is not None:
        progress("正在生成目录和报告", 0, 3)
    write_catalog_pdf(building / CATALOG_PDF, title, meta, entries)
    write_catalog_xlsx(building / CATALOG_XLSX, title, meta, entries)
    if progress is not None:
        progress("正在生成目录和报告", 1, 3)
    atomic_write_bytes(building / PACKAGE_INFO, _package_info(archive, office, year, items, file_count,
                                                             total_bytes, made_at, report))
    write_check_report(report, building / REPORT_PDF)
    if progress is not None:
        progress("正在生成目录和报告", 2, 3)
    for name in (CATALOG_PDF, CATALOG_XLSX, PACKAGE_INFO, REPORT_PDF):
        found = file_digests(building / name)
        digests[name] = (found.sha256, found.sm3)
    for index, (algorithm, manifest) in enumerate(MANIFESTS.items()):
        lines = "".join(f"{pair[index]}  {path}\n" for path, pair in sorted(digests.items()))
        atomic_write_bytes(building / manifest, lines.encode("utf-8"))
    fsync_dir(building / METADATA_DIR)
    fsync_dir(building / FILES_DIR)
    fsync_dir(building)
    if progress is not None:
        progress("正在生成目录和报告", 3, 3)
    return HandoverResult(building, year, len(items) - len(withdrawn), len(withdrawn), file_count, total_bytes,
                          report, withdrawn_nos=withdrawn)


def _package_info(archive, office, year, items, file_count, total_bytes, made_at, report) -> bytes:
    root = etree.Element("移交说明", {"依据": "DA/T 93-2022", "元数据": STANDARD})
    _sub(root, "全宗号", archive.fonds)
    _sub(root, "立档单位名称", office)
    _sub(root, "机构代码", archive.org_code)
    _sub(root, "类别号", archive.category)
    _sub(root, "年度", year)
    _sub(root, "件数", sum(1 for i in items if not i.withdrawn))
    _sub(root, "撤回件数", sum(1 for i in items if i.withdrawn))
    _sub(root, "文件数", file_count)
    _sub(root, "总字节数", total_bytes)
    _sub(root, "生成时间", made_at)
    _sub(root, "生成软件", report.tool)
    _sub(root, "四性检测", "通过" if report.ok else "不通过", 审计日志记录号=report.logged_seq)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---- reading a received package -----------------------------------------------------------

def _parse_xml(path: Path) -> tuple[etree._Element | None, str]:
    """(root, '') or (None, why in Chinese). No DTD, no entity, no network, bounded size."""
    try:
        size = path.stat().st_size
        if size > METADATA_MAX:
            return None, f"有 {size} 字节，远超一件元数据应有的大小"
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "缺失"
    except OSError as err:
        return None, f"无法读取（错误代码 {err.errno}）"
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        return None, "含 DTD 或实体声明（可能是“实体炸弹”），未读取"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser), ""
    except etree.XMLSyntaxError as err:
        return None, f"不是完整的 XML（第 {err.lineno} 行有误）"


def _text(element, path: str) -> str | None:
    found = element.find(path)
    return found.text if found is not None and found.text is not None else None


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _plain_name(name: str | None) -> bool:
    return bool(name) and name == safe_name(name, limit=255) and name not in (".", "..")


class PackageHoldings:
    """A received transfer package, read as four_properties.Holdings: items from the
    metadata XMLs, files from the 档案 folders, the manifests recomputed. Everything
    wrong with the package itself comes back as chain problems naming the 档号."""

    def __init__(self, root):
        self.root = Path(root).absolute()
        if not self.root.is_dir():
            raise UserError(f"“{self.root}”不是文件夹：请指定解压后的移交包文件夹", field="package")
        self.problems: list[str] = []
        self.fonds, self.org_code, self.office, self.year = "", "", "", None
        self._items: dict[str, ArchiveItem] = {}
        self._paths: dict[str, list[Path]] = {}
        self._names: dict[Path, str] = {}  # content file -> the SHA-256 the metadata records for it
        self._read_info()
        self._read_metadata()
        self._check_manifests()

    # -- reading -----------------------------------------------------------------------
    def _read_info(self) -> None:
        root, why = _parse_xml(self.root / PACKAGE_INFO)
        if root is None:
            self.problems.append(f"包的说明文件 {PACKAGE_INFO} {why or '缺失'}")
            return
        self.fonds, self.org_code = _text(root, "全宗号") or "", _text(root, "机构代码") or ""
        self.office = _text(root, "立档单位名称") or ""
        self.year = _int(_text(root, "年度"))
        self._declared = {"件数": _int(_text(root, "件数")), "撤回件数": _int(_text(root, "撤回件数"))}

    def _read_metadata(self) -> None:
        folder = self.root / METADATA_DIR
        if not folder.is_dir():
            self.problems.append(f"包中没有元数据文件夹“{METADATA_DIR}”")
            return
        for path in sorted(folder.iterdir()):
            label = f"{METADATA_DIR}/{path.name}"
            if path.is_symlink() or not path.is_file() or path.suffix != ".xml":
                continue  # the manifest check names it
            root, why = _parse_xml(path)
            if root is None:
                self.problems.append(f"{path.stem} 的元数据 {label} {why}")
                continue
            try:
                item, paths = self._item(root, path.stem)
            except ValueError as err:
                self.problems.append(f"{path.stem} 的元数据 {label} 不完整：{err}")
                continue
            if item.archive_no in self._items:
                self.problems.append(f"档号 {item.archive_no} 的元数据出现了两次（{label}）")
                continue
            self._items[item.archive_no] = item
            self._paths[item.archive_no] = paths
        if getattr(self, "_declared", None):
            live = sum(1 for i in self._items.values() if not i.withdrawn)
            if self._declared["件数"] is not None and self._declared["件数"] != live:
                self.problems.append(f"{PACKAGE_INFO} 写明在档 {self._declared['件数']} 件，元数据中有 {live} 件")

    def _item(self, root, stem: str) -> tuple[ArchiveItem, list[Path]]:
        number = root.find("档号")
        archive_no = number.get("值") if number is not None else None
        if not archive_no:
            raise ValueError("没有档号")
        folder = safe_name(archive_no)
        if folder != stem:
            raise ValueError(f"文件名与档号 {archive_no} 不符")
        files, paths = [], []
        for entry in root.iterfind("电子属性/计算机文件"):
            name = _text(entry, "计算机文件名")
            digests = {d.get("算法"): d.text for d in entry.iterfind("数字摘要")}
            record = {"file_name": _text(entry, "原文件名") or "", "format": _text(entry, "格式信息") or "",
                      "size": _int(_text(entry, "计算机文件大小")), "pages": _int(_text(entry, "页数")),
                      "sha256": digests.get("SHA-256") or "", "sm3": digests.get("SM3")}
            if _plain_name(name):
                path = self.root / FILES_DIR / folder / name
            else:
                self.problems.append(f"{archive_no} 的元数据所列文件“{name}”不是包内{FILES_DIR}/{folder}/中的文件名"
                                     "（指向包外或含路径），已拒绝")
                path = self.root / FILES_DIR / folder / f".已拒绝-{len(paths)}"
            files.append((entry.get("角色"), record))
            paths.append(path)
            self._names[path] = record["sha256"]
        if not files or files[0][0] != "原件":
            raise ValueError("第一个文件不是原件")
        own = files[0][1]
        content = root.find("内容描述")
        process = root.find("管理过程")
        withdraw = process.find("撤回") if process is not None else None
        kind = content.find("文种") if content is not None else None
        date = content.find("日期") if content is not None else None
        record = {
            "archive_no": archive_no, "title": _text(root, "内容描述/题名") or "",
            "kind": (kind.get("代码") or kind.text) if kind is not None else None,
            "unit": _text(root, "内容描述/单位"), "date": _text(root, "内容描述/日期"),
            "doc_number": _text(root, "内容描述/文件编号"), "issuer": _text(root, "内容描述/责任者"),
            "secrecy": _text(root, "内容描述/密级"), "retention": _text(root, "档号/保管期限") or "",
            "pages": _int(_text(root, "形式特征/页数")), "format": own["format"], "file_name": own["file_name"],
            "size": own["size"], "sha256": own["sha256"], "sm3": own["sm3"],
            "tags": [t.text for t in root.iterfind("内容描述/关键词") if t.text],
            "added_at": _text(root, "管理过程/归档时间") or "", "added_by": _text(root, "管理过程/归档人") or "",
            "how": _text(root, "管理过程/归档方式") or "",
            "renditions": [r for _, r in files[1:]],
            "date_source": date.get("来源") if date is not None else None,
            "changed_at": _text(root, "管理过程/最近修改时间"), "changed_by": _text(root, "管理过程/最近修改人"),
        }
        item = ArchiveItem.from_record(record)
        if withdraw is not None:
            item.withdrawn, item.withdraw_reason, item.withdrawn_at = True, withdraw.text, withdraw.get("时间")
        return item, paths

    def _owner(self, relative: str) -> str:
        """The 档号 a package path belongs to, for messages."""
        parts = relative.split("/")
        if len(parts) >= 2 and parts[0] == FILES_DIR:
            return parts[1]
        if len(parts) == 2 and parts[0] == METADATA_DIR:
            return parts[1].rsplit(".", 1)[0]
        return ""

    def _named(self, message: str, relative: str) -> str:
        owner = self._owner(relative)
        return f"{message}（档号 {owner}）" if owner else message

    def _check_manifests(self) -> None:
        present: set[str] = set()
        for folder, dirs, names in os.walk(self.root, followlinks=False):
            for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                relative = Path(folder, name).relative_to(self.root).as_posix()
                if os.path.islink(os.path.join(folder, name)):
                    self.problems.append(self._named(f"包中的 {relative} 是链接（可能指向包外），已拒绝", relative))
                    continue
                present.add(relative)
        present -= set(MANIFESTS.values())
        computed: dict[str, tuple[str, str]] = {}
        for index, (algorithm, manifest) in enumerate(MANIFESTS.items()):
            shown_name = "校验值（SHA-256）" if algorithm == "sha256" else "SM3 摘要"
            path = self.root / manifest
            listed: set[str] = set()
            if not path.is_file() or path.is_symlink():
                self.problems.append(f"包中没有清单 {manifest}（{shown_name}）")
                continue
            if path.stat().st_size > MANIFEST_MAX:
                self.problems.append(f"清单 {manifest} 大得不合常理，未读取")
                continue
            try:
                text = path.read_bytes().decode("utf-8", "replace")
            except OSError as err:
                self.problems.append(f"清单 {manifest} 无法读取（错误代码 {err.errno}）")
                continue
            for number, line in enumerate(text.splitlines(), 1):
                match = _LINE.match(line)
                if not match:
                    self.problems.append(f"清单 {manifest} 第 {number} 行格式不对（应为“校验值 两个空格 文件路径”）")
                    continue
                digest, relative = match.groups()
                parts = relative.split("/")
                if relative.startswith("/") or "\\" in relative or any(p in ("", ".", "..") for p in parts):
                    self.problems.append(f"清单 {manifest} 第 {number} 行的路径“{relative}”指向包外或不规范，已拒绝")
                    continue
                listed.add(relative)
                if relative not in present:
                    self.problems.append(self._named(f"清单 {manifest} 第 {number} 行所列的 {relative} 不在包中",
                                                     relative))
                    continue
                if relative not in computed:
                    try:
                        found = file_digests(self.root / relative)
                        computed[relative] = (found.sha256, found.sm3)
                    except OSError as err:
                        self.problems.append(self._named(f"{relative} 无法读取（错误代码 {err.errno}）", relative))
                        continue
                if computed[relative][index] != digest:
                    self.problems.append(self._named(
                        f"{relative} 的{shown_name}与清单 {manifest} 不符，文件已被改动", relative))
            for relative in sorted(present - listed):
                self.problems.append(self._named(f"包中有清单 {manifest} 未列的文件 {relative}", relative))

    # -- Holdings ----------------------------------------------------------------------
    def items(self):
        return dict(self._items)

    def events(self):
        """The package has no journal: one 'add' record per item (and a 'withdraw' for
        those marked 已撤回), so counts, bytes and duplicates are checked against the metadata."""
        events, seq = [], 0
        for item in self._items.values():
            seq += 1
            detail = {k: v for k, v in asdict(item).items()
                      if k not in ("withdrawn", "withdraw_reason", "withdrawn_at")}
            events.append({"seq": seq, "action": "add", "detail": detail, "at": item.added_at})
            if item.withdrawn:
                seq += 1
                events.append({"seq": seq, "action": "withdraw", "at": item.withdrawn_at,
                               "detail": {"archive_no": item.archive_no, "reason": item.withdraw_reason}})
        return events

    def chain_problems(self):
        return list(self.problems), [], 0

    def file_path(self, item):
        return self._paths[item.archive_no][0]

    def rendition_paths(self, item):
        return self._paths[item.archive_no][1:]

    def stored_files(self):
        folder = self.root / FILES_DIR
        return sorted(p for p in folder.rglob("*") if not p.is_dir()) if folder.is_dir() else []

    def referenced_name(self, path):
        return self._names.get(path, "")


def check_package(root, *, office: str | None = None, progress=None) -> CheckReport:
    """四性检测 (移交 stage) of the received package at ROOT, for OFFICE (default: the
    立档单位 the package names). Nothing is logged: the package is not the workspace's
    archive, and no workspace is needed."""
    holdings = PackageHoldings(root)
    report = check_holdings(holdings, STAGE, office=holdings.office if office is None else office,
                            progress=progress)
    for check in report.checks:
        if check.key == "security.logged":
            check.result, check.basis = NA, "检测的是接收的移交包，不记入本单位审计日志"
        elif check.key == "authenticity.chain":
            check.basis = (f"移交包的清单（{MANIFESTS['sha256']}、{MANIFESTS['sm3']}）逐个文件核对，"
                           "包内无缺失、多余或被改动的文件，无指向包外的路径")
        elif check.key == "security.read_only":
            if check.failures:  # a copied package's permissions say how it was copied, not what it holds
                check.notes = [f"{len(check.failures)} 个文件可被改写（随拷贝方式而定），其内容已按清单和摘要核验"]
            check.result, check.failures = NA, []
            check.basis = "接收的移交包中文件的权限不作判断"
        elif check.key == "security.anchors":
            check.basis, check.notes = "移交包的结构与清单相符（移交包不带审计日志和存证）", []
    return report
