"""Value parsers shared by every input kind: text, dates, 发文字号, 份号, 是/否.

Plain functions, no pydantic: compose, ledger, archive and the command line
use parse_date and cn_date without loading the models. The pydantic field
types built from them are in inputs/field_types.py.

Each validator raises ValueError with a Simplified Chinese message that says
how to fix the value; inputs.validate turns it into FILE:LINE:COL.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from .characters import describe, first_bad

# --- text -------------------------------------------------------------------

# Every text validate accepts must render in both formats (tests/test_hostile_inputs.py).
TEXT_MAX = 10_000  # characters in one text or one paragraph
TITLE_MAX = 100  # 标题, 方案名称, 会议名称, 附件名称, 发文机关: Word's file properties hold at most 255
TAGS_MAX = 200  # 标签, joined with 、 (Word's 关键词 property holds at most 255)


def _text(value: Any, limit: int = TEXT_MAX) -> str:
    if value is None:
        raise ValueError("不能为空，请填写内容")
    if isinstance(value, bool):
        raise ValueError("应为文字，不是“是/否”；如需写 yes/no/true 等字样，请用引号括起来")
    if isinstance(value, (int, float)):
        return getattr(value, "source", str(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("不能为空，请填写内容")
        bad = first_bad(text)
        if bad is not None:
            raise ValueError(describe(text[bad]))
        if len(text) > limit:
            if limit < TEXT_MAX:
                raise ValueError(f"太长（{len(text)} 字），这一项不能超过 {limit} 字，请精简")
            raise ValueError(f"这一段太长（{len(text)} 字），一段不能超过 {limit} 字；"
                             "请分成几段，每段另起一行，以“- ”开头")
        return text
    raise ValueError("应为一段文字，不是列表或键值对；请检查缩进")


def _title(value: Any) -> str:
    """A title or a name that goes into one line of a heading and Word's file properties."""
    text = _text(value, TITLE_MAX)
    if "\n" in text or "\t" in text:
        raise ValueError("标题和名称里不能换行或有 Tab，请写成一行")
    return text


def _paragraph_list(value: Any) -> list:
    """A string (one paragraph per non-empty line), or a list of paragraphs."""
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    if isinstance(value, list):
        return value
    return [value]


def _paragraph(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        key, inner = next(iter(value.items()))
        raise ValueError(
            f"这一行的英文冒号“: ”被当成了“键: 值”，请改用中文冒号写成“{key}：{inner if inner is not None else ''}”，"
            "或给整段文字加上引号"
        )
    if isinstance(value, (dict, list)):
        raise ValueError("段落列表里的每一项应为一段文字，请检查缩进")
    return _text(value)


def _names(value: Any) -> list[str]:
    """People or units: a list, or one string separated by 、，, or spaces."""
    if isinstance(value, str):
        return [_text(part) for part in re.split(r"[、，,；;\s]+", value.strip()) if part]
    if isinstance(value, list):
        return [_text(item) for item in value]
    return [_text(value)]


def _tags(value: Any) -> list[str]:
    tags = _names(value)
    if len("、".join(tags)) > TAGS_MAX:
        raise ValueError(f"标签太多太长（合计超过 {TAGS_MAX} 字），请只留几个最要紧的")
    return tags


# --- dates ------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
# 二〇二〇年六月十日: how many documents write their dates (also with ○/零/Ｏ for zero).
_NUMERAL_DIGITS = {ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")}
_NUMERAL_DIGITS.update({"○": "0", "零": "0", "Ｏ": "0", "O": "0", "o": "0", "０": "0"})
_CN_NUMERAL = re.compile(r"^([〇○零ＯOo０一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月"
                         r"([一二三四五六七八九十]{1,3})日$")


def _small_numeral(text: str) -> int | None:
    """一 … 三十一 (month and day numbers); None when not one."""
    digits = "一二三四五六七八九"
    if text in digits:
        return digits.index(text) + 1
    tens, sep, ones = text.partition("十")
    if not sep or len(tens) > 1 or len(ones) > 1:
        return None
    value = (digits.index(tens) + 1 if tens else 1) * 10
    return value + (digits.index(ones) + 1 if ones else 0)


def _numeral_date(text: str) -> tuple[int, int, int] | None:
    match = _CN_NUMERAL.match(text)
    if not match:
        return None
    year = int("".join(_NUMERAL_DIGITS[ch] for ch in match[1]))
    month, day = _small_numeral(match[2]), _small_numeral(match[3])
    if month is None or day is None:
        return None
    return year, month, day


def is_date_like(text: str) -> bool:
    """Whether TEXT is written as a date (any accepted spelling), right or wrong."""
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    return bool(_ISO.match(text) or _CN.match(text) or _CN_NUMERAL.match(text))


DATE_HINT = "请写成 2020-06-08、2020年6月8日 或 二〇二〇年六月八日"


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).replace(" ", "")
    normal = unicodedata.normalize("NFKC", text).replace(" ", "")  # full-width digits and signs
    match = _ISO.match(normal) or _CN.match(normal)
    parts = tuple(int(g) for g in match.groups()) if match else _numeral_date(text)
    if parts is None:
        raise ValueError(f"日期“{text}”格式不对，{DATE_HINT}")
    year, month, day = parts
    if not 1 <= month <= 12:
        raise ValueError(f"日期“{text}”不存在（月份应为1到12），请核对")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"日期“{text}”不存在（{year}年{month}月没有{day}日），请核对") from None


