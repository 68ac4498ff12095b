"""The interface every search backend implements.

The archive is the source of truth; a backend only holds a derived copy that
can be rebuilt from it. Whoosh (embedded, whoosh_backend.py) is the default; a
larger office could implement the same Protocol over a search server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Protocol

from .query import ParsedQuery


class SearchError(Exception):
    """The index cannot answer and could not repair itself. Message in Chinese."""

    exit_code = 1


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


@dataclass
class Hit:
    archive_no: str
    title: str
    kind: str
    unit: str | None
    date: str | None
    score: float
    snippet: str  # matched words marked 【like this】

    def to_json(self) -> dict:
        """Stable keys: archive_no, title, kind, unit, date, score, snippet."""
        data = asdict(self)
        data["score"] = round(self.score, 4)
        return data


@dataclass
class IndexStatus:
    ok: bool
    message: str  # Chinese; what is wrong when not ok
    exists: bool = True
    missing: list = field(default_factory=list)  # archive numbers not in the index
    extra: list = field(default_factory=list)  # in the index, not (or no longer) in the archive


class SearchBackend(Protocol):
    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Replace the whole index with DOCS; returns how many were indexed."""

    def add(self, docs: list[IndexDoc]) -> None:
        """Add or replace DOCS (keyed by archive_no)."""

    def remove(self, archive_nos: list[str]) -> None: ...

    def documents(self) -> dict[str, str]:
        """archive_no -> fingerprint (IndexDoc.fingerprint) of everything indexed. Raises when the index is unusable."""

    def query(self, query: ParsedQuery, filters: Filters, limit: int) -> list[Hit]: ...

    def check(self) -> str | None:
        """None when the index exists, opens and has the current schema; else a reason."""
