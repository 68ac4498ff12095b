"""Whoosh, the embedded default backend.

The body (title, text and searchable metadata, traditional→simplified) is
indexed as character bigrams only (body_bi: matching and ranking); the title
also as jieba words (title, for a boost). A query word is looked up as its
bigrams, so BM25 over bigram postings ranks it. Schema 5 also had a jieba word
field over the body; dropping it halved the indexing CPU time for the same
ranking on the corpus (measured side by side in bench/search_index.py, see
bench/README.md). Archive numbers and 发文字号 are indexed in normalised form
in the ids field, which a query that looks like one searches first.

Matching follows query.matches(): a two-character word (整改, 销号, even when
jieba glued it into a longer word) is one bigram posting, exact; a longer
string is looked up as the AND of its bigrams and, since that cannot prove the
bigrams are adjacent, the best candidates are checked against the stored text
until enough are proven. The bigram field therefore needs no positions, which
makes it cheaper to build.

Ranking (issue 10, ranking.py): the candidates of the as-typed query (every
bigram of each term) are read best-first by BM25 and judged on their text until
enough as-typed hits are proven; only then come the candidates of the words
query, judged the same way. Each hit carries how it matched ("as_typed" or
"words"); within each tier the order is ranking.judge's score (title, first
paragraph, occurrences, proximity). The best 2× the hits asked for (at least
RERANK_MIN) are judged, so a large archive is reranked from BM25's best.

Speed at 10,000 documents (bench/README.md, search_index): BM25's best are not
found by Whoosh's collector, which steps a matcher tree through every match in
Python (tens of ms for a word in thousands of documents, and it could drop the
title's part of a score), but by _best: every match scored from the posting
blocks with Whoosh's own per-term scorer, summed as the query's structure adds
them up (tests/test_search.py compares it with Whoosh's exhaustive scoring).
Counting every match is set algebra over block-read posting lists; judging
reads the folded text stored at index time (norm), so no OpenCC runs per query.
Each query reads through a searcher of its own from a pool (a Whoosh searcher
keeps file positions, so it serves one thread at a time).

The meta file beside the index records the schema version and a digest of what
is indexed (XOR of sha256(archive_no|fingerprint) over documents, the fingerprint
covering the file's sha256 and its searchable metadata), kept up to date by
every write, so a search can tell in microseconds whether the index is in step
with the archive instead of reading every stored document.

A full rebuild runs in one worker process per core, each writing whole segments
of ≤ BUILD_CHUNK documents that are then listed in the index as they are (like
Whoosh's MpWriter with multisegment=True), through a SegmentWriter that reads
field lengths once per field instead of once per posting.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.fields import ID, KEYWORD, STORED, Schema

from ..atomic import atomic_write_bytes
from .analysis import BigramTokenizer, CountedText, WordTokenizer
from .backend import Filters, Hit, Hits, IndexDoc, doc_digest, set_digest
from .normalize import bigrams, normalize
from .query import ParsedQuery, Term, id_key, matches, needs_text_check, term_needs, term_words
from .ranking import AS_TYPED, Candidate, judge_in_windows, typed_only
from .snippet import make_snippet

SCHEMA_VERSION = 9  # 7: script-neutral unit/tag filter keys; 8: stored fingerprint (sha256 + metadata);
# 9: stored folded text (norm, norm_title), so judging a candidate needs no OpenCC
INDEX_NAME = "fupin"
META_NAME = "fupin-index.json"
MERGE_AT_SEGMENTS = 12
MAX_STORED_TEXT = 300_000  # characters kept for snippets; the whole text is indexed


def make_schema() -> Schema:
    return Schema(
        archive_no=ID(stored=True, unique=True),
        sha256=ID(stored=True),
        fingerprint=STORED(),  # IndexDoc.fingerprint: a metadata edit changes it
        title=CountedText(analyzer=WordTokenizer(), stored=True, phrase=False, field_boost=2.0),
        body_bi=CountedText(analyzer=BigramTokenizer(), phrase=False),
        text=STORED(),
        meta=STORED(),
        # normalize() of title + stored text + meta and of the title, as a query judges
        # them; only stored when folding changed them (_with_norm, _fields_text)
        norm=STORED(),
        norm_title=STORED(),
        kind=ID(stored=True),
        unit=ID(stored=True),
        date=ID(stored=True),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        # Filter keys in simplified script: --unit 張村 finds 张村 (DESIGN: either script).
        unit_key=ID(),
        tag_keys=KEYWORD(commas=True, scorable=False),
        ids=KEYWORD(commas=True, scorable=False),
    )


def _fingerprint(doc: IndexDoc) -> str:
    return doc.fingerprint or doc.sha256


def _fields(doc: IndexDoc) -> dict:
    body = "\n".join(part for part in (doc.title, doc.text, doc.meta) if part)
    fields = {
        "archive_no": doc.archive_no,
        "sha256": doc.sha256,
        "fingerprint": _fingerprint(doc),
        "title": doc.title or "",
        "body_bi": body,
        "text": doc.text[:MAX_STORED_TEXT],
        "meta": doc.meta or "",
        "kind": doc.kind or "",
        "unit": doc.unit or "",
        "date": doc.date or "",
    }
    keys = [key for key in dict.fromkeys(id_key(value) for value in doc.ids if value) if key]
    if keys:
        fields["ids"] = ",".join(keys)
    if doc.unit:
        fields["unit_key"] = normalize(doc.unit)
    if doc.tags:
        fields["tags"] = ",".join(tag.replace(",", " ") for tag in doc.tags)
        fields["tag_keys"] = ",".join(normalize(tag).replace(",", " ") for tag in doc.tags)
    return fields


def _joined(stored) -> str:
    return "\n".join(part for part in (stored.get("title"), stored.get("text"), stored.get("meta")) if part)


def _with_norm(fields: dict) -> dict:
    """FIELDS with the folded (t2s, lower case) text a query judges, computed where
    the document is tokenized (a build worker: the body's normalize() is then the
    tokenizer's cached one when the text was not cut) and stored only when folding
    changes it, so an already simplified document stores no second copy."""
    raw = _joined(fields)
    folded = normalize(raw)
    if folded != raw:
        fields["norm"] = folded
    title = fields.get("title") or ""
    folded_title = normalize(title)
    if folded_title != title:
        fields["norm_title"] = folded_title
    return fields


def _need_query(need: str) -> Q.Query:
    """Candidates for NEED from bigram postings (no positions: cheap to index and
    lets Whoosh skip blocks when ranking the top hits)."""
    if need[0] < "\u3400" or len(need) == 2:
        return Q.Term("body_bi", need)
    if len(need) == 1:
        return Q.Prefix("body_bi", need)
    grams = sorted(set(bigrams(need)))
    return Q.And([Q.Term("body_bi", g) for g in grams])


def _term_query(term: Term) -> Q.Query | None:
    needs = term_needs(term)
    if not needs:
        return None
    parts = [_need_query(n) for n in dict.fromkeys(needs)]
    match = parts[0] if len(parts) == 1 else Q.And(parts)
    # The body scores through the bigram postings of the match itself (every word
    # of the term is made of them); jieba words of the term add a title boost.
    ranking = [Q.Term("title", w) for w in dict.fromkeys(term_words(term))]
    return Q.AndMaybe(match, Q.Or(ranking)) if ranking else match


def _index_exact(term: Term) -> bool:
    return not any(needs_text_check(n) for n in term_needs(term))


def build_query(parsed: ParsedQuery) -> tuple[Q.Query, bool]:
    """The Whoosh query and whether its hits must still be checked against the text."""
    check = any(not _index_exact(t) for t in parsed.positive_terms())
    groups = []
    for group in parsed.groups:
        alternatives = [q for q in (_term_query(t) for t in group) if q is not None]
        if alternatives:
            groups.append(alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives))
    if parsed.groups and not groups:
        # Words were asked for but none can be indexed (e.g. 𠀀𠀁): no document
        # contains them as far as the index knows — never "every document".
        positive = Q.NullQuery
    else:
        positive = Q.And(groups) if len(groups) > 1 else (groups[0] if groups else Q.Every())
    # Exclusions the postings prove exactly are applied by Whoosh; the others by the check.
    negatives = []
    for term in parsed.excluded:
        if _index_exact(term):
            q = _term_query(term)
            if q is not None:
                negatives.append(q)
        else:
            check = True
    if negatives:
        return Q.AndNot(positive, Q.Or(negatives)), check
    return positive, check


def build_filter(filters: Filters) -> Q.Query | None:
    parts = []
    if filters.kind:
        parts.append(Q.Term("kind", filters.kind))
    if filters.unit:
        parts.append(Q.Term("unit_key", normalize(filters.unit)))
    if filters.date_from or filters.date_to:
        parts.append(Q.TermRange("date", filters.date_from or "0000-00-00", filters.date_to or "9999-12-31"))
    for tag in filters.tags:
        parts.append(Q.Term("tag_keys", normalize(tag)))
    if filters.retention:
        parts.append(Q.Regex("archive_no", retention_pattern(filters.retention)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.And(parts)


def retention_pattern(code: str) -> str:
    """The 档号s of retention CODE (numbering.py: 全宗-门类·年度-保管期限-机构-件号)."""
    return rf".*·\d{{4}}-{re.escape(code)}-[^-]+-\d{{4}}$"


def highlight_terms(parsed: ParsedQuery) -> list[Term]:
    """What a snippet marks: each positive term (as typed, else its own words)."""
    return list(dict.fromkeys(parsed.positive_terms()))


class _CachedLengths:
    """A segment's per-document field lengths, read once per field. Whoosh's
    FieldWriter.add_postings asks the per-document reader for the length of the
    document's field once per posting (a column-file seek and read each time, a
    quarter of a rebuild's CPU); the lengths are the same numbers from a list."""

    def __init__(self, reader):
        self._reader = reader
        self._lists: dict = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._lists.get(fieldname)
        if lengths is None:
            reader = self._reader
            lengths = self._lists[fieldname] = [reader.doc_field_length(n, fieldname, default)
                                                for n in range(reader.doc_count_all())]
        return lengths[docnum]


def _segment_writer_class():
    from whoosh.writing import PostingPool, SegmentWriter

    class LeanPool(PostingPool):
        """PostingPool.add without its per-posting type assertions (our fields
        yield bytes) and with its size estimate in one sum."""

        def add(self, item):
            self.fieldnames.add(item[0])
            self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
            if self.currentsize > self.limit:
                self.save()
            self.current.append(item)

    class BuildWriter(SegmentWriter):
        """SegmentWriter for a rebuild: the lean pool, and a final posting write
        that looks field lengths up in _CachedLengths. The segment is the same."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pool.__class__ = LeanPool

        def _flush_segment(self):
            self.perdocwriter.close()
            reader = self.per_document_reader() if self.codec.length_stats else None
            self.fieldwriter.add_postings(self.schema, _CachedLengths(reader) if reader else None,
                                          self.pool.iter_postings())
            self.fieldwriter.close()
            if reader:
                reader.close()

    return BuildWriter


MAX_IDLE_SEARCHERS = 8  # a server's threads (waitress: 8) each find one open


def _close_all(searchers) -> None:
    for searcher in searchers:
        try:
            searcher.close()
        except Exception:
            pass


BUILD_CHUNK = 2000  # documents per segment in a parallel build: its postings fit in memory


def _build_segment(job):
    """Worker: write one segment of CHUNK documents into the index at PATH."""
    path, chunk, limitmb = job
    ix = whoosh_index.open_dir(path, indexname=INDEX_NAME)
    writer = _segment_writer_class()(ix, _lk=False, limitmb=limitmb)
    for fields in chunk:
        writer.add_document(**_with_norm(fields))
    return writer._finalize_segment()


def _parallel_build(ix, path: str, fields_iter, procs: int, limitmb: int, chunk_size: int = BUILD_CHUNK,
                    executor=None) -> int:
    """Segmentation and posting encoding in PROCS processes, one segment per chunk of
    BUILD_CHUNK documents (small enough that no worker spills postings to disk), the
    segments then listed in the index as they are. Same idea as Whoosh's MpWriter
    with multisegment=True, which instead gives each worker one ever-growing pool.
    EXECUTOR, when given, runs the workers (a server controls its own processes);
    else a pool of PROCS forked processes is made for the build."""
    import itertools
    import multiprocessing

    from .normalize import init_jieba
    init_jieba()  # loaded once here, inherited by the forked workers
    count = 0

    def jobs():
        nonlocal count
        while True:
            chunk = list(itertools.islice(fields_iter, chunk_size))
            if not chunk:
                return
            count += len(chunk)
            yield path, chunk, limitmb

    writer = ix.writer()  # holds the index lock while the workers write
    try:
        if executor is not None:
            segments = list(executor.map(_build_segment, jobs()))
        else:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
            with ctx.Pool(procs) as pool:
                segments = list(pool.imap(_build_segment, jobs()))
    except BaseException:
        writer.cancel()
        raise
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()
    return count


class WhooshBackend:
    @classmethod
    def for_workspace(cls, workspace) -> "WhooshBackend":
        return cls(Path(workspace.indexes_dir).resolve())

    def county(self) -> None:
        return None  # the workspace's own folder: one township's index

    def __init__(self, directory: str | Path, *, procs: int | None = None, limitmb: int = 128):
        """An index in DIRECTORY/whoosh (the workspace's indexes/ folder)."""
        self.directory = Path(directory)
        self.path = self.directory / "whoosh"
        self.procs = procs if procs is not None else min(os.cpu_count() or 1, 4)
        self.limitmb = limitmb
        # Idle searchers for the index as it was at _searcher_key. Whoosh's readers keep
        # file positions between reads, so a searcher serves one thread at a time
        # (Whoosh's docs: one Reader/Searcher per thread); each query takes one from
        # here (or opens one) and puts it back, and the lock guards only this list.
        self._idle: list = []
        self._searcher_key = None
        self._lock = threading.Lock()

    # ---- state ---------------------------------------------------------------
    def _meta(self) -> dict | None:
        """The meta record when the index exists with the current schema, else None."""
        try:
            meta = json.loads((self.path / META_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("schema_version") != SCHEMA_VERSION:
            return None
        return meta

    def recorded_head(self) -> dict | None:
        meta = self._meta()
        head = meta.get("archive_head") if meta else None
        return head if isinstance(head, dict) else None

    def record_head(self, head: dict) -> None:
        meta = self._meta()
        if meta is not None:
            meta["archive_head"] = dict(head)
            atomic_write_bytes(self.path / META_NAME, json.dumps(meta).encode("utf-8"))

    def _write_meta(self, path: Path, count: int, digest: str) -> None:
        data = {"schema_version": SCHEMA_VERSION, "documents": count, "digest": digest}
        kept = self._meta() if path == self.path else None
        if kept and isinstance(kept.get("archive_head"), dict):
            data["archive_head"] = kept["archive_head"]  # moved on by record_head, not by a write
        atomic_write_bytes(path / META_NAME, json.dumps(data).encode("utf-8"))

    def check(self) -> str | None:
        if not self.path.exists():
            return "检索索引不存在"
        try:
            meta = json.loads((self.path / META_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "检索索引的版本记录丢失或损坏"
        if meta.get("schema_version") != SCHEMA_VERSION:
            return f"检索索引是旧版本（{meta.get('schema_version')}，当前 {SCHEMA_VERSION}）"
        try:
            ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
            with ix.searcher() as searcher:
                searcher.doc_count()
        except Exception as err:
            return f"检索索引已损坏（{type(err).__name__}）"
        return None

    def _open(self):
        return whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)

    def _index_key(self):
        return (os.stat(self.path).st_ino, (self.path / META_NAME).stat().st_mtime_ns)

    @contextlib.contextmanager
    def _reading(self):
        """A searcher for this thread alone, kept open between queries (opening one
        costs tens of ms) and shared with later queries of any thread; reopened when
        the index changed, including when a rebuild replaced it."""
        key = self._index_key()
        searcher = None
        with self._lock:
            if key != self._searcher_key:
                stale, self._idle, self._searcher_key = self._idle, [], key
            else:
                stale = []
                if self._idle:
                    searcher = self._idle.pop()
        _close_all(stale)
        if searcher is not None:
            searcher = searcher.refresh()  # itself when nothing was committed since
        else:
            searcher = self._open().searcher()
        try:
            yield searcher
        finally:
            with self._lock:
                keep = self._searcher_key == key and len(self._idle) < MAX_IDLE_SEARCHERS
                if keep:
                    self._idle.append(searcher)
            if not keep:
                _close_all([searcher])

    def close(self) -> None:
        """Close the idle searchers; one in use is closed when its query ends."""
        with self._lock:
            stale, self._idle, self._searcher_key = self._idle, [], None
        _close_all(stale)

    def documents(self) -> dict[str, str]:
        ix = self._open()
        with ix.searcher() as searcher:
            return {fields["archive_no"]: fields.get("fingerprint", "") for fields in searcher.all_stored_fields()}

    # ---- writing -------------------------------------------------------------
    def recorded_digest(self) -> str | None:
        meta = self._meta()
        return meta.get("digest") if meta else None

    def rebuild(self, docs, *, workers: int | None = None, executor=None) -> int:
        procs = self.procs if workers is None else workers
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        fresh = self.directory / f".rebuild-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        count, digest = 0, 0
        try:
            ix = whoosh_index.create_in(str(fresh), make_schema(), indexname=INDEX_NAME)
            digests = []

            def fields_of(doc_iter):
                for doc in doc_iter:
                    digests.append(doc_digest(doc.archive_no, _fingerprint(doc)))
                    yield _fields(doc)

            if procs > 1:
                docs = list(docs)
                # equal chunks, a multiple of PROCS of them, none over BUILD_CHUNK
                rounds = max(1, -(-len(docs) // (procs * BUILD_CHUNK)))
                chunk = max(1, -(-len(docs) // (procs * rounds)))
                count = _parallel_build(ix, str(fresh), fields_of(docs), procs, self.limitmb, chunk, executor)
            else:
                writer = _segment_writer_class()(ix, limitmb=self.limitmb)
                try:
                    for fields in fields_of(docs):
                        writer.add_document(**_with_norm(fields))
                        count += 1
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
            for value in digests:
                digest ^= value
            self._write_meta(fresh, count, f"{digest:032x}")
            old = self.directory / f".old-{os.getpid()}"
            if self.path.exists():
                os.replace(self.path, old)
            os.replace(fresh, self.path)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
        return count

    def _write(self, add: list[IndexDoc], remove: list[str]) -> None:
        meta = self._meta() or {}
        ix = self._open()
        writer = ix.writer(timeout=30.0, delay=0.1)
        try:
            digest = int(meta.get("digest", "0"), 16)
            count = int(meta.get("documents", 0))
            with ix.searcher() as searcher:
                for number in set(remove) | {doc.archive_no for doc in add}:
                    docnum = searcher.document_number(archive_no=number)
                    if docnum is not None:
                        digest ^= doc_digest(number, searcher.stored_fields(docnum).get("fingerprint", ""))
                        count -= 1
            for number in remove:
                writer.delete_by_term("archive_no", number)
            for doc in add:
                writer.update_document(**_with_norm(_fields(doc)))
                digest ^= doc_digest(doc.archive_no, _fingerprint(doc))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        # Merging segments costs seconds in Whoosh; a small write only merges once
        # segments pile up (a rebuild always leaves a compact index).
        writer.commit(merge=len(ix._segments()) >= MERGE_AT_SEGMENTS)
        self._write_meta(self.path, count, f"{digest:032x}")

    def add(self, docs: list[IndexDoc]) -> None:
        self._write(list(docs), [])

    def remove(self, archive_nos: list[str]) -> None:
        self._write([], list(archive_nos))

    def record_digest(self, pairs) -> None:
        """Record PAIRS (archive_no, fingerprint) as what the index holds, after a full check."""
        pairs = list(pairs)
        self._write_meta(self.path, len(pairs), set_digest(pairs))

    # ---- reading -------------------------------------------------------------
    def query(self, parsed: ParsedQuery, filters: Filters, limit: int, *, as_typed: bool = False,
              matched: bool = False) -> Hits:
        q, check = build_query(parsed)
        fq = build_filter(filters)
        terms = highlight_terms(parsed)
        with self._reading() as searcher:
            if parsed.id_key:
                # an archive number or 发文字号: the item it names, when there is one, then
                # the documents whose text cites it as typed (any bracket variant)
                named = searcher.search(Q.Term("ids", parsed.id_key), filter=fq, limit=limit)
                if len(named):
                    cited = ParsedQuery(groups=[[Term(normalize(parsed.id_key), True)]])
                    id_terms = terms + cited.groups[0]
                    shown = [self._hit(hit, id_terms) for hit in named]
                    seen = {hit.archive_no for hit in shown}
                    q_cited, check_cited = build_query(cited)
                    more = self._ranked(searcher, cited, q_cited, check_cited, fq, limit + len(shown), True, id_terms,
                                        matched)
                    shown += [hit for hit in more if hit.archive_no not in seen]
                    unseen = max(more.total - len(more), 0)  # cited beyond those read
                    every = dict.fromkeys([*seen, *more.matched]) if matched else None
                    return Hits(shown[:limit], len(shown) + unseen, more.exact, every)
            if isinstance(q, Q.Every) and fq is not None:
                # filters only: list what matches, newest first
                every = list(searcher.search(fq, limit=None))
                chosen = sorted(every, key=lambda h: (h.get("date") or "", h.get("archive_no")), reverse=True)[:limit]
                return Hits([self._hit(hit, terms) for hit in chosen], len(every), True,
                            [hit["archive_no"] for hit in every] if matched else None)
            if not parsed.groups:  # exclusions only: nothing to rank by, so newest first as a listing
                results = searcher.search(q, filter=fq, limit=None)
                proven = [hit for hit in results if not check or matches(parsed, _hit_text(hit))]
                proven.sort(key=lambda h: (h.get("date") or "", h.get("archive_no")), reverse=True)
                return Hits([self._hit(hit, terms) for hit in proven[:limit]], len(proven), True,
                            [hit["archive_no"] for hit in proven] if matched else None)
            return self._ranked(searcher, parsed, q, check, fq, limit, as_typed, terms, matched)

    def _ranked(self, searcher, parsed, q_loose, check_loose, fq, limit, as_typed, terms, matched=False) -> Hits:
        """ranking.judge_in_windows over the postings: candidates best first by BM25 over
        bigrams. Counting every match costs a second pass over the postings, so it is
        made once, on the query whose matches are counted, and only when the
        candidates were not all read anyway (_best counts as it scores)."""
        scored: dict = {}  # id(query) -> the scores _best worked out (reused as the window grows)
        counts: dict = {}  # id(query) -> the documents it matches (found by _best)

        def read(query, wanted):
            hits, total, scored[id(query)] = _best(searcher, query, fq, wanted, scored.get(id(query)))
            if total is not None:
                counts[id(query)] = scored[id(query)].keys()
            return [Candidate(hit.docnum, hit["archive_no"], hit.score or 0.0,
                              lambda hit=hit: _folded(hit.fields()), hit)
                    for hit in hits]

        def matching(query):
            docnums = counts[id(query)] if id(query) in counts else _matching(searcher, query, fq)
            return len(docnums), docnums

        judged = judge_in_windows(parsed, limit, as_typed=as_typed, typed=build_query(typed_only(parsed)),
                                  loose=(q_loose, check_loose), read=read, matching=matching)
        hits = [self._hit(c.source, terms, verdict) for verdict, c in judged.shown[:limit]]
        return Hits(hits, judged.total, judged.exact, _archive_nos(searcher, set(judged.keys)) if matched else None)

    @staticmethod
    def _hit(hit, terms, verdict=None) -> Hit:
        stored = hit.fields()
        text = stored.get("text") or ""
        snippet = make_snippet(text, terms) if text else make_snippet(stored.get("title", ""), terms)
        score = float(hit.score or 0.0) if verdict is None else round(verdict.score, 4)
        return Hit(archive_no=stored["archive_no"], title=stored.get("title", ""), kind=stored.get("kind", ""),
                   unit=stored.get("unit") or None, date=stored.get("date") or None,
                   score=score, snippet=snippet, match=verdict.match if verdict is not None else AS_TYPED)


def _leaf_ids(matcher) -> list:
    """Every document number of one segment's posting list, a block at a time
    (Whoosh's all_ids() steps through them one Python call per posting)."""
    if not all(hasattr(matcher, name) for name in ("_read_ids", "_next_block", "_ids", "_i")):
        return list(matcher.all_ids())  # an inlined or otherwise unusual posting list
    out = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        out.extend(matcher._ids[matcher._i:])
        matcher._next_block()
    return out


def _term_docnums(searcher, fieldname: str, texts) -> set:
    """Documents holding any of TEXTS (bytes or str; a callable: reader -> texts) in FIELDNAME."""
    out = set()
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        for text in (texts(reader) if callable(texts) else texts):
            if (fieldname, text) not in reader:
                continue
            ids = _leaf_ids(reader.postings(fieldname, text))
            out.update(ids if not offset else [docnum + offset for docnum in ids])
    return out


def _docnums(searcher, query) -> set:
    """The document numbers QUERY matches, by set algebra over posting lists read a
    block at a time: many times faster than Whoosh's counting pass (a skip_to loop
    per document in Python) for the conjunctions of bigram terms the backend builds,
    and for a one-character term's prefix (the union of dozens of bigram lists)."""
    if isinstance(query, Q.Term):
        return _term_docnums(searcher, query.fieldname, [query.text])
    if isinstance(query, (Q.Prefix, Q.TermRange, Q.PatternQuery)) and getattr(query, "text", True):
        # a one-character term's prefix (the union of dozens of bigram lists), a date
        # range (one list per date), the 档号s of a retention: Whoosh's docs() steps a
        # union matcher over them
        return _term_docnums(searcher, query.fieldname, query._btexts)
    if isinstance(query, Q.And):
        out = None
        for sub in sorted(query.subqueries, key=lambda q: not isinstance(q, Q.Term)):
            found = _docnums(searcher, sub)
            out = found if out is None else out & found
            if not out:
                return set()
        return out or set()
    if isinstance(query, Q.Or):
        out = set()
        for sub in query.subqueries:
            out |= _docnums(searcher, sub)
        return out
    if isinstance(query, Q.AndMaybe):
        return _docnums(searcher, query.a)
    if isinstance(query, Q.AndNot):
        return _docnums(searcher, query.a) - _docnums(searcher, query.b)
    return set(query.docs(searcher))  # Every, NullQuery, ranges …


class _Unsupported(Exception):
    """A query shape _scores does not evaluate (Whoosh then ranks it itself)."""


def _leaf_postings(matcher):
    """(document numbers, weights) of one segment's posting list, a block at a time,
    without the deleted documents Whoosh's FilterMatcher hides."""
    from whoosh.matching import FilterMatcher
    hidden, exclude = None, True
    if isinstance(matcher, FilterMatcher):
        matcher, hidden, exclude = matcher.child, matcher._ids, matcher._exclude
    ids, weights = [], []
    if all(hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_next_block", "_ids", "_i")):
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            start = matcher._i
            ids.extend(matcher._ids[start:])
            weights.extend(matcher._weights[start:])
            matcher._next_block()
    else:
        while matcher.is_active():  # an inlined list (a term of one or few documents)
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    if hidden is not None:
        kept = [(d, w) for d, w in zip(ids, weights) if (d in hidden) != exclude]
        ids, weights = [d for d, _ in kept], [w for _, w in kept]
    return ids, weights


_LENGTHS: dict = {}  # (segment id, field) -> every document's length of the field in that segment
_LENGTHS_LOCK = threading.Lock()
MAX_LENGTH_LISTS = 256


def _field_lengths(reader, fieldname: str) -> list:
    """Every document's length of FIELDNAME in one segment, as Whoosh's scorer reads
    it (doc_field_length with default 1). A segment never changes once written
    (deletions aside, which do not change lengths), so the list is kept by segment
    id for every searcher, also one reopened after a document was filed."""
    segment = getattr(reader, "segment", None)
    segid = segment().segment_id() if callable(segment) and segment() is not None else None
    key = (segid, fieldname)
    lengths = _LENGTHS.get(key) if segid else None
    if lengths is None:
        lengths = [reader.doc_field_length(n, fieldname, 1) for n in range(reader.doc_count_all())]
        if segid:
            with _LENGTHS_LOCK:
                if len(_LENGTHS) >= MAX_LENGTH_LISTS:
                    _LENGTHS.pop(next(iter(_LENGTHS)))
                _LENGTHS[key] = lengths
    return lengths


def _term_scores(searcher, fieldname: str, texts, leaves=None) -> dict:
    """docnum -> the sum of Whoosh's own per-term scores (the searcher's weighting's
    scorer, as Searcher.postings makes it) of the TEXTS a document holds."""
    from whoosh.scoring import WeightLengthScorer
    weighting = searcher.weighting
    out: dict = {}
    for sub, offset in leaves or searcher.leaf_searchers():
        reader = sub.reader()
        for text in (texts(reader) if callable(texts) else texts):
            if isinstance(text, str):
                text = searcher.schema[fieldname].to_bytes(text)
            if (fieldname, text) not in reader:
                continue
            scorer = weighting.scorer(sub, fieldname, text)
            if not isinstance(scorer, WeightLengthScorer):
                raise _Unsupported
            ids, weights = _leaf_postings(reader.postings(fieldname, text))
            lengths = _field_lengths(reader, fieldname)
            score = scorer._score
            get = out.get
            for docnum, weight in zip(ids, weights):
                key = docnum + offset
                out[key] = get(key, 0.0) + score(weight, lengths[docnum])
    return out


def _prefix_scores(searcher, query) -> dict:
    """A prefix scored as Whoosh scores it (Prefix.matcher with constantscore, then
    Or._matcher's AUTO choice), segment by segment: the BM25 sum of the terms it
    expands to when there is one term, two, or the segment has over 5,000 documents
    (a union of scored matchers); else a constant 1.0 (a preloaded unscored union)."""
    from whoosh.query.compound import Or
    out: dict = {}
    fieldname = query.fieldname
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        texts = [text for text in reader.expand_prefix(fieldname, query.text) if text]
        if len(texts) < Or.TOO_MANY_CLAUSES and (len(texts) <= 2 or sub.doc_count_all() > 5000):
            for docnum, score in _term_scores(searcher, fieldname, texts, [(sub, offset)]).items():
                out[docnum] = out.get(docnum, 0.0) + score
        else:
            for text in texts:
                for docnum in _leaf_ids(reader.postings(fieldname, text)):
                    out[docnum + offset] = 1.0
    return out


def _scores(searcher, query) -> dict:
    """docnum -> score of every document QUERY matches, the sum of the same per-term
    scores Whoosh's matchers add up (in another order, so equal up to rounding).
    Raises _Unsupported for a shape it does not know."""
    if getattr(query, "boost", 1.0) != 1.0:
        raise _Unsupported
    if isinstance(query, Q.Term):
        return _term_scores(searcher, query.fieldname, [query.text])
    if isinstance(query, Q.Prefix) and query.text:
        return _prefix_scores(searcher, query)
    if query is Q.NullQuery:
        return {}
    if isinstance(query, Q.And):
        parts = sorted((_scores(searcher, sub) for sub in query.subqueries), key=len)
        if not parts:
            return {}
        out = dict(parts[0])
        for part in parts[1:]:
            out = {d: s + part[d] for d, s in out.items() if d in part}
        return out
    if isinstance(query, Q.Or):
        out: dict = {}
        for sub in query.subqueries:
            for d, s in _scores(searcher, sub).items():
                out[d] = out.get(d, 0.0) + s
        return out
    if isinstance(query, Q.AndMaybe):
        out = _scores(searcher, query.a)
        maybe = _scores(searcher, query.b)
        return {d: s + maybe[d] if d in maybe else s for d, s in out.items()}
    if isinstance(query, Q.AndNot):
        out = _scores(searcher, query.a)
        drop = _docnums(searcher, query.b)
        return {d: s for d, s in out.items() if d not in drop}
    raise _Unsupported


class _Hit:
    """What the ranking reads of a Whoosh Hit: docnum, score, stored fields."""

    __slots__ = ("searcher", "docnum", "score", "_fields")

    def __init__(self, searcher, docnum: int, score: float):
        self.searcher, self.docnum, self.score, self._fields = searcher, docnum, score, None

    def fields(self) -> dict:
        if self._fields is None:
            self._fields = self.searcher.stored_fields(self.docnum)
        return self._fields

    def __getitem__(self, name):
        return self.fields()[name]

    def get(self, name, default=None):
        return self.fields().get(name, default)


def _best(searcher, query, filter_query, limit: int, scores: dict | None = None):
    """(The LIMIT best hits for QUERY by BM25, best first; the number of documents
    QUERY matches, or None when not counted; the scores, to pass in again).

    Whoosh's collector steps a matcher tree through every match, a few Python calls
    per document and matcher. Here every match is scored from the posting blocks
    with Whoosh's own per-term scorer, the sum as the query's structure adds it up.
    The collector is not exact either way: its pruning (replace() with a bound taken
    from unquantised lengths) and a nested AndMaybe stepped by skip_to can drop the
    title part of a score, so documents with the words in their title went missing
    from its top hits (bench/README.md)."""
    import heapq
    try:
        if scores is None:
            scores = _scores(searcher, query)
            if filter_query is not None and scores:
                allowed = _filter_docnums(searcher, filter_query)
                scores = {d: s for d, s in scores.items() if d in allowed}
    except _Unsupported:
        return list(searcher.search(query, filter=filter_query, limit=limit)), None, None
    # Equal scores summed in another order may differ in the last bits: round them so
    # that equals stay equal and go by document number, as Whoosh orders ties.
    best = heapq.nsmallest(limit, scores.items(), key=lambda pair: (-round(pair[1], 9), pair[0]))
    return [_Hit(searcher, docnum, score) for docnum, score in best], len(scores), scores


FILTER_CACHE = 32  # filters whose documents a searcher keeps (a date range costs tens of ms)
# (segment id, filter) -> the segment's own document numbers the filter allows, for
# every searcher: a filing adds a small segment and reopens the searchers, and
# without this each of them read every date of a date range again (bench/README.md,
# serve_load: the searches running while a clerk files).
MAX_SEGMENT_FILTERS = 512
_SEGMENT_FILTERS: dict = {}
_SEGMENT_FILTERS_LOCK = threading.Lock()


def _segment_id(searcher) -> str | None:
    segment = getattr(searcher.reader(), "segment", None)
    found = segment() if callable(segment) else None
    return found.segment_id() if found is not None else None


def _segment_filter(leaf, filter_query, key: str) -> frozenset:
    """The documents of one segment (LEAF, an atomic searcher) FILTER_QUERY allows.
    A segment's postings never change once written; a document deleted from it later
    may stay in the set, which is harmless: every use intersects the set with
    documents a query matched, and deleted documents match nothing."""
    segid = _segment_id(leaf)
    found = _SEGMENT_FILTERS.get((segid, key)) if segid else None
    if found is None:
        found = frozenset(_docnums(leaf, filter_query))
        if segid:
            with _SEGMENT_FILTERS_LOCK:
                if len(_SEGMENT_FILTERS) >= MAX_SEGMENT_FILTERS:
                    _SEGMENT_FILTERS.pop(next(iter(_SEGMENT_FILTERS)), None)
                _SEGMENT_FILTERS[(segid, key)] = found
    return found


def _filter_docnums(searcher, filter_query) -> set:
    """The documents FILTER_QUERY allows, kept on the searcher (the few filters a
    search form offers come back again and again) and, segment by segment, for the
    searchers opened after the next filing (_segment_filter)."""
    cache = searcher.__dict__.setdefault("_fupin_filters", {})
    key = repr(filter_query)
    found = cache.get(key)
    if found is None:
        found = set()
        for leaf, offset in searcher.leaf_searchers():
            local = _segment_filter(leaf, filter_query, key)
            found.update(local if not offset else [docnum + offset for docnum in local])
        if len(cache) >= FILTER_CACHE:
            cache.pop(next(iter(cache)))
        cache[key] = found
    return found


def _matching(searcher, query, filter_query) -> set:
    found = _docnums(searcher, query)
    if filter_query is not None and found:
        found &= _filter_docnums(searcher, filter_query)
    return found


_SEGMENT_NUMBERS: dict = {}  # segment id -> the archive number of each of its documents
MAX_SEGMENT_NUMBERS = 256


def _segment_archive_nos(leaf) -> list:
    """The archive number of each document of one segment (LEAF), by document number,
    from the archive_no terms (one document each: the term's first document), not
    from the stored fields; kept by segment id, as _field_lengths is."""
    segid = _segment_id(leaf)
    numbers = _SEGMENT_NUMBERS.get(segid) if segid else None
    if numbers is None:
        reader = leaf.reader()
        numbers = [""] * reader.doc_count_all()
        for text, info in reader.iter_field("archive_no"):
            number = text.decode("utf-8") if isinstance(text, bytes) else text
            if info.doc_frequency() == 1:
                numbers[info.min_id()] = number
            else:  # the same number twice in one segment (one of them deleted)
                for docnum in _leaf_ids(reader.postings("archive_no", text)):
                    numbers[docnum] = number
        if segid:
            with _SEGMENT_FILTERS_LOCK:
                if len(_SEGMENT_NUMBERS) >= MAX_SEGMENT_NUMBERS:
                    _SEGMENT_NUMBERS.pop(next(iter(_SEGMENT_NUMBERS)), None)
                _SEGMENT_NUMBERS[segid] = numbers
    return numbers


def _archive_nos(searcher, docnums) -> list:
    """The archive numbers of DOCNUMS (document numbers of SEARCHER), in no particular order."""
    numbers = searcher.__dict__.get("_fupin_numbers")
    if numbers is None:
        numbers = []
        for leaf, _offset in searcher.leaf_searchers():
            numbers.extend(_segment_archive_nos(leaf))
        searcher.__dict__["_fupin_numbers"] = numbers
    return [numbers[docnum] for docnum in docnums]


def _fields_text(stored) -> str:
    """The folded text of a stored document, as _with_norm stored it (absent: unchanged by folding)."""
    norm = stored.get("norm")
    return norm if norm is not None else _joined(stored)


def _folded(stored) -> tuple[str, str]:
    """(folded title, folded text) of a stored document, as ranking.judge reads them."""
    return _fields_title(stored), _fields_text(stored)


def _fields_title(stored) -> str:
    norm = stored.get("norm_title")
    return norm if norm is not None else (stored.get("title") or "")


def _hit_text(hit) -> str:
    return _fields_text(hit.fields())
