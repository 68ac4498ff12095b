"""Identify a file's format, check it is what its name says, count pages, extract text.

Text feeds the search index; the archive itself keeps only the original bytes.
A file that claims a format it does not have (a .docx that is not a Word file, a
.pdf that is not a PDF) is refused with a message, so nothing broken enters.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ArchiveError
from .ofd_reader import read_ofd

IMAGE_EXTS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".bmp": "bmp",
              ".tif": "tiff", ".tiff": "tiff", ".webp": "webp"}
TEXT_EXTS = {".txt": "txt", ".md": "md", ".csv": "csv"}
_IMAGE_MAGIC = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
    "bmp": (b"BM",),
    "tiff": (b"II*\x00", b"MM\x00*"),
    "webp": (b"RIFF",),
}


@dataclass
class Extracted:
    format: str  # docx, pdf, xlsx, txt, md, csv, jpeg, png, … or the bare extension
    pages: int | None
    text: str
    title_hint: str | None = None
    date_hint: tuple | None = None  # (date, "成文日期"/"印发日期") at the end of the text, or (date, "拍摄日期")


def safe_file_name(name: str) -> str:
    """The last path component of NAME, whichever separator it uses; never '..' or empty."""
    name = re.split(r"[\\/]", str(name))[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip()
    name = name.lstrip(".") or "未命名文件"
    return name[:200]


def _fail(name: str, what: str, fix: str) -> ArchiveError:
    return ArchiveError(f"“{name}”{what}。{fix}")


def _read_head(path: Path, size: int = 2048) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _docx(path: Path, name: str) -> Extracted:
    import docx  # python-docx
    fix = "请用 Word 或 WPS 打开确认文件完好，另存为 .docx 后再归档"
    if not zipfile.is_zipfile(path):
        raise _fail(name, "不是有效的 Word 文档（.docx），文件已损坏或只是改了扩展名", fix)
    try:
        document = docx.Document(str(path))
        parts = [p.text for p in document.paragraphs if p.text.strip()]
        for table in document.tables:
            for row in table.rows:
                seen = []
                for cell in row.cells:  # merged cells repeat; keep each once
                    text = cell.text.strip()
                    if text and text not in seen:
                        seen.append(text)
                if seen:
                    parts.append("　".join(seen))
        title = (document.core_properties.title or "").strip() or None
    except ArchiveError:
        raise
    except Exception as err:  # python-docx raises many kinds on broken packages
        raise _fail(name, f"无法作为 Word 文档读取（{type(err).__name__}）", fix) from None
    text = "\n".join(parts)
    # the date from the paragraphs alone: table rows (appended last) carry deadlines
    # (the 版记 with its 印发日期 may be a table at the very end)
    date_hint = (find_document_date("\n".join(p.text for p in document.paragraphs))
                 or find_document_date(text, signed=False))
    return Extracted("docx", _docx_pages(path, text), text, title, date_hint)


# A page of A4 holds well under this many characters in any font an office uses.
MAX_CHARS_PER_PAGE = 3000


def _docx_pages(path: Path, text: str) -> int | None:
    """docProps/app.xml <Pages>, when the program that saved the file counted it.

    Word, WPS and LibreOffice write <Pages> with <Words>/<Characters> when they save.
    A file made by a program (python-docx and the like) carries whatever its template
    said — typically <Pages>1</Pages> with zero words — so a count beside zero words,
    or one the text could not fit in, is no count: None (shown “—”), never a made-up 1.
    """
    try:
        with zipfile.ZipFile(path) as package:
            if "docProps/app.xml" not in package.namelist():
                return None
            app = package.read("docProps/app.xml").decode("utf-8", "replace")
    except Exception:
        return None

    def number(tag: str) -> int:
        match = re.search(rf"<(?:\w+:)?{tag}>\s*(\d+)\s*</", app)
        return int(match.group(1)) if match else 0

    pages = number("Pages")
    if pages <= 0 or (number("Words") <= 0 and number("Characters") <= 0):
        return None
    if len(re.sub(r"\s", "", text)) > pages * MAX_CHARS_PER_PAGE:
        return None
    return pages


# 成文日期 as GB/T 9704 writes it (Arabic numerals): 2020年2月28日, possibly spaced out by
# PDF text extraction.
_CN_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DATE_LINES = 12  # 成文日期 and 印发日期 sit in the last lines of a document
_NOT_A_DATE_LINE = re.compile(r"[：:（(，,。；;]")


def find_document_date(text: str, signed: bool = True):
    """(date, "成文日期" or "印发日期") when the end of TEXT clearly shows one, else None.

    Only short lines among the last few count: a line ending with the date and
    nothing but perhaps the 发文机关 before it (the 成文日期 under the signature),
    or, failing that, the 版记's “… 2020年3月18日印发” (only that when not SIGNED). Dates inside sentences
    (“完成时限：2020年5月31日”) and dates after today do not count.
    """
    import datetime as dt
    import unicodedata

    lines = [line.strip() for line in unicodedata.normalize("NFKC", text or "").splitlines() if line.strip()]
    lines = [line for line in lines[-DATE_LINES:] if len(line) <= 40]

    def date_at_end(line: str, suffix: str):
        matches = list(_CN_DATE.finditer(line))
        if not matches or line[matches[-1].end():].strip() != suffix:
            return None
        year, month, day = (int(g) for g in matches[-1].groups())
        try:
            found = dt.date(year, month, day)
        except ValueError:
            return None
        return found if found <= dt.date.today() else None

    for line in reversed(lines if signed else ()):
        if not _NOT_A_DATE_LINE.search(line):
            found = date_at_end(line, "")
            if found:
                return found, "成文日期"
    for line in reversed(lines):
        found = date_at_end(line, "印发")
        if found:
            return found, "印发日期"
    return None


def _pdf(path: Path, name: str) -> Extracted:
    fix = "请确认文件是完整的 PDF（能用阅读器打开），重新导出或扫描后再归档"
    head = _read_head(path, 1024)
    if b"%PDF-" not in head:
        raise _fail(name, "不是 PDF 文件（文件开头没有 %PDF 标记），可能已损坏或只是改了扩展名", fix)
    try:
        from pypdf import PdfReader
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                pass
        pages = len(reader.pages)
        texts = []
        for page in reader.pages:
            try:
                texts.append(page.extract_text() or "")
            except Exception:
                texts.append("")
        title = None
        try:
            meta = reader.metadata
            title = (meta.title or "").strip() or None if meta else None
        except Exception:
            title = None
    except Exception as err:
        raise _fail(name, f"无法作为 PDF 读取（{type(err).__name__}）", fix) from None
    return Extracted("pdf", pages, "\n".join(texts), title, find_document_date(texts[-1] if texts else ""))


def _ofd(path: Path, name: str) -> Extracted:
    fix = "请确认文件是完整的 OFD 版式文件（能用 OFD 阅读器打开），重新导出后再归档"
    if not zipfile.is_zipfile(path):
        raise _fail(name, "不是有效的 OFD 文件（OFD 应为一个压缩包），文件已损坏或只是改了扩展名", fix)
    try:
        pages, text, title = read_ofd(path)
    except Exception as err:  # zip, XML and structure errors of a broken or hostile package
        raise _fail(name, f"无法作为 OFD 文件读取（{type(err).__name__}）", fix) from None
    last_page = text.rsplit("\f", 1)[-1]
    return Extracted("ofd", pages, text.replace("\f", "\n"), title, find_document_date(last_page))


def _xlsx(path: Path, name: str) -> Extracted:
    fix = "请用 Excel 或 WPS 打开确认文件完好，另存为 .xlsx 后再归档"
    if not zipfile.is_zipfile(path):
        raise _fail(name, "不是有效的 Excel 工作簿（.xlsx），文件已损坏或只是改了扩展名", fix)
    try:
        import openpyxl
        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        parts = []
        try:
            for sheet in book.worksheets:
                parts.append(sheet.title)
                for row in sheet.iter_rows(values_only=True):
                    cells = [str(value).strip() for value in row if value is not None and str(value).strip()]
                    if cells:
                        parts.append("　".join(cells))
        finally:
            book.close()
    except Exception as err:
        raise _fail(name, f"无法作为 Excel 工作簿读取（{type(err).__name__}）", fix) from None
    return Extracted("xlsx", None, "\n".join(parts))


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _text(path: Path, name: str, fmt: str) -> Extracted:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise _fail(name, "看起来不是文本文件（含有二进制内容）", "请确认扩展名是否正确")
    text = decode_text(data)
    return Extracted(fmt, None, text, None, find_document_date(text) if fmt in ("txt", "md") else None)


def photo_date(path: Path):
    """The day a photo was taken, from its EXIF DateTimeOriginal (or DateTime), or None."""
    import datetime as dt

    try:
        from PIL import Image  # Pillow comes with WeasyPrint

        with Image.open(path) as image:
            exif = image.getexif()
            value = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)  # DateTimeOriginal, DateTime
    except Exception:  # no EXIF, an odd file: no date, the clerk is asked
        return None
    try:
        day = dt.datetime.strptime(str(value).strip()[:10], "%Y:%m:%d").date()
    except ValueError:
        return None
    return day if dt.date(1990, 1, 1) <= day <= dt.date.today() else None


def _image(path: Path, name: str, fmt: str) -> Extracted:
    head = _read_head(path, 16)
    if not any(head.startswith(magic) for magic in _IMAGE_MAGIC[fmt]):
        raise _fail(name, f"不是有效的 {fmt.upper()} 图片（文件头不符），可能已损坏或只是改了扩展名",
                    "请重新导出或拍摄后再归档")
    taken = photo_date(path)
    return Extracted(fmt, 1, "", date_hint=(taken, "拍摄日期") if taken else None)


def inspect_file(path: Path, name: str | None = None) -> Extracted:
    """Check PATH is what its extension says and extract its text. Raises ArchiveError."""
    path = Path(path)
    name = name or path.name
    ext = Path(safe_file_name(name)).suffix.lower()
    if ext == ".docx":
        return _docx(path, name)
    if ext == ".pdf":
        return _pdf(path, name)
    if ext == ".ofd":
        return _ofd(path, name)
    if ext in (".xlsx", ".xlsm"):
        return _xlsx(path, name)
    if ext in TEXT_EXTS:
        return _text(path, name, TEXT_EXTS[ext])
    if ext in IMAGE_EXTS:
        return _image(path, name, IMAGE_EXTS[ext])
    # Anything else an office keeps (.doc, .wps, .zip, .mp4 …) is archived by metadata only.
    return Extracted(ext.lstrip(".") or "bin", None, "")


def extract_text(path: Path, name: str) -> str:
    """Text of an archived file for the index; '' when it has none or cannot be read."""
    try:
        return inspect_file(path, name).text
    except Exception:
        return ""
