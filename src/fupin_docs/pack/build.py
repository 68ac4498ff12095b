"""build_pack: archive items → a zipped BagIt 1.0 bag with its 目录 (and merge).

Order of work: every item file is copied into a staging directory and hashed
on the way (a file that cannot be read, or no longer matches its archived
SHA-256, is found here, before anything is written); then the optional merge,
then the 目录 (which prints every file's hash and the archive chain head the
pack was built at), then the bag and the zip, written beside the target and
renamed last.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import IntegrityError, UserError
from .bag import BagWriter, PayloadFile
from .catalog import CatalogFile, CatalogHeader, CatalogRow, render_catalog
from .listing import (HEAD_INFO_KEY, PACK_FORMAT, PACK_TAG_FILE, STATUS_DAMAGED, STATUS_MISSING, STATUS_OK,
                      head_text)
from .names import CATALOG_NAME, MERGED_NAME, UniqueNames, bag_dir_name, extension, item_file_name
from .select import Selection, _iso, select_items

SECRET_LEVELS = {"秘密", "机密", "绝密"}

# The stages build_pack reports to PROGRESS, in order (merging only with merge=True
# and a PDF to merge): labels a person reads in a progress bar.
STAGE_COPY = "正在复制材料"
STAGE_MERGE = "正在合并打印本"
STAGE_CATALOG = "正在生成目录"
STAGE_WRITE = "正在写入材料包"

STATUS_LABELS = {STATUS_MISSING: "缺失（存档文件无法读取）",
                 STATUS_DAMAGED: "缺失（存档文件已损坏，与归档时的校验值不符）"}


@dataclass
class PackFile:
    path: str  # "data/…" inside the bag
    role: str  # "original" | "rendition"
    sha256: str
    size: int
    archived_sha256: str = ""  # what the archive recorded, when it recorded one
    sm3: str = ""  # SM3 (GB/T 32905) of the packed bytes


@dataclass
class PackedItem:
    seq: int
    archive_no: str
    title: str
    status: str = STATUS_OK
    files: list[PackFile] = field(default_factory=list)
    problem: str = ""  # what was wrong, for missing/damaged items
    merged_pages: tuple[int, int] | None = None


@dataclass
class PackResult:
    path: Path
    items: list[PackedItem]
    file_count: int  # payload files, the 目录 and merge included
    payload_bytes: int
    catalog_name: str
    merged_name: str | None
    merged_pages: int
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[PackedItem]:
        return [item for item in self.items if item.status != STATUS_OK]

    def as_dict(self) -> dict:
        return {
            "path": str(self.path), "items": len(self.items), "files": self.file_count,
            "bytes": self.payload_bytes, "catalog": f"data/{self.catalog_name}",
            "merged": f"data/{self.merged_name}" if self.merged_name else None,
            "merged_pages": self.merged_pages, "seconds": round(self.seconds, 3),
            "missing": [{"archive_no": i.archive_no, "status": i.status, "problem": i.problem}
                        for i in self.missing],
            "warnings": self.warnings,
        }


def rendition_hashes(item) -> dict[str, str]:
    """{file name: archived sha256} for the item's renditions, as far as recorded."""
    out = {}
    for rec in getattr(item, "renditions", None) or ():
        if isinstance(rec, dict):
            name, sha = rec.get("file_name") or rec.get("name") or rec.get("path"), rec.get("sha256")
        else:
            name = getattr(rec, "file_name", None) or getattr(rec, "name", None) or getattr(rec, "path", None)
            sha = getattr(rec, "sha256", None)
        if name and sha:
            out[Path(str(name)).name] = sha
    return out


def rendition_sm3(item) -> dict[str, str]:
    """{archived sha256: archived SM3} for the item's renditions that have an SM3 recorded."""
    return {rec["sha256"]: rec["sm3"] for rec in getattr(item, "renditions", None) or ()
            if isinstance(rec, dict) and isinstance(rec.get("sha256"), str) and isinstance(rec.get("sm3"), str)}


