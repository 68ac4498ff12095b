"""The generated .docx files open in LibreOffice: headless PDF conversion, pages, words, fonts."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx_helpers import hostile_document, in_order, short_document, squash

from fupin_docs.compose import compose
from fupin_docs.compose.tree import PageBreak, Table, block_texts
from fupin_docs.inputs import load_document
from fupin_docs.render import layout as L
from fupin_docs.render.docx import render_docx
from fupin_docs.workspace.config import Config

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; "
                                "run scripts/setup-system.sh to install it")

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
PAGE_NUMBER = re.compile(r"—\s*(\d+)\s*—")
ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")  # checked for presence only, see page_text
# LibreOffice sometimes drops a full-width mark that falls just past the line
# end (seen: “镇扶贫工作站；” at the end of a full line loses its “；” in the PDF,
# while the .docx holds it); the order check ignores these marks on both sides.
LINE_END_MARKS = re.compile("[，。、；：！？]")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Render every document, convert them all in one soffice call: {name: (doc, pdf)}."""
    work = tmp_path_factory.mktemp("lo")
    docs = {"short": short_document(), "hostile": hostile_document()}
    for example in EXAMPLES:
        doc = compose(load_document(example), Config())
        docs[doc.kind] = doc
    paths = [render_docx(doc, work / f"{name}.docx", config=Config()) for name, doc in docs.items()]
    profile = work / "profile"
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(work), *map(str, paths)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return {name: (doc, work / f"{name}.pdf") for name, doc in docs.items()}


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


def test_page_numbers_on_every_page_but_the_colophon_page(converted):
    for name, (doc, pdf) in converted.items():
        n = pages(pdf)
        for page in range(1, n):
            numbers = PAGE_NUMBER.findall(page_text(pdf, page))
            assert numbers and numbers[-1] == str(page), f"{name} page {page}: {numbers}"
        last = page_text(pdf, n)
        assert not PAGE_NUMBER.search(last), f"{name}: page number on the 版记 page"
        assert f"{doc.colophon.print_date}印发" in squash(last)
        if doc.colophon.cc:
            assert squash(f"抄送：{doc.colophon.cc}") in squash(last)


def test_pdf_says_the_words_in_order(converted):
    for name, (doc, pdf) in converted.items():
        text = LINE_END_MARKS.sub("", ASTRAL.sub("", PAGE_NUMBER.sub("", page_text(pdf, raw=True))))
        # pdftotext reads a table column by column: its cells are checked for presence,
        # everything else for order.
        cells = {squash(t) for b in doc.blocks if isinstance(b, Table) for t in block_texts(b)}
        ordered = [LINE_END_MARKS.sub("", ASTRAL.sub("", w)) for w in doc.words() if squash(w) not in cells]
        ok, missing = in_order(text, ordered)
        assert ok, f"{name}: {missing!r} missing or out of order"
        flat = squash(text)
        missing_cells = [c for c in cells if LINE_END_MARKS.sub("", ASTRAL.sub("", c)) not in flat]
        assert not missing_cells, f"{name}: {missing_cells}"


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


TEXT_TOP_PT = L.mm_to_pt(L.MARGIN_TOP_MM)
TEXT_BOTTOM_PT = L.mm_to_pt(L.MARGIN_TOP_MM + L.TEXT_HEIGHT_MM)
TEXT_LEFT_PT = L.mm_to_pt(L.MARGIN_LEFT_MM)
TEXT_RIGHT_PT = L.mm_to_pt(L.MARGIN_LEFT_MM + L.TEXT_WIDTH_MM)


def test_colophon_sits_on_the_bottom_of_the_text_area(converted):
    # §7.4: the 版记's last rule on the 版心's bottom edge, so its 印发 line is the
    # last line above that edge (LibreOffice once left it at the top of the page).
    for name, (doc, pdf) in converted.items():
        words = words_with_boxes(pdf, pages(pdf))
        printed = [w for w in words if w[4].endswith("印发")]
        assert printed, name
        bottom = max(w[3] for w in printed)
        assert TEXT_BOTTOM_PT - L.LINE_PITCH_PT < bottom <= TEXT_BOTTOM_PT, (name, bottom)
        assert all(w[1] > TEXT_BOTTOM_PT - 4 * L.LINE_PITCH_PT for w in words), name


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
