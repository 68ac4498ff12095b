"""Entry point of `fupin`; each command lives in its own module in this package."""

from __future__ import annotations

import importlib

import click

from .. import __version__
from . import chinese

chinese.install()  # before any command is built: help and usage errors in Chinese

# Command modules, in the order `fupin --help` lists them. Each defines `command`.
COMMAND_MODULES = ("init", "new", "validate", "render", "fonts", "archive", "index",
                   "search", "pack", "ledger")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class OrderedGroup(click.Group):
    def list_commands(self, ctx):
        return list(self.commands)


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
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


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"{__package__}.{_name}")
    except ModuleNotFoundError as _err:
        if _err.name != f"{__package__}.{_name}":
            raise
        continue
    cli.add_command(_module.command)


def main() -> None:
    cli(prog_name="fupin")


if __name__ == "__main__":
    main()
