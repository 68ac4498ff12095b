"""`fupin user add|list|disable|passwd`: accounts of `fupin serve`."""

from __future__ import annotations

import sys

import click

from ..text_safety import shown
from .common import handle_errors, print_json, workspace_from

USERS_JSON_HELP = """\b
--json 输出列表，每项键：name 用户名, role 角色(admin/clerk/inspector), role_label,
  created_at 创建时间, expires_at 到期时间（无期限为 null）, disabled 是否停用,
  expired 是否已到期, last_login 最近登录时间（未登录过为 null）
时间为带时区的 ISO 8601"""


def _accounts(ctx):
    from ..accounts import Accounts
    return Accounts(workspace_from(ctx))


def _password(stdin: bool, name: str) -> str:
    if stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt(f"请输入 {name} 的密码（至少 8 位，含字母和数字）", hide_input=True,
                        confirmation_prompt="请再输入一次", err=True)


@click.group("user")
def command():
    """用户：fupin serve 的账号（管理员、办事员、督查组）。

    \b
    fupin user add 张三 --role admin                 管理员：用户与设置
    fupin user add 李四 --role clerk                 办事员：档案与台账
    fupin user add 督查组1 --role inspector --expires 3d   督查组：只读，到期自动失效
    fupin user list
    fupin user disable 督查组1
    fupin user passwd 张三
    """


@command.command("add")
@click.argument("name")
@click.option("--role", "-r", required=True, type=click.Choice(["admin", "clerk", "inspector"]),
              help="角色：admin 管理员 / clerk 办事员 / inspector 督查组（只读）")
@click.option("--expires", "-e", help="有效期：3d（3 天）、12h（12 小时）或到期日期 2020-06-30；督查组账号必须给出")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行），供脚本使用")
@click.option("--county", "county_wide", is_flag=True,
              help="全县账号：使用县级数据库时，各乡镇的服务器都认可（如县督查组）；默认只属于本乡镇")
@click.pass_context
@handle_errors
def add(ctx, name, role, expires, password_stdin, county_wide):
    """添加用户。密码至少 8 位，须同时包含字母和数字。"""
    from ..accounts import check_password_rules
    accounts = _accounts(ctx)
    password = _password(password_stdin, name)
    check_password_rules(password, name)
    user = accounts.add_user(name, role, password, expires=expires, county_wide=county_wide)
    until = f"，有效期至 {user.to_json()['expires_at'][:16].replace('T', ' ')}" if user.expires_at else ""
    click.echo(shown(f"已添加用户 {user.name}（{user.role_label}）{until}"))


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（键见下）")
@click.pass_context
@handle_errors
def list_(ctx, as_json):
    """列出用户。"""
    from ..accounts import users_json
    users = _accounts(ctx).users()
    if as_json:
        print_json(users_json(users))
        return
    if not users:
        click.echo("还没有用户。用 fupin user add 用户名 --role admin 添加管理员。")
        return
    for user in users:
        data = user.to_json()
        state = "已停用" if user.disabled else ("已到期" if data["expired"] else "可用")
        until = f"  到期 {data['expires_at'][:16].replace('T', ' ')}" if data["expires_at"] else ""
        county = "（全县账号）" if user.county_wide else ""
        click.echo(shown(f"{user.name}\t{user.role_label}{county}\t{state}{until}"))
    click.echo(f"共 {len(users)} 个用户")


list_.help = (list_.help or "") + "\n\n" + USERS_JSON_HELP


COUNTY_CHANGE = click.option("--county", "county_wide", is_flag=True,
                             help="所改的是全县账号（各乡镇共用，如县督查组）：须注明，以免误改")


@command.command("disable")
@click.argument("name")
@COUNTY_CHANGE
@click.pass_context
@handle_errors
def disable(ctx, name, county_wide):
    """停用用户：不能再登录，已登录的会话立即结束（重设密码即重新启用）。"""
    user = _accounts(ctx).disable(name, county_wide=county_wide)
    click.echo(shown(f"已停用用户 {user.name}，其会话已全部结束"))


@command.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取新密码（一行），供脚本使用")
@COUNTY_CHANGE
@click.pass_context
@handle_errors
def passwd(ctx, name, password_stdin, county_wide):
    """修改用户的密码（也重新启用已停用的用户）；该用户的会话全部结束。"""
    accounts = _accounts(ctx)
    user = accounts.require_changeable(name, county_wide)  # refused before the password is asked for
    user = accounts.set_password(user.name, _password(password_stdin, user.name), county_wide=county_wide)
    click.echo(shown(f"已修改 {user.name} 的密码"))
