"""The document tree → one HTML page with GB/T 9704 CSS, for WeasyPrint.

Words come only from the tree (never added, never reordered), through a Jinja
template with autoescape, so `&`, `<b>` or `{{ }}` in an input print as typed.
Every number of the CSS comes from render/layout.py.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from importlib import resources
from pathlib import Path

import jinja2

from .. import layout as L
from ...compose.tree import (Addressees, AttachmentHeading, AttachmentNote, Attendance,
                             ComposedDocument, Heading, Note, PageBreak, Paragraph, Signature,
                             Table, Title)
from ..title_lines import split_title
from .fontcache import derived_face, derived_family, exact_family
from .fonts import DASH_STROKE_TOP_EM_UNKNOWN, RoleFaces, _css_quote, dash_stroke_top_em


def _floor(value: float, digits: int = 4) -> float:
    """Round down, so N grid cells of this size never add up to more than the 版心."""
    scale = 10 ** digits
    return math.floor(value * scale) / scale


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


CHAR = L.CHAR_PITCH_PT  # one 字 of body text, letter spacing included
PITCH = _floor(L.LINE_PITCH_PT)
TIGHT_PITCH = math.ceil(L.TIGHT_LINE_PITCH_PT * 1e4) / 1e4  # never below the limit
# Pango keeps glyph advances in its own units, and 28 × (16 − 0.2107) pt is
# exactly the 156 mm measure: measured, the 28th character overflowed by
# ~0.15 pt and wrapped. 0.01 pt more squeeze per character (0.3 pt a line,
# invisible) makes 28 characters fit for certain.
LETTER_SPACING = _floor(L.LETTER_SPACING_PT, 2) - 0.01
TEXT_WIDTH_PT = L.TEXT_WIDTH_PT
# The 4 mm from the 发文字号 to the red rule are measured from the foot of its
# glyphs, which sit centred in their line box, half a leading above its bottom.
SEPARATOR_GAP = L.mm_to_pt(L.SEPARATOR_BELOW_DOC_NUMBER_MM) - (PITCH - L.BODY_SIZE_PT) / 2


def width_in_chars(text: str) -> float:
    """Estimated advance of TEXT in body 字: CJK and full-width forms 1, Latin ½."""
    total = 0.0
    for ch in text:
        kind = unicodedata.east_asian_width(ch)
        total += 1.0 if kind in ("W", "F", "A") else 0.5
    return total


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # Autoescape on for the HTML; the CSS template gets only numbers and
    # already-quoted family names. No user text is ever compiled as a template.
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False,
    )


def _load_template(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def css_values(faces: dict[str, RoleFaces]) -> dict:
    """The numbers gongwen.css.j2 is filled with."""
    return {
        "page_w": _num(L.PAGE_WIDTH_MM), "page_h": _num(L.PAGE_HEIGHT_MM),
        "m_top": _num(L.MARGIN_TOP_MM), "m_right": _num(L.MARGIN_RIGHT_MM),
        "m_bottom": _num(L.MARGIN_BOTTOM_MM), "m_left": _num(L.MARGIN_LEFT_MM),
        "dash": L.PAGE_NUMBER_DASH,
        "pn_size": _num(L.PAGE_NUMBER_SIZE_PT), "pn_below": _num(page_number_padding(faces.get("page"))),
        "pn_indent": _num(L.PAGE_NUMBER_SIDE_INDENT_CHARS * L.PAGE_NUMBER_SIZE_PT),
        "body_size": _num(L.BODY_SIZE_PT), "pitch": _num(PITCH),
        "ls": _num(LETTER_SPACING),
        "doc_number_left": _num(L.DOC_NUMBER_LEFT_INDENT_CHARS * CHAR), "label": _num(L.LABEL_CHARS * CHAR),
        "indent": _num(L.FIRST_LINE_INDENT_CHARS * CHAR),
        "indent_plus_label": _num((L.FIRST_LINE_INDENT_CHARS + L.LABEL_CHARS) * CHAR),
        "att_width": _num(TEXT_WIDTH_PT - L.FIRST_LINE_INDENT_CHARS * CHAR),
        "mark_top": _num(L.MARK_TOP_FROM_TEXT_TOP_MM), "red": L.MARK_COLOR,
        "blank1": _num(PITCH), "att_gap": _num(L.BLANK_LINES_BEFORE_ATTACHMENT_NOTE * PITCH),
        "sig_gap": _num(L.BLANK_LINES_BEFORE_SIGNATURE * PITCH), "attend_gap": _num(L.BLANK_LINES_BEFORE_ATTENDANCE * PITCH),
        "blank2": _num(L.BLANK_LINES_MARK_TO_DOC_NUMBER * PITCH),
        "sep_gap": _num(SEPARATOR_GAP),
        "sep_thick": _num(L.SEPARATOR_THICKNESS_MM),
        "signer_right": _num(L.SIGNER_RIGHT_INDENT_CHARS * CHAR),
        "title_size": _num(L.TITLE_SIZE_PT),
        "sealed_gap": _num(L.BLANK_LINES_BEFORE_SEALED_SIGNATURE * PITCH),
        "with_signature": L.BODY_LINES_WITH_SIGNATURE_MIN,
        "tight": _num(TIGHT_PITCH), "tight_att_gap": _num(L.BLANK_LINES_BEFORE_ATTACHMENT_NOTE * TIGHT_PITCH),
        "tight_sig_gap": _num(L.BLANK_LINES_BEFORE_SIGNATURE * TIGHT_PITCH),
        "tight_sealed_gap": _num(L.BLANK_LINES_BEFORE_SEALED_SIGNATURE * TIGHT_PITCH),
        "table_size": _num(L.TABLE_FONT_SIZE_PT), "table_line": _num(L.TABLE_LINE_PITCH_PT),
        "table_ls": _num(L.DOCX_CHAR_SPACING_PT),
        "table_rule": _num(L.TABLE_RULE_PT), "table_pad_v": _num(L.TABLE_CELL_PADDING_V_PT),
        "table_pad_h": _num(L.mm_to_pt(L.TABLE_CELL_MARGIN_MM)),
        "colo_size": _num(L.COLOPHON_SIZE_PT),
        "colo_outer": _num(L.COLOPHON_OUTER_RULE_MM), "colo_inner": _num(L.COLOPHON_INNER_RULE_MM),
        "colo_indent": _num(L.COLOPHON_SIDE_INDENT_CHARS * L.COLOPHON_SIZE_PT),
        "colo_label": _num(L.LABEL_CHARS * L.COLOPHON_SIZE_PT),
        "colo_indent_plus_label": _num((L.COLOPHON_SIDE_INDENT_CHARS + L.LABEL_CHARS) * L.COLOPHON_SIZE_PT),
        **font_families(faces),
    }


def page_number_padding(page: RoleFaces | None) -> float:
    """Space (pt) from the 版心's bottom edge to the top of the page number's
    line box, so that the visible 一字线 — the dash's stroke, not its em box —
    has its upper edge PAGE_NUMBER_BELOW_TEXT_MM below the 版心 (§7.5)."""
    stroke = None
    if page is not None and page.primary is not None:
        stroke = dash_stroke_top_em(page.primary.file, page.primary.index, L.PAGE_NUMBER_DASH)
    if stroke is None:
        stroke = DASH_STROKE_TOP_EM_UNKNOWN
    return L.mm_to_pt(L.PAGE_NUMBER_BELOW_TEXT_MM) - stroke * L.PAGE_NUMBER_SIZE_PT


def font_families(faces: dict[str, RoleFaces]) -> dict:
    """CSS family list of each role, and the @font-face rules of the GB 2312
    copies of large faces (fontcache.py), which go first in their roles' lists."""
    font_faces, fam = [], {}
    for role, rf in faces.items():
        fam[role] = rf.css_family
        if rf.primary is None:
            continue
        path = derived_face(rf.primary.family, rf.primary.file, rf.primary.index)
        if path is not None:
            family = _css_quote(derived_family(rf.primary.family))
        elif rf.primary.index == 0 and not rf.primary.file.lower().endswith((".ttc", ".otc")):
            # The primary face by its file, not by its family name: fontconfig
            # may match the name to another weight of the family. FandolSong-
            # Bold.otf declares weight 400 like the Regular, and `fc-match
            # FandolSong` returns the Bold: page numbers came out bold.
            path = Path(rf.primary.file)
            family = _css_quote(exact_family(rf.primary.family))
        else:
            continue
        if all(f["family"] != family for f in font_faces):
            font_faces.append({"family": family, "url": path.as_uri()})
        fam[role] = f"{family}, {fam[role]}"
    return {"fam": fam, "font_faces": font_faces}


