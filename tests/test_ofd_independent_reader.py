"""An independent OFD reader draws our OFD as the PDF looks (issue 14).

ofd.js 0.2.6 (npm, pinned in tests/ofd_reader/package-lock.json, installed by
`make setup`; test-only, never shipped) parses each example's OFD in Debian's
Chromium and draws every page with the faces embedded in the file. Each drawn
page is compared with the PDF from the same layout, rasterised by pdftoppm at
the reader's own scale: same number of pages; per 5 mm band of the A4 page,
the fraction of dark pixels correlates (>= MIN_CORRELATION) and red ink
(发文机关标志 §7.2.3, the red separator line §7.2.6, GB/T 9704) sits in the
same bands, and no band's dark fraction differs by more than MAX_BAND_DIFF.
Damaged OFDs (text moved 10 mm, the head's text or one body line removed) must
fail the same comparison.

ofd.js 0.2.6 ignores a path's Rule="Even-Odd" (it fills non-zero); the writer
winds the 版记's even-odd frames so both rules fill the same area, and the
reader gets the file exactly as written (see docs/ofd.md, "Independent readers").
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from fupin_docs.compose import compose
from fupin_docs.inputs import load_document
from fupin_docs.render.ofd import render_ofd
from fupin_docs.workspace.config import Config
import layout_standard as S

pytestmark = pytest.mark.storage_free  # renders inputs only: the county pass leaves it out

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
READER = ROOT / "tests" / "ofd_reader"
SETUP = "make setup  (or: npm ci --prefix tests/ofd_reader --no-audit --no-fund --ignore-scripts)"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ORIGIN = "http://ofd-reader.invalid/"  # answered by Playwright's route: no socket, no network

A4_MM = (S.PAGE_WIDTH_MM, S.PAGE_HEIGHT_MM)  # GB/T 9704 §5.2.1: A4
BAND_MM = 5.0
# Measured on the four examples (2026-11-30, Chromium 156, ofd.js 0.2.6): every
# page 0.980-0.998 (lowest: minutes page 2, 0.980); text moved 2 mm gives
# 0.84, 10 mm 0.02-0.24; the head's black text removed 0.74-0.89; one body
# line removed 0.954-0.987 (caught by MAX_BAND_DIFF, not by this). 0.97 is
# under the lowest honest page with room for another Chromium's hinting.
MIN_CORRELATION = 0.97
# Per band, the reader's dark fraction may differ from the PDF's by at most this
# much. Measured: at most 0.042 on honest pages (the 标志's band on page 1 of
# every example: the large bold face is hinted differently), 0.061 on the first
# example's page 1 with one full body line's text removed (0.07-0.08 for other
# lines). A single line is near what 5 mm bands can see; 0.05 sits between.
MAX_BAND_DIFF = 0.05
RED_MIN = 0.001  # a band "has red" when more than 0.1 % of its pixels are red

PAGE_HTML = """<!doctype html><html><head><meta charset="utf-8">
<style>body{margin:0;background:#fff}</style></head><body><div id="out"></div>
<script src="ofd.js"></script>
<script>
window.readerStatus = "loading";
window.readerPages = 0;
fetch("doc.ofd").then(r => r.arrayBuffer()).then(buf => {
  ofd.parseOfdDocument({ofd: buf, success(res) {
    try {
      const pages = ofd.renderOfd(%(width)d, res[0]);
      const out = document.getElementById("out");
      pages.forEach((div, i) => { div.style.margin = "0"; div.setAttribute("data-page", i); out.appendChild(div); });
      window.readerPages = pages.length;
      document.fonts.ready.then(() => { window.readerStatus = "done"; });
    } catch (e) { window.readerStatus = "render error: " + e; }
  }, fail(msg) { window.readerStatus = "parse error: " + msg; }});
}).catch(e => { window.readerStatus = "fetch error: " + e; });
</script></body></html>"""
SCREEN_WIDTH = 794  # the width ofd.js is asked to fit a page into (an A4 page at 96 dpi)


# --- the reader -------------------------------------------------------------------------


def reader_bundle() -> Path:
    """ofd.js's browser bundle (the package's "main"), from the pinned install."""
    package = READER / "node_modules" / "ofd.js" / "package.json"
    assert package.is_file(), f"ofd.js is not installed under tests/ofd_reader: run {SETUP}"
    meta = json.loads(package.read_text(encoding="utf-8"))
    pinned = json.loads((READER / "package.json").read_text(encoding="utf-8"))["dependencies"]["ofd.js"]
    assert meta["version"] == pinned, f"ofd.js {meta['version']} installed, {pinned} pinned: run {SETUP}"
    return package.parent / meta["main"]


class Reader:
    """One Chromium; draw(ofd) -> the pages ofd.js drew, as RGB images."""

    def __init__(self, playwright, bundle: Path):
        self.bundle = bundle.read_bytes()
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

    def draw(self, ofd: Path) -> list[Image.Image]:
        files = {"index.html": (PAGE_HTML % {"width": SCREEN_WIDTH}).encode("utf-8"),
                 "ofd.js": self.bundle, "doc.ofd": ofd.read_bytes()}
        page = self.browser.new_page(viewport={"width": SCREEN_WIDTH, "height": 1200})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route(ORIGIN + "**", lambda route: route.fulfill(
            status=200, body=files[route.request.url[len(ORIGIN):]],
            content_type="text/html" if route.request.url.endswith(".html") else "application/octet-stream"))
        try:
            page.goto(ORIGIN + "index.html")
            deadline = time.monotonic() + 60
            while (status := page.evaluate("window.readerStatus")) == "loading" and time.monotonic() < deadline:
                time.sleep(0.2)
            assert status == "done", (ofd.name, status, errors)
            count = page.evaluate("window.readerPages")
            return [Image.open(io.BytesIO(page.locator(f'[data-page="{i}"]').screenshot())).convert("RGB")
                    for i in range(count)]
        finally:
            page.close()

    def close(self):
        self.browser.close()


# --- comparing pictures -----------------------------------------------------------------


def pdf_page_image(pdf: Path, page: int, size: tuple[int, int]) -> Image.Image:
    """PDF page PAGE rasterised by pdftoppm at SIZE (the reader's pixels)."""
    png = subprocess.run(["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-scale-to-x", str(size[0]),
                          "-scale-to-y", str(size[1]), "-singlefile", str(pdf)],
                         capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def band_profile(img: Image.Image) -> tuple[list[float], list[float]]:
    """Per 5 mm band from the page's top: fraction of dark pixels (grey < 128)
    and of red pixels (R > 150, G < 100, B < 100)."""
    width, height = img.size
    dark = img.convert("L").point(lambda v: 255 if v < 128 else 0)
    r, g, b = img.split()
    red = Image.merge("RGB", (r.point(lambda v: 255 if v > 150 else 0), g.point(lambda v: 255 if v < 100 else 0),
                              b.point(lambda v: 255 if v < 100 else 0))).convert("L").point(lambda v: 255 if v == 255 else 0)
    step = height * BAND_MM / A4_MM[1]
    darks, reds = [], []
    for i in range(int(A4_MM[1] / BAND_MM) + 1):
        box = (0, round(i * step), width, min(height, round((i + 1) * step)))
        if box[3] <= box[1]:
            break
        n = width * (box[3] - box[1])
        darks.append(dark.crop(box).histogram()[255] / n)
        reds.append(red.crop(box).histogram()[255] / n)
    return darks, reds


def correlation(a: list[float], b: list[float]) -> float:
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va, vb = sum((x - ma) ** 2 for x in a), sum((y - mb) ** 2 for y in b)
    return cov / (va * vb) ** 0.5 if va and vb else 0.0


def red_bands(reds: list[float]) -> list[float]:
    """The bands (their top edge, mm) holding red ink."""
    return [i * BAND_MM for i, v in enumerate(reds) if v > RED_MIN]


def compare(pdf: Path, drawn: list[Image.Image]) -> list[dict]:
    """Page by page: the reader's size, the dark-band correlation, the red bands of each."""
    pages = []
    for number, img in enumerate(drawn, start=1):
        ref = pdf_page_image(pdf, number, img.size)
        (d1, r1), (d2, r2) = band_profile(ref), band_profile(img)
        pages.append(dict(page=number, size=img.size, corr=correlation(d1, d2),
                          diff=max(abs(a - b) for a, b in zip(d1, d2)),
                          red_pdf=red_bands(r1), red_ofd=red_bands(r2)))
    return pages


def mismatches(page: dict) -> list[str]:
    """Why the reader's page is not the PDF's page (empty: it is)."""
    found = []
    if page["corr"] < MIN_CORRELATION:
        found.append(f"dark-band correlation {page['corr']:.3f} < {MIN_CORRELATION}")
    if page["diff"] > MAX_BAND_DIFF:
        found.append(f"a band's dark fraction differs by {page['diff']:.3f} > {MAX_BAND_DIFF}")
    if page["red_ofd"] != page["red_pdf"]:
        found.append(f"red bands {page['red_ofd']} != {page['red_pdf']}")
    return found


# --- what ofd.js 0.2.6 does not read -----------------------------------------------------


# --- damaging an OFD --------------------------------------------------------------------


def damaged(ofd: Path, target: Path, edit) -> Path:
    """A copy of OFD with EDIT(xml) applied to page 1's Content.xml."""
    with zipfile.ZipFile(ofd) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("Pages/Page_0/Content.xml"):
                new = edit(data.decode("utf-8"))
                assert new != data.decode("utf-8"), "the damage changed nothing"
                data = new.encode("utf-8")
            dst.writestr(info, data)
    return target


def shift_text(xml: str, mm: float = 10.0) -> str:
    """Every text object on the page moved MM down."""
    def move(m):
        x, y, w, h = (float(v) for v in m.group(2).split())
        return f'{m.group(1)}"{x:g} {y + mm:g} {w:g} {h:g}"'
    return re.sub(r'(<ofd:TextObject ID="\d+" Boundary=)"([^"]+)"', move, xml)


def drop_black_text(xml: str) -> str:
    """The text of every black TextCode before the page's first body line
    (份号/紧急程度, 发文字号, the title) removed: the red 标志 stays."""
    parts = xml.split("<ofd:TextObject ")
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        if i < 5 and 'FillColor Value="0 0 0"' in part:
            part = re.sub(r"(<ofd:TextCode [^>]*>)[^<]*(</ofd:TextCode>)", r"\1\2", part)
        out.append(part)
    return "<ofd:TextObject ".join(out)


def drop_one_line(xml: str) -> str:
    """The text of the page's first full-width body line removed: a black text
    object in 三号 (GB/T 9704 §5.2.2) within one 字 of the 版心's width."""
    body_mm = S.SANHAO_PT / S.PT_PER_MM
    parts = xml.split("<ofd:TextObject ")
    for i, part in enumerate(parts[1:], start=1):
        m = re.match(r'ID="\d+" Boundary="[^ ]+ [^ ]+ ([^ ]+) [^"]+" Font="\d+" Size="([^"]+)"', part)
        if (m and float(m.group(1)) >= S.TEXT_WIDTH_MM - body_mm and abs(float(m.group(2)) - body_mm) < 0.05
                and 'FillColor Value="0 0 0"' in part):
            parts[i] = re.sub(r"(<ofd:TextCode [^>]*>)[^<]*(</ofd:TextCode>)", r"\1\2", part)
            return "<ofd:TextObject ".join(parts)
    raise AssertionError("no full-width body line on the page")


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Each example as OFD and PDF from one layout."""
    out = tmp_path_factory.mktemp("ofd_reader")
    config = Config()
    files = {}
    for example in EXAMPLES:
        ofd, pdf = out / f"{example.stem}.ofd", out / f"{example.stem}.pdf"
        render_ofd(compose(load_document(example), config), ofd, config=config, pdf_target=pdf)
        files[example.stem] = (ofd, pdf)
    return files


@pytest.fixture(scope="module")
def reader():
    bundle = reader_bundle()
    with sync_playwright() as p:
        r = Reader(p, bundle)
        yield r
        r.close()


IDS = [p.stem for p in EXAMPLES]


# --- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", IDS)
def test_ofdjs_draws_each_page_as_the_pdf_has_it(rendered, reader, stem, tmp_path):
    ofd, pdf = rendered[stem]
    drawn = reader.draw(ofd)
    assert len(drawn) == pdf_pages(pdf), (len(drawn), pdf_pages(pdf))
    pages = compare(pdf, drawn)
    print(stem, [(p["page"], p["size"], round(p["corr"], 3), round(p["diff"], 3)) for p in pages])
    for p in pages:
        width, height = p["size"]
        # the reader draws an A4 page: its picture keeps 297:210
        assert abs(height / width - A4_MM[1] / A4_MM[0]) < 0.01, p
        assert not mismatches(p), (p, mismatches(p))
    # the 发文机关标志 and the red separator are on page 1 of every example (§7.2)
    assert pages[0]["red_pdf"], pages[0]


def damaged_page(rendered, reader, tmp_path, edit) -> dict:
    ofd, pdf = rendered[IDS[0]]
    return compare(pdf, reader.draw(damaged(ofd, tmp_path / "damaged.ofd", edit)))[:1][0]


def test_text_moved_10_mm_is_caught(rendered, reader, tmp_path):
    page = damaged_page(rendered, reader, tmp_path, shift_text)
    print("moved 10 mm", page)
    assert page["corr"] < MIN_CORRELATION, page
    # the red 标志 is text too: it moves out of its bands; the red line stays
    assert page["red_ofd"] != page["red_pdf"], page


def test_heading_text_removed_is_caught(rendered, reader, tmp_path):
    page = damaged_page(rendered, reader, tmp_path, drop_black_text)
    print("heading removed", page)
    assert page["corr"] < MIN_CORRELATION, page
    assert page["red_ofd"] == page["red_pdf"], page  # only the black text went


def test_one_body_line_removed_is_caught(rendered, reader, tmp_path):
    page = damaged_page(rendered, reader, tmp_path, drop_one_line)
    print("one line removed", page)
    assert mismatches(page), page
