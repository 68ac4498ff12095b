"""Inspection-time search over the archive.

    from fupin_docs.search import search, rebuild_index
    for hit in search(workspace, "危房改造", kind="minutes", date_from="2020-01-01"):
        print(hit.archive_no, hit.title, hit.snippet)

The index (workspace/indexes/) is derived from the archive and repairs itself:
missing, damaged or of an older schema → rebuilt from the archive; out of step
(an add or metadata edit whose index update failed) → brought in step before
answering. "In step" compares each item's fingerprint (item_fingerprint: sha256
and the searchable metadata), so an index holding an item's old title, date,
unit, kind, tags, 文件编号 or 责任者 counts as out of step too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import date as date_cls
from pathlib import Path

from filelock import FileLock, Timeout

from .backend import Filters, Hit, IndexDoc, IndexStatus, SearchBackend, SearchError
from .query import ParsedQuery, parse_query
from .whoosh_backend import SCHEMA_VERSION, WhooshBackend, set_digest

__all__ = ["search", "rebuild_index", "index_item", "remove_item", "index_status", "get_backend", "item_fingerprint",
           "Hit", "IndexDoc", "Filters", "IndexStatus", "SearchBackend", "SearchError", "ParsedQuery", "parse_query",
           "SCHEMA_VERSION"]


_BACKENDS: dict = {}


def get_backend(workspace) -> SearchBackend:
    """One backend object per index folder and process, so its open searcher is reused."""
    directory = Path(workspace.indexes_dir).resolve()
    backend = _BACKENDS.get(directory)
    if backend is None:
        backend = _BACKENDS[directory] = WhooshBackend(directory)
    return backend


@contextlib.contextmanager
def _index_lock(workspace):
    directory = Path(workspace.indexes_dir)
    directory.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(directory / ".lock"), timeout=300)
    try:
        lock.acquire()
    except Timeout:
        raise SearchError(f"检索索引正被另一个程序更新，请稍后重试（锁文件 {directory / '.lock'}）") from None
    try:
        yield
    finally:
        lock.release()


def _archive(workspace):
    from ..archive import Archive
    return Archive(workspace)


def item_fingerprint(item) -> str:
    """Short hash of what the index holds for ITEM: its bytes (sha256) and every
    searchable metadata field. Any edit of that metadata changes it."""
    values = [item.sha256, item.title, item.date, item.unit, item.kind, list(item.tags or ()),
              item.doc_number, item.issuer, item.file_name]
    data = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:32]


def item_doc(item, text: str) -> IndexDoc:
    from ..archive.kinds import kind_label
    meta = " ".join(str(v) for v in (item.doc_number, item.issuer, item.unit, kind_label(item.kind),
                                     item.file_name, " ".join(item.tags)) if v)
    return IndexDoc(archive_no=item.archive_no, sha256=item.sha256, title=item.title, text=text or "",
                    kind=item.kind or "", unit=item.unit or "", date=item.date or "",
                    tags=tuple(item.tags), meta=meta, ids=(item.archive_no, item.doc_number or ""),
                    fingerprint=item_fingerprint(item))


def _docs_from_archive(archive, items=None):
    from ..archive.extract import extract_text
    for item in items if items is not None else archive.items():
        yield item_doc(item, extract_text(archive.file_path(item), item.file_name))


def rebuild_index(workspace, procs: int | None = None) -> int:
    """Rebuild the index from the archive alone; returns the number of documents."""
    archive = _archive(workspace)
    backend = get_backend(workspace)
    items = archive.items()
    with _index_lock(workspace):
        if isinstance(backend, WhooshBackend) and procs is None and len(items) < 200:
            procs = 1  # worker start-up costs more than it saves on a small archive
        return backend.rebuild(_docs_from_archive(archive, items), procs=procs)


def index_item(workspace, item, text: str) -> None:
    """Incremental update after an add (called by Archive.add)."""
    backend = get_backend(workspace)
    with _index_lock(workspace):
        if backend.check() is not None:
            archive = _archive(workspace)
            backend.rebuild(_docs_from_archive(archive), procs=1)  # includes ITEM: it is in the catalog
        else:
            backend.add([item_doc(item, text)])


def remove_item(workspace, archive_no: str) -> None:
    backend = get_backend(workspace)
    with _index_lock(workspace):
        if backend.check() is None:
            backend.remove([archive_no])


def _quick_in_step(backend, items) -> bool:
    meta = backend.meta() if isinstance(backend, WhooshBackend) else None
    if meta is None:
        return False
    return meta.get("digest") == set_digest((item.archive_no, item_fingerprint(item)) for item in items)


def index_status(workspace, items=None, quick: bool = False) -> IndexStatus:
    """Is the index usable and in step with the archive's current (not withdrawn) items?
    QUICK trusts the index's own record of what it holds when that matches."""
    backend = get_backend(workspace)
    if items is None:
        items = _archive(workspace).items()
    if quick and _quick_in_step(backend, items):
        return IndexStatus(True, "")
    problem = backend.check()
    if problem is not None:
        if not items and problem == "检索索引不存在":
            return IndexStatus(True, "", exists=False)
        return IndexStatus(False, problem, exists=False)
    try:
        indexed = backend.documents()
    except Exception as err:
        return IndexStatus(False, f"检索索引无法读取（{type(err).__name__}）")
    expected = {item.archive_no: item_fingerprint(item) for item in items}
    missing = sorted(no for no, fp in expected.items() if indexed.get(no) != fp)  # absent or stale
    extra = sorted(no for no in indexed if no not in expected)
    if missing or extra:
        parts = []
        absent = [no for no in missing if no not in indexed]
        stale = [no for no in missing if no in indexed]
        if absent:
            parts.append(f"{len(absent)} 件未编入索引（如 {absent[0]}）")
        if stale:
            parts.append(f"{len(stale)} 件在索引中仍是修改前的题名等元数据或旧文件（如 {stale[0]}）")
        if extra:
            parts.append(f"{len(extra)} 件已撤回或不在档案中却仍在索引里（如 {extra[0]}）")
        return IndexStatus(False, "检索索引与档案不一致：" + "；".join(parts), missing=missing, extra=extra)
    return IndexStatus(True, "")


