"""Load benchmark of `fupin serve` (issue 11), on loopback only.

    .venv/bin/python -m bench.serve_load [--docs 10000] [--sessions 20] [--seconds 60]

The archive of DOCS documents is built once through the library and cached in
bench/results/startup-archive-DOCS (shared with bench/startup.py); each run
works on a copy in a temporary folder. `fupin serve` (waitress, one thread per core unless --threads)
runs in a child process on a free 127.0.0.1 port. SESSIONS client threads
each log in through the login form as a browser does, then search without
pause for SECONDS: the search page (hits, facets, snippets) and /api/search in
turn, over a fixed list of queries, some with a 文种 or date filter.

Two phases, the same length, each timed from the moment every session has
logged in (20 password checks at once are no search) and the clerk is ready:
  search          only the searching sessions
  search+filing   the same, while a clerk files a document every 0.5 s
                  (a child process calling fupin_docs.filing.file_document,
                  as `fupin archive add` does: archive, then index; started
                  and its word list loaded before the phase)
Reported per phase: requests, errors (anything but 200), requests/s, server
time (the Server-Timing header: Flask's own time for the request) p50/p95,
and the round trip seen by the client p50/p95 (on 2 shared cores the client
threads compete with the server, so this is an upper bound).
Afterwards: `archive verify` (the /api/verify twin) must pass and every
document the clerk filed must be in the archive and found by search.
Goal: server p95 ≤ 100 ms in both phases, 0 errors, nothing lost. A missed
goal prints "NOT met" and exits 0; only a failure to run exits non-zero.

    .venv/bin/python -m bench.serve_load --compare HEAD~3 [--rounds 2]

measures an earlier version beside this one in the same run, under the same
machine load: the source of REV (git archive of src/) serves and files on a
copy of its own; the two take turns, ROUNDS times each phase (who goes first
alternates), and each row sums its version's turns. Nothing lost is checked
for both.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.stats import percentile
from urllib.parse import quote, urlencode

HOST = "127.0.0.1"  # loopback only: this benchmark never targets another address
QUERIES = ["危房", "整改", "销号", "饮水安全", "脱贫攻坚", "督查", "两不愁三保障", '"问题清零"', "整改 OR 销号",
           "脫貧攻堅", "产业扶贫 就业", "防止返贫", "易地扶贫搬迁", "考核", "责任落实", "兜底保障"]
FILTERS = [{}, {}, {"kind": "minutes"}, {"from": "2019-01-01", "to": "2019-12-31"}, {"kind": "notice"}]
PASSWORD = "Bench2020load"
GOAL_P95_MS = 100.0



def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Session:
    """One browser-like session: a cookie jar and a keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, quote(path, safe="/?=&%:+"), body, headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response, data

    def login(self, name: str) -> None:
        _resp, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        response, _ = self.request("POST", "/login", {"username": name, "password": PASSWORD, "csrf_token": token})
        if response.status != 302:
            raise RuntimeError(f"{name} 登录失败（HTTP {response.status}）")


def server_ms(response) -> float | None:
    timing = response.headers.get("Server-Timing") or ""
    match = re.search(r"dur=([\d.]+)", timing)
    return float(match.group(1)) if match else None


