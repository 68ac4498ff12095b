"""`fupin serve`: the archive in the browser for clerks and inspectors."""

from __future__ import annotations

import os

import socket

import click

from .common import UserError, handle_errors, workspace_from


def _lan_addresses() -> list[str]:
    """This machine's own IPv4 addresses, as its name resolves (nothing is sent)."""
    found = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = info[4][0]
            if not address.startswith("127.") and address not in found:
                found.append(address)
    except OSError:
        pass
    return found


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址；让同一局域网的同事访问请写 0.0.0.0")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8000, show_default=True, help="端口")
# Searching is CPU work under Python's global lock: threads beyond the cores only
# queue inside the process (measured at 10,000 documents, 20 sessions, 2 cores:
# server p95 83 ms with 2 threads, 161 ms with 4, 254 ms with 8; bench/serve_load).
@click.option("--threads", type=click.IntRange(1, 64), default=max(2, os.cpu_count() or 2), show_default="CPU 核数",
              help="同时处理的请求数（默认为 CPU 核数；更多线程只会在程序内排队）")
@click.pass_context
@handle_errors
def command(ctx, host, port, threads):
    """启动网页服务：同事和督查组用浏览器检索、查看、下载档案和生成材料包。

    \b
    第一次使用先添加管理员和账号：
      fupin user add 张三 --role admin
      fupin user add 督查组1 --role inspector --expires 3d
    然后：
      fupin serve                    只有本机可以访问 http://127.0.0.1:8000
      fupin serve --host 0.0.0.0     局域网内的电脑都可以访问（请告知同事显示的网址）
    按 Ctrl+C 停止。
    """
    from ..accounts import Accounts
    from ..server import create_app

    ws = workspace_from(ctx)
    accounts = Accounts(ws)
    if not accounts.has_admin():
        raise UserError("还没有可用的管理员账号，网页服务不能启动。请先运行 "
                        "fupin user add 用户名 --role admin 添加管理员")
    app = create_app(ws, accounts=accounts)
    import waitress  # production WSGI server; also runs on Windows

    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="fupin")
    real_port = server.effective_port
    click.echo(f"档案网页服务已启动（工作目录 {ws.root}）。按 Ctrl+C 停止。")
    if host in ("0.0.0.0", "::", ""):
        addresses = _lan_addresses()
        for address in addresses:
            click.echo(f"请同事在浏览器中打开：http://{address}:{real_port}/")
        if not addresses:
            click.echo(f"请同事在浏览器中打开：http://本机的局域网地址:{real_port}/")
        click.echo(f"本机：http://127.0.0.1:{real_port}/")
    else:
        click.echo(f"在浏览器中打开：http://{host}:{real_port}/", )
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("已停止。")
    finally:
        server.close()
