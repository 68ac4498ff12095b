"""One page's Content.xml (GB/T 33190-2016 §7.7 page, §8.2 layers, §9 paths,
§11 text) from what the layout drew on it.

Every drawn text run is a TextObject holding one TextCode: X/Y of its first
character (the baseline) and DeltaX, the advance from each character to the
next, taken from the layout's own glyph positions (WeasyPrint's letter spacing
included). Rules and the red separator line are PathObjects. Coordinates of a
graphic unit's content are relative to its Boundary's top-left corner (§8.1).
"""

from __future__ import annotations

import itertools

from lxml import etree

from .capture import PageDrawing, PathShape, TextRun

NS = "http://www.ofdspec.org/2016"
NSMAP = {"ofd": NS}


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def num(value: float) -> str:
    """A number as OFD writes it: at most 3 decimals (1 µm), no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def box(x: float, y: float, w: float, h: float) -> str:
    return " ".join(num(v) for v in (x, y, w, h))


def delta_x(values: list[float]) -> str:
    """DeltaX with OFD's 'g N v' shorthand for a value repeated N times (§11.3)."""
    parts = []
    for value, group in itertools.groupby(num(v) for v in values):
        count = len(list(group))
        parts.append(f"g {count} {value}" if count > 2 else " ".join([value] * count))
    return " ".join(parts)


def color(value: tuple[int, int, int]) -> str:
    return " ".join(str(v) for v in value)


class Ids:
    """Object identifiers, unique in the whole document (§7.5 MaxUnitID)."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> str:
        self.last += 1
        return str(self.last)


def _characters(run: TextRun) -> tuple[str, list[float]]:
    """The run's characters and the x of each (mm)."""
    chars, xs = [], []
    for glyph in run.glyphs:
        for ch in glyph.text:
            chars.append(ch)
            xs.append(glyph.x)
    return "".join(chars), xs


def text_object(run: TextRun, font_id: str, ids: Ids):
    text, xs = _characters(run)
    if not text.strip():
        return None
    left = min(g.x for g in run.glyphs)
    right = max(g.x + g.advance for g in run.glyphs)
    top = run.y - run.size  # the em above the baseline, and 0.3 em below it
    height = run.size * 1.3
    obj = etree.Element(q("TextObject"), ID=ids.next(), Boundary=box(left, top, right - left, height),
                        Font=font_id, Size=num(run.size))
    etree.SubElement(obj, q("FillColor"), Value=color(run.color))
    code = etree.SubElement(obj, q("TextCode"), X=num(xs[0] - left), Y=num(run.y - top))
    if len(xs) > 1:
        code.set("DeltaX", delta_x([b - a for a, b in zip(xs, xs[1:])]))
    code.text = text
    return obj


def _polygon(sub) -> list | None:
    """The corners of a subpath made of straight lines only, else None."""
    if not sub or sub[0][0] != "M" or any(op not in ("M", "L", "Z") for op, _ in sub):
        return None
    return [p for _op, points in sub for p in points]


def _signed_area(poly: list) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1])) / 2


def _inside(point, poly: list) -> bool:
    x, y = point
    hits = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hits = not hits
    return hits


def _rectangle(poly: list) -> tuple | None:
    """(left, top, right, bottom) when POLY is an axis-aligned rectangle."""
    corners = list(dict.fromkeys(poly))
    xs, ys = sorted({x for x, _ in corners}), sorted({y for _, y in corners})
    if len(corners) != 4 or len(xs) != 2 or len(ys) != 2:
        return None
    return xs[0], ys[0], xs[1], ys[1]


def _even_odd_rectangles(rects: list) -> list:
    """The area an even-odd fill of RECTS covers, as rectangles that do not overlap
    (cells of the grid of every edge, covered an odd number of times, joined along
    each row)."""
    xs = sorted({x for r in rects for x in (r[0], r[2])})
    ys = sorted({y for r in rects for y in (r[1], r[3])})
    out = []
    for top, bottom in zip(ys, ys[1:]):
        start = None
        for left, right in zip(xs, xs[1:]):
            odd = sum(r[0] <= left and right <= r[2] and r[1] <= top and bottom <= r[3] for r in rects) % 2
            if odd and start is None:
                start = left
            if not odd and start is not None:
                out.append((start, top, left, bottom))
                start = None
        if start is not None:
            out.append((start, top, xs[-1], bottom))
    return out