def searcher(port: int, name: str, start, seed: int, out: dict, lock: threading.Lock) -> None:
    """Log in, wait at START (a Barrier) for every session and the clerk, then search
    until the deadline its action set (out["deadline"])."""
    rng = random.Random(seed)
    session = Session(port)
    server, client, errors, api_server, page_server = [], [], [], [], []
    try:
        session.login(name)
    except Exception as err:
        with lock:
            out["errors"].append(f"{name}: {err}")
        start.wait()
        return
    start.wait()
    deadline = out["deadline"]
    turn = 0
    while time.monotonic() < deadline:
        query = rng.choice(QUERIES)
        params = {"q": query, **rng.choice(FILTERS)}
        path = ("/search?" if turn % 2 == 0 else "/api/search?") + urlencode(params)
        turn += 1
        started = time.perf_counter()
        try:
            response, _data = session.request("GET", path)
        except Exception as err:  # counted, not raised: the run goes on
            errors.append(f"{path}: {type(err).__name__}")
            continue
        client.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            said = re.search(rb'role="alert">([^<]{0,300})', _data) or re.search(rb'"error": ?"([^"]{0,300})', _data)
            errors.append(f"{path}: HTTP {response.status} {said.group(1).decode('utf-8', 'replace') if said else ''}")
            continue
        measured = server_ms(response)
        if measured is not None:
            server.append(measured)
            if path.startswith("/api/"):
                api_server.append(measured)
            else:
                page_server.append(measured)
    with lock:
        out["api_server"].extend(api_server)
        out["page_server"].extend(page_server)
        out["server"].extend(server)
        out["client"].extend(client)
        out["errors"].extend(errors)


CLERK = r"""
import sys, time
from pathlib import Path
from fupin_docs.workspace import open_workspace
from fupin_docs.filing import file_document
from fupin_docs.search.normalize import init_jieba
ws = open_workspace(sys.argv[1]); out = Path(sys.argv[3])
init_jieba()  # a clerk's program that is already running: its start is not what is measured
print("ready", flush=True)
sys.stdin.readline()  # the sessions are logged in: go
deadline = time.monotonic() + float(sys.argv[2])
number = 0
while time.monotonic() < deadline:
    number += 1
    path = out.parent / f"clerk-{number:04d}.txt"
    path.write_text(f"压测归档第{number}号（{sys.argv[4]}）：三星村饮水安全入户核查记录，编号BENCHFILED{number:04d}。",
                    encoding="utf-8")  # new bytes in every phase: a file filed twice is the same item
    filed = file_document(ws, path, kind="other", unit="三星村", date="2020-06-05", title=f"压测归档材料第{number}号",
                          who="办事员")
    with open(out, "a", encoding="utf-8") as handle:
        handle.write(f"{filed.item.archive_no}\t{filed.index_error or ''}\n")
    path.unlink()
    time.sleep(0.5)
"""


def _env(source: Path | None) -> dict | None:
    """The environment of a child running the code in SOURCE (a src/ folder); None: this checkout's."""
    if source is None:
        return None
    return {**os.environ, "PYTHONPATH": str(source)}


def run_phase(port: int, sessions: int, seconds: float, clerk: tuple | None, source: Path | None = None) -> dict:
    out = {"server": [], "client": [], "errors": [], "api_server": [], "page_server": []}
    lock = threading.Lock()
    clerk_process = None
    if clerk is not None:
        workspace, filed_list = clerk
        clerk_process = subprocess.Popen([sys.executable, "-c", CLERK, str(workspace), str(seconds), str(filed_list),
                                          str(time.time_ns())],
                                         env=_env(source), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if clerk_process.stdout.readline().strip() != "ready":
            raise RuntimeError("归档进程未能启动")

    def go():
        # every session has logged in (20 argon2 checks at once are not searches)
        # and the clerk is ready: the phase starts now
        out["deadline"] = time.monotonic() + seconds
        out["started"] = time.monotonic()
        if clerk_process is not None:
            clerk_process.stdin.write("go\n")
            clerk_process.stdin.flush()

    start = threading.Barrier(sessions, action=go)
    threads = [threading.Thread(target=searcher, args=(port, f"督查{n:02d}", start, n, out, lock))
               for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["elapsed"] = time.monotonic() - out.get("started", time.monotonic())
    if clerk_process is not None:
        clerk_process.stdin.close()
        out["clerk_exit"] = clerk_process.wait(timeout=seconds + 120)
    return out


def prepare(docs: int, rebuild: bool, sessions: int) -> Path:
    from bench.startup import archive_workspace  # the cached archive of DOCS documents

    cached = archive_workspace(docs, rebuild and not getattr(prepare, "built", False))
    prepare.built = True
    run_dir = Path(tempfile.mkdtemp(prefix="fupin-serve-load-"))
    workspace = run_dir / "ws"
    shutil.copytree(cached, workspace, symlinks=True)
    from fupin_docs.accounts import Accounts
    from fupin_docs.workspace import open_workspace
    accounts = Accounts(open_workspace(workspace))
    accounts.add_user("管理员", "admin", PASSWORD)
    for n in range(sessions):
        accounts.add_user(f"督查{n:02d}", "inspector", PASSWORD, expires="1d")
    return workspace


def start_server(workspace: Path, port: int, threads: int | None = None, source: Path | None = None) -> subprocess.Popen:
    extra = ["--threads", str(threads)] if threads else []
    # The server's messages go to a file: a pipe nobody reads fills up with waitress's
    # "task queue depth" warnings under this load, and the server then hangs writing one.
    log_path = workspace.parent / f"serve-{port}.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen([sys.executable, "-m", "fupin_docs.cli.main", "--workspace", str(workspace), "serve",
                                    "--host", HOST, "--port", str(port), *extra], stdout=subprocess.DEVNULL,
                                   stderr=log, text=True, env=_env(source))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"fupin serve 未能启动：{log_path.read_text(encoding='utf-8', errors='replace')}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("fupin serve 120 秒内未启动")


