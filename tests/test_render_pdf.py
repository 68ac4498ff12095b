"""PDF renderer: every GB/T 9704 rule is checked from the written file
(pdfinfo / pdffonts / pdftotext -bbox-layout / pypdf), never from the HTML."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pypdf
import pytest

from fupin_docs.compose import compose
from fupin_docs.compose.plan import compose_plan
from fupin_docs.compose.tree import (Addressees, AttachmentNote, Attendance,
                                     Colophon, Column, ComposedDocument, Header, Heading, Note,
                                     Paragraph, Run, Signature, Table, Title,
                                     block_texts)
from fupin_docs.inputs import load_document, load_document_text
from fupin_docs.render.pdf import PdfResult, render_pdf, render_pdfs
from fupin_docs.workspace.config import Config
from conftest import in_order, squash
import layout_standard as S
from pdf_pixels import dark_bands, dark_spans, horizontal_strokes

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
PT = S.PT_PER_MM  # pt per mm
# The 版心's edges, in pt from the page's top-left corner: 37 mm top, 28 mm left,
# 156 × 225 mm (GB/T 9704 §5.2.2), written out in tests/layout_standard.py.
LEFT = S.TEXT_LEFT_PT
RIGHT = S.TEXT_RIGHT_PT
TOP = S.TEXT_TOP_PT
BOTTOM = S.TEXT_BOTTOM_PT
PITCH = S.LINE_PITCH_PT  # 225 mm / 22 lines ≈ 28.99 pt
CHAR = S.CHAR_PITCH_PT  # 156 mm / 28 字 ≈ 15.79 pt
CONFIG = Config()


# --- reading PDFs back ------------------------------------------------------------


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run(args + [str(path), "-"], capture_output=True, text=True, check=True).stdout


@dataclasses.dataclass
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def page_lines(path: Path, page: int) -> list[Line]:
    xml = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox-layout", "-f", str(page), "-l", str(page),
                          str(path), "-"], capture_output=True, text=True, check=True).stdout
    lines = []
    for m in re.finditer(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>',
                         xml, re.S):
        words = re.findall(r">([^<]*)</word>", m.group(5))
        text = "".join(words).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") \
            .replace("&quot;", '"').replace("&apos;", "'")
        lines.append(Line(*(float(m.group(i)) for i in range(1, 5)), text))
    return lines


def pdfinfo(path: Path) -> dict:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def pdffonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]



def body_text(path: Path) -> str:
    """The whole text with page numbers removed, whitespace squashed."""
    return re.sub(rf"{S.PAGE_NUMBER_DASH}\d+{S.PAGE_NUMBER_DASH}", "", squash(pdf_text(path)))


def table_cells(doc: ComposedDocument) -> list[str]:
    return [t for b in doc.blocks if isinstance(b, Table) for t in block_texts(b)]


def in_pieces(cell: str, text: str) -> bool:
    """CELL is in TEXT as a few pieces (its wrapped lines), each found whole."""
    rest = squash(cell)
    while rest:
        size = len(rest)
        while size and rest[:size] not in text:
            size -= 1
        if size < min(2, len(rest)):
            return False
        rest = rest[size:]
    return True


def words_outside_tables(doc: ComposedDocument) -> list[str]:
    """doc.words() without table cells: pdftotext reads a table row by
    position, so a cell's wrapped lines may come out after its neighbours'.
    Cells are checked one by one instead."""
    cells = table_cells(doc)
    words = list(doc.words())
    for cell in cells:
        words.remove(cell)
    return words


# --- documents ------------------------------------------------------------------

LONG = "脱贫攻坚挂牌督战工作扎实推进" * 160  # 2 240 CJK characters, no punctuation


def make_doc(blocks, header=None, colophon=None, kind="notice") -> ComposedDocument:
    return ComposedDocument(
        kind=kind, kind_label="督查通知",
        header=header or Header(mark="某某镇人民政府文件", doc_number="某政发〔2020〕12号"),
        blocks=tuple(blocks),
        colophon=colophon or Colophon(printer="某某镇党政综合办公室", print_date="2020年6月8日",
                                      cc="县扶贫开发领导小组办公室，县委督查室。"),
        metadata={"title": "测试文件", "issuer": "某某镇人民政府"},
    )


PLAN_YAML = """\
类型: 实施方案
发文字号: 某政发〔2020〕12号
成文日期: 2020-03-06
方案名称: 某某镇2020年脱贫攻坚挂牌督战实施方案
指导思想:
  - 以习近平新时代中国特色社会主义思想为指导，坚决打赢脱贫攻坚战。
