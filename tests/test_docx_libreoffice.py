"""The generated .docx files open in LibreOffice: headless PDF conversion, pages, words, fonts."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import layout_standard as S
from pdf_pixels import dark_runs, gray_page, horizontal_strokes
from docx_helpers import (grid_document, hostile_document, in_order, made_up_documents, reading_words,
                          short_document, squash, three_signers_document)

from fupin_docs.compose import compose
from fupin_docs.compose.tree import (Addressees, AttachmentHeading, Colophon, ComposedDocument, Header, Heading, PageBreak, Paragraph,
                                     Run, Signature, Table, Title, block_texts)
from fupin_docs.inputs import load_document
from fupin_docs.render.docx import render_docx
from fupin_docs.render.docx.ooxml import width_chars
from fupin_docs.workspace.config import Config

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.storage_free,  # renders only: the county pass leaves it out
              pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; "
                                 "run scripts/setup-system.sh to install it")]

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
PAGE_NUMBER = re.compile(r"—\s*(\d+)\s*—")
ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")  # checked for presence only, see page_text


# The standard's faces mapped by a fontconfig alias to the free stand-ins
# scripts/setup-system.sh installs (仿宋, 楷体, 黑体, 小标宋, 宋体), so LibreOffice
# lays the .docx out with real 仿宋/楷体/黑体 metrics, as a clerk's PC with the
# faces would; "plain" leaves LibreOffice its own substitutes.
REAL_FACES = {"仿宋_GB2312": "FandolFang", "楷体_GB2312": "AR PL UKai CN", "黑体": "Noto Sans CJK SC",
              "方正小标宋简体": "Noto Serif CJK SC", "宋体": "FandolSong"}


def fontconfig_aliases(path: Path) -> Path:
    rules = "".join(
        f'<match target="pattern"><test name="family"><string>{face}</string></test>'
        f'<edit name="family" mode="assign" binding="strong"><string>{stand_in}</string></edit></match>'
        for face, stand_in in REAL_FACES.items())
    path.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include>{rules}</fontconfig>',
                    encoding="utf-8")
    return path


def convert(paths: list[Path], outdir: Path, env: dict | None = None) -> None:
    """All PATHS to PDF in one soffice call, keeping the blank pages LibreOffice
    inserts for an even-page section break (its PDF export drops them unless told)."""
    profile = outdir / "profile"
    options = '{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", f"pdf:writer_pdf_Export:{options}", "--outdir", str(outdir), *map(str, paths)],
        capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr


def example_documents() -> dict[str, ComposedDocument]:
    docs = {}
    for example in EXAMPLES:
        doc = compose(load_document(example), Config())
        docs[doc.kind] = doc
    return docs


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Render every document, convert them all in one soffice call: {name: (doc, pdf)}."""
    work = tmp_path_factory.mktemp("lo")
    docs = {"short": short_document(), "hostile": hostile_document(), "grid": grid_document(),
            "long_last": grid_document(closing=False), "signers": three_signers_document(work),
            **example_documents(), **made_up_documents()}
    paths = [render_docx(doc, work / f"{name}.docx", config=Config()) for name, doc in docs.items()]
    convert(paths, work)
    return {name: (doc, work / f"{name}.pdf") for name, doc in docs.items()}


@pytest.fixture(scope="module")
def converted_faces(tmp_path_factory):
    """The examples and the grid documents through LibreOffice with the standard's
    faces aliased to real 仿宋/楷体/黑体 stand-ins: {name: (doc, pdf)}."""
    work = tmp_path_factory.mktemp("lo_faces")
    docs = {"grid": grid_document(), "long_last": grid_document(closing=False), **example_documents(),
            **made_up_documents()}
    paths = [render_docx(doc, work / f"{name}.docx", config=Config()) for name, doc in docs.items()]
    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_aliases(work / "fonts.conf")))
    convert(paths, work, env)
    fonts = subprocess.run(["pdffonts", str(work / "notice.pdf")], capture_output=True, text=True).stdout
    for stand_in in ("FandolFang", "UKai", "NotoSansCJK"):
        assert stand_in in fonts, f"the alias did not reach LibreOffice: {fonts}"
    return {name: (doc, work / f"{name}.pdf") for name, doc in docs.items()}


