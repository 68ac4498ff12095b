"""One rule for the characters no text of ours may hold, used on the way in
(inputs and the ledger refuse them with where they are, the archive removes
them from metadata) and on the way out (shown escaped on a terminal).

XML (so Word, and the HTML WeasyPrint reads) has no place for C0 control
characters other than tab and line feed, nor for lone surrogates or
U+FFFE/U+FFFF; C1 controls and DEL are invisible and come only from damaged
copies or terminal escapes (\\x9b is a one-byte CSI). Bidirectional controls
(U+202E …) reorder what a reader sees — a PDF showed “文件” as “件文”.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BAD = f"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff{BIDI_CONTROLS}"
_BAD_IN_TEXT = re.compile(f"[{_BAD}\r]")  # a field: tab and line feed only (CR comes only from an escape)
_BAD_IN_FILE = re.compile(f"[{_BAD}]")  # a file or a cell: line ends may also be CR LF
_CONTROL_OR_BIDI = re.compile(f"[{_BAD}\t\n\r]")


def first_bad(text: str, in_file: bool = False) -> int | None:
    """Index of the first character no document may hold, or None. IN_FILE also
    allows a carriage return (CR LF line ends, a cell that wraps)."""
    match = (_BAD_IN_FILE if in_file else _BAD_IN_TEXT).search(text)
    return match.start() if match else None


def clean_text(text: str) -> str:
    """TEXT without those characters, for one-line metadata: tabs and line ends become
    spaces, everything else the rule refuses is removed."""
    return _CONTROL_OR_BIDI.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)


def shown(text, keep: str = "\t") -> str:
    """TEXT safe to print on a terminal: control and bidi characters (but KEEP) as
    visible escapes such as \\x1b, so a stored escape sequence cannot drive it."""
    text = "" if text is None else str(text)
    return _CONTROL_OR_BIDI.sub(
        lambda m: m.group() if m.group() in keep else
        (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"), text)
