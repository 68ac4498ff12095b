"""One rule for text that goes into the archive's records and out to a terminal.

Metadata comes from clerks' typing, file properties and scanned names. Control
characters (a terminal escape sequence in a unit name) and bidirectional
overrides (which show 文件 as 件文) have no place in a title or a unit: they
are removed on the way in, and shown escaped on the way out for records
written before this rule.
"""

from __future__ import annotations

import re
import unicodedata

# Explicit bidi embeddings, overrides and isolates, and the marks: invisible,
# and able to reorder what a reader sees.
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def clean_text(text: str) -> str:
    """TEXT without control characters or bidi controls (tabs and newlines become
    spaces: a title or unit is one line)."""
    text = _BIDI_RE.sub("", text)
    return "".join(" " if char in "\t\n\r" else char for char in text if char in "\t\n\r" or not _is_control(char))


def shown(text, keep: str = "\t") -> str:
    """TEXT safe to print on a terminal: control and bidi characters (but KEEP) as
    visible escapes such as \\x1b, so a stored escape sequence cannot drive it."""
    text = "" if text is None else str(text)
    return "".join((f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
                   if (_is_control(char) or char in BIDI_CONTROLS) and char not in keep else char
                   for char in text)
