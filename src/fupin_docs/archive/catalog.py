"""The catalog interface: what the archive needs from wherever its records live.

The catalog holds the archive's events (add, change, withdraw and every other
audited event) and the items they fold into. The embedded implementation is
the hash-chained journal (journal_catalog.py); a county-scale database is a
second module behind this same interface, chosen by `[archive] catalog` in
fupin.toml.

Reads are cheap and never re-verify the chain (that is `archive verify`'s
job); writes happen inside `writing()`, which holds the catalog's lock and
sees every record appended before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ContextManager, Protocol

from .item import ArchiveItem


@dataclass(frozen=True)
class ChainHead:
    """Where the chain stands: the last record's number and hash. Written down
    elsewhere (an anchor, a pack), it proves later that the chain was only
    appended to, never rewritten."""

    seq: int
    hash: str

    def to_json(self) -> dict:
        return {"seq": self.seq, "hash": self.hash}

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass
class ChainCheck:
    """What `check_chain` found: every record, and the damage to the chain (Chinese)."""

    exists: bool = True  # False: no record was ever written
    events: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # damage: archive verify fails
    warnings: list = field(default_factory=list)  # worth knowing, not damage


class CatalogWriter(Protocol):
    items: dict  # archive_no -> ArchiveItem, current as of taking the lock (read-only: copy before changing)

    def append(self, action: str, detail: dict, who: str | None) -> dict:
        """Append one event; returns the stored record (seq, at, who, action, detail …)."""


class Catalog(Protocol):
    @classmethod
    def for_workspace(cls, workspace, chain: str = "archive") -> "Catalog":
        """The catalog of WORKSPACE (its folder, or its database and township). CHAIN
        "access" gives the access log's chain (CHAINS), kept the same way."""

    def items(self) -> dict[str, ArchiveItem]:
        """archive_no -> item (withdrawn ones included). The items may be shared with
        other readers: copy one (copy.copy) before changing it."""

    def events(self) -> list[dict]:
        """Every event in order."""

    def writing(self) -> ContextManager[CatalogWriter]:
        """Hold the lock; yield a writer that sees every earlier append."""

    def exists(self) -> bool:
        """Whether any record was ever written."""

    def head(self) -> ChainHead:
        """The chain's head as the records say now (seq 0 and 64 zeros when empty)."""

    def check_chain(self) -> ChainCheck:
        """Read everything and check that no record was changed, removed or reordered."""

    def townships(self) -> dict[str, str]:
        """全宗号/机构代码 -> office name of every township whose archive is kept in the
        same place and has filed there (a county database); empty when kept in the
        workspace's own folder."""

    def adopt(self, records: list[dict]) -> None:
        """Take RECORDS (another catalog's whole chain, checked) unchanged as this empty
        catalog's records: a workspace moving between the embedded store and the
        county database keeps every record, hash and 档号."""


# The hash chains a workspace keeps: name -> (label in messages, what a busy writer holds).
CHAINS = {
    "archive": ("档案目录", "档案"),
    "access": ("访问日志", "访问日志"),
}

CATALOGS = {
    # name in fupin.toml -> "module:class"
    "journal": "fupin_docs.archive.journal_catalog:JournalCatalog",
    "postgresql": "fupin_docs.archive.pg_catalog:PgCatalog",  # the county database ([database] url)
}
