"""What the search and archive pages show beside the hits: facet counts and the
档号 tree (年度 → 保管期限 → 机构). Plain functions over library objects."""

from __future__ import annotations

from collections import Counter

from ..archive.kinds import kind_label
from ..archive.numbering import RETENTIONS, parse_archive_no

# Facets are counted over at most this many best hits (the library has no facet
# query yet; the page says so when there are more).
FACET_SCAN = 60


def facet_counts(hits, items: dict) -> dict:
    """{facet: [(value, label, count)]} for HITS; ITEMS: archive_no -> ArchiveItem."""
    kinds, years, units, tags, retentions = Counter(), Counter(), Counter(), Counter(), Counter()
    for hit in hits:
        item = items.get(hit.archive_no)
        kinds[hit.kind or ""] += 1
        if hit.date:
            years[hit.date[:4]] += 1
        if hit.unit:
            units[hit.unit] += 1
        if item is not None:
            retentions[item.retention] += 1
            for tag in item.tags or ():
                tags[tag] += 1

    def rows(counter, label=lambda v: v, by_value=False):
        ordered = sorted(counter.items(), key=(lambda kv: kv[0]) if by_value else (lambda kv: (-kv[1], kv[0])))
        return [(value, label(value), count) for value, count in ordered if value]

    return {"kind": rows(kinds, kind_label), "year": sorted(rows(years, by_value=True), reverse=True),
            "unit": rows(units)[:15], "tag": rows(tags)[:15],
            "retention": rows(retentions, lambda v: RETENTIONS.get(v, v))}


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