@functools.lru_cache(maxsize=8)
def _css_cached(key: tuple) -> str:
    faces = dict(key)
    return _environment().get_template("gongwen.css.j2").render(**css_values(faces))


def build_css(faces: dict[str, RoleFaces]) -> str:
    return _css_cached(tuple(sorted(faces.items())))


def mark_size(mark: str) -> float:
    """标志 size: as large as MARK_MAX_SIZE_PT allows within the 156 mm width."""
    units = max(width_in_chars(mark), 1.0)
    size = min(L.MARK_MAX_SIZE_PT, TEXT_WIDTH_PT / units)
    return max(_floor(size, 1), L.MARK_MIN_SIZE_PT)


def signature_columns(sig: Signature) -> tuple[float, float]:
    """Left offsets (pt) of the 署名 and the date lines (§7.3.5)."""
    issuer_start, date_start = L.signature_columns(width_in_chars(sig.issuer), width_in_chars(sig.date), sig.seal)
    return issuer_start * CHAR, date_start * CHAR


SHORT_CELL_CHARS = 4.5  # a cell this short (a name, a date, a status) should not wrap
# A date in a narrow column may wrap only after 年 ("2020年 / 5月31日"), never
# inside the month or day ("2020年5 / 月31日" reads as a different date).
DATE_CELL = re.compile(r"(\d{4}年)(\d{1,2}月(?:\d{1,2}日|底|初|中旬|上旬|下旬)?前?)")