def ensure_index(workspace, notes: list | None = None) -> None:
    """Make the index usable and in step, rebuilding or syncing as needed."""
    archive = _archive(workspace)
    items = archive.items()
    backend = get_backend(workspace)
    if _quick_in_step(backend, items):
        return
    status = index_status(workspace, items)
    pairs = [(item.archive_no, item_fingerprint(item)) for item in items]
    if status.ok and status.exists:
        with _index_lock(workspace):
            backend.reset_digest(pairs)  # the record was stale, the index is fine
        return
    if not status.exists:
        with _index_lock(workspace):
            backend.rebuild(_docs_from_archive(archive, items), procs=None if len(items) >= 200 else 1)
        if notes is not None and items:
            notes.append(f"{status.message}，已从档案自动重建（{len(items)} 件）")
        return
    by_no = {item.archive_no: item for item in items}
    with _index_lock(workspace):
        if status.extra:
            backend.remove(status.extra)
        if status.missing:
            backend.add(list(_docs_from_archive(archive, [by_no[no] for no in status.missing])))
        backend.reset_digest(pairs)
    if notes is not None:
        notes.append(f"{status.message}，已自动补齐")


def _iso(value, label: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, date_cls):
        return value.isoformat()
    try:
        return date_cls.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise SearchError(f"{label}“{value}”无效：请写成 YYYY-MM-DD，例如 2020-03-15") from None


def search(workspace, query: str, *, kind=None, unit=None, date_from=None, date_to=None, tags=(),
           limit: int = 20, notes: list | None = None) -> list[Hit]:
    """Ranked hits for QUERY (either script). NOTES, if given, receives messages about
    automatic index repair, for the caller to show."""
    from ..archive.kinds import normalize_kind
    parsed = parse_query(query)
    filters = Filters(kind=normalize_kind(kind), unit=(unit or "").strip() or None,
                      date_from=_iso(date_from, "起始日期"), date_to=_iso(date_to, "截止日期"),
                      tags=tuple(t.strip() for t in tags if t and t.strip()))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise SearchError(f"起始日期 {filters.date_from} 晚于截止日期 {filters.date_to}，不会有任何文件；"
                          "请对调 --from 与 --to，或改正其中一个日期")
    if parsed.empty and not any((filters.kind, filters.unit, filters.date_from, filters.date_to, filters.tags)):
        raise SearchError("请输入要查找的词，例如：fupin search 危房改造")
    if limit is None or limit < 1:
        raise SearchError("--limit 应为正整数")
    if not parsed.groups and parsed.excluded and not query.strip():
        return []
    backend = get_backend(workspace)
    try:
        ensure_index(workspace, notes)
        return backend.query(parsed, filters, limit)
    except SearchError:
        raise
    except Exception as first:
        # damaged in a way check() did not see: rebuild once, then ask again
        try:
            with _index_lock(workspace):
                backend.rebuild(_docs_from_archive(_archive(workspace)), procs=1)
            if notes is not None:
                notes.append(f"检索索引读取出错（{type(first).__name__}），已从档案自动重建")
            return backend.query(parsed, filters, limit)
        except SearchError:
            raise
        except Exception as err:
            raise SearchError(f"检索索引损坏且无法自动重建（{type(err).__name__}: {err}）。"
                              "请运行 fupin index rebuild；若仍失败，可删除 indexes 文件夹后再运行") from None