主要任务:
  - 名称: 抓好“两不愁三保障”问题排查
    内容: [逐户排查义务教育、基本医疗、住房安全和饮水安全保障情况。]
    责任单位: 镇扶贫工作站
    完成时限: 2020-06-30
附件:
  - 名称: 挂牌督战工作领导小组成员名单
    内容: [组长：王某某（镇党委书记）]
"""


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdf")


@pytest.fixture(scope="module")
def grid_pdf(out_dir) -> tuple[Path, PdfResult]:
    doc = make_doc([
        Title("关于开展脱贫攻坚“回头看”专项督查工作的通知"),
        Addressees("各村（社区）党支部、村民委员会："),
        Heading(1, "一、督查内容"),
        Paragraph((Run("（一）排查范围。", "h2"), Run(LONG))),
        AttachmentNote(("督查组人员名单", "督查工作日程安排表")),
        Signature("某某镇人民政府", "2020年6月8日"),
        Note("此件公开发布"),
    ])
    target = out_dir / "grid.pdf"
    return target, render_pdf(doc, target, config=CONFIG)


def test_a4_pages_and_result(grid_pdf):
    path, result = grid_pdf
    info = pdfinfo(path)
    assert "595.276 x 841.89" in info["Page size"]
    assert int(info["Pages"]) == result.pages >= 4
    assert result.path == path and path.exists()
    assert not list(path.parent.glob(".*.part"))  # the temporary file is gone


def test_full_body_page_holds_22_lines_of_28_characters(grid_pdf):
    path, _ = grid_pdf
    lines = [ln for ln in page_lines(path, 2) if ln.y1 < BOTTOM + 1]  # page number excluded
    assert len(lines) == 22  # GB/T 9704 §5.2.3: 22 lines of 28 characters
    assert all(len(ln.text) == 28 for ln in lines), [len(ln.text) for ln in lines]
    assert all(abs((ln.y1 - ln.y0) - 16) < 0.5 for ln in lines)  # 三号 (FandolFang's box is its em)
    pitches = [b.y0 - a.y0 for a, b in zip(lines, lines[1:])]
    # the PDF uses the arithmetic pitch, 225 mm / 22 ≈ 28.99 pt; 0.05 pt covers
    # pdftotext's rounding of line boxes (one line more or less is ±1.4 pt)
    assert all(abs(p - PITCH) < 0.05 for p in pitches), pitches
    # text fills the 版心 from margin to margin and from top to bottom
    assert all(abs(ln.x0 - LEFT) < 0.5 for ln in lines)
    assert all(abs(ln.x1 - RIGHT) < 1.0 for ln in lines)
    assert TOP < lines[0].y0 < TOP + PITCH / 2
    assert BOTTOM - PITCH / 2 < lines[-1].y1 < BOTTOM


def test_page_numbers_alternate_sides_seven_mm_below_on_every_page_but_a_blank_one(grid_pdf):
    path, result = grid_pdf
    indent = 1 * S.SIHAO_PT  # 1 字 of 四号 in from the side (§7.5)
    blank = [page for page in range(1, result.pages + 1) if not page_lines(path, page)]
    for page in range(1, result.pages + 1):
        numbers = [ln for ln in page_lines(path, page) if ln.y0 > BOTTOM]
        if page in blank or page - 1 in blank:
            # §7.5: a blank page, and the 版记 page after it, may go unnumbered
            assert numbers == [] and page >= result.pages - 1
            continue
        assert [ln.text for ln in numbers] == [f"—{page}—"]
        number = numbers[0]
        # the 一字线's stroke (its upper edge, read off the pixels) 7 mm below the 版心, ±0.5 mm
        strokes = horizontal_strokes(path, page, BOTTOM + PT, S.PAGE_HEIGHT_MM * PT, 0.6 * S.SIHAO_PT)
        assert len(strokes) == 2 and all(abs(st[0] - (BOTTOM + 7 * PT)) <= 0.5 * PT for st in strokes), strokes
        assert number.y0 < strokes[0][0] < number.y1
        assert abs((number.y1 - number.y0) - S.SIHAO_PT) < 1.5  # 四号
        if page % 2:
            assert abs(number.x1 - (RIGHT - indent)) < 1.0
        else:
            assert abs(number.x0 - (LEFT + indent)) < 1.0
    assert result.pages % 2 == 0  # the 版记 on the last side, an even page
    fonts = {row[0].split("+", 1)[-1] for row in pdffonts(path)}
    assert any("FandolSong" in name for name in fonts)  # 宋体 numbers


def test_colophon_sits_at_the_bottom_of_the_last_page(grid_pdf):
    path, result = grid_pdf
    lines = page_lines(path, result.pages)
    printed = [ln for ln in lines if ln.text.endswith("印发")]
    cc = [ln for ln in lines if ln.text.startswith("抄送：")]
    assert printed and cc
    assert BOTTOM - PITCH < printed[-1].y1 < BOTTOM
    assert cc[0].y0 < printed[-1].y0
    # 抄送 and 印发机关 1 字 (四号) in; the date 1 字 from the right
    indent = 1 * S.SIHAO_PT  # 1 字 of 四号 (§7.4)
    assert abs(cc[0].x0 - (LEFT + indent)) < 1.0
    assert abs((cc[0].y1 - cc[0].y0) - 14) < 0.5 and abs((printed[-1].y1 - printed[-1].y0) - 14) < 0.5  # 四号
    words = re.findall(r"\S+", pdf_text(path, result.pages, result.pages))
    assert "某某镇党政综合办公室" in words
    date = [ln for ln in lines if ln.text == "2020年6月8日印发"]
    assert date and abs(date[0].x1 - (RIGHT - indent)) < 1.5
    # the three rules, 版心-wide: 0.35 / 0.25 / 0.35 mm, the last on the 版心's bottom edge
    bands = dark_bands(path, result.pages, x_pt=LEFT + 1.0)
    assert len([b for b in bands if b[0] > cc[0].y0 - PITCH]) == 3, bands
    rules = bands[-3:]
    thick = [bottom - top for top, bottom in rules]
    assert abs(thick[0] - 0.35 * PT) < 0.3
    assert abs(thick[1] - 0.25 * PT) < 0.3
    assert abs(thick[2] - 0.35 * PT) < 0.3
    assert abs(rules[-1][1] - BOTTOM) < 0.5
    assert dark_bands(path, result.pages, x_pt=RIGHT - 1.0)[-3:] and not dark_bands(path, result.pages, x_pt=LEFT - 2)


def test_header_mark_number_separator_and_title(grid_pdf):
    path, _ = grid_pdf
    lines = page_lines(path, 1)
    mark = next(ln for ln in lines if ln.text == "某某镇人民政府文件")
    # top edge 35 mm below the 版心 top: the em box is centred in the text box
    # pdftotext reports (ascent + descent), so its top is centre − size / 2
    size = S.MARK_MAX_SIZE_PT  # 9 字 fit at the largest size (the project's choice, 36 pt)
    em_top = (mark.y0 + mark.y1) / 2 - size / 2
    assert abs(em_top - (TOP + 35 * PT)) < 1.0  # 35 mm below the 版心 top (§7.2.3), within 1 pt
    centre = (LEFT + RIGHT) / 2
    assert abs((mark.x0 + mark.x1) / 2 - centre) < 2
    number = next(ln for ln in lines if ln.text == "某政发〔2020〕12号")
    assert abs((number.x0 + number.x1) / 2 - centre) < 2
    # the red separator: 4 mm below the 发文字号 (its 三号 em box; pdftotext's
    # line box is that em box), as wide as the 版心 (156 mm) (§7.2.6)
    rules = [b for b in dark_bands(path, 1, x_pt=LEFT + 1.0) if number.y1 < b[0] < number.y1 + 10 * PT]
    assert len(rules) == 1, rules
    top, bottom = rules[0]
    assert abs(top - (number.y1 + 4 * PT)) < 1.0, (top, number.y1)
    assert abs((bottom - top) - S.SEPARATOR_THICKNESS_MM * PT) < 0.3
    spans = dark_spans(path, 1, y_pt=(top + bottom) / 2)
    assert len(spans) == 1 and abs(spans[0][0] - LEFT) < 0.5 and abs(spans[0][1] - RIGHT) < 0.5, spans
    assert abs((spans[0][1] - spans[0][0]) - 156 * PT) < 1.0
    # 2 blank lines between 标志 and 发文字号
    mark_em_bottom = (mark.y0 + mark.y1) / 2 + size / 2
    assert 2 * PITCH < number.y0 - mark_em_bottom < 2.5 * PITCH
    # 22 二号 characters do not fit a 156 mm line: two centred lines, split between words
    start = next(i for i, ln in enumerate(lines) if ln.text.startswith("关于开展"))
    title = lines[start:start + 2]
    assert "".join(t.text for t in title) == "关于开展脱贫攻坚“回头看”专项督查工作的通知"
    assert all(abs((t.x0 + t.x1) / 2 - centre) < 2 for t in title)
    assert all(abs((t.x1 - t.x0) - 22 * len(t.text)) < 1 for t in title)  # 二号: full-width characters of 22 pt
    assert 2 * PITCH < title[0].y0 - number.y1 < 4 * PITCH
    # red: the 标志 and the separator are painted in the chosen red
    ops = pypdf.PdfReader(str(path)).pages[0].get_contents().get_data().decode("latin-1")
    r, g, b = (int(S.MARK_COLOR_HEX[i:i + 2], 16) / 255 for i in (0, 2, 4))
    assert re.search(rf"{r:.3f}\d* {g:g} {b:g} (rg|RG)", ops) or re.search(
        rf"{r:.2f}\d* 0 0 (rg|RG)", ops)
    fonts = {row[0].split("+", 1)[-1] for row in pdffonts(path)}
    assert any("Noto-Serif-CJK-SC" in f for f in fonts)  # 小标宋 stand-in


def test_signature_date_note_and_attachment_note_positions(grid_pdf):
    path, result = grid_pdf
    lines = [ln for p in range(1, result.pages + 1) for ln in page_lines(path, p)]
    issuer = next(ln for ln in lines if ln.text == "某某镇人民政府")
    date = next(ln for ln in lines if ln.text == "2020年6月8日")
    char = CHAR
    assert abs(issuer.x1 - (RIGHT - 2 * char)) < char / 2  # 署名 2 字 from the right (§7.3.5.2)
    assert abs(date.x0 - (issuer.x0 + 2 * char)) < char / 2  # date 2 字 right of its first character
    note = next(ln for ln in lines if ln.text == "（此件公开发布）")
    assert abs(note.x0 - (LEFT + 2 * char)) < 1
    first = next(ln for ln in lines if ln.text.startswith("附件："))
    second = next(ln for ln in lines if ln.text.startswith("2."))
    assert abs(first.x0 - (LEFT + 2 * char)) < 1
    assert abs(second.x0 - (first.x0 + 3 * char)) < 1  # “2.” under “1.”


def test_faces_are_embedded_and_subset(grid_pdf):
    path, _ = grid_pdf
    rows = pdffonts(path)
    assert rows
    for row in rows:
        emb, sub = row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), row
    names = " ".join(row[0] for row in rows)
    for face in ("FandolFang", "Noto-Sans-CJK-SC", "AR-PL-UKai", "FandolSong"):
        assert face in names, names


def test_text_extracts_back_as_the_input_words_for_a_composed_plan(out_dir):
    doc = compose_plan(load_document_text(PLAN_YAML), CONFIG)
    target = out_dir / "plan.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    assert in_order(doc.words(), body_text(target)) == []
    # the plan starts on a new page under its own title
    assert result.pages >= 3
    second = squash(pdf_text(target, 2, 2))
    assert second.startswith("某某镇2020年脱贫攻坚挂牌督战实施方案") or "实施方案" in second[:40]
    # the 附件 page: “附件” 黑体 on line 1, its title on line 3
    last = next(lines for lines in (page_lines(target, p) for p in range(2, result.pages + 1))
                if lines and lines[0].text == "附件")
    assert abs(last[0].x0 - LEFT) < 1
    title = last[1]
    assert title.text == "挂牌督战工作领导小组成员名单"
    assert 1.5 * PITCH < title.y0 - last[0].y0 < 3 * PITCH


HOSTILE = ["A&B <b>粗</b> {{ config }} {% if %} “引号” 'single' \"double\"",
           "村民𠀀家 😀 龘 張國榮 石峁村 峯"]


def test_hostile_text_comes_out_exactly_with_fallback_faces(out_dir):
    doc = make_doc([Title("关于<b>&“测试”的通知"), Paragraph((Run(HOSTILE[0]),)),
                    Paragraph((Run(HOSTILE[1]),)),
                    Attendance("出席", ("張國榮", "王𠀀")),
                    Signature("某某镇人民政府", "2020年6月8日")],
                   kind="minutes")
    target = out_dir / "hostile.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    text = body_text(target)
    assert in_order(doc.words(), text) == []
    for word in HOSTILE + ["关于<b>&“测试”的通知"]:
        assert squash(word) in text
    fallback = result.fallback_chars
    assert "𠀀" in fallback["仿宋"] and "😀" in fallback["仿宋"]
    assert "A" not in fallback["仿宋"]
    assert result.uncovered == ""  # every character found a face: no boxes
    names = " ".join(row[0] for row in pdffonts(target))
    assert "HanaMin" in names  # Ext-B from HanaMin, not a blank box


def test_table_header_repeats_on_every_page(out_dir):
    rows = tuple((str(i), f"某某村第{i}户", "住房安全有保障", "已整改") for i in range(1, 120))
    table = Table((Column("序号", 1, "center"), Column("户主", 3), Column("问题", 4), Column("状态", 2, "center")),
                  rows)
    doc = make_doc([Title("问题清单"), table])
    target = out_dir / "table.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    assert result.pages >= 3
    for page in range(1, result.pages):
        lines = page_lines(target, page)
        assert any(ln.text.replace(" ", "") == "序号户主问题状态" or "户主" in ln.text for ln in lines), page
        cells = [ln for ln in lines if ln.text.startswith("某某村第")]
        if cells:
            assert abs((cells[0].y1 - cells[0].y0) - S.TABLE_FONT_SIZE_PT) < 1.5
    # pdftotext reads a table's first rows column by column: the words outside
    # the table in order, every cell present
    text = body_text(target)
    assert in_order(words_outside_tables(doc), text) == []
    assert [cell for cell in table_cells(doc) if not in_pieces(cell, text)] == []


def test_minutes_attendance_wraps_aligned_after_the_colon(out_dir):
    names = tuple(f"第{i}村党支部书记张某某" for i in range(1, 9))
    doc = make_doc([Title("某某镇脱贫攻坚专题会议纪要"), Paragraph((Run("会议议定如下事项。"),)),
                    Attendance("出席", names), Attendance("列席", ("镇扶贫工作站全体人员",))],
                   header=Header(mark="某某镇人民政府会议纪要", doc_number="第3期"), kind="minutes")
    target = out_dir / "minutes.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    lines = [ln for p in range(1, result.pages + 1) for ln in page_lines(target, p)]
    start = next(i for i, ln in enumerate(lines) if ln.text.startswith("出席："))
    char = CHAR
    assert abs(lines[start].x0 - (LEFT + 2 * char)) < 1
    assert abs(lines[start + 1].x0 - (LEFT + 5 * char)) < 1  # aligned after “出席：”
    assert lines[start + 1].text[0] != "列"
    listed = next(ln for ln in lines if ln.text.startswith("列席："))
    assert abs(listed.x0 - (LEFT + 2 * char)) < 1
    fonts = " ".join(row[0] for row in pdffonts(target))
    assert "Noto-Sans-CJK-SC" in fonts  # labels in 黑体


def test_upward_document_puts_signers_on_the_number_line(out_dir):
    doc = make_doc([Title("关于脱贫攻坚整改情况的报告"), Paragraph((Run("现将整改情况报告如下。"),))],
                   header=Header(mark="某某镇人民政府文件", doc_number="某政报〔2020〕3号", signers=("王某某",)))
    target = out_dir / "report.pdf"
    render_pdf(doc, target, config=CONFIG)
    lines = page_lines(target, 1)
    number = next(ln for ln in lines if "某政报〔2020〕3号" in ln.text)
    signer = next(ln for ln in lines if "签发人" in ln.text)
    assert abs(number.y0 - signer.y0) < 1
    assert abs(number.x0 - (LEFT + CHAR)) < 1  # 1 字 from the left (§7.2.5)
    assert abs(signer.x1 - (RIGHT - CHAR)) < 1  # 1 字 from the right


def page_words(path: Path, page: int) -> list[Line]:
    xml = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [Line(*(float(m.group(i)) for i in range(1, 5)), m.group(5)) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', xml)]


def test_several_signers_stand_two_a_line_with_the_number_level_with_the_last(out_dir):
    """§7.2.5: 签发人 in order, two names a line, a wrapped name under the first name,
    the block 1 字 from the right; the 发文字号 on the last line, 1 字 from the left."""
    doc = make_doc([Title("关于脱贫攻坚整改情况的报告"), Paragraph((Run("现将整改情况报告如下。"),))],
                   header=Header(mark="某某镇人民政府文件", doc_number="某政报〔2020〕3号",
                                 signers=("李明华", "王芳", "欧阳建国")))
    target = out_dir / "signers.pdf"
    render_pdf(doc, target, config=CONFIG)
    words = page_words(target, 1)

    def word(text):
        return next(w for w in words if text in w.text)

    # pdftotext joins the label to the first name; compare the boxes' bottoms (faces differ in ascent)
    first, second, third = word("李明华"), word("王芳"), word("欧阳建国")
    number = word("某政报")
    assert abs(first.y1 - second.y1) < 1 and first.x1 < second.x0  # two names on the first line
    assert abs((third.y1 - first.y1) - PITCH) < 1  # the third on the next line of the grid
    assert abs(third.x0 - (first.x1 - 3 * CHAR)) < 1  # under the first name (3 字: 李明华)
    assert abs(number.y1 - third.y1) < 1.5 and abs(number.x0 - (LEFT + CHAR)) < 1
    assert second.x1 <= RIGHT - CHAR + 1 and "、" not in "".join(w.text for w in words[:12])
    assert sum("签发人" in w.text for w in words) == 1


def test_pdfa_variant(out_dir):
    doc = make_doc([Title("存档测试"), Paragraph((Run("长期保存。"),))])
    target = out_dir / "pdfa.pdf"
    render_pdf(doc, target, config=CONFIG, pdfa=True)
    reader = pypdf.PdfReader(str(target))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfaid:part" in xmp and re.search(r"pdfaid:part[^0-9]*2", xmp)
    assert re.search(r"pdfaid:conformance[^A-Z]*B", xmp)


def test_failure_leaves_no_partial_file(out_dir):
    class Unknown:  # a block type the renderer does not know
        pass

    target = out_dir / "broken.pdf"
    doc = make_doc([Title("坏文件"), Unknown()])
    with pytest.raises(TypeError):
        render_pdf(doc, target, config=CONFIG)
    assert not target.exists()
    assert not list(out_dir.glob(".broken.pdf.*"))


def test_batch_uses_two_processes_and_keeps_order(out_dir):
    docs = [make_doc([Title(f"第{i}号通知"), Paragraph((Run(f"第{i}份文件正文。"),))]) for i in range(4)]
    targets = [out_dir / "batch" / f"{i}.pdf" for i in range(4)]
    reported = []
    results = render_pdfs(list(zip(docs, targets)), config=CONFIG, jobs=2,
                          progress=lambda done, total: reported.append((done, total)))
    assert [r.path for r in results] == targets
    for i, target in enumerate(targets):
        assert f"第{i}号通知" in squash(pdf_text(target))
    assert reported[0] == (0, 4) and reported[-1] == (4, 4)
    assert [done for done, _ in reported] == sorted(done for done, _ in reported)


def signature_pages_without_text(path: Path, doc: ComposedDocument) -> list[int]:
    """Pages whose 署名 has no 正文 line above it (§7.3.5: the 署名 and date
    must share a page with the text; "此页无正文" is not allowed)."""
    pages = int(pdfinfo(path)["Pages"])
    bad = []
    for sig in (b for b in doc.blocks if isinstance(b, Signature)):
        for page in range(1, pages + 1):
            lines = page_lines(path, page)
            hits = [i for i, ln in enumerate(lines[:-1])
                    if ln.text == squash(sig.issuer) and lines[i + 1].text == squash(sig.date)]
            if not hits:
                continue
            above = [ln for ln in lines[:hits[-1]]
                     if not ln.text.startswith("附件：") and not re.match(r"\d+\.", ln.text)]
            if not above:
                bad.append(page)
    return bad


def test_signature_never_stands_alone_on_a_page(out_dir):
    # Body text that fills page 1 to its last line: 附件说明 and 署名 would
    # start page 2 on their own; the last lines of the 正文 must come along.
    filler = "脱贫攻坚挂牌督战工作扎实推进" * 2  # exactly one line (28 字)
    base = [Title("关于开展督查工作的通知"), Addressees("各村（社区）："),
            Paragraph((Run(filler * 3),))]
    results = []
    for extra in range(3):
        doc = make_doc(base + [Paragraph((Run(filler),))] * extra +
                       [AttachmentNote(("督查组人员名单", "督查工作日程安排表")),
                        Signature("某某镇人民政府", "2020年6月8日", seal=True), Note("此件公开发布")])
        target = out_dir / f"lonely-signature-{extra}.pdf"
        render_pdf(doc, target, config=CONFIG)
        results.append(signature_pages_without_text(target, doc))
        assert in_order(doc.words(), body_text(target)) == []
    assert results == [[], [], []]


def test_table_dates_wrap_only_after_the_year(out_dir):
    example = next(p for p in EXAMPLES if p.name.startswith("rectification"))
    doc = compose(load_document(example), CONFIG)
    dates = [cell for cell in table_cells(doc) if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", cell)]
    assert len(dates) >= 5
    target = out_dir / "table-dates.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    lines = [ln.text for p in range(1, result.pages + 1) for ln in page_lines(target, p)]
    # "2020年5" / "月31日" reads as a different date; "2020年" / "5月31日" is fine
    assert not [t for t in lines if re.search(r"\d{4}年\d{1,2}$|^月\d", t)], lines
    for date in dates:
        year, rest = date.split("年")
        assert date in lines or (f"{year}年" in lines and rest in lines), date


def test_long_unbroken_cell_text_wraps_inside_its_column(out_dir):
    # Fixed table layout: a token with no break opportunity (phone number,
    # file name) must wrap inside its cell, not spill over the next column.
    token = "0851-83221234转8801/13800138000"
    table = Table((Column("序号", 1, "center"), Column("问题", 6), Column("联系电话", 1)),
                  (("1", "住房安全有保障", token), ("2", "饮水安全有保障", "无")))
    doc = make_doc([Title("问题清单"), table])
    target = out_dir / "long-token.pdf"
    render_pdf(doc, target, config=CONFIG)
    lines = page_lines(target, 1)
    assert all(ln.x1 <= RIGHT + 0.5 for ln in lines), [(ln.text, ln.x1) for ln in lines if ln.x1 > RIGHT]
    assert in_pieces(token, body_text(target))


def headings_ending_a_page(path: Path, doc: ComposedDocument) -> list[str]:
    """Headings that are the last line of a page's text (their text went over)."""
    headings = {squash(b.text) for b in doc.blocks if isinstance(b, Heading)}
    out = []
    for page in range(1, int(pdfinfo(path)["Pages"])):
        text = [ln for ln in page_lines(path, page) if ln.y1 < BOTTOM + 1]
        if text and text[-1].text in headings:
            out.append(text[-1].text)
    return out


