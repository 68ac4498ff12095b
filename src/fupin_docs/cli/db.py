"""`fupin db upgrade` and `fupin db status`: the county database's tables."""

from __future__ import annotations

import click

from ..errors import UserError
from .common import EXIT_INPUT, handle_errors, print_json, workspace_from


@click.group("db")
def command():
    """县级数据库（PostgreSQL）：建表、升级与查看数据存放位置。"""


@command.command("upgrade")
@click.pass_context
@handle_errors
def upgrade(ctx):
    """在 fupin.toml 的 [database] url 指定的数据库中建立或升级各表（可重复运行）。"""
    workspace = workspace_from(ctx)
    url = workspace.config.database.url
    if not url:
        raise click.UsageError("本工作目录没有设置县级数据库：请在 fupin.toml 中写 [database] url = \"postgresql://…\"，"
                               "或设置环境变量 FUPIN_DATABASE_URL")
    from ..county import upgrade_database
    from ..workspace.database import shown_url
    for name, version in upgrade_database(url, progress=lambda step: click.echo(f"  升级 {step}", err=True)).items():
        click.echo(f"{name}：结构版本 {version}")
    click.echo(f"县级数据库已就绪：{shown_url(url)}")


@command.command("status")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
@handle_errors
def status(ctx, as_json):
    """数据存放在哪里：工作目录内（默认），或县级数据库，以及各表的结构版本。"""
    workspace = workspace_from(ctx)
    url = workspace.config.database.url
    data = {"workspace": str(workspace.root), "catalog": workspace.config.archive.catalog,
            "files": str(workspace.archive_dir), "database": None, "versions": {}, "needed": {}}
    if url:
        from ..workspace.database import shown_url, versions
        data["database"] = shown_url(url)
        try:
            data["versions"] = versions(url)
        except UserError as err:  # down or unreachable: say where the data lives all the same
            data["unreachable"] = str(err)
        from ..county import database_components
        data["needed"] = {name: max(m.version for m in module.MIGRATIONS)
                          for name, module in database_components().items()}
    if as_json:
        print_json(data)
        if data.get("unreachable"):
            raise SystemExit(EXIT_INPUT)
        return
    click.echo(f"工作目录：{data['workspace']}")
    click.echo(f"档案文件：{data['files']}")
    if not url:
        click.echo("档案目录与检索索引：保存在工作目录内（未设置县级数据库）")
        return
    click.echo(f"县级数据库：{data['database']}（档案目录：{data['catalog']}）")
    if data.get("unreachable"):
        click.echo(f"  现在连不上：{data['unreachable']}")
        raise SystemExit(EXIT_INPUT)
    for name, needed in data["needed"].items():
        have = data["versions"].get(name, 0)
        state = "已就绪" if have >= needed else "需要升级（fupin db upgrade）"
        click.echo(f"  {name}：结构版本 {have}/{needed}，{state}")


@command.command("import")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.pass_context
@handle_errors
def import_(ctx, source):
    """把乡镇原有的工作目录 SOURCE（档案、问题台账、访问日志）迁入县级数据库。档号、日期、文件和记录链均不改变；中途停下的迁入可再运行一次完成。"""
    from ..county import import_workspace
    _move(import_workspace, source, workspace_from(ctx), headline="已迁入县级数据库")


@command.command("export")
@click.argument("target", type=click.Path(file_okay=False))
@click.pass_context
@handle_errors
def export(ctx, target):
    """把本乡镇的档案从县级数据库导出为一个独立的工作目录 TARGET（不再依赖数据库）。"""
    from ..county import export_workspace
    _move(export_workspace, workspace_from(ctx), target, headline=f"已导出到 {target}")


def _move(move, source, target, *, headline: str) -> None:
    """Run MOVE(SOURCE, TARGET) with progress bars, then say what moved and what verify found."""
    from .common import EXIT_INTEGRITY, StageBars
    bars = StageBars()
    try:
        done = move(source, target, progress=bars)
    finally:
        bars.close()
    click.echo(f"{headline}：{done.moved.items} 件档案、{done.moved.records} 条记录，复制文件 {done.moved.files} 个，"
               f"访问日志 {done.access_records} 条，问题台账 {done.problems} 个问题，其他台账文件 {done.carried} 个")
    report = done.verify_report
    if report.ok:
        click.echo("核验通过：记录链完整，文件与记录一致，检索索引与档案一致")
        return
    for problem in report.problems:
        click.echo(f"核验发现问题：{problem}", err=True)
    raise SystemExit(EXIT_INTEGRITY)
