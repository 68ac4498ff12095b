"""Which archive items go into a pack: by query, by 档号, or by ledger problem.

Order is stable so the same selection always gives the same pack names:
explicit 档号 in the order given, then a problem's evidence in ledger order,
then query hits by date and 档号 (not by score, which moves when the index
is rebuilt; undated items last).

A query takes only documents in which every term occurs as typed (after 繁简
folding): a pack is evidence, and 饮水 … 粮食安全 is not 饮水安全. LOOSE takes
documents whose words match apart too, as a search lists them after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import UserError

# A pack takes every match unless --limit says otherwise.
ALL_HITS = 100_000


@dataclass(frozen=True)
class Selection:
    query: str | None = None
    ids: tuple[str, ...] = ()
    problem: str | None = None
    kind: str | None = None
    unit: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    tags: tuple[str, ...] = ()
    retention: str | None = None  # 保管期限: Y, D30, D10 (or 永久, 定期30年 …)
    limit: int | None = None
    loose: bool = False  # query: also documents where a term's words occur only apart

    def is_empty(self) -> bool:
        return not (self.query or self.ids or self.problem)

    def describe(self) -> str:
        """One line for bag-info.txt and the 目录: what picked these items."""
        parts = []
        if self.query:
            parts.append(f"检索词：{self.query}（{self.match_rule()}）")
        if self.ids:
            parts.append(f"档号：{'、'.join(self.ids)}")
        if self.problem:
            parts.append(f"台账问题：{self.problem}")
        filters = []
        if self.kind:
            filters.append(f"类别={self.kind}")
        if self.unit:
            filters.append(f"单位={self.unit}")
        if self.date_from:
            filters.append(f"起始日期={self.date_from}")
        if self.date_to:
            filters.append(f"截止日期={self.date_to}")
        for tag in self.tags:
            filters.append(f"标签={tag}")
        if self.retention:
            filters.append(f"保管期限={self.retention}")
        if self.limit:
            filters.append(f"最多{self.limit}件")
        if filters:
            parts.append("筛选：" + "，".join(filters))
        return "；".join(parts)

    def match_rule(self) -> str:
        """Which rule took the query's documents, in the clerk's words ('' without a query)."""
        if not self.query:
            return ""
        if self.loose:
            return "宽松匹配：检索词的各个词语出现即可，不必相连"
        return "原样匹配：每个检索词都原样出现（繁简视为相同）"

    def as_dict(self) -> dict:
        return {"query": self.query, "ids": list(self.ids), "problem": self.problem,
                "kind": self.kind, "unit": self.unit, "from": self.date_from,
                "to": self.date_to, "tags": list(self.tags), "retention": self.retention, "limit": self.limit,
                "match": ("words" if self.loose else "as_typed") if self.query else None}


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _passes(item, sel: Selection) -> bool:
    """The query filters, applied to items picked by 档号 or problem."""
    if sel.kind:
        from ..archive.kinds import normalize_kind

        if normalize_kind(getattr(item, "kind", None) or "") != normalize_kind(sel.kind):
            return False
    if sel.unit and sel.unit not in (getattr(item, "unit", None) or ""):
        return False
    date = _iso(getattr(item, "date", None))
    if sel.date_from and (not date or date < sel.date_from):
        return False
    if sel.date_to and (not date or date > sel.date_to):
        return False
    item_tags = set(getattr(item, "tags", ()) or ())
    if any(tag not in item_tags for tag in sel.tags):
        return False
    if sel.retention:
        from ..archive.numbering import normalize_retention

        if getattr(item, "retention", None) != normalize_retention(sel.retention):
            return False
    return True


def problem_archive_nos(workspace, problem_id: str) -> list[str]:
    """The 档号 of a ledger problem's 佐证材料, in ledger order; UserError if none."""
    from ..ledger import load_ledger

    problem = load_ledger(workspace).get(problem_id)  # LedgerError (a UserError) if unknown
    if not problem.evidence:
        raise UserError(f"台账问题 {problem.pid} 还没有佐证材料（档号）；请先在销号时登记佐证材料，"
                        "或改用检索词、档号选取材料", hint="ledger.close")
    return list(problem.evidence)


class ArchiveLookup:
    """`get` by 档号 over one read of the archive (Archive.get re-reads it each call)."""

    def __init__(self, archive):
        self.archive = archive
        self._by_no = {item.archive_no.upper(): item
                       for item in archive.items(include_withdrawn=True)}

    def get(self, archive_no: str):
        """The item a clerk's 档号 names: any spelling, or an unambiguous 件号 tail."""
        from ..archive.numbering import match_archive_nos

        found = match_archive_nos(archive_no, [item.archive_no for item in self._by_no.values()])
        if len(found) > 1:
            listed = "、".join(f"{no}《{self._by_no[no.upper()].title}》" for no in found[:5])
            raise UserError(f"“{archive_no}”对应多件材料：{listed}；请写出完整档号")
        return self._by_no[found[0].upper()] if found else None


def select_items(workspace, selection: Selection, archive) -> list:
    """The archive items SELECTION names, in pack order; UserError when none.

    Every 档号 given must exist; a selection that matches nothing is an error,
    never an empty pack.
    """
    if selection.is_empty():
        raise UserError("请给出检索词、档号或台账问题编号，以选取要打包的材料", field="selection")
    archive = ArchiveLookup(archive)
    chosen: list = []
    seen: set[str] = set()

    def take(item) -> None:
        if item.archive_no not in seen:
            seen.add(item.archive_no)
            chosen.append(item)

    unknown = []
    for archive_no in selection.ids:
        item = archive.get(archive_no)
        if item is None:
            unknown.append(archive_no)
        elif _passes(item, selection):
            take(item)
    if unknown:
        raise UserError(f"档案中没有档号“{'”“'.join(unknown)}”；请查到正确的档号后再打包", hint="archive.list")

    if selection.problem:
        for archive_no in problem_archive_nos(workspace, selection.problem):
            item = archive.get(archive_no)
            if item is None:
                raise UserError(f"台账问题 {selection.problem} 的佐证材料“{archive_no}”不在档案中；"
                                "请先把它归档，或在台账中改正档号", hint="archive.add")
            if _passes(item, selection):
                take(item)

    if selection.query:
        from ..search import search

        hits = search(workspace, selection.query, kind=selection.kind, unit=selection.unit,
                      date_from=selection.date_from, date_to=selection.date_to,
                      tags=list(selection.tags), retention=selection.retention, limit=selection.limit or ALL_HITS,
                      as_typed=not selection.loose)
        found = []
        for hit in hits:
            item = archive.get(hit.archive_no)
            if item is not None and not getattr(item, "withdrawn", False):
                found.append(item)
        found.sort(key=lambda it: (not _iso(getattr(it, "date", None)), _iso(getattr(it, "date", None)),
                                   it.archive_no))
        for item in found:
            take(item)

    if selection.limit:
        chosen = chosen[:selection.limit]
    if not chosen:
        loosen = "（检索词不必原样出现时可改用宽松匹配）" if selection.query and not selection.loose else ""
        raise UserError(f"没有找到符合条件的材料（{selection.describe()}），未生成材料包；"
                        f"请换个检索词或放宽筛选条件{loosen}，可先检索看看结果")
    return chosen
