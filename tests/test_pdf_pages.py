"""PDF pages of real, multi-paragraph documents against GB/T 9704: the 22-line
grid on every page, page numbers on every page but a blank one (and the 版记
page after it), the 版记 on an even page, no page left almost empty before the
署名, the faces of page numbers and of rare characters.

Everything is read back from the written PDF: baselines, sizes, faces and
positions of every text run through pypdf, page count through pdfinfo, faces
through pdffonts. The expected numbers are the standard's (layout_standard.py).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import unicodedata
from functools import lru_cache
from pathlib import Path

import pypdf
import pytest

from fupin_docs.compose import compose
from fupin_docs.compose.tree import Heading, Signature
from fupin_docs.inputs import load_document, load_document_text
from fupin_docs.render.pdf import render_pdf
from fupin_docs.workspace.config import Config
import layout_standard as S
from pdf_pixels import horizontal_strokes

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

EXAMPLES = {p.stem.split("-")[0]: p for p in
            sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))}
CONFIG = Config()
TOP = S.TEXT_TOP_PT
BOTTOM = S.TEXT_BOTTOM_PT
LEFT = S.TEXT_LEFT_PT
RIGHT = S.TEXT_RIGHT_PT
PITCH = S.LINE_PITCH_PT
CHAR = S.CHAR_PITCH_PT
ON_GRID_PT = 0.05  # how far a baseline may sit from its grid line (rounding only)


# --- reading a PDF back: every text run with its baseline, size and face ---------


@dataclasses.dataclass
class Row:
    """One line of a page: the text runs sharing a baseline."""
    y: float  # baseline, pt below the page's top edge
    x: float  # left end of its first run, pt from the page's left edge
    size: float  # font size in pt (the largest of its runs)
    text: str
    fonts: set


def page_rows(path: Path) -> list[list[Row]]:
    """Per page, its lines top to bottom (page numbers included)."""
    pages = []
    for page in pypdf.PdfReader(str(path)).pages:
        height = float(page.mediabox.height)
        rows: dict[float, Row] = {}

        def visit(text, cm, tm, font, size, rows=rows, height=height):
            if not text.strip():
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = height - (tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            size = size * abs(tm[3] * cm[3])
            name = font["/BaseFont"].split("+")[-1] if font else "?"
            row = rows.setdefault(round(y, 1), Row(y, x, size, "", set()))
            row.text += text.replace("\n", "")
            row.x = min(row.x, x)
            row.size = max(row.size, size)
            row.fonts.add(name)

        page.extract_text(visitor_text=visit)
        pages.append(sorted(rows.values(), key=lambda r: r.y))
    return pages


def pdfinfo_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def width_in_chars(row: Row) -> float:
    """Where ROW ends, in 字 from the 版心's left edge: indent plus its characters
    (full-width 1, half-width digits and Latin ½)."""
    units = sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in row.text)
    return (row.x - LEFT) / CHAR + units


def text_rows(rows: list[Row]) -> list[Row]:
    """Lines inside the 版心 (the page number below it left out)."""
    return [r for r in rows if r.y < BOTTOM]


def page_number(rows: list[Row]) -> Row | None:
    below = [r for r in rows if r.y > BOTTOM]
    assert len(below) <= 1, [r.text for r in below]
    return below[0] if below else None


# --- documents ---------------------------------------------------------------------


SENTENCES = [
    "坚持问题导向，聚焦国考、省考、市考反馈问题和“回头看”排查发现问题，逐村逐户逐人逐项建立问题清单",
    "实行清单化管理、项目化推进、销号式落实，做到整改一件、销号一件、归档一件",
    "包村领导牵头，驻村工作队具体落实，镇扶贫工作站组织入户核实，群众签字认可后方可销号",
    "对有劳动能力的贫困户，逐户落实“一户一产业、一人一岗位”，通过产业奖补、小额信贷、公益性岗位等方式稳定增收",
    "对无劳动能力的贫困户，全面落实低保、特困供养、临时救助、残疾人“两项补贴”等兜底保障政策",
    "每月更新一次工作台账，确保全镇贫困户脱贫成效进一步提升，群众认可度明显提高",
]


def paragraph(seed: int, sentences: int) -> str:
    picked = [SENTENCES[(seed + i) % len(SENTENCES)] for i in range(sentences)]
    return "；".join(picked) + "。"


def many_headings_plan() -> str:
    """A plan written like the clerk's: eight tasks, each （一） heading run
    opening a paragraph of two to five lines, more paragraphs under it, and
    three sections of （一）…（三） items."""
    tasks = []
    for i in range(8):
        contents = "\n".join(f"      - {paragraph(i + k, 2 + (i + k) % 3)}" for k in range(2 + i % 2))
        tasks.append(f"  - 名称: 第{i + 1}项重点工作督战\n    内容:\n{contents}\n"
                     f"    责任单位: 镇扶贫工作站、各村（社区）\n    完成时限: 2020-06-30\n")
    sections = ""
    for key in ("组织保障", "工作要求"):
        items = "".join(f"  - 标题: 第{j + 1}条{key}措施\n    内容:\n      - {paragraph(j, 2 + j)}\n"
                        for j in range(3))
        sections += f"{key}:\n{items}"
    return f"""\
