"""A township's whole workspace into the county database and back out of it:
the archive (records unchanged, files by content), the problem ledger and the
access log, then the index rebuilt where the archive now lives and the whole
checked. What stays: every 档号, date, digest and the chain head."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from .atomic import atomic_write_bytes, built_folder

from .archive.transfer import Moved, checked_chain, copy_tree_files, move_archive, move_chain, refuse_links
from .errors import UserError
from .filing import verify
from .ledger.store import HISTORY_FILE, LEDGER_FILE, adopt_ledger, ledger_contents
from .search import rebuild_index
from .workspace.config import CONFIG_NAME, ArchiveConfig, DatabaseConfig, SearchConfig, Workspace, open_workspace
from .workspace.init import init_workspace

# Each stage that keeps data in the county database: the module with its tables' setup.
DATABASE_COMPONENTS = {
    "catalog": "fupin_docs.archive.pg_catalog",  # 档案目录：哈希链记录
    "search": "fupin_docs.search.pg_backend",  # 检索索引：字的二元组
    "accounts": "fupin_docs.accounts.tables",  # fupin serve 的账号与会话
    "ledger": "fupin_docs.ledger.tables",  # 问题台账与台账变更记录
}


def database_components() -> dict:
    """name -> module (each has setup(url, progress) and MIGRATIONS)."""
    import importlib
    return {name: importlib.import_module(module) for name, module in DATABASE_COMPONENTS.items()}


def upgrade_database(url: str, progress=None) -> dict[str, int]:
    """Create or upgrade every stage's tables; name -> version now in place."""
    return {name: module.setup(url, progress) for name, module in database_components().items()}


# Files of the ledger folder other than the ledger itself (e.g. the household roster)
# move as files; the ledger and its history move as records (ledger_contents).
CARRIED_FOLDERS = ("ledger",)
NOT_CARRIED = (LEDGER_FILE, HISTORY_FILE)


@dataclass
class WorkspaceMoved:
    moved: Moved
    carried: int  # other files of the ledger folder copied (e.g. the roster)
    access_records: int  # access-log records moved
    problems: int  # ledger problems moved (with their history)
    verify_report: object


def _carry(source: Workspace, target: Workspace) -> int:
    if Path(source.root).resolve() == Path(target.root).resolve():
        return 0
    return sum(copy_tree_files(Path(source.root) / name, Path(target.root) / name, skip=NOT_CARRIED)
               for name in CARRIED_FOLDERS)


def import_workspace(source_root, target: Workspace, progress=None) -> WorkspaceMoved:
    """Move the embedded workspace at SOURCE_ROOT into TARGET (a workspace on the county database)."""
    if not target.config.database.url:
        raise UserError("本工作目录没有设置县级数据库（fupin.toml 的 [database] url），无处迁入")
    source = embedded(open_workspace(source_root))
    return _move(source, target, progress)


def _move(source: Workspace, target: Workspace, progress) -> WorkspaceMoved:
    access = checked_chain(source, "access")  # refused before anything is written
    for name in CARRIED_FOLDERS:
        refuse_links(Path(source.root) / name)
    records, entries = ledger_contents(source)
    moved = move_archive(source, target, progress)
    access_records = move_chain(access, target, "access")
    problems = adopt_ledger(target, records, entries)
    carried = _carry(source, target)
    rebuild_index(target)
    return WorkspaceMoved(moved, carried, access_records, problems, verify(target))


def embedded(workspace: Workspace) -> Workspace:
    """WORKSPACE as it is kept without a database (its folder's journal and index)."""
    config = workspace.config
    return replace(workspace, config=replace(config, database=DatabaseConfig(),
                                             archive=replace(config.archive, catalog=ArchiveConfig.catalog),
                                             search=replace(config.search, backend=SearchConfig.backend)))


def export_workspace(source: Workspace, target_root, progress=None) -> WorkspaceMoved:
    """Copy SOURCE's township out of the county database into a new embedded
    workspace at TARGET_ROOT (a township that leaves the county server keeps its
    archive). It is built in a folder beside TARGET_ROOT and renamed into place
    when complete and verified: a full disk or a stop leaves no half workspace."""
    target_root = Path(target_root)
    if target_root.exists() and (not target_root.is_dir() or any(target_root.iterdir())):
        raise UserError(f"“{target_root}”已存在且不是空文件夹：请指定一个新的文件夹")
    with built_folder(target_root, BUILDING_MARK) as building:
        init_workspace(building, with_examples=False)
        source_config = Path(source.root) / CONFIG_NAME
        text = source_config.read_text(encoding="utf-8") if source_config.exists() else ""
        atomic_write_bytes(building / CONFIG_NAME, _without_database(text).encode("utf-8"))
        done = _move(source, embedded(open_workspace(building)), progress)
    return done


BUILDING_MARK = ".导出中-"  # .TARGET.导出中-PID: an export being built beside its target


def _without_database(text: str) -> str:
    """fupin.toml's text without the database's table, its dotted keys, and the
    catalog/backend choices that named it; checked by reading the result back."""
    out, skipping = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            name = stripped.strip("[]").split("#", 1)[0].strip().strip("[]").strip()
            skipping = name == "database" or name.startswith("database.")
        key = stripped.split("=", 1)[0].strip() if "=" in stripped else ""
        if skipping or key in ("catalog", "backend") or key.startswith("database."):
            continue
        out.append(line)
    result = "\n".join(out) + "\n"
    try:
        still = "database" in tomllib.loads(result)
    except tomllib.TOMLDecodeError:
        still = True
    if still:
        raise UserError("无法从 fupin.toml 中去掉县级数据库的设置（写法特殊），请手工删去 [database] 一节后再导出")
    return result
