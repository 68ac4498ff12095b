"""Title lines (§7.3.1): a long 标题 split into 梯形 lines, never inside a word.

Line breaking is layout: it depends on how many 二号 characters a line holds,
so it lives here with the renderers, which both call it on the same Title
text and so break it the same way.
"""

from __future__ import annotations

import re

from .layout import TITLE_CHARS_PER_LINE  # 20 二号 characters a line (§7.3.1)


# Set phrases of this work that jieba cuts in two (脱贫|攻坚, 消费|扶贫); a
# title line must not break inside them either.
DOMAIN_TERMS = frozenset({
    "脱贫攻坚", "脱贫攻坚战", "挂牌督战", "两不愁三保障", "两不愁", "三保障", "饮水安全", "住房安全", "危房改造",
    "乡村振兴", "乡村全面振兴", "全面振兴", "精准扶贫", "精准脱贫", "巩固拓展", "脱贫成果", "防止返贫",
    "易地扶贫搬迁", "易地搬迁", "整改销号", "回头看", "成效考核", "第三方评估", "驻村工作队", "扶贫开发",
    "领导小组", "实施方案", "工作方案", "会议纪要", "督查通知", "大督查", "问题整改", "农村改革", "指导意见",
    "典型经验", "经验做法", "专题会议", "重点工作", "政府工作报告", "工作报告",
})
# A word these begin a compound with the word before (消费扶贫, 农村改革, 问题整改)
# unless that word is a verb opening a phrase (开展|扶贫 may break).
COMPOUND_HEADS = frozenset({"扶贫", "脱贫", "帮扶", "振兴", "改革", "改造", "整改", "督查", "督战", "攻坚", "协作",
                            "搬迁", "保障", "救助", "考核"})
PHRASE_VERBS = frozenset({"开展", "推进", "做好", "打赢", "助力", "深化", "实施", "加强", "决战", "决胜", "巩固",
                          "推动", "促进", "落实", "抓好", "扎实", "深入", "深入开展", "进一步", "全面", "坚持",
                          "做实", "完善", "建立", "健全", "关于", "印发", "对", "和", "与", "及"})
_LONGEST_TERM = max(len(term) for term in DOMAIN_TERMS)

# Units a number is never parted from (2020年, 第五次, 12号, 3个).
_NUMBER = re.compile(r"^(第?[0-9０-９一二三四五六七八九十百千〇]+)$")
_UNITS = ("年度", "年", "月", "日", "次", "期", "号", "个", "批", "届", "项", "户", "人", "季度")
# Punctuation that never starts a line (it goes with the word before) or never ends one.
_NO_LINE_START = tuple("”’》）〕】、，。；：！？")
_NO_LINE_END = tuple("“‘《（〔【")
# Where a title breaks well: after these (the 的-phrase, a list, a clause) or before 关于.
_GOOD_AFTER = ("的", "和", "与", "及", "、", "，", "；", "：", " ", "\u3000")
_GOOD_BEFORE = ("关于", " ", "\u3000")
# Cost of a break anywhere else, in the units of the balance cost (squared characters):
# a line one or two characters longer is worth a break at a phrase boundary.
BREAK_PENALTY = 3.0


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


# A place name's last character, which jieba may leave alone (三星|镇).
_PLACE_SUFFIXES = frozenset("省市县区乡镇村")


