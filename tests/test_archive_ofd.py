"""OFD files in the archive: a rendered OFD is filed with its pages, title, date
and text (found by search), and a broken or hostile .ofd is refused with a message
and files nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from conftest import make_workspace
from fupin_docs.archive import Archive, ArchiveError
from fupin_docs.cli.main import cli
from fupin_docs.search import search

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NS = "http://www.ofdspec.org/2016"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The minutes example rendered as PDF and OFD from one layout."""
    out = tmp_path_factory.mktemp("ofd")
    minutes = next(EXAMPLES.glob("minutes-*.yaml"))
    result = CliRunner().invoke(cli, ["render", str(minutes), "-f", "pdf,ofd", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out / f"{minutes.stem}.pdf", out / f"{minutes.stem}.ofd"


def test_a_rendered_ofd_is_filed_with_its_pages_title_date_and_text(rendered, tmp_path):
    pdf, ofd = rendered
    ws = make_workspace(tmp_path / "ws")
    item = Archive(ws).add(ofd).item
    assert item.format == "ofd"
    assert item.pages == len(pypdf.PdfReader(str(pdf)).pages) == 2
    assert item.title == "三星镇农村危房改造和饮水安全专题会议纪要"  # DocInfo's title
    assert item.date == "2020-03-18"  # the 印发日期 at the end of its last page
    assert [hit.archive_no for hit in search(ws, '"饮水不达标的27户"')] == [item.archive_no]
    assert Archive(ws).verify().ok


def package(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()


OFD_XML = (f'<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
           '<ofd:DocRoot>{root}</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
DOCUMENT = f'<ofd:Document xmlns:ofd="{NS}"><ofd:Pages><ofd:Page ID="1" BaseLoc="{{page}}"/></ofd:Pages></ofd:Document>'
PAGE = (f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="3" Boundary="0 0 50 5" '
        'Font="1" Size="5"><ofd:TextCode X="0" Y="5">{text}</ofd:TextCode></ofd:TextObject></ofd:Layer>'
        '</ofd:Content></ofd:Page>')
BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
        + f']><ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="3" Boundary="0 0 1 1">'
        '<ofd:TextCode X="0" Y="1">&lol9;</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>')

HOSTILE = {
    "not a zip": b"%PDF-1.7 renamed to .ofd",
    "no OFD.xml": package({"Doc_0/Document.xml": DOCUMENT.format(page="Pages/Page_0/Content.xml")}),
    "root outside the package": package({"OFD.xml": OFD_XML.format(root="../../etc/passwd")}),
    "page outside the package": package({"OFD.xml": OFD_XML.format(root="Doc_0/Document.xml"),
                                         "Doc_0/Document.xml": DOCUMENT.format(page="../../../secret.xml")}),
    "a page unpacking to 70 MB": package({"OFD.xml": OFD_XML.format(root="Doc_0/Document.xml"),
                                          "Doc_0/Document.xml": DOCUMENT.format(page="P.xml"),
                                          "Doc_0/P.xml": PAGE.format(text="扶贫") + " " * (70 * 1024 * 1024)}),
    "not XML": package({"OFD.xml": b"\x00\x01 garbage"}),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_broken_or_hostile_ofd_is_refused_and_files_nothing(case, tmp_path):
    ws = make_workspace(tmp_path / "ws")
    path = tmp_path / "来文.ofd"
    path.write_bytes(HOSTILE[case])
    with pytest.raises(ArchiveError) as err:
        Archive(ws).add(path, date="2020-05-01")
    assert "OFD" in str(err.value) and "来文.ofd" in str(err.value)
    assert Archive(ws).items() == []
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "add", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output and "OFD" in result.output


def test_an_entity_bomb_in_a_page_is_not_expanded(tmp_path):
    """A billion-laughs page (10^9 "lol"s if expanded): the entities are not resolved."""
    from fupin_docs.archive.extract import inspect_file
    path = tmp_path / "来文.ofd"
    path.write_bytes(package({"OFD.xml": OFD_XML.format(root="Doc_0/Document.xml"),
                              "Doc_0/Document.xml": DOCUMENT.format(page="P.xml"), "Doc_0/P.xml": BOMB}))
    try:
        text = inspect_file(path).text
    except ArchiveError as err:  # refused outright is as good
        assert "OFD" in str(err)
        return
    assert len(text) < 100, len(text)


def test_a_minimal_ofd_from_another_program_is_read(tmp_path):
    """Absolute part names (a leading /) and a page of plain text, as other writers make them."""
    ws = make_workspace(tmp_path / "ws")
    path = tmp_path / "外单位来文.ofd"
    path.write_bytes(package({"OFD.xml": OFD_XML.format(root="/Doc_0/Document.xml"),
                              "Doc_0/Document.xml": DOCUMENT.format(page="/Doc_0/Pages/P1.xml"),
                              "Doc_0/Pages/P1.xml": PAGE.format(text="关于易地扶贫搬迁后续扶持的通知")}))
    item = Archive(ws).add(path, date="2020-05-01").item
    assert item.format == "ofd" and item.pages == 1
    assert [hit.archive_no for hit in search(ws, "后续扶持")] == [item.archive_no]


def test_a_pack_takes_the_ofd_renditions_beside_the_pdfs_when_asked(tmp_path):
    """`fupin render -f pdf,ofd --archive` files the OFD as a rendition; a pack has
    only the PDF by default, the OFD beside it with --format ofd (and from the web
    form's box 另附 OFD 版式文件), and verifies either way."""
    import time

    import bagit
    from fupin_docs.accounts import Accounts
    from test_server import Client, Server

    ws = make_workspace(tmp_path / "ws")
    minutes = next(EXAMPLES.glob("minutes-*.yaml"))
    runner = CliRunner()
    rendered = runner.invoke(cli, ["--workspace", str(ws.root), "render", str(minutes), "-f", "docx,pdf,ofd",
                                   "-o", str(tmp_path / "out"), "--archive"])
    assert rendered.exit_code == 0, rendered.output
    [item] = Archive(ws).items()
    assert sorted(r["format"] for r in item.renditions) == ["ofd", "pdf"]

    def payload(pack: Path) -> list[str]:
        with zipfile.ZipFile(pack) as z:
            return sorted(Path(n).suffix for n in z.namelist() if "/data/" in n and not n.endswith("/"))

    def made(*extra) -> Path:
        out = tmp_path / f"包{len(extra)}.zip"
        result = runner.invoke(cli, ["--workspace", str(ws.root), "pack", "--id", item.archive_no,
                                     "--purpose", "检查", "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
        assert runner.invoke(cli, ["--workspace", str(ws.root), "pack", "verify", str(out)]).exit_code == 0
        with zipfile.ZipFile(out) as z:
            z.extractall(tmp_path / out.stem)
        bag = next((tmp_path / out.stem).iterdir())
        assert bagit.Bag(str(bag)).is_valid()
        return out

    assert ".ofd" not in payload(made())
    with_ofd = payload(made("--format", "ofd"))
    assert ".ofd" in with_ofd and ".pdf" in with_ofd and ".docx" in with_ofd

    Accounts(ws).add_user("管理员丁", "admin", "Admin2020x")
    server = Server(ws.root)
    try:
        client = Client(server.port)
        assert client.login("管理员丁", "Admin2020x").status == 302
        token = client.csrf("/packs")
        started = client.post("/packs", {"scope": "selected", "id": item.archive_no, "purpose": "检查",
                                         "ofd": "1", "csrf_token": token})
        assert started.status == 302
        job = started.headers["Location"].rsplit("/", 1)[1]
        deadline = time.monotonic() + 60
        while (state := client.get(f"/api/packs/{job}").json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert state["state"] == "done", state
        download = client.get(f"/packs/{job}/download")
        assert download.status == 200
        (tmp_path / "网页.zip").write_bytes(download.body)
        assert ".ofd" in payload(tmp_path / "网页.zip")
    finally:
        server.stop()
