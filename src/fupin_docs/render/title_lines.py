"""Title lines (§7.3.1): a long 标题 split into 梯形 lines, never inside a word.

Line breaking is layout: it depends on how many 二号 characters a line holds,
so it lives here with the renderers, which both call it on the same Title
text and so break it the same way.
"""

from __future__ import annotations

import re

from .layout import TITLE_CHARS_PER_LINE  # 20 二号 characters a line (§7.3.1)


# Set phrases of this work that jieba cuts in two (脱贫|攻坚); a title line
# must not break inside them either.
DOMAIN_TERMS = frozenset({
    "脱贫攻坚", "挂牌督战", "两不愁三保障", "两不愁", "三保障", "饮水安全", "住房安全", "危房改造",
    "乡村振兴", "精准扶贫", "精准脱贫", "巩固拓展", "脱贫成果", "防止返贫", "易地扶贫搬迁",
    "整改销号", "回头看", "成效考核", "第三方评估", "驻村工作队", "扶贫开发", "领导小组", "实施方案",
    "工作方案", "会议纪要", "督查通知",
})
_LONGEST_TERM = max(len(term) for term in DOMAIN_TERMS)


def _join_terms(pieces: list[str]) -> list[str]:
    """Merge runs of jieba pieces that spell a DOMAIN_TERMS phrase."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        best = 1
        text = pieces[i]
        for j in range(i + 1, len(pieces)):
            text += pieces[j]
            if len(text) > _LONGEST_TERM:
                break
            if text in DOMAIN_TERMS:
                best = j - i + 1
        out.append("".join(pieces[i:i + best]))
        i += best
    return out


def _words(text: str) -> list[str]:
    """Word pieces a title line may break between; 《…》 stays whole when it fits."""
    import logging

    import jieba  # imported here: segmentation is only needed for long titles

    jieba.setLogLevel(logging.WARNING)  # its start-up chatter is not for clerks

    pieces: list[str] = []
    for part in re.split(r"(《[^》]*》)", text):
        if not part:
            continue
        if part.startswith("《") and len(part) <= TITLE_CHARS_PER_LINE:
            pieces.append(part)
        else:
            pieces.extend(_join_terms(jieba.lcut(part, HMM=False)))
    return pieces


# Beyond this many lines the even-split search is not worth its cost (and a
# title that long is refused by validate anyway): lines are filled word by word.
_BALANCED_LINES_MAX = 8


def _greedy(words: list[str], width: int) -> tuple[str, ...]:
    """Fill each line with whole words; a word longer than a line is cut."""
    lines: list[str] = []
    line = ""
    for word in words:
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if len(line) + len(word) > width:
            lines.append(line)
            line = ""
        line += word
    if line:
        lines.append(line)
    return tuple(lines)


def _balanced(words: list[str], width: int, n_lines: int, ideal: float):
    """Line lengths of the cheapest split of WORDS into exactly N_LINES lines, or None.

    Dynamic programming over word boundaries, bottom-up (no recursion, so no
    depth limit): minimise squared deviation from an even split, with a small
    penalty when an upper line is longer (prefer 正梯形). Ties keep the
    shortest first line, as a top-down search trying shorter lines first would.
    """
    count = len(words)
    # best[k][start]: (cost, lengths) for words[start:] in k lines
    best: list[list] = [[None] * (count + 1) for _ in range(n_lines + 1)]
    best[0][count] = (0.0, ())
    for k in range(1, n_lines + 1):
        row, below = best[k], best[k - 1]
        for start in range(count - 1, -1, -1):
            result = None
            length = 0
            for end in range(start + 1, count + 1):
                length += len(words[end - 1])
                if length > width:
                    break
                rest = below[end]
                if rest is None:
                    continue
                cost = (length - ideal) ** 2 + rest[0]
                if rest[1] and length > rest[1][0]:
                    cost += 0.5 * (length - rest[1][0])
                if result is None or cost < result[0]:
                    result = (cost, (length,) + rest[1])
            row[start] = result
    return best[n_lines][0]


def split_title(text: str, width: int = TITLE_CHARS_PER_LINE) -> tuple[str, ...]:
    """Split a long title into lines of ≤ width characters without breaking a
    word, as a 梯形 (upper lines no longer than lower ones where possible) with
    lines as even as the words allow (§7.3.1)."""
    text = text.strip()
    if len(text) <= width:
        return (text,)
    words = _words(text)
    n_lines = -(-len(text) // width)
    if n_lines > _BALANCED_LINES_MAX:
        return _greedy(words, width)
    ideal = len(text) / n_lines
    best = None
    for lines in (n_lines, n_lines + 1, n_lines + 2):
        best = _balanced(words, width, lines, ideal)
        if best:
            break
    if not best:  # a single "word" longer than a line: break by characters
        return tuple(text[i:i + width] for i in range(0, len(text), width))
    out, pos = [], 0
    for length in best[1]:
        out.append(text[pos:pos + length])
        pos += length
    return tuple(out)
