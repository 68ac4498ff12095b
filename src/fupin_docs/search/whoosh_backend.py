"""Whoosh, the embedded default backend.

Each document is indexed twice: as jieba words (field body/title, ranking by
BM25F over real words) and as character bigrams (body_bi/title_bi, with
positions: exact phrases and two-character words like 整改 that jieba may have
glued into a longer word). Both views are of the traditional→simplified text.

A full rebuild uses Whoosh's multiprocessing writer: segmentation and posting
encoding run in one worker per core and each worker's segment is added as-is
(multisegment), which is what makes it several times faster than one writer.
"""

from __future__ import annotations

import json
import os
import shutil
from multiprocessing import cpu_count
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from .analysis import BigramTokenizer, WordTokenizer
from .backend import Filters, Hit, IndexDoc
from .normalize import PIECE_RE, bigrams, words
from .query import ParsedQuery, Term
from .snippet import make_snippet

SCHEMA_VERSION = 1
INDEX_NAME = "fupin"
META_NAME = "fupin-index.json"
MERGE_AT_SEGMENTS = 12
MAX_STORED_TEXT = 300_000  # characters kept for snippets; the whole text is indexed


def make_schema() -> Schema:
    return Schema(
        archive_no=ID(stored=True, unique=True),
        sha256=ID(stored=True),
        title=TEXT(analyzer=WordTokenizer(), stored=True, phrase=False, field_boost=3.0),
        title_bi=TEXT(analyzer=BigramTokenizer(), phrase=True, field_boost=3.0),
        body=TEXT(analyzer=WordTokenizer(), phrase=False),
        body_bi=TEXT(analyzer=BigramTokenizer(), phrase=True),
        text=STORED(),
        kind=ID(stored=True),
        unit=ID(stored=True),
        date=ID(stored=True),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
    )


def _fields(doc: IndexDoc) -> dict:
    body = doc.text + ("\n" + doc.meta if doc.meta else "")
    fields = {
        "archive_no": doc.archive_no,
        "sha256": doc.sha256,
        "title": doc.title or "",
        "title_bi": doc.title or "",
        "body": body,
        "body_bi": body,
        "text": doc.text[:MAX_STORED_TEXT],
        "kind": doc.kind or "",
        "unit": doc.unit or "",
        "date": doc.date or "",
    }
    if doc.tags:
        fields["tags"] = ",".join(tag.replace(",", " ") for tag in doc.tags)
    return fields


def _either(field_a: str, field_b: str, make) -> Q.Query:
    return Q.Or([make(field_a), make(field_b)])


def _exact(piece: str, boost: float = 1.0) -> Q.Query:
    grams = bigrams(piece)
    if len(grams) == 1:
        q = _either("body_bi", "title_bi", lambda f: Q.Term(f, grams[0]))
    else:
        q = _either("body_bi", "title_bi", lambda f: Q.Phrase(f, grams))
    q.boost = boost
    return q


def _piece_query(piece: str, phrase: bool) -> Q.Query:
    if piece[0] < "\u3400":  # latin letters / digits
        return Q.AndMaybe(_exact(piece), _either("body", "title", lambda f: Q.Term(f, piece)))
    if len(piece) == 1:
        return _either("body_bi", "title_bi", lambda f: Q.Prefix(f, piece))
    found = words(piece)
    if phrase or len(found) <= 1:
        match = _exact(piece)
    else:
        # exactly as typed (ranked higher) or all of its words anywhere
        match = Q.Or([_exact(piece, boost=2.0), Q.And([_exact(w) for w in found])])
    ranking = [Q.Term(f, w) for w in found for f in ("body", "title")]
    return Q.AndMaybe(match, Q.Or(ranking)) if ranking else match


def _term_query(term: Term) -> Q.Query | None:
    parts = [_piece_query(piece, term.phrase) for piece in PIECE_RE.findall(term.text)]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.And(parts)


def build_query(parsed: ParsedQuery) -> Q.Query:
    groups = []
    for group in parsed.groups:
        alternatives = [q for q in (_term_query(t) for t in group) if q is not None]
        if alternatives:
            groups.append(alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives))
    positive = Q.And(groups) if len(groups) > 1 else (groups[0] if groups else Q.Every())
    negatives = [q for q in (_term_query(t) for t in parsed.excluded) if q is not None]
    if negatives:
        return Q.AndNot(positive, Q.Or(negatives))
    return positive


