"""What WeasyPrint draws on a laid-out page, as positioned glyphs and paths.

The OFD is written from the same layout the PDF is written from: each page of
WeasyPrint's layout is painted once more into a drawing stream of WeasyPrint's
own (the one its PDF writer paints into), and the drawing operators it emits are
followed here — text matrices, font sizes, the glyphs of each run with their
advances and WeasyPrint's letter-spacing adjustments, fill and stroke colours,
rectangles and lines. Nothing is laid out a second time, so every glyph lands
where it lands in the PDF.

Reach-in (CONTRIBUTING "Layout rules"): WeasyPrint's drawing stream
(weasyprint.pdf.stream.Stream: its constructor, its recorded operators in
`.stream`, and the Font objects it collects: `.hash`, `.file_content`, `.index`,
`.widths`, `.to_unicode`, `.bitmap`, `.family`) is not public API. It is guarded
by pyproject's `weasyprint<71` bound. If it changes, `capture_pages` raises
OfdCaptureError (the OFD is not written; the PDF is unaffected).

Coordinates out of this module are OFD's: millimetres from the page's top-left
corner, y growing downwards; a glyph's y is its baseline.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

PT_TO_MM = 25.4 / 72
PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in)


class OfdCaptureError(RuntimeError):
    """The installed WeasyPrint does not draw the way this module follows."""


@dataclass(frozen=True)
class Glyph:
    gid: int
    text: str  # the characters the glyph stands for ('' for none)
    x: float  # mm, pen position (left edge of the glyph's advance)
    advance: float  # mm


@dataclass
class TextRun:
    font: object  # WeasyPrint's Font
    size: float  # mm (the em)
    color: tuple[int, int, int]
    y: float  # mm, baseline
    glyphs: list[Glyph] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(g.text for g in self.glyphs)


@dataclass
class PathShape:
    """A filled or stroked path; SUBPATHS are lists of ('M'|'L'|'C'|'Z', points)."""
    subpaths: list
    fill: tuple[int, int, int] | None
    stroke: tuple[int, int, int] | None
    line_width: float  # mm
    even_odd: bool = False


@dataclass
class PageDrawing:
    width: float  # mm
    height: float  # mm
    items: list = field(default_factory=list)  # TextRun and PathShape in painting order


def _mul(m, n):
    """Affine matrices as (a, b, c, d, e, f), PDF order: M × N."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _apply(m, x, y):
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _rgb(values) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(float(v) * 255))) for v in values)


_TOKEN = re.compile(rb"<([0-9A-Fa-f]*)>|(-?[\d.]+(?:e-?\d+)?)")


