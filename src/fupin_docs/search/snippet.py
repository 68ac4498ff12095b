"""A short excerpt around where the query occurs, with the matches marked.

What is marked (issue 10): each term of the query where it occurs as typed
(after 繁简 folding); a term that does not occur as typed in this document has
only its own words marked — Chinese words of two or more characters, and a
number or Latin word only when it is the whole term. A number that is merely
part of a longer term (the 2020 of 三政发〔2020〕12号) is never marked alone.
"""

from __future__ import annotations

from .normalize import to_simplified_chars

MARK_OPEN, MARK_CLOSE = "【", "】"
WIDTH = 90
LEAD = 20
MAX_OCCURRENCES = 200


def _find_all(needle: str, located: str, spans: list) -> None:
    start = located.find(needle)
    while start != -1 and len(spans) < MAX_OCCURRENCES:
        spans.append((start, start + len(needle)))
        start = located.find(needle, start + 1)


def term_spans(located: str, terms) -> list[tuple[int, int]]:
    """Where TERMS (query.Term) are to be marked in LOCATED (simplified, lower case)."""
    from .normalize import PIECE_RE
    from .query import term_words
    from .ranking import typed_spans

    spans: list = []
    for term in terms:
        found = typed_spans(term, located, MAX_OCCURRENCES)
        if found:
            spans.extend(found)
            continue
        if term.phrase:
            continue
        whole = PIECE_RE.findall(term.text)
        for word in dict.fromkeys(term_words(term)):
            if len(word) > 1 and word[0] >= "\u3400" or (len(whole) == 1 and word == whole[0]):
                _find_all(word, located, spans)
    return spans


def make_snippet(text: str, terms, width: int = WIDTH) -> str:
    """TERMS are the query's terms (normalised); TEXT is in either script."""
    if not text:
        return ""
    located = to_simplified_chars(text)
    lowered = located.lower()
    if len(lowered) == len(located):
        located = lowered
    spans = sorted(term_spans(located, terms))
    if spans:
        # the window that holds the most occurrences, starting a little before one of them
        best, best_count = 0, -1
        for anchor, _ in spans:
            begin = max(0, anchor - LEAD)
            count = sum(1 for s, e in spans if s >= begin and e <= begin + width)
            if count > best_count:
                best, best_count = begin, count
        begin = best
    else:
        begin = 0
    end = min(len(text), begin + width)
    inside = [(max(s, begin), min(e, end)) for s, e in spans if s < end and e > begin]
    merged: list[list[int]] = []
    for s, e in inside:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, cursor = [], begin
    for s, e in merged:
        out.append(text[cursor:s])
        out.append(MARK_OPEN + text[s:e] + MARK_CLOSE)
        cursor = e
    out.append(text[cursor:end])
    snippet = "".join(out)
    snippet = " ".join(snippet.split())
    return ("…" if begin > 0 else "") + snippet + ("…" if end < len(text) else "")
