"""Why a character may not stand in an input, in office words.

The rule itself (which characters) is fupin_docs.text_safety's, shared with
the ledger and the archive; this module says what each one does and how to
get rid of it, for the located messages of the inputs stage.
"""

from __future__ import annotations

from ..text_safety import first_bad  # noqa: F401  (the one rule; re-exported for inputs)


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
