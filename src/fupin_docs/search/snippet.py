"""A short excerpt around where the query's words occur, with the words marked."""

from __future__ import annotations

from .normalize import to_simplified_chars

MARK_OPEN, MARK_CLOSE = "【", "】"
WIDTH = 90
LEAD = 20
MAX_OCCURRENCES = 200


def make_snippet(text: str, needles: list[str], width: int = WIDTH) -> str:
    """NEEDLES are simplified, lower-case strings; TEXT is in either script."""
    if not text:
        return ""
    located = to_simplified_chars(text)
    lowered = located.lower()
    if len(lowered) == len(located):
        located = lowered
    spans = []
    for needle in {n for n in needles if n}:
        start = located.find(needle)
        while start != -1 and len(spans) < MAX_OCCURRENCES:
            spans.append((start, start + len(needle)))
            start = located.find(needle, start + 1)
    spans.sort()
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