def cn_date(day: dt.date) -> str:
    """GB/T 9704 §7.3.5.3: Arabic numerals, full year, no zero padding."""
    return f"{day.year}年{day.month}月{day.day}日"


# --- 发文字号 ----------------------------------------------------------------

# GB/T 9704 §7.2.4: 机关代字〔年份〕序号号, hexagonal brackets U+3014/U+3015,
# full year, no 第, no zero padding.
DOC_NUMBER_PATTERN = re.compile(r"^(?P<code>[\u4e00-\u9fff]{1,20})〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")
_LOOSE_DOC_NUMBER = re.compile(
    r"^(?P<code>[\u4e00-\u9fff]{1,20})\s*[\[\(（【〔［{]\s*(?P<year>\d{2,4})\s*[\]\)）】〕］}]\s*第?\s*(?P<seq>\d+)\s*号?$"
)


def parse_doc_number(value: Any) -> str:
    text = _text(value, TITLE_MAX)
    if DOC_NUMBER_PATTERN.match(text):
        return text
    loose = _LOOSE_DOC_NUMBER.match(text)
    if loose:
        year = loose["year"]
        if len(year) == 2:
            year = "20" + year
        fixed = f"{loose['code']}〔{year}〕{int(loose['seq'])}号"
        raise ValueError(
            f"发文字号“{text}”不符合 GB/T 9704：年份用六角括号〔〕、写全四位、序号不编虚位不加“第”，"
            f"应写成“{fixed}”"
        )
    raise ValueError(f"发文字号“{text}”格式不对，应为“机关代字〔年份〕序号号”，例如“冀扶贫脱贫〔2019〕25号”")


def parse_copy_number(value: Any) -> str:
    """份号 (GB/T 9704 §7.2.1): six Arabic digits; shorter numbers are zero-filled."""
    text = _text(value)
    if not text.isdigit() or len(text) > 6 or not text.isascii():
        raise ValueError(f"份号“{text}”应为不超过 6 位的阿拉伯数字，例如 000123")
    return text.zfill(6)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(getattr(value, "source", value)).strip()
    if text in {"是", "有", "盖", "加盖", "yes", "true", "1"}:
        return True
    if text in {"否", "无", "不盖", "no", "false", "0"}:
        return False
    raise ValueError(f"“{text}”应写“是”或“否”")


