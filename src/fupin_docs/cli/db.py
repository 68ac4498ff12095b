"""`fupin db upgrade` and `fupin db status`: the county database's tables."""

from __future__ import annotations

import click

from .common import handle_errors, print_json, workspace_from

# Each stage that keeps data in the county database: its tables' setup.
COMPONENTS = {
    "catalog": "fupin_docs.archive.pg_catalog",  # 档案目录：哈希链记录
    "search": "fupin_docs.search.pg_backend",  # 检索索引：字的二元组
}


def _setups():
    import importlib
    return {name: importlib.import_module(module) for name, module in COMPONENTS.items()}


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
    from ..workspace.database import shown_url
    for name, module in _setups().items():
        version = module.setup(url, progress=lambda step: click.echo(f"  升级 {step}", err=True))
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
        data["versions"] = versions(url)
        data["needed"] = {name: max(m.version for m in module.MIGRATIONS) for name, module in _setups().items()}
    if as_json:
        print_json(data)
        return
    click.echo(f"工作目录：{data['workspace']}")
    click.echo(f"档案文件：{data['files']}")
    if not url:
        click.echo("档案目录与检索索引：保存在工作目录内（未设置县级数据库）")
        return
    click.echo(f"县级数据库：{data['database']}（档案目录：{data['catalog']}）")
    for name, needed in data["needed"].items():
        have = data["versions"].get(name, 0)
        state = "已就绪" if have >= needed else "需要升级（fupin db upgrade）"
        click.echo(f"  {name}：结构版本 {have}/{needed}，{state}")
