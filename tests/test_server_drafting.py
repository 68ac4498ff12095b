"""Drafting over real HTTP against `fupin serve`: the form's checks are `fupin validate`'s,
nothing renders or files while one fails, downloads read back, filing records what
`fupin render --archive` records, drafts are per user, YAML goes in and out without
loss, a report takes its problems from the ledger, inspectors are refused."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import docx
import pytest

from conftest import make_workspace  # noqa: F401  (fill_workspace builds on it)
from fupin_docs.archive import Archive
from fupin_docs.inputs.validate import validate_document
from fupin_docs.inputs.yaml_source import load_yaml_file, load_yaml_text
from test_server import Server, access_records, fill_workspace, logged_in

ROOT = Path(__file__).resolve().parents[1]
NOTICE = {"类型": "督查通知", "发文机关": "三星镇人民政府", "发文字号": "三政发〔2020〕27号", "成文日期": "2020-06-08",
          "标题": "关于开展饮水安全专项督查的通知", "主送机关": "各村（社区）", "印发机关": "三星镇党政综合办公室",
          "导语": "为检验饮水安全问题整改成效，决定开展专项督查。\n现将有关事项通知如下：",
          "督查组.0.组别": "第一督查组", "督查组.0.组长": "张志强", "督查组.0.成员": "陈小平、赵丽",
          "标签": "饮水安全、督查"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("drafting") / "三星镇"
    ws = fill_workspace(root)
    server = Server(root)
    yield server, ws
    server.stop()


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def new_draft(client, kind: str) -> tuple[str, str]:
    token = csrf_of(client.get("/drafts").text)
    response = client.post("/drafts/new", {"kind": kind, "csrf_token": token})
    assert response.status == 302, response.text
    return response.headers["Location"].rsplit("/", 1)[-1], token


def multipart(client, path: str, token: str, name: str, data: bytes):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"yaml\"; filename=\"{name}\"\r\n"
            "Content-Type: application/x-yaml\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    import http.client
    from urllib.parse import quote
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=60)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    conn.request("POST", quote(path), body, headers)
    raw = conn.getresponse()
    from test_server import Response
    return Response(raw.status, raw.headers, raw.read())


def cli_validate(path: Path, workspace: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "--workspace", str(workspace), "validate",
                           "--json", str(path)], capture_output=True, text=True)
    return [row for row in json.loads(done.stdout) if row["level"] == "error"]


def test_inspector_cannot_draft_and_is_audited(served):
    _server, ws = served
    inspector = logged_in(served, "督查组1")
    assert "起草公文" not in inspector.get("/search").text
    assert inspector.get("/drafts").status == 403
    token = csrf_of(inspector.get("/search").text)
    assert inspector.post("/drafts/new", {"kind": "notice", "csrf_token": token}).status == 403
    denied = [r for r in access_records(ws, user="督查组1") if r["action"] == "denied"]
    assert {r["detail"]["path"] for r in denied} >= {"/drafts", "/drafts/new"}


def test_csrf_is_required_on_every_drafting_post(served):
    clerk = logged_in(served, "办事员乙")
    draft_id, _token = new_draft(clerk, "notice")
    for path in ("/drafts/new", f"/drafts/{draft_id}/preview", f"/drafts/{draft_id}/download/docx",
                 f"/drafts/{draft_id}/file", f"/drafts/{draft_id}/delete"):
        assert clerk.post(path, {"kind": "notice"}).status == 400, path
    assert clerk.get(f"/drafts/{draft_id}").status == 200  # nothing was deleted


def test_checks_are_the_clis_and_block_rendering_and_filing(served, tmp_path):
    server, ws = served
    clerk = logged_in(served, "办事员乙")
    draft_id, token = new_draft(clerk, "notice")
    bad = dict(NOTICE, 成文日期="2020-06-31", 发文字号="三政发[2020]27号", **{"督查组.0.组别": ""})
    answer = clerk.post(f"/drafts/{draft_id}/preview", dict(bad, csrf_token=token)).json()
    assert answer["pages"] == 0
    shown = {p["path"]: p["message"] for p in answer["problems"]}
    # the CLI on the draft as downloaded: the very same messages
    yaml_text = clerk.post(f"/drafts/{draft_id}/download/yaml", dict(bad, csrf_token=token)).text
    saved = tmp_path / "草稿.yaml"
    saved.write_text(yaml_text, encoding="utf-8")
    cli = cli_validate(saved, ws.root)
    assert sorted(row["message"] for row in cli) == sorted(shown.values())
    assert "2020年6月没有31日" in shown["成文日期"]
    assert "应写成“三政发〔2020〕27号”" in shown["发文字号"]
    assert shown["督查组.0.组别"] == "缺少必填项“组别”，请补上"
    # nothing renders or files while a check fails; the page says it by the field
    refused = clerk.post(f"/drafts/{draft_id}/download/pdf", dict(bad, csrf_token=token))
    assert refused.status == 400 and "application/pdf" not in refused.headers["Content-Type"]
    assert "2020年6月没有31日" in refused.text and 'data-path="成文日期"' in refused.text
    before = len(Archive(ws).items())
    assert clerk.post(f"/drafts/{draft_id}/file", dict(bad, csrf_token=token)).status == 400
    assert len(Archive(ws).items()) == before


def test_preview_download_and_file_a_notice(served, tmp_path):
    server, ws = served
    clerk = logged_in(served, "办事员乙")
    draft_id, token = new_draft(clerk, "notice")
    answer = clerk.post(f"/drafts/{draft_id}/preview", dict(NOTICE, csrf_token=token)).json()
    assert answer["problems"] == [] and answer["pages"] >= 1
    png = clerk.get(f"{answer['page_url']}1.png?v={answer['version']}")
    assert png.status == 200 and png.body[:8] == b"\x89PNG\r\n\x1a\n"
    word = clerk.post(f"/drafts/{draft_id}/download/docx", dict(NOTICE, csrf_token=token))
    assert word.status == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.body)).paragraphs)
    assert "关于开展饮水安全专项督查的通知" in text and "三政发〔2020〕27号" in text and "第一督查组" in text
    pdf = clerk.post(f"/drafts/{draft_id}/download/pdf", dict(NOTICE, csrf_token=token))
    assert pdf.body.startswith(b"%PDF")
    (tmp_path / "a.pdf").write_bytes(pdf.body)
    plain = subprocess.run(["pdftotext", "-layout", str(tmp_path / "a.pdf"), "-"], capture_output=True,
                           text=True).stdout.replace(" ", "")
    assert "关于开展饮水安全专项督查的通知" in plain and "张志强" in plain
    filed = clerk.post(f"/drafts/{draft_id}/file", dict(NOTICE, csrf_token=token))
    assert filed.status == 200, filed.text
    archive_no = re.search(r'id="filed-item">([^<]+)<', filed.text).group(1)
    item = Archive(ws).require(archive_no)
    # what `fupin render --archive` records: from the input's own fields
    assert (item.kind, item.title, item.unit, item.date, item.doc_number) == (
        "notice", "关于开展饮水安全专项督查的通知", "三星镇人民政府", "2020-06-08", "三政发〔2020〕27号")
    assert list(item.tags) == ["饮水安全", "督查"] and item.file_name.endswith(".docx")
    hits = clerk.get("/api/search?q=饮水安全专项督查").json()
    assert archive_no in json.dumps(hits, ensure_ascii=False)
    actions = [r["action"] for r in access_records(ws, user="办事员乙")]
    assert {"draft.new", "draft.download", "draft.file"} <= set(actions)


def test_drafts_are_kept_per_user_and_listed(served):
    clerk = logged_in(served, "办事员乙")
    draft_id, token = new_draft(clerk, "minutes")
    form = {"类型": "会议纪要", "会议名称": "危房改造专题会议", "csrf_token": token}
    clerk.post(f"/drafts/{draft_id}/preview", form)  # saved as typed, errors and all
    assert "危房改造专题会议" in clerk.get("/drafts").text
    page = clerk.get(f"/drafts/{draft_id}").text
    assert 'value="危房改造专题会议"' in page and "缺少必填项“会议地点”" in page
    assert "OfficeConfig" not in page and "<title>会议纪要：危房改造专题会议 - 三星镇" in page  # the header's office name
    admin = logged_in(served, "管理员甲")
    assert "危房改造专题会议" not in admin.get("/drafts").text
    assert admin.get(f"/drafts/{draft_id}").status == 400  # not the admin's draft
    clerk.post(f"/drafts/{draft_id}/delete", {"csrf_token": token})
    assert "危房改造专题会议" not in clerk.get("/drafts").text


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_yaml_upload_and_download_keep_every_field(served, example):
    clerk = logged_in(served, "办事员乙")
    token = csrf_of(clerk.get("/drafts").text)
    uploaded = multipart(clerk, "/drafts/upload", token, example.name, example.read_bytes())
    assert uploaded.status == 302, uploaded.text
    draft_id = uploaded.headers["Location"].rsplit("/", 1)[-1]
    page = clerk.get(f"/drafts/{draft_id}").text
    # the form as the browser posts it (every field's current value), downloaded as YAML
    pairs = re.findall(r'<input name="([^"]+)" value="([^"]*)"', page)
    pairs += re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page)
    pairs += [(name, value) for name, value in re.findall(
        r'<select name="([^"]+)"[^>]*>(?:(?!</select>).)*?<option value="([^"]*)" selected>', page, re.S)]
    import html
    form = [(name, html.unescape(value)) for name, value in pairs if "__new__" not in name]
    form.append(("csrf_token", token))
    text = clerk.post(f"/drafts/{draft_id}/download/yaml", form).text
    before = validate_document(load_yaml_file(example)).model_dump(by_alias=True)
    after = validate_document(load_yaml_text(text, "下载.yaml")).model_dump(by_alias=True)
    for key in before:
        assert before[key] == after[key], key


def test_upload_of_a_file_the_form_cannot_hold_is_refused_with_line_and_column(served):
    clerk = logged_in(served, "办事员乙")
    token = csrf_of(clerk.get("/drafts").text)
    text = "类型: 督查通知\n标题: 关于督查的通知\n标提: 错字\n".encode()
    refused = multipart(clerk, "/drafts/upload", token, "错.yaml", text)
    assert refused.status == 400 and "3:1" in refused.text and "标提" in refused.text
    broken = multipart(clerk, "/drafts/upload", token, "坏.yaml", "类型: 督查通知\n标题: [未闭合\n".encode())
    assert broken.status == 400 and "填写格式有误" in broken.text


def test_a_report_takes_its_problems_from_the_ledger(served, tmp_path):
    server, ws = served
    import importlib.util
    import datetime as dt
    from fupin_docs.ledger import import_check_sheet, load_ledger

    spec = importlib.util.spec_from_file_location("make_check_sheet", ROOT / "scripts" / "make_check_sheet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sheet = tmp_path / "排查表.xlsx"
    module.make_check_sheet(sheet)
    import_check_sheet(ws, sheet, date=dt.date(2020, 6, 8), who="测试")
    village = next(p.village for p in load_ledger(ws))
    mine = [p for p in load_ledger(ws) if p.village == village]
    clerk = logged_in(served, "办事员乙")
    draft_id, token = new_draft(clerk, "rectification")
    assert f'<option value="{village}">' in clerk.get(f"/drafts/{draft_id}").text  # the ledger's villages offered
    form = {"类型": "整改报告", "标题": "关于排查问题整改情况的报告", "成文日期": "2020-07-10", "问题来源": "自查",
            "签发人": "李明华", "主送机关": "县扶贫开发领导小组", "发文机关": "三星镇人民政府",
            "印发机关": "三星镇党政综合办公室", "台账.村": village, "csrf_token": token}
    word = clerk.post(f"/drafts/{draft_id}/download/docx", form)
    assert word.status == 200, word.text
    text = "\n".join(cell.text for table in docx.Document(io.BytesIO(word.body)).tables
                     for row in table.rows for cell in row.cells)
    assert all(p.description in text for p in mine)
    nowhere = clerk.post(f"/drafts/{draft_id}/preview", dict(form, **{"台账.村": "不存在村"})).json()
    assert nowhere["pages"] == 0 and "问题台账中没有符合条件" in nowhere["problems"][0]["message"]
