"""The .docx renderer: every GB/T 9704 property read back from real files."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_SECTION
from docx_helpers import (template_with, HOSTILE, NS, W, body_paragraphs, grid_document, hostile_document, in_order, part,
                          reading_words, short_document, style_of, text_of,
                          three_signers_document)

import dataclasses

from fupin_docs.compose import compose
from fupin_docs.compose.tree import Signature
from fupin_docs.inputs import load_document
import layout_standard as S

from fupin_docs.render.docx import TemplateError, builtin_template, render_docx
from fupin_docs.render.docx.build_template import build
from fupin_docs.render.docx.finish import colophon_lines, lo_width_pt
from fupin_docs.render.docx.ooxml import width_chars
from fupin_docs.workspace.config import Config

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
TWIPS_PER_MM = S.PT_PER_MM * 20
TEXT_WIDTH_TWIPS = S.TEXT_WIDTH_TWIPS  # 156 mm


def grid_pitch_twips(path: Path) -> int:
    """The body section's document grid line pitch (w:docGrid/@w:linePitch), in
    twips: the first section's, whose w:sectPr ends the body's last paragraph
    (the 版记 section after it has no grid)."""
    first = next(part(path, "word/document.xml").iter(f"{W}sectPr"))
    return int(first.find("w:docGrid", NS).get(f"{W}linePitch"))


def char_twips(path: Path) -> int:
    """One 字 of body text as Word lays it out: the default size plus the default
    character spacing (w:spacing/@w:val, twentieths of a point), in twips."""
    rpr = part(path, "word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    return int(rpr.find("w:sz", NS).get(f"{W}val")) * 10 + int(rpr.find("w:spacing", NS).get(f"{W}val"))


# One 字 of body text in the built-in template (its width is checked against
# 156 mm / 28 in test_grid_gives_22_lines_of_28_characters).
ZI_TWIPS = char_twips(builtin_template())


def chars(n: float) -> int:
    """N 字 of body text, in twips."""
    return round(n * ZI_TWIPS)


def assert_line_pitch(twips: int) -> None:
    # 22 lines and no 23rd in the 225 mm 版心 (§5.2.3). Word needs whole twips:
    # 580 (29.0 pt) overflows 225 mm by 4 twips and leaves 21 lines, so 579
    # (28.95 pt) it is; 28.9–29.0 pt admits that and fails 21 or 23 lines a page
    # or a 版心 1 mm taller or shorter.
    assert S.LINE_PITCH_MIN_PT * 20 <= twips <= S.LINE_PITCH_MAX_PT * 20, twips
    assert 22 * twips <= S.TEXT_HEIGHT_TWIPS < 23 * twips, twips


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every example and the hostile document, rendered once: {name: (ComposedDocument, path)}."""
    out = tmp_path_factory.mktemp("docx")
    docs = {}
    for example in EXAMPLES:
        doc = compose(load_document(example), Config())
        docs[doc.kind] = (doc, render_docx(doc, out / f"{doc.kind}.docx", config=Config()))
    for name, doc in (("hostile", hostile_document()), ("sealed", hostile_document(seal=True)),
                      ("short", short_document())):
        docs[name] = (doc, render_docx(doc, out / f"{name}.docx", config=Config()))
    return docs


def all_paths(rendered):
    return [path for _, path in rendered.values()]


def test_examples_exist():
    assert {p.name.split("-")[0] for p in EXAMPLES} == {"plan", "notice", "minutes", "rectification"}


def test_page_setup(rendered):
    for path in all_paths(rendered):
        document = docx.Document(str(path))
        for section in document.sections:
            assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
            assert abs(section.top_margin.mm - 37) < 0.1 and abs(section.bottom_margin.mm - 35) < 0.1
            assert abs(section.left_margin.mm - 28) < 0.1 and abs(section.right_margin.mm - 26) < 0.1
        assert_line_pitch(grid_pitch_twips(path))


def test_grid_gives_22_lines_of_28_characters(rendered):
    for path in all_paths(rendered):
        body = part(path, "word/document.xml").find(".//w:body/w:sectPr", NS)
        size, margins = body.find("w:pgSz", NS), body.find("w:pgMar", NS)
        height = int(size.get(f"{W}h")) - int(margins.get(f"{W}top")) - int(margins.get(f"{W}bottom"))
        width = int(size.get(f"{W}w")) - int(margins.get(f"{W}left")) - int(margins.get(f"{W}right"))
        assert abs(height - S.TEXT_HEIGHT_TWIPS) < 3 and abs(width - TEXT_WIDTH_TWIPS) < 3  # 225 × 156 mm
        pitch = grid_pitch_twips(path)
        assert_line_pitch(pitch)
        assert 22 * pitch <= height < 23 * pitch
        # 28 三号 characters a line (§5.2.3): a 字 of 16 pt plus the character
        # spacing is at most 156 mm / 28 ≈ 15.79 pt and more than 156 mm / 29
        advance = char_twips(path)
        assert 28 * advance <= width < 29 * advance, advance
        assert 28 * advance <= TEXT_WIDTH_TWIPS < 29 * advance, advance