类型: 实施方案
发文机关: 三星镇人民政府
发文字号: 三政发〔2020〕15号
成文日期: 2020-04-10
方案名称: 三星镇2020年脱贫攻坚重点工作督战实施方案
主送机关: 各村（社区）党支部、村民委员会，镇直各单位
印发说明:
  - 现将《三星镇2020年脱贫攻坚重点工作督战实施方案》印发给你们，请认真抓好贯彻落实。
指导思想:
  - {paragraph(0, 4)}
总体要求:
  - {paragraph(1, 3)}
  - {paragraph(2, 5)}
主要任务:
{"".join(tasks)}{sections}抄送: 县扶贫开发领导小组办公室
印发机关: 三星镇党政综合办公室
印发日期: 2020-04-10
"""


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pages")


@lru_cache(maxsize=None)
def _render(name: str, out: str):
    if name == "many-headings":
        doc = compose(load_document_text(many_headings_plan(), "many-headings.yaml"), CONFIG)
    else:
        doc = compose(load_document(EXAMPLES[name]), CONFIG)
    target = Path(out) / f"{name}.pdf"
    result = render_pdf(doc, target, config=CONFIG)
    return doc, target, result


@pytest.fixture(scope="module")
def rendered(out_dir):
    return lambda name: _render(name, str(out_dir))


# --- 1. the 22-line grid -------------------------------------------------------------------


def heading_texts(doc) -> set[str]:
    """Lines that are headings of their own (Heading blocks), the only lines
    kept with the next: a paragraph opening with a heading run such as
    （一）… runs on like any paragraph."""
    return {re.sub(r"\s", "", b.text) for b in doc.blocks if isinstance(b, Heading)}


def grid_offset(pages: list[list[Row]]) -> float:
    """The body baseline's place inside its grid line, from the first page
    after the first that opens with a 三号 line (its first grid line)."""
    first = next(rows[0] for rows in map(text_rows, pages[1:])
                 if rows and abs(rows[0].size - S.SANHAO_PT) < 0.1)
    offset = first.y - TOP
    # the baseline lies inside the 三号 em box centred in the first line
    assert (PITCH - S.SANHAO_PT) / 2 < offset < (PITCH + S.SANHAO_PT) / 2, offset
    return offset


def grid_line(row: Row, offset: float) -> float:
    return (row.y - TOP - offset) / PITCH


def running_pages(doc, pages: list[list[Row]]) -> list[int]:
    """Pages (1-based) whose text runs on to the next page: not the first page,
    not a page before a new section (标题, 附件N), nor one whose last lines went
    over to stand with the 署名 (§7.3.5), no table on them."""
    issuers = {re.sub(r"\s", "", b.issuer) for b in doc.blocks if isinstance(b, Signature)}
    out = []
    for number in range(2, len(pages)):
        rows, following = text_rows(pages[number - 1]), text_rows(pages[number])
        if not rows or not following:
            continue
        if any(abs(r.size - S.SANHAO_PT) > 0.1 for r in rows):  # a title, a table or the 版记
            continue
        first = following[0]
        if abs(first.size - S.SANHAO_PT) > 0.1 or re.fullmatch(r"附件\d*", first.text):
            continue
        tail = next((i for i, r in enumerate(following)
                     if r.text in issuers or r.text.startswith("附件：")), None)
        if tail is not None and tail < 3:  # lines that went over with the 署名
            continue
        out.append(number)
    return out


GRID_DOCS = ["plan", "notice", "minutes", "rectification", "many-headings"]


@pytest.mark.parametrize("name", GRID_DOCS)
def test_every_line_of_every_page_sits_on_the_22_line_grid(name, rendered):
    doc, path, _ = rendered(name)
    pages = page_rows(path)
    offset = grid_offset(pages)
    off = []
    for number, rows in enumerate(pages, 1):
        # every 三号 line, those below a table (小四 rows) included
        body = [r for r in text_rows(rows) if abs(r.size - S.SANHAO_PT) < 0.1]
        if number == 1:
            # the 版头 (标志, 发文字号, red rule) is placed in millimetres
            # (§7.2.3–7.2.6); the title and everything below it is on the grid
            title = next(r for r in rows if abs(r.size - S.ERHAO_PT) < 0.1)
            body = [r for r in body if r.y > title.y]
        for row in body:
            line = grid_line(row, offset)
            if abs(line - round(line)) * PITCH > ON_GRID_PT or not 0 <= round(line) < S.LINES_PER_PAGE:
                off.append((number, round(line, 3), row.text[:12]))
    assert off == [], off


def full_page_faults(doc, pages: list[list[Row]]) -> tuple[list[int], list[tuple]]:
    """(pages checked, faults): every page whose 正文 runs on to the next page
    ends on the grid's last line (22 lines of running text; below a table, the
    lines after it reach the bottom), except where

    - a heading would have been the page's last line (grid line 22): it goes
      over with the text it heads, and the page ends on grid line 21;
    - the page ends in a table row (rows are not split) or in a title;
    - the next page opens a new section (标题, 附件N) or a table;
    - its last lines went over to stand with the 署名 (§7.3.5, at most 2 + 1).
    """
    offset = grid_offset(pages)
    headings = {re.sub(r"\s", "", b.text) for b in doc.blocks if isinstance(b, Heading)}
    issuers = {re.sub(r"\s", "", b.issuer) for b in doc.blocks if isinstance(b, Signature)}
    checked, faults = [], []
    for number in range(1, len(pages)):
        rows, following = text_rows(pages[number - 1]), text_rows(pages[number])
        if not rows or not following:
            continue
        last, first = rows[-1], following[0]
        if abs(last.size - S.SANHAO_PT) > 0.1 or abs(first.size - S.SANHAO_PT) > 0.1:
            continue  # a table row, a title or the 版记 on one side of the break
        if re.fullmatch(r"附件\d*", first.text):
            continue
        tail = next((i for i, r in enumerate(following)
                     if r.text in issuers or r.text.startswith("附件：")), None)
        if tail is not None and tail < 3:
            continue
        checked.append(number)
        line = round(grid_line(last, offset))
        if line == S.LINES_PER_PAGE - 1:
            continue
        if line == S.LINES_PER_PAGE - 2 and first.text in headings:
            continue  # the heading would have been the page's last line
        faults.append((number, line + 1, len(rows), first.text[:10]))
    return checked, faults


@pytest.mark.parametrize("name", ["plan", "notice", "minutes", "rectification"])
def test_every_full_page_of_the_bundled_examples_holds_22_lines(name, rendered):
    """The four bundled examples as they are: no page of running text stops
    short of the 22nd grid line, unless the heading that would have stood on
    it alone went over with its text (plan p.7: 六、实施步骤). (The
    rectification's only page break between 正文 lines is now p.1's: its table
    runs from p.2 onto p.3 and p.3's last lines go over with the 署名; the text
    below a table is checked in test_the_text_below_a_table_goes_back_onto_the_grid.)"""
    doc, path, _ = rendered(name)
    pages = page_rows(path)
    checked, faults = full_page_faults(doc, pages)
    assert faults == [], faults
    least = {"plan": 5, "notice": 2, "minutes": 0, "rectification": 1}[name]
    assert len(checked) >= least, checked


SUPERVISION_TASK = ("查找各村和镇直单位存在的盲目乐观、松劲懈怠、撤摊子、甩包袱、歇歇脚等问题，"
                    "督促落实“四个不摘”要求，确保责任不松、政策不变、力度不减、队伍不撤。")
SUPERVISION_TASK_SHORTER = "查找各村和镇直单位存在的盲目乐观、松劲懈怠、撤摊子、甩包袱、歇歇脚等问题，督促落实“四个不摘”要求。"
SUPERVISION_TASK_LONGER = SUPERVISION_TASK + "各村要逐户逐项抓好落实，确保各项政策落实到位，巩固拓展脱贫攻坚成果，坚决守住不发生规模性返贫的底线。"


@pytest.mark.parametrize("task,heading_line,page_ends", [
    (SUPERVISION_TASK_SHORTER, 21, 22),  # one line earlier: the heading stays, its text follows on line 22
    (SUPERVISION_TASK, 1, 21),  # as bundled: it would be line 22, alone: it goes over with its text
    (SUPERVISION_TASK_LONGER, 1, 22),  # one line later: the page is full, the heading opens the next
], ids=["line-21", "line-22", "next-page"])
def test_a_heading_goes_over_only_from_the_pages_last_line(task, heading_line, page_ends, out_dir):
    """The bundled plan's 六、实施步骤 moved a line up and down across the end of
    p.7 by the length of the task before it: keep-with-next moves the heading
    only when it would be the page's 22nd line; otherwise the page holds 22."""
    text = EXAMPLES["plan"].read_text(encoding="utf-8")
    assert SUPERVISION_TASK in text
    doc = compose(load_document_text(text.replace(SUPERVISION_TASK, task), "plan.yaml"), CONFIG)
    target = out_dir / f"plan-heading-{heading_line}-{page_ends}.pdf"
    render_pdf(doc, target, config=CONFIG)
    pages = page_rows(target)
    offset = grid_offset(pages)
    number, row = next((n, r) for n, rows in enumerate(pages, 1) for r in text_rows(rows)
                       if r.text == "六、实施步骤")
    # 1-based grid lines: the heading's, and the last one its page or the page before holds
    assert round(grid_line(row, offset)) + 1 == heading_line
    ending = text_rows(pages[number - 1] if heading_line > 1 else pages[number - 2])
    assert round(grid_line(ending[-1], offset)) + 1 == page_ends
    assert len(ending) == page_ends
    _, faults = full_page_faults(doc, pages)
    assert faults == [], faults


