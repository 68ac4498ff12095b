"""Heading numbers (一、（一）1.（1）) and 梯形 title lines."""

from __future__ import annotations

import re


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (enough for any heading list)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[ones] if ones else "")


def level1(n: int) -> str:
    return f"{cn_number(n)}、"


def level2(n: int) -> str:
    return f"（{cn_number(n)}）"


def level3(n: int) -> str:
    return f"{n}."


# A paragraph a clerk wrote with its own number keeps the matching font role.
_LEVEL_PATTERNS = (
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[）)]")),
    (3, re.compile(r"^\d+[.．、]")),
    (4, re.compile(r"^[（(]\d+[）)]")),
)


def numbered_level(text: str) -> int | None:
    for level, pattern in _LEVEL_PATTERNS:
        if pattern.match(text):
            return level
    return None


def numbered_prefix(text: str) -> str:
    for _, pattern in _LEVEL_PATTERNS:
        match = pattern.match(text)
        if match:
            return match.group(0)
    return ""
