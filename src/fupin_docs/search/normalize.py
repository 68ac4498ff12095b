"""Text normalisation shared by documents and queries: traditional → simplified
(OpenCC t2s), lower case, jieba words and character bigrams.

OpenCC's pure-Python converter costs ~4 µs a character. Most office documents are
already simplified, so `to_simplified` only converts the chunks (OpenCC converts
separator-delimited chunks independently) that contain a character OpenCC could
change — a set computed from OpenCC's own t2s dictionaries: every character that
differs between a dictionary key and its value. Other chunks are provably
unchanged. The result is identical to OpenCC's.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading

from ..chinese_script import opencc_dictionary_dir, t2s

_LOCK = threading.Lock()
_CC = None
_CHANGING: frozenset | None = None
_CHAR_TABLE: dict | None = None
_JIEBA_READY = False

PIECE_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
_ALNUM_RE = re.compile(r"^[0-9a-z]+$")
_CJK_FULL = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def _load_tables() -> None:
    global _CC, _CHANGING, _CHAR_TABLE
    with _LOCK:
        if _CC is not None:
            return
        changing: set = set()
        table: dict = {}
        for name in ("TSPhrases.txt", "TSCharacters.txt"):
            with open(os.path.join(opencc_dictionary_dir(), name), encoding="utf-8") as handle:
                for line in handle:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) < 2:
                        continue
                    key, value = parts[0], parts[1].split(" ")[0]
                    if key == value:
                        continue
                    if len(key) == len(value):
                        changing.update(k for k, v in zip(key, value) if k != v)
                    else:
                        changing.update(key)
                    if name == "TSCharacters.txt" and len(key) == 1 and len(value) == 1:
                        table[ord(key)] = value
        _CHANGING = frozenset(changing)
        _CHAR_TABLE = table
        _CC = t2s()  # the process's one loaded t2s converter


def to_simplified(text: str) -> str:
    """OpenCC t2s, skipped when provably the identity."""
    if not text:
        return text
    if _CC is None:
        _load_tables()
    if _CHANGING.isdisjoint(text):
        return text
    convert_chunk = getattr(_CC, "_convert", None)
    if convert_chunk is None or not hasattr(_CC, "split_chars_re"):
        return _CC.convert(text)
    # OpenCC converts each separator-delimited chunk on its own (see its convert());
    # doing the same but only for chunks that hold a changing character gives the
    # identical result at a fraction of the cost.
    parts = _CC.split_chars_re.split(text)
    for i in range(0, len(parts), 2):
        if not _CHANGING.isdisjoint(parts[i]):
            parts[i] = convert_chunk(parts[i], _CC._dict_chain_data)
    return "".join(parts)


def to_simplified_chars(text: str) -> str:
    """Character-by-character t2s that keeps every offset (for locating snippets)."""
    if _CHAR_TABLE is None:
        _load_tables()
    return text.translate(_CHAR_TABLE)


@functools.lru_cache(maxsize=8)
def normalize(text: str) -> str:
    """What both documents and queries are indexed/searched as. Cached: the word and
    bigram fields of one document ask for the same text one after the other."""
    return to_simplified(text).lower()


def init_jieba() -> None:
    global _JIEBA_READY
    if _JIEBA_READY:
        return
    import jieba
    jieba.setLogLevel(logging.WARNING)
    with _LOCK:
        if not _JIEBA_READY:
            jieba.initialize()
            _JIEBA_READY = True


def words(normalized: str) -> list[str]:
    """jieba words (precise mode, no HMM: faster, and unknown words are still found
    through the bigram field); whitespace and punctuation dropped."""
    init_jieba()
    import jieba
    return [word for word in jieba.cut(normalized, HMM=False)
            if (len(word) > 1 and _CJK_FULL.match(word)) or _ALNUM_RE.match(word)]


def bigrams(normalized: str) -> list[str]:
    """Overlapping character bigrams of each CJK run (a lone character stays a
    unigram); runs of Latin letters/digits are one token each."""
    out = []
    for piece in PIECE_RE.findall(normalized):
        if piece[0] < "\u3400":  # ascii alnum
            out.append(piece)
        elif len(piece) == 1:
            out.append(piece)
        else:
            out.extend(piece[i:i + 2] for i in range(len(piece) - 1))
    return out
