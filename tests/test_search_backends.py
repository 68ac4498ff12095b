"""The county index (PostgreSQL, search/pg_backend.py) answers as the embedded
one (Whoosh) does: the judged query set, with and without filters, as typed or
not, by 发文字号, with exclusions, gives the same hits in the same order, how
each matched, and the same totals. A real cluster (tests/pg_cluster.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_workspace
from fupin_docs.archive import Archive
from fupin_docs.archive.extract import extract_text
from fupin_docs.search import get_backend, item_doc, parse_query, rebuild_index
from fupin_docs.search.backend import Filters
from fupin_docs.search.pg_backend import PgSearchBackend, setup
from pg_cluster import Cluster

DATA = Path(__file__).resolve().parent / "data"
JUDGED = json.loads((DATA / "judged" / "judgments.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The judged documents filed once, indexed by Whoosh and by PostgreSQL."""
    root = tmp_path_factory.mktemp("judged") / "ws"
    ws = make_workspace(root)
    archive = Archive(ws)
    for doc in JUDGED["documents"]:
        archive.add(DATA / doc["path"], title=doc["title"], kind=doc["kind"] or None, unit=doc["unit"] or None,
                    date=doc["date"], doc_number=doc["doc_number"] or None, tags=tuple(doc.get("tags", ())))
    rebuild_index(ws)
    cluster = Cluster()
    url = cluster.new_database()
    setup(url)
    county = PgSearchBackend(url, "Z001/ZFB")
    items = archive.items()
    county.rebuild(item_doc(item, extract_text(archive.file_path(item), item.file_name)) for item in items)
    yield get_backend(ws), county, items
    cluster.stop()


def answer(backend, text, limit=20, as_typed=False, **filters):
    hits = backend.query(parse_query(text), Filters(**filters), limit, as_typed=as_typed)
    return [(h.archive_no, h.match, h.title, h.date) for h in hits], hits.total, hits.exact


QUERIES = [q["query"] for q in JUDGED["queries"]]


@pytest.mark.parametrize("text", QUERIES)
def test_judged_queries_agree(both, text):
    embedded, county, _items = both
    for as_typed in (False, True):
        for filters in ({}, {"kind": "plan"}, {"date_from": "2020-01-01", "date_to": "2020-12-31"}):
            mine, total, exact = answer(county, text, as_typed=as_typed, **filters)
            theirs, their_total, their_exact = answer(embedded, text, as_typed=as_typed, **filters)
            assert mine == theirs, (text, as_typed, filters)
            if exact and their_exact:
                assert total == their_total, (text, as_typed, filters)


def test_the_set_finds_something(both):
    """The agreement above is not two empty lists."""
    _embedded, county, _items = both
    found = [answer(county, text)[1] for text in QUERIES]
    assert sum(1 for total in found if total) >= len(QUERIES) - 2, found


@pytest.mark.parametrize("text", ["国办发〔2018〕129号", "国办发[2018]129号", "危房 -改造", "-危房", "NOT 扶贫", "脫貧攻堅",
                                  "扶贫 | 帮扶",
                                  "\"两不愁三保障\"", "村", "2020年"])
def test_ids_exclusions_scripts_and_single_characters_agree(both, text):
    embedded, county, _items = both
    assert answer(county, text) == answer(embedded, text)


def test_filters_alone_list_newest_first_alike(both):
    embedded, county, items = both
    mine = answer(county, "", kind="minutes")
    assert mine == answer(embedded, "", kind="minutes")
    assert mine[1] == sum(1 for item in items if item.kind == "minutes") > 0


def test_documents_and_removal(both):
    embedded, county, items = both
    assert county.documents() == embedded.documents()


@pytest.mark.parametrize("text", ["饮水安全", "整改", "\"两不愁三保障\"", "危房 -改造", "国办发〔2018〕129号", "村", ""])
def test_every_match_and_the_retention_filter_agree(both, text):
    """Hits.matched (what the search page counts its facets over) names the same
    documents in both, and a 保管期限 filter keeps the documents of that 保管期限:
    every judged document was filed with the workspace's default, 定期30年."""
    embedded, county, items = both
    assert {item.retention for item in items} == {"D30"}
    for filters in ({}, {"retention": "D30"}, {"retention": "Y"}, {"kind": "plan", "retention": "D30"}):
        if not text and not filters:
            continue
        mine = county.query(parse_query(text), Filters(**filters), 5, matched=True)
        theirs = embedded.query(parse_query(text), Filters(**filters), 5, matched=True)
        assert sorted(mine.matched) == sorted(theirs.matched), (text, filters)
        assert [h.archive_no for h in mine] == [h.archive_no for h in theirs], (text, filters)
        if filters.get("retention") == "Y":
            assert theirs.matched == [] and theirs.total == 0
    if text:
        everything = embedded.query(parse_query(text), Filters(), 5, matched=True)
        kept = embedded.query(parse_query(text), Filters(retention="D30"), 5, matched=True)
        assert sorted(kept.matched) == sorted(everything.matched) and everything.total > 0


