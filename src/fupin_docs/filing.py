"""Filing, correcting and withdrawing documents: the archive first, then the index.

The archive is the source of truth and knows nothing of the search index;
these functions are the one place that does both, in that order. An index
update that fails never undoes or hides the archive change: it is returned
(index_error) for the client to show, and the next search brings the index
back in step by itself.

    from fupin_docs.filing import file_document
    filed = file_document(workspace, "纪要.docx", kind="minutes", date="2020-03-15")
    print(filed.item.archive_no, filed.created, filed.index_error)
"""

from __future__ import annotations

import contextlib

from dataclasses import dataclass, field
from pathlib import Path

from .archive import Archive, ArchiveError, ArchiveItem, VerifyReport
from .audit.log import AccessLog
from .errors import FupinError, UserError, describe_os_error
from .ledger.model import CLOSED_STATUS
from .ledger.store import load_ledger
from .ledger.verify import verify_ledger
from .workspace.database import DatabaseError, one_transaction
from .search import archive_change, chain_problem, index_item, index_status, remove_item


@contextlib.contextmanager
def _change(workspace):
    """An archive change and its index update: under the index lock (search.archive_change)
    and, on the county database, in one transaction: both are written or neither."""
    with archive_change(workspace), one_transaction(workspace.config.database.url):
        yield


def _index_error(update, workspace, *args) -> str | None:
    """Run an index update. Embedded, the archive change stands whatever happens here
    (the next search repairs the index); on the county database the update shares
    the change's transaction, so a failure is raised and undoes the change too."""
    if workspace.config.database.url:
        update(workspace, *args)
        return None
    try:
        update(workspace, *args)
        return None
    except OSError as err:  # a full disk, a read-only folder: in office words
        return describe_os_error(err)
    except Exception as err:  # reported to the caller, repaired by the next search
        return str(err) if isinstance(err, FupinError) else f"{type(err).__name__}: {err}"


@dataclass
class Filed:
    item: ArchiveItem
    created: bool  # False: the same bytes were already on file; ITEM is that one
    date_source: str | None = None  # "成文日期"/"印发日期" (found in the text), "today" (none found), None (given)
    index_error: str | None = None  # the item is filed, but the index update failed (why)
    source: str = ""  # the path it was filed from


def file_document(workspace, path, *, archive: Archive | None = None, **meta) -> Filed:
    """File PATH with META (Archive.add's keywords), then index it."""
    archive = archive or Archive(workspace)
    with _change(workspace):  # searches meanwhile answer from the index as it stands
        result = archive.add(path, **meta)
        filed = Filed(result.item, result.created, result.date_source, source=str(path))
        if result.created:
            filed.index_error = _index_error(index_item, workspace, result.item, result.text)
    return filed


@dataclass
class FolderNote:
    folder: str
    files: int
    subfolders: int  # left out: a folder is taken one level deep


def expand_paths(paths) -> tuple[list[str], list[FolderNote]]:
    """PATHS with each folder replaced by its files (not sub-folders, not hidden
    files), and a note per folder. UserError for a folder with nothing to file."""
    files, notes = [], []
    for path in paths:
        folder = Path(path)
        if not folder.is_dir():
            files.append(str(path))
            continue
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as err:
            raise UserError(f"无法读取文件夹“{folder}”（{err.strerror or err}），请检查权限") from None
        found = [str(p) for p in entries if p.is_file() and not p.name.startswith(".")]
        subfolders = sum(1 for p in entries if p.is_dir() and not p.name.startswith("."))
        if not found:
            raise UserError(f"文件夹“{folder}”中没有可归档的文件" +
                            (f"（有 {subfolders} 个子文件夹，不会自动进入，请分别指定）" if subfolders else ""))
        notes.append(FolderNote(str(folder), len(found), subfolders))
        files.extend(found)
    return files, notes


@dataclass
class Batch:
    filed: list = field(default_factory=list)  # Filed, in order
    failed: list = field(default_factory=list)  # (path, UserError)
    not_tried: list = field(default_factory=list)  # paths left when the store itself failed

    @property
    def created(self) -> int:
        return sum(1 for f in self.filed if f.created)

    @property
    def existing(self) -> int:
        return sum(1 for f in self.filed if not f.created)


