"""Font roles for PDF: which installed face serves each, fallbacks, `fupin fonts`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.compose.tree import Colophon, ComposedDocument, Header, Paragraph, Run, Title
from fupin_docs.render.pdf import FontSetupError, render_pdf
from fupin_docs.render.pdf.fonts import (ROLES, RoleFaces, find_face, missing_chars,
                                         missing_faces_message, resolve_faces)
from fupin_docs.workspace.config import Config, FontConfig

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out


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
    assert set(roles["body"]) >= {"role", "name", "label", "face", "file", "candidates", "installed",
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
    # no GB 2312 copies; only small single-file faces loaded by their own file
    assert [f for f in families["font_faces"] if "GB2312" in f["family"]] == []
    assert families["fam"]["title"] == faces["title"].css_family
    body = faces["body"].primary  # FandolFang: small enough to embed as it is
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert derived_face(body.family, body.file, body.index) is None


# --- the faces the PDF really draws with, read back from the file ---------------------

import io  # noqa: E402
import re  # noqa: E402

import pypdf  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402

from fupin_docs.compose import compose  # noqa: E402
from fupin_docs.compose.tree import Heading, Signature  # noqa: E402
from fupin_docs.inputs import load_document  # noqa: E402
import layout_standard as S  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED = Path(__file__).resolve().parent / "data" / "seed"


def runs(path: Path, page: int = 0):
    """(text, x, baseline from the top, size in pt, font dict) of every text run of PAGE."""
    reader = pypdf.PdfReader(str(path))
    pg = reader.pages[page]
    height = float(pg.mediabox.height)
    out = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = height - (tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            out.append((text.replace("\n", ""), x, y, size * abs(tm[3] * cm[3]), font))

    pg.extract_text(visitor_text=visit)
    return out


def embedded_program(font) -> TTFont:
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
    return TTFont(io.BytesIO(stream.get_object().get_data()))


def test_page_numbers_are_sihao_song_regular(tmp_path):
    """Page numbers: 四号 宋体 (§7.5), the regular weight. fontconfig matches the
    family FandolSong to FandolSong-Bold (both files declare weight 400), which
    drew every page number bold."""
    doc = compose(load_document(EXAMPLES / "notice-回头看督查通知.yaml"), Config())
    target = tmp_path / "notice.pdf"
    result = render_pdf(doc, target, config=Config())
    fonts = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True, check=True).stdout
    song = [line.split() for line in fonts.splitlines()[2:] if "FandolSong" in line]
    assert song and all(row[-5:-3] == ["yes", "yes"] for row in song), fonts  # embedded, subset
    for page in range(result.pages):
        numbers = [r for r in runs(target, page) if re.fullmatch(r"—\s*\d+\s*—", r[0])]
        assert len(numbers) == 1, (page, [r[0] for r in runs(target, page)])
        text, _, _, size, font = numbers[0]
        assert abs(size - S.SIHAO_PT) < 0.01  # 四号
        assert "FandolSong" in font["/BaseFont"]  # the 宋体 stand-in
        program = embedded_program(font)
        names = " ".join(str(program["name"].getDebugName(i)) for i in (1, 2, 4, 6, 16, 17))
        assert "Bold" not in names, names
        assert program["name"].getDebugName(2) == "Regular" or program["name"].getDebugName(17) == "Regular"
        assert not program["OS/2"].fsSelection & 0x20 and not program["head"].macStyle & 0x1  # bold bits
        assert program["OS/2"].usWeightClass == 400


def ink(path: Path, page: int, box: tuple[float, float, float, float], dpi: int = 300) -> float:
    """Darkness inside BOX (x0, y0, x1, y1 in pt from the top-left corner)."""
    data = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page + 1), "-l", str(page + 1),
                           str(path)], capture_output=True, check=True).stdout
    header, size, _, pixels = data.split(b"\n", 3)
    width, _ = map(int, size.split())
    x0, y0, x1, y1 = (int(v * dpi / 72) for v in box)
    return sum(255 - pixels[row * width + col] for row in range(y0, y1) for col in range(x0, x1))


def glyph_ink(path: Path, char: str, font_filter, page: int = 0) -> tuple[float, str]:
    """Ink of the first CHAR drawn in a font whose BaseFont passes FONT_FILTER,
    and that font's name. Its box: one em from its pen position, ascent 0.88 em."""
    for text, x, y, size, font in runs(path, page):
        name = font["/BaseFont"].split("+")[-1]
        if char in text and font_filter(name):
            before = text[:text.index(char)]
            assert all(ord(c) > 0x2E80 for c in before), text  # full-width: one advance each
            left = x + len(before) * (S.CHAR_PITCH_PT if abs(size - 16) < 0.01 else size)
            return ink(path, page, (left, y - 0.88 * size, left + size, y + 0.12 * size)), name
    raise AssertionError(f"{char} not drawn in a matching face")