def test_heading_never_ends_a_page(out_dir):
    filler = "脱贫攻坚挂牌督战工作扎实推进" * 2  # one full line
    results = []
    for lines in (8, 9):  # with 8 lines the heading falls on the last line of page 1
        doc = make_doc([Title("关于开展督查工作的通知"), Paragraph((Run(filler * lines),)),
                        Heading(1, "二、督查方法"), Paragraph((Run(filler * 2),))])
        target = out_dir / f"heading-{lines}.pdf"
        render_pdf(doc, target, config=CONFIG)
        results.append(headings_ending_a_page(target, doc))
        assert in_order(doc.words(), body_text(target)) == []
    assert results == [[], []]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem.split("-")[0])
def test_every_example_renders_with_its_words_in_order(example, out_dir):
    doc = compose(load_document(example), CONFIG)
    target = out_dir / "examples" / f"{example.stem}.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    text = body_text(target)
    assert in_order(words_outside_tables(doc), text) == []
    assert [cell for cell in table_cells(doc) if not in_pieces(cell, text)] == []
    # the 版记 on an even page (封四), numbered: no example needs a blank page before it
    assert result.pages % 2 == 0
    assert [ln.text for ln in page_lines(target, result.pages) if ln.y0 > BOTTOM] == [f"—{result.pages}—"]
    assert all(row[-5:-3] == ["yes", "yes"] for row in pdffonts(target))
    assert signature_pages_without_text(target, doc) == []
    assert headings_ending_a_page(target, doc) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem.split("-")[0])