def rectification_with(problems: int) -> str:
    """The bundled rectification report with only its first PROBLEMS rows in
    the 问题清单: the table ends at a different height each time."""
    text = EXAMPLES["rectification"].read_text(encoding="utf-8")
    head, rest = text.split("问题清单:\n", 1)
    items = re.split(r"(?m)^(?=  - 问题描述:)", rest)
    body, after = items[:-1], items[-1]
    last_item, tail = re.match(r"(?s)(.*?\n)(?=\S)(.*)", after).groups()
    kept = (body + [last_item])[1:problems + 1]  # items[0] is empty
    return head + "问题清单:\n" + "".join(kept) + tail


@pytest.mark.parametrize("problems", [12, 11, 10, 9, 7, 5, 3])
def test_the_text_below_a_table_goes_back_onto_the_grid(problems, out_dir):
    """A table's rows (小四, 18 pt) end anywhere; the 三号 line after it starts
    on a grid line — the table's own last one when it reaches only a little into
    it — and the page still fills to its 22nd line."""
    text = rectification_with(problems)
    assert text.count("问题描述:") == problems
    doc = compose(load_document_text(text, "rectification.yaml"), CONFIG)
    target = out_dir / f"rectification-{problems}.pdf"
    render_pdf(doc, target, config=CONFIG)
    pages = page_rows(target)
    offset = grid_offset(pages)
    off, after_table = [], []
    for number, rows in enumerate(pages, 1):
        rows = text_rows(rows)
        table = [i for i, r in enumerate(rows) if abs(r.size - S.TABLE_FONT_SIZE_PT) < 0.1]
        if not table or number == len(pages):
            continue
        below = [r for r in rows[table[-1] + 1:] if abs(r.size - S.SANHAO_PT) < 0.1]
        for row in below:
            # the characters stay clear of the table's last rule
            assert row.y - S.SANHAO_PT > rows[table[-1]].y, (number, row.text[:10])
        if not below:  # no grid line left under the table: the text starts the next page
            below = [r for r in text_rows(pages[number])[:1] if abs(r.size - S.SANHAO_PT) < 0.1]
        for row in below:
            line = grid_line(row, offset)
            after_table.append(round(line, 2))
            if abs(line - round(line)) * PITCH > ON_GRID_PT:
                off.append((number, round(line, 3), row.text[:10]))
    assert after_table, "no line below the table"
    assert off == [], off
    _, faults = full_page_faults(doc, pages)
    assert faults == [], faults


