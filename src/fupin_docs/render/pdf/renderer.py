"""Render a composed document to PDF with WeasyPrint; batches on every core."""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ...atomic import atomic_path
from ...compose.tree import ComposedDocument
from ...workspace.config import Config
from .fonts import SETUP_COMMAND, FontSetupError, fallback_report, require_faces, uncovered_chars
from .html import build_css, build_html, text_by_role

PDFA_VARIANT = "pdf/a-2b"


@dataclass(frozen=True)
class PdfResult:
    path: Path
    pages: int
    # {role: characters the role's primary face lacks}; they were drawn from a
    # fallback face (or, if listed in `uncovered` too, from no face at all).
    fallback_chars: dict = field(default_factory=dict)
    uncovered: str = ""  # characters no installed face has (printed as boxes)


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


def _drop_last_page_number(document) -> None:
    """No page number on the 版记 page (§7.5), which is always the last page.

    The number is a CSS margin box (@bottom-left/right). Instead of a second
    layout pass with `@page :nth(N)` (doubling the cost of every document), the
    finished layout of the last page loses its margin boxes before painting:
    `write_pdf` builds its stacking contexts from the page box's children at
    paint time, so what is removed here is simply not drawn. This relies on
    WeasyPrint's Page._page_box (v70); tests check the result from the PDF.
    """
    from weasyprint.formatting_structure.boxes import MarginBox

    if not document.pages:
        return
    page_box = document.pages[-1]._page_box
    page_box.children = [child for child in page_box.children if not isinstance(child, MarginBox)]


def render_pdf(doc: ComposedDocument, target: str | Path, *, config: Config,
               pdfa: bool = False) -> PdfResult:
    """Write DOC as a GB/T 9704 PDF at TARGET (atomically) and describe it."""
    target = Path(target)
    faces = require_faces(config.fonts)
    weasyprint, font_config = _weasyprint()
    html = build_html(doc, faces)
    stylesheet = _stylesheet(build_css(faces))
    document = weasyprint.HTML(string=html, base_url=str(Path.cwd())).render(
        stylesheets=[stylesheet], font_config=font_config)
    _drop_last_page_number(document)
    options = {"pdf_variant": PDFA_VARIANT} if pdfa else {}
    with atomic_path(target) as tmp:
        document.write_pdf(tmp, **options)
    fallback = fallback_report(text_by_role(doc), faces)
    uncovered = uncovered_chars("".join(fallback.values()), faces) if fallback else ""
    return PdfResult(path=target, pages=len(document.pages), fallback_chars=fallback,
                     uncovered=uncovered)


def _render_one(args) -> PdfResult:
    doc, target, config, pdfa = args
    return render_pdf(doc, target, config=config, pdfa=pdfa)


def render_pdfs(docs_and_targets, *, config: Config, jobs: int = 2, progress: bool = True,
                pdfa: bool = False) -> list[PdfResult]:
    """Render many documents, JOBS processes at once, with a progress bar on stderr.

    Results come back in input order. Fonts are checked once up front so a
    missing face is one message, not one per worker.
    """
    import click

    items = [(doc, Path(target), config, pdfa) for doc, target in docs_and_targets]
    faces = require_faces(config.fonts)
    _weasyprint()
    _stylesheet(build_css(faces))  # parsed once here; forked workers inherit it
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(items) or 1))
    results: list[PdfResult] = []
    bar = click.progressbar(length=len(items), label="正在生成 PDF", file=sys.stderr,
                            show_pos=True, show_eta=True) if progress else None
    try:
        if jobs == 1:
            for item in items:
                results.append(_render_one(item))
                if bar:
                    bar.update(1)
        else:
            import multiprocessing

            # fork: workers inherit the loaded WeasyPrint, fonts and cmaps.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
            ctx = multiprocessing.get_context(method)
            with ctx.Pool(jobs) as pool:
                for result in pool.imap(_render_one, items, chunksize=1):
                    results.append(result)
                    if bar:
                        bar.update(1)
    finally:
        if bar:
            bar.render_finish()
    return results
