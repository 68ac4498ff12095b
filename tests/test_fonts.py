"""Font roles for PDF: which installed face serves each, fallbacks, `fupin fonts`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.compose.tree import Colophon, ComposedDocument, Header, Paragraph, Run, Title
from fupin_docs.render.pdf import FontSetupError, render_pdf
from fupin_docs.render.pdf.fonts import (ROLES, RoleFaces, find_face, missing_chars,
                                         missing_faces_message, resolve_faces)
from fupin_docs.workspace.config import Config, FontConfig


def test_every_role_has_an_installed_face_by_default():
    faces = resolve_faces(FontConfig())
    assert set(faces) == set(ROLES)
    assert faces["body"].primary.family == "FandolFang"
    assert faces["h1"].primary.family == "Noto Sans CJK SC"
    assert "Regular" in faces["h1"].primary.style  # not the Black weight of the same family
    assert faces["h2"].primary.family == "AR PL UKai CN"
    assert faces["title"].primary.family == "Noto Serif CJK SC Black"
    for rf in faces.values():
        assert Path(rf.primary.file).exists()
        assert "Noto Serif CJK SC" in rf.families  # per-glyph fallback


def test_configured_faces_come_first_and_missing_ones_are_skipped():
    fonts = FontConfig(pdf_body=("方正仿宋_不存在的字体", "Noto Serif CJK SC"))
    faces = resolve_faces(fonts)
    assert faces["body"].candidates[:2] == ("方正仿宋_不存在的字体", "Noto Serif CJK SC")
    assert faces["body"].primary.family == "Noto Serif CJK SC"
    assert "方正仿宋_不存在的字体" not in faces["body"].families


def test_configured_face_is_the_one_embedded(tmp_path):
    config = Config(fonts=FontConfig(pdf_body=("Noto Sans CJK SC",)))
    doc = ComposedDocument(kind="notice", kind_label="督查通知", header=Header(mark="某某镇人民政府文件"),
                           blocks=(Title("通知"), Paragraph((Run("正文用无衬线字体。"),))),
                           colophon=Colophon(printer="某某镇党政综合办公室", print_date="2020年6月8日"))
    target = tmp_path / "sans.pdf"
    render_pdf(doc, target, config=config)
    fonts = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts and "FandolFang" not in fonts


def test_face_names_cannot_break_out_of_the_css_string():
    rf = RoleFaces(role="body", primary=None, families=('仿宋"; } body { color: red', "FandolFang"),
                   candidates=())
    assert rf.css_family == '"仿宋  body  color red", "FandolFang"'


def test_missing_chars_uses_the_primary_cmap():
    face = find_face("FandolFang")
    assert missing_chars("脱贫攻坚", face) == ""
    assert missing_chars("村民𠀀家𠀀", face) == "𠀀"


def test_missing_face_message_names_what_to_install():
    faces = dict(resolve_faces(FontConfig()))
    faces["h2"] = RoleFaces(role="h2", primary=None, families=(), candidates=("楷体_GB2312", "AR PL UKai CN"))
    message = missing_faces_message(faces)
    assert "楷体" in message and "fonts-arphic-ukai" in message and "setup-system.sh" in message
    assert missing_faces_message(resolve_faces(FontConfig())) is None
    assert issubclass(FontSetupError, Exception)


def test_fupin_fonts_lists_roles_and_json(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--workspace", str(tmp_path), "fonts"])
    assert result.exit_code == 0, result.output
    assert "仿宋（正文）：FandolFang" in result.output
    result = runner.invoke(cli, ["--workspace", str(tmp_path), "fonts", "--json"])
    data = json.loads(result.output)
    assert data["ok"] is True and data["harfbuzz_subset"] is True
    roles = {row["role"]: row for row in data["roles"]}
    assert set(roles) == set(ROLES)
    assert roles["h1"]["face"] == "Noto Sans CJK SC" and roles["h1"]["install_hint"] is None
    assert set(roles["body"]) == {"role", "name", "label", "face", "file", "candidates", "installed",
                                  "fallbacks", "install_hint"}


def test_fupin_fonts_reads_fupin_toml(tmp_path):
    (tmp_path / "fupin.toml").write_text('[fonts]\npdf_heading2 = ["FandolKai"]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path), "fonts", "--json"])
    roles = {row["role"]: row for row in json.loads(result.output)["roles"]}
    assert roles["h2"]["face"] == "FandolKai"


def test_large_faces_are_embedded_from_their_gb2312_copies_and_rare_characters_from_the_full_face(tmp_path):
    from fupin_docs.render.pdf.fontcache import charset, derived_face
    from fupin_docs.render.pdf.fonts import face_cmap

    faces = resolve_faces(FontConfig())
    title = faces["title"].primary
    copy = derived_face(title.family, title.file, title.index)
    assert copy is not None and copy.stat().st_size < Path(title.file).stat().st_size / 3
    covered = face_cmap(str(copy), 0)
    assert ord("脱") in covered and ord("〔") in covered and ord("龘") not in covered
    full = face_cmap(title.file, title.index)
    assert set(charset()) & full <= covered  # nothing of GB 2312 the full face has is lost
    # 龘 (GBK, not GB 2312) and 𠀀 (Ext-B) in a title: the first from the full
    # 小标宋 face, the second from a fallback — never a blank box.
    doc = ComposedDocument(kind="notice", kind_label="督查通知", header=Header(mark="某某镇人民政府文件"),
                           blocks=(Title("关于龘村𠀀组脱贫攻坚的通知"), Paragraph((Run("正文。"),))),
                           colophon=Colophon(printer="某某镇党政综合办公室", print_date="2020年6月8日"))
    target = tmp_path / "rare.pdf"
    result = render_pdf(doc, target, config=Config())
    assert result.uncovered == ""
    assert "关于龘村𠀀组脱贫攻坚的通知" in subprocess.run(["pdftotext", str(target), "-"], capture_output=True,
                                                   text=True).stdout.replace("\n", "")
    fonts = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True).stdout
    names = [line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:]]
    assert any(n.startswith("Noto-Serif-CJK-SC-Black-GB2312-fupin") for n in names), names
    # the full Black face (Pango names it by family and weight: …-Heavy), not the regular weight
    assert any(n.startswith("Noto-Serif-CJK-SC") and "GB2312" not in n and n.endswith("Heavy")
               for n in names), names


def test_no_cache_directory_means_the_full_faces(tmp_path, monkeypatch):
    from fupin_docs.render.pdf.fontcache import derived_face
    from fupin_docs.render.pdf.html import font_families

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    faces = resolve_faces(FontConfig())
    title = faces["title"].primary
    assert derived_face(title.family, title.file, title.index) is None
    families = font_families(faces)
    assert families["font_faces"] == []
    assert families["fam"]["title"] == faces["title"].css_family
    body = faces["body"].primary  # FandolFang: small enough to embed as it is
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert derived_face(body.family, body.file, body.index) is None