def test_a_traditional_character_is_drawn_in_a_face_of_its_roles_style_and_weight(tmp_path):
    """脫 (Traditional, not in FandolFang): per-glyph fallback to a face of the
    same style, and about as dark as the 仿宋 around it — not a regular-weight
    宋 that stands out as bold. Real text: three paragraphs of the seed
    document (Traditional), a 黑体 heading and a simplified paragraph."""
    seed = [line.strip() for line in (SEED / "000_0e8534d207336784.txt").read_text(encoding="utf-8").splitlines()
            if not line.startswith("SOURCE")]
    paragraphs = [line for line in seed if "脫" in line and len(line) > 40][:3]
    assert len(paragraphs) == 3
    doc = ComposedDocument(
        kind="notice", kind_label="督查通知", header=Header(mark="某某镇人民政府文件", doc_number="某政发〔2020〕12号"),
        blocks=(Title("关于巩固脱贫成果和脫貧攻堅的通知"),
                Paragraph((Run("巩固拓展脱贫攻坚成果，接续推进乡村振兴。"),)),
                Paragraph((Run(paragraphs[0]),)),
                Heading(1, "一、脫貧成效脱贫成效"),
                Paragraph((Run(paragraphs[1]),)), Paragraph((Run(paragraphs[2]),)),
                Signature("某某镇人民政府", "2020年6月8日")),
        colophon=Colophon(printer="某某镇党政综合办公室", print_date="2020年6月8日"),
        metadata={"title": "t", "issuer": "某某镇人民政府"})
    target = tmp_path / "traditional.pdf"
    result = render_pdf(doc, target, config=Config())
    assert "脫" in result.fallback_chars["仿宋"]  # FandolFang lacks it: a fallback draws it
    # 仿宋 body: 脫 from the fallback against 脱 from FandolFang, same line height and size
    simplified, primary = glyph_ink(target, "脱", lambda n: "Fandol" in n)
    traditional, fallback = glyph_ink(target, "脫", lambda n: "Fandol" not in n and "Sans" not in n
                                      and "Black" not in n and "Heavy" not in n and "UKai" not in n)
    assert "Serif" in fallback or "Ming" in fallback or "Song" in fallback, fallback  # serif for 仿宋
    # Measured 脫/脱 ink: Noto Serif CJK SC Regular (the old fallback) 1.61,
    # Light 1.45, ExtraLight 1.32. Part of it is the glyphs' own difference; a
    # regular-weight 宋 next to 仿宋 is what reads as bold.
    assert traditional < 1.4 * simplified, (fallback, traditional / simplified)
    # 小标宋 title and 黑体 heading: the fallback is the same family and weight
    names = {r[4]["/BaseFont"].split("+")[-1] for r in runs(target) if "脫" in r[0]}
    assert any("Heavy" in n for n in names), names  # title: the full Black face
    assert any("Sans" in n for n in names), names  # 黑体: a sans face


def test_the_pack_catalogue_draws_a_traditional_title_like_the_documents(tmp_path):
    """The 目录 of an evidence pack lists titles in 仿宋: 脫 comes from the same
    light serif fallback as in a 公文, not from a regular-weight face."""
    from fupin_docs.pack.catalog import CatalogHeader, CatalogRow, render_catalog

    target = tmp_path / "catalogue.pdf"
    target.write_bytes(render_catalog(CatalogHeader(title="佐证材料目录", unit="某某镇", date="2020年6月8日"),
                                      [CatalogRow(seq=1, archive_no="0001", title="關於鞏固脫貧成果的通知")]))
    names = {r[4]["/BaseFont"].split("+")[-1] for r in runs(target) if "脫" in r[0]}
    assert names and all("Light" in n for n in names), names
