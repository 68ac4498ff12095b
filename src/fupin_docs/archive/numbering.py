"""Archive numbers in the DA/T 22-2015 档号 shape.

全宗号-门类代码·年度-保管期限-机构（问题）代码-件号, e.g. Z001-WS·2020-Y-ZFB-0001.
件号 is four digits and counts up per (全宗, 门类, 年度, 保管期限, 机构) sequence.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import ArchiveError

RETENTIONS = {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}
_RETENTION_ALIASES = {"永久": "Y", "定期30年": "D30", "30年": "D30", "30": "D30",
                      "定期10年": "D10", "10年": "D10", "10": "D10"}
CODE_RE = re.compile(r"^[A-Za-z0-9]{1,16}$")
ARCHIVE_NO_RE = re.compile(
    r"^(?P<fonds>[A-Za-z0-9]+)-(?P<category>[A-Za-z0-9]+)·(?P<year>\d{4})-"
    r"(?P<retention>Y|D30|D10)-(?P<org>[A-Za-z0-9]+)-(?P<seq>\d{4})$")


def normalize_retention(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if value.upper() in RETENTIONS:
        return value.upper()
    if value in _RETENTION_ALIASES:
        return _RETENTION_ALIASES[value]
    raise ArchiveError(f"保管期限“{value}”无效：应为 Y（永久）、D30（定期30年）或 D10（定期10年）")


def check_code(name: str, value: str) -> str:
    if not CODE_RE.match(str(value)):
        raise ArchiveError(f"fupin.toml 的 [archive] {name} = “{value}” 无效："
                           "档号代码只能由 1–16 个字母或数字组成，请修改 fupin.toml")
    return str(value)


def format_archive_no(fonds: str, category: str, year: int, retention: str, org: str, seq: int) -> str:
    if not 1 <= seq <= 9999:
        raise ArchiveError(f"件号已用尽（{fonds}-{category}·{year}-{retention}-{org} 已有 9999 件），"
                           "请在 fupin.toml 中为新的一批文件设置不同的机构代码")
    return f"{fonds}-{category}·{year:04d}-{retention}-{org}-{seq:04d}"


def parse_archive_no(archive_no: str) -> dict | None:
    match = ARCHIVE_NO_RE.match(archive_no or "")
    if not match:
        return None
    parts = match.groupdict()
    parts["year"] = int(parts["year"])
    parts["seq"] = int(parts["seq"])
    return parts


def sequence_key(archive_no: str) -> tuple | None:
    parts = parse_archive_no(archive_no)
    if parts is None:
        return None
    return (parts["fonds"], parts["category"], parts["year"], parts["retention"], parts["org"])


# What people type between the parts of a 档号: the middle dot is hard to find on a
# keyboard, so any dash, dot, full stop or space is taken for either separator.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−－﹣.．。·•・‧∙･・_/]+")


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().upper()
    return [token for token in _SEPARATORS.split(text) if token]


def normalize_archive_no(text: str) -> str:
    """What people type → the canonical 档号 when it has all six parts.

    'z001-ws-2020-d30-zfb-0005', 'Z001.WS.2020.D30.ZFB.5', 'Ｚ001－WS．2020…' all give
    'Z001-WS·2020-D30-ZFB-0005'. Anything else comes back trimmed and upper-cased.
    """
    tokens = _tokens(text)
    if len(tokens) == 6 and tokens[2].isdigit() and len(tokens[2]) == 4 and tokens[5].isdigit() \
            and len(tokens[5]) <= 4:
        fonds, category, year, retention, org, seq = tokens
        return f"{fonds}-{category}·{year}-{retention}-{org}-{int(seq):04d}"
    return "-".join(tokens)


def match_archive_nos(text: str, numbers) -> list[str]:
    """The 档号 among NUMBERS that TEXT names: the whole number in any of the spellings
    normalize_archive_no accepts, or its tail — the bare 件号 ('0005', '5') or the last
    parts ('ZFB-0005', '2020-D30-ZFB-5'). Several results mean TEXT is ambiguous."""
    numbers = list(numbers)
    wanted = normalize_archive_no(text)
    exact = [no for no in numbers if no.upper() == wanted]
    if exact:
        return exact
    tokens = _tokens(text)
    if not tokens or len(tokens) > 6 or not tokens[-1].isdigit():
        return []
    found = []
    for no in numbers:
        parts = _tokens(no)
        if len(parts) != 6 or not parts[-1].isdigit():
            continue
        tail = parts[-len(tokens):]
        if tail[:-1] == tokens[:-1] and int(tail[-1]) == int(tokens[-1]):
            found.append(no)
    return found


def archive_year(archive_no: str) -> int | None:
    """The 年度 part of a 档号 (the year it is numbered in), None for no 档号."""
    parts = parse_archive_no(archive_no)
    return parts["year"] if parts else None
