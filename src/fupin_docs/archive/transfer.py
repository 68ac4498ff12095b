"""Moving an archive between catalogs: a township's embedded archive into the
county database, or back out of it.

Nothing is re-numbered or re-written: the records move unchanged (the same
hashes, so the same chain head, anchors and packs still hold), and every file
is copied by content and checked against its digest before the records that
name it are taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..hashing import sha256_file
from .errors import ArchiveDamaged, ArchiveError
from .numbering import parse_archive_no
from .store import Archive, open_catalog


@dataclass
class Moved:
    records: int
    items: int
    files: int  # files copied (those already in place are not)


def _identity(workspace) -> tuple[str, str]:
    return workspace.config.archive.fonds, workspace.config.archive.org_code


def move_archive(source_ws, target_ws, progress=None) -> Moved:
    """Copy SOURCE_WS's archive (files and records) into TARGET_WS's empty catalog.
    PROGRESS(stage, done, total) is called per file."""
    if _identity(source_ws) != _identity(target_ws):
        (fonds, org), (to_fonds, to_org) = _identity(source_ws), _identity(target_ws)
        raise ArchiveError(f"两边的全宗号/机构代码不同（原 {fonds}/{org}，目标 {to_fonds}/{to_org}）：档号会对不上。"
                           f"请把目标工作目录 fupin.toml 的 [archive] fonds、org_code 改为 {fonds}、{org}")
    source, target = Archive(source_ws), Archive(target_ws)
    check = source.catalog.check_chain()
    if not check.exists:
        raise ArchiveError(f"“{source_ws.root}”中没有档案可迁移")
    if check.problems:
        raise ArchiveDamaged("原档案的记录链已损坏，不能迁移：" + "；".join(check.problems[:3]))
    if target.catalog.exists() and target.catalog.head() != source.catalog.head():
        raise ArchiveError("目标档案中已有别的记录，迁移只能迁入空的档案（以免两条记录链混在一起）")
    # the same head: an earlier run took the records and was stopped; finish the rest
    items = source.catalog.items()
    fonds, org = _identity(target_ws)
    foreign = [no for no in items if (parts := parse_archive_no(no)) is None
               or (parts["fonds"].upper(), parts["org"].upper()) != (fonds.upper(), org.upper())]
    if foreign:  # the records, not a fupin.toml edited since, say whose archive this is
        raise ArchiveError(f"原档案中有 {len(foreign)} 件的档号不属于全宗号/机构代码 {fonds}/{org}（如 {foreign[0]}）："
                           "它们是别的单位的档案，或 fupin.toml 在归档后被改过；迁移已停止，请核对后再迁")
    wanted = {}
    for item in items.values():
        wanted[source.file_path(item)] = (item.sha256, item.file_name)
        for rendition, path in zip(item.renditions, source.rendition_paths(item)):
            wanted[path] = (rendition["sha256"], rendition["file_name"])
    copied = 0
    for done, (path, (sha256, file_name)) in enumerate(wanted.items(), 1):
        destination = target.object_path(sha256, file_name)
        if destination.resolve() != path.resolve() and not destination.exists():
            if not path.exists() or sha256_file(path) != sha256:
                raise ArchiveDamaged(f"原档案中的文件“{file_name}”缺失或已被改动，不能迁移；请先核验原档案")
            temporary, digests = target._copy_in(path)
            if digests.sha256 != sha256:
                temporary.unlink(missing_ok=True)
                raise ArchiveDamaged(f"复制“{file_name}”时内容变了，迁移已停止；请重试")
            target._store_object(temporary, sha256, file_name)
            copied += 1
        if progress is not None:
            progress("复制档案文件", done, len(wanted))
    target.catalog.adopt(check.events)
    return Moved(records=len(check.events), items=len(items), files=copied)


def checked_chain(workspace, chain: str) -> list[dict]:
    """Every record of WORKSPACE's CHAIN ("access": the access log), refused when damaged."""
    check = open_catalog(workspace, chain).check_chain()
    if check.problems:
        raise ArchiveDamaged("原记录链已损坏，不能迁移：" + "；".join(check.problems[:3]))
    return check.events


def move_chain(records: list[dict], target_ws, chain: str) -> int:
    """Give RECORDS (from checked_chain) unchanged to TARGET_WS's empty CHAIN."""
    if records:
        open_catalog(target_ws, chain).adopt(records)  # refuses a chain of its own, skips this one taken already
    return len(records)


def refuse_links(source_dir: Path) -> None:
    """Refuse a folder to be moved that holds a link: it could carry in any file the
    one moving it can read (another township's, the server's)."""
    for path in source_dir.rglob("*") if source_dir.exists() else ():
        if path.is_symlink():
            raise ArchiveError(f"“{path}”是一个链接（快捷方式），不是本单位的文件；迁移已停止，"
                               "请删除它或换成文件本身后再迁")


def copy_tree_files(source_dir: Path, target_dir: Path, skip: tuple = ()) -> int:
    """Copy the files of SOURCE_DIR (but those named in SKIP) into TARGET_DIR (which
    must not hold them yet), each written whole or not at all."""
    count = 0
    if not source_dir.exists():
        return 0
    refuse_links(source_dir)
    for path in source_dir.rglob("*"):
        if path.is_file() and not path.name.startswith(".") and path.suffix != ".lock" and path.name not in skip:
            destination = target_dir / path.relative_to(source_dir)
            if destination.exists():
                raise ArchiveError(f"目标中已有“{destination}”，为免覆盖，迁移已停止")
            destination.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(destination, path.read_bytes())
            count += 1
    return count