class _Interpreter:
    """Follows the operators of one painted page."""

    def __init__(self, fonts_by_hash, page_height_pt):
        self.fonts = fonts_by_hash
        self.height_pt = page_height_pt
        self.ctm = (1, 0, 0, 1, 0, 0)
        self.stack = []
        self.fill = (0, 0, 0)
        self.stroke = (0, 0, 0)
        self.line_width = 1.0
        self.path: list = []
        self.current: list | None = None
        self.tm = self.tlm = (1, 0, 0, 1, 0, 0)
        self.font = None
        self.font_size = 0.0
        self.rise = 0.0
        self.items: list = []

    # -- geometry ---------------------------------------------------------------
    def _to_ofd(self, matrix, x, y):
        px, py = _apply(matrix, x, y)
        return px * PT_TO_MM, (self.height_pt - py) * PT_TO_MM

    def _scale(self, matrix) -> float:
        a, b, c, d, _, _ = matrix
        return math.sqrt(abs(a * d - b * c))

    # -- operators --------------------------------------------------------------
    def run(self, operators):
        for raw in operators:
            line = raw if isinstance(raw, bytes) else str(raw).encode()
            line = line.strip()
            if not line:
                continue
            if line.endswith(b"TJ") or line.endswith(b"Tj"):
                self._show(line[:-2])
                continue
            parts = line.split()
            op, args = parts[-1], parts[:-1]
            handler = getattr(self, "op_" + op.decode("latin-1").replace("*", "_star"), None)
            if handler is not None:
                handler(args)
        return self.items

    def op_q(self, _):
        self.stack.append((self.ctm, self.fill, self.stroke, self.line_width))

    def op_Q(self, _):
        if self.stack:
            self.ctm, self.fill, self.stroke, self.line_width = self.stack.pop()

    def op_cm(self, args):
        self.ctm = _mul(tuple(float(a) for a in args), self.ctm)

    def op_w(self, args):
        self.line_width = float(args[0])

    def op_rg(self, args):
        self.fill = _rgb(args)

    def op_RG(self, args):
        self.stroke = _rgb(args)

    def op_g(self, args):
        self.fill = _rgb(args * 3)

    def op_G(self, args):
        self.stroke = _rgb(args * 3)

    def op_k(self, args):
        c, m, y, k = (float(a) for a in args)
        self.fill = _rgb(((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)))

    def op_K(self, args):
        c, m, y, k = (float(a) for a in args)
        self.stroke = _rgb(((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)))

    # paths: points are kept in OFD millimetres as they are built
    def op_m(self, args):
        self.current = [("M", [self._to_ofd(self.ctm, float(args[0]), float(args[1]))])]
        self.path.append(self.current)

    def op_l(self, args):
        if self.current is None:
            return self.op_m(args)
        self.current.append(("L", [self._to_ofd(self.ctm, float(args[0]), float(args[1]))]))

    def op_c(self, args):
        if self.current is None:
            return
        v = [float(a) for a in args]
        self.current.append(("C", [self._to_ofd(self.ctm, v[i], v[i + 1]) for i in (0, 2, 4)]))

    def op_h(self, _):
        if self.current is not None:
            self.current.append(("Z", []))

    def op_re(self, args):
        x, y, w, h = (float(a) for a in args)
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        points = [self._to_ofd(self.ctm, px, py) for px, py in corners]
        sub = [("M", [points[0]])] + [("L", [p]) for p in points[1:]] + [("Z", [])]
        sub_area = abs(w * h) > 1e-9
        self.path.append(sub if sub_area else [("M", [points[0]]), ("L", [points[1]])] + [("degenerate", [])])
        self.current = None

    def _paint(self, fill: bool, stroke: bool, even_odd: bool = False):
        subpaths = []
        for sub in self.path:
            degenerate = bool(sub) and sub[-1][0] == "degenerate"
            if degenerate:
                if stroke and not fill:
                    subpaths.append(sub[:-1])
                continue  # a zero-area rectangle fills nothing
            if len(sub) > 1:
                subpaths.append(sub)
        if subpaths and (fill or stroke):
            width = self.line_width * self._scale(self.ctm) * PT_TO_MM
            self.items.append(PathShape(subpaths=subpaths, fill=self.fill if fill else None,
                                        stroke=self.stroke if stroke else None, line_width=width,
                                        even_odd=even_odd))
        self.path, self.current = [], None

    def op_f(self, _):
        self._paint(True, False)

    op_F = op_f

    def op_f_star(self, _):
        self._paint(True, False, True)

    def op_S(self, _):
        self._paint(False, True)

    def op_s(self, _):
        self.op_h(None)
        self._paint(False, True)

    def op_B(self, _):
        self._paint(True, True)

    def op_B_star(self, _):
        self._paint(True, True, True)

    def op_n(self, _):
        self.path, self.current = [], None  # end of a clipping path: nothing painted

    # text
    def op_BT(self, _):
        self.tm = self.tlm = (1, 0, 0, 1, 0, 0)

    def op_Tm(self, args):
        self.tm = self.tlm = tuple(float(a) for a in args)

    def op_Td(self, args):
        self.tm = self.tlm = _mul((1, 0, 0, 1, float(args[0]), float(args[1])), self.tlm)

    def op_Tf(self, args):
        name = args[0].decode("latin-1").lstrip("/")
        self.font = self.fonts.get(name)
        self.font_size = float(args[1])

    def op_Ts(self, args):
        self.rise = float(args[0])

    def _show(self, operand: bytes):
        font = self.font
        if font is None:
            raise OfdCaptureError("text shown before a font was set")
        size = self.font_size
        step = 2 if font.bitmap else 4
        matrix = _mul(self.tm, self.ctm)
        scale = self._scale(matrix)  # device pt per text-space unit
        size_mm = size * scale * PT_TO_MM
        _, y = self._to_ofd(matrix, 0, self.rise)
        run = TextRun(font=font, size=size_mm, color=self.fill, y=y)
        tx = 0.0
        for match in _TOKEN.finditer(operand):
            hexa, number = match.groups()
            if number is not None:
                tx -= float(number) / 1000 * size
                continue
            for i in range(0, len(hexa), step):
                gid = int(hexa[i:i + step], 16)
                width = font.widths.get(gid, 0) / 1000 * size
                x, _ = self._to_ofd(matrix, tx, self.rise)
                run.glyphs.append(Glyph(gid=gid, text=font.to_unicode.get(gid, ""), x=x,
                                        advance=width * scale * PT_TO_MM))
                tx += width
        self.tm = _mul((1, 0, 0, 1, tx, 0), self.tm)
        if run.glyphs:
            self.items.append(run)


def capture_pages(document) -> tuple[list[PageDrawing], dict]:
    """Every page of DOCUMENT (a WeasyPrint layout) as drawn; and the fonts used
    ({hash: Font}, glyph widths and Unicode filled in by the painting)."""
    try:
        import pydyf
        from weasyprint.pdf.stream import Stream

        fonts: dict = {}
        pages = []
        for page in document.pages:
            resources = pydyf.Dictionary({name: pydyf.Dictionary() for name in
                                          ("ExtGState", "XObject", "Pattern", "Shading", "ColorSpace")})
            stream = Stream(fonts, (0, 0, page.width, page.height), resources, {}, None, {}, None,
                            compress=False)
            height_pt = page.height * PX_TO_PT
            stream.transform(d=-1, f=height_pt)
            page.paint(stream, PX_TO_PT)
            by_hash = {font.hash: font for font in fonts.values()}
            items = _Interpreter(by_hash, height_pt).run(stream.stream)
            pages.append(PageDrawing(width=page.width * PX_TO_PT * PT_TO_MM,
                                     height=height_pt * PT_TO_MM, items=items))
        return pages, {font.hash: font for font in fonts.values()}
    except (ImportError, TypeError, AttributeError) as err:
        raise OfdCaptureError(f"WeasyPrint's drawing stream changed: {err}") from err
