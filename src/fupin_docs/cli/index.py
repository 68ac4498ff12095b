"""`fupin index rebuild`."""

from __future__ import annotations

import time

import click

from .common import handle_errors, workspace_from


@click.group("index")
def command():
    """检索索引：由档案派生，可随时重建；删除 indexes 文件夹不会丢失任何档案。"""


@command.command("rebuild")
@click.option("--procs", type=click.IntRange(1, 16), default=None, help="并行进程数（默认按文件数量和 CPU 核数自动选择）")
@click.pass_context
@handle_errors
def rebuild(ctx, procs):
    """从档案重建检索索引（索引丢失、损坏或与档案不一致时使用）。"""
    from ..search import rebuild_index
    start = time.perf_counter()
    count = rebuild_index(workspace_from(ctx), workers=procs)
    click.echo(f"已重建检索索引：{count} 件，用时 {time.perf_counter() - start:.1f} 秒")
