"""What the search and archive pages show beside the hits: facet counts and the
档号 tree (年度 → 保管期限 → 机构). Plain functions over library objects."""

from __future__ import annotations

from collections import Counter

from ..archive.kinds import kind_label
from ..archive.numbering import RETENTIONS, parse_archive_no

def facet_counts(numbers, items: dict) -> dict:
    """{facet: [(value, label, count)]} over every match of a search: NUMBERS, the
    archive numbers of all of them (Hits.matched), counted against ITEMS
    (archive_no -> ArchiveItem, the catalog)."""
    found = [items[number] for number in numbers if number in items]
    kinds = Counter(item.kind or "" for item in found)
    years = Counter(item.date[:4] for item in found if item.date)
    units = Counter(item.unit for item in found if item.unit)
    retentions = Counter(item.retention for item in found if item.retention)
    tags = Counter(tag for item in found for tag in (item.tags or ()))

    def rows(counter, label=lambda v: v, by_value=False):
        ordered = sorted(counter.items(), key=(lambda kv: kv[0]) if by_value else (lambda kv: (-kv[1], kv[0])))
        return [(value, label(value), count) for value, count in ordered if value]

    order = list(RETENTIONS)
    return {"kind": rows(kinds, kind_label), "year": sorted(rows(years, by_value=True), reverse=True),
            "unit": rows(units)[:15], "tag": rows(tags)[:15],
            "retention": sorted(rows(retentions, lambda v: RETENTIONS.get(v, v)),
                                key=lambda row: order.index(row[0]) if row[0] in order else len(order))}


def tree(items) -> list[dict]:
    """The 档号 tree: [{year, count, retentions: [{code, label, count, orgs: [{code, count}]}]}], newest year first."""
    counts: dict = {}
    for item in items:
        parts = parse_archive_no(item.archive_no) or {}
        year, retention, org = str(parts.get("year", "")), parts.get("retention", ""), parts.get("org", "")
        node = counts.setdefault(year, {})
        node.setdefault(retention, Counter())[org] += 1
    out = []
    for year in sorted(counts, reverse=True):
        rets = []
        for code in sorted(counts[year], key=lambda c: list(RETENTIONS).index(c) if c in RETENTIONS else 9):
            orgs = counts[year][code]
            rets.append({"code": code, "label": RETENTIONS.get(code, code), "count": sum(orgs.values()),
                         "orgs": [{"code": org, "count": n} for org, n in sorted(orgs.items())]})
        out.append({"year": year, "count": sum(r["count"] for r in rets), "retentions": rets})
    return out


def in_branch(item, year: str | None, retention: str | None, org: str | None) -> bool:
    parts = parse_archive_no(item.archive_no) or {}
    return ((not year or str(parts.get("year")) == year) and (not retention or parts.get("retention") == retention)
            and (not org or parts.get("org") == org))


SORTS = {"archive_no": ("档号", lambda it: it.archive_no), "date": ("日期", lambda it: it.date or ""),
         "title": ("题名", lambda it: it.title or ""), "kind": ("文种", lambda it: it.kind_label or "")}
