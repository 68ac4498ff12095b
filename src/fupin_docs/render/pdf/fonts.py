"""Which installed face serves each font role of a PDF, and which characters
it lacks.

Roles (GB/T 9704 §7, see docs/GBT9704.md "Fonts"):
  title  小标宋 — 标题, 发文机关标志, 附件标题
  body   仿宋   — 正文, 发文字号, 版记, headings of level 3/4
  h1     黑体   — level-1 headings, 附件N, 出席/请假/列席 labels, table headers
  h2     楷体   — level-2 headings, 签发人 names
  page   宋体   — page numbers

For each role the first installed face of (fupin.toml [fonts] pdf_* list, then
the built-in candidates) is the *primary* face. The CSS font-family list of the
role is every installed candidate followed by wide-coverage fallbacks, so Pango
falls back per glyph (a rare village name in Ext-B, a Traditional name, an
emoji) to a face that has it instead of drawing a blank box. Characters the
primary face lacks are reported so `fupin render` can warn.

Faces are looked up through fontconfig (`fc-list`), the same database Pango
uses for layout, so what this module reports is what WeasyPrint draws with.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from ...errors import UserError
from ...workspace.config import FontConfig

ROLES = ("title", "body", "h1", "h2", "page")

# Short names users know the roles by; PdfResult.fallback_chars uses them as keys.
ROLE_NAMES = {"title": "小标宋", "body": "仿宋", "h1": "黑体", "h2": "楷体", "page": "宋体"}

ROLE_LABELS = {
    "title": "小标宋（标题、发文机关标志）",
    "body": "仿宋（正文）",
    "h1": "黑体（一级标题）",
    "h2": "楷体（二级标题）",
    "page": "宋体（页码）",
}

# Built-in candidates, best first. Commercial faces an office may own come
# first so that installing them is enough; the free stand-ins follow
# (installed by scripts/setup-system.sh).
DEFAULT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "title": ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S",
              "Noto Serif CJK SC Black"),
    "body": ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "FandolFang"),
    "h1": ("黑体", "SimHei", "Noto Sans CJK SC", "FandolHei"),
    "h2": ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "AR PL UKai CN", "FandolKai",
           "LXGW WenKai"),
    "page": ("宋体", "SimSun", "FandolSong", "Noto Serif CJK SC"),
}

# Per-glyph fallbacks after a role's own faces, for Traditional and rare hanzi
# (脫 is not in FandolFang): a face of the role's own style and weight first —
# serif for 宋/仿宋/小标宋, sans for 黑体, 楷 for 楷体 — so the character does not
# stand out. Measured ink of one line set in each (pdftoppm, 100 dpi, same 24
# characters): FandolFang 18.3, Noto Serif CJK SC ExtraLight 21.1, Light 23.6,
# Regular 26.7 (46 % darker than the 仿宋 it stood in for), AR PL UKai 19.8
# against FandolKai 19.0. Then HanaMin for CJK Extension B (𠀀), DejaVu for
# symbols and emoji.
_LAST_RESORT = ("HanaMinA", "HanaMinB", "DejaVu Sans")
ROLE_FALLBACKS: dict[str, tuple[str, ...]] = {
    "title": ("Noto Serif CJK SC Black", "Noto Serif CJK SC SemiBold", "Noto Serif CJK SC",
              "Noto Sans CJK SC") + _LAST_RESORT,
    "body": ("Noto Serif CJK SC ExtraLight", "Noto Serif CJK SC Light", "Noto Serif CJK SC",
             "Noto Sans CJK SC") + _LAST_RESORT,
    "h1": ("Noto Sans CJK SC", "FandolHei", "Noto Serif CJK SC") + _LAST_RESORT,
    "h2": ("AR PL UKai CN", "AR PL UKai TW", "FandolKai", "Noto Serif CJK SC Light",
           "Noto Serif CJK SC") + _LAST_RESORT,
    "page": ("Noto Serif CJK SC", "Noto Sans CJK SC") + _LAST_RESORT,
}

# fupin.toml keys per role (Config.fonts); page numbers have no PDF key.
CONFIG_KEYS = {"title": "pdf_title", "body": "pdf_body", "h1": "pdf_heading1", "h2": "pdf_heading2"}

# Which package provides the free stand-in of each role (for messages).
INSTALL_HINTS = {
    "title": "fonts-noto-cjk-extra",
    "body": "Fandol 仿宋（scripts/setup-system.sh 从 texlive-lang-chinese 中提取）",
    "h1": "fonts-noto-cjk",
    "h2": "fonts-arphic-ukai",
    "page": "fonts-noto-cjk",
}
SETUP_COMMAND = "sudo bash scripts/setup-system.sh"


class FontSetupError(UserError):
    """A face or library PDF output needs is missing; the message says what to install."""


@dataclass(frozen=True)
class Face:
    family: str  # the name that matched (as given in the candidate list)
    file: str
    index: int
    style: str


@dataclass(frozen=True)
class RoleFaces:
    role: str
    primary: Face | None
    families: tuple[str, ...]  # CSS font-family list, primary first
    candidates: tuple[str, ...]  # what was asked for, in order
    installed: tuple[str, ...] = field(default=())  # candidates that are installed

    @property
    def css_family(self) -> str:
        return ", ".join(_css_quote(name) for name in self.families)


_UNSAFE_IN_NAME = re.compile(r"[^\w \-.+]")


def _css_quote(name: str) -> str:
    # Family names come from fupin.toml: keep only characters a face name
    # uses (letters of any script, digits, space, - . + _), so a name can
    # never break out of the CSS string.
    return '"' + _UNSAFE_IN_NAME.sub("", name) + '"'


@functools.lru_cache(maxsize=1)
def installed_faces() -> tuple[tuple[tuple[str, ...], str, str, int], ...]:
    """Every face fontconfig knows: (family names, style, file, index)."""
    if not shutil.which("fc-list"):
        raise FontSetupError(f"找不到 fontconfig（fc-list），无法查找字体。请安装：sudo apt-get install fontconfig，或运行 {SETUP_COMMAND}")
    out = subprocess.run(["fc-list", "--format", "%{family}\t%{style}\t%{file}\t%{index}\n"],
                         capture_output=True, text=True, check=False).stdout
    faces = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        families = tuple(name.strip() for name in parts[0].split(","))
        try:
            index = int(parts[3] or 0)
        except ValueError:
            index = 0
        faces.append((families, parts[1], parts[2], index))
    faces.sort(key=lambda f: (f[2], f[3]))  # deterministic choice among equals
    return tuple(faces)


def _style_rank(style: str) -> int:
    first = style.split(",")[0].strip().lower()  # "Black,Regular": a Black face
    return 0 if first in ("regular", "book", "normal", "r") else 1


@functools.lru_cache(maxsize=None)
def find_face(name: str) -> Face | None:
    """The installed face fontconfig would use for family NAME, if any; cached,
    as uncovered_chars asks again for every PDF that needed a fallback."""
    wanted = name.strip().lower()
    matches = [f for f in installed_faces() if wanted in (n.lower() for n in f[0])]
    if not matches:
        return None
    # "Noto Serif CJK SC" names seven weights; Pango picks the regular one.
    families, style, file, index = min(matches, key=lambda f: _style_rank(f[1]))
    return Face(family=name, file=file, index=index, style=style)


def candidates_for(role: str, fonts: FontConfig) -> tuple[str, ...]:
    configured = tuple(getattr(fonts, CONFIG_KEYS[role], ()) or ()) if role in CONFIG_KEYS else ()
    out: list[str] = []
    for name in configured + DEFAULT_CANDIDATES[role]:
        if name not in out:
            out.append(name)
    return tuple(out)


def resolve_role(role: str, fonts: FontConfig) -> RoleFaces:
    candidates = candidates_for(role, fonts)
    installed = tuple(name for name in candidates if find_face(name))
    primary = find_face(installed[0]) if installed else None
    fallbacks = ROLE_FALLBACKS[role]
    families: list[str] = []
    for name in installed + tuple(n for n in fallbacks if find_face(n)):
        if name not in families:
            families.append(name)
    return RoleFaces(role=role, primary=primary, families=tuple(families),
                     candidates=candidates, installed=installed)


@functools.lru_cache(maxsize=8)
def _resolve_all_cached(key: tuple) -> dict[str, RoleFaces]:
    fonts = FontConfig(**dict(key))
    return {role: resolve_role(role, fonts) for role in ROLES}


def _fonts_key(fonts: FontConfig) -> tuple:
    return tuple((k, getattr(fonts, k)) for k in sorted(fonts.__dataclass_fields__))


def resolve_faces(fonts: FontConfig) -> dict[str, RoleFaces]:
    """Faces for every role; cached per process and per [fonts] configuration."""
    return _resolve_all_cached(_fonts_key(fonts))


def require_faces(fonts: FontConfig) -> dict[str, RoleFaces]:
    """Like resolve_faces, but a role with no installed face is an error that
    names the package to install (a PDF drawn in whatever face fontconfig
    picks would not be a 公文)."""
    faces = resolve_faces(fonts)
    message = missing_faces_message(faces)
    if message:
        raise FontSetupError(message)
    return faces


def missing_faces_message(faces: dict[str, RoleFaces]) -> str | None:
    """What to install when some role has no face, or None when all do."""
    missing = [role for role in ROLES if faces[role].primary is None]
    if missing:
        lines = [f"缺少生成 PDF 所需的字体：{'、'.join(ROLE_LABELS[r] for r in missing)}。"]
        for role in missing:
            lines.append(f"  {ROLE_LABELS[role]}：可用 {'、'.join(faces[role].candidates)}；"
                         f"免费替代字体来自 {INSTALL_HINTS[role]}")
        lines.append(f"请运行：{SETUP_COMMAND}（或在 fupin.toml 的 [fonts] 中写明已安装的字体名称）。")
        return "\n".join(lines)
    return None


@functools.lru_cache(maxsize=32)
def face_cmap(file: str, index: int) -> frozenset[int]:
    """Code points FILE (face INDEX of a collection) has glyphs for; cached."""
    from fontTools.ttLib import TTFont

    font = TTFont(file, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


# Where an em dash's stroke starts when the face cannot be read: about the
# middle of the em box (FandolSong 0.49 em, Noto Serif CJK 0.64 em).
DASH_STROKE_TOP_EM_UNKNOWN = 0.5


@dataclass(frozen=True)
class DashMetrics:
    """A face's vertical metrics and its 一字线's stroke, in em (of unitsPerEm)."""
    ascent: float  # OS/2 typo metrics when the face asks for them, hhea otherwise
    descent: float  # positive, below the baseline
    stroke_top: float  # the stroke's upper edge above the baseline


@functools.lru_cache(maxsize=8)
def dash_metrics(file: str, index: int, char: str = "\u2014") -> DashMetrics | None:
    """The metrics of face INDEX of FILE that place CHAR's stroke (the 一字线 of
    page numbers) in a line; None when the face has no such glyph or cannot be read."""
    try:
        from fontTools.pens.boundsPen import BoundsPen
        from fontTools.ttLib import TTFont

        font = TTFont(file, fontNumber=index, lazy=True)
    except Exception:  # no fontTools (a Word-only install) or an unreadable face: the caller estimates
        return None
    try:
        glyph = (font.getBestCmap() or {}).get(ord(char))
        if glyph is None:
            return None
        upm = font["head"].unitsPerEm
        os2, hhea = font["OS/2"] if "OS/2" in font else None, font["hhea"]
        if os2 is not None and os2.fsSelection & (1 << 7) and os2.sTypoAscender:  # USE_TYPO_METRICS
            ascent, descent = os2.sTypoAscender, os2.sTypoDescender
        else:
            ascent, descent = hhea.ascent, hhea.descent
        ascent, descent = abs(ascent), abs(descent)  # some faces store a positive descent
        glyphs = font.getGlyphSet()
        pen = BoundsPen(glyphs)
        glyphs[glyph].draw(pen)
        if pen.bounds is None or ascent + descent == 0:
            return None
        return DashMetrics(ascent / upm, descent / upm, pen.bounds[3] / upm)
    except Exception:  # a face with broken tables: the caller estimates
        return None
    finally:
        font.close()


def dash_stroke_top_em(file: str, index: int, char: str = "\u2014") -> float | None:
    """How far below the top of a line box exactly 1 em tall the upper edge of
    CHAR's stroke (the 一字线 of page numbers) lies, in em, for face INDEX of FILE;
    None when the face has no such glyph or cannot be read.

    The line box is placed as Pango/HarfBuzz place it: the face's ascent and
    descent centred in the box, the baseline `ascent` below their top. Checked
    against the pixels of a rendered page (tests/test_pdf_pages.py)."""
    m = dash_metrics(file, index, char)
    if m is None:
        return None
    return (1 - (m.ascent + m.descent)) / 2 + m.ascent - m.stroke_top


def missing_chars(text: str, face: Face | None) -> str:
    """Characters of TEXT (in first-seen order, no whitespace) FACE has no glyph for."""
    if face is None:
        return ""
    cmap = face_cmap(face.file, face.index)
    seen: dict[str, None] = {}
    for ch in text:
        if ch.isspace() or ord(ch) in cmap or ch in seen:
            continue
        seen[ch] = None
    return "".join(seen)


def fallback_report(text_by_role: dict[str, str], faces: dict[str, RoleFaces]) -> dict[str, str]:
    """{role name (仿宋 …): characters its primary face lacks}, only roles with some."""
    out = {}
    for role, text in text_by_role.items():
        chars = missing_chars(text, faces[role].primary)
        if chars:
            out[ROLE_NAMES[role]] = chars
    return out


def uncovered_chars(text: str, faces: dict[str, RoleFaces]) -> str:
    """Characters no installed face of any role list covers (would print as a box)."""
    pool = {name for rf in faces.values() for name in rf.families}
    cmaps = []
    for name in pool:
        face = find_face(name)
        if face:
            cmaps.append(face_cmap(face.file, face.index))
    out: dict[str, None] = {}
    for ch in text:
        if ch.isspace() or ch in out or ord(ch) < 0x20:
            continue
        if ch in "\u200b\u200c\u200d\ufe0f\ufe0e":
            continue
        if not any(ord(ch) in cmap for cmap in cmaps):
            out[ch] = None
    return "".join(out)


_ROLE_ALIASES = {"heading1": "h1", "heading2": "h2"}


def css_family(role: str, fonts: FontConfig | None = None) -> str:
    """The CSS font-family list of ROLE (title, body, h1/heading1, h2/heading2,
    page): its installed faces, then fallbacks of the same style. Other PDFs of
    the project (the pack's 目录) use it so a rare character in them is drawn
    like in the 公文."""
    role = _ROLE_ALIASES.get(role, role)
    return resolve_faces(fonts or FontConfig())[role].css_family