@pytest.fixture(params=["plain", "faces"])
def either(request):
    """Both conversions: LibreOffice's own substitutes, and the real stand-ins."""
    return request.getfixturevalue("converted" if request.param == "plain" else "converted_faces")


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def page_text(pdf: Path, page: int | None = None, raw: bool = False) -> str:
    # -raw: content-stream order, which also keeps a line-final “；” that
    # LibreOffice hangs into the margin (the default mode drops it); but glyphs
    # from a fallback font (emoji, Extension B) then come out of order.
    args = ["pdftotext", "-enc", "UTF-8"] + (["-raw"] if raw else [])
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run(args + [str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_every_document_converts(converted):
    for name, (_, pdf) in converted.items():
        assert pdf.exists() and pdf.stat().st_size > 1000, name


def test_page_counts(converted):
    # One page of text, then the 版记 on its own page.
    assert pages(converted["short"][1]) == 2
    for name, (doc, pdf) in converted.items():
        breaks = sum(isinstance(b, PageBreak) for b in doc.blocks)
        assert pages(pdf) >= breaks + 2, name


def colophon_lines_of(pdf: Path, page: int, doc: ComposedDocument) -> list:
    """The text lines of the 版记 on PAGE: the 抄送 lines and the 印发 line, the
    lowest lines of the 版心 from the first that starts with 抄送 (or the 印发 line)."""
    lines = sorted((ln for ln in page_lines(pdf, page) if ln[3] < TEXT_BOTTOM_PT + 1), key=lambda ln: ln[1])
    start = "抄送：" if doc.colophon.cc else doc.colophon.printer
    first = max(i for i, ln in enumerate(lines) if ln[4].startswith(squash(start)))
    return lines[first:]


def colophon_case(pdf: Path, doc: ComposedDocument) -> tuple[str, int, int]:
    """(case, page of the body's last line, page count) as LibreOffice laid it out."""
    n = pages(pdf)
    colophon = colophon_lines_of(pdf, n, doc)
    body_on_last = [ln for ln in page_lines(pdf, n) if ln[3] < colophon[0][1] - 1]
    if body_on_last:
        return "here", n, n
    end = max(p for p in range(1, n) if squash(PAGE_NUMBER.sub("", page_text(pdf, p))))
    return ("next-even" if end == n - 1 else "after-blank"), end, n


def test_colophon_on_an_even_page_and_every_page_numbered(either):
    # 公文 are printed on both sides and the 版记 sits at the bottom of the last
    # side, an even page (封四, §7.4, §7.5 as corrected in docs/GBT9704.md):
    # - the body ends on an even page with room: the 版记 at its bottom;
    # - the body ends on an odd page: the 版记 on the next page, numbered, no blank page;
    # - the body ends on an even page without room: a blank odd page and an even
    #   版记 page, both unnumbered (the DOCX once numbered the 版记 page, and once
    #   gave a 版记 its own page after a blank one where the body's page had room).
    seen = set()
    for name, (doc, pdf) in either.items():
        n = pages(pdf)
        assert n % 2 == 0, f"{name}: the 版记 on page {n}, an odd page"
        case, end, _ = colophon_case(pdf, doc)
        seen.add(case)
        colophon = colophon_lines_of(pdf, n, doc)
        last = squash("".join(ln[4] for ln in colophon))
        assert f"{doc.colophon.print_date}印发" in last, name
        if doc.colophon.cc:
            assert squash(f"抄送：{doc.colophon.cc}") in last, name
        unnumbered = {n - 1, n} if case == "after-blank" else set()
        if case == "after-blank":
            assert end == n - 2 and end % 2 == 0, (name, end, n)
            assert not squash(page_text(pdf, n - 1)), f"{name}: page {n - 1} is not blank"
            # the body's page had no room: the 版记 (its rules and lines) would
            # reach past the 版心's bottom under the body's last line, or come
            # within a line of it (the margin the prediction keeps)
            body_bottom = max(ln[3] for ln in page_lines(pdf, end) if ln[3] < TEXT_BOTTOM_PT + 1)
            height = TEXT_BOTTOM_PT - colophon[0][1] + 4
            assert body_bottom + height + PITCH > TEXT_BOTTOM_PT, (name, body_bottom, height)
        elif case == "next-even":
            assert end == n - 1, name
        for page in range(1, n + 1):
            numbers = PAGE_NUMBER.findall(page_text(pdf, page))
            if page in unnumbered:
                assert not numbers, f"{name} page {page} numbered: {numbers}"
            else:
                assert numbers and numbers[-1] == str(page), f"{name} page {page}: {numbers}"
    assert seen == {"here", "next-even", "after-blank"}, seen


def test_colophon_under_the_body_on_a_page_it_shares(either):
    # A 版记 on the body's last page stands below the body's last line, its 印发
    # line the last above the 版心's bottom edge (§7.4): the examples whose body
    # ends on an even page with room (the minutes, the plan, the rectification)
    # end on that page.
    shared = 0
    for name, (doc, pdf) in either.items():
        case, end, n = colophon_case(pdf, doc)
        if case != "here":
            continue
        shared += 1
        colophon = colophon_lines_of(pdf, n, doc)
        body = [ln for ln in page_lines(pdf, n) if ln[3] < colophon[0][1] - 1]
        assert max(ln[3] for ln in body) < colophon[0][1], name
        assert TEXT_BOTTOM_PT - PITCH < colophon[-1][3] <= TEXT_BOTTOM_PT, (name, colophon[-1])
    for name in ("minutes", "plan", "rectification"):
        assert colophon_case(either[name][1], either[name][0])[0] == "here", name
    assert shared >= 4


def test_pdf_says_the_words_in_order(either):
    # Every character of the file comes back, line-final full-width marks
    # included (LibreOffice's hanging punctuation once hid “镇扶贫工作站；”'s “；”).
    for name, (doc, pdf) in either.items():
        text = ASTRAL.sub("", PAGE_NUMBER.sub("", page_text(pdf, raw=True)))
        # pdftotext reads a table column by column: its cells are checked for presence,
        # everything else for order.
        cells = {squash(t) for b in doc.blocks if isinstance(b, Table) for t in block_texts(b)}
        ordered = [ASTRAL.sub("", w) for w in reading_words(doc) if squash(w) not in cells]
        ok, missing = in_order(text, ordered)
        assert ok, f"{name}: {missing!r} missing or out of order"
        flat = squash(text)
        missing_cells = [c for c in cells if ASTRAL.sub("", c) not in flat]
        assert not missing_cells, f"{name}: {missing_cells}"


def test_no_text_outside_the_text_area(either):
    # Nothing hangs past the 版心's edges (the 主送机关's “：” once hung in the margin).
    for name, (doc, pdf) in either.items():
        # A 成文日期 may stand past the right edge by what LibreOffice adds to it
        # alone (1/5 em a Han/Latin switch; Word and WPS set it without).
        dates = {squash(b.date): lo_switches(b.date) * S.SANHAO_PT / 5
                 for b in doc.blocks if isinstance(b, Signature)}
        for page in range(1, pages(pdf) + 1):
            for line in page_lines(pdf, page):
                extra = dates.get(line[4], 0.0)
                assert TEXT_LEFT_PT - 0.5 <= line[0] and line[2] <= TEXT_RIGHT_PT + 0.5 + extra, (name, page, line)


def test_hostile_text_survives_libreoffice(converted):
    text = squash(page_text(converted["hostile"][1]))
    for s in ("A&B公司", "<b>加粗</b>", "{{x}}", "{%raw%}", "表情😀", "生僻𠀀字", "犇羴鱻"):
        assert s in text, s


def test_pdffonts_lists_embedded_fonts(converted):
    result = subprocess.run(["pdffonts", str(converted["plan"][1])], capture_output=True, text=True)
    assert result.returncode == 0
    rows = result.stdout.splitlines()[2:]
    assert rows, "no fonts in the PDF"


def words_with_boxes(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, word) in pt from the top-left corner, from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(c), float(d), html.unescape(w)) for a, b, c, d, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', out)]


# The 版心: 37 mm from the top, 28 mm from the left, 156 × 225 mm (§5.2.2).
TEXT_TOP_PT = S.TEXT_TOP_PT
TEXT_BOTTOM_PT = S.TEXT_BOTTOM_PT
TEXT_LEFT_PT = S.TEXT_LEFT_PT
TEXT_RIGHT_PT = S.TEXT_RIGHT_PT
PITCH = S.LINE_PITCH_PT  # 225 mm / 22 ≈ 28.99 pt (the DOCX grid's 28.95 pt is within 0.05)


def test_colophon_sits_on_the_bottom_of_the_text_area(converted):
    # §7.4: the 版记's last rule on the 版心's bottom edge, so its 印发 line is the
    # last line above that edge (LibreOffice once left it at the top of the page).
    for name, (doc, pdf) in converted.items():
        words = words_with_boxes(pdf, pages(pdf))
        printed = [w for w in words if w[4].endswith("印发")]
        assert printed, name
        bottom = max(w[3] for w in printed)
        assert TEXT_BOTTOM_PT - PITCH < bottom <= TEXT_BOTTOM_PT, (name, bottom)
        colophon = colophon_lines_of(pdf, pages(pdf), doc)
        assert all(ln[1] > TEXT_BOTTOM_PT - 4 * PITCH for ln in colophon), name


def test_signature_page_holds_text_too(converted):
    # The plan's notice once left its 署名 and date alone on page 2.
    for name, (doc, pdf) in converted.items():
        signatures = [b for b in doc.blocks if type(b).__name__ == "Signature"]
        for sig in signatures:
            for page in range(1, pages(pdf) + 1):
                text = squash(PAGE_NUMBER.sub("", page_text(pdf, page)))
                if squash(sig.date) in text and squash(sig.issuer) in text:
                    rest = text.replace(squash(sig.issuer), "", 1).replace(squash(sig.date), "", 1)
                    assert len(rest) > 10, f"{name} page {page}: 署名 and date alone"
                    break
            else:
                raise AssertionError(f"{name}: 署名 and date not found on one page")


def page_lines(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, text) of each text line, in pt from the top-left corner."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox-layout", "-f", str(page), "-l", str(page),
                          str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(c), float(d), html.unescape("".join(re.findall(r">([^<]*)</word>", body))))
            for a, b, c, d, body in re.findall(
                r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', out, re.S)]


def em_top(line, size: float) -> float:
    """Top of the em box of a line set in SIZE pt: pdftotext's box (ascent +
    descent of the face) is centred on it."""
    return (line[1] + line[3]) / 2 - size / 2


def test_full_page_holds_22_lines_of_28_characters(converted):
    # §5.2.3: 22 lines × 28 characters fill the 156 × 225 mm 版心.
    pdf = converted["grid"][1]
    lines = [ln for ln in page_lines(pdf, 2) if ln[3] < TEXT_BOTTOM_PT + 1]  # page number excluded
    assert len(lines) == 22, [ln[4] for ln in lines]
    assert all(len(ln[4]) == 28 for ln in lines), [len(ln[4]) for ln in lines]
    # the grid's pitch: 579 twips (28.95 pt) in the DOCX, as 225 mm / 22 = 28.99 pt
    # overflows in whole twips; 28.9–29.0 pt still puts 22 lines and no 23rd in 225 mm
    pitch = (lines[-1][1] - lines[0][1]) / 21
    assert S.LINE_PITCH_MIN_PT <= pitch <= S.LINE_PITCH_MAX_PT, pitch
    assert all(abs(ln[0] - TEXT_LEFT_PT) < 0.5 for ln in lines), [ln[0] for ln in lines]
    # 28 字 of 15.75 pt (16 pt less 0.25 pt spacing) end within 1.3 pt of the
    # right edge; one 字 more or less is 15.75 pt
    assert all(abs(ln[2] - TEXT_RIGHT_PT) < 1.5 for ln in lines), [ln[2] for ln in lines]
    assert TEXT_TOP_PT < lines[0][1] < TEXT_TOP_PT + PITCH / 2
    assert TEXT_BOTTOM_PT - PITCH / 2 < lines[-1][3] < TEXT_BOTTOM_PT


DASH_TOLERANCE_MM = 0.5  # a ruler on paper: ±0.5 mm


def test_page_numbers_dash_stroke_is_7mm_below_the_text_area(converted_faces):
    # §7.5: the 一字线's upper edge — its visible stroke, read off the page's
    # pixels — is 7 mm below the 版心's bottom edge, on every numbered page of
    # the real multi-page documents, with the faces mapped to real 宋体 metrics
    # (the footer once put it 9.1 mm below); “— N —” 1 字 in from the right on
    # odd pages, from the left on even pages.
    want = TEXT_BOTTOM_PT + S.PAGE_NUMBER_BELOW_TEXT_MM * S.PT_PER_MM
    measured = 0
    for name in ("plan", "notice", "minutes", "rectification", "grid"):
        doc, pdf = converted_faces[name]
        n = pages(pdf)
        assert n >= 2, name
        edges = []
        for page in range(1, n + 1):
            # from 1 mm below the 版心: the 版记's last rule lies on its bottom edge
            strokes = horizontal_strokes(pdf, page, TEXT_BOTTOM_PT + S.PT_PER_MM, S.PAGE_HEIGHT_MM * S.PT_PER_MM,
                                         0.6 * S.SIHAO_PT)
            if not PAGE_NUMBER.findall(page_text(pdf, page)):
                assert not strokes, (name, page, strokes)  # an unnumbered page: no 一字线 either
                continue
            assert len(strokes) == 2, (name, page, strokes)  # “—” either side of the number
            (top1, _, left1, right1), (top2, _, left2, right2) = strokes
            assert abs(top1 - top2) < 0.1 and right1 < left2, (name, page, strokes)
            edges.append(round((top1 - TEXT_BOTTOM_PT) / S.PT_PER_MM, 2))
            assert abs(top1 - want) <= DASH_TOLERANCE_MM * S.PT_PER_MM, (name, page, edges[-1])
            # the 一字线 is as long as a 四号 em, give or take the face's side bearings
            assert 0.6 * S.SIHAO_PT < right1 - left1 <= S.SIHAO_PT + 0.5, (name, page, strokes)
            indent = S.PAGE_NUMBER_SIDE_CHARS * S.SIHAO_PT
            if page % 2:
                assert TEXT_RIGHT_PT - indent - 2 < right2 <= TEXT_RIGHT_PT - indent + 0.5, (name, page, right2)
            else:
                assert TEXT_LEFT_PT + indent - 0.5 <= left1 < TEXT_LEFT_PT + indent + 2, (name, page, left1)
            measured += 1
        print(name, "一字线 upper edge below the 版心 (mm):", edges)
    assert measured >= 12


def test_mark_top_35mm_below_the_text_area_top(converted):
    # §7.2.3: the 发文机关标志's top edge 35 mm below the 版心's top edge.
    for name, (doc, pdf) in converted.items():
        mark = next(ln for ln in page_lines(pdf, 1) if ln[4] == squash(doc.header.mark))
        size = min(S.MARK_MAX_SIZE_PT, S.TEXT_WIDTH_PT / width_chars(doc.header.mark))  # shrunk to fit 156 mm
        assert abs(em_top(mark, size) - (TEXT_TOP_PT + 35 * S.PT_PER_MM)) < 1.0, (name, mark)


def rules_at(pdf: Path, page: int, dpi: int = 288) -> list[tuple[tuple[float, float], list[tuple[float, float]]]]:
    """The horizontal rules of PAGE: dark bands crossing the column 1 pt inside
    the 版心's left edge whose middle row is dark over more than 100 mm (text
    is not), each with the dark runs along that row: [((top, bottom), [(x0, x1), ...])]."""
    width, height, pixels = gray_page(pdf, page, dpi)
    col = int((TEXT_LEFT_PT + 1) * dpi / 72)
    out = []
    for top, bottom in dark_runs((pixels[row * width + col] for row in range(height)), dpi):
        row = int((top + bottom) / 2 * dpi / 72)
        spans = dark_runs(pixels[row * width:(row + 1) * width], dpi)
        if sum(x1 - x0 for x0, x1 in spans) > 100 * S.PT_PER_MM:
            out.append(((top, bottom), spans))
    return out


def test_colophon_rules_are_as_wide_as_the_text_area(converted):
    # §7.4: three rules as wide as the 版心, 0.35 / 0.25 / 0.35 mm, the last on
    # the 版心's bottom edge (the DOCX keeps 6 pt of slack above it for the rules).
    for name, (doc, pdf) in converted.items():
        rules = rules_at(pdf, pages(pdf))[-(2 + bool(doc.colophon.cc)):]
        thick = [0.35, 0.25, 0.35] if doc.colophon.cc else [0.35, 0.35]
        for ((top, bottom), spans), mm in zip(rules, thick):
            assert abs((bottom - top) - mm * S.PT_PER_MM) < 0.3, (name, top, bottom)
            assert len(spans) == 1, (name, spans)
            assert abs(spans[0][0] - TEXT_LEFT_PT) < 0.5 and abs(spans[0][1] - TEXT_RIGHT_PT) < 0.5, (name, spans)
        assert TEXT_BOTTOM_PT - 6 <= rules[-1][0][1] <= TEXT_BOTTOM_PT, (name, rules[-1])


def test_red_separator_is_as_wide_as_the_text_area(converted):
    # §7.2.6: a red line as wide as the 版心 below the 发文字号 (the hostile
    # document's long 签发人 wraps the line: the rule comes after both lines).
    for name, (doc, pdf) in converted.items():
        number = next(ln for ln in page_lines(pdf, 1) if squash(doc.header.doc_number) in ln[4])
        rules = [r for r in rules_at(pdf, 1) if number[3] < r[0][0]]
        assert rules, name
        (top, bottom), spans = rules[0]
        assert abs((bottom - top) - S.SEPARATOR_THICKNESS_MM * S.PT_PER_MM) < 0.3, name
        assert len(spans) == 1, (name, spans)
        assert abs(spans[0][0] - TEXT_LEFT_PT) < 0.5 and abs(spans[0][1] - TEXT_RIGHT_PT) < 0.5, (name, spans)


def test_red_separator_4mm_below_the_doc_number(either):
    # §7.2.6: 4 mm below the 发文字号 (the bottom of its 三号 em box).
    for name, (doc, pdf) in either.items():
        if name == "hostile":
            continue  # its 发文字号 line wraps
        number = next(ln for ln in page_lines(pdf, 1) if squash(doc.header.doc_number) in ln[4])
        top = next(r for r in rules_at(pdf, 1) if number[3] < r[0][0])[0][0]
        assert abs(top - (em_top(number, 16) + 16 + 4 * S.PT_PER_MM)) < 1.0, (name, top, number)


def test_long_last_paragraph_starts_on_the_first_page(converted):
    grid = [ln for ln in page_lines(converted["grid"][1], 1) if ln[3] < TEXT_BOTTOM_PT]
    long_last = [ln for ln in page_lines(converted["long_last"][1], 1) if ln[3] < TEXT_BOTTOM_PT]
    assert len(grid) > 8  # 版头, title, 主送 and the first lines of the long paragraph
    assert [ln[4] for ln in long_last] == [ln[4] for ln in grid]


def test_running_pages_hold_22_lines(either):
    # §5.2.3: a page of running text holds 22 lines (孤行控制 once left pages of
    # 20 and 21 in the notice and the plan). A running page is one whose text
    # goes on overleaf: not the first page, not the 署名's page or the one before
    # it, not the page before an 附件 or the 版记, no table on it. Its last line
    # is line 22 of the grid, or line 21 when the next page opens with a heading
    # (a heading never ends a page).
    for name, (doc, pdf) in either.items():
        n = pages(pdf)
        headings = {squash(b.text) for b in doc.blocks if isinstance(b, Heading)}
        cells = {squash(c.header) for b in doc.blocks if isinstance(b, Table) for c in b.columns}
        signature = [squash(b.issuer) for b in doc.blocks if isinstance(b, Signature)]
        texts = [squash(PAGE_NUMBER.sub("", page_text(pdf, page))) for page in range(1, n + 1)]
        checked = 0
        for page in range(2, n - 1):
            following = texts[page]  # page + 1
            if not following or re.match(r"附件\d*", following) or "印发" in following:
                continue
            if any(s in texts[page - 1] or s in following for s in signature):
                continue
            if any(c in texts[page - 1] for c in cells):
                continue
            lines = [ln for ln in page_lines(pdf, page) if ln[3] < TEXT_BOTTOM_PT + 1]
            next_first = squash(min(page_lines(pdf, page + 1), key=lambda ln: ln[1])[4])
            last_line = 21 if next_first in headings else 22
            bottom = TEXT_TOP_PT + last_line * PITCH
            assert bottom - PITCH < lines[-1][3] <= bottom + 1, \
                f"{name} page {page}: last line at {lines[-1][3]:.1f} pt, line {last_line} ends at {bottom:.1f} pt"
            checked += 1
        if name in ("plan", "notice", "grid"):
            assert checked, name


def test_blank_line_between_title_and_body(either):
    # §7.3.1/§7.3.2: one blank line below the title, before the 主送机关 or,
    # in a 纪要 that has none, before the 正文 (the minutes once had none).
    for name, (doc, pdf) in either.items():
        title = next(b for b in doc.blocks if isinstance(b, Title))
        lines = sorted(page_lines(pdf, 1), key=lambda ln: ln[1])
        last_title = max(i for i, ln in enumerate(lines) if ln[4] and ln[4] in squash(title.text))
        below = lines[last_title + 1]
        gap = (below[1] + below[3]) / 2 - (lines[last_title][1] + lines[last_title][3]) / 2
        assert abs(gap - 2 * PITCH) < 3, (name, gap, below[4])


def test_several_signers_two_a_line_in_libreoffice(converted):
    # §7.2.5: “签发人：李明华 张志强” on one line, 刘红梅 under 李明华 on the next,
    # level with the 发文字号 (1 字 from the left); the names end 1 字 from the
    # right; the red line comes after both lines.
    doc, pdf = converted["signers"]
    words = words_with_boxes(pdf, 1)
    label = next(w for w in words if w[4].startswith("签发人："))
    second = next(w for w in words if w[4] == "张志强")
    last = next(w for w in words if w[4] == "刘红梅")
    number = next(w for w in words if w[4].startswith("三政呈"))
    zi = (label[2] - label[0]) / 7  # “签发人：李明华”: 7 字
    assert abs((label[0] + 4 * zi) - last[0]) < 1.5, (label, last)  # 刘红梅 under 李明华
    assert abs(second[2] - (TEXT_RIGHT_PT - S.SANHAO_PT)) < 1.5, second  # 1 字 from the right
    assert abs(number[0] - (TEXT_LEFT_PT + S.SANHAO_PT)) < 1.5, number  # 1 字 from the left
    assert abs(number[1] - last[1]) < 1 and abs(second[1] - label[1]) < 1
    assert abs((last[1] - label[1]) - PITCH) < 1  # consecutive lines
    rule = next(r for r in rules_at(pdf, 1) if r[0][0] > number[3])
    assert not any(label[1] < r[0][0] < number[1] for r in rules_at(pdf, 1)), "a rule between the lines"
    assert rule[0][0] - number[3] < 15


def standard_width(text: str) -> float:
    """TEXT's width in 字 as GB/T 9704 sets a line: a Han character 1, a digit ½, no extra space."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


def lo_switches(text: str) -> int:
    """Han/Latin switches in TEXT: LibreOffice adds 1/5 em at each (it ignores
    the .docx's w:autoSpaceDE/w:autoSpaceDN that turn it off)."""
    return sum(a.isascii() != b.isascii() for a, b in zip(text, text[1:]))


def test_signature_and_date_where_the_standard_puts_them(either):
    # §7.3.5.2, no seal: the 署名 ends 2 字 from the right and the date starts
    # 2 字 right of the 署名's first character; a date longer than the 署名
    # ends 2 字 from the right instead and the 署名 moves left with it. §7.3.5.1,
    # with a seal: the date 4 字 from the right, the 署名 centred over it.
    # Lengths as the standard counts them (“2020年6月28日” is 6.5 字): LibreOffice
    # sets that date 7.5 字 wide, and the 署名 once moved 2.5 字 left for it
    # (rectification: 4.60 字 from the right); now the lines start where Word's
    # do, and only the date's end stands further right there.
    zi = S.TEXT_WIDTH_PT / 28
    checked = 0
    for name, (doc, pdf) in either.items():
        if name not in ("notice", "plan", "rectification", "minutes"):
            continue
        lines = [ln for page in range(1, pages(pdf) + 1) for ln in page_lines(pdf, page)]
        for sig in (b for b in doc.blocks if isinstance(b, Signature)):
            issuer = next(ln for ln in lines if ln[4] == squash(sig.issuer))
            date = next(ln for ln in lines if ln[4] == squash(sig.date))  # on one line
            issuer_width, date_width = standard_width(sig.issuer), standard_width(sig.date)
            assert abs((issuer[2] - issuer[0]) / zi - issuer_width) < 0.3, (name, issuer)
            lo_date = date_width + lo_switches(sig.date) / 5
            assert abs((date[2] - date[0]) / zi - lo_date) < 0.3, (name, date)
            if sig.seal:
                date_end = 28 - 4
                assert abs((date[0] - TEXT_LEFT_PT) / zi - (date_end - date_width)) < 0.3, (name, date)
                continue
            if date_width <= issuer_width:
                assert abs((TEXT_RIGHT_PT - issuer[2]) / zi - 2) < 0.3, (name, issuer, date)
            else:
                assert abs((date[0] - TEXT_LEFT_PT) / zi - (28 - 2 - date_width)) < 0.3, (name, date)
            assert abs((date[0] - issuer[0]) / zi - 2) < 0.3, (name, issuer, date)
            checked += 1
    assert checked >= 2


def test_blank_line_between_attachment_title_and_body(either):
    # §7.3.7: an 附件 page, like the document's first, leaves one blank line
    # below the title before the text (the PDF does; the DOCX once had none).
    checked = 0
    for name, (doc, pdf) in either.items():
        for heading in (b for b in doc.blocks if isinstance(b, AttachmentHeading)):
            title = squash(heading.title)
            for page in range(2, pages(pdf) + 1):
                lines = sorted((ln for ln in page_lines(pdf, page) if ln[3] < TEXT_BOTTOM_PT), key=lambda ln: ln[1])
                if not lines or lines[0][4] != squash(heading.label):
                    continue
                last_title = max(i for i, ln in enumerate(lines) if ln[4] and ln[4] in title)
                if last_title + 1 == len(lines):
                    break
                below = lines[last_title + 1]
                gap = (below[1] + below[3]) / 2 - (lines[last_title][1] + lines[last_title][3]) / 2
                assert abs(gap - 2 * PITCH) < 3, (name, page, gap, below[4])
                checked += 1
                break
    assert checked


def test_predicted_body_end_is_where_libreoffice_ends_the_body(either):
    # The page on which the 版记 is placed is predicted from the PDF layout
    # (render/pagination.py); LibreOffice ends the body on that page, the
    # hostile document's included: three headings right above a table, and a
    # 签发人 too long for the 发文字号's line (the PDF once carried the headings
    # and the whole table over to the next page, and wrapped the 发文字号 where
    # LibreOffice wraps the names; no prediction was made for it then).
    from fupin_docs.render.pagination import predict_body_end

    compared = 0
    for name, (doc, pdf) in either.items():
        end = predict_body_end(doc, Config())
        assert end is not None, name
        assert colophon_case(pdf, doc)[1] == end.page, (name, end)
        compared += 1
    assert compared >= 8


# --- a heading right above a table: both layouts break it alike -------------------------


def heading_above_table(fillers: int) -> tuple[ComposedDocument, Heading, Table]:
    """The bundled rectification report with its 问题清单 table right under the
    heading “二、问题整改进展” (the paragraph between them left out) and FILLERS
    one-line paragraphs before that heading, which move it down the page."""
    import dataclasses

    doc = example_documents()["rectification"]
    blocks = list(doc.blocks)
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Table))
    heading, table = blocks[at - 2], blocks[at]
    assert isinstance(heading, Heading) and isinstance(blocks[at - 1], Paragraph)
    line = Paragraph((Run("脱贫攻坚挂牌督战工作扎实推进脱贫攻坚挂牌督战工作"),))  # 2 + 26 字: one line
    blocks = blocks[:at - 2] + [line] * fillers + [heading, table] + blocks[at + 1:]
    return dataclasses.replace(doc, blocks=tuple(blocks)), heading, table


