"""The county index: full text in PostgreSQL, without extensions.

PostgreSQL's own parsers keep a whole run of Chinese characters as one token,
so the documents are indexed the way the embedded index is (normalize.bigrams:
character bigrams of the folded text, Latin words whole) as a `tsvector` built
here, with a GIN index. Matching needs only which bigrams a document has, so
that vector carries no positions; the bigrams find candidates and the folded
text stored beside them proves each match (query.matches, ranking.judge), as
in the embedded index. Candidates are ranked for judging by a second, small
vector of the title (weighted A) and the opening (ranking.first_paragraph),
which ranking.judge weighs most: ranking by the whole text would read every
candidate's vector (tens of KB, out of line) and cost seconds at county scale.
PostgreSQL's limits are kept: a Latin/digit run is indexed by its first
MAX_LEXEME_CHARS characters, and a body whose bigrams would pass a tsvector's
1 MB keeps what fits and is marked partial (a candidate for every query).

A query follows the embedded backend step for step (whoosh_backend.py): the
as-typed query's candidates, best first, judged in growing windows until
enough as-typed hits are proven, then the words-apart ones; the same hits, the
same order (ranking.judge), the same totals where both are exact. Each
township's documents carry its scope; filters are columns. A date filter is
also a tsquery of the year, month and day terms the matching vector holds
(date_terms, date_cover), so the bigram index itself narrows the candidates to
those days: county-wide, the other way to apply it was to read the matching
vector of every document of the year.
"""

from __future__ import annotations

import calendar
import json
import re
from collections import defaultdict
from datetime import date, timedelta

from ..workspace.database import Migration, stage_connection, township, upgrade
from .backend import Filters, Hit, Hits, IndexDoc, set_digest
from .normalize import bigrams, normalize
from .query import ParsedQuery, Term, id_key, matches, needs_text_check, term_needs
from .ranking import AS_TYPED, Candidate, first_paragraph, judge_in_windows, typed_only
from .snippet import make_snippet

COMPONENT = "search"
MIGRATIONS = (
    Migration(1, """
CREATE TABLE search_doc (
    scope text NOT NULL,
    archive_no text NOT NULL,
    fingerprint text NOT NULL,
    title text NOT NULL,
    text text NOT NULL,          -- kept for snippets (first MAX_STORED_TEXT characters)
    norm_title text NOT NULL,    -- folded title (what ranking.judge reads)
    norm text NOT NULL,          -- folded title, text and metadata (what matching proves against)
    kind text NOT NULL,
    unit text NOT NULL,
    unit_key text NOT NULL,
    date text NOT NULL,
    tag_keys text[] NOT NULL,
    ids text[] NOT NULL,
    grams tsvector NOT NULL,
    PRIMARY KEY (scope, archive_no)
);
CREATE INDEX search_doc_grams ON search_doc USING gin (grams);
CREATE INDEX search_doc_scope_date ON search_doc (scope, date);
CREATE INDEX search_doc_ids ON search_doc USING gin (ids);
CREATE TABLE search_state (
    scope text PRIMARY KEY,
    digest text,
    head jsonb
);
"""),
    # Ranking read every candidate's whole vector (detoasted, ~10 KB each): a small
    # vector of the title and the opening ranks the window instead, as ranking.judge
    # weighs them most; the date alone gets an index for county-wide year filters.
    Migration(2, """
ALTER TABLE search_doc ADD COLUMN lead tsvector;
UPDATE search_doc SET lead = grams;
ALTER TABLE search_doc ALTER COLUMN lead SET NOT NULL;
CREATE INDEX search_doc_date ON search_doc (date);
"""),
    # A body too large for one tsvector (PostgreSQL's 1 MB) keeps what fits and is
    # marked partial: such a document is always a candidate, proven on its text.
    Migration(3, """
ALTER TABLE search_doc ADD COLUMN partial boolean NOT NULL DEFAULT false;
CREATE INDEX search_doc_partial ON search_doc (scope) WHERE partial;
"""),
    # Keep the rows a query scans narrow: the wide columns (text, norm, the matching
    # vector) go out of line, the small ranking vector stays in the row. Measured at
    # 200,000 documents: a filtered phrase with 19,000 candidates read 94,000 pages.
    Migration(4, """
ALTER TABLE search_doc SET (toast_tuple_target = 256);
ALTER TABLE search_doc ALTER COLUMN lead SET STORAGE MAIN;
"""),
    # The matching vector also holds the document's date as year, month and day terms
    # (date_terms), so a date filter narrows the candidates inside the bigram index:
    # county-wide, PostgreSQL read the whole matching vector of every document of the
    # year to count a phrase's candidates (94 ms for 脱贫攻坚 in one year at 200,000
    # documents; 32 ms from the index). The index is rebuilt once after the vectors.
    Migration(5, """
DROP INDEX search_doc_grams;
UPDATE search_doc SET grams = grams || CASE
    WHEN date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
        THEN array_to_tsvector(ARRAY['y-' || left(date, 4), 'm-' || left(date, 7), 'd-' || date])
    WHEN date <> '' THEN array_to_tsvector(ARRAY['d-?'])
    ELSE ''::tsvector END;
CREATE INDEX search_doc_grams ON search_doc USING gin (grams);
"""),
)