def cell_pieces(text: str) -> list[str]:
    """TEXT cut where a line may break; each piece is drawn unbroken (nowrap)."""
    match = DATE_CELL.fullmatch(text.strip())
    return [match.group(1), match.group(2)] if match else [text]


def table_widths(table: Table) -> list[float]:
    """Column widths in % of the 版心: the columns' weights, but never so narrow
    that a header or a short cell (name, date, status) breaks inside a word —
    a header “责任\n人” also scrambles copy-paste and search in PDF viewers."""
    n = len(table.columns)
    size = L.TABLE_FONT_SIZE_PT
    pad = 2 * L.mm_to_pt(L.TABLE_CELL_MARGIN_MM) + 2 * L.TABLE_RULE_PT + L.TABLE_COLUMN_SLACK_PT
    mins = []
    for i, column in enumerate(table.columns):
        need = width_in_chars(column.header)
        for row in table.rows:
            if i < len(row) and max(map(width_in_chars, cell_pieces(row[i]))) <= SHORT_CELL_CHARS:
                need = max(need, *map(width_in_chars, cell_pieces(row[i])))
        mins.append(need * size + pad)
    total_weight = sum(max(c.weight, 0.0) for c in table.columns) or 1.0
    shares = [TEXT_WIDTH_PT * max(c.weight, 0.0) / total_weight for c in table.columns]
    if sum(mins) >= TEXT_WIDTH_PT:  # cannot honour every minimum: weights decide
        widths = shares
    else:
        widths = [max(m, s) for m, s in zip(mins, shares)]
        excess = sum(widths) - TEXT_WIDTH_PT
        slack = [w - m for w, m in zip(widths, mins)]
        if excess > 0 and sum(slack) > 0:
            widths = [w - excess * sl / sum(slack) for w, sl in zip(widths, slack)]
    return [100 * w / TEXT_WIDTH_PT for w in widths[:n]]


TAIL = (AttachmentNote, Signature, Note)


