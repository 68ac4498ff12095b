"""Whoosh tokenizers: jieba words (the title) and character bigrams (the body).

Both normalise the raw value themselves (t2s + lower case, cached per text), so a
multiprocessing writer does that work in its worker processes. Classes live at
module level because Whoosh pickles the schema, analyzers included.
"""

from __future__ import annotations

from collections import Counter

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import TEXT
from whoosh.system import pack_uint

from .normalize import bigrams, normalize, words


class _Base(Tokenizer):
    def _tokens(self, text: str) -> list[str]:
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, text in enumerate(self._tokens(normalize(value)) if tokenize else [normalize(value)], start_pos):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            yield token


class WordTokenizer(_Base):
    """jieba words of the simplified text (ranking: BM25 over real words)."""

    def _tokens(self, text):
        return words(text)


class BigramTokenizer(_Base):
    """Character bigrams of the simplified text (matching: exact phrases, 2-char words)."""

    def _tokens(self, text):
        return bigrams(text)


class CountedText(TEXT):
    """A TEXT field without positions whose index() counts tokens with a Counter
    instead of Whoosh's token-object loop (same postings, less Python per token)."""

    def index(self, value, **kwargs):
        tokens = self.analyzer._tokens(normalize(value))
        boost = self.format.field_boost
        for word, freq in Counter(tokens).items():
            yield word.encode("utf-8"), freq, freq * boost, pack_uint(freq)
