"""What every command shares: workspace option, exit codes, JSON and errors."""

from __future__ import annotations

import functools
import json
import sys

import click

from ..inputs.problems import InputError
from ..workspace.config import CONFIG_NAME, Workspace, is_workspace, open_workspace

from ..errors import EXIT_INPUT, EXIT_INTEGRITY, EXIT_USAGE, IntegrityError, UserError

# Re-exported for the command modules: they import everything CLI-side from here.
__all__ = ["EXIT_INPUT", "EXIT_INTEGRITY", "EXIT_USAGE", "IntegrityError", "UserError",
           "handle_errors", "print_json", "workspace_from"]


def workspace_from(ctx: click.Context, required: bool = True) -> Workspace:
    """The workspace the command works in.

    A command that reads or writes the archive, index or ledger refuses to run
    outside a workspace: silently starting a new, empty archive in the wrong
    folder would tell an inspection team that nothing exists.
    """
    obj = ctx.find_root().obj or {}
    workspace = open_workspace(obj.get("workspace"))
    if required and not is_workspace(workspace):
        raise UserError(
            f"{workspace.root} 不是工作目录（找不到 {CONFIG_NAME}）。请先进入工作目录，"
            f"或用 --workspace 指定工作目录；新建请运行 fupin init"
        )
    return workspace


def print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def handle_errors(func):
    """Turn library errors into a located message and the contract's exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as err:
            for problem in err.problems:
                click.echo(str(problem), err=True)
            click.echo(f"共 {len(err.problems)} 处问题，请按提示修改后重试。{getattr(err, 'note', '')}", err=True)
            sys.exit(EXIT_INPUT)
        except (UserError, IntegrityError) as err:
            click.echo(f"错误：{err}", err=True)
            sys.exit(err.exit_code)

    return wrapper
