"""GB/T 9704-2012 layout numbers: the one place both renderers read them from.

Clause numbers refer to GB/T 9704-2012; "?" marks a choice the standard leaves
open, made here once.
"""

from __future__ import annotations

import math

# --- 号 → pt (GB/T 9704 §3.x, customary type sizes) -------------------------
SIZE_CHUHAO = 42.0
SIZE_XIAOCHU = 36.0
SIZE_YIHAO = 26.0
SIZE_ERHAO = 22.0  # 二号: title (§7.3.1)
SIZE_XIAOER = 18.0
SIZE_SANHAO = 16.0  # 三号: default text (§5.2.2)
SIZE_XIAOSAN = 15.0
SIZE_SIHAO = 14.0  # 四号: 版记, page numbers (§7.4, §7.5)
SIZE_XIAOSI = 12.0
SIZE_WUHAO = 10.5

MM_PER_PT = 25.4 / 72


def mm_to_pt(mm: float) -> float:
    return mm / MM_PER_PT


# --- page (§5.2.1, §5.2.2) ---------------------------------------------------
PAGE_WIDTH_MM = 210.0  # A4
PAGE_HEIGHT_MM = 297.0
MARGIN_TOP_MM = 37.0  # 天头
MARGIN_LEFT_MM = 28.0  # 订口
TEXT_WIDTH_MM = 156.0  # 版心宽
TEXT_HEIGHT_MM = 225.0  # 版心高
TEXT_WIDTH_PT = mm_to_pt(TEXT_WIDTH_MM)
MARGIN_RIGHT_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - TEXT_WIDTH_MM  # 26
MARGIN_BOTTOM_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - TEXT_HEIGHT_MM  # 35

# --- grid (§5.2.3): 22 lines × 28 characters fill the 版心 --------------------
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
BODY_SIZE_PT = SIZE_SANHAO
# ? exact pitch: the standard gives lines per page, not a pitch; 225 mm / 22 is
# the arithmetic one (≈ 28.95 pt).
LINE_PITCH_PT = mm_to_pt(TEXT_HEIGHT_MM) / LINES_PER_PAGE
CHAR_PITCH_PT = TEXT_WIDTH_PT / CHARS_PER_LINE  # ≈ 15.79 pt
LETTER_SPACING_PT = CHAR_PITCH_PT - BODY_SIZE_PT  # ≈ −0.21 pt
FIRST_LINE_INDENT_CHARS = 2  # 正文 first-line indent 2 字 (§7.3.3)

# --- 版头 (§7.2) ----------------------------------------------------------------
# 份号, 密级和保密期限, 紧急程度 on lines 1–3 (§7.2.1–7.2.3); the 标志 follows.
BANNER_INFO_LINES = 3
MARK_TOP_FROM_TEXT_TOP_MM = 35.0  # 发文机关标志 top edge below 版心 top (§7.2.3)
MARK_MAX_SIZE_PT = SIZE_XIAOCHU  # ? size not fixed; 36 pt, shrunk to fit 156 mm
MARK_MIN_SIZE_PT = SIZE_ERHAO
MARK_COLOR = "#E00000"  # ? "red": the standard names no value; pure-ish red prints as 大红
BLANK_LINES_MARK_TO_DOC_NUMBER = 2  # §7.2.4
SEPARATOR_BELOW_DOC_NUMBER_MM = 4.0  # red line 4 mm below 发文字号 (§7.2.6)
SEPARATOR_THICKNESS_MM = 0.35  # ? thickness not fixed; 0.35 mm is common practice
SIGNER_RIGHT_INDENT_CHARS = 1  # 签发人 1 字 from the right (§7.2.5)
DOC_NUMBER_LEFT_INDENT_CHARS = 1  # with 签发人, 发文字号 1 字 from the left (§7.2.5)
SIGNERS_PER_LINE = 2  # several 签发人: two names a line, wrapped under the first name (§7.2.5)
SIGNER_NAME_GAP_CHARS = 1  # ? the space between the two names of a line: 1 字

