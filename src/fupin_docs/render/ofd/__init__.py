"""OFD output (GB/T 33190-2016): the PDF's own layout written as an OFD package.

The PDF renderer lays the document out once (WeasyPrint); `OfdWriter` is given
that layout (render_pdf's `renditions`) and writes the same glyphs, faces,
colours and rules at the same positions as OFD. See docs/ofd.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...atomic import atomic_path
from ...compose.tree import ComposedDocument
from ...errors import UserError
from ...workspace.config import Config
from .capture import OfdCaptureError, capture_pages
from .fonts import GlyphCache
from .package import build_package, write_package


class OfdError(UserError):
    """The OFD could not be written from this layout."""


@dataclass(frozen=True)
class OfdWriter:
    """A rendition for render_pdf: writes the OFD of the layout to TARGET (as it
    is; the caller makes the write atomic). Picklable, for worker processes."""
    target: Path

    def __call__(self, layout, doc: ComposedDocument) -> None:
        write_ofd(layout, doc.metadata, self.target)


def write_ofd(layout, metadata: dict, target: str | Path) -> int:
    """Write LAYOUT (a WeasyPrint document) as OFD at TARGET; the number of pages."""
    try:
        pages, fonts = capture_pages(layout)
    except OfdCaptureError as err:
        raise OfdError(f"无法生成 OFD 版式文件（排版库版本不符：{err}）；PDF 不受影响，"
                       "请改用 PDF，或请管理员按 pyproject.toml 安装相应版本的 WeasyPrint") from None
    package = build_package(pages, fonts, metadata, GlyphCache())
    write_package(package, target, metadata)
    return package.pages


def render_ofd(doc: ComposedDocument, target: str | Path, *, config: Config,
               pdf_target: str | Path | None = None, pdfa: bool = False) -> Path:
    """Write DOC as OFD at TARGET (atomically); with PDF_TARGET, the PDF from the
    same layout too."""
    from ..pdf import render_pdf

    target = Path(target)
    with atomic_path(target) as tmp:
        render_pdf(doc, pdf_target, config=config, pdfa=pdfa, renditions=(OfdWriter(Path(tmp)),))
    return target


__all__ = ["OfdError", "OfdWriter", "render_ofd", "write_ofd"]
