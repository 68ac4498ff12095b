"""The embedded catalog: the hash-chained journal (journal.py) under a lock.

Reading folds the journal's records into items. The fold is kept per process
and keyed by the file's identity, size and modification time, so a server
answering many requests re-reads nothing when the journal did not change, and
reads only the appended lines when it grew.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..locking import held
from .catalog import ChainCheck, ChainHead
from .item import fold_events
from .journal import Journal, JournalState


@dataclass
class _Folded:
    key: tuple
    state: JournalState
    items: dict


_CACHE: dict = {}  # journal path -> _Folded
_CACHE_LOCK = threading.Lock()


class JournalCatalog:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.journal = Journal(self.root / "journal.jsonl")
        self.lock_file = self.root / ".lock"

    def _key(self) -> tuple | None:
        try:
            st = os.stat(self.journal.path)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def _folded(self) -> _Folded:
        """The fold for the journal as it is now, from the cache when it is current."""
        path = str(self.journal.path)
        key = self._key()
        with _CACHE_LOCK:
            cached = _CACHE.get(path)
        if key is None:
            return _Folded(None, JournalState(), {})
        if cached is not None and cached.key == key:
            return cached
        grew = (cached is not None and cached.key is not None and cached.key[:2] == key[:2]
                and key[2] > cached.key[2] and not cached.state.torn_tail)
        if grew:
            state = self.journal.read(verify=False, after=cached.state)
            items = fold_events(state.events[len(cached.state.events):], cached.items)
        else:
            state = self.journal.read(verify=False)
            items = fold_events(state.events)
        folded = _Folded(key, state, items)
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
        with held(self.lock_file, "档案"):
            yield _JournalWriter(self, self._folded())

    def check_chain(self) -> ChainCheck:
        """Read every record and check the whole chain and its head record."""
        state, problems, warnings = self.journal.check()
        if state is None:
            return ChainCheck(exists=False, problems=problems)
        return ChainCheck(events=state.events, problems=problems, warnings=warnings)


class _JournalWriter:
    def __init__(self, catalog: JournalCatalog, folded: _Folded):
        self._catalog = catalog
        # a private copy of the state: appends must not show in the shared cache
        # until the file itself says so (its size and mtime change)
        self._state = copy.copy(folded.state)
        self._state.events = list(folded.state.events)
        self.items = folded.items  # shared: read it, never change an item in place

    def append(self, action: str, detail: dict, who: str | None) -> dict:
        return self._catalog.journal.append(self._state, action, detail, who)
