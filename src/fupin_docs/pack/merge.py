"""One printable PDF of every PDF item, stamped page by page (the Bates idea).

Each page gets, in its bottom-right margin, the pack page number and the
item's 档号, so a loose printed sheet can be traced back to its file. The
stamps are drawn once by WeasyPrint as one small page each (CJK needs a real
font) and laid over the item pages with pypdf.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter, Transformation

STAMP_WIDTH_MM = 110
STAMP_HEIGHT_MM = 6
STAMP_MARGIN_MM = 4  # from the page's right and bottom edges
PT_PER_MM = 72 / 25.4


@dataclass
class MergePart:
    archive_no: str
    title: str
    path: Path


@dataclass
class MergedRange:
    first: int  # 1-based pack page numbers
    last: int


def stamp_text(page_no: int, total: int, archive_no: str) -> str:
    width = max(3, len(str(total)))
    return f"档号 {archive_no}　第 {page_no:0{width}d} 页（共 {total} 页）"


def _stamps_pdf(texts: list[str]) -> PdfReader:
    """One stamp page per text, right-aligned, from a single WeasyPrint render."""
    from weasyprint import HTML

    pages = "".join(f'<div class="s">{html.escape(t)}</div>' for t in texts)
    doc = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
@page {{ size: {STAMP_WIDTH_MM}mm {STAMP_HEIGHT_MM}mm; margin: 0; }}
body {{ margin: 0; }}
div.s {{ font-family: "Noto Sans CJK SC", "FandolHei", sans-serif; font-size: 8pt;
  line-height: {STAMP_HEIGHT_MM}mm; height: {STAMP_HEIGHT_MM}mm; text-align: right;
  white-space: nowrap; color: #000; break-after: page; }}
</style></head><body>{pages}</body></html>"""
    from io import BytesIO

    return PdfReader(BytesIO(HTML(string=doc).write_pdf()))


def open_pdf(path: Path) -> PdfReader | None:
    """A readable PdfReader for PATH, or None if it is damaged or locked."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        len(reader.pages)
        return reader
    except Exception:
        return None


def merge_pdfs(parts: list[MergePart], out: Path) -> list[MergedRange | None]:
    """Write the stamped merge of PARTS to OUT; per part its page range, or
    None where the PDF could not be read (left out of the merge)."""
    readers = [open_pdf(part.path) for part in parts]
    total = sum(len(r.pages) for r in readers if r is not None)
    writer = PdfWriter()
    ranges: list[MergedRange | None] = []
    texts: list[str] = []
    page_no = 0
    for part, reader in zip(parts, readers):
        if reader is None or not len(reader.pages):
            ranges.append(None)
            continue
        first = page_no + 1
        start_index = len(writer.pages)
        writer.append(reader, import_outline=False)
        for _ in reader.pages:
            page_no += 1
            texts.append(stamp_text(page_no, total, part.archive_no))
        ranges.append(MergedRange(first, page_no))
        writer.add_outline_item(title=f"{part.archive_no} {part.title}", page_number=start_index)
    if texts:
        stamps = _stamps_pdf(texts)
        width = STAMP_WIDTH_MM * PT_PER_MM
        margin = STAMP_MARGIN_MM * PT_PER_MM
        for page, stamp in zip(writer.pages, stamps.pages):
            if page.get("/Rotate"):
                page.transfer_rotation_to_content()
            box = page.cropbox
            tx = float(box.right) - width - margin
            ty = float(box.bottom) + margin
            page.merge_transformed_page(stamp, Transformation().translate(tx, ty))
    writer.page_mode = "/UseOutlines"
    with open(out, "wb") as handle:
        writer.write(handle)
    return ranges
