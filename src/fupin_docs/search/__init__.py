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

Which backend holds the index is `[search] backend` in fupin.toml (backend.py
BACKENDS); everything here speaks to it through the SearchBackend interface.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import threading
from datetime import date as date_cls
from pathlib import Path

from ..archive import Archive
from ..archive.anchor import chain_holds
from ..archive.catalog import ChainHead
from ..archive.extract import extract_text
from ..archive.kinds import kind_label, normalize_kind
from ..archive.numbering import normalize_retention
from ..errors import Busy, FupinError, IntegrityError, UserError
from ..locking import held
from .backend import (BACKENDS, Filters, Hit, Hits, IndexDoc, IndexStatus, SearchBackend, SearchError, doc_digest,
                      set_digest)
from .query import ParsedQuery, parse_query

__all__ = ["search", "rebuild_index", "archive_change", "chain_problem", "index_item", "remove_item", "index_status", "ensure_index", "get_backend",
           "item_fingerprint", "Hit", "Hits", "IndexDoc", "Filters", "IndexStatus", "SearchBackend", "SearchError",
           "ParsedQuery", "parse_query"]

# Below this many items a rebuild runs in this process: starting workers costs more.
PARALLEL_REBUILD_FROM = 200
# A rebuild of a large archive may hold the index lock for minutes.
INDEX_LOCK_SECONDS = 300

_BACKENDS: dict = {}
_BACKENDS_LOCK = threading.Lock()


def get_backend(workspace) -> SearchBackend:
    """The backend fupin.toml names, one object per index folder and process, so
    its open searcher is reused (it notices a newer index by itself)."""
    name = workspace.config.search.backend
    if name not in BACKENDS:
        raise SearchError(f"fupin.toml 的 [search] backend = “{name}” 无效，可用：{'、'.join(BACKENDS)}")
    directory = Path(workspace.indexes_dir).resolve()
    with _BACKENDS_LOCK:
        backend = _BACKENDS.get((name, directory))
        if backend is None:
            module, cls = BACKENDS[name].split(":")
            backend = _BACKENDS[(name, directory)] = getattr(importlib.import_module(module), cls).for_workspace(workspace)
    return backend


_HOLDING = threading.local()  # .folders: index folders whose lock this thread holds


@contextlib.contextmanager
def _index_lock(workspace, timeout: float = INDEX_LOCK_SECONDS):
    """The index lock, taken once per thread: an update made inside archive_change
    (which holds it already) does not wait for itself."""
    folder = str(Path(workspace.indexes_dir).resolve())
    holding = _HOLDING.__dict__.setdefault("folders", set())
    if folder in holding:
        yield
        return
    with held(Path(workspace.indexes_dir) / ".lock", "检索索引", timeout=timeout):
        holding.add(folder)
        try:
            yield
        finally:
            holding.discard(folder)


# How long a filing waits for the index lock before it changes the archive anyway
# (the archive comes first; the index then catches up as before).
CHANGE_LOCK_SECONDS = 10


@contextlib.contextmanager
def archive_change(workspace):
    """Hold the index lock across an archive change and its index update (filing.py),
    so that no search sees the journal ahead of the index in between: a search that
    finds the index lock held answers from the index as it stands (ensure_index)
    instead of repairing the index itself, which reads every indexed document. When
    the lock cannot be had within CHANGE_LOCK_SECONDS (a long rebuild), the change
    goes ahead without it."""
    try:
        lock = _index_lock(workspace, CHANGE_LOCK_SECONDS)
        lock.__enter__()
    except Busy:
        yield
        return
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def item_fingerprint(item) -> str:
    """Short hash of what the index holds for ITEM: its bytes (sha256) and every
    searchable metadata field. Any edit of that metadata changes it."""
    return _fingerprint(item.sha256, item.title, item.date, item.unit, item.kind, tuple(item.tags or ()),
                        item.doc_number, item.issuer, item.file_name)


@functools.lru_cache(maxsize=200_000)  # a server checks every item's fingerprint again after each filing
def _fingerprint(*values) -> str:
    data = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:32]


