"""`fupin ledger ...`: the problem ledger (问题台账). Thin wrappers over fupin_docs.ledger."""

from __future__ import annotations

import datetime as dt
import re
import sys

import click

from ..ledger.model import FIELDS, display_value
from ..ledger.store import load_ledger, read_history
from .common import EXIT_INTEGRITY, handle_errors, print_json, workspace_from
from .dates import DATE

_SPLIT = re.compile(r"[、，,；;\s]+")


def filter_options(func):
    """--status/--unit/--village/--source/--category/--overdue/--today, shared by list, export, summary."""
    options = [
        click.option("--status", help="按整改状态筛选：未整改、整改中、已整改、已销号（多个用“、”分隔）"),
        click.option("--unit", help="按责任单位筛选"),
        click.option("--village", help="按村筛选"),
        click.option("--source", help="按问题来源筛选（如 自查、省考反馈）"),
        click.option("--category", help="按类别筛选（如 住房安全、饮水安全）"),
        click.option("--overdue", is_flag=True, help="只看逾期问题（已过完成时限且未整改完成）"),
        click.option("--today", type=DATE, help="按指定日期计算逾期（默认今天）"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _query(status, unit, village, source, category, overdue, today):
    """The options as the library's one selection (the web pages build the same from their query)."""
    from ..ledger.query import LedgerQuery

    return LedgerQuery(status=status, unit=unit, village=village, source=source, category=category,
                       overdue=overdue, today=today or dt.date.today())


def _select(ws, *options):
    from ..ledger.query import choose

    return choose(ws, _query(*options))


@click.group("ledger")
def command():
    """问题台账：排查表导入、整改跟踪、销号、逾期提醒与汇总。

    \b
    常用流程：
      fupin ledger import-check 排查表.xlsx --date 2020-06-08 --deadline 2020年6月底前
      fupin ledger set WT-2020-0001 --measures "..." --unit 镇国土所 --person 张三
      fupin archive add 鉴定报告.pdf --title "某某户住房安全鉴定报告"
      fupin ledger close WT-2020-0001 --evidence 档号
      fupin ledger list --overdue      fupin ledger summary
      fupin ledger export 问题台账.xlsx

    台账保存在工作目录的 ledger/问题台账.yaml，每次修改都记入 ledger/台账变更记录.jsonl。
    """


@command.command("import-check")
@click.argument("sheet", type=click.Path(dir_okay=False))
@click.option("--source", default="自查", show_default=True, help="问题来源")
@click.option("--date", "date", type=DATE, help="排查（发现）日期，默认今天；表中有“排查日期”列时以该列为准")
@click.option("--deadline", help="新问题的完成时限，如 2020-06-30 或 2020年6月底前")
@click.option("--unit", help="新问题的责任单位")
@click.option("--person", help="新问题的责任人")
@click.option("--roster", type=click.Path(dir_okay=False),
              help="户名册 .xlsx（含“户编号”列，可含“村”列），不在名册中的户编号视为错误；"
                   "默认使用工作目录中的 ledger/户名册.xlsx（如有）")
@click.option("--who", help="操作人（默认取环境变量 FUPIN_USER 或登录名）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键见上文）")
@click.pass_context
@handle_errors
def import_check(ctx, sheet, source, date, deadline, unit, person, roster, who, as_json):
    """把入户排查表导入台账：每个不达标项登记为一个问题。

    \b
    表头（第一行）：村、户编号、户主姓名、家庭收入、基本生活、
    义务教育、基本医疗、住房安全、饮水安全、备注；其他列忽略。
    各项填 达标/不达标（也可用 是/否、✓/✗）。
    重复导入同一张表不会重复登记（以 户编号+类别+问题来源 识别）。
    表中有任何错误时逐条输出“文件:行:列: 说明”，台账不做任何改动。

    \b
    --json 输出一个对象，键固定为：
      households   排查户数
      villages     村数
      failing      不达标项数
      created      新登记的问题编号
      existing     已在台账中、未重复登记的问题编号
      now_passing  本次已达标、台账中尚未整改完成的问题编号
    """
    ws = workspace_from(ctx)
    from ..ledger.check_sheet import import_check_sheet  # openpyxl: only when run
    result = import_check_sheet(ws, sheet, source=source, date=date, deadline=deadline, unit=unit,
                                person=person, roster=roster, who=who)
    if as_json:
        print_json(result.to_json())
        return
    click.echo(f"排查表：{result.villages} 个村 {result.households} 户，不达标 {result.failing} 项")
    click.echo(f"新登记问题 {len(result.created)} 个" + (f"（{result.created[0]} 至 {result.created[-1]}）"
                                                  if result.created else ""))
    if result.existing:
        click.echo(f"已在台账中 {len(result.existing)} 个，未重复登记")
    if result.now_passing:
        click.echo(f"本次复查已达标、台账中尚未整改完成的问题 {len(result.now_passing)} 个："
                   f"{'、'.join(result.now_passing)}（整改到位后请用 fupin ledger close 销号）")


@command.command("import")
@click.argument("xlsx", type=click.Path(dir_okay=False))
@click.option("--who", help="操作人（默认取环境变量 FUPIN_USER 或登录名）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键见上文）")
@click.pass_context
@handle_errors
def import_(ctx, xlsx, who, as_json):
    """导入上级或其他单位交换的台账 .xlsx，与本地台账合并。

    \b
    表头：问题编号、问题来源、问题描述、类别、村、户、整改措施、
    责任单位、责任人、完成时限、整改状态、销号日期、佐证材料
    （问题描述、问题来源、整改状态三列必须有）。
    问题编号已存在的更新表中有的列，新编号照录，空编号自动编号。
    任何一行有错时逐条输出“文件:行:列: 说明”，台账不做任何改动。

    \b
    --json 输出一个对象，键固定为（值都是问题编号列表）：
      created    新增的问题
      updated    有改动的问题
      unchanged  无变化的问题
    """
    from ..ledger.xlsx import import_ledger
    result = import_ledger(workspace_from(ctx), xlsx, who=who)
    if as_json:
        print_json(result.to_json())
        return
    click.echo(f"新增 {len(result.created)} 个问题，更新 {len(result.updated)} 个，"
               f"无变化 {len(result.unchanged)} 个")


@command.command("export")
@click.argument("xlsx", type=click.Path(dir_okay=False))
@filter_options
@click.pass_context
@handle_errors
def export(ctx, xlsx, status, unit, village, source, category, overdue, today):
    """把台账导出为 .xlsx 文件（可按条件筛选），逾期问题的完成时限单元格标色。"""
    ws = workspace_from(ctx)
    problems = _select(ws, status, unit, village, source, category, overdue, today)
    from ..ledger.xlsx import export_ledger
    count = export_ledger(ws, xlsx, problems, today=today)
    click.echo(f"已导出 {count} 个问题到 {xlsx}")


@command.command("list")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键见下文）")
@click.pass_context
@handle_errors
def list_(ctx, status, unit, village, source, category, overdue, today, as_json):
    """列出台账中的问题，可按状态、责任单位、村、来源、类别筛选，--overdue 只看逾期。

    逾期：已过完成时限且整改状态不是“已整改”或“已销号”。

    \b
    --json 输出一个数组，每个问题一个对象，键固定为：
      id（问题编号）、问题来源、类别、村、户编号、户主姓名、
      问题描述、发现日期、整改措施、责任单位、责任人、
      完成时限（YYYY-MM-DD 或“长期坚持”）、整改状态、销号日期、
      佐证材料（档号列表）、逾期（true/false）、逾期天数、
      存疑（true/false：整改状态与变更记录或档案对不上，见 fupin ledger verify）；
    没有的值为 null。
    """
    today = today or dt.date.today()
    ws = workspace_from(ctx)
    problems = _select(ws, status, unit, village, source, category, overdue, today)
    from ..ledger.query import problems_json
    listed = problems_json(ws, problems, today)
    if as_json:
        print_json(listed)
        return
    doubtful = {item["id"] for item in listed if item["存疑"]}
    if not problems:
        click.echo("没有符合条件的问题")
        return
    for p in problems:
        where = " ".join(x for x in (p.village, p.household, p.head) if x)
        due = display_value(p.deadline) or "未定时限"
        if p.is_overdue(today):
            due += f"（逾期{p.days_overdue(today)}天）"
        shown_status = f"{p.status}（存疑）" if p.pid in doubtful else p.status
        click.echo(f"{p.pid}  {shown_status}  {where}  {p.category or p.source}  "
                   f"{p.unit or '（未明确责任单位）'}  {due}")
        click.echo(f"    {p.description}")
    click.echo(f"共 {len(problems)} 个问题")
    _warn_doubtful(sorted(doubtful, key=[p.pid for p in problems].index))


def _warn_doubtful(ids: list[str]) -> None:
    if ids:
        click.echo(f"注意：{len(ids)} 个问题的整改状态与台账变更记录或档案对不上（存疑，未计入整改完成数）："
                   f"{'、'.join(ids[:10])}{' 等' if len(ids) > 10 else ''}；"
                   f"请运行 fupin ledger verify 查看原因", err=True)


@command.command("show")
@click.argument("pid")
@click.option("--today", type=DATE, help="按指定日期计算逾期（默认今天）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON：键与 list --json 相同，另加“变更记录”")
@click.pass_context
@handle_errors
def show(ctx, pid, today, as_json):
    """显示一个问题的全部内容和变更记录。"""
    ws = workspace_from(ctx)
    today = today or dt.date.today()
    problem = load_ledger(ws).get(pid)
    records = read_history(ws, problem.pid)
    if as_json:
        data = problem.to_json(today)
        data["变更记录"] = records
        print_json(data)
        return
    for attr, key in FIELDS.items():
        value = display_value(getattr(problem, attr))
        if attr == "deadline" and problem.is_overdue(today):
            value += f"（逾期{problem.days_overdue(today)}天）"
        click.echo(f"{key}：{value}")
    if records:
        click.echo("变更记录：")
        for item in records:
            click.echo("  " + _history_line(item))


def _history_line(item: dict) -> str:
    when = item.get("时间", "")[:19].replace("T", " ")
    if item.get("字段"):
        change = f"{item['字段']}：{display_value(item.get('原值')) or '（空）'} → {display_value(item.get('新值')) or '（空）'}"
    else:
        change = "登记"
    return f"{when}  {item.get('操作人', '')}  {item.get('操作', '')}  {item.get('问题编号', '')}  {change}"


@command.command("set")
@click.argument("pid")
@click.option("--measures", help="整改措施")
@click.option("--unit", help="责任单位")
@click.option("--person", help="责任人")
@click.option("--deadline", help="完成时限，如 2020-06-30、2020年6月底前、长期坚持（空字符串清除）")
@click.option("--status", help="整改状态：未整改、整改中、已整改（销号请用 fupin ledger close）")
@click.option("--who", help="操作人（默认取环境变量 FUPIN_USER 或登录名）")
@click.pass_context
@handle_errors
def set_(ctx, pid, measures, unit, person, deadline, status, who):
    """修改问题的整改措施、责任单位、责任人、完成时限或整改状态；每项修改记入变更记录。

    把“已销号”的问题改回“整改中”或“未整改”即撤销销号（销号日期清除，佐证材料保留）。
    """
    from ..ledger.store import set_fields
    problem, changed = set_fields(workspace_from(ctx), pid, measures=measures, unit=unit, person=person,
                                  deadline=deadline, status=status, who=who)
    if changed:
        click.echo(f"{problem.pid} 已修改：{'、'.join(changed)}")
    else:
        click.echo(f"{problem.pid} 无变化（新值与原值相同）")


@command.command("close")
@click.argument("pid")
@click.argument("more", nargs=-1)
@click.option("--evidence", "evidence", multiple=True,
              help="佐证材料的档号（须已用 fupin archive add 归档）；可写多个")
@click.option("--date", "date", type=DATE, help="销号日期，默认今天")
@click.option("--who", help="操作人（默认取环境变量 FUPIN_USER 或登录名）")
@click.pass_context
@handle_errors
def close(ctx, pid, more, evidence, date, who):
    """销号：问题整改到位后，附上已归档的佐证材料销号（整改一件、销号一件）。

    \b
    例：fupin ledger close WT-2020-0001 --evidence Z001-WS·2020-D30-ZFB-0012 0013
    佐证材料须已在档案中且未撤回；已销号的问题不能再次销号。
    """
    numbers = [n for value in (*evidence, *more) for n in _SPLIT.split(value) if n]
    from ..ledger.evidence import close_problem
    problem, items = close_problem(workspace_from(ctx), pid, numbers, date=date, who=who)
    click.echo(f"{problem.pid} 已于 {problem.closed_on} 销号，佐证材料：")
    for item in items:
        click.echo(f"  {item.archive_no}  {item.title}")


@command.command("summary")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键见下文）")
@click.pass_context
@handle_errors
def summary(ctx, status, unit, village, source, category, overdue, today, as_json):
    """台账汇总：按整改状态、责任单位、问题来源统计，整改率与逾期数。

    整改率 =（已整改 + 已销号）÷ 问题总数。

    \b
    --json 输出一个对象，键固定为：
      total         问题总数
      by_status     按整改状态计数（四种状态都有；不含存疑的问题）
      unverified    存疑数：整改状态与变更记录或档案对不上的问题（如手工改成“已销号”、
                    佐证材料不在档案中），不计入 by_status、done 和整改率
      unverified_ids 存疑问题编号
      by_unit       按责任单位计数（无责任单位记为“（未明确）”）
      by_source     按问题来源计数
      by_village    按村计数
      by_category   按类别计数
      done          已整改 + 已销号的个数
      rate          整改率（0～1）
      rate_percent  整改率百分数（一位小数）
      overdue       逾期数
      overdue_ids   逾期问题编号
      today         计算逾期所用的日期
    """
    from ..ledger.summary import query_summary
    figures = query_summary(workspace_from(ctx), _query(status, unit, village, source, category, overdue, today))
    if as_json:
        print_json(figures)
        return
    click.echo(f"问题总数 {figures['total']} 个，已整改 {figures['by_status']['已整改']} 个、"
               f"已销号 {figures['by_status']['已销号']} 个，整改率 {figures['rate_percent']}%")
    ids = figures["overdue_ids"]
    shown = "、".join(ids[:10]) + (" 等（全部请看 fupin ledger list --overdue）" if len(ids) > 10 else "")
    click.echo(f"逾期 {figures['overdue']} 个（截至 {figures['today']}）" + (f"：{shown}" if ids else ""))
    for title, key in (("按整改状态", "by_status"), ("按责任单位", "by_unit"), ("按问题来源", "by_source"),
                       ("按村", "by_village"), ("按类别", "by_category")):
        parts = [f"{name} {count}" for name, count in figures[key].items()]
        click.echo(f"{title}：{'，'.join(parts) if parts else '无'}")
    if figures["unverified"]:
        click.echo(f"存疑 {figures['unverified']} 个（未计入以上按整改状态的计数和整改率）")
        _warn_doubtful(figures["unverified_ids"])


@command.command("verify")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键见下文）")
@click.pass_context
@handle_errors
def verify(ctx, as_json):
    """核对台账：每个问题的整改状态与变更记录一致，每个销号的佐证材料都在档案中且未撤回，
    并且档案日志中有这次销号的记录（台账和变更记录可以手改，档案日志不能）；档案日志记有
    销号的问题不能从台账中消失，重新整改须有撤销销号的记录。

    手工改动台账文件（如直接改成“已销号”、写了不存在的档号）会在这里逐条列出，
    以问题编号开头。有问题时退出码为 3（与 fupin archive verify 相同）。

    \b
    --json 输出一个对象，键固定为：
      ok                true 表示没有问题
      problems_checked  核对的问题数
      evidence_checked  核对的佐证材料档号数
      unverified_ids    存疑的问题编号
      problems          问题列表，每项 {id（问题编号，整个文件的问题为 null）, message}
      warnings          提醒列表，键同上（如手工添加、尚未整改的问题）
    """
    from ..ledger.verify import verify_ledger
    report = verify_ledger(workspace_from(ctx))
    if as_json:
        print_json(report.to_json())
    else:
        for finding in report.problems:
            click.echo(f"问题  {finding}")
        for finding in report.warnings:
            click.echo(f"提醒  {finding}")
        if report.ok:
            click.echo(f"台账核对无误：{report.problems_checked} 个问题，{report.evidence_checked} 件佐证材料"
                       + (f"；提醒 {len(report.warnings)} 条" if report.warnings else ""))
        else:
            click.echo(f"台账核对发现 {len(report.problems)} 处问题（{len(report.unverified_ids)} 个问题存疑），"
                       f"请按提示核对：可用 fupin ledger history 问题编号 查看变更记录，"
                       f"用 fupin ledger set / close 重新办理", err=True)
    if not report.ok:
        sys.exit(EXIT_INTEGRITY)


@command.command("history")
@click.argument("pid", required=False)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键见上文）")
@click.pass_context
@handle_errors
def history(ctx, pid, as_json):
    """显示台账变更记录（谁、何时、改了哪个问题的哪一项、原值 → 新值）；可只看一个问题。

    \b
    --json 输出一个数组，每条记录的键固定为：
      时间、操作人、操作、问题编号、字段、原值、新值
    """
    records = read_history(workspace_from(ctx), pid)
    if as_json:
        print_json(records)
        return
    if not records:
        click.echo("没有变更记录")
    for item in records:
        click.echo(_history_line(item))
