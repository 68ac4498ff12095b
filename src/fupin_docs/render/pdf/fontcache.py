"""Smaller copies of the large CJK faces, made once per machine, for speed.

WeasyPrint subsets every embedded face with HarfBuzz keeping the original
glyph ids, so a face with 65,000 glyphs (Noto CJK, used for 小标宋 and 黑体)
embeds ~480 KB of empty glyph slots for 40 characters and costs ~25 ms per
document to subset and deflate. A copy of such a face holding only the
GB 2312 characters (7,811 with ASCII and CJK punctuation, glyphs renumbered)
is ~3–4 MB with ~9,000 glyphs: rendering the examples measured 0.6–0.9× the
time and PDFs 20–40 % smaller.

The copy is put in front of the full face in the role's CSS family list (via
@font-face), so characters outside GB 2312 still come from the full face —
the same design, not a fallback. The copy keeps the face's outlines, metrics
and layout tables (HarfBuzz subsetter); only its family name is changed, so
fontconfig never mistakes it for the full face.

Copies live in $XDG_CACHE_HOME/fupin-docs/fonts (or ~/.cache/…), named by a
hash of the source file, face index, size and mtime. Anything going wrong
(no cache directory, HarfBuzz subsetter missing, a face it cannot subset)
means no copy: the full face is used as before, only slower.
"""

from __future__ import annotations

import ctypes.util
import functools
import hashlib
import io
import os
from pathlib import Path

from ...atomic import atomic_path

# Faces with fewer glyphs than this are embedded as they are.
MIN_GLYPHS = 12000
CHARSET_VERSION = "gb2312-1"  # part of the cache key: change it when the set changes


@functools.lru_cache(maxsize=1)
def charset() -> tuple[int, ...]:
    """GB 2312 hanzi and symbols, ASCII, CJK and full-width punctuation."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | set(range(0x2000, 0x2070))
    chars |= set(range(0x2100, 0x2200)) | set(range(0x2460, 0x2500)) | set(range(0x25A0, 0x2700))
    chars |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return tuple(sorted(chars))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fupin-docs" / "fonts"


@functools.lru_cache(maxsize=1)
def _harfbuzz():
    """cffi handles on libharfbuzz and libharfbuzz-subset, or None."""
    try:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef("""
            typedef struct hb_blob_t hb_blob_t;
            typedef struct hb_face_t hb_face_t;
            typedef struct hb_set_t hb_set_t;
            typedef struct hb_subset_input_t hb_subset_input_t;
            hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
            hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
            unsigned int hb_face_get_glyph_count(const hb_face_t *face);
            hb_blob_t *hb_face_reference_blob(hb_face_t *face);
            const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
            void hb_blob_destroy(hb_blob_t *blob);
            void hb_face_destroy(hb_face_t *face);
            void hb_set_add(hb_set_t *set, uint32_t codepoint);
            hb_subset_input_t *hb_subset_input_create_or_fail(void);
            hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
            void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
            void hb_subset_input_destroy(hb_subset_input_t *input);
            hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
        """)
        names = [ctypes.util.find_library(n) for n in ("harfbuzz", "harfbuzz-subset")]
        hb = ffi.dlopen(names[0] or "libharfbuzz.so.0")
        hbs = ffi.dlopen(names[1] or "libharfbuzz-subset.so.0")
        return ffi, hb, hbs
    except (ImportError, OSError, AttributeError):
        return None


HB_SUBSET_FLAGS_NO_HINTING = 0x1


def _subset(file: str, index: int) -> bytes | None:
    """The GB 2312 part of face INDEX of FILE, glyphs renumbered; None if not worth it."""
    handles = _harfbuzz()
    if handles is None:
        return None
    ffi, hb, hbs = handles
    blob = hb.hb_blob_create_from_file_or_fail(os.fsencode(file))
    if blob == ffi.NULL:
        return None
    face = hb.hb_face_create(blob, index)
    subset_input = hbs.hb_subset_input_create_or_fail()
    out = ffi.NULL
    try:
        if hb.hb_face_get_glyph_count(face) < MIN_GLYPHS or subset_input == ffi.NULL:
            return None
        unicodes = hbs.hb_subset_input_unicode_set(subset_input)
        for code in charset():
            hb.hb_set_add(unicodes, code)
        hbs.hb_subset_input_set_flags(subset_input, HB_SUBSET_FLAGS_NO_HINTING)
        out = hbs.hb_subset_or_fail(face, subset_input)
        if out == ffi.NULL:
            return None
        out_blob = hb.hb_face_reference_blob(out)
        length = ffi.new("unsigned int *")
        data = hb.hb_blob_get_data(out_blob, length)
        result = ffi.unpack(data, length[0]) if data != ffi.NULL else None
        hb.hb_blob_destroy(out_blob)
        return result or None
    finally:
        if out != ffi.NULL:
            hb.hb_face_destroy(out)
        if subset_input != ffi.NULL:
            hbs.hb_subset_input_destroy(subset_input)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def _renamed(data: bytes, family: str) -> bytes:
    """DATA with its family, full and PostScript names set to FAMILY."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), lazy=True)
    postscript = "".join(ch for ch in family if ch.isalnum() or ch == "-")
    for record in font["name"].names:
        if record.nameID in (1, 4, 16, 21):
            record.string = family
        elif record.nameID in (2, 17, 22):
            record.string = "Regular"
        elif record.nameID == 6:
            record.string = postscript
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def derived_family(family: str) -> str:
    """The family name of the GB 2312 copy of FAMILY."""
    return f"{family} GB2312 fupin"


def exact_family(family: str) -> str:
    """The @font-face family under which a role's primary face is loaded from
    its own file (when no GB 2312 copy is made), so no other weight of the
    family can stand in for it."""
    return f"{family} fupin"


def derived_face(family: str, file: str, index: int) -> Path | None:
    """Path of the GB 2312 copy of face INDEX of FILE (built now if missing), or None."""
    try:
        stat = os.stat(file)
        key = hashlib.sha256(f"{CHARSET_VERSION}|{file}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{family}"
                             .encode()).hexdigest()[:20]
        target = cache_dir() / f"{key}.otf"
        if target.exists():
            return target
        data = _subset(file, index)
        if data is None:
            return None
        data = _renamed(data, derived_family(family))
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            Path(tmp).write_bytes(data)
        return target
    except Exception:  # noqa: BLE001 — any failure only means "use the full face"
        return None