@pytest.mark.parametrize("name,least", [("plan", 4), ("notice", 2), ("many-headings", 4)])
def test_a_page_of_running_text_holds_22_lines_of_28_characters(name, least, rendered):
    doc, path, _ = rendered(name)
    pages = page_rows(path)
    offset = grid_offset(pages)
    headings = heading_texts(doc)
    checked = running_pages(doc, pages)
    assert len(checked) >= least, checked
    short = []
    for number in checked:
        rows = text_rows(pages[number - 1])
        lines = [round(grid_line(r, offset)) for r in rows]
        follows = text_rows(pages[number])[0].text
        # A heading never ends a page (it goes over with its text): then the
        # page holds 21 lines and the next one opens with the heading.
        kept_with_next = follows in headings
        if not (len(rows) == S.LINES_PER_PAGE and lines[-1] == S.LINES_PER_PAGE - 1) and not (
                kept_with_next and len(rows) == S.LINES_PER_PAGE - 1):
            short.append((number, len(rows), follows[:10]))
        widths = [width_in_chars(r) for r in rows]
        assert max(widths) <= S.CHARS_PER_LINE + 0.05, (number, max(widths))
        # full lines reach the 28th 字 (half a 字 short at most, for digits)
        assert [w for w in widths if w >= S.CHARS_PER_LINE - 0.55], (number, widths)
    assert short == [], short