def tail_span(blocks) -> tuple[int, int, int] | None:
    """(first block of the section holding the 署名, first block of its tail —
    附件说明, 署名, 附注 —, end of the tail) as indexes into BLOCKS, or None."""
    sig = next((i for i, b in enumerate(blocks) if isinstance(b, Signature)), None)
    if sig is None:
        return None
    start = sig
    while start > 0 and isinstance(blocks[start - 1], TAIL):
        start -= 1
    end = sig + 1
    while end < len(blocks) and isinstance(blocks[end], TAIL):
        end += 1
    section = start
    while section > 0 and not isinstance(blocks[section - 1], PageBreak):
        section -= 1
    return section, start, end


def estimated_lines(block: Paragraph) -> int:
    chars = L.FIRST_LINE_INDENT_CHARS + sum(width_in_chars(r.text) for r in block.runs)
    return max(1, math.ceil(chars / L.CHARS_PER_LINE))


# How far the line below a table may reach up into the grid line the table
# ends in: its leading above the characters, less the clearance kept.
TABLE_PULL_UP_MAX = (PITCH - L.BODY_SIZE_PT) / 2 - L.TABLE_TEXT_CLEARANCE_PT


def grid_snap_gap(offset: float) -> float:
    """Space (pt) to leave below a table that ends OFFSET pt below the 版心's
    top, so that the text after it starts on a line of the 22-line grid
    (§5.2.3): the next grid line, or the one the table ends in when the table
    reaches less than TABLE_PULL_UP_MAX into it (a negative space). 0 when no
    grid line is left below it on the page: the text then starts the next
    page on its first line."""
    line = math.floor(offset / PITCH + 1e-6)
    if offset - line * PITCH > TABLE_PULL_UP_MAX:
        line += 1
    if (line + 1) * PITCH > L.mm_to_pt(L.TEXT_HEIGHT_MM) + 1e-6:
        return 0.0
    return line * PITCH - offset


def snap_style(gap: float) -> str:
    """The spacer's style for GAP: a height down to the grid line below, or a
    negative margin up to the grid line the table ends in (it takes the space
    off the next block's own top margin, as collapsing margins do)."""
    return f"height: {_num(gap)}pt" if gap >= 0 else f"margin-top: {_num(gap)}pt"


def table_count(doc: ComposedDocument) -> int:
    return sum(isinstance(b, Table) for b in doc.blocks)


def snap_anchor(number: int) -> str:
    """Id of the marker right below table NUMBER (0-based): its top is where the table ends."""
    return f"grid-snap-{number}"


def _view_blocks(doc: ComposedDocument, tight: bool = False, snaps: tuple[float, ...] = ()) -> list[dict]:
    out: list[dict] = []
    tables = 0
    page_break = False
    previous = None
    extra: dict[int, str] = {}
    anchors: dict[int, str] = {}
    span = tail_span(doc.blocks)
    if span is not None:
        section, start, end = span
        anchors[section], anchors[start] = "tail-section", "tail"
        if start == section:
            anchors[section] = "tail"
        if start > 0 and isinstance(doc.blocks[start - 1], Paragraph):
            extra[start - 1] = " before-tail"
            before = doc.blocks[start - 2] if start > 1 else None
            if estimated_lines(doc.blocks[start - 1]) < L.BODY_LINES_WITH_SIGNATURE_MIN \
                    and isinstance(before, Paragraph):
                extra[start - 2] = " keep-to-tail"
        if tight:
            for i in range(section, end):
                extra[i] = extra.get(i, "") + " tight"
    for index, block in enumerate(doc.blocks):
        if isinstance(block, PageBreak):
            page_break = True
            continue
        view: dict
        if isinstance(block, Title):
            view = {"type": "title", "lines": split_title(block.text)}
        elif isinstance(block, Addressees):
            view = {"type": "addressees", "text": block.text}
        elif isinstance(block, Heading):
            view = {"type": "heading", "level": block.level, "text": block.text}
        elif isinstance(block, Paragraph):
            view = {"type": "para", "runs": [{"role": r.role, "text": r.text} for r in block.runs]}
        elif isinstance(block, Table):
            widths = table_widths(block)
            columns = [{"header": c.header, "width": _num(w)} for c, w in zip(block.columns, widths)]
            rows = [[{"pieces": cell_pieces(cell),
                      "cls": "c" if i < len(block.columns) and block.columns[i].align == "center" else ""}
                     for i, cell in enumerate(row)] for row in block.rows]
            view = {"type": "table", "columns": columns, "rows": rows, "snap": snap_anchor(tables),
                    "snap_style": snap_style(snaps[tables] if tables < len(snaps) else 0.0)}
            tables += 1
        elif isinstance(block, AttachmentNote):
            numbered = len(block.names) > 1
            items = [{"lead": "附件：" if i == 0 else "", "number": f"{i + 1}.", "name": name}
                     for i, name in enumerate(block.names)]
            view = {"type": "att_note", "entries": items, "numbered": numbered}
        elif isinstance(block, Signature):
            issuer_left, date_left = signature_columns(block)
            view = {"type": "signature", "issuer": block.issuer, "date": block.date, "seal": block.seal,
                    "issuer_left": _num(issuer_left), "date_left": _num(date_left)}
        elif isinstance(block, Note):
            view = {"type": "note", "text": f"（{block.text}）"}
        elif isinstance(block, Attendance):
            view = {"type": "attendance", "label": block.label, "names": "、".join(block.names),
                    "first": not isinstance(previous, Attendance)}
        elif isinstance(block, AttachmentHeading):
            view = {"type": "att_heading", "label": block.label, "lines": split_title(block.title)}
        else:  # an unknown block type must not silently drop words
            raise TypeError(f"PDF renderer cannot draw {type(block).__name__}")
        view["page_break"] = page_break
        view["extra"] = extra.get(index, "")
        view["anchor"] = anchors.get(index, "")
        page_break = False
        previous = block
        out.append(view)
    return out


