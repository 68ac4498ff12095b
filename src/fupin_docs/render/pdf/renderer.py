"""Render a composed document to PDF with WeasyPrint; batches on every core."""

from __future__ import annotations

import concurrent.futures
import functools
import math
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ...atomic import atomic_path
from ...compose.tree import ComposedDocument
from ...workspace.config import Config
from .. import layout as L
from .fonts import SETUP_COMMAND, FontSetupError, fallback_report, require_faces, uncovered_chars
from .html import (COLOPHON_AFTER_BLANK, COLOPHON_HERE, COLOPHON_NEXT_EVEN, build_css, build_html,
                   grid_snap_gap, snap_anchor, table_count, text_by_role)

PDFA_VARIANT = "pdf/a-2b"
# The HTML references nothing relative (faces are absolute file: URIs in the
# style sheet), so any fixed base works; this package folder keeps the result
# independent of the caller's current directory.
BASE_URL = Path(__file__).resolve().parent.as_uri() + "/"


@dataclass(frozen=True)
class PdfResult:
    path: Path | None  # None when only renditions were asked for
    pages: int
    # {role: characters the role's primary face lacks}; they were drawn from a
    # fallback face (or, if listed in `uncovered` too, from no face at all).
    fallback_chars: dict = field(default_factory=dict)
    uncovered: str = ""  # characters no installed face has (printed as boxes)
    # Line spacing of the section holding the 署名 was tightened so that the
    # 附件说明/署名 stay on the page with the 正文 (GB/T 9704 §7.3.5).
    tightened: bool = False


@functools.lru_cache(maxsize=1)
def _weasyprint():
    """Import WeasyPrint, turning a missing system library into a clear message."""
    try:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration
    except (OSError, ImportError) as err:
        raise FontSetupError(
            f"无法加载 PDF 排版库 WeasyPrint（{err}）。它需要 Pango 和 HarfBuzz 系统库，"
            f"请运行：{SETUP_COMMAND}（或 sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "libharfbuzz-subset0）") from None
    return weasyprint, FontConfiguration()


@functools.lru_cache(maxsize=8)
def _stylesheet(css: str):
    """The parsed GB/T 9704 style sheet, once per process and face set."""
    weasyprint, font_config = _weasyprint()
    return weasyprint.CSS(string=css, font_config=font_config)


def _anchor_page(document, anchor: str) -> int | None:
    """1-based number of the page holding the element with id ANCHOR."""
    for number, page in enumerate(document.pages, 1):
        if anchor in page.anchors:
            return number
    return None


def tail_went_over(document) -> bool:
    """Whether the 附件说明/署名 of a short section (one that starts on the page
    before) went over to a page of their own with the last 正文 lines: the case
    §7.3.5 solves by tightening line spacing. Longer sections are left as they
    are (their last 正文 lines go along with the 署名)."""
    tail = _anchor_page(document, "tail")
    section = _anchor_page(document, "tail-section") or tail
    return tail is not None and tail == section + 1


def colophon_place(document) -> str:
    """Where the 版记 must go, from a layout with the 版记 right after the body.

    GB/T 9704 §7.5 as read in docs/GBT9704.md: the 版记 is on the last side, an
    even page. On an even page it stays. On an odd page there are two cases:
    the body ends on that same odd page (the 版记 moves to the bottom of the
    next, even page, which keeps its number), or the body ends on the even
    page before and the 版记 did not fit there (a blank odd page and an even
    版记 page follow, both unnumbered).

    A 版记 that did not fit under the body's last line is carried by WeasyPrint
    as a footnote to an extra page of its own, which it treats as a blank page
    (no number). On an even page that is the first case (body on the odd page
    before): laid out again, the 版记 starts that page as a numbered page."""
    colophon = _anchor_page(document, "colophon")
    call = _anchor_page(document, "colophon-call")
    body_end = _anchor_page(document, "body-end")
    if colophon is None:
        return COLOPHON_HERE
    if colophon % 2 == 0:
        return COLOPHON_HERE if call == colophon else COLOPHON_NEXT_EVEN
    if body_end is not None and body_end < colophon:
        return COLOPHON_AFTER_BLANK
    return COLOPHON_NEXT_EVEN


PT_PER_CSS_PX = 0.75  # WeasyPrint reports positions in CSS px (1/96 in)


def snap_gaps(document, tables: int) -> tuple[float, ...]:
    """The gap below each table that puts the next line on the grid, from
    where DOCUMENT (a layout) ends each table."""
    top = L.mm_to_pt(L.MARGIN_TOP_MM)
    gaps = []
    for number in range(tables):
        anchor = snap_anchor(number)
        where = next((page.anchors[anchor] for page in document.pages if anchor in page.anchors), None)
        gaps.append(0.0 if where is None else grid_snap_gap(where[1] * PT_PER_CSS_PX - top))
    return tuple(gaps)


def _same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < 0.01 for x, y in zip(a, b))


