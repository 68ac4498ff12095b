"""Simplified ↔ Traditional script, for keys and choice values typed either way."""

from __future__ import annotations

from ..chinese_script import s2t, t2s


def to_simplified(text: str) -> str:
    return t2s().convert(text)


def to_traditional(text: str) -> str:
    return s2t().convert(text)