def _banner(doc: ComposedDocument) -> dict:
    h = doc.header
    top = []
    if h.copy_number:
        top.append({"cls": "body", "text": h.copy_number})
    if h.secrecy:
        top.append({"cls": "h1", "text": h.secrecy})
    if h.urgency:
        top.append({"cls": "h1", "text": h.urgency})
    size = mark_size(h.mark)
    per = L.SIGNERS_PER_LINE
    rows = [{"names": list(h.signers[i:i + per]), "last": i + per >= len(h.signers)}
            for i in range(0, len(h.signers), per)]
    # §7.2.5: names in order, two a line, a wrapped line under the first name: each
    # column as wide as its longest name, so the block is right-aligned as a whole
    chars = [max(width_in_chars(row["names"][col]) for row in rows if len(row["names"]) > col)
             for col in range(min(per, len(h.signers)))]
    # The 发文字号 never wraps; names too long for what it leaves of the line wrap
    # inside their columns (as Word and LibreOffice wrap them), so the 版头 keeps
    # the lines the DOCX's has.
    room = (L.CHARS_PER_LINE - L.DOC_NUMBER_LEFT_INDENT_CHARS - width_in_chars(h.doc_number or "")
            - 1 - width_in_chars("签发人：") - L.SIGNER_RIGHT_INDENT_CHARS
            - L.SIGNER_NAME_GAP_CHARS * (len(chars) - 1))
    if sum(chars) > room > 0:  # the longest names give way first; short ones stay whole
        cap = room / len(chars)
        for c in sorted(chars):
            if c <= cap:
                cap += (cap - c) / max(1, sum(1 for d in chars if d > c))
        chars = [min(c, cap) for c in chars]
    widths = [_num(c * CHAR) for c in chars]
    return {"top": top, "mark": h.mark, "mark_size": _num(size), "mark_line": _num(size),
            "doc_number": h.doc_number, "signer_rows": rows, "name_widths": widths,
            "name_gap": _num(L.SIGNER_NAME_GAP_CHARS * CHAR),
            "sep_after": _num(title_gap(size, bool(h.doc_number or h.signers)))}