def _lay_out(doc: ComposedDocument, faces, colophon: str = COLOPHON_HERE, tight: bool = False,
             snaps: tuple[float, ...] = ()):
    weasyprint, font_config = _weasyprint()
    html = build_html(doc, faces, colophon, tight, snaps)
    return weasyprint.HTML(string=html, base_url=BASE_URL).render(
        stylesheets=[_stylesheet(build_css(faces))], font_config=font_config)


def _settled(doc: ComposedDocument, faces, tight: bool):
    """A layout (the 版记 right after the body) whose text below every table is
    back on the grid: the gap below a table depends only on what comes before
    it, so laying out again with the measured gaps settles one table more each
    time. Returns (layout, gaps)."""
    tables = table_count(doc)
    snaps = (0.0,) * tables
    document = _lay_out(doc, faces, COLOPHON_HERE, tight, snaps)
    for _ in range(tables + 1):
        wanted = snap_gaps(document, tables)
        if _same(wanted, snaps):
            break
        snaps = wanted
        document = _lay_out(doc, faces, COLOPHON_HERE, tight, snaps)
    return document, snaps


@dataclass(frozen=True)
class BodyEnd:
    """Where a document's body ends in the PDF layout."""
    page: int  # 1-based page holding the body's last line
    lines: int  # grid lines (of LINES_PER_PAGE) that page uses down to that line


def lines_used(offset_pt: float) -> int:
    """Grid lines taken by text ending OFFSET_PT below the 版心's top (a line a
    fraction of a point into the next is not counted: rounding of the pitch)."""
    pitch = L.LINE_PITCH_PT
    return max(0, min(L.LINES_PER_PAGE, math.ceil(offset_pt / pitch - 0.05)))


def body_end(doc: ComposedDocument, *, config: Config) -> BodyEnd:
    """Lay DOC out as render_pdf does before it places the 版记 and before any
    §7.3.5 tightening (the 版记 right after the body, the text below tables
    back on the grid), and tell on which page the body ends and how many grid
    lines that page uses down to its last line. Raises FontSetupError when no
    layout can be made here (WeasyPrint or the faces missing)."""
    faces = require_faces(config.fonts)
    document, _ = _settled(doc, faces, False)
    top = L.mm_to_pt(L.MARGIN_TOP_MM)
    for number, page in enumerate(document.pages, 1):
        where = page.anchors.get("body-end")
        if where is not None:
            lines = lines_used(where[1] * PT_PER_CSS_PX - top)
            if lines == 0 and number > 1:  # the marker went over below a full page
                return BodyEnd(page=number - 1, lines=L.LINES_PER_PAGE)
            return BodyEnd(page=number, lines=lines)
    return BodyEnd(page=len(document.pages), lines=L.LINES_PER_PAGE)  # the template always has the marker