def item_doc(item, text: str) -> IndexDoc:
    meta = " ".join(str(v) for v in (item.doc_number, item.issuer, item.unit, kind_label(item.kind),
                                     item.file_name, " ".join(item.tags)) if v)
    return IndexDoc(archive_no=item.archive_no, sha256=item.sha256, title=item.title, text=text or "",
                    kind=item.kind or "", unit=item.unit or "", date=item.date or "",
                    tags=tuple(item.tags), meta=meta, ids=(item.archive_no, item.doc_number or ""),
                    fingerprint=item_fingerprint(item))


def _docs_from_archive(archive, items, progress=None):
    total = len(items)
    for done, item in enumerate(items, 1):
        yield item_doc(item, extract_text(archive.file_path(item), item.file_name))
        if progress is not None:
            progress(done, total)


def chain_problem(workspace, archive=None) -> str | None:
    """None when the archive's journal still holds the chain head the index was last
    brought in step with; else what happened. A journal that no longer holds it was
    rewritten, not appended to: the index is the witness, so it is not repaired."""
    recorded = get_backend(workspace).recorded_head()
    if not recorded or not isinstance(recorded.get("seq"), int) or not isinstance(recorded.get("hash"), str):
        return None
    archive = archive or Archive(workspace)
    trouble = chain_holds(archive.events(), ChainHead(recorded["seq"], recorded["hash"]))
    return f"检索索引最近一次与档案同步时，{trouble}" if trouble else None


def _check_chain(workspace, archive) -> None:
    problem = chain_problem(workspace, archive)
    if problem:
        raise IntegrityError(f"{problem}。检索索引不会自动修复，以免掩盖改动；请核对档案、从备份恢复日志，"
                             "确认无误后再重建检索索引", hint="index.rebuild")


def _record_head(backend, archive) -> None:
    backend.record_head(archive.head().to_json())


def _workers_for(count: int) -> int | None:
    return 1 if count < PARALLEL_REBUILD_FROM else None


def rebuild_index(workspace, *, workers: int | None = None, executor=None, progress=None) -> int:
    """Rebuild the index from the archive alone; returns the number of documents.
    PROGRESS(done, total) is called as each item's text is read; EXECUTOR, a
    concurrent.futures executor the caller owns, runs the backend's workers."""
    archive = Archive(workspace)
    backend = get_backend(workspace)
    items = archive.items()
    with _index_lock(workspace):
        count = backend.rebuild(_docs_from_archive(archive, items, progress),
                                workers=workers if workers is not None else _workers_for(len(items)),
                                executor=executor)
        _record_head(backend, archive)  # a rebuild asked for accepts the archive as it is now
        return count


def index_item(workspace, item, text: str) -> None:
    """Bring ITEM (just filed or edited, with its extracted TEXT) into the index."""
    backend = get_backend(workspace)
    archive = Archive(workspace)
    _check_chain(workspace, archive)
    with _index_lock(workspace):
        if backend.check() is not None:
            items = archive.items()  # ITEM among them: it is in the catalog
            backend.rebuild(_docs_from_archive(archive, items), workers=_workers_for(len(items)))
        else:
            backend.add([item_doc(item, text)])
        _record_head(backend, archive)


def remove_item(workspace, archive_no: str) -> None:
    """Take a withdrawn item out of the index (a missing index has nothing to remove)."""
    backend = get_backend(workspace)
    archive = Archive(workspace)
    _check_chain(workspace, archive)
    with _index_lock(workspace):
        if backend.check() is None:
            backend.remove([archive_no])
            _record_head(backend, archive)


def _pairs(items) -> list[tuple[str, str]]:
    return [(item.archive_no, item_fingerprint(item)) for item in items]


# index folder -> archive_no -> (item, its doc_digest), as last digested in this
# process. The catalog never changes a folded item (fold_events copies one before an
# event changes it), so the very same object has the same fingerprint: after a filing
# only the new or changed items are digested again, not all 10,000 (bench/README.md,
# serve_load: every server thread did this after every filing).
_DIGESTED: dict = {}
_DIGESTED_LOCK = threading.Lock()


def _items_digest(key: str, items) -> str:
    """set_digest(_pairs(ITEMS)), reusing the digests of the items seen last time."""
    with _DIGESTED_LOCK:
        known = _DIGESTED.get(key)
        if known is None or len(known) > 2 * len(items) + 1000:  # none yet, or mostly items gone since
            known = _DIGESTED[key] = {}
    value = 0
    fresh = []
    get = known.get
    for item in items:
        seen = get(item.archive_no)
        if seen is not None and seen[0] is item:
            value ^= seen[1]
        else:
            digest = doc_digest(item.archive_no, item_fingerprint(item))
            fresh.append((item.archive_no, (item, digest)))
            value ^= digest
    if fresh:
        with _DIGESTED_LOCK:
            known.update(fresh)
    return f"{value:032x}"


