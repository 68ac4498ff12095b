"""The embedded catalog: the hash-chained journal (journal.py) under a lock.

Reading folds the journal's records into items. The fold is kept per process
beside the journal state it was made from (Journal.current), so a server
answering many requests re-reads nothing when the journal did not change, and
reads and folds only the appended lines when it grew.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path

from ..locking import held
from .errors import ArchiveError
from .catalog import CHAINS, ChainCheck, ChainHead
from .item import fold_events
from .journal import Journal, JournalState


@dataclass
class _Folded:
    state: JournalState  # the journal state (Journal.current) these items are the fold of
    items: dict


_CACHE: dict = {}  # journal path -> _Folded
_CACHE_LOCK = threading.Lock()

# lock file -> a lock for this process's threads. The lock file keeps other
# processes out, but a thread that finds it held polls for it (filelock sleeps
# 50 ms between tries), so two server threads auditing at once made the second
# wait up to 50 ms beyond the first's append. Threads queue here instead and the
# next one goes on the moment the first lets go; the file lock is still taken.
_THREAD_LOCKS: dict = {}


def _thread_lock(lock_file: Path) -> threading.Lock:
    key = str(lock_file)
    with _CACHE_LOCK:
        lock = _THREAD_LOCKS.get(key)
        if lock is None:
            lock = _THREAD_LOCKS[key] = threading.Lock()
    return lock


class JournalCatalog:
    def __init__(self, root: str | Path, *, name: str = "journal.jsonl", label: str | None = None,
                 what: str = "档案"):
        """The chain in ROOT/NAME; LABEL names it in messages about damage, WHAT in
        "someone else is writing WHAT" (the access log is a chain of its own)."""
        self.root = Path(root)
        self.journal = Journal(self.root / name, **({"label": label} if label else {}))
        self.lock_file = self.root / ".lock"
        self.what = what

    @classmethod
    def for_workspace(cls, workspace, chain: str = "archive") -> "JournalCatalog":
        if chain == "access":  # workspace/audit/access.jsonl
            label, what = CHAINS[chain]
            return cls(Path(workspace.root) / "audit", name="access.jsonl", label=label, what=what)
        return cls(Path(workspace.archive_dir))

    def _folded(self) -> _Folded:
        """The fold of the journal as it is now: kept while the journal is unchanged,
        extended by the appended records when it grew."""
        path = str(self.journal.path)
        state, grew_from = self.journal.current()
        with _CACHE_LOCK:
            cached = _CACHE.get(path)
        if cached is not None and cached.state is state:
            return cached
        if cached is not None and grew_from is not None and cached.state is grew_from:
            items = fold_events(state.events[len(grew_from.events):], cached.items)
        else:
            items = fold_events(state.events)
        folded = _Folded(state, items)
        with _CACHE_LOCK:
            _CACHE[path] = folded
        return folded

    # ---- the Catalog interface --------------------------------------------------
    def items(self) -> dict:
        return dict(self._folded().items)

    def events(self) -> list[dict]:
        return list(self._folded().state.events)

    def exists(self) -> bool:
        return self.journal.path.exists()

    def head(self) -> ChainHead:
        state = self._folded().state
        return ChainHead(state.last_seq, state.last_hash)

    @contextlib.contextmanager
    def writing(self):
        with _thread_lock(self.lock_file), held(self.lock_file, self.what):
            yield _JournalWriter(self, self._folded())

    def townships(self) -> dict[str, str]:
        return {}  # one township's folder: no other township beside it

    def adopt(self, records: list[dict]) -> None:
        with held(self.lock_file, self.what):
            state = self.journal.current()[0] if self.journal.path.exists() else None
            if state is not None and state.events:
                if records and (state.last_seq, state.last_hash) == (records[-1]["seq"], records[-1]["hash"]):
                    return  # taken already (a move run again after being stopped)
                raise ArchiveError(f"{self.journal.label}中已有记录，迁移只能迁入空的{self.journal.label}")
            self.journal.path.unlink(missing_ok=True)
            self.journal.head_path.unlink(missing_ok=True)
            self.journal.adopt(records)

    def check_chain(self) -> ChainCheck:
        """Read every record and check the whole chain and its head record."""
        state, problems, warnings = self.journal.check()
        if state is None:
            return ChainCheck(exists=False, problems=problems)
        return ChainCheck(events=state.events, problems=problems, warnings=warnings)


class _JournalWriter:
    def __init__(self, catalog: JournalCatalog, folded: _Folded):
        self._catalog = catalog
        # appends go to a small private state: the shared one changes only when
        # the file itself says so (its size and mtime change)
        self._state = Journal.tail(folded.state)
        self.items = folded.items  # shared: read it, never change an item in place

    def append(self, action: str, detail: dict, who: str | None) -> dict:
        return self._catalog.journal.append(self._state, action, detail, who)
