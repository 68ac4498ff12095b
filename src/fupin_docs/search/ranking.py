"""How a document matched a query (as typed, or only by its words) and how well.

Backend-neutral: every backend finds candidates its own way (Whoosh: bigram
postings) and then asks `judge` about each candidate's normalised title and
text, so the order and the per-hit match rule are the same whatever holds the
index.

"As typed" means what a clerk expects of a term: all of its characters
adjacent after 繁简 folding (OpenCC t2s, lower case). Between the pieces of a
term (Chinese runs, runs of Latin letters or digits) only punctuation or
spaces may stand: 三政发[2020]12号 occurs as typed where 三政发〔2020〕12号 is
written. In character-bigram terms (how a PostgreSQL backend holds the body):
the term's bigram tokens are adjacent, i.e. a `<->` phrase. A bare term that
jieba splits into words also matches when only its words occur, apart; a
quoted phrase matches as typed only.

Order (issue 10): documents in which every group of the query matches as typed
come first, then those in which more groups do; within that, a score from
  - the term as typed in the title (counts most), and all its words in the title,
  - the term as typed in the first paragraph,
  - how often it occurs as typed, and how often its words do (saturating,
    relative to the text's length),
  - for words-apart matches, how close together the words stand,
  - for two or more terms, how close together the terms stand.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .normalize import PIECE_RE
from .query import ParsedQuery, Term, matches, term_needs, term_words

AS_TYPED = "as_typed"
WORDS = "words"

# What may stand between two pieces of one term (punctuation, brackets, spaces).
_SEP = r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{0,4}"
LEAD_MAX = 300  # the first paragraph: the opening this many characters
MAX_COUNTED = 200  # occurrences counted per term (a score saturates long before)

# Score weights (see module docstring). The tiers (as typed before words) are
# kept by the sort key, not by these numbers.
W_TITLE_TYPED = 6.0
W_TITLE_WORDS = 2.0
W_LEAD = 2.0
W_COUNT = 4.0
W_WORDS_COUNT = 1.5
W_PROXIMITY = 2.0
W_TERMS_NEAR = 3.0
K1, B, AVG_LEN = 1.2, 0.5, 4000.0


@functools.lru_cache(maxsize=256)
def term_pattern(term: Term) -> re.Pattern | None:
    """Regex of TERM occurring as typed in normalised text (None: nothing to match)."""
    pieces = PIECE_RE.findall(term.text)
    if not pieces:
        return None
    parts = []
    for piece in pieces:
        if piece[0] < "\u3400":  # letters/digits: a whole token, as the index holds it
            parts.append(rf"(?<![0-9a-z]){re.escape(piece)}(?![0-9a-z])")
        else:
            parts.append(re.escape(piece))
    return re.compile(_SEP.join(parts))


def typed_spans(term: Term, text: str, limit: int = MAX_COUNTED) -> list[tuple[int, int]]:
    pattern = term_pattern(term)
    if pattern is None:
        return []
    out = []
    for found in pattern.finditer(text):
        out.append(found.span())
        if len(out) >= limit:
            break
    return out


def occurs_as_typed(term: Term, text: str) -> bool:
    pattern = term_pattern(term)
    return pattern is not None and pattern.search(text) is not None


def first_paragraph(text: str) -> str:
    """The opening of TEXT: its first LEAD_MAX characters, which hold a 公文's heading
    lines (发文字号, 主送机关) and first paragraph; counting by characters rather
    than by line breaks keeps a long header line or a text without breaks from
    deciding what the first paragraph is."""
    return text.lstrip()[:LEAD_MAX]


def _positions(needle: str, text: str, limit: int = MAX_COUNTED) -> list[int]:
    out, start = [], text.find(needle)
    while start != -1 and len(out) < limit:
        out.append(start)
        start = text.find(needle, start + 1)
    return out


def _smallest_window(lists: list[list[int]]) -> int | None:
    """Smallest span of text holding one position from each list (None: a list is empty)."""
    if not lists or any(not positions for positions in lists):
        return None
    if len(lists) == 1:
        return 0
    merged = sorted((pos, which) for which, positions in enumerate(lists) for pos in positions)
    need, have, best, left = len(lists), {}, None, 0
    for pos, which in merged:
        have[which] = have.get(which, 0) + 1
        while len(have) == need:
            start, first = merged[left]
            span = pos - start
            best = span if best is None else min(best, span)
            have[first] -= 1
            if not have[first]:
                del have[first]
            left += 1
    return best


def _saturate(count: int, length: int) -> float:
    if count <= 0:
        return 0.0
    norm = K1 * (1 - B + B * max(length, 1) / AVG_LEN)
    return count / (count + norm)


@dataclass
class _TermMatch:
    typed: bool
    score: float
    positions: list  # where it occurs (as typed, or its rarest word)


def _judge_term(term: Term, title: str, text: str, lead: str) -> _TermMatch | None:
    needs = term_needs(term)
    if not needs or not all(need in text for need in needs):
        return None
    spans = typed_spans(term, text)
    words = [w for w in dict.fromkeys(term_words(term)) if w] or needs
    lists = [_positions(w, text) for w in words]
    counted = [len(p) for p in lists if p]
    # the term's words: how often (the rarest of them), and all of them in the title
    score = W_WORDS_COUNT * _saturate(min(counted) if counted else 0, len(text))
    if title and all(w in title for w in words):
        score += W_TITLE_WORDS
    if spans:
        score += W_COUNT * _saturate(len(spans), len(text))
        if occurs_as_typed(term, title):
            score += W_TITLE_TYPED
        if occurs_as_typed(term, lead):
            score += W_LEAD
        return _TermMatch(True, score, [s for s, _ in spans])
    window = _smallest_window(lists)
    if window is not None:
        extra = max(window - sum(len(w) for w in words), 0)
        score += W_PROXIMITY / (1.0 + extra / 10.0)
    rarest = min((p for p in lists if p), key=len, default=[])
    return _TermMatch(False, score, rarest)


@dataclass(frozen=True)
class Judgement:
    match: str  # AS_TYPED | WORDS
    typed_groups: int  # how many groups of the query matched as typed
    groups: int
    score: float

    def sort_key(self) -> tuple:
        """Ascending sort key: every group as typed first, then more groups as typed, then score."""
        return (self.typed_groups < self.groups, -self.typed_groups, -self.score)


def judge(parsed: ParsedQuery, title: str, text: str) -> Judgement | None:
    """How TEXT (normalised title, body and metadata) matches PARSED, or None when it
    does not (query.matches is the reference). TITLE is the normalised title."""
    if not matches(parsed, text):
        return None
    lead = first_paragraph(text[len(title):] if title and text.startswith(title) else text)
    typed_groups, score, places = 0, 0.0, []
    for group in parsed.groups:
        best = None
        for term in group:
            found = _judge_term(term, title, text, lead)
            if found is not None and (best is None or (found.typed, found.score) > (best.typed, best.score)):
                best = found
        if best is None:  # matches() said yes through another spelling: count it as words
            continue
        typed_groups += best.typed
        score += best.score
        places.append(best.positions)
    if len(places) >= 2:
        window = _smallest_window(places)
        if window is not None:
            score += W_TERMS_NEAR / (1.0 + window / 20.0)
    groups = len(parsed.groups)
    return Judgement(AS_TYPED if typed_groups == groups else WORDS, typed_groups, groups, score)


def typed_only(parsed: ParsedQuery) -> ParsedQuery:
    """PARSED with every positive term required as typed (a quoted phrase each)."""
    return ParsedQuery(groups=[[Term(t.text, True) for t in group] for group in parsed.groups],
                       excluded=list(parsed.excluded), id_key=parsed.id_key)


def same_as_typed(parsed: ParsedQuery) -> bool:
    """True when matching PARSED by words can find nothing more than as typed
    (every term is one piece that must occur whole anyway)."""
    for term in parsed.positive_terms():
        pieces = PIECE_RE.findall(term.text)
        if len(pieces) != 1 or term_needs(term) != pieces:
            return False
    return True


# Candidates judged per query (both backends): the backend's best at least
# RERANK_MIN and RERANK_FACTOR × the hits asked for, widened ×4 until enough pass.
RERANK_MIN = 30
RERANK_FACTOR = 2


@dataclass(frozen=True)
class Candidate:
    """One document a backend offers for judging, best first by its own score."""

    key: object  # the backend's identity of the document (a Whoosh docnum, an archive number)
    archive_no: str
    score: float  # the backend's own score: breaks ties between equal judgements
    texts: object  # () -> (folded title, folded text): read only when first judged
    source: object  # the backend's hit or row, handed back with the verdict


@dataclass
class Judged:
    shown: list  # (Judgement, Candidate), in order
    total: int  # every match (an upper bound when not exact)
    exact: bool
    keys: object  # the keys of every match counted (None: the backend did not list them)


def judge_in_windows(parsed: ParsedQuery, limit: int, *, as_typed: bool, typed, loose, read, matching) -> Judged:
    """The ranking both backends share: the as-typed query's candidates, best first,
    judged (judge) in growing windows until LIMIT as-typed hits are proven or none is
    left; then, unless AS_TYPED, the words-apart candidates after them; ordered by
    the judgement, then the backend's score, then archive number.

    TYPED and LOOSE are (backend query, must the text prove it?) for typed_only(PARSED)
    and PARSED; a typed query of None matches nothing. READ(query, wanted) gives at
    most WANTED Candidates best first; MATCHING(query) gives (how many documents it
    matches, their keys or None), asked only when the candidates were not all read."""
    window = max(RERANK_FACTOR * limit, RERANK_MIN)
    judged: dict = {}  # key -> (Judgement | None, Candidate)

    def examine(query, counted) -> bool:
        """Judge QUERY's candidates until LIMIT pass COUNTED; whether every one was read."""
        wanted = window
        while True:
            candidates = read(query, wanted)
            for candidate in candidates:
                if candidate.key not in judged:
                    judged[candidate.key] = (judge(parsed, *candidate.texts()), candidate)
            read_all = len(candidates) < wanted
            if read_all or sum(1 for v, _ in judged.values() if v is not None and counted(v)) >= limit:
                return read_all
            wanted *= 4

    def passing(condition):
        return [(v, c) for v, c in judged.values() if v is not None and condition(v)]

    (q_typed, check_typed), (q_loose, check_loose) = typed, loose
    typed_all = True if q_typed is None else examine(q_typed, lambda v: v.match == AS_TYPED)
    typed_hits = passing(lambda v: v.match == AS_TYPED)
    if as_typed or same_as_typed(parsed):
        shown = typed_hits if as_typed else passing(lambda v: True)
        all_read, query, check = typed_all, q_typed, check_typed
    else:
        all_read = False
        if len(typed_hits) < limit:
            all_read = examine(q_loose, lambda v: True)
        shown = typed_hits if len(typed_hits) >= limit else passing(lambda v: True)
        query, check = q_loose, check_loose
    if all_read:
        total, keys, exact = len(shown), [c.key for _, c in shown], True
    else:  # every candidate of the query, as far as the index tells
        (total, keys), exact = matching(query), not check
    shown.sort(key=lambda pair: (*pair[0].sort_key(), -(pair[1].score or 0.0), pair[1].archive_no))
    if keys is not None:
        keys = dict.fromkeys([*keys, *(c.key for _, c in shown)])
    return Judged(shown, max(total, len(shown)), exact, keys)
