"""Characters no field may hold: what would crash a renderer or mislead a reader.

Both renderers must draw every text validate accepts. XML (so Word, and the
HTML WeasyPrint reads) has no place for C0 control characters other than tab
and line feed, nor for lone surrogates or U+FFFE/U+FFFF; C1 controls and DEL
are invisible and come only from damaged copies. Bidirectional controls
(U+202E …) reorder what a reader sees — the PDF showed “文件” as “件文” — so a
field holding one is refused too, with where it is.

Plain Python, no pydantic: the file loader and the field parsers share it.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# In a field: tab and line feed only (a carriage return comes only from an escape).
_BAD_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff{_BIDI}]")
# In the file itself: line ends may also be CR LF.
_BAD_IN_FILE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff{_BIDI}]")


def describe(char: str) -> str:
    """Why CHAR may not appear, and what to do, in office words."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return (f"有一个不成对的代理字符（U+{code:04X}），它不是有效的文字，无法排版；"
                "请删去这个“\\u”转义，直接输入要写的字")
    if code in (0x061C, 0x200E, 0x200F) or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return (f"有一个看不见的文字方向控制字符（U+{code:04X}），会使文字前后颠倒显示（如“文件”显示成“件文”），"
                "请删除它：可把这一行删去后重新输入")
    return (f"有一个看不见的控制字符（U+{code:04X}），公文里不能有这种字符，"
            "请删除它：可把这一行删去后重新输入（常见于从网页或其他软件复制来的文字）")


def first_bad(text: str, in_file: bool = False) -> int | None:
    """Index of the first character no document may hold, or None."""
    match = (_BAD_IN_FILE if in_file else _BAD_IN_TEXT).search(text)
    return match.start() if match else None
