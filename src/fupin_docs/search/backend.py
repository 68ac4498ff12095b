"""The interface every search backend implements.

The archive is the source of truth; a backend only holds a derived copy that
can be rebuilt from it. Whoosh (embedded, whoosh_backend.py) is the default; a
larger office could implement the same Protocol over a search server.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Iterable, Protocol

from ..errors import UserError
from .query import ParsedQuery


class SearchError(UserError):
    """A query the user can fix, or an index that could not repair itself."""


@dataclass
class IndexDoc:
    archive_no: str
    sha256: str
    title: str
    text: str  # extracted text; '' for images and other files without text
    kind: str = ""
    unit: str = ""
    date: str = ""  # ISO YYYY-MM-DD or ''
    tags: tuple = ()
    meta: str = ""  # other searchable metadata: 文件编号, 责任者, file name, tags …
    ids: tuple = ()  # archive number, 文件编号: found by their normalised form (query.id_key)
    fingerprint: str = ""  # what the index compares with the archive (sha256 + searchable metadata); '' → sha256


@dataclass
class Filters:
    kind: str | None = None
    unit: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    tags: tuple = ()
    retention: str | None = None  # 保管期限 code Y/D30/D10: the part of the 档号 after its 年度


@dataclass
class Hit:
    archive_no: str
    title: str
    kind: str
    unit: str | None
    date: str | None
    score: float
    snippet: str  # matched words marked 【like this】
    match: str = "as_typed"  # "as_typed": every term occurs as typed (after 繁简 folding); "words": only its words
    township: str | None = None  # a county-wide search: whose document (the office's name, or 全宗号/机构代码)

    def to_json(self) -> dict:
        """Stable keys: archive_no, title, kind, unit, date, score, snippet, match,
        township (null but in a county-wide search)."""
        data = asdict(self)
        data["score"] = round(self.score, 4)
        return data


class Hits(list):
    """The hits shown (a list, best first) and how many documents match in all."""

    def __init__(self, hits=(), total: int | None = None, exact: bool = True, matched=None):
        super().__init__(hits)
        self.total = len(self) if total is None else total  # every match, not only those shown
        self.exact = exact  # False: TOTAL is an upper bound (candidates not all proven)
        # The archive numbers of every match TOTAL counts, in no particular order (when
        # the query asked for them: facet counts over the whole result, not only the
        # hits shown); None: not asked
        self.matched = None if matched is None else list(matched)

    def to_json(self, query: str, notes: list) -> dict:
        """What `search --json` and /api/search answer: stable keys query, total,
        total_exact, shown, notes[], hits[]."""
        return {"query": query, "total": self.total, "total_exact": self.exact, "shown": len(self),
                "notes": list(notes), "hits": [hit.to_json() for hit in self]}


@dataclass
class IndexStatus:
    ok: bool
    message: str  # Chinese; what is wrong when not ok
    exists: bool = True
    missing: list = field(default_factory=list)  # archive numbers not in the index
    extra: list = field(default_factory=list)  # in the index, not (or no longer) in the archive


@functools.lru_cache(maxsize=1 << 18)  # a server digests every item again after each filing
def doc_digest(archive_no: str, fingerprint: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{archive_no}|{fingerprint}".encode("utf-8")).digest()[:16], "big")


def set_digest(pairs) -> str:
    """Digest of what an index holds: XOR over (archive_no, fingerprint) pairs, so
    each add or remove updates it in O(1) and order does not matter."""
    value = 0
    for archive_no, fingerprint in pairs:
        value ^= doc_digest(archive_no, fingerprint)
    return f"{value:032x}"


# name in fupin.toml `[search] backend` -> "module:class"; the class's
# for_workspace(workspace) builds it (from the indexes folder, or the database).
BACKENDS = {
    "whoosh": "fupin_docs.search.whoosh_backend:WhooshBackend",
    "postgresql": "fupin_docs.search.pg_backend:PgSearchBackend",  # the county database ([database] url)
}


class SearchBackend(Protocol):
    def rebuild(self, docs: Iterable[IndexDoc], *, workers: int | None = None, executor=None) -> int:
        """Replace the whole index with DOCS; returns how many were indexed. WORKERS is
        how many processes may share the work (None: the backend decides), EXECUTOR a
        concurrent.futures executor of the caller's to run them on."""

    def add(self, docs: list[IndexDoc]) -> None:
        """Add or replace DOCS (keyed by archive_no)."""

    def remove(self, archive_nos: list[str]) -> None: ...

    def documents(self) -> dict[str, str]:
        """archive_no -> fingerprint (IndexDoc.fingerprint) of everything indexed. Raises when the index is unusable."""

    def query(self, query: ParsedQuery, filters: Filters, limit: int, *, as_typed: bool = False,
              matched: bool = False) -> Hits:
        """The best LIMIT hits, with the number of all matches (Hits.total) and, when
        MATCHED, the archive numbers of all of them (Hits.matched).

        Matching follows query.matches(); each hit says (Hit.match) whether every
        term occurred as typed (ranking.judge: all characters adjacent after
        folding; bigram terms: a phrase of adjacent bigrams) or only by its words.
        Order follows ranking.judge: every as-typed hit before any words-apart one.
        AS_TYPED: only hits in which every term occurs as typed."""

    def county(self) -> "SearchBackend | None":
        """A reader over every township's documents in the same store (a county
        inspection team's search; never written to), or None when the store holds
        this township's index only."""

    def check(self) -> str | None:
        """None when the index exists, opens and has the current schema; else a reason."""

    def recorded_digest(self) -> str | None:
        """set_digest() of what the index holds, as it recorded it (None: unknown)."""

    def record_digest(self, pairs) -> None:
        """Record set_digest(PAIRS) after a full check found the index holds PAIRS."""

    def recorded_head(self) -> dict | None:
        """The archive chain head ({seq, hash}) the index was last brought in step with."""

    def record_head(self, head: dict) -> None:
        """Remember HEAD as the chain head the index is now in step with."""

    def close(self) -> None:
        """Let go of open files (before a rebuild elsewhere, or at shutdown)."""
