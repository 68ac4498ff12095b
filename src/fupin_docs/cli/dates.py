"""Date options (--date, --today, --from, --to …): one parser, one message, exit 1.

A date a clerk mistypes (2020-02-30, 2020年13月1日) is wrong input, not wrong
usage: it is reported like every other input error (exit 1), in the words of
fupin_docs.inputs.fields.parse_date, which also accepts 2020年6月8日.
"""

from __future__ import annotations

import datetime as dt

import click

from ..inputs.fields import parse_date
from .common import EXIT_INPUT


class DateInputError(click.ClickException):
    """A date option that is no date; click prints “错误：…” and exits 1."""

    exit_code = EXIT_INPUT


def option_name(param: click.Parameter | None) -> str:
    if param is None:
        return "日期"
    longs = [opt for opt in getattr(param, "opts", ()) if opt.startswith("--")]
    return (longs or list(getattr(param, "opts", ())) or [param.name or "日期"])[0]


def parse_option_date(value, what: str = "日期") -> dt.date:
    """VALUE as a date, or DateInputError “WHAT：日期“…”不存在（…），请核对”."""
    try:
        return parse_date(value)
    except ValueError as err:
        raise DateInputError(f"{what}：{err}") from None


class DateType(click.ParamType):
    """2020-06-08 or 2020年6月8日 → datetime.date."""

    name = "日期"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, dt.date):
            return value
        return parse_option_date(value, option_name(param))


DATE = DateType()