# --- 2, 3. the 版记 on an even page; every page numbered but a blank one -----------------


MINUTES_EXTRA = "会议强调，各村要把危房改造和饮水安全摆在突出位置。"  # one line with its indent


def minutes_with(extra: int) -> str:
    """The bundled minutes with EXTRA more one-line paragraphs of 会议内容, so
    the body ends a line further down each time."""
    text = EXAMPLES["minutes"].read_text(encoding="utf-8")
    more = "".join(f"\n  - {MINUTES_EXTRA}" for _ in range(extra))
    return re.sub(r"(会议内容:\n  - [^\n]*)", lambda m: m.group(1) + more, text, count=1)


def colophon_pages(path: Path):
    """(body's last page, 版记 page, pages) read back from the PDF."""
    pages = page_rows(path)
    colophon = [n for n, rows in enumerate(pages, 1)
                if any(r.text.endswith("印发") and abs(r.size - S.SIHAO_PT) < 0.1 for r in rows)]
    assert len(colophon) == 1, colophon
    body = [n for n, rows in enumerate(pages, 1)
            if any(abs(r.size - S.SIHAO_PT) > 0.1 for r in text_rows(rows))]
    return max(body), colophon[0], pages


def assert_page_number(rows: list[Row], number: int):
    """“— N —” in 四号, 7 mm below the 版心, odd pages right and even pages left, 1 字 in (§7.5)."""
    row = page_number(rows)
    assert row is not None, f"page {number} has no number"
    assert re.sub(r"\s", "", row.text) == f"{S.PAGE_NUMBER_DASH}{number}{S.PAGE_NUMBER_DASH}"
    assert abs(row.size - S.SIHAO_PT) < 0.1
    # the dashes' strokes (measured in pixels below) are 7 mm below the 版心 and
    # stand above the baseline, less than one 四号 em above it
    assert BOTTOM + S.PAGE_NUMBER_BELOW_TEXT_MM * S.PT_PER_MM < row.y < \
        BOTTOM + S.PAGE_NUMBER_BELOW_TEXT_MM * S.PT_PER_MM + S.SIHAO_PT, row.y
    return row