def merged(phases: list) -> dict:
    out = {"server": [], "client": [], "errors": [], "api_server": [], "page_server": [], "elapsed": 0.0}
    for phase in phases:
        for key in ("server", "client", "errors", "api_server", "page_server"):
            out[key].extend(phase[key])
        out["elapsed"] += phase["elapsed"]
    return out


def report(name: str, phase: dict) -> bool:
    server, client, errors = phase["server"], phase["client"], phase["errors"]
    p50, p95 = percentile(server, 50), percentile(server, 95)
    met = bool(server) and p95 <= GOAL_P95_MS and not errors
    print(f"{name:14} {len(client):7d} {len(errors):6d} {len(client) / phase['elapsed']:8.1f} "
          f"{p50:9.1f} {p95:9.1f} {percentile(client, 50):9.1f} {percentile(client, 95):9.1f}  "
          f"{'met' if met else 'NOT met'}")
    api, pages = phase["api_server"], phase["page_server"]
    print(f"{'':14} 其中检索页（含全部结果的分面统计）服务时间 p50 {percentile(pages, 50):.1f} ms，"
          f"p95 {percentile(pages, 95):.1f} ms；/api/search p50 {percentile(api, 50):.1f} ms，"
          f"p95 {percentile(api, 95):.1f} ms")
    for error in errors[:5]:
        print(f"    错误：{error}")
    return met


