"""`fupin audit list|verify|sheet`: the access journal of `fupin serve`."""

from __future__ import annotations

from pathlib import Path

import click

from ..text_safety import shown
from .common import IntegrityError, UserError, handle_errors, print_json, workspace_from

AUDIT_JSON_HELP = """\b
--json 输出列表（从早到晚），每项键：seq 记录号, at 时间（带时区 ISO 8601）, who 用户,
  role 角色, address 地址, action 操作（login/login.failed/logout/search/view/preview/
  download/pack/pack.download/denied/verify/withdraw/visit_sheet）, action_label 操作名,
  detail 内容{archive_no, title, file_name, query, filters, total, purpose, items …}"""


@click.group("audit")
def command():
    """访问日志：谁在何时从哪里登录、检索、查看、下载、打包了什么（防篡改）。

    \b
    fupin audit list --user 督查组1 --since 2020-06-08
    fupin audit sheet 督查组1 -o 查阅登记.pdf
    fupin audit verify
    """


@command.command("list")
@click.option("--user", "-u", help="只看此用户")
@click.option("--since", "-s", help="起始时间：日期 2020-06-08、时间 2020-06-08T09:00 或 3d（最近 3 天）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（键见下）")
@click.pass_context
@handle_errors
def list_(ctx, user, since, as_json):
    """列出访问记录（时间为本机时区）。"""
    from ..audit import AccessLog, audit_json
    from ..audit.log import ACCESS_ACTIONS, describe, local_time
    records = AccessLog(workspace_from(ctx)).records(user=user, since=since)
    if as_json:
        print_json(audit_json(records))
        return
    for record in records:
        detail = record.get("detail") or {}
        click.echo(shown(f"#{record['seq']} {local_time(record['at'])} {record['who']} {detail.get('address') or ''} "
                         f"{ACCESS_ACTIONS.get(record['action'], record['action'])} {describe(record)}".rstrip()))
    click.echo(f"共 {len(records)} 条")


list_.help = (list_.help or "") + "\n\n" + AUDIT_JSON_HELP


@command.command("verify")
@click.pass_context
@handle_errors
def verify(ctx):
    """核验访问日志的哈希链（发现改动时退出码为 3）。"""
    from ..audit import AccessLog
    problems = AccessLog(workspace_from(ctx)).verify()
    for problem in problems:
        click.echo(f"问题：{problem}")
    if problems:
        raise IntegrityError(f"访问日志核验发现 {len(problems)} 处问题（见上），请从备份恢复")
    click.echo("访问日志哈希链完整。")


@command.command("sheet")
@click.argument("name")
@click.option("--since", "-s", help="起始时间（默认为该账号的全部记录）")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="查阅登记 PDF 的保存位置")
@click.pass_context
@handle_errors
def sheet(ctx, name, since, output):
    """打印一个账号（如督查组）的查阅登记 PDF：谁在何时查阅了什么。"""
    from ..accounts import Accounts
    from ..atomic import atomic_write_bytes
    from ..audit import AccessLog, render_visit_sheet
    ws = workspace_from(ctx)
    user = Accounts(ws).get(name)
    if user is None:
        raise UserError(f"没有用户“{name}”。可用 fupin user list 查看")
    records = AccessLog(ws).records(user=user.name, since=since)
    atomic_write_bytes(Path(output), render_visit_sheet(ws.config.office.name, user, records))
    click.echo(shown(f"已生成查阅登记：{output}（{len(records)} 条记录）"))
    if not records:
        click.echo("注意：该账号没有访问记录", err=True)