def archived_hashes(item) -> set[str]:
    """Every SHA-256 the archive recorded for ITEM: its file and its renditions."""
    out = set(rendition_hashes(item).values())
    if getattr(item, "sha256", None):
        out.add(item.sha256)
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def build_pack(workspace, selection: Selection, target, *, purpose: str = "", title: str = "",
               merge: bool = False, skip_missing: bool = False, archive=None,
               bagging_date: dt.date | None = None, progress=None, ofd: bool = False) -> PackResult:
    """Write the evidence pack for SELECTION to TARGET (a .zip) and describe it.

    UserError when the selection matches nothing (no zip is written);
    IntegrityError when the archive's chain is damaged (a record edited by hand),
    and naming every unreadable or damaged archive item, unless SKIP_MISSING,
    in which case the 目录 lists them as 缺失.

    Each item comes with its original and its PDF renditions; OFD: its OFD
    renditions too (GB/T 33190, beside the PDFs).

    PROGRESS, if given, is called as progress(stage, done, total): with (0, total)
    as each stage starts, then as its work is done, ending at (total, total).
    STAGE_COPY counts items; STAGE_MERGE the PDFs merged; STAGE_CATALOG and
    STAGE_WRITE are one step each.
    """
    if progress is not None and not callable(progress):
        raise TypeError("progress must be None or a callable progress(stage, done, total)")

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    started = time.perf_counter()
    target = Path(target)
    if target.suffix.lower() != ".zip":
        raise UserError(f"材料包须为 .zip 文件：请把“{target.name}”改为以 .zip 结尾的文件名")
    if target.exists() and target.is_dir():
        raise UserError(f"“{target}”是一个文件夹；请在 -o 后给出 .zip 文件名")
    if archive is None:
        from ..archive import Archive

        archive = Archive(workspace)
    # A pack vouches for the archive it comes from: never build one from a damaged
    # chain (a record edited by hand), whose head would prove nothing.
    chain = archive.catalog.check_chain()
    if chain.problems:
        shown = "；".join(str(p) for p in chain.problems[:3])
        more = f" 等 {len(chain.problems)} 处" if len(chain.problems) > 3 else ""
        raise IntegrityError(f"档案审计日志已损坏（{shown}{more}），未生成材料包；请先核验档案"
                             "（fupin archive verify），查明原因后再打包", hint="archive.verify")
    items = select_items(workspace, selection, archive)
    # The chain head after the selection was read: every selected item's records are
    # at or below it, and a verifier can later ask the archive whether it still holds it.
    head = archive.head()
    head_line = head_text(head.seq, head.hash)
    unit = workspace.config.office.name
    title = title or "佐证材料"
    date = (bagging_date or dt.date.today()).isoformat()
    width = max(4, len(str(len(items))))
    names = UniqueNames(reserved=(CATALOG_NAME, MERGED_NAME))
    packed: list[PackedItem] = []
    warnings: list[str] = []
    order: list[str] = []

    with BagWriter(bag_dir_name(target.name)) as writer:
        # 1. stage every item file, hashing as it is copied
        report(STAGE_COPY, 0, len(items))
        for seq, item in enumerate(items, 1):
            entry = PackedItem(seq=seq, archive_no=item.archive_no, title=item.title or "")
            packed.append(entry)
            sources = [("original", archive.file_path(item), item.sha256 or "", getattr(item, "sm3", None))]
            rendition_shas = rendition_hashes(item)
            sm3_of = rendition_sm3(item)
            for path in archive.rendition_paths(item):
                if Path(path).suffix.lower() == ".ofd" and not ofd:
                    continue
                sha = rendition_shas.get(Path(path).name, "")
                sources.append(("rendition", Path(path), sha, sm3_of.get(sha)))
            staged: list[str] = []
            for role, source, archived_sha, archived_sm3 in sources:
                ext = extension(item.file_name if role == "original" else Path(source).name)
                name = item_file_name(seq, item.archive_no, item.title, ext, width=width)
                if role == "rendition" and any(n.lower() == name.lower() for n in staged):
                    name = item_file_name(seq, item.archive_no, item.title, ext,
                                          suffix="（转换版）", width=width)
                name = names.take(name)
                try:
                    payload = writer.add(PayloadFile(name=name, source=Path(source)))
                except OSError as err:
                    entry.status, entry.problem = STATUS_MISSING, f"{Path(source).name}：{err.strerror or err}"
                    break
                if archived_sha and payload.sha256 != archived_sha:
                    writer.remove(name)
                    entry.status = STATUS_DAMAGED
                    entry.problem = f"{Path(source).name} 的校验值为 {payload.sha256[:12]}…，归档时为 {archived_sha[:12]}…"
                    break
                if archived_sm3 and payload.sm3 != archived_sm3:
                    writer.remove(name)
                    entry.status = STATUS_DAMAGED
                    entry.problem = f"{Path(source).name} 的 SM3 摘要为 {payload.sm3[:12]}…，归档时为 {archived_sm3[:12]}…"
                    break
                staged.append(name)
                entry.files.append(PackFile(path=f"data/{name}", role=role, sha256=payload.sha256,
                                            size=payload.size, archived_sha256=archived_sha, sm3=payload.sm3))
            if entry.status != STATUS_OK:
                for name in staged:
                    writer.remove(name)
                entry.files = []
            else:
                order.extend(staged)
            if getattr(item, "withdrawn", False):
                warnings.append(f"第 {seq} 件 {item.archive_no} 已撤回（作废），目录中已注明；"
                                "如不应提供，请去掉该档号后重新打包")
            if (getattr(item, "secrecy", None) or "") in SECRET_LEVELS:
                warnings.append(f"第 {seq} 件 {item.archive_no} 标有密级“{item.secrecy}”，"
                                "对外提供前请按保密规定审批")
            report(STAGE_COPY, seq, len(items))

        bad = [e for e in packed if e.status != STATUS_OK]
        if bad and not skip_missing:
            lines = "；".join(f"{e.archive_no}（{e.problem}）" for e in bad)
            raise IntegrityError(f"{len(bad)} 件档案材料无法读取或已损坏，未生成材料包：{lines}",
                                 hint="pack.skip_missing")
        if len(bad) == len(packed):
            raise IntegrityError("所选材料全部无法读取或已损坏，未生成材料包", hint="archive.verify")

        # 2. the merge, from the staged copies (so it shows exactly what is packed)
        merged_name = None
        merged_pages = 0
        if merge:
            from .merge import MergePart, merge_pdfs

            parts, owners = [], []
            for entry in packed:
                pdf = next((f for f in entry.files if f.path.lower().endswith(".pdf")), None)
                if pdf is not None:
                    parts.append(MergePart(entry.archive_no, entry.title,
                                           writer.path(pdf.path[len("data/"):])))
                    owners.append(entry)
            if parts:
                report(STAGE_MERGE, 0, len(parts))
                merged_tmp = writer.bag_dir.parent / "merged.pdf"
                ranges = merge_pdfs(parts, merged_tmp)
                report(STAGE_MERGE, len(parts), len(parts))
                for entry, rng in zip(owners, ranges):
                    if rng is None:
                        warnings.append(f"第 {entry.seq} 件 {entry.archive_no} 的 PDF 无法读取或已加密，未并入合并打印本")
                    else:
                        entry.merged_pages = (rng.first, rng.last)
                        merged_pages = rng.last
                if merged_pages:
                    writer.add(PayloadFile(name=MERGED_NAME, source=merged_tmp))
                    merged_name = MERGED_NAME
            if not merged_name:
                warnings.append("所选材料中没有可合并的 PDF，未生成合并打印本")

        # 3. the 目录
        report(STAGE_CATALOG, 0, 1)
        rows = []
        for entry, item in zip(packed, items):
            remarks = []
            if entry.status != STATUS_OK:
                remarks.append(STATUS_LABELS[entry.status])
            if any(f.role == "rendition" for f in entry.files):
                remarks.append("附PDF转换版")
            if getattr(item, "withdrawn", False):
                remarks.append("已撤回（作废）")
            if entry.merged_pages:
                a, b = entry.merged_pages
                remarks.append(f"合并打印本第{a}–{b}页" if b != a else f"合并打印本第{a}页")
            rows.append(CatalogRow(
                seq=entry.seq, archive_no=entry.archive_no, title=entry.title,
                doc_number=_text(getattr(item, "doc_number", None)),
                issuer=_text(getattr(item, "issuer", None) or getattr(item, "unit", None)),
                date=_iso(getattr(item, "date", None)), secrecy=_text(getattr(item, "secrecy", None)),
                pages=getattr(item, "pages", None), remarks=remarks,
                files=[CatalogFile(f.path[len("data/"):], f.sha256, f.sm3) for f in entry.files]))
        file_count = sum(len(e.files) for e in packed)
        header = CatalogHeader(title=title, unit=unit, date=date, purpose=purpose,
                               selection=selection.describe(), item_count=len(packed),
                               file_count=file_count + (1 if merged_name else 0),
                               missing_count=len(bad), archive_head=head_line,
                               match_rule=selection.match_rule())
        writer.add(PayloadFile(name=CATALOG_NAME, data=render_catalog(header, rows)))
        report(STAGE_CATALOG, 1, 1)

        # 4. the bag
        report(STAGE_WRITE, 0, 1)
        manifest = {
            "format": PACK_FORMAT, "archive_head": {"seq": head.seq, "hash": head.hash}, "title": title, "unit": unit, "date": date, "purpose": purpose,
            "selection": selection.as_dict(), "catalog": f"data/{CATALOG_NAME}",
            "merged": f"data/{merged_name}" if merged_name else None,
            "items": [{
                "seq": e.seq, "archive_no": e.archive_no, "title": e.title, "status": e.status,
                "problem": e.problem,
                "merged_pages": list(e.merged_pages) if e.merged_pages else None,
                "files": [{"path": f.path, "role": f.role, "sha256": f.sha256, "sm3": f.sm3, "size": f.size,
                           "archived_sha256": f.archived_sha256} for f in e.files],
            } for e in packed],
        }
        bag_info = {
            "Source-Organization": unit,
            "Bagging-Date": date,
            "Bag-Software-Agent": f"fupin-docs {__version__}",
            "External-Identifier": bag_dir_name(target.name),
            "Internal-Sender-Description": title,
            "Fupin-Selection": selection.describe(),
            "Fupin-Item-Count": str(len(packed)),
            HEAD_INFO_KEY: head_line,
        }
        if purpose:
            bag_info["External-Description"] = purpose
        if bad:
            bag_info["Fupin-Missing"] = "、".join(e.archive_no for e in bad)
        full_order = [CATALOG_NAME] + order + ([merged_name] if merged_name else [])
        writer.finish(target, bag_info,
                      {PACK_TAG_FILE: json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")},
                      order=full_order)
        report(STAGE_WRITE, 1, 1)
        payload_bytes = sum(p.size for p in writer.payload.values())
        total_files = len(writer.payload)

    return PackResult(path=target, items=packed, file_count=total_files, payload_bytes=payload_bytes,
                      catalog_name=CATALOG_NAME, merged_name=merged_name, merged_pages=merged_pages,
                      seconds=time.perf_counter() - started, warnings=warnings)