def title_gap(mark_line: float, number_line: bool) -> float:
    """Space between the red separator and the title (§7.3.1: 2 blank lines),
    stretched by less than one line so that the title and the body below it
    start on a line of the page's 22-line grid (§5.2.3), as on pages 2 onwards.

    The separator's place follows from the 版头 (gongwen.css.j2): the 标志 top
    35 mm below the 版心, its line, the 发文字号 2 blank lines below it, then
    the rule 4 mm below the 发文字号.
    """
    rule_bottom = L.mm_to_pt(L.MARK_TOP_FROM_TEXT_TOP_MM) + mark_line
    if number_line:
        rule_bottom += (L.BLANK_LINES_MARK_TO_DOC_NUMBER + 1) * PITCH
    rule_bottom += SEPARATOR_GAP + L.mm_to_pt(L.SEPARATOR_THICKNESS_MM)
    least = rule_bottom + L.BLANK_LINES_SEPARATOR_TO_TITLE * PITCH
    title_top = math.ceil(least / PITCH - 1e-6) * PITCH
    return title_top - rule_bottom


# Where the 版记 goes (renderer.place_colophon decides after a first layout):
COLOPHON_HERE = ""  # under the body's last line, wherever that page is
COLOPHON_NEXT_EVEN = "next-even"  # the next even page, numbered
COLOPHON_AFTER_BLANK = "after-blank"  # a blank odd page, then an even page; both unnumbered


def build_html(doc: ComposedDocument, faces: dict[str, RoleFaces], colophon: str = COLOPHON_HERE,
               tight: bool = False, snaps: tuple[float, ...] = ()) -> str:
    """The document's HTML; its style sheet is build_css(faces), passed separately.
    COLOPHON says where the 版记 goes (COLOPHON_*); TIGHT sets the section that
    holds the 署名 with tightened line spacing (§7.3.5); SNAPS are the gaps (pt)
    below each table that put the text after it back on the grid (grid_snap_gap
    of where a previous layout ended each table)."""
    meta = doc.metadata or {}
    return _environment().get_template("gongwen.html.j2").render(
        kind=doc.kind,
        meta={"title": doc.title or doc.kind_label, "author": meta.get("issuer") or "",
              "keywords": "、".join(meta.get("tags") or [])},
        banner=_banner(doc),
        blocks=_view_blocks(doc, tight, snaps),
        colophon={"cc": doc.colophon.cc, "printer": doc.colophon.printer,
                  "print_date": doc.colophon.print_date,
                  "place": f" {colophon}" if colophon else ""},
    )


def text_by_role(doc: ComposedDocument) -> dict[str, str]:
    """All text each font role draws, for the fallback report."""
    parts: dict[str, list[str]] = {"title": [], "body": [], "h1": [], "h2": [], "page": []}
    h = doc.header
    parts["title"].append(h.mark)
    parts["body"] += [t for t in (h.copy_number, h.doc_number) if t]
    parts["h1"] += [t for t in (h.secrecy, h.urgency) if t]
    if h.signers:
        parts["body"].append("签发人：")
        parts["h2"].extend(h.signers)
    for block in doc.blocks:
        if isinstance(block, Title):
            parts["title"] += split_title(block.text)
        elif isinstance(block, AttachmentHeading):
            parts["h1"].append(block.label)
            parts["title"].append(block.title)
        elif isinstance(block, Heading):
            parts[{1: "h1", 2: "h2"}.get(block.level, "body")].append(block.text)
        elif isinstance(block, Paragraph):
            for run in block.runs:
                parts[run.role if run.role in ("h1", "h2") else "body"].append(run.text)
        elif isinstance(block, Table):
            parts["h1"] += [c.header for c in block.columns]
            parts["body"] += [cell for row in block.rows for cell in row]
        elif isinstance(block, Attendance):
            parts["h1"].append(block.label + "：")
            parts["body"].append("、".join(block.names))
        elif isinstance(block, AttachmentNote):
            parts["body"] += ["附件：1."] + list(block.names)
        elif isinstance(block, Signature):
            parts["body"] += [block.issuer, block.date]
        elif isinstance(block, (Addressees,)):
            parts["body"].append(block.text)
        elif isinstance(block, Note):
            parts["body"].append(f"（{block.text}）")
    c = doc.colophon
    parts["body"] += [f"抄送：{c.cc}" if c.cc else "", c.printer, f"{c.print_date}印发"]
    parts["page"].append(f"{L.PAGE_NUMBER_DASH} 0123456789")
    return {role: "".join(texts) for role, texts in parts.items()}
