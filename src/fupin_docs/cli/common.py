"""What every command shares: workspace option, exit codes, JSON and errors."""

from __future__ import annotations

import functools
import json
import sys

import click

from ..inputs.problems import InputError
from ..workspace.config import Workspace, open_workspace

# Exit codes (DESIGN.md): 0 ok, 1 the user's input is wrong, 2 usage, 3 integrity.
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTEGRITY = 0, 1, 2, 3


class UserError(Exception):
    """A problem the user can fix; the message is Simplified Chinese."""

    exit_code = EXIT_INPUT


class IntegrityError(Exception):
    """Damage found by a verify command."""

    exit_code = EXIT_INTEGRITY


def workspace_from(ctx: click.Context) -> Workspace:
    obj = ctx.find_root().obj or {}
    return open_workspace(obj.get("workspace"))


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
            sys.exit(EXIT_INPUT)
        except (UserError, IntegrityError) as err:
            click.echo(f"错误：{err}", err=True)
            sys.exit(err.exit_code)

    return wrapper