def build_filter(filters: Filters) -> Q.Query | None:
    parts = []
    if filters.kind:
        parts.append(Q.Term("kind", filters.kind))
    if filters.unit:
        parts.append(Q.Term("unit", filters.unit))
    if filters.date_from or filters.date_to:
        parts.append(Q.TermRange("date", filters.date_from or "0000-00-00", filters.date_to or "9999-12-31"))
    for tag in filters.tags:
        parts.append(Q.Term("tags", tag.lower()))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.And(parts)


def highlight_needles(parsed: ParsedQuery) -> list[str]:
    needles = []
    for term in parsed.positive_terms():
        for piece in PIECE_RE.findall(term.text):
            needles.append(piece)
            if not term.phrase and len(piece) > 2 and piece[0] >= "\u3400":
                needles.extend(words(piece))
    return needles


class WhooshBackend:
    def __init__(self, directory: str | Path, *, procs: int | None = None, limitmb: int = 128):
        self.directory = Path(directory)
        self.path = self.directory / "whoosh"
        self.procs = procs if procs is not None else min(cpu_count() or 1, 4)
        self.limitmb = limitmb

    # ---- state ---------------------------------------------------------------
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

    def documents(self) -> dict[str, str]:
        ix = self._open()
        with ix.searcher() as searcher:
            return {fields["archive_no"]: fields.get("sha256", "") for fields in searcher.all_stored_fields()}

    # ---- writing -------------------------------------------------------------
    def rebuild(self, docs, procs: int | None = None) -> int:
        procs = self.procs if procs is None else procs
        self.directory.mkdir(parents=True, exist_ok=True)
        fresh = self.directory / f".rebuild-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        count = 0
        try:
            ix = whoosh_index.create_in(str(fresh), make_schema(), indexname=INDEX_NAME)
            if procs > 1:
                from .normalize import init_jieba
                init_jieba()  # loaded once here, inherited by the forked workers
                writer = ix.writer(procs=procs, limitmb=self.limitmb, multisegment=True, batchsize=256)
            else:
                writer = ix.writer(limitmb=self.limitmb)
            try:
                for doc in docs:
                    writer.add_document(**_fields(doc))
                    count += 1
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            (fresh / META_NAME).write_text(json.dumps({"schema_version": SCHEMA_VERSION, "documents": count}),
                                           encoding="utf-8")
            old = self.directory / f".old-{os.getpid()}"
            if self.path.exists():
                os.replace(self.path, old)
            os.replace(fresh, self.path)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
        return count

    def add(self, docs: list[IndexDoc]) -> None:
        ix = self._open()
        writer = ix.writer(timeout=30.0, delay=0.1)
        try:
            for doc in docs:
                writer.update_document(**_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        self._commit(ix, writer)

    @staticmethod
    def _commit(ix, writer) -> None:
        # Merging segments costs seconds in Whoosh; an add only merges once small
        # segments pile up (a rebuild always leaves a compact index).
        writer.commit(merge=len(ix._segments()) >= MERGE_AT_SEGMENTS)

    def remove(self, archive_nos: list[str]) -> None:
        ix = self._open()
        writer = ix.writer(timeout=30.0, delay=0.1)
        for number in archive_nos:
            writer.delete_by_term("archive_no", number)
        self._commit(ix, writer)

    # ---- reading -------------------------------------------------------------
    def query(self, parsed: ParsedQuery, filters: Filters, limit: int) -> list[Hit]:
        q = build_query(parsed)
        fq = build_filter(filters)
        needles = highlight_needles(parsed)
        ix = self._open()
        hits = []
        with ix.searcher() as searcher:
            if isinstance(q, Q.Every) and fq is not None:
                # filters only: list what matches, newest first
                results = sorted(searcher.search(fq, limit=None),
                                 key=lambda h: (h.get("date") or "", h.get("archive_no")), reverse=True)[:limit]
            else:
                results = searcher.search(q, filter=fq, limit=limit)
            for hit in results:
                stored = hit.fields()
                text = stored.get("text") or ""
                snippet = make_snippet(text, needles) if text else make_snippet(stored.get("title", ""), needles)
                hits.append(Hit(
                    archive_no=stored["archive_no"], title=stored.get("title", ""), kind=stored.get("kind", ""),
                    unit=stored.get("unit") or None, date=stored.get("date") or None,
                    score=float(hit.score or 0.0), snippet=snippet))
        return hits
