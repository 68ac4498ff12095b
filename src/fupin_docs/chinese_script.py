"""The one place OpenCC is loaded: Simplified ↔ Traditional converters and the
directory of OpenCC's dictionaries.

Bottom-level on purpose: it imports nothing from fupin_docs, so inputs and
search (and anything else) can share it without importing each other. OpenCC
(the pure-Python reimplementation) is imported on first use, not at import of
this module, so importing it costs nothing at start-up.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache

_LOCK = threading.Lock()


@lru_cache(maxsize=None)
def opencc_dictionary_dir() -> str:
    """The folder holding OpenCC's dictionary text files (TSCharacters.txt …)."""
    import opencc

    return os.path.join(os.path.dirname(opencc.__file__), "dictionary")


_CONVERTERS: dict = {}


def converter(config: str):
    """The shared, loaded OpenCC converter for CONFIG ("t2s" or "s2t"). Built
    once per process (under a lock, so threads never load the tables twice)."""
    loaded = _CONVERTERS.get(config)
    if loaded is None:
        with _LOCK:
            loaded = _CONVERTERS.get(config)
            if loaded is None:
                from opencc import OpenCC

                loaded = OpenCC(config)
                loaded.convert("")  # loads its dictionaries now, once
                _CONVERTERS[config] = loaded
    return loaded


def t2s():
    """Traditional → Simplified converter."""
    return converter("t2s")


def s2t():
    """Simplified → Traditional converter."""
    return converter("s2t")