def test_documents_past_postgresqls_limits_are_found_alike(any_workspace, tmp_path):
    """A 3,000-character Latin run (a hash, an OCR'd number) and a text whose
    bigrams pass a tsvector's 1 MB are filed, indexed and found on both backends."""
    import random
    from fupin_docs.filing import file_document, verify
    from fupin_docs.search import search
    ws = any_workspace
    long_run = "A1" * 1500
    one = tmp_path / "编码.txt"
    one.write_text(f"扫描件编码 {long_run} 饮水安全整改结束\n三星镇\n2020年6月1日\n", encoding="utf-8")
    rng = random.Random(7)
    chars = [chr(c) for c in range(0x4E00, 0x9FA5)]
    noise = "".join(rng.choice(chars) for _ in range(280_000))
    two = tmp_path / "大文件.txt"
    two.write_text(f"附件汇编\n{noise}\n最后一段写到危房改造验收。\n三星镇\n2020年6月2日\n", encoding="utf-8")
    for path in (one, two):
        filed = file_document(ws, path, kind="notice")
        assert filed.index_error is None, filed.index_error
    assert [h.title for h in search(ws, "饮水安全整改")] == ["编码"]
    assert [h.title for h in search(ws, long_run.lower())] == ["编码"]
    assert [h.title for h in search(ws, "危房改造验收")] == ["大文件"]
    assert verify(ws).ok


def test_a_nul_in_a_filter_matches_nothing_and_damages_nothing(both):
    embedded, county, _items = both
    for filters in ({"unit": "\x00"}, {"tags": ("\x00",)}, {"kind": "plan\x00"}):
        assert answer(county, "危房", **filters) == answer(embedded, "危房", **filters) == ([], 0, True)


# Date filters of every shape: whole years, whole months, single days, ranges that
# cross a year and a month boundary, open at either end (the county index narrows
# them with year/month/day terms in its bigram index, pg_backend.date_cover).
DATE_FILTERS = [
    {"date_from": "2018-06-01", "date_to": "2018-06-01"},
    {"date_from": "2018-11-26", "date_to": "2020-03-01"},
    {"date_from": "2020-03-02", "date_to": "2020-07-31"},
    {"date_from": "2020-04-01", "date_to": "2020-04-30"},
    {"date_from": "2020-01-01"},
    {"date_to": "2018-06-01"},
    {"date_from": "2025-01-02"},
    {"date_to": "2004-11-09"},
]


@pytest.mark.parametrize("filters", DATE_FILTERS)
def test_date_filters_agree_and_keep_exactly_the_documents_of_those_days(both, filters):
    embedded, county, items = both
    first, last = filters.get("date_from", "0000-00-00"), filters.get("date_to", "9999-12-31")
    dated = sorted(item.archive_no for item in items if first <= item.date <= last)
    listed = county.query(parse_query(""), Filters(**filters), 5, matched=True)
    assert sorted(listed.matched) == dated and listed.total == len(dated)
    for text in ("饮水安全", "整改", "\"两不愁三保障\"", "危房 -改造", "-危房"):
        mine = county.query(parse_query(text), Filters(**filters), 20, matched=True)
        theirs = embedded.query(parse_query(text), Filters(**filters), 20, matched=True)
        assert sorted(mine.matched) == sorted(theirs.matched), (text, filters)
        assert set(mine.matched) <= set(dated), (text, filters)
        assert answer(county, text, **filters) == answer(embedded, text, **filters), (text, filters)


def test_the_filters_select_some_but_not_all(both):
    """The date filter test above is not vacuous: most filters keep some documents, none keeps all."""
    _embedded, county, items = both
    kept = [county.query(parse_query(""), Filters(**f), 5).total for f in DATE_FILTERS]
    assert all(0 <= k < len(items) for k in kept) and sum(1 for k in kept if k) >= len(DATE_FILTERS) - 2, kept


def test_migration_5_gives_an_index_of_schema_4_the_date_terms_filing_writes(both, tmp_path):
    """A county index written under schema 4 (no date terms in the matching vector)
    upgraded in place holds exactly the vectors a fresh filing writes, and answers
    date-filtered queries as the embedded index does."""
    import psycopg
    from fupin_docs.search import pg_backend
    from fupin_docs.workspace.database import upgrade
    embedded, county, items = both
    cluster = Cluster()
    try:
        url = cluster.new_database()
        assert upgrade(url, pg_backend.COMPONENT, pg_backend.MIGRATIONS[:4]) == 4
        with psycopg.connect(county.url) as fresh:
            rows = fresh.execute("SELECT scope, archive_no, fingerprint, title, text, norm_title, norm, kind, unit, "
                                 "unit_key, date, tag_keys, ids, grams, partial, lead FROM search_doc").fetchall()
        with psycopg.connect(url) as old:
            for row in rows:
                old.execute("INSERT INTO search_doc (scope, archive_no, fingerprint, title, text, norm_title, norm, kind, "
                            "unit, unit_key, date, tag_keys, ids, grams, partial, lead) VALUES (%s, %s, %s, %s, %s, %s, "
                            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", row)
            # what schema 4 wrote: the bigrams alone
            old.execute("UPDATE search_doc SET grams = array_to_tsvector(ARRAY(SELECT lexeme FROM "
                        "unnest(tsvector_to_array(grams)) AS lexeme WHERE lexeme !~ '^[ymd]-'))")
            assert old.execute("SELECT count(*) FROM search_doc WHERE grams @@ 'y-2020'").fetchone()[0] == 0
        assert pg_backend.setup(url) == max(m.version for m in pg_backend.MIGRATIONS)
        with psycopg.connect(url) as migrated, psycopg.connect(county.url) as fresh:
            query = "SELECT archive_no, grams::text FROM search_doc ORDER BY archive_no"
            assert migrated.execute(query).fetchall() == fresh.execute(query).fetchall()
            assert migrated.execute("SELECT count(*) FROM search_doc WHERE grams @@ 'y-2020'").fetchone()[0] == \
                sum(1 for item in items if item.date.startswith("2020-")) > 0
        upgraded = PgSearchBackend(url, "Z001/ZFB")
        for filters in DATE_FILTERS[:4]:
            assert answer(upgraded, "饮水安全", **filters) == answer(embedded, "饮水安全", **filters), filters
    finally:
        cluster.stop()
