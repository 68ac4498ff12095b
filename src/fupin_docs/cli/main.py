"""Entry point of `fupin`; each command lives in its own module in this package,
imported only when that command runs."""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from .. import __version__
from . import chinese

chinese.install()  # before any command is built: help and usage errors in Chinese

# Every command, in the order `fupin --help` lists them: name → (module in this
# package that defines `command`, its short help). The short help is the first
# paragraph of the command's docstring, copied here so `fupin --help` imports no
# command module; tests/test_startup.py checks it against the real commands.
COMMANDS = {
    "init": ("init", "新建工作目录：fupin.toml、inputs/（空）、templates/、archive/、indexes/。"),
    "new": ("new", "生成带说明的公文填写模板（标“必填”的项必须填写，“【示例】”文字要换成实际内容）。"),
    "validate": ("validate", "检查公文填写文件。全部正确时退出码为 0；有问题时逐条输出“文件:行:列: 说明”，退出码为 1。"),
    "render": ("render", "把公文填写文件生成为 GB/T 9704 格式的 Word / PDF / OFD 公文。"),
    "fonts": ("fonts", "查看各字体角色（小标宋、仿宋、黑体、楷体、宋体）实际使用的字体，缺少哪些标准字体、由什么代替。"),
    "archive": ("archive", "档案：归档文件，查看、修改元数据、核验（四性检测）与撤回。"),
    "index": ("index", "检索索引：由档案派生，可随时重建；删除 indexes 文件夹不会丢失任何档案。"),
    "search": ("search", "在档案中查找文件，简体、繁体均可（脫貧攻堅 与 脱贫攻坚 等同）。"),
    "pack": ("pack", "佐证材料包：把选中的档案材料打成一个能自证齐全、未被改动的 zip 包，供督查组查验。"),
    "ledger": ("ledger", "问题台账：排查表导入、整改跟踪、销号、逾期提醒与汇总。"),
    "serve": ("serve", "启动网页服务：同事和督查组用浏览器检索、查看、下载档案和生成材料包。"),
    "user": ("user", "用户：fupin serve 的账号（管理员、办事员、督查组）。"),
    "audit": ("audit", "访问日志：谁在何时从哪里登录、检索、查看、下载、打包了什么（防篡改）。"),
    "db": ("db", "县级数据库（PostgreSQL）：建表、升级与查看数据存放位置。"),
}
COMMAND_MODULES = tuple(module for module, _help in COMMANDS.values())

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def load_command(name: str) -> click.Command:
    """Import the module of command NAME and return its click command."""
    module, _help = COMMANDS[name]
    return importlib.import_module(f"{__package__}.{module}").command


class LazyGroup(click.Group):
    """Lists the commands from COMMANDS and imports a command's module only when
    that command is run (or its own --help is asked): `fupin --help` and every
    single command start without loading the others' libraries."""

    def list_commands(self, ctx):
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx, cmd_name):
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = self.commands[cmd_name] = load_command(cmd_name)
        return command

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as err:
            # click suggests “Did you mean …” from the loaded commands only.
            name = getattr(err, "command_name", None)
            if name is None or getattr(err, "possibilities", None):
                raise
            raise type(err)(name, possibilities=self.list_commands(ctx), ctx=ctx) from None

    def format_commands(self, ctx, formatter):
        """The command list, from COMMANDS' help texts; shortened exactly as click
        shortens a command's own help."""
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS and name not in self.commands:
                rows.append((name, click.Command(name, help=COMMANDS[name][1])))
            elif not self.commands[name].hidden:
                rows.append((name, self.commands[name]))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _cmd in rows)
            with formatter.section(getattr(click.core, "_", str)("Commands")):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.option("--workspace", "workspace", type=click.Path(file_okay=False),
              envvar="FUPIN_WORKSPACE", help="工作目录（默认为当前目录，也可用环境变量 FUPIN_WORKSPACE 指定）")
@click.version_option(__version__, "-V", "--version", message="fupin %(version)s", help="显示版本号并退出。")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """扶贫公文工具：起草 GB/T 9704 格式公文，归档、检索，生成佐证材料包。

    \b
    常用流程：
      fupin init 工作目录          新建工作目录
      fupin new plan -o 方案.yaml  生成填写模板
      fupin validate 方案.yaml     检查填写内容
      fupin render 方案.yaml -f docx,pdf --archive
      fupin search 危房改造        督查组来时快速查找
    """
    ctx.obj = {"workspace": workspace}


def main() -> None:
    # Libraries' own warnings (pypdf's "EOF marker not found" …) are English
    # developer talk: a clerk sees our Chinese message about the file instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        cli(prog_name="fupin")
    except BrokenPipeError:
        # `fupin archive list | head`: the reader has what it wanted; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