# --- 主体 (§7.3) ----------------------------------------------------------------
TITLE_SIZE_PT = SIZE_ERHAO
# 梯形 title lines hold this many 二号 characters: 442 pt / 22 pt → 20 (§7.3.1).
TITLE_CHARS_PER_LINE = int(TEXT_WIDTH_PT // TITLE_SIZE_PT)
BLANK_LINES_SEPARATOR_TO_TITLE = 2  # §7.3.1
BLANK_LINES_TITLE_TO_ADDRESSEES = 1  # §7.3.2
SIGNATURE_RIGHT_CHARS = 2  # 署名 2 字 from the right, no seal (§7.3.5.2)
DATE_RIGHT_OF_SIGNATURE_CHARS = 2  # date starts 2 字 right of 署名's first char
SEALED_DATE_RIGHT_CHARS = 4  # with seal: date 4 字 from the right (§7.3.5.1)
ATTACHMENT_TITLE_LINE = 3  # 附件 title on line 3 of its page (§7.3.7)
TABLE_FONT_SIZE_PT = SIZE_XIAOSI  # ? tables: the standard sets no size; 小四 keeps 7 columns readable


def signature_columns(issuer_chars: float, date_chars: float, seal: bool) -> tuple[float, float]:
    """Where the 署名 and the 成文日期 start, in 字 from the left (§7.3.5), given
    their widths in 字; both renderers place them by this."""
    cols = CHARS_PER_LINE
    if seal:
        # Date 4 字 from the right; 署名 centred over the date.
        date_start = cols - SEALED_DATE_RIGHT_CHARS - date_chars
        issuer_start = date_start + (date_chars - issuer_chars) / 2
    elif date_chars + DATE_RIGHT_OF_SIGNATURE_CHARS <= issuer_chars + SIGNATURE_RIGHT_CHARS:
        # 署名 2 字 from the right; the date starts 2 字 right of its first character.
        issuer_start = cols - SIGNATURE_RIGHT_CHARS - issuer_chars
        date_start = issuer_start + DATE_RIGHT_OF_SIGNATURE_CHARS
    else:
        # The date is the longer line: it keeps 2 字 to the right and the 署名
        # moves left so the date still starts 2 字 right of it (§7.3.5.2).
        date_start = cols - SIGNATURE_RIGHT_CHARS - date_chars
        issuer_start = date_start - DATE_RIGHT_OF_SIGNATURE_CHARS
    issuer_start = min(max(issuer_start, 0.0), max(cols - issuer_chars, 0.0))
    date_start = min(max(date_start, 0.0), max(cols - date_chars, 0.0))
    return issuer_start, date_start

# --- 版记 and page numbers (§7.4, §7.5) ----------------------------------------
COLOPHON_SIZE_PT = SIZE_SIHAO
COLOPHON_OUTER_RULE_MM = 0.35  # first and last 版记 rule
COLOPHON_INNER_RULE_MM = 0.25  # the rule between 抄送 and 印发
COLOPHON_SIDE_INDENT_CHARS = 1  # 抄送 / 印发机关 / 印发日期 1 字 in
PAGE_NUMBER_SIZE_PT = SIZE_SIHAO
# §7.5: the 一字线's upper edge 7 mm below the 版心's bottom edge — the visible
# stroke of the dash, which sits near the middle of its em box, not the box's top.
PAGE_NUMBER_BELOW_TEXT_MM = 7.0
PAGE_NUMBER_SIDE_INDENT_CHARS = 1  # odd right, even left, 1 字 in
PAGE_NUMBER_DASH = "—"  # 一字线 either side: "— 1 —"


# --- blank lines and table text (shared by DOCX and PDF) ------------------------
BLANK_LINES_BEFORE_ATTACHMENT_NOTE = 1  # §7.3.4: 附件说明 1 blank line below 正文
BLANK_LINES_BEFORE_SIGNATURE = 1  # §7.3.5.2: 署名 1 blank line below 正文/附件说明
# ? with a seal the standard only says the seal's top lies within one line of
# the text above; 2 blank lines leave room for a 42 mm seal over 署名 and date.
BLANK_LINES_BEFORE_SEALED_SIGNATURE = 2
BLANK_LINES_BEFORE_ATTENDANCE = 1  # §10.3: one blank line after 正文, then 出席
# “附件：”, “抄送：”, “出席：” are 3 字: 附件说明, 抄送 and 出席 names wrap
# aligned after their label (§7.3.4, §7.4.2, §10.3).
LABEL_CHARS = 3
TABLE_LINE_PITCH_PT = 18.0  # ? 小四 table text, exact 18 pt lines (1.5 × 12 pt)
TABLE_CELL_MARGIN_MM = 1.5  # ? left/right padding inside table cells
TABLE_RULE_PT = 0.5  # ? table rules: thin black lines
TABLE_COLUMN_SLACK_PT = 1.0  # ? room a column sized to fit its short cells keeps, so they never wrap
# ? Below a table the text goes back onto the 22-line grid (§5.2.3). A table
# that ends a little way into a grid line does not cost the page that line:
# the next line stays on it as long as this much room is left between the
# table's last rule and the top of its characters (within the line's leading).
TABLE_TEXT_CLEARANCE_PT = 3.0
# §7.3.5: when the space left cannot hold the 署名 and 成文日期, line spacing
# (行距) may be tightened so they stay on the page with the 正文. ? limit: a
# tightened page holds at most 25 lines (≈25.5 pt pitch, 12 % tighter), which
# gains the one line a short document's first page usually misses.
TIGHT_LINES_PER_PAGE_MAX = 25
TIGHT_LINE_PITCH_PT = mm_to_pt(TEXT_HEIGHT_MM) / TIGHT_LINES_PER_PAGE_MAX
# When tightening is not enough, at least this many 正文 lines go over to the
# 署名's page (§7.3.5: the 署名 never stands without 正文 above it).
BODY_LINES_WITH_SIGNATURE_MIN = 2

# --- DOCX specifics (render/docx) ---------------------------------------------
TWIPS_PER_PT = 20
HEADER_DISTANCE_MM = 15.0  # ? a 公文 has no page header; any distance inside the 37 mm 天头 will do
# Grid: w:docGrid type "lines" (linePitch = the exact line pitch) plus a
# character spacing of −0.25 pt on every run, so 28 三号 characters fill a line
# (28 × 15.75 = 441 pt ≤ 442.2 pt) in Word, WPS and LibreOffice alike.
# Measured: type "linesAndChars" with w:charSpace −848 (15.79 pt pitch) is what
# Word templates carry, but LibreOffice 7/24 then gives every 16 pt character
# two 15.79 pt grid cells — 14 characters a line and twice the pages.
DOCX_CHAR_SPACING_TWENTIETHS = math.floor(LETTER_SPACING_PT * TWIPS_PER_PT)  # −5 → −0.25 pt
DOCX_CHAR_SPACING_PT = DOCX_CHAR_SPACING_TWENTIETHS / TWIPS_PER_PT
DOCX_CHAR_ADVANCE_PT = BODY_SIZE_PT + DOCX_CHAR_SPACING_PT  # one 字 on the page
# The template's footer distance (page bottom edge → bottom of the footer line):
# 35 − 7 mm minus one 四号 line. A rendered document replaces it by the distance
# that puts the 一字线's stroke, measured from the face, PAGE_NUMBER_BELOW_TEXT_MM
# below the 版心 (docx/finish.page_number_position).
PAGE_NUMBER_FOOTER_DISTANCE_MM = MARGIN_BOTTOM_MM - PAGE_NUMBER_BELOW_TEXT_MM - PAGE_NUMBER_SIZE_PT * MM_PER_PT
# ? The last 正文 paragraph above the 署名 is kept with it (w:keepNext) only
# when it is this many lines or fewer: LibreOffice never splits a keep-with-next
# paragraph, so a longer one would move whole and leave its page half empty;
# a longer one gets widow/orphan control instead, which moves two of its lines
# along with the 署名 when a page break falls inside it (§7.3.5).
DOCX_KEEP_WHOLE_MAX_LINES = 3
# ? The red separator is the 发文字号 paragraph's bottom border, whose w:space
# (whole points) counts from the bottom of the paragraph's exact grid line, not
# of the characters: the 三号 em box ends this far above that bottom (measured
# in LibreOffice 7.4: 4.3 pt with its default faces, 4.9 pt with the 仿宋
# stand-in), so the border's space is 4 mm less this (§7.2.6).
DOCX_EM_BOTTOM_ABOVE_LINE_BOTTOM_PT = 4.6

# --- PDF specifics (render/pdf) ----------------------------------------------
# ? No top/bottom padding inside table cells: the 18 pt line already leaves 3 pt
# above and below 小四 text, and a Word table's cells have none (w:tblCellMar
# sets only left/right). With 2 pt here a PDF row was 22.5 pt against the DOCX's
# 18.5 pt, so the PDF split tables (and carried a heading over with a table)
# rows earlier than Word and LibreOffice, and the DOCX's 版记 prediction failed.
TABLE_CELL_PADDING_V_PT = 0.0