MAX_STORED_TEXT = 300_000  # as the embedded index: characters kept for snippets and judging
MAX_POSITION = 16_383  # PostgreSQL keeps no tsvector position beyond this
MAX_POSITIONS_PER_GRAM = 256  # … nor more than this many per lexeme
MAX_LEXEME_CHARS = 500  # PostgreSQL refuses a lexeme over 2,046 bytes: a longer Latin/digit run is kept by its start
VECTOR_BUDGET = 900_000  # bytes of lexemes kept per document (a tsvector holds at most 1 MB)
RANK_LEAD_CHARS = 120  # the opening the ranking vector holds besides the title: small enough to stay in the row
MAX_DATE_TERMS = 120  # a date filter needing more year/month/day terms than this is left to the date index
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def setup(url: str, progress=None) -> int:
    return upgrade(url, COMPONENT, MIGRATIONS, progress)


def _lexeme(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _gram(gram: str) -> str:
    return gram[:MAX_LEXEME_CHARS]


def body_vector(body: str) -> tuple[str, bool]:
    """(the tsvector literal of BODY's bigrams, without positions: matching needs only
    which bigrams a document has; whether some had to be left out to stay in
    PostgreSQL's limits)."""
    seen = dict.fromkeys(_gram(g) for g in bigrams(normalize(body)))
    parts, size = [], 0
    for gram in seen:
        size += len(gram.encode("utf-8")) + 8  # the lexeme and its entry
        if size > VECTOR_BUDGET:
            return " ".join(parts), True
        parts.append(_lexeme(gram))
    return " ".join(parts), False


def _with_date(vector: tuple[str, bool], day: str) -> tuple[str, bool]:
    """VECTOR (body_vector's) with DAY's date_terms."""
    literal, partial = vector
    terms = " ".join(_lexeme(term) for term in date_terms(day))
    return (f"{literal} {terms}" if literal and terms else literal or terms), partial


def grams_vector(title: str, body: str) -> str:
    """The tsvector literal of BODY (the title and the opening, folded; small): each
    bigram with its positions, those inside the title weighted A, for ranking."""
    title_grams = len(bigrams(normalize(title))) if title else 0
    positions: dict = defaultdict(list)
    for number, gram in enumerate(bigrams(normalize(body)), 1):
        spots = positions[_gram(gram)]
        if number <= MAX_POSITION and len(spots) < MAX_POSITIONS_PER_GRAM:
            spots.append(f"{number}A" if number <= title_grams else str(number))
        elif not spots:
            spots.append("")  # the bigram is there, its place is not kept
    parts = []
    for gram, spots in positions.items():
        kept = [s for s in spots if s]
        parts.append(_lexeme(gram) + (":" + ",".join(kept) if kept else ""))
    return " ".join(parts)


def date_terms(day: str) -> list[str]:
    """The terms the matching vector holds for a document dated DAY (as migration 5
    writes them): its year, month and day. No text piece (normalize.PIECE_RE: CJK
    runs, Latin/digit runs) holds a '-', so none can be mistaken for a word; a date
    not written YYYY-MM-DD is marked 'd-?' and always stays a candidate."""
    if _ISO_DATE.match(day):
        return [f"y-{day[:4]}", f"m-{day[:7]}", f"d-{day}"]
    return ["d-?"] if day else []


def date_cover(first: str, last: str) -> list[str] | None:
    """The fewest year, month and day terms (date_terms) that the documents dated
    FIRST to LAST (inclusive, YYYY-MM-DD) hold and no other ISO-dated document does;
    None when they are more than MAX_DATE_TERMS or the dates are not ISO days."""
    try:
        day, end = date.fromisoformat(first), date.fromisoformat(last)
    except (TypeError, ValueError):
        return None
    terms = []
    while day <= end:
        month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        if day.month == 1 and day.day == 1 and day.replace(month=12, day=31) <= end:
            terms.append(f"y-{day.year:04d}")
            last_day = day.replace(month=12, day=31)
        elif day.day == 1 and month_end <= end:
            terms.append(f"m-{day.year:04d}-{day.month:02d}")
            last_day = month_end
        else:
            terms.append(f"d-{day.isoformat()}")
            last_day = day
        if len(terms) > MAX_DATE_TERMS:
            return None
        if last_day >= date.max:
            break
        day = last_day + timedelta(days=1)
    return terms


def _need_query(need: str) -> str:
    """NEED as tsquery text, as whoosh_backend._need_query looks it up."""
    if need[0] < "\u3400" or len(need) == 2:
        return _lexeme(_gram(need))
    if len(need) == 1:
        return _lexeme(need) + ":*"
    return "(" + " & ".join(_lexeme(g) for g in sorted(set(bigrams(need)))) + ")"


def _term_query(term: Term) -> str | None:
    needs = term_needs(term)
    if not needs:
        return None
    parts = [_need_query(n) for n in dict.fromkeys(needs)]
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


def _index_exact(term: Term) -> bool:
    return not any(needs_text_check(n) for n in term_needs(term))


def build_query(parsed: ParsedQuery) -> tuple[str | None, bool, bool]:
    """(tsquery text or None for every document, whether hits must be checked against
    the text, whether nothing can match)."""
    check = any(not _index_exact(t) for t in parsed.positive_terms())
    groups = []
    for group in parsed.groups:
        alternatives = [q for q in (_term_query(t) for t in group) if q is not None]
        if alternatives:
            groups.append(alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")")
    if parsed.groups and not groups:
        return None, check, True
    negatives = []
    for term in parsed.excluded:
        q = _term_query(term) if _index_exact(term) else None
        if q is not None:
            negatives.append(q)
        elif not _index_exact(term):
            check = True
    text = " & ".join(groups)
    if negatives:
        text = (f"({text}) & " if text else "") + " & ".join(f"!{q}" for q in negatives)
    return (text or None), check, False


class PgSearchBackend:
    def __init__(self, url: str, scope: str | None):
        """The index of township SCOPE (全宗号/机构代码) in the database at URL; SCOPE None
        reads every township's documents (a county inspector's search; no writing)."""
        self.url = url
        self.scope = scope

    @classmethod
    def for_workspace(cls, workspace) -> "PgSearchBackend":
        return cls(workspace.config.database.url, township(workspace))

    def county(self) -> "PgSearchBackend":
        return PgSearchBackend(self.url, None)

    def _connection(self):
        return stage_connection(self.url, COMPONENT, MIGRATIONS)

    # ---- writing --------------------------------------------------------------------
    def _rows(self, docs):
        for doc in docs:
            body = "\n".join(part for part in (doc.title, doc.text, doc.meta) if part)
            kept = "\n".join(part for part in (doc.title, doc.text[:MAX_STORED_TEXT], doc.meta) if part)
            keys = [key for key in dict.fromkeys(id_key(value) for value in doc.ids if value) if key]
            yield (self.scope, doc.archive_no, doc.fingerprint or doc.sha256, doc.title or "",
                   doc.text[:MAX_STORED_TEXT], normalize(doc.title or ""), normalize(kept), doc.kind or "",
                   doc.unit or "", normalize(doc.unit) if doc.unit else "", doc.date or "",
                   [normalize(tag) for tag in doc.tags], keys, *_with_date(body_vector(body), doc.date or ""),
                   grams_vector(doc.title or "", "\n".join((doc.title or "",
                                                            first_paragraph(doc.text or "")[:RANK_LEAD_CHARS]))))

    _INSERT = ("INSERT INTO search_doc (scope, archive_no, fingerprint, title, text, norm_title, norm, kind, unit, "
               "unit_key, date, tag_keys, ids, grams, partial, lead) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
               "%s, %s, %s::tsvector, %s, %s::tsvector) ON CONFLICT (scope, archive_no) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
               "title = EXCLUDED.title, text = EXCLUDED.text, norm_title = EXCLUDED.norm_title, norm = EXCLUDED.norm, "
               "kind = EXCLUDED.kind, unit = EXCLUDED.unit, unit_key = EXCLUDED.unit_key, date = EXCLUDED.date, "
               "tag_keys = EXCLUDED.tag_keys, ids = EXCLUDED.ids, grams = EXCLUDED.grams, partial = EXCLUDED.partial, lead = EXCLUDED.lead")

    def rebuild(self, docs, *, workers: int | None = None, executor=None) -> int:
        count = 0
        with self._connection() as conn:
            conn.execute("DELETE FROM search_doc WHERE scope = %s", (self.scope,))
            conn.execute("DELETE FROM search_state WHERE scope = %s", (self.scope,))
            batch = []
            with conn.cursor() as cursor:
                for row in self._rows(docs):
                    batch.append(row)
                    if len(batch) >= 200:
                        cursor.executemany(self._INSERT, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(self._INSERT, batch)
                    count += len(batch)
        return count

    def add(self, docs: list[IndexDoc]) -> None:
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.executemany(self._INSERT, list(self._rows(docs)))
            conn.execute("UPDATE search_state SET digest = NULL WHERE scope = %s", (self.scope,))

    def remove(self, archive_nos: list[str]) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM search_doc WHERE scope = %s AND archive_no = ANY(%s)",
                         (self.scope, list(archive_nos)))
            conn.execute("UPDATE search_state SET digest = NULL WHERE scope = %s", (self.scope,))

    def documents(self) -> dict[str, str]:
        with self._connection() as conn:
            return dict(conn.execute("SELECT archive_no, fingerprint FROM search_doc WHERE scope = %s",
                                     (self.scope,)).fetchall())

    def check(self) -> str | None:
        try:
            with self._connection():
                return None
        except Exception as err:  # the reason is shown to the administrator
            return str(err)

    def _state(self, column: str):
        with self._connection() as conn:
            row = conn.execute(f"SELECT {column} FROM search_state WHERE scope = %s", (self.scope,)).fetchone()
        return row[0] if row else None

    def _set_state(self, column: str, value) -> None:
        with self._connection() as conn:
            conn.execute(f"INSERT INTO search_state (scope, {column}) VALUES (%s, %s) "
                         f"ON CONFLICT (scope) DO UPDATE SET {column} = EXCLUDED.{column}", (self.scope, value))

    def recorded_digest(self) -> str | None:
        return self._state("digest")

    def record_digest(self, pairs) -> None:
        self._set_state("digest", set_digest(pairs))

    def recorded_head(self) -> dict | None:
        return self._state("head")

    def record_head(self, head: dict) -> None:
        self._set_state("head", json.dumps(head))

    def close(self) -> None:
        pass

    # ---- reading --------------------------------------------------------------------
    def _where(self, filters: Filters) -> tuple[str, list]:
        clauses, values = (["scope = %s"], [self.scope]) if self.scope is not None else (["TRUE"], [])
        if filters.kind:
            clauses.append("kind = %s")
            values.append(filters.kind)
        if filters.unit:
            clauses.append("unit_key = %s")
            values.append(normalize(filters.unit))
        if filters.date_from or filters.date_to:
            clauses.append("date BETWEEN %s AND %s")
            values += [filters.date_from or "0000-00-00", filters.date_to or "9999-12-31"]
        if filters.tags:
            clauses.append("tag_keys @> %s")
            values.append([normalize(tag) for tag in filters.tags])
        if filters.retention:  # the 档号's 保管期限 part (numbering.py), as the embedded index filters it
            clauses.append("archive_no ~ %s")
            values.append(rf"·[0-9]{{4}}-{re.escape(filters.retention)}-[^-]+-[0-9]{{4}}$")
        if any("\x00" in str(v) for v in values if not isinstance(v, list)) or \
                any("\x00" in t for v in values if isinstance(v, list) for t in v):
            return "FALSE", []  # no stored value holds a NUL (PostgreSQL text cannot): nothing matches
        return " AND ".join(clauses), values

    def _dates(self, conn, filters: Filters) -> str | None:
        """A date filter as a tsquery of date_terms (or None: left to the date index), so
        the bigram index narrows the candidates by date itself; the date column is still
        compared (it is the filter, this only narrows). An open end is the index's
        earliest or latest date."""
        if not (filters.date_from or filters.date_to):
            return None
        first, last = filters.date_from, filters.date_to
        if not (first and last):
            earliest, latest = conn.execute("SELECT min(date), max(date) FROM search_doc WHERE date > ''").fetchone()
            if earliest is None:
                return "'d-?'"
            first, last = first or earliest, last or latest
            if first > last:
                return "'d-?'"
        terms = date_cover(first, last)
        if terms is None:
            return None
        return "(" + " | ".join(_lexeme(term) for term in [*terms, "d-?"]) + ")"

    _COLUMNS = "archive_no, title, text, norm_title, norm, kind, unit, date, partial"
    _NAMES = ("archive_no", "title", "text", "norm_title", "norm", "kind", "unit", "date", "partial", "total", "rank")
    # a partial document (see body_vector) is a candidate for every query, proven on its
    # text; "OR partial" is added only where there is one (it stops PostgreSQL from
    # combining the bigram and township indexes)
    _MATCHING = " AND grams @@ %s::tsquery"
    _MATCHING_OR_PARTIAL = " AND (grams @@ %s::tsquery OR partial)"

    def _matching(self, tsquery: str, partial: bool, dates: str | None) -> tuple[str, str]:
        """The SQL matching TSQUERY (and the DATES tsquery, see _dates) and its argument."""
        return (self._MATCHING_OR_PARTIAL if partial else self._MATCHING,
                tsquery if dates is None else f"({tsquery}) & {dates}")

    def _select(self, conn, where: str, values: list, tsquery: str | None, limit: int | None,
                order: str = "rank", partial: bool = False, dates: str | None = None) -> list[dict]:
        if tsquery is not None and order == "rank":
            # Every candidate is ranked (by the small vector of the title and the opening,
            # kept in the row) and counted with only its key and rank carried along; the
            # wide columns are read for the LIMIT best only.
            matching, match_arg = self._matching(tsquery, partial, dates)
            sql = (f"SELECT {', '.join('d.' + c for c in self._COLUMNS.split(', '))}, t.total, t.rank FROM ("
                   "SELECT scope, archive_no, rank, count(*) OVER () AS total FROM ("
                   f"SELECT scope, archive_no, ts_rank(lead, %s::tsquery) AS rank FROM search_doc WHERE {where}"
                   f"{matching} OFFSET 0) AS s ORDER BY rank DESC, archive_no"
                   + (" LIMIT %s" if limit is not None else "") +
                   ") AS t JOIN search_doc AS d USING (scope, archive_no) ORDER BY t.rank DESC, d.archive_no")
            args = [tsquery, *values, match_arg] + ([limit] if limit is not None else [])
            return [dict(zip(self._NAMES, row)) for row in conn.execute(sql, args).fetchall()]
        sql, args = f"SELECT {self._COLUMNS}, count(*) OVER () AS total", []  # every candidate is read to sort anyway
        if tsquery is not None:
            sql += ", ts_rank(lead, %s::tsquery) AS rank"  # the title and opening: small, never detoasted
            args.append(tsquery)
        else:
            sql += ", 0.0 AS rank"
        sql += f" FROM search_doc WHERE {where}"
        args += values
        if tsquery is not None:
            matching, match_arg = self._matching(tsquery, partial, dates)
            sql += matching
            args.append(match_arg)
        sql += " ORDER BY rank DESC, archive_no" if order == "rank" else " ORDER BY date DESC, archive_no DESC"  # as Whoosh
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        return [dict(zip(self._NAMES, row)) for row in conn.execute(sql, args).fetchall()]

    def _count(self, conn, where: str, values: list, tsquery: str | None, partial: bool = False,
               dates: str | None = None) -> int:
        sql, args = f"SELECT count(*) FROM search_doc WHERE {where}", list(values)
        if tsquery is not None:
            matching, match_arg = self._matching(tsquery, partial, dates)
            sql += matching
            args.append(match_arg)
        return conn.execute(sql, args).fetchone()[0]

    def _numbers(self, conn, where: str, values: list, tsquery: str | None, partial: bool = False,
                 dates: str | None = None) -> list[str]:
        """The archive numbers _count counts."""
        sql, args = f"SELECT archive_no FROM search_doc WHERE {where}", list(values)
        if tsquery is not None:
            matching, match_arg = self._matching(tsquery, partial, dates)
            sql += matching
            args.append(match_arg)
        return [row[0] for row in conn.execute(sql + " ORDER BY archive_no", args).fetchall()]

    def _any_partial(self, conn, where: str, values: list) -> bool:
        """Whether a partial document is among the candidates (then a count is an upper bound)."""
        return conn.execute(f"SELECT EXISTS (SELECT 1 FROM search_doc WHERE {where} AND partial)", values).fetchone()[0]

    def _counted(self, conn, where: str, values: list, tsquery: str | None, matched: bool, partial: bool = False,
                 dates: str | None = None):
        """(how many match, their archive numbers or None): one query either way."""
        if not matched:
            return self._count(conn, where, values, tsquery, partial, dates), None
        numbers = self._numbers(conn, where, values, tsquery, partial, dates)
        return len(numbers), numbers

    def query(self, parsed: ParsedQuery, filters: Filters, limit: int, *, as_typed: bool = False,
              matched: bool = False) -> Hits:
        where, values = self._where(filters)
        terms = list(dict.fromkeys(parsed.positive_terms()))
        with self._connection() as conn:
            dates = self._dates(conn, filters) if where != "FALSE" else None
            if parsed.id_key:
                named = conn.execute(f"SELECT {self._COLUMNS}, 0, 0.0 FROM search_doc WHERE {where} AND ids @> %s "
                                     "ORDER BY archive_no LIMIT %s", [*values, [parsed.id_key], limit]).fetchall()
                if named:
                    cited = ParsedQuery(groups=[[Term(normalize(parsed.id_key), True)]])
                    id_terms = terms + cited.groups[0]
                    shown = [_hit(dict(zip(self._NAMES, row)), id_terms) for row in named]
                    seen = {hit.archive_no for hit in shown}
                    more = self._ranked(conn, cited, where, values, limit + len(shown), True, id_terms, matched,
                                        self._any_partial(conn, where, values), dates)
                    shown += [hit for hit in more if hit.archive_no not in seen]
                    unseen = max(more.total - len(more), 0)
                    every = dict.fromkeys([*seen, *more.matched]) if matched else None
                    return Hits(shown[:limit], len(shown) + unseen, more.exact, every)
            tsquery, check, nothing = build_query(parsed)
            if nothing:
                return Hits([], 0, True, [] if matched else None)
            if tsquery is None and not parsed.groups and not parsed.excluded:
                rows = self._select(conn, where, values, None, limit, order="date")
                total, numbers = self._counted(conn, where, values, None, matched)
                return Hits([_hit(row, terms) for row in rows], total, True, numbers)
            if not parsed.groups:  # exclusions only
                rows = self._select(conn, where, values, tsquery, None, order="date",
                                    partial=self._any_partial(conn, where, values), dates=dates)
                proven = [row for row in rows if not (check or row["partial"]) or matches(parsed, row["norm"])]
                return Hits([_hit(row, terms) for row in proven[:limit]], len(proven), True,
                            [row["archive_no"] for row in proven] if matched else None)
            return self._ranked(conn, parsed, where, values, limit, as_typed, terms, matched,
                                self._any_partial(conn, where, values), dates)

    def _ranked(self, conn, parsed, where, values, limit, as_typed, terms, matched=False, partial=False,
                dates=None) -> Hits:
        """ranking.judge_in_windows over SQL: candidates best first by the ranking vector;
        a query's candidates are counted by the scan that reads its window."""
        candidates: dict = {}  # tsquery -> how many candidates it has (read with the window)

        def read(tsquery, wanted):
            rows = self._select(conn, where, values, tsquery, wanted, partial=partial, dates=dates)
            candidates[tsquery] = rows[0]["total"] if rows else 0
            return [Candidate(row["archive_no"], row["archive_no"], row["rank"],
                              lambda row=row: (row["norm_title"], row["norm"]), row) for row in rows]

        def matching(tsquery):
            if not matched and tsquery in candidates:
                return candidates[tsquery], None
            return self._counted(conn, where, values, tsquery, matched, partial, dates)

        q_typed, check_typed, _nothing = build_query(typed_only(parsed))
        q_loose, check_loose, _nothing = build_query(parsed)
        judged = judge_in_windows(parsed, limit, as_typed=as_typed, typed=(q_typed, check_typed or partial),
                                  loose=(q_loose, check_loose or partial), read=read, matching=matching)
        hits = [_hit(c.source, terms, verdict) for verdict, c in judged.shown[:limit]]
        return Hits(hits, judged.total, judged.exact, sorted(judged.keys) if matched else None)


def _hit(row: dict, terms, verdict=None) -> Hit:
    text = row["text"] or ""
    snippet = make_snippet(text, terms) if text else make_snippet(row["title"], terms)
    score = float(row["rank"] or 0.0) if verdict is None else round(verdict.score, 4)
    return Hit(archive_no=row["archive_no"], title=row["title"], kind=row["kind"], unit=row["unit"] or None,
               date=row["date"] or None, score=score, snippet=snippet,
               match=verdict.match if verdict is not None else AS_TYPED)