def _wound_for_any_rule(subpaths: list) -> list:
    """SUBPATHS of an even-odd fill (the 版记's rules are drawn as frames: one
    rectangle in another, often sharing edges) made into a path that any fill rule
    fills alike: rectangles as the strips they leave, other nested polygons each
    wound against the one it sits in. Readers that ignore Rule (ofd.js) then draw
    the rules, not a solid block. Anything else is left as it is."""
    polys = [_polygon(sub) for sub in subpaths]
    if len(polys) < 2 or any(p is None or len(p) < 3 for p in polys):
        return subpaths
    rects = [_rectangle(poly) for poly in polys]
    if all(rects):
        return [[("M", [(l, t)]), ("L", [(r, t)]), ("L", [(r, b)]), ("L", [(l, b)]), ("Z", [])]
                for l, t, r, b in _even_odd_rectangles(rects)]
    out = []
    for sub, poly in zip(subpaths, polys):
        depth = sum(_inside(poly[0], other) for other in polys if other is not poly)
        if (_signed_area(poly) > 0) != (depth % 2 == 0):
            corners = [poly[0]] + poly[:0:-1]  # the same start, the other way round
            sub = [("M", [corners[0]])] + [("L", [c]) for c in corners[1:]] + [("Z", [])]
        out.append(sub)
    return out


def _path_data(shape: PathShape, left: float, top: float) -> str:
    out = []
    subpaths = _wound_for_any_rule(shape.subpaths) if shape.fill and shape.even_odd else shape.subpaths
    for sub in subpaths:
        for op, points in sub:
            if op == "Z":
                out.append("C")  # OFD's 'close the subpath'
                continue
            letter = {"M": "M", "L": "L", "C": "B"}[op]  # OFD: B is a cubic Bézier
            out.append(" ".join([letter] + [f"{num(x - left)} {num(y - top)}" for x, y in points]))
    return " ".join(out)


def path_object(shape: PathShape, ids: Ids):
    points = [p for sub in shape.subpaths for _op, pts in sub for p in pts]
    if not points:
        return None
    pad = shape.line_width / 2 if shape.stroke else 0.0
    left = min(x for x, _ in points) - pad
    top = min(y for _, y in points) - pad
    right = max(x for x, _ in points) + pad
    bottom = max(y for _, y in points) + pad
    obj = etree.Element(q("PathObject"), ID=ids.next(), Boundary=box(left, top, right - left, bottom - top))
    if shape.stroke:
        obj.set("LineWidth", num(shape.line_width))
    else:
        obj.set("Stroke", "false")
    if shape.fill:
        obj.set("Fill", "true")
        if shape.even_odd:
            obj.set("Rule", "Even-Odd")
    if shape.stroke:
        etree.SubElement(obj, q("StrokeColor"), Value=color(shape.stroke))
    if shape.fill:
        etree.SubElement(obj, q("FillColor"), Value=color(shape.fill))
    etree.SubElement(obj, q("AbbreviatedData")).text = _path_data(shape, left, top)
    return obj


def content_xml(drawing: PageDrawing, font_ids: dict, ids: Ids) -> bytes:
    """Content.xml of one page; FONT_IDS maps a WeasyPrint font hash to its OFD Font ID."""
    page = etree.Element(q("Page"), nsmap=NSMAP)
    area = etree.SubElement(page, q("Area"))
    etree.SubElement(area, q("PhysicalBox")).text = box(0, 0, drawing.width, drawing.height)
    content = etree.SubElement(page, q("Content"))
    layer = etree.SubElement(content, q("Layer"), ID=ids.next(), Type="Body")
    for item in drawing.items:
        if isinstance(item, TextRun):
            obj = text_object(item, font_ids[item.font.hash], ids)
        else:
            obj = path_object(item, ids)
        if obj is not None:
            layer.append(obj)
    return etree.tostring(page, xml_declaration=True, encoding="UTF-8")