def git_source(rev: str) -> Path:
    """src/ of REV, unpacked into a temporary folder (the repository is only read)."""
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp(prefix="fupin-serve-load-rev-"))
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, "src"], capture_output=True, check=False)
    if archive.returncode != 0:
        raise RuntimeError(f"无法取出版本 {rev}：{archive.stderr.decode('utf-8', 'replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


class Target:
    """One version under test: its code (None: this checkout), its copy of the archive, its server."""

    def __init__(self, label: str, source: Path | None, args):
        self.label, self.source = label, source
        self.workspace = prepare(args.docs, args.rebuild, args.sessions)
        self.filed_list = self.workspace.parent / "filed.tsv"
        self.port = free_port()
        self.process = start_server(self.workspace, self.port, args.threads, source)
        warm = Session(self.port)
        warm.login("督查00")
        warm.request("GET", "/search?q=危房")  # the first search opens the index: not measured
        self.phases: dict = {"search": [], "search+filing": []}
        self.clerk_exit = 0

    def run(self, phase: str, args) -> None:
        clerk = (self.workspace, self.filed_list) if phase == "search+filing" else None
        result = run_phase(self.port, args.sessions, args.seconds, clerk, self.source)
        self.clerk_exit = self.clerk_exit or result.get("clerk_exit") or 0
        self.phases[phase].append(result)

    def check_lost(self) -> bool:
        """archive verify passes, and every document the clerk filed is on file and found."""
        admin = Session(self.port)
        admin.login("管理员")
        _response, body = admin.request("GET", "/api/verify")
        verify = json.loads(body)
        filed = [line.split("\t") for line in self.filed_list.read_text(encoding="utf-8").splitlines()] \
            if self.filed_list.exists() else []
        _response2, body2 = admin.request("GET", "/api/search?" + urlencode({"q": "压测归档材料", "limit": 10000}))
        found = {hit["archive_no"] for hit in json.loads(body2).get("hits", [])}
        missing = [no for no, _err in filed if no not in found]
        index_errors = [err for _no, err in filed if err]
        print(f"{self.label}：办事员归档 {len(filed)} 件（索引更新失败 {len(index_errors)} 件），"
              f"检索找到 {len(filed) - len(missing)} 件；archive verify：{'通过' if verify.get('ok') else '发现问题'}"
              f"（{verify.get('items')} 件，{verify.get('files_checked')} 个文件）")
        for problem in verify.get("problems", [])[:5]:
            print(f"    问题：{problem}")
        return bool(verify.get("ok")) and not missing

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.workspace.parent, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="fupin serve 的负载基准测试（仅本机回环地址）")
    parser.add_argument("--docs", type=int, default=10000, help="档案中的文件数（默认 10000）")
    parser.add_argument("--sessions", type=int, default=20, help="同时检索的会话数（默认 20）")
    parser.add_argument("--seconds", type=float, default=60, help="每个阶段的时长，秒（默认 60）")
    parser.add_argument("--rebuild", action="store_true", help="重新建立缓存的档案")
    parser.add_argument("--threads", type=int, default=None, help="fupin serve 的线程数（默认为 serve 的默认值）")
    parser.add_argument("--compare", metavar="REV", default=None,
                        help="同一次运行中对比早先的版本（git 版本号，如 HEAD~3），两者轮流测")
    parser.add_argument("--rounds", type=int, default=1, help="对比时每个阶段轮流测几轮（默认 1）")
    args = parser.parse_args(argv)
    if not (1 <= args.sessions <= 100 and 1 <= args.seconds <= 600 and 1 <= args.docs <= 100000
            and 1 <= args.rounds <= 10):
        parser.error("--sessions 1–100，--seconds 1–600，--docs 1–100000，--rounds 1–10")

    targets: list = []
    source_dir = None
    try:
        if args.compare:
            source_dir = git_source(args.compare)
            targets.append(Target(f"before {args.compare}", source_dir, args))
        targets.append(Target("after" if args.compare else "this", None, args))
        rounds = args.rounds if args.compare else 1
        print(f"\nfupin serve 负载：{args.docs} 件文件，{args.sessions} 个会话，每阶段 {args.seconds:.0f} 秒"
              f"{f' × {rounds} 轮' if rounds > 1 else ''}，CPU {os.cpu_count()} 核，负载 {os.getloadavg()[0]:.2f}")
        for phase in ("search", "search+filing"):
            for turn in range(rounds):
                for target in (targets if turn % 2 == 0 else targets[::-1]):
                    target.run(phase, args)
        print(f"负载（结束时）{os.getloadavg()[0]:.2f}")
        print(f"{'阶段':14} {'请求数':>7} {'错误':>6} {'请求/秒':>8} {'服务p50':>9} {'服务p95':>9} "
              f"{'往返p50':>9} {'往返p95':>9}  目标 p95≤{GOAL_P95_MS:.0f}ms")
        for target in targets:
            if len(targets) > 1:
                print(f"[{target.label}]")
            for phase, results in target.phases.items():
                report(phase, merged(results))
        for target in targets:
            if target.clerk_exit:
                print(f"{target.label}：归档进程退出码 {target.clerk_exit}")
                return 1
        lost = [target.label for target in targets if not target.check_lost()]
        print("nothing lost: " + ("NOT met (" + ", ".join(lost) + ")" if lost else "met"))
    finally:
        for target in targets:
            target.stop()
        if source_dir is not None:
            shutil.rmtree(source_dir.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