def test_colophon_goes_on_an_even_page_numbered_unless_a_blank_page_precedes_it(out_dir):
    cases = {}
    for extra in range(0, 26):
        doc = compose(load_document_text(minutes_with(extra), "minutes.yaml"), CONFIG)
        target = out_dir / f"minutes-{extra}.pdf"
        result = render_pdf(doc, target, config=CONFIG)
        body_end, colophon, pages = colophon_pages(target)
        assert result.pages == pdfinfo_pages(target) == len(pages) == colophon, (extra, colophon, len(pages))
        assert colophon % 2 == 0, f"+{extra}: the 版记 is on page {colophon}, an odd page"
        gap = colophon - body_end
        cases.setdefault(gap, extra)
        for number, rows in enumerate(pages, 1):
            if gap == 2 and number >= body_end + 1:
                # a blank page and the 版记 page after it go unnumbered (§7.5)
                assert page_number(rows) is None, (extra, number)
                if number == body_end + 1:
                    assert rows == [], (extra, [r.text for r in rows])
                continue
            assert_page_number(rows, number)
        if gap == 2:
            assert body_end % 2 == 0  # only an even page without room for the 版记 gets a blank page after it
        else:
            assert gap in (0, 1), (extra, body_end, colophon)
        # the 版记's last line sits at the bottom of the 版心
        printed = [r for r in pages[colophon - 1] if r.text.endswith("印发")][0]
        assert BOTTOM - PITCH < printed.y < BOTTOM
    # all three cases were met: 版记 under the body, on the next even page, after a blank page
    assert set(cases) == {0, 1, 2}, cases


@pytest.mark.parametrize("name", ["plan", "notice", "minutes", "rectification"])
def test_the_bundled_examples_number_every_page_and_end_with_the_colophon_on_an_even_page(name, rendered):
    """§7.4, §7.5 on the four examples as they are: the 版记 at the bottom of
    an even page, every page numbered (none of them has a blank page)."""
    _, path, result = rendered(name)
    body_end, colophon, pages = colophon_pages(path)
    assert result.pages == pdfinfo_pages(path) == len(pages) == colophon
    assert colophon % 2 == 0, colophon
    assert all(text_rows(rows) for rows in pages)  # no blank page, so no page may go unnumbered
    for number, rows in enumerate(pages, 1):
        assert_page_number(rows, number)
    printed = [r for r in pages[colophon - 1] if r.text.endswith("印发")][0]
    assert BOTTOM - PITCH < printed.y < BOTTOM


# --- 4. the 署名 never leaves a page almost empty -----------------------------------------


INTRO = "现将《三星镇2020年脱贫攻坚挂牌督战实施方案》印发给你们，请结合实际，认真抓好贯彻落实。"
INTRO_MORE = "各村要对照方案逐项抓好落实。"


def short_notice(more: int, seal: bool) -> str:
    """The bundled plan's 印发通知 with one 印发说明 paragraph, MORE sentences
    longer each time: the clerk's short notice whose 附件说明 and 署名 do not fit
    under the 正文 on page 1."""
    text = EXAMPLES["plan"].read_text(encoding="utf-8")
    if not seal:
        text = text.replace("加盖印章: 是", "加盖印章: 否")
    return re.sub(r"印发说明:\n(  - [^\n]*\n)+", f"印发说明:\n  - {INTRO}{INTRO_MORE * more}\n", text)


def signature_page(doc, pages: list[list[Row]]) -> tuple[int, int]:
    """(page holding the 署名, 正文 lines above its 附件说明/署名 on that page)."""
    issuer = next(re.sub(r"\s", "", b.issuer) for b in doc.blocks if isinstance(b, Signature))
    for number, rows in enumerate(pages, 1):
        texts = [r.text for r in text_rows(rows)]
        if issuer in texts:
            tail = next(i for i, t in enumerate(texts) if t.startswith("附件：") or t == issuer)
            return number, tail
    raise AssertionError("no 署名")


