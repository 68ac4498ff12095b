"""GB/T 9704-2012 numbers, written out from the standard (docs/GBT9704.md) for the
renderer tests to assert against.

Never import fupin_docs.render.layout (or anything derived from it) here: these
are the expected values, and a wrong layout constant must fail against them.
"""

from __future__ import annotations

PT_PER_MM = 72 / 25.4  # 1 in = 25.4 mm = 72 pt
TWIPS_PER_PT = 20  # OOXML: 1 twip = 1/20 pt

# --- 号 → pt -------------------------------------------------------------------
SANHAO_PT = 16  # 三号: default text, 正文, headings, 发文字号, 署名 (§5.2.2)
ERHAO_PT = 22  # 二号: 标题 (§7.3.1)
SIHAO_PT = 14  # 四号: 抄送/印发 (§7.4) and page numbers (§7.5)

# --- page (§5.2.1, §5.2.2) -------------------------------------------------------
PAGE_WIDTH_MM = 210  # A4
PAGE_HEIGHT_MM = 297
TOP_MM = 37  # 天头
LEFT_MM = 28  # 订口
TEXT_WIDTH_MM = 156  # 版心
TEXT_HEIGHT_MM = 225
BOTTOM_MM = 35  # 297 − 37 − 225
RIGHT_MM = 26  # 210 − 28 − 156

TEXT_TOP_PT = TOP_MM * PT_PER_MM
TEXT_BOTTOM_PT = (TOP_MM + TEXT_HEIGHT_MM) * PT_PER_MM
TEXT_LEFT_PT = LEFT_MM * PT_PER_MM
TEXT_RIGHT_PT = (LEFT_MM + TEXT_WIDTH_MM) * PT_PER_MM
TEXT_WIDTH_PT = TEXT_WIDTH_MM * PT_PER_MM  # ≈ 442.2 pt
TEXT_HEIGHT_PT = TEXT_HEIGHT_MM * PT_PER_MM  # ≈ 637.8 pt
TEXT_WIDTH_TWIPS = round(TEXT_WIDTH_PT * TWIPS_PER_PT)  # 8844
TEXT_HEIGHT_TWIPS = TEXT_HEIGHT_PT * TWIPS_PER_PT  # ≈ 12755.9

# --- grid (§5.2.3): 22 lines × 28 characters fill the 版心 --------------------------
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_PITCH_PT = TEXT_HEIGHT_PT / LINES_PER_PAGE  # ≈ 28.99 pt, the arithmetic pitch
CHAR_PITCH_PT = TEXT_WIDTH_PT / CHARS_PER_LINE  # ≈ 15.79 pt: one 字
# The standard gives lines per page, not a pitch. Any pitch that puts 22 lines
# (and no 23rd) into 225 mm with at most ~2 pt (0.7 mm) left over is right:
# 28.9–29.0 pt. Word needs whole twips and 580 (29.0 pt) overflows 225 mm by
# 4 twips, so the DOCX grid is 579 twips (28.95 pt); the PDF uses 28.99 pt. One
# line more or less (21 → 30.4 pt, 23 → 27.7 pt) or 1 mm more or less of 版心
# height (±0.13 pt) lands outside this range.
LINE_PITCH_MIN_PT = 28.9
LINE_PITCH_MAX_PT = 29.0
FIRST_LINE_INDENT_CHARS = 2  # 正文 first line 2 字 in (§7.3.3)

# --- 版头 (§7.2) -------------------------------------------------------------------
HEADER_INFO_LINES = 3  # 份号, 密级和保密期限, 紧急程度: one line each above the 标志
MARK_TOP_BELOW_TEXT_TOP_MM = 35  # 发文机关标志 top edge below the 版心 top (§7.2.3)
BLANK_LINES_MARK_TO_NUMBER = 2  # 发文字号 2 blank lines below the 标志 (§7.2.4)
SEPARATOR_BELOW_NUMBER_MM = 4  # red line 4 mm below the 发文字号 (§7.2.6)
SEPARATOR_WIDTH_MM = 156  # as wide as the 版心
SIGNER_SIDE_CHARS = 1  # 签发人 1 字 from the right, 发文字号 then 1 字 from the left (§7.2.5)

# --- 主体 (§7.3) -------------------------------------------------------------------
SIGNATURE_RIGHT_CHARS = 2  # 署名 2 字 from the right, no seal (§7.3.5.2)
DATE_RIGHT_OF_SIGNATURE_CHARS = 2  # 成文日期 starts 2 字 right of the 署名's first character
SEALED_DATE_RIGHT_CHARS = 4  # with a seal: 成文日期 4 字 from the right (§7.3.5.1)

# --- 版记 and page numbers (§7.4, §7.5) -------------------------------------------
COLOPHON_OUTER_RULE_MM = 0.35  # first and last 版记 rule
COLOPHON_INNER_RULE_MM = 0.25  # the rule between 抄送 and 印发
COLOPHON_SIDE_CHARS = 1  # 抄送 / 印发机关 / 印发日期 1 字 (四号) in
PAGE_NUMBER_BELOW_TEXT_MM = 7  # page number 7 mm below the 版心's bottom edge
PAGE_NUMBER_SIDE_CHARS = 1  # odd pages right, even pages left, 1 字 (四号) in
PAGE_NUMBER_DASH = "—"  # 一字线 either side: "— 1 —"

# --- choices the standard leaves open ("?" in docs/GBT9704.md) -------------------------
# Not the standard's numbers but the project's documented choice: pinned here so
# that changing one is a deliberate edit of both the code and this file.
MARK_MAX_SIZE_PT = 36  # 标志 size is not fixed (commonly 22–58 pt); 小初, shrunk to fit 156 mm
MARK_MIN_SIZE_PT = 22  # … down to 二号 at most
MARK_COLOR_HEX = "E00000"  # "red": the standard names no value
SEPARATOR_THICKNESS_MM = 0.35  # red separator thickness: 0.35 mm is common practice
TABLE_FONT_SIZE_PT = 12  # 小四 table text: the standard sets no size


def eighths_of_pt(mm: float) -> int:
    """A rule thickness in OOXML's w:sz unit (1/8 pt)."""
    return round(mm * PT_PER_MM * 8)

# --- §7.3.5: keeping the 署名 with the 正文 -------------------------------------------------
# "当公文排版后所剩空白处不能容下印章或签发人签名章、成文日期时，可以采取调整行距、字距的措施解决":
# how far line spacing may be tightened is the project's choice — at most 25 lines a page;
# otherwise at least 2 正文 lines go over to the 署名's page, never a page one line long.
TIGHT_LINES_PER_PAGE_MAX = 25
BODY_LINES_WITH_SIGNATURE_MIN = 2
