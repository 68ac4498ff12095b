"""What every command shares: workspace option, JSON, and the one place where
library errors become messages and exit codes."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from ..errors import FupinError, IntegrityError, UserError, describe_os_error
from ..inputs.problems import InputError
from ..workspace.config import CONFIG_NAME, Workspace, find_root, is_workspace, open_workspace

# Exit codes (docs/DESIGN.md): 0 ok, 1 the user's input is wrong, 2 usage, 3 integrity.
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTEGRITY = 0, 1, 2, 3

__all__ = ["EXIT_INPUT", "EXIT_INTEGRITY", "EXIT_USAGE", "IntegrityError", "UserError",
           "exit_code_for", "handle_errors", "print_json", "workspace_from", "report_error"]

# The flag a library error's `field` stands for on the command line.
FIELD_FLAGS = {
    "date": "--date",
    "reason": "--reason",
    "deadline": "--deadline",
    "evidence": "--evidence",
    "date_from": "--from",
    "date_to": "--to",
    "limit": "--limit",
    "template": "--template",
    "status": "--status",
    "stage": "--stage",
    "year": "--year",
    "changes": "--title、--date、--unit 等",
    "selection": "检索词、--id 档号 或 --problem 问题编号",
    "ledger_changes": "--measures、--unit、--person、--deadline、--status",
    "unit": "--unit",
    "measures": "--measures",
    "person": "--person",
    "source": "--source",
    "who": "--who",
    "renditions": "--rendition",
    "county": "--county",
}

# What a library error's `hint` key means here: the command that acts on it.
HINTS = {
    "archive.list": "可用 fupin archive list 或 fupin search 查到正确的档号",
    "archive.add": "可用 fupin archive add 文件 归档",
    "archive.verify": "可用 fupin archive verify 检查档案",
    "archive.digest": "可运行 fupin archive digest 为已归档文件补记 SM3 摘要",
    "archive.check": "可用 fupin archive verify 查看每处损坏的详细说明，受损或丢失的文件请从备份恢复；"
                     "缺少长期保存格式的文件可用 fupin render --pdfa 重新生成 PDF/A 后归档",
    "archive.edit": "可用 fupin archive edit 档号 --date 2020-03-15 --reason 原因 更正",
    "archive.refile": "可先 fupin archive withdraw 档号 --reason \"日期登记错误\"，再用 fupin archive show 档号 "
                      "找到存放位置，以 fupin archive add 该文件 --date 正确日期 重新归档",
    "index.rebuild": "可运行 fupin index rebuild 重建检索索引；若仍失败，可删除 indexes 文件夹后再运行",
    "ledger.list": "可用 fupin ledger list 查看已有的问题编号",
    "ledger.import": "可用 fupin ledger import-check 或 fupin ledger import 导入问题",
    "ledger.close": "销号请用 fupin ledger close 问题编号 --evidence 档号",
    "ledger.reopen": "如需重新整改，可用 fupin ledger set 问题编号 --status 整改中 撤销销号",
    "pack.skip_missing": "可用 fupin archive verify 检查档案；如仍要打包其余材料，可加 --skip-missing（目录中将注明缺失）",
    "search.example": "例如：fupin search 危房改造",
    "search.county": "去掉 --county 即检索本单位的档案",
    "user.county": "确属县里统一办理的，加 --county 再运行",
    "pack.no_archive": "如材料包来自其他单位或其他工作目录的档案，可加 --no-archive 只核对材料包本身",
    "init": "新建工作目录请运行 fupin init",
    "db.upgrade": "请管理员运行 fupin db upgrade 建立或升级数据库中的表",
}


def exit_code_for(err: BaseException) -> int:
    """The CLI contract's exit code for a library error (the only such table)."""
    if isinstance(err, IntegrityError):
        return EXIT_INTEGRITY
    return EXIT_INPUT


def message_for(err: BaseException) -> str:
    """The error's message with this client's way to act on it."""
    if isinstance(err, OSError):
        return describe_os_error(err)
    text = str(err)
    field, hint = getattr(err, "field", None), getattr(err, "hint", None)
    if field in FIELD_FLAGS and FIELD_FLAGS[field] not in text:
        text += f"（命令行：{FIELD_FLAGS[field]}）"
    if hint in HINTS:
        text += f"。{HINTS[hint]}"
    return text


def report_error(err: BaseException) -> int:
    """Print ERR for a person on stderr; return its exit code."""
    if isinstance(err, InputError):
        for problem in err.problems:
            click.echo(str(problem), err=True)
        click.echo(f"共 {len(err.problems)} 处问题，请按提示修改后重试。{getattr(err, 'note', '')}", err=True)
        return EXIT_INPUT
    click.echo(f"错误：{message_for(err)}", err=True)
    return exit_code_for(err)


def workspace_from(ctx: click.Context, required: bool = True) -> Workspace:
    """The workspace the command works in.

    A command that reads or writes the archive, index or ledger refuses to run
    outside a workspace: silently starting a new, empty archive in the wrong
    folder would tell an inspection team that nothing exists.
    """
    obj = ctx.find_root().obj or {}
    # --workspace, else FUPIN_WORKSPACE (click reads both), else the folder holding
    # fupin.toml at or above the current directory
    workspace = open_workspace(obj.get("workspace") or find_root(Path.cwd()))
    if required and not is_workspace(workspace):
        raise UserError(
            f"{workspace.root} 不是工作目录（找不到 {CONFIG_NAME}）。请先进入工作目录，"
            f"或用 --workspace 指定工作目录；新建请运行 fupin init"
        )
    return workspace


def print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class StageBars:
    """A progress callback (stage, done, total) that draws one Chinese click bar per
    stage on stderr: the library reports progress, the CLI decides how it looks."""

    def __init__(self):
        self._stage, self._bar, self._shown = None, None, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage, self._shown = stage, 0
            self._bar = click.progressbar(length=total, label=stage, file=sys.stderr, show_pos=True)
        self._bar.update(done - self._shown)
        self._shown = done
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.render_finish()
        self._stage, self._bar = None, None


def handle_errors(func):
    """Turn library errors (and failed reads/writes) into a message and the contract's exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader stopped reading (`| head`): main() ends quietly
        except (FupinError, OSError) as err:
            sys.exit(report_error(err))

    return wrapper