# index folder -> (archive chain head, the index's recorded digest) when they were
# last found in step, in this process: a server answering many searches checks
# the in-step digest (which fingerprints every item) only after something changed.
_CONFIRMED: dict = {}


def _confirm(key: str, head, recorded, archive) -> None:
    """Remember that the index held exactly the items of the chain at HEAD when its
    digest was RECORDED, unless the journal moved on while they were compared."""
    if archive.head() == head:
        _CONFIRMED[key] = (head, recorded)


def _quick_in_step(backend, items, key: str | None = None) -> bool:
    recorded = backend.recorded_digest()
    if recorded is None:
        return False
    return recorded == (_items_digest(key, items) if key is not None else set_digest(_pairs(items)))


def index_status(workspace, items=None, quick: bool = False) -> IndexStatus:
    """Is the index usable and in step with the archive's current (not withdrawn) items?
    QUICK trusts the index's own record of what it holds when that matches."""
    backend = get_backend(workspace)
    if items is None:
        items = Archive(workspace).items()
    if quick and _quick_in_step(backend, items):
        return IndexStatus(True, "")
    problem = backend.check()
    if problem is not None:
        if not items and problem == "检索索引不存在":
            return IndexStatus(True, "", exists=False)
        return IndexStatus(False, problem, exists=False)
    try:
        indexed = backend.documents()
    except Exception as err:  # any backend's read failure means the same: rebuild
        return IndexStatus(False, f"检索索引无法读取（{type(err).__name__}）")
    expected = dict(_pairs(items))
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
    """Make the index usable and in step, rebuilding or syncing as needed.
    NOTES, if given, receives a sentence for each repair made."""
    archive = Archive(workspace)
    backend = get_backend(workspace)
    key = str(Path(workspace.indexes_dir).resolve())
    recorded, head = backend.recorded_digest(), archive.head()
    if recorded is not None and _CONFIRMED.get(key) == (head, recorded):
        return  # nothing appended to the journal and nothing written to the index since the last check
    _check_chain(workspace, archive)
    if recorded is not None and recorded == _items_digest(key, archive.items()):
        _confirm(key, head, recorded, archive)
        return
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(_index_lock(workspace, timeout=0))
        except Busy:
            # Another program (or thread) is writing the index this moment: a filing's
            # index update, a repair, a rebuild into a new folder. It brings the index
            # in step; this search answers from the index as it stands (a document
            # filed while it runs may not be among the hits yet) instead of waiting
            # for the writer (bench/README.md, serve_load). The next search checks again.
            return
        # Read the catalog again under the lock: a document filed (or withdrawn)
        # between an earlier read and now would otherwise look like an index
        # entry the archive does not have, and be taken out of the index.
        head, items = archive.head(), archive.items()
        if _quick_in_step(backend, items, key):
            _confirm(key, head, backend.recorded_digest(), archive)
            return
        status = index_status(workspace, items)
        if status.ok and status.exists:
            backend.record_digest(_pairs(items))  # the record was stale, the index is fine
            note = None
        elif not status.exists:
            backend.rebuild(_docs_from_archive(archive, items), workers=_workers_for(len(items)))
            note = f"{status.message}，已从档案自动重建（{len(items)} 件）" if items else None
        else:
            by_no = {item.archive_no: item for item in items}
            if status.extra:
                backend.remove(status.extra)
            if status.missing:
                backend.add(list(_docs_from_archive(archive, [by_no[no] for no in status.missing])))
            backend.record_digest(_pairs(items))
            note = f"{status.message}，已自动补齐"
        _record_head(backend, archive)
    if notes is not None and note:
        notes.append(note)


def _iso(value, label: str, field: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, date_cls):
        return value.isoformat()
    try:
        return date_cls.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise SearchError(f"{label}“{value}”无效：请写成 YYYY-MM-DD，例如 2020-03-15", field=field) from None


