"""fupin serve over real HTTP: `fupin serve` (waitress) started on a free
loopback port against a real workspace, spoken to as a browser does (cookies,
the login form's csrf_token). Security checks each have a test here; the
/api/ twins are compared with the CLI's --json in test_server_api.py.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from conftest import make_workspace

PASSWORDS = {"管理员甲": "Admin2020x", "办事员乙": "Clerk2020x", "督查组1": "Jiancha2020", "督查组2": "Jiancha2021",
             "锁定测试": "Locked2020x"}
HOSTILE_TITLE = '<script>alert("标题")</script>危房改造'
HOSTILE_FILE = '<img src=x onerror=alert(1)>.txt'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def blank_pdf(path: Path) -> Path:
    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "三星村饮水安全整改报告"})
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def fill_workspace(root: Path):
    """A workspace with a few documents (one PDF, one hostile title and file name) and four users."""
    from fupin_docs.accounts import Accounts
    from fupin_docs.filing import file_document

    ws = make_workspace(root)
    src = root / "来源"
    src.mkdir()
    docs = [
        ("纪要.txt", "三星村饮水安全专题会议纪要：研究饮水安全问题整改，落实责任人。", "minutes", "三星村", "2020-06-05",
         "三星村饮水安全专题会议纪要", ["饮水安全"]),
        ("通知.txt", "关于开展饮水安全回头看督查的通知。各村自查饮水安全。", "notice", "镇扶贫工作站", "2020-05-20",
         "关于开展饮水安全回头看督查的通知", ["饮水安全", "督查"]),
        ("方案.txt", "危房改造实施方案：逐户鉴定，分类改造。", "plan", "镇扶贫工作站", "2019-03-01",
         "危房改造实施方案", ["危房改造"]),
        ("签到.txt", "饮水安全推进会签到册 三星村", "签到册", "三星村", "2020-06-05", "饮水安全推进会签到册", []),
        (HOSTILE_FILE, "恶意标题测试：危房改造与饮水安全 <b>粗体</b>", "other", "<i>单位</i>", "2020-07-01",
         HOSTILE_TITLE, ["<u>标签</u>"]),
    ]
    for name, text, kind, unit, day, title, tags in docs:
        path = src / name
        path.write_text(text, encoding="utf-8")
        file_document(ws, path, kind=kind, unit=unit, date=day, title=title, tags=tags)
    file_document(ws, blank_pdf(src / "整改报告.pdf"), kind="rectification", unit="三星村", date="2020-08-01",
                  title="三星村饮水安全整改报告", tags=["饮水安全"])
    accounts = Accounts(ws)
    accounts.add_user("管理员甲", "admin", PASSWORDS["管理员甲"])
    accounts.add_user("办事员乙", "clerk", PASSWORDS["办事员乙"])
    accounts.add_user("督查组1", "inspector", PASSWORDS["督查组1"], expires="3d")
    accounts.add_user("锁定测试", "clerk", PASSWORDS["锁定测试"])
    return ws


class Server:
    """`fupin serve` in a child process on a free loopback port."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fupin_docs.cli.main", "--workspace", str(root), "serve", "--host", "127.0.0.1",
             "--port", str(self.port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fupin serve exited: {self.process.stdout.read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("fupin serve did not start in 60 s")
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Response:
    def __init__(self, status, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Client:
    """A cookie-keeping HTTP client that logs in through the login form, as a browser does."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form=None, headers=None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, quote(path, safe="/?=&%:+"), body, sent)
        raw = conn.getresponse()
        data = raw.read()
        for cookie in raw.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value and "Expires=Thu, 01 Jan 1970" not in cookie:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        conn.close()
        return Response(raw.status, raw.headers, data)

    def get(self, path, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw) -> Response:
        return self.request("POST", path, form=form, **kw)

    def csrf(self, path: str = "/login") -> str:
        page = self.get(path).text
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, name: str, password: str | None = None) -> Response:
        token = self.csrf("/login")
        return self.post("/login", {"username": name, "password": password or PASSWORDS[name], "csrf_token": token})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve") / "三星镇"
    ws = fill_workspace(root)
    server = Server(root)
    yield server, ws
    server.stop()


def logged_in(served, name) -> Client:
    server, _ws = served
    client = Client(server.port)
    response = client.login(name)
    assert response.status == 302, response.text
    return client


def archive_no_of(ws, title: str) -> str:
    from fupin_docs.archive import Archive
    return next(item.archive_no for item in Archive(ws).items() if item.title == title)


def access_records(ws, **kw):
    from fupin_docs.audit import AccessLog
    return AccessLog(ws).records(**kw)


# --- login, sessions ------------------------------------------------------------------


def test_login_page_has_the_fields_a_script_uses(served):
    server, _ws = served
    page = Client(server.port).get("/login")
    assert page.status == 200
    for field in ('name="username"', 'name="password"', 'type="hidden" name="csrf_token"'):
        assert field in page.text
    assert "登录" in page.text and 'lang="zh-CN"' in page.text


def test_login_logout_and_audit(served):
    server, ws = served
    client = logged_in(served, "办事员乙")
    page = client.get("/search")
    assert page.status == 200 and "办事员乙" in page.text
    [name] = [n for n in client.cookies if n.startswith("fupin_session")]  # _FONDS_ORG on the county database
    cookie = client.cookies[name]
    set_cookie = [c for c in (client.get("/login").headers.get_all("Set-Cookie") or [])]
    assert all("HttpOnly" in c and "SameSite=Strict" in c for c in set_cookie)
    token = client.csrf("/search")
    assert client.post("/logout", {"csrf_token": token}).status == 302
    assert client.get("/search").status == 302  # back to the login page
    # the old cookie, replayed, opens nothing: the server-side session is gone
    replay = Client(server.port)
    replay.cookies[name] = cookie
    assert replay.get("/api/me").status == 401
    actions = [r["action"] for r in access_records(ws, user="办事员乙")]
    assert "login" in actions and "logout" in actions


def test_api_without_a_session_is_401(served):
    server, _ws = served
    for path in ("/api/search?q=饮水", "/api/archive", "/api/me", "/api/users"):
        response = Client(server.port).get(path)
        assert response.status == 401, path
        assert response.json()["error"] == "请先登录"


def test_pages_without_a_session_go_to_login(served):
    server, _ws = served
    response = Client(server.port).get("/search?q=饮水")
    assert response.status == 302 and response.headers["Location"].startswith("/login")


def test_no_user_enumeration(served):
    server, ws = served
    unknown = Client(server.port).login("没有这个人", "Whatever2020")
    wrong = Client(server.port).login("督查组1", "Wrong2020xx")
    assert unknown.status == wrong.status == 401
    message = re.search(r'role="alert">([^<]+)<', unknown.text).group(1)
    assert message == re.search(r'role="alert">([^<]+)<', wrong.text).group(1)
    assert "不存在" not in message
    failed = access_records(ws, actions={"login.failed"})
    assert {"没有这个人", "督查组1"} <= {r["who"] for r in failed}


def test_login_throttling(served):
    server, ws = served
    for _ in range(5):
        assert Client(server.port).login("锁定测试", "Wrong2020xx").status == 401
    locked = Client(server.port).login("锁定测试")  # the right password, too late
    assert locked.status == 429
    assert "分钟后再试" in locked.text
    # another name from the same address is not locked
    assert Client(server.port).login("办事员乙").status == 302


def test_expired_inspector_session_ends_at_expiry(served):
    server, ws = served
    from fupin_docs.accounts import Accounts
    Accounts(ws).add_user("督查组2", "inspector", PASSWORDS["督查组2"], expires=time.time() + 3)
    client = logged_in(served, "督查组2")
    assert client.get("/api/me").json()["role"] == "inspector"
    time.sleep(3.5)
    assert client.get("/api/me").status == 401
    page = client.get("/search")
    assert page.status == 302
    assert "登录已结束" in client.get(page.headers["Location"]).text
    assert Client(server.port).login("督查组2").status == 401  # an expired account cannot log in again


def test_open_redirect_refused(served):
    server, _ws = served
    client = Client(server.port)
    token = client.csrf()
    response = client.post("/login", {"username": "办事员乙", "password": PASSWORDS["办事员乙"], "csrf_token": token,
                                      "next": "//evil.example/"})
    assert response.headers["Location"] == "/search"


# --- CSRF ---------------------------------------------------------------------------------


def test_csrf_on_the_login_form(served):
    server, _ws = served
    client = Client(server.port)
    client.get("/login")
    response = client.post("/login", {"username": "办事员乙", "password": PASSWORDS["办事员乙"]})
    assert response.status == 400 and "安全校验未通过" in response.text
    assert not any(n.startswith("fupin_session") for n in client.cookies) or client.get("/api/me").status == 401


def test_csrf_on_every_post_and_htmx_post(served):
    client = logged_in(served, "管理员甲")
    _server, ws = served
    no = archive_no_of(ws, "危房改造实施方案")
    for path, form in (("/logout", {}), ("/packs", {"scope": "selected", "id": no, "purpose": "测试"}),
                       (f"/item/{no}/withdraw", {"reason": "测试"}), ("/admin/verify", {})):
        assert client.post(path, form).status == 400, path
        assert client.post(path, form, headers={"HX-Request": "true"}).status == 400, path
    # with the token in htmx's header (hx-headers on <body>) the verify POST goes through
    token = client.csrf("/admin/verify")
    ok = client.post("/admin/verify", {}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status == 200 and "核验通过" in ok.text
    assert client.get("/api/me").status == 200  # still logged in: the refused logout did nothing


# --- roles ---------------------------------------------------------------------------------


def test_inspector_write_refused_and_audited(served):
    server, ws = served
    client = logged_in(served, "督查组1")
    no = archive_no_of(ws, "危房改造实施方案")
    token = client.csrf("/search")
    response = client.post(f"/item/{no}/withdraw", {"reason": "督查组试图撤回", "csrf_token": token})
    assert response.status == 403 and "没有此项操作的权限" in response.text
    from fupin_docs.archive import Archive
    assert not Archive(ws).get(no).withdrawn
    denied = access_records(ws, user="督查组1", actions={"denied"})
    assert denied and denied[-1]["detail"]["path"].endswith("/withdraw")
    for path in ("/admin/verify", "/admin/audit", "/admin/users", "/api/users", "/api/audit", "/api/verify"):
        assert client.get(path).status == 403, path
    page = client.get(f"/item/{no}")
    assert "撤回此件" not in page.text  # no write form shown to a read-only account


def test_clerk_may_withdraw(served):
    server, ws = served
    client = logged_in(served, "办事员乙")
    no = archive_no_of(ws, "饮水安全推进会签到册")
    token = client.csrf("/search")
    response = client.post(f"/item/{no}/withdraw", {"reason": "重复归档", "csrf_token": token})
    assert response.status == 302
    from fupin_docs.archive import Archive
    item = Archive(ws).get(no)
    assert item.withdrawn and item.withdraw_reason == "重复归档"
    assert Archive(ws).history(item)[-1]["who"] == "办事员乙"


# --- escaping, traversal, headers ---------------------------------------------------------


def test_hostile_titles_and_names_render_escaped(served):
    _server, ws = served
    client = logged_in(served, "督查组1")
    no = archive_no_of(ws, HOSTILE_TITLE)
    pages = [client.get("/search?q=恶意标题"), client.get(f"/item/{no}"), client.get("/archive?year=2020")]
    for page in pages:
        assert page.status == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "<i>单位</i>" not in page.text and "<u>标签</u>" not in page.text and "<b>粗体</b>" not in page.text
    assert "&lt;script&gt;alert(&#34;标题&#34;)&lt;/script&gt;危房改造" in pages[1].text
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in pages[1].text
    download = client.get(f"/item/{no}/download")
    assert download.status == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "/" not in download.headers["Content-Disposition"].split("filename", 1)[1]


@pytest.mark.parametrize("path", ["/item/..%2F..%2Ffupin.toml/download", "/item/../../fupin.toml/download",
                                  "/item/%2e%2e%2f%2e%2e%2faccounts%2faccounts.sqlite3/download",
                                  "/item/objects/download", "/item/Z001-WS%C2%B72020-D30-ZFB-9999/download",
                                  "/static/../accounts/secret.key", "/static/..%2f..%2f..%2faccounts%2fsecret.key",
                                  "/item/0001/rendition/5", "/item/0001/rendition/-1"])
def test_download_cannot_escape_the_archive(served, path):
    client = logged_in(served, "督查组1")
    response = client.get(path)
    assert response.status in (400, 404), (path, response.status)
    assert b"Admin2020x" not in response.body and b"[office]" not in response.body
    assert b"SQLite format" not in response.body


def test_security_headers(served):
    _server, ws = served
    client = logged_in(served, "督查组1")
    no = archive_no_of(ws, "三星村饮水安全整改报告")
    page = client.get(f"/item/{no}")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page.text.replace('<script src="/static/htmx.min.js" defer></script>', "")
    assert " style=" not in page.text and "<style" not in page.text and " on" + "click=" not in page.text
    for path in (f"/item/{no}/download", f"/item/{no}/preview", f"/api/item/{no}", "/search?q=饮水"):
        response = client.get(path)
        assert response.status == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    preview = client.get(f"/item/{no}/preview")
    assert preview.headers["Content-Type"] == "application/pdf" and preview.body.startswith(b"%PDF")
    assert preview.headers["Content-Disposition"].startswith("inline")


def test_item_page_history_and_audit(served):
    _server, ws = served
    client = logged_in(served, "督查组1")
    no = archive_no_of(ws, "危房改造实施方案")
    page = client.get(f"/item/{no}")
    assert "历史记录" in page.text and "归档" in page.text and no in page.text
    downloaded = client.get(f"/item/{no}/download")
    assert downloaded.body == "危房改造实施方案：逐户鉴定，分类改造。".encode("utf-8")
    records = access_records(ws, user="督查组1")
    assert {"view", "download"} <= {r["action"] for r in records}
    view = next(r for r in reversed(records) if r["action"] == "view")
    assert view["detail"]["archive_no"] == no and view["detail"]["role"] == "inspector"
    assert view["detail"]["address"] == "127.0.0.1"


def test_search_page_facets_and_filter(served):
    client = logged_in(served, "督查组1")
    page = client.get("/search?q=饮水安全")
    assert page.status == 200
    assert {"kind", "year", "unit", "tag", "retention"} <= set(re.findall(r'data-facet="(\w+)"', page.text))
    assert re.search(r">会议纪要</a> <span class=\"count\">1</span>", page.text)
    filtered = client.get("/search?q=饮水安全&kind=minutes")
    assert "三星村饮水安全专题会议纪要" in filtered.text and "回头看督查的通知" not in filtered.text
    assert "<mark>饮水安全</mark>" in filtered.text or "<mark>饮水</mark>" in filtered.text


def test_oversized_request_refused(served):
    server, _ws = served
    client = Client(server.port)
    token = client.csrf()
    response = client.post("/login", {"username": "x" * (2 << 20), "password": "y", "csrf_token": token})
    assert response.status == 413 and "内容过大" in response.text


def test_serve_on_the_lan_prints_the_url_to_give_colleagues(served):
    _server, ws = served
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "fupin_docs.cli.main", "--workspace", str(ws.root), "serve",
                                "--host", "0.0.0.0", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        lines = [process.stdout.readline() for _ in range(2)]
        while "本机：" not in lines[-1]:
            lines.append(process.stdout.readline())
        assert any(f":{port}/" in line and "请同事在浏览器中打开：http://" in line for line in lines), lines
        assert f"本机：http://127.0.0.1:{port}/" in lines[-1]
        assert Client(port).get("/login").status == 200  # asked over loopback only
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_visit_sheet_pdf_of_an_inspector(served, tmp_path):
    _server, ws = served
    inspector = logged_in(served, "督查组1")
    no = archive_no_of(ws, "危房改造实施方案")
    inspector.get(f"/item/{no}/download")
    mine = inspector.get("/my/visit.pdf")
    assert mine.status == 200 and mine.body.startswith(b"%PDF")
    assert mine.headers["Cache-Control"] == "no-store"
    admin = logged_in(served, "管理员甲")
    sheet = admin.get("/admin/audit/visit.pdf?user=督查组1")
    assert sheet.status == 200 and "attachment" in sheet.headers["Content-Disposition"]
    path = tmp_path / "sheet.pdf"
    path.write_bytes(sheet.body)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    for words in ("档案查阅登记", "督查组1", no, "危房改造实施方案", "下载", "127.0.0.1"):
        assert words in text, words
    assert admin.get("/admin/audit/visit.pdf?user=无此人").status == 404
    page = admin.get("/admin/audit?user=督查组1")
    assert page.status == 200 and "下载" in page.text and "查阅登记" in page.text


def test_pack_over_http_is_audited_and_has_a_json_twin(served):
    _server, ws = served
    client = logged_in(served, "督查组1")
    token = client.csrf("/packs")
    refused = client.post("/packs", {"scope": "selected", "purpose": "检查", "csrf_token": token})
    assert refused.status == 400 and "请勾选要打包的材料" in refused.text
    no = archive_no_of(ws, "危房改造实施方案")
    started = client.post("/packs", {"scope": "selected", "id": no, "purpose": "专项检查", "csrf_token": token})
    assert started.status == 302
    job = started.headers["Location"].rsplit("/", 1)[1]
    deadline = time.monotonic() + 60
    fragments = []  # the fragment htmx polls, as the build goes
    while (state := client.get(f"/api/packs/{job}").json())["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        fragments.append(client.get(f"/packs/{job}/status").text)
        time.sleep(0.05)
    assert state["state"] == "done", state
    # the job keeps build_pack's last report: its last stage, finished
    assert state["progress"] == {"stage": "正在写入材料包", "done": 1, "total": 1}
    for html in fragments:  # a bar caught mid-build shows the stage and done/total it draws
        bar = re.search(r'<progress id="pack-progress" value="(\d+)" max="(\d+)"', html)
        if bar:
            done, total = int(bar[1]), int(bar[2])
            assert 0 <= done <= total and f"：{done}/{total}</span>" in html, html
    done_page = client.get(f"/packs/{job}/status").text
    assert 'data-state="done"' in done_page and 'value="1" max="1"' in done_page
    assert list(state["result"]) == ["path", "items", "files", "bytes", "catalog", "merged", "merged_pages", "seconds",
                                     "missing", "warnings"]  # the keys of `fupin pack --json`
    assert state["result"]["items"] == 1
    zipped = client.get(f"/packs/{job}/download")
    assert zipped.status == 200 and zipped.body[:2] == b"PK" and zipped.headers["Cache-Control"] == "no-store"
    assert logged_in(served, "办事员乙").get(f"/api/packs/{job}").status == 404  # another user's pack
    time.sleep(0.3)
    packs = access_records(ws, user="督查组1", actions={"pack", "pack.download"})
    assert [r["action"] for r in packs][-2:] == ["pack", "pack.download"]
    assert packs[-2]["detail"]["purpose"] == "专项检查" and packs[-2]["detail"]["items"] == 1
