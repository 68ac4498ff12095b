"""Whoosh tokenizers for the two indexed views of a text.

Both normalise the raw value themselves (t2s + lower case, cached per text), so a
multiprocessing writer does that work in its worker processes. Classes live at
module level because Whoosh pickles the schema, analyzers included.
"""

from __future__ import annotations

from whoosh.analysis import Token, Tokenizer

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