def test_fonts_in_defaults_styles_and_theme(rendered):
    path = rendered["plan"][1]
    styles = part(path, "word/styles.xml")
    fonts = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    assert fonts.get(f"{W}eastAsia") == "仿宋_GB2312" and fonts.get(f"{W}ascii") == "Times New Roman"
    assert styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:sz", NS).get(f"{W}val") == "32"
    # 16 pt glyphs on a 156 mm / 28 ≈ 15.79 pt pitch: −0.21 pt each, floored to
    # Word's twentieths of a point (−5, −0.25 pt), so 28 still fit a line
    assert styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:spacing", NS).get(f"{W}val") == "-5"
    spacing = styles.find("w:docDefaults/w:pPrDefault/w:pPr/w:spacing", NS)
    assert spacing.get(f"{W}lineRule") == "exact" and spacing.get(f"{W}line") == str(grid_pitch_twips(path))
    assert_line_pitch(int(spacing.get(f"{W}line")))
    for node in styles.iter(f"{W}rFonts"):
        assert node.get(f"{W}eastAsiaTheme") is None and node.get(f"{W}asciiTheme") is None

    def style(style_id):
        return styles.find(f"w:style[@w:styleId='{style_id}']", NS)

    def east_asia(style_id):
        node = style(style_id).find("w:rPr/w:rFonts", NS)
        return None if node is None else node.get(f"{W}eastAsia")

    title = style("GwTitle")
    assert east_asia("GwTitle") == "方正小标宋简体"
    assert title.find("w:rPr/w:sz", NS).get(f"{W}val") == "44"
    assert title.find("w:rPr/w:b", NS).get(f"{W}val") == "0"
    assert title.find("w:pPr/w:jc", NS).get(f"{W}val") == "center"
    assert east_asia("GwHeading1") == "黑体" and east_asia("GwHeading2") == "楷体_GB2312"
    assert east_asia("GwHeading3") == east_asia("GwHeading4") == "仿宋_GB2312"
    for sid in ("GwBody", "GwHeading1", "GwHeading2", "GwHeading3", "GwHeading4", "GwNote"):
        assert style(sid).find("w:pPr/w:ind", NS).get(f"{W}firstLine") == str(chars(2)), sid
    assert east_asia("GwHei") == "黑体" and east_asia("GwKai") == "楷体_GB2312"
    mark = style("GwMark")
    assert east_asia("GwMark") == "方正小标宋简体"
    assert mark.find("w:rPr/w:color", NS).get(f"{W}val") == S.MARK_COLOR_HEX
    lang = part(path, "word/settings.xml").find("w:themeFontLang", NS)
    assert lang.get(f"{W}eastAsia") == "zh-CN"  # not python-docx's ja-JP: Word would take the Japanese theme face
    with zipfile.ZipFile(path) as z:
        theme = z.read("word/theme/theme1.xml").decode()
    assert '<a:ea typeface="仿宋_GB2312"/>' in theme and '<a:latin typeface="Times New Roman"' in theme