def heading_and_rows(pdf: Path, heading: Heading, table: Table) -> tuple[int, list[int], list[int]]:
    """(page of the heading, page of each body row, pages that repeat the header row)."""
    texts = [squash(PAGE_NUMBER.sub("", page_text(pdf, p))) for p in range(1, pages(pdf) + 1)]
    keys = [squash(row[1])[:4] for row in table.rows]  # the 问题描述 cell's first 4 字
    assert len(set(keys)) == len(keys)
    rows = [next((p for p, t in enumerate(texts, 1) if key in t), 0) for key in keys]
    header = squash(table.columns[1].header)
    return next(p for p, t in enumerate(texts, 1) if squash(heading.text) in t), rows, \
        [p for p in sorted(set(rows)) if header in texts[p - 1]]


FILLERS = (0, 13, 14, 22)  # the table splits at several rows; at 14 the heading goes over with it


@pytest.fixture(scope="module")
def heading_tables(tmp_path_factory):
    """Each FILLERS document as a PDF (WeasyPrint) and through LibreOffice with
    the real faces: {fillers: (doc, heading, table, pdf, docx_pdf)}."""
    from fupin_docs.render.pdf import render_pdf

    work = tmp_path_factory.mktemp("heading_table")
    made = {n: heading_above_table(n) for n in FILLERS}
    paths = [render_docx(doc, work / f"h{n}.docx", config=Config()) for n, (doc, _, _) in made.items()]
    convert(paths, work, dict(os.environ, FONTCONFIG_FILE=str(fontconfig_aliases(work / "fonts.conf"))))
    out = {}
    for n, (doc, heading, table) in made.items():
        render_pdf(doc, work / f"h{n}-pdf.pdf", config=Config())
        out[n] = (doc, heading, table, work / f"h{n}-pdf.pdf", work / f"h{n}.pdf")
    return out