def _retention(value) -> str | None:
    if value in (None, ""):
        return None
    try:
        return normalize_retention(value)
    except UserError:
        raise SearchError(f"保管期限“{value}”无效：应为 永久（Y）、定期30年（D30）或 定期10年（D10）",
                          field="retention") from None


def search(workspace, query: str, *, kind=None, unit=None, date_from=None, date_to=None, tags=(), retention=None,
           limit: int = 20, notes: list | None = None, as_typed: bool = False, matched: bool = False,
           county: bool = False) -> Hits:
    """Ranked hits for QUERY (either script), at most LIMIT; Hits.total counts every
    match. NOTES, if given, receives messages about automatic index repair.
    RETENTION: only items of that 保管期限 (Y/D30/D10 or 永久/定期30年/定期10年).
    MATCHED: Hits.matched lists the archive numbers of every match Hits.total counts
    (for counting facets over the whole result).

    Every hit says how it matched (Hit.match): "as_typed" when each term of the query
    occurs as typed (all its characters adjacent, after 繁简 folding), "words" when
    only a term's words occur, apart; every as-typed hit comes first (ranking.py).
    AS_TYPED: only the as-typed hits (what an evidence pack takes by default).
    COUNTY: every township's archive in the county database (a county inspection
    team's search); each hit names its township (Hit.township)."""
    parsed = parse_query(query)
    filters = Filters(kind=normalize_kind(kind), unit=(unit or "").strip() or None,
                      date_from=_iso(date_from, "起始日期", "date_from"), date_to=_iso(date_to, "截止日期", "date_to"),
                      tags=tuple(t.strip() for t in tags if t and t.strip()), retention=_retention(retention))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise SearchError(f"起始日期 {filters.date_from} 晚于截止日期 {filters.date_to}，不会有任何文件；"
                          "请对调起止日期，或改正其中一个", field="date_from")
    if parsed.empty and not any((filters.kind, filters.unit, filters.date_from, filters.date_to, filters.tags,
                                 filters.retention)):
        raise SearchError("请输入要查找的词", hint="search.example")
    if limit is None or limit < 1:
        raise SearchError("最多显示的条数应为正整数", field="limit")
    if not parsed.groups and parsed.excluded and not query.strip():
        return Hits(matched=[] if matched else None)
    backend = get_backend(workspace)
    if county:
        return _county_search(workspace, backend, parsed, filters, limit, notes, as_typed, matched)
    try:
        ensure_index(workspace, notes)
        return backend.query(parsed, filters, limit, as_typed=as_typed, matched=matched)
    except FupinError:  # a message for the user already (busy, bad query)
        raise
    except Exception as first:  # any backend's read failure: rebuild once, then ask again
        try:
            archive = Archive(workspace)
            items = archive.items()
            with _index_lock(workspace):
                backend.rebuild(_docs_from_archive(archive, items), workers=1)
                _record_head(backend, archive)
            if notes is not None:
                notes.append(f"检索索引读取出错（{type(first).__name__}），已从档案自动重建")
            return backend.query(parsed, filters, limit, as_typed=as_typed, matched=matched)
        except FupinError:
            raise
        except Exception as err:
            raise SearchError(f"检索索引损坏且无法自动重建（{type(err).__name__}: {err}）",
                              hint="index.rebuild") from None


def township_code(archive_no: str) -> str:
    """全宗号/机构代码 of a 档号 (DA/T 22: 全宗号-门类·年度-保管期限-机构-件号)."""
    parts = archive_no.split("-")
    return f"{parts[0]}/{parts[-2]}" if len(parts) >= 4 else archive_no


def _county_search(workspace, backend, parsed, filters, limit, notes, as_typed, matched) -> Hits:
    """Every township's documents in the county database. Other townships' indexes
    are kept in step by their own filings (one transaction each): only this
    township's is checked here, and a failure is reported, never repaired from here."""
    reader = backend.county()
    if reader is None:
        raise SearchError("本工作目录的档案只存在本机，没有接入县级数据库，只能检索本单位的档案", field="county",
                          hint="search.county")
    ensure_index(workspace, notes)
    hits = reader.query(parsed, filters, limit, as_typed=as_typed, matched=matched)
    names = Archive(workspace).catalog.townships()
    for hit in hits:
        code = township_code(hit.archive_no)
        hit.township = names.get(code) or f"全宗 {code.replace('/', '，机构 ')}"
    return hits