def test_body_end_says_where_the_written_pdf_ends_its_body(example, out_dir):
    # render/pdf's public body_end (the DOCX places its 版记 by it) names the
    # page and the grid line of the body's last line, as the written PDF has them.
    from fupin_docs.render.pdf import body_end

    doc = compose(load_document(example), CONFIG)
    end = body_end(doc, config=CONFIG)
    target = out_dir / "body-end" / f"{example.stem}.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    assert not result.tightened  # body_end lays out untightened
    colophon_first = squash("抄送：") if doc.colophon.cc else squash(doc.colophon.printer)
    last_page, last_bottom = 0, 0.0
    for page in range(1, result.pages + 1):
        lines = sorted((ln for ln in page_lines(target, page) if ln.y1 < BOTTOM + 1), key=lambda ln: ln.y0)
        cut = next((i for i, ln in enumerate(lines) if ln.text.startswith(colophon_first)), len(lines))
        if lines[:cut]:
            last_page, last_bottom = page, max(ln.y1 for ln in lines[:cut])
    assert end.page == last_page, (end, last_page)
    assert 1 <= end.lines <= S.LINES_PER_PAGE
    # the line's characters end inside grid line end.lines (16 pt in a 28.99 pt line)
    assert TOP + (end.lines - 1) * PITCH < last_bottom <= TOP + end.lines * PITCH, (end, last_bottom)