def test_a_heading_above_a_table_breaks_alike_in_pdf_and_docx(heading_tables):
    # The heading stays with the table's header row and first rows, the table
    # splits between rows with its header row repeated, at the same row in the
    # PDF and in LibreOffice (the PDF once carried the heading and the whole
    # table over to the next page where LibreOffice split the table), and the
    # 版记's page predicted from the PDF layout is where LibreOffice ends the body.
    from fupin_docs.render.pagination import predict_body_end

    split, went_over = 0, 0
    for n, (doc, heading, table, pdf, docx_pdf) in heading_tables.items():
        got = {}
        for kind, path in (("pdf", pdf), ("docx", docx_pdf)):
            page, rows, repeated = heading_and_rows(path, heading, table)
            assert all(rows), (n, kind, rows)
            assert rows[0] == page, (n, kind, page, rows)  # the heading with the first row
            assert repeated == sorted(set(rows)), (n, kind, repeated)  # the header row on every page
            got[kind] = (page, rows)
        assert got["pdf"] == got["docx"], (n, got)
        page, rows = got["pdf"]
        split += len(set(rows)) > 1
        if squash(heading.text) == squash(min(page_lines(pdf, page), key=lambda ln: ln[1])[4]):
            went_over += 1
        end = predict_body_end(doc, Config())
        assert end is not None and colophon_case(docx_pdf, doc)[1] == end.page, (n, end)
    assert split >= 3 and went_over >= 1, (split, went_over)