def render_pdf(doc: ComposedDocument, target: str | Path | None, *, config: Config,
               pdfa: bool = False, renditions=()) -> PdfResult:
    """Write DOC as a GB/T 9704 PDF at TARGET (atomically) and describe it.

    RENDITIONS are callables rendition(layout, doc) given the very layout the
    PDF is written from (a WeasyPrint document), e.g. the OFD writer: one
    layout, several fixed-layout files. With TARGET None only they are written."""
    target = Path(target) if target is not None else None
    faces = require_faces(config.fonts)
    document, snaps = _settled(doc, faces, False)
    tight = False
    if tail_went_over(document):  # §7.3.5: try tightened line spacing first
        trial, trial_snaps = _settled(doc, faces, True)
        if not tail_went_over(trial):
            document, snaps, tight = trial, trial_snaps, True
    place = colophon_place(document)
    if place != COLOPHON_HERE:  # another layout only when the 版记 fell on an odd page
        document = _lay_out(doc, faces, place, tight, snaps)
    for rendition in renditions:
        rendition(document, doc)
    if target is not None:
        options = {"pdf_variant": PDFA_VARIANT} if pdfa else {}
        with atomic_path(target) as tmp:
            document.write_pdf(tmp, **options)
    fallback = fallback_report(text_by_role(doc), faces)
    uncovered = uncovered_chars("".join(fallback.values()), faces) if fallback else ""
    return PdfResult(path=target, pages=len(document.pages), fallback_chars=fallback,
                     uncovered=uncovered, tightened=tight)


def _render_one(args) -> PdfResult:
    doc, target, config, pdfa, renditions = args
    return render_pdf(doc, target, config=config, pdfa=pdfa, renditions=renditions)


def render_pdfs(docs_and_targets, *, config: Config, jobs: int = 2,
                progress: Callable[[int, int], None] | None = None,
                pdfa: bool = False, executor: concurrent.futures.Executor | None = None,
                renditions=None) -> list[PdfResult]:
    """Render many documents; results come back in input order.

    RENDITIONS, if given, holds for each document what render_pdf takes as its
    renditions (picklable callables, as they may run in a worker process).

    PROGRESS, if given, is called as progress(done, total): once with (0, total)
    before the first document and after each finished one (in completion order).
    EXECUTOR, if given, is a concurrent.futures executor the caller owns (e.g. a
    server's process pool): documents are submitted to it and it is left
    running. Without one, JOBS > 1 starts a forked process pool (the workers
    inherit the loaded WeasyPrint, faces and parsed style sheet) and shuts it
    down afterwards; JOBS == 1 renders in this process. Fonts are checked once
    up front so a missing face is one message, not one per worker. If a
    document fails, the documents not yet started are cancelled and the error
    is raised.
    """
    if progress is not None and not callable(progress):
        raise TypeError("progress must be None or a callable progress(done, total)")
    pairs = list(docs_and_targets)
    extra = list(renditions) if renditions is not None else [()] * len(pairs)
    items = [(doc, None if target is None else Path(target), config, pdfa, tuple(more))
             for (doc, target), more in zip(pairs, extra)]
    total = len(items)
    faces = require_faces(config.fonts)
    if progress is not None:
        progress(0, total)
    jobs = max(1, min(jobs or os.cpu_count() or 1, total or 1))
    if executor is None and jobs == 1:
        results = []
        for done, item in enumerate(items, 1):
            results.append(_render_one(item))
            if progress is not None:
                progress(done, total)
        return results
    own = executor is None
    if own:
        _weasyprint()
        _stylesheet(build_css(faces))  # parsed once here; forked workers inherit it
        # fork: workers inherit the loaded WeasyPrint, fonts and cmaps.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        executor = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    futures = []
    try:
        futures = [executor.submit(_render_one, item) for item in items]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            future.result()  # raises the first failure
            if progress is not None:
                progress(done, total)
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