@pytest.mark.parametrize("seal", [False, True], ids=["unsealed", "sealed"])
def test_the_signature_takes_two_body_lines_along_or_the_spacing_tightens(seal, out_dir):
    outcomes = []
    for more in range(0, 6):
        doc = compose(load_document_text(short_notice(more, seal), "short.yaml"), CONFIG)
        target = out_dir / f"short-{seal}-{more}.pdf"
        result = render_pdf(doc, target, config=CONFIG)
        pages = page_rows(target)
        page, above = signature_page(doc, pages)
        # never a page with a single line of text
        assert [n for n, rows in enumerate(pages, 1) if len(text_rows(rows)) == 1] == [], more
        if page == 1:  # it all fits on page 1, tightened or not
            outcomes.append("fits")
            if result.tightened:
                body = [r for r in text_rows(pages[0]) if abs(r.size - S.SANHAO_PT) < 0.1 and r.y > 400]
                pitches = [b.y - a.y for a, b in zip(body, body[1:])]
                tight = S.TEXT_HEIGHT_PT / S.TIGHT_LINES_PER_PAGE_MAX
                assert min(pitches) > tight - 0.05 and min(pitches) < PITCH - 1, pitches
                outcomes[-1] = "tightened"
        else:
            # the 署名 went over: at least 2 正文 lines go with it (§7.3.5)
            assert above >= S.BODY_LINES_WITH_SIGNATURE_MIN, (more, above)
            outcomes.append("two lines along")
    assert "two lines along" in outcomes, outcomes
    if not seal:  # one line short: tightened spacing keeps it on page 1
        assert outcomes[0] == "tightened", outcomes


# --- the page number's 一字线, measured as an inspector measures it ---------------------


DASH_TOLERANCE_MM = 0.5  # a ruler on paper: ±0.5 mm


def dash_strokes(path: Path, page: int) -> list[tuple[float, float, float, float]]:
    """The horizontal strokes below the 版心 at least 0.6 四号 em long: the two
    一字线 of the page number (a digit's bars are at most half an em)."""
    # from 1 mm below the 版心: the 版记's last rule lies on its bottom edge
    return horizontal_strokes(path, page, BOTTOM + S.PT_PER_MM, S.PAGE_HEIGHT_MM * S.PT_PER_MM, 0.6 * S.SIHAO_PT)


@pytest.mark.parametrize("name", ["plan", "notice", "minutes", "rectification"])
def test_the_page_numbers_dash_stroke_is_7mm_below_the_text_area(name, rendered):
    """§7.5: the 一字线's upper edge is 7 mm below the 版心's bottom edge. The
    visible stroke is read off the page's pixels, on every page of a real
    multi-page document, odd pages on the right and even pages on the left."""
    _, path, result = rendered(name)
    assert result.pages >= 2
    want = BOTTOM + S.PAGE_NUMBER_BELOW_TEXT_MM * S.PT_PER_MM
    edges = []
    for page in range(1, result.pages + 1):
        strokes = dash_strokes(path, page)
        assert len(strokes) == 2, (page, strokes)  # “—” either side of the number
        (top1, _, left1, right1), (top2, _, left2, right2) = strokes
        assert abs(top1 - top2) < 0.1 and right1 < left2, (page, strokes)
        edges.append(round((top1 - BOTTOM) / S.PT_PER_MM, 2))
        assert abs(top1 - want) <= DASH_TOLERANCE_MM * S.PT_PER_MM, (page, edges[-1])
        # the 一字线 is as long as a 四号 em, give or take the face's side bearings
        assert 0.6 * S.SIHAO_PT < right1 - left1 <= S.SIHAO_PT + 0.5, (page, strokes)
        indent = S.PAGE_NUMBER_SIDE_CHARS * S.SIHAO_PT
        if page % 2:
            assert right2 <= RIGHT - indent + 0.5 and right2 > RIGHT - indent - 2, (page, right2)
        else:
            assert left1 >= LEFT + indent - 0.5 and left1 < LEFT + indent + 2, (page, left1)
    print(name, "一字线 upper edge below the 版心 (mm):", edges)