# The CJK faces a stock Windows 10/11 (zh-CN) ships, by Chinese and English
# family name: what Word and WPS can fall back to when a 公文 face is missing.
STOCK_WINDOWS_FACES = {"仿宋": "FangSong", "楷体": "KaiTi", "黑体": "SimHei", "宋体": "SimSun"}
# The standard's roles (§7: 仿宋 body, 楷体 level 2, 小标宋 title) and the stock
# face of the same style each falls back to (小标宋 has none: 宋体 is the serif).
ROLE_FALLBACK = {"仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "方正小标宋简体": "宋体"}


def test_font_table_names_stock_windows_fallbacks(rendered, tmp_path):
    # Every face the styles name is declared in word/fontTable.xml; one a stock
    # Windows PC lacks names the stock face of its style as w:altName, with
    # panose, GB2312 charset and family, so Word/WPS keep 仿宋/楷体/黑体 apart.
    from fupin_docs.workspace.config import FontConfig

    configured = render_docx(short_document(), tmp_path / "f.docx",
                             config=Config(fonts=FontConfig(docx_body="仿宋", docx_heading2="楷体_GB2312")))
    for path in all_paths(rendered) + [configured]:
        styles = part(path, "word/styles.xml")
        named = {node.get(f"{W}eastAsia") for node in styles.iter(f"{W}rFonts")} - {None}
        table = {f.get(f"{W}name"): f for f in part(path, "word/fontTable.xml").findall("w:font", NS)}
        assert named <= set(table), (path.name, named - set(table))
        for name in named:
            entry = table[name]
            alt = entry.find("w:altName", NS)
            stock = name in STOCK_WINDOWS_FACES or name in STOCK_WINDOWS_FACES.values()
            if not stock:
                assert alt is not None and alt.get(f"{W}val") in STOCK_WINDOWS_FACES, (path.name, name)
            if name in ROLE_FALLBACK:
                assert alt.get(f"{W}val") == ROLE_FALLBACK[name], name
            assert entry.find("w:charset", NS).get(f"{W}val") == "86", name  # GB2312
            panose = entry.find("w:panose1", NS).get(f"{W}val")
            assert len(panose) == 20 and panose != "0" * 20, name
            assert entry.find("w:family", NS) is not None and entry.find("w:pitch", NS) is not None
    names = {f.get(f"{W}name") for f in part(configured, "word/fontTable.xml").findall("w:font", NS)}
    assert "仿宋" in names and "仿宋_GB2312" not in names


def test_fupin_fonts_names_missing_standard_faces(tmp_path):
    # `fupin fonts` says which of the standard's faces this machine lacks and
    # what stands in for each (once it named only the substitutes).
    import json
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "fonts", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    roles = {r["role"]: r for r in json.loads(run("--json").stdout)["roles"]}
    text = run().stdout
    expected = {"title": "方正小标宋简体", "body": "仿宋_GB2312", "h1": "黑体", "h2": "楷体_GB2312", "page": "宋体"}
    for role, face in expected.items():
        row = roles[role]
        assert row["standard"] == face
        installed = bool(subprocess.run(["fc-list", f":family={face}", "family"], capture_output=True,
                                        text=True).stdout.strip())
        assert row["standard_installed"] == installed, face
        if not installed:
            assert row["stand_in"] == row["face"] and row["stand_in"] != face
            assert f"缺少标准字体 {face}" in text and row["stand_in"] in text, text
        if face in ROLE_FALLBACK:
            assert row["word_fallback"] == ROLE_FALLBACK[face]
        elif face in STOCK_WINDOWS_FACES:
            assert row["word_fallback"] is None  # every Windows PC has it


def test_headings_and_runs_keep_their_font_roles(rendered):
    path = rendered["hostile"][1]
    paras = body_paragraphs(path)
    styles = [style_of(p) for p in paras]
    for level in (1, 2, 3, 4):
        assert f"GwHeading{level}" in styles
    inline = next(p for p in paras if style_of(p) == "GwBody" and "（一）" in text_of(p))
    runs = inline.findall("w:r", NS)
    assert runs[0].find("w:rPr/w:rStyle", NS).get(f"{W}val") == "GwKai"
    assert runs[1].find("w:rPr/w:rStyle", NS) is None


def test_hint_on_shared_punctuation(rendered):
    for path in all_paths(rendered):
        count = 0
        for run in part(path, "word/document.xml").iter(f"{W}r"):
            text = "".join(t.text or "" for t in run.iter(f"{W}t"))
            if any(ch in text for ch in "“”—…·"):
                count += 1
                assert run.find("w:rPr/w:rFonts", NS).get(f"{W}hint") == "eastAsia", text
        assert count > 0 or path.name == "short.docx", path.name


def test_mark_fits_the_text_width_and_sits_35mm_down(rendered):
    for doc, path in rendered.values():
        mark = next(p for p in body_paragraphs(path) if style_of(p) == "GwMark")
        assert text_of(mark) == doc.header.mark
        size = int(mark.find("w:r/w:rPr/w:sz", NS).get(f"{W}val")) / 2
        assert S.MARK_MIN_SIZE_PT <= size <= S.MARK_MAX_SIZE_PT
        if S.MARK_MIN_SIZE_PT < size:
            assert width_chars(doc.header.mark) * size <= S.TEXT_WIDTH_PT  # shrunk to fit 156 mm
        before = int(mark.find("w:pPr/w:spacing", NS).get(f"{W}before"))
        header_lines = [p for p in body_paragraphs(path) if style_of(p) == "GwHeaderLine"]
        assert len(header_lines) == 3
        styles = part(path, "word/styles.xml")
        line = styles.find("w:style[@w:styleId='GwHeaderLine']/w:pPr/w:spacing", NS)
        assert line.get(f"{W}lineRule") == "exact"
        top_mm = (before + 3 * int(line.get(f"{W}line"))) / TWIPS_PER_MM
        assert abs(top_mm - 35) < 0.3  # 标志 top edge 35 mm below the 版心 top (§7.2.3)
    minutes = rendered["minutes"][0]
    assert minutes.header.mark.endswith("纪要")


def test_header_lines_doc_number_and_separator(rendered):
    doc, path = rendered["hostile"]
    paras = body_paragraphs(path)
    lines = [p for p in paras if style_of(p) == "GwHeaderLine"]
    assert [text_of(p) for p in lines] == ["000001", "机密★1年", "特急"]
    assert lines[1].find("w:r/w:rPr/w:rStyle", NS).get(f"{W}val") == "GwHei"
    assert lines[0].find("w:r/w:rPr/w:rStyle", NS) is None
    styles = part(path, "word/styles.xml")
    for sid in ("GwDocNumber", "GwDocNumberSigned"):
        bottom = styles.find(f"w:style[@w:styleId='{sid}']/w:pPr/w:pBdr/w:bottom", NS)
        assert bottom.get(f"{W}color") == S.MARK_COLOR_HEX
        # w:space counts from the bottom of the exact line, below the characters'
        # bottom: less than 4 mm (test_red_separator_4mm_below_the_doc_number
        # measures the 4 mm in LibreOffice)
        assert 0 < int(bottom.get(f"{W}space")) < 4 * S.PT_PER_MM
        assert abs(int(bottom.get(f"{W}sz")) / 8 - S.SEPARATOR_THICKNESS_MM * S.PT_PER_MM) < 0.1
        # the border spans the paragraph, which has no indent: the 版心's 156 mm
        assert styles.find(f"w:style[@w:styleId='{sid}']/w:pPr/w:ind", NS).get(f"{W}left") == "0"
    # 上行文: doc number 1 字 in from the left, 签发人 label 仿宋 + names 楷体 (two on
    # this line), the tab stops set per document (test_several_signers_two_a_line).
    signed = next(p for p in paras if style_of(p) == "GwDocNumberSigned")
    assert text_of(signed) == f"\t某政发〔2020〕7号\t签发人：张三\t{HOSTILE[5]}"
    assert signed.findall("w:r", NS)[-1].find("w:rPr/w:rStyle", NS).get(f"{W}val") == "GwKai"
    tabs = signed.findall("w:pPr/w:tabs/w:tab", NS)
    assert tabs[0].get(f"{W}pos") == str(chars(1))
    # 2 blank lines between 标志 and 发文字号, and between the red line and the title; 1 before 主送.
    order = [style_of(p) for p in paras]
    mark = order.index("GwMark")
    assert order[mark + 1:mark + 4] == ["GwBlank", "GwBlank", "GwDocNumberSigned"]
    assert order[mark + 4:mark + 7] == ["GwBlank", "GwBlank", "GwTitle"]
    title = len(order) - 1 - order[::-1].index("GwTitle", len(order) - order.index("GwAddressees"))
    assert order[title + 1:title + 3] == ["GwBlank", "GwAddressees"]
    plain = next(p for p in body_paragraphs(rendered["plan"][1]) if style_of(p) == "GwDocNumber")
    assert text_of(plain) == rendered["plan"][0].header.doc_number


def test_several_signers_two_a_line(tmp_path):
    # §7.2.5: several 签发人 in order, two names a line, wrapped names under the
    # first name, the block 1 字 from the right; the 发文字号 (1 字 from the left)
    # level with the last line, which alone carries the red separator.
    doc = three_signers_document(tmp_path)
    path = render_docx(doc, tmp_path / "signers.docx", config=Config())
    paras = body_paragraphs(path)
    lines = [p for p in paras if style_of(p) in ("GwSigners", "GwDocNumberSigned")]
    assert [text_of(p) for p in lines] == ["\t签发人：李明华\t张志强", "\t三政呈〔2020〕8号\t刘红梅"]
    assert style_of(lines[-1]) == "GwDocNumberSigned" and paras.index(lines[1]) == paras.index(lines[0]) + 1
    for p in lines:
        names = [r for r in p.findall("w:r", NS) if text_of(r) in doc.header.signers]
        assert names and all(r.find("w:rPr/w:rStyle", NS).get(f"{W}val") == "GwKai" for r in names)

    def stops(p):
        return [int(t.get(f"{W}pos")) for t in p.findall("w:pPr/w:tabs/w:tab", NS)]

    first, last = stops(lines[0]), stops(lines[1])
    assert last[0] == chars(1)  # 发文字号 1 字 in
    label = chars(4)  # “签发人：”
    assert first[0] + label == last[1]  # 刘红梅 under 李明华
    assert first[1] == last[2] == first[0] + label + chars(3 + 1)  # 张志强 1 字 after 李明华
    assert abs(first[1] + chars(3) - (TEXT_WIDTH_TWIPS - chars(1))) <= 2  # ends 1 字 from the right
    styles = part(path, "word/styles.xml")
    assert styles.find("w:style[@w:styleId='GwSigners']/w:pPr/w:pBdr", NS) is None


def replace_signature(doc, signature: Signature):
    return dataclasses.replace(doc, blocks=tuple(signature if isinstance(b, Signature) else b for b in doc.blocks))


def test_signature_positions_without_and_with_seal(rendered, tmp_path):
    for name, seal in (("hostile", False), ("sealed", True)):
        doc, path = rendered[name]
        paras = body_paragraphs(path)
        issuer = next(p for p in paras if style_of(p) == "GwSignature")
        date = next(p for p in paras if style_of(p) == "GwDate")
        assert text_of(date) == "2020年6月8日"
        left = int(issuer.find("w:pPr/w:ind", NS).get(f"{W}left")) / chars(1)
        date_left = int(date.find("w:pPr/w:ind", NS).get(f"{W}left")) / chars(1)
        if seal:
            # the lines as the standard counts them (the template turns the
            # Asian/Latin spacing off in both): “2020年6月8日” is 6 字
            s, d = width_chars(text_of(issuer), switch=0.0), width_chars(text_of(date), switch=0.0)
            assert d == 6
            assert abs(28 - (date_left + d) - 4) < 0.01  # date 4 字 from the right
            assert abs((left + s / 2) - (date_left + d / 2)) < 0.01  # 署名 centred over the date
        else:
            # No Asian/Latin spacing in these lines (the template turns it off):
            # “A&B公司人民政府” is 7.5 字, “2020年6月8日” 6 字.
            s = width_chars(text_of(issuer), switch=0.0)
            assert abs(28 - (left + s) - 2) < 0.01  # 署名 2 字 from the right
            assert abs(date_left - left - 2) < 0.01  # date 2 字 right of the 署名's first character
    # A 7-字 署名 over “2020年6月8日” (6 字, shorter): the 署名 2 字 from the
    # right, the date 2 字 right of its first character (§7.3.5.2); the date
    # still fits its line in LibreOffice, which adds 1/5 em at each of its five
    # Han/Latin switches (111.25 pt in the 111.45 pt left of its start).
    doc, path = rendered["short"]
    paras = body_paragraphs(path)
    issuer = next(p for p in paras if style_of(p) == "GwSignature")
    date = next(p for p in paras if style_of(p) == "GwDate")
    left = int(issuer.find("w:pPr/w:ind", NS).get(f"{W}left")) / chars(1)
    date_left = int(date.find("w:pPr/w:ind", NS).get(f"{W}left")) / chars(1)
    assert abs(28 - (left + 7) - 2) < 0.01
    assert abs(date_left - left - 2) < 0.01
    assert lo_width_pt(text_of(date)) <= (TEXT_WIDTH_TWIPS - chars(date_left)) / 20
    # “2020年6月28日” is 6.5 字 as the standard (and Word, WPS, the PDF) set it,
    # shorter than the 7-字 署名: the same places as above (the 署名 once moved
    # 2.5 字 left because LibreOffice sets that date 7.5 字 wide). The date's
    # right indent lets LibreOffice's wider date keep its line (119.2 pt: five
    # 1/5-em switches more), negative by no more than that overhang and 1 pt.
    long_date = render_docx(replace_signature(doc, Signature("某某镇人民政府", "2020年6月28日")),
                            tmp_path / "long-date.docx", config=Config())
    paras = body_paragraphs(long_date)
    issuer = next(p for p in paras if style_of(p) == "GwSignature")
    date = next(p for p in paras if style_of(p) == "GwDate")
    left = int(issuer.find("w:pPr/w:ind", NS).get(f"{W}left")) / chars(1)
    date_left = int(date.find("w:pPr/w:ind", NS).get(f"{W}left")) / chars(1)
    assert abs(28 - (left + 7) - 2) < 0.01
    assert abs(date_left - left - 2) < 0.01
    right = int(date.find("w:pPr/w:ind", NS).get(f"{W}right"))
    # LibreOffice 7.4, measured: “2020” 31.2 pt, “28” 15.6, “6” 8, 年月日 16 each, 3.2 pt a switch
    lo_date_pt = 31.2 + 16 + 8 + 16 + 15.6 + 16 + 5 * 3.2
    overhang = lo_date_pt - (TEXT_WIDTH_TWIPS - chars(date_left)) / 20
    assert overhang > 0 and -overhang * 20 - 30 <= right < -overhang * 20, (right, overhang)
    # a sealed signature leaves one more blank line for the seal
    assert len(body_paragraphs(rendered["sealed"][1])) == len(body_paragraphs(rendered["hostile"][1])) + 1


def test_signature_keeps_with_the_text_above(rendered, tmp_path):
    # §7.3.5: no page with only the 署名 and date — every paragraph from the last
    # paragraph of text down to the 署名 keeps with the next one; a last paragraph
    # of more than 3 lines is not kept whole (LibreOffice would move it whole and
    # leave its page empty) but has widow/orphan control, so a page break inside
    # it takes two of its lines along.
    long_last = render_docx(grid_document(closing=False), tmp_path / "long_last.docx", config=Config())
    cases = [(name, rendered[name][1]) for name in ("hostile", "plan", "rectification", "short")]
    for name, path in cases + [("long_last", long_last)]:
        issuer = next(p for p in body_paragraphs(path) if style_of(p) == "GwSignature")
        prev = issuer.getprevious()
        while prev.tag == f"{W}p" and style_of(prev) in ("GwBlank", "GwAttachmentNote"):
            assert prev.find("w:pPr/w:keepNext", NS) is not None, name
            prev = prev.getprevious()
        if name == "hostile":
            assert prev.tag == f"{W}tbl"  # a table above: the blank line after it keeps
        elif name == "long_last":
            assert prev.find("w:pPr/w:keepNext", NS) is None
            widow = prev.find("w:pPr/w:widowControl", NS)
            assert widow is not None and widow.get(f"{W}val") in (None, "1", "true", "on")
        else:
            assert text_of(prev) and prev.find("w:pPr/w:keepNext", NS) is not None, name
            assert len(text_of(prev)) <= 3 * 28 - 2


def test_widow_control_off_and_no_hanging_punctuation(rendered):
    # 孤行控制 off, so every page of running text holds its 22 lines (§5.2.3);
    # measured in LibreOffice by test_running_pages_hold_22_lines.
    for doc, path in rendered.values():
        styles = part(path, "word/styles.xml")
        default = styles.find("w:docDefaults/w:pPrDefault/w:pPr", NS)
        assert default.find("w:widowControl", NS).get(f"{W}val") == "0"
        normal = styles.find("w:style[@w:styleId='Normal']/w:pPr", NS)
        assert normal.find("w:widowControl", NS).get(f"{W}val") == "0"
        for style in styles.iterfind("w:style", NS):
            widow = style.find("w:pPr/w:widowControl", NS)
            assert widow is None or widow.get(f"{W}val") == "0", style.get(f"{W}styleId")
        # Line-final full-width marks: w:overflowPunct "1", which LibreOffice reads
        # as “no hanging punctuation” (test_no_text_outside_the_text_area).
        assert default.find("w:overflowPunct", NS).get(f"{W}val") == "1"


def test_attachment_note_hangs_after_the_label(rendered):
    doc, path = rendered["hostile"]
    notes = [p for p in body_paragraphs(path) if style_of(p) == "GwAttachmentNote"]
    assert [text_of(p) for p in notes] == [f"附件：1.\t{HOSTILE[11]}", f"2.\t{HOSTILE[12]}", "3.\t附件三"]
    ind = [p.find("w:pPr/w:ind", NS) for p in notes]
    left = int(ind[0].get(f"{W}left"))
    assert all(int(i.get(f"{W}left")) == left for i in ind)
    assert left - int(ind[0].get(f"{W}hanging")) == chars(2)  # “附件：” starts 2 字 in
    assert left - int(ind[1].get(f"{W}hanging")) == chars(2 + 3)  # later numbers under the first


def test_attendance_wraps_after_the_colon(rendered):
    doc, path = rendered["minutes"]
    paras = body_paragraphs(path)
    rows = [p for p in paras if style_of(p) == "GwAttendance"]
    assert [text_of(p).split("：")[0] for p in rows][:2] == ["出席", "请假"]
    for p in rows:
        label = p.findall("w:r", NS)[0]
        assert label.find("w:rPr/w:rStyle", NS).get(f"{W}val") == "GwHei"
        ind = p.find("w:pPr/w:ind", NS)
        label_width = chars(width_chars(text_of(label)))
        assert int(ind.get(f"{W}hanging")) == label_width
        assert int(ind.get(f"{W}left")) == chars(2) + label_width
    first = paras.index(rows[0])
    assert style_of(paras[first - 1]) == "GwBlank"


def test_problem_table(rendered):
    doc, path = rendered["rectification"]
    table = next(b for b in doc.blocks if type(b).__name__ == "Table")
    tbl = part(path, "word/document.xml").find(".//w:tbl", NS)
    widths = [int(c.get(f"{W}w")) for c in tbl.findall("w:tblGrid/w:gridCol", NS)]
    assert len(widths) == len(table.columns) and sum(widths) == TEXT_WIDTH_TWIPS
    rows = tbl.findall("w:tr", NS)
    assert rows[0].find("w:trPr/w:tblHeader", NS) is not None
    assert len(rows) == 1 + len(table.rows) >= 13
    assert [text_of(c) for c in rows[0].findall("w:tc", NS)] == [c.header for c in table.columns]
    assert [text_of(c) for c in rows[1].findall("w:tc", NS)] == list(table.rows[0])
    assert tbl.find("w:tblPr/w:tblW", NS).get(f"{W}w") == str(TEXT_WIDTH_TWIPS)


def test_page_number_footers(rendered):
    for path in all_paths(rendered):
        document = docx.Document(str(path))
        settings = part(path, "word/settings.xml")
        assert settings.find("w:evenAndOddHeaders", NS) is not None
        body, colophon = document.sections[0], document.sections[-1]
        assert len(document.sections) in (1, 2)
        # The 一字线's stroke 7 mm below the 版心 (§7.5): the footer distance runs
        # from the page's bottom edge to the bottom of the page number's line,
        # exactly one 四号 em (14 pt) tall, and a CJK face draws the dash's stroke
        # near the middle of its em, so the line's bottom lies 35 − 7 mm less
        # 0.35–0.65 em below that (the pixels through LibreOffice are measured in
        # test_docx_libreoffice.py). The footer once put the em box's top there.
        styles = part(path, "word/styles.xml")
        number = next(st for st in styles.findall("w:style", NS) if st.get(f"{W}styleId") == "GwPageNumber")
        spacing = number.find("w:pPr/w:spacing", NS)
        assert (spacing.get(f"{W}line"), spacing.get(f"{W}lineRule")) == (str(14 * 20), "exact")
        for section in document.sections:
            below_stroke_mm = (35 - 7) - section.footer_distance.mm
            assert 0.35 * 14 / S.PT_PER_MM < below_stroke_mm < 0.65 * 14 / S.PT_PER_MM, section.footer_distance.mm
        odd, even = body.footer._element, body.even_page_footer._element
        for footer, side, jc in ((odd, "right", "right"), (even, "left", "left")):
            p = footer.find("w:p", NS)
            assert p.find("w:pPr/w:jc", NS).get(f"{W}val") == jc
            assert p.find("w:pPr/w:ind", NS).get(f"{W}{side}") == str(1 * 14 * 20)  # 1 字 of 四号 in
            assert "PAGE" in "".join(t.text for t in footer.iter(f"{W}instrText"))
            assert text_of(footer).replace("1", "N") == "— N —"
        # A 版记 that does not share the body's last page is in a section that
        # starts on an even page (封四, §7.4), never restarting the numbering;
        # it keeps the body's numbered footers (§7.5) or, after a blank page,
        # has footers of its own that hold no number.
        sect = part(path, "word/document.xml").find("w:body/w:sectPr", NS)
        assert sect.find("w:pgNumType", NS) is None  # no restart
        if len(document.sections) == 2:
            assert colophon.start_type == WD_SECTION.EVEN_PAGE
            assert sect.find("w:type", NS).get(f"{W}val") == "evenPage"
            linked = [f.is_linked_to_previous for f in (colophon.footer, colophon.even_page_footer)]
            assert linked in ([True, True], [False, False])
            if linked == [False, False]:
                for footer in (colophon.footer, colophon.even_page_footer):
                    assert not text_of(footer._element) and not list(footer._element.iter(f"{W}instrText"))
        styles = part(path, "word/styles.xml")
        fonts = styles.find("w:style[@w:styleId='GwPageNumber']/w:rPr/w:rFonts", NS)
        assert fonts.get(f"{W}eastAsia") == "宋体" and fonts.get(f"{W}ascii") == "宋体"
        assert styles.find("w:style[@w:styleId='GwPageNumber']/w:rPr/w:sz", NS).get(f"{W}val") == "28"


def colophon_table(path: Path):
    """The 版记 table: the last table of the body, in the last section."""
    body = part(path, "word/document.xml").find("w:body", NS)
    return body.findall("w:tbl", NS)[-1]


def test_colophon(rendered):
    for doc, path in rendered.values():
        table = colophon_table(path)
        paras = list(table.iter(f"{W}p"))
        cc = [p for p in paras if style_of(p) == "GwColophonCc"]
        printed = [p for p in paras if style_of(p) == "GwColophonPrint"]
        assert len(printed) == 1 and paras[-1] is printed[0]
        assert text_of(printed[0]) == f"{doc.colophon.printer}\t{doc.colophon.print_date}印发"
        assert len(cc) == (1 if doc.colophon.cc else 0)
        if doc.colophon.cc:
            assert text_of(cc[0]) == f"抄送：{doc.colophon.cc}" and text_of(cc[0]).endswith("。")
        # A one-column table as wide as the 版心 draws the rules (paragraph borders
        # would start at the 1 字 indent and fall short of the 版心), one row per line.
        assert table.find("w:tblPr/w:tblW", NS).get(f"{W}w") == str(TEXT_WIDTH_TWIPS)
        assert [int(c.get(f"{W}w")) for c in table.findall("w:tblGrid/w:gridCol", NS)] == [TEXT_WIDTH_TWIPS]
        for side in ("left", "right", "top", "bottom"):
            assert table.find(f"w:tblPr/w:tblCellMar/w:{side}", NS).get(f"{W}w") == "0"
        assert len(table.findall("w:tr", NS)) == 1 + len(cc)
        eighths = S.eighths_of_pt
        borders = table.find("w:tblPr/w:tblBorders", NS)
        assert borders.find("w:top", NS).get(f"{W}sz") == str(eighths(0.35))  # first and last rule 0.35 mm
        assert borders.find("w:bottom", NS).get(f"{W}sz") == str(eighths(0.35))
        assert borders.find("w:insideH", NS).get(f"{W}sz") == str(eighths(0.25))  # middle rule 0.25 mm
        assert borders.find("w:left", NS).get(f"{W}val") == "nil"
        for p in paras:
            assert p.find("w:pPr/w:pBdr", NS) is None and p.find("w:pPr/w:framePr", NS) is None
        lines = 1 + len(cc)
        after = table.getnext()
        assert style_of(after) == "GwSectionBreak" and after.getnext().tag == f"{W}sectPr"
        position = table.find("w:tblPr/w:tblpPr", NS)
        if position is None:
            # On a page of its own: above it a spacer as tall as the 版心 (225 mm)
            # minus the 版记's lines and 6 pt (120 twips) of slack for the rules;
            # below it only the 1 pt paragraph ending the document.
            spacer = table.getprevious()
            assert style_of(spacer) == "GwColophonSpacer" and not text_of(spacer)
            height = int(spacer.find("w:pPr/w:spacing", NS).get(f"{W}line"))
            assert height == round(S.TEXT_HEIGHT_TWIPS) - lines * grid_pitch_twips(path) - 120
            assert spacer.find("w:pPr/w:spacing", NS).get(f"{W}lineRule") == "exact"
        else:
            # Under the body on its last page: a floating table placed from the
            # 版心's top edge at the same height, and from the page's left edge at
            # the 28 mm margin (§5.2.2), so the 版心's left edge.
            assert position.get(f"{W}vertAnchor") == "margin" and position.get(f"{W}horzAnchor") == "page"
            assert int(position.get(f"{W}tblpY")) == round(S.TEXT_HEIGHT_TWIPS) - lines * grid_pitch_twips(path) - 120
            assert abs(int(position.get(f"{W}tblpX")) - 28 * TWIPS_PER_MM) < 1
            assert not [p for p in body_paragraphs(path) if style_of(p) == "GwColophonSpacer"]
    styles = part(rendered["plan"][1], "word/styles.xml")
    cc_style = styles.find("w:style[@w:styleId='GwColophonCc']", NS)
    pr_style = styles.find("w:style[@w:styleId='GwColophonPrint']", NS)
    side = 1 * 14 * 20  # 1 字 of 四号 (§7.4)
    assert pr_style.find("w:pPr/w:ind", NS).get(f"{W}left") == str(side)
    assert pr_style.find("w:pPr/w:tabs/w:tab", NS).get(f"{W}pos") == str(TEXT_WIDTH_TWIPS - side)
    assert cc_style.find("w:pPr/w:ind", NS).get(f"{W}right") == str(side)
    assert int(cc_style.find("w:pPr/w:ind", NS).get(f"{W}left")) - \
        int(cc_style.find("w:pPr/w:ind", NS).get(f"{W}hanging")) == side
    assert cc_style.find("w:rPr/w:sz", NS).get(f"{W}val") == "28"


def test_colophon_line_estimate():
    from fupin_docs.compose.tree import Colophon

    def lines(cc):
        return colophon_lines(Colophon(printer="某办公室", print_date="2020年6月8日", cc=cc))

    assert lines(None) == 1
    assert lines("县扶贫办。") == 2
    # first line: 156 mm less 1 字 each side at 四号 → 30 characters; later lines also lose “抄送：”
    assert lines("甲" * 26 + "。") == 2 and lines("甲" * 28 + "。") == 3
    assert lines("甲" * 26 + "乙" * 28) == 3 and lines("甲" * 26 + "乙" * 29) == 4


def test_attachment_page_starts_with_label_on_line_one(rendered):
    doc, path = rendered["hostile"]
    paras = body_paragraphs(path)
    label = next(p for p in paras if style_of(p) == "GwAttachmentLabel")
    assert label.find("w:pPr/w:pageBreakBefore", NS) is not None
    assert text_of(label) == "附件1"
    i = paras.index(label)
    assert [style_of(p) for p in paras[i + 1:i + 3]] == ["GwBlank", "GwTitle"]
    assert not any(br.get(f"{W}type") == "page" for br in part(path, "word/document.xml").iter(f"{W}br"))


def test_attachment_title_in_trapezoid_lines(rendered):
    # The plan's 附件1 title (21 字) once wrapped its last character, “单”, onto a line of its own.
    doc, path = rendered["plan"]
    heading = next(b for b in doc.blocks if type(b).__name__ == "AttachmentHeading" and len(b.title) > 20)
    paras = body_paragraphs(path)
    label = next(i for i, p in enumerate(paras)
                 if style_of(p) == "GwAttachmentLabel" and text_of(p) == heading.label)
    lines = []
    for p in paras[label + 2:]:
        if style_of(p) != "GwTitle":
            break
        lines.append(text_of(p))
    assert "".join(lines) == heading.title and len(lines) >= 2
    assert all(len(line) * 22 <= S.TEXT_WIDTH_PT for line in lines)  # 二号 characters in 156 mm
    assert min(len(line) for line in lines) >= len(heading.title) // len(lines) - 2


def test_words_in_order(rendered):
    for doc, path in rendered.values():
        text = "\n".join(text_of(p) for p in body_paragraphs(path))
        ok, missing = in_order(text, reading_words(doc))
        assert ok, f"{path.name}: {missing!r} missing or out of order"


def test_hostile_text_comes_back_exactly(rendered):
    doc, path = rendered["hostile"]
    texts = [text_of(p) for p in body_paragraphs(path)]
    joined = "".join(texts)  # the title may be broken into lines anywhere between words
    for s in HOSTILE:
        assert s in joined, s
    assert f"关于{HOSTILE[1]}的通知{HOSTILE[2]}" in joined
    # python-docx (a second, independent reader) sees the same text
    document = docx.Document(str(path))
    assert any(p.text == f"{HOSTILE[3]}：" for p in document.paragraphs)


def test_template_by_name_path_and_workspace_override(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    shutil.copy(builtin_template(), own / "红头.docx")
    doc = short_document()
    out = render_docx(doc, tmp_path / "a.docx", config=Config(), template="红头", templates_dir=own)
    assert out.exists()
    out = render_docx(doc, tmp_path / "b.docx", config=Config(), template=own / "红头.docx")
    assert out.exists()
    with pytest.raises(TemplateError, match="找不到名为“不存在”的模板"):
        render_docx(doc, tmp_path / "c.docx", config=Config(), template="不存在", templates_dir=own)
    with pytest.raises(TemplateError, match="不存在"):
        render_docx(doc, tmp_path / "c.docx", config=Config(), template=tmp_path / "nope.docx")
    broken = tmp_path / "broken.docx"
    broken.write_text("not a zip")
    with pytest.raises(TemplateError, match="不是有效的 Word"):
        render_docx(doc, tmp_path / "c.docx", config=Config(), template=broken)
    assert not (tmp_path / "c.docx").exists()


@pytest.mark.parametrize("tag", [
    "{{ ''.__class__.__mro__ }}",
    "{{ header.__class__ }}",
    "{{ blocks.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ header.mark.format.__globals__ }}",
    "{% for b in blocks %}{{ b.__dict__ }}{% endfor %}",
])
def test_malicious_template_is_refused(tmp_path, tag):
    evil = template_with(tmp_path, tag)
    target = tmp_path / "out.docx"
    target.write_bytes(b"previous version")
    with pytest.raises(TemplateError, match="不安全|渲染失败"):
        render_docx(short_document(), target, config=Config(), template=evil)
    assert target.read_bytes() == b"previous version"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.docx")] == []


def test_broken_template_syntax_is_reported(tmp_path):
    evil = template_with(tmp_path, "{% if %}")
    with pytest.raises(TemplateError, match="语法错误"):
        render_docx(short_document(), tmp_path / "x.docx", config=Config(), template=evil)
    assert not (tmp_path / "x.docx").exists()


def test_committed_template_equals_a_fresh_build(tmp_path):
    fresh = build(tmp_path / "fresh.docx")
    committed = builtin_template()
    with zipfile.ZipFile(fresh) as a, zipfile.ZipFile(committed) as b:
        names = sorted(n for n in a.namelist() if n != "docProps/core.xml")
        assert names == sorted(n for n in b.namelist() if n != "docProps/core.xml")
        for name in names:
            assert a.read(name) == b.read(name), f"{name} differs: run python -m fupin_docs.render.docx.build_template"


def test_configured_fonts_replace_the_defaults(tmp_path):
    from fupin_docs.workspace.config import FontConfig

    config = Config(fonts=FontConfig(docx_body="仿宋", docx_heading2="楷体"))
    path = render_docx(short_document(), tmp_path / "f.docx", config=config)
    styles = part(path, "word/styles.xml")
    fonts = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    assert fonts.get(f"{W}eastAsia") == "仿宋"
    assert styles.find("w:style[@w:styleId='GwKai']/w:rPr/w:rFonts", NS).get(f"{W}eastAsia") == "楷体"


def test_colophon_placement_of_the_examples(rendered):
    # Where the 版记 goes follows from where the body ends (checked page by page
    # through LibreOffice in test_docx_libreoffice.py): the minutes, the plan and
    # the rectification end on an even page with room (one section, the 版记
    # floating at its bottom), the notice on p.5 (an even-page section, numbered),
    # and the hostile document, whose heading above a table parts the PDF's and
    # Word's page breaks, takes the even-page section.
    for name in ("minutes", "plan", "rectification", "notice", "hostile"):
        document = docx.Document(str(rendered[name][1]))
        floating = colophon_table(rendered[name][1]).find("w:tblPr/w:tblpPr", NS) is not None
        if name in ("minutes", "plan", "rectification"):
            assert len(document.sections) == 1 and floating, name
        else:
            assert len(document.sections) == 2 and not floating, name
            assert document.sections[-1].footer.is_linked_to_previous, name
