"""Simplified ↔ Traditional script, for keys and choice values typed either way."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=2)
def _converter(config: str):
    from opencc import OpenCC  # pure-Python OpenCC; loads its tables once

    return OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)