def file_documents(workspace, files, *, progress=None, **meta) -> Batch:
    """File each of FILES with the same META; a file that cannot be filed is
    recorded in Batch.failed and the others go on. When the store itself fails (the
    county database gone), the batch stops there: the rest are Batch.not_tried.
    PROGRESS(done, total, filed_or_error) is called after each file."""
    if meta.get("renditions") and len(files) > 1:
        raise ArchiveError("其他格式的副本只能与单个文件一起归档", field="renditions")
    archive = Archive(workspace)
    batch = Batch()
    for done, path in enumerate(files, 1):
        try:
            outcome = file_document(workspace, path, archive=archive, **meta)
            batch.filed.append(outcome)
        except UserError as err:
            outcome = err
            batch.failed.append((path, err))
            if isinstance(err, DatabaseError):  # not this file's fault: every next one would fail alike
                batch.not_tried = list(files[done:])
        if progress is not None:
            progress(done, len(files), outcome)
        if batch.not_tried:
            break
    return batch


@dataclass
class Withdrawn:
    item: ArchiveItem
    index_error: str | None = None
    closed_problems: list = field(default_factory=list)  # ledger problems closed with this item as evidence


def closed_problems_citing(workspace, archive_no: str) -> list[str]:
    """Ledger problems closed (已销号) with ARCHIVE_NO among their evidence."""
    try:
        ledger = load_ledger(workspace)
    except UserError:  # a damaged ledger is reported by its own commands
        return []
    return [p.pid for p in ledger if p.status == CLOSED_STATUS and archive_no in p.evidence]


def withdraw_document(workspace, archive_no: str, reason: str, who: str | None = None) -> Withdrawn:
    """Withdraw ARCHIVE_NO (kept, no longer on file), take it out of the index, and
    name the closed ledger problems that cited it as evidence."""
    with _change(workspace):
        item = Archive(workspace).withdraw(archive_no, reason, who=who)
        index_error = _index_error(remove_item, workspace, item.archive_no)
    return Withdrawn(item, index_error, closed_problems_citing(workspace, item.archive_no))


@dataclass
class Edited:
    item: ArchiveItem
    record: dict  # the catalog record: seq, at, who, detail{reason, changes}
    index_error: str | None = None

    @property
    def changes(self) -> dict:
        return (self.record.get("detail") or {}).get("changes") or {}


def edit_document(workspace, archive_no: str, *, reason: str, who: str | None = None, **fields) -> Edited:
    """Correct ARCHIVE_NO's metadata (Archive.change), then re-index it."""
    from .archive.extract import extract_text

    archive = Archive(workspace)
    with _change(workspace):
        change = archive.change(archive_no, reason=reason, who=who, **fields)
        try:
            text = extract_text(archive.file_path(change.item), change.item.file_name)
        except (OSError, UserError):  # unreadable bytes: verify reports them; the index keeps the metadata
            text = ""
        index_error = _index_error(index_item, workspace, change.item, text)
    return Edited(change.item, change.record, index_error)


def verify(workspace, anchors=()) -> VerifyReport:
    """archive verify: the archive's own checks (ANCHORS: more anchors to hold it
    to), then whether the index is in step and its recorded head still holds."""
    archive = Archive(workspace)
    report = archive.verify(anchors)
    try:
        rewritten = chain_problem(workspace, archive)
        if rewritten:
            report.problem("真实性", rewritten)
        status = index_status(workspace, archive.items())
        if not status.ok:
            report.problem("可用性", f"{status.message}。检索索引可从档案重建")
    except Exception as err:  # any failure to read the index is the same finding
        report.problem("可用性", f"无法检查检索索引（{type(err).__name__}），检索索引可从档案重建")
    ledger = verify_ledger(workspace)  # 销号 evidence is archive content: a forged close is archive damage
    for finding in ledger.problems:
        report.problem("真实性", f"问题台账：{finding}")
    for problem in AccessLog(workspace).verify():  # who looked at what: an access record is evidence too
        report.problem("真实性", problem)
    return report
