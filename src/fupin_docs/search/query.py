"""The query language a clerk types, parsed into a small backend-neutral structure.

    危房 改造            both (AND)
    "消费扶贫"           exact phrase (quotes ＂“”「」 accepted)
    危房 AND 饮水        both: AND, and, &, 与, 和, 且 standing alone are a plain space
    整改 OR 销号         either (also: or, 或, and | or ｜ with or without spaces)
    -销号  NOT 销号      exclude (also: 非)
    Z001-WS·2020-D30-ZFB-0003, 三政发〔2020〕12号
                         an archive number or 发文字号 (any dot, bracket or hyphen
                         variant) is looked up in the ids field first
A bare run of Chinese characters matches either exactly or as all of its jieba
words; a quoted phrase matches only exactly. Both scripts work: every term is
normalised traditional → simplified like the documents.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .normalize import normalize

_TOKEN_RE = re.compile(r'[-－]?["“”＂「」『』][^"“”＂「」『』]*["“”＂「」『』]?|\S+')
_QUOTES = '"“”＂「」『』'
OR_WORDS = {"or", "|", "｜", "||", "或"}
NOT_WORDS = {"not", "非"}
# standalone connectors that mean what a space already means (和/与 only as a
# token of their own: inside a word they are ordinary characters)
AND_WORDS = {"and", "&", "&&", "＆", "与", "和", "且"}
_BAR_RE = re.compile(r"([|｜]+)")

# what people type for an archive number (DA/T 22 档号: any dot or hyphen for ·,
#件号 with or without its zeros) and a 发文字号 (any bracket for 〔〕, 第, 号)
_ARCHIVE_NO_LOOSE = re.compile(
    r"^([a-z0-9]+)[-－—]([a-z0-9]+)[·.•・‧∙\-－—]?(\d{4})[-－—](y|d30|d10)[-－—]([a-z0-9]+)[-－—](\d{1,4})$")
_DOC_NUMBER_LOOSE = re.compile(
    r"^([\u4e00-\u9fff]{1,20})[\[\(（【〔［{]?(\d{4}|\d{2})[\]\)）】〕］}](?:第)?0*(\d+)号?$")


@dataclass(frozen=True)
class Term:
    text: str  # normalised (simplified, lower case)
    phrase: bool  # quoted: exact match only


@dataclass
class ParsedQuery:
    groups: list = field(default_factory=list)  # each: list[Term], any of which must match
    excluded: list = field(default_factory=list)  # list[Term], none may match
    id_key: str | None = None  # the whole query read as an archive number or 发文字号

    @property
    def empty(self) -> bool:
        return not self.groups and not self.excluded

    def positive_terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]


def id_key(text: str) -> str | None:
    """The normalised form of an archive number or 发文字号 as typed (either
    script, any dot/bracket/hyphen variant), or None when TEXT is neither:
    Z001-WS·2020-D30-ZFB-0003, z001-ws.2020-d30-zfb-3 → Z001-WS·2020-D30-ZFB-0003;
    三政發[2020]12号, 三政发〔2020〕第012号 → 三政发〔2020〕12号."""
    compact = re.sub(r"\s+", "", normalize(text or ""))
    match = _ARCHIVE_NO_LOOSE.match(compact)
    if match:
        fonds, category, year, retention, org, seq = match.groups()
        return f"{fonds}-{category}·{year}-{retention}-{org}-{int(seq):04d}".upper()
    match = _DOC_NUMBER_LOOSE.match(compact)
    if match and (match.group(2) or "").isdigit():
        code, year, seq = match.groups()
        if len(year) == 2:
            year = "20" + year
        return f"{code}〔{year}〕{int(seq)}号"
    return None


def _split_bars(raw: str) -> list[str]:
    """危房|饮水 → 危房, |, 饮水 (a quoted phrase keeps its bars)."""
    if raw[0] in _QUOTES or (raw[0] in "-－" and len(raw) > 1 and raw[1] in _QUOTES):
        return [raw]
    return [piece for piece in _BAR_RE.split(raw) if piece]


def parse_query(text: str) -> ParsedQuery:
    query = ParsedQuery(id_key=id_key(text))
    pending_or = False
    pending_not = False
    tokens = [piece for raw in _TOKEN_RE.findall(text or "") for piece in _split_bars(raw)]
    for raw in tokens:
        lowered = raw.lower()
        if lowered in AND_WORDS:
            continue
        if lowered in OR_WORDS or set(lowered) <= set("|｜"):
            pending_or = bool(query.groups)
            continue
        if lowered in NOT_WORDS:
            pending_not = True
            continue
        negative = pending_not
        pending_not = False
        if raw[0] in "-－" and len(raw) > 1:
            negative, raw = True, raw[1:]
        phrase = raw[0] in _QUOTES
        body = raw.strip(_QUOTES) if phrase else raw
        if phrase:
            # spaces between Chinese characters inside quotes carry no meaning
            body = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", body)
        body = normalize(body.strip())
        if not re.search(r"\w", body):
            continue
        term = Term(body, phrase)
        if negative:
            query.excluded.append(term)
            pending_or = False
        elif pending_or and query.groups:
            query.groups[-1].append(term)
            pending_or = False
        else:
            query.groups.append([term])
    return query


# ---- what a term requires of a document's (normalised) text ------------------
# Every backend answers with documents whose text satisfies these requirements;
# the Whoosh backend uses bigram postings to find candidates and, where bigrams
# alone cannot prove it (strings of three or more characters), checks the text.

def _is_cjk(piece: str) -> bool:
    return piece[0] >= "\u3400"


@functools.lru_cache(maxsize=256)
def _term_needs(term: Term) -> tuple:
    return tuple(_compute_needs(term))


def term_needs(term: Term) -> list[str]:
    """Substrings that must all occur for TERM to match (see _compute_needs); cached per term."""
    return list(_term_needs(term))


def _compute_needs(term: Term) -> list[str]:
    """Substrings that must all occur for TERM to match. A quoted phrase, and a bare
    run that jieba cannot split into words of two or more characters covering all
    of it, must occur as typed; any other bare run needs each of its words."""
    from .normalize import PIECE_RE, words
    needs: list[str] = []
    for piece in PIECE_RE.findall(term.text):
        if term.phrase or not _is_cjk(piece) or len(piece) <= 2:
            needs.append(piece)
            continue
        found = words(piece)
        if found and sum(len(w) for w in found) == len(piece):
            needs.extend(found)
        else:
            needs.append(piece)
    return needs


def term_words(term: Term) -> list[str]:
    """jieba words of TERM, for ranking; cached per term."""
    return list(_term_words(term))


@functools.lru_cache(maxsize=256)
def _term_words(term: Term) -> tuple:
    from .normalize import PIECE_RE, words
    out = []
    for piece in PIECE_RE.findall(term.text):
        # short pieces are their own word: no need to load jieba's dictionary (~1 s)
        out.extend(words(piece) if _is_cjk(piece) and len(piece) > 2 else [piece])
    return tuple(out)


def needs_text_check(need: str) -> bool:
    """True when bigram postings cannot prove NEED occurs (3+ Chinese characters, or
    one character, found by prefix)."""
    return _is_cjk(need) and len(need) != 2


def matches(parsed: ParsedQuery, text: str) -> bool:
    """Does normalised TEXT satisfy PARSED? The reference semantics of a query."""
    def term_ok(term: Term) -> bool:
        return all(need in text for need in term_needs(term))
    if not all(any(term_ok(t) for t in group) for group in parsed.groups):
        return False
    return not any(term_ok(t) for t in parsed.excluded)