def _join_units(pieces: list[str]) -> list[str]:
    """A number and its unit (2020年, 第五次), a place and its 镇/村 stay together."""
    out: list[str] = []
    for piece in pieces:
        if out and piece in _PLACE_SUFFIXES and len(out[-1]) >= 2 and out[-1].isalnum():
            out[-1] += piece
        elif out and _NUMBER.match(out[-1]) and piece.startswith(_UNITS):
            out[-1] += piece
        elif out and out[-1] == "第" and _NUMBER.match(piece):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _join_compounds(pieces: list[str]) -> list[str]:
    """消费扶贫, 农村改革, 问题整改: a modifier and its head stay together."""
    out: list[str] = []
    for piece in pieces:
        if (out and piece in COMPOUND_HEADS and len(out[-1]) >= 2 and out[-1] not in PHRASE_VERBS
                and not out[-1].endswith(_GOOD_AFTER) and not out[-1].endswith(_NO_LINE_START)
                and "".join(out[-1:]).isalnum()):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _attach_punctuation(pieces: list[str]) -> list[str]:
    """Closing marks go with the word before, opening marks with the word after."""
    out: list[str] = []
    carry = ""
    for piece in pieces:
        if carry:
            piece, carry = carry + piece, ""
        if piece.endswith(_NO_LINE_END) and len(piece.rstrip("".join(_NO_LINE_END))) == 0:
            carry = piece
            continue
        if out and piece.startswith(_NO_LINE_START):
            out[-1] += piece
        else:
            out.append(piece)
    if carry:
        out.append(carry)
    return out


def _words(text: str, whole_names: bool = True) -> list[str]:
    """Word pieces a title line may break between; with WHOLE_NAMES a 《…》
    that fits on a line is one piece. A title in Traditional script is cut
    where its Simplified spelling is (jieba's dictionary is Simplified)."""
    from ..chinese_script import t2s

    simplified = t2s().convert(text)
    if simplified != text and len(simplified) == len(text):
        out, pos = [], 0
        for piece in _simplified_words(simplified, whole_names):
            out.append(text[pos:pos + len(piece)])
            pos += len(piece)
        return out
    return _simplified_words(text, whole_names)


def _simplified_words(text: str, whole_names: bool) -> list[str]:
    import logging

    import jieba  # imported here: segmentation is only needed for long titles

    jieba.setLogLevel(logging.WARNING)  # its start-up chatter is not for clerks

    pieces: list[str] = []
    for part in re.split(r"(《[^》]*》)", text):
        if not part:
            continue
        if whole_names and part.startswith("《") and len(part) <= TITLE_CHARS_PER_LINE:
            pieces.append(part)
        else:
            words = _join_terms(jieba.lcut(part, HMM=False))
            pieces.extend(_join_compounds(_join_units(words)))
    return _attach_punctuation(pieces)


def _break_cost(before: str, after: str) -> float:
    """What breaking the line between BEFORE and AFTER costs (0 at a phrase boundary)."""
    if before.endswith(_GOOD_AFTER) or after.startswith(_GOOD_BEFORE):
        return 0.0
    if before.endswith("》") or after.startswith("《"):
        return 0.0
    return BREAK_PENALTY


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
    penalty when an upper line is longer (prefer 正梯形) and the cost of each
    break that is not at a phrase boundary (_break_cost). Ties keep the
    shortest first line, as a top-down search trying shorter lines first would.
    """
    count = len(words)
    breaks = [0.0] + [_break_cost(words[i - 1], words[i]) for i in range(1, count)] + [0.0]
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
                if rest[1]:
                    cost += breaks[end]
                    if length > rest[1][0]:
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
    n_lines = -(-len(text) // width)
    whole, split = _words(text), None
    if n_lines > _BALANCED_LINES_MAX:
        return _greedy(whole, width)
    ideal = len(text) / n_lines
    best = None
    for lines in (n_lines, n_lines + 1, n_lines + 2):
        best = _balanced(whole, width, lines, ideal)
        if best:
            break
        # a 《…》 kept whole must not cost the title a line: break inside it, between words
        split = split or _words(text, whole_names=False)
        best = _balanced(split, width, lines, ideal)
        if best:
            break
    if not best:  # a single "word" longer than a line: break by characters
        return tuple(text[i:i + width] for i in range(0, len(text), width))
    out, pos = [], 0
    for length in best[1]:
        out.append(text[pos:pos + length])
        pos += length
    return tuple(out)
