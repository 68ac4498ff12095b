"""Reading a PDF page as pixels (pdftoppm, grey): where the rules and the red lines are.

Shared by the PDF tests and the LibreOffice tests of the Word output."""

from __future__ import annotations

import subprocess
from pathlib import Path


def gray_page(path: Path, page: int, dpi: int) -> tuple[int, int, bytes]:
    """PAGE rendered in grey: (width, height, pixels), one byte a pixel."""
    data = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), str(path)],
                          capture_output=True, check=True).stdout
    parts = data.split(b"\n", 3)  # P5, size, maxval, pixels
    width, height = map(int, parts[1].split())
    return width, height, parts[3]


def dark_runs(values, dpi: int) -> list[tuple[float, float]]:
    """Extents (pt) of the runs of dark pixels in VALUES."""
    runs, start = [], None
    for i, value in enumerate(list(values) + [255]):
        dark = value < 128
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            runs.append((start * 72 / dpi, i * 72 / dpi))
            start = None
    return runs


def dark_bands(path: Path, page: int, x_pt: float, dpi: int = 288) -> list[tuple[float, float]]:
    """Vertical extents (pt) of dark runs along the pixel column at X_PT."""
    width, height, pixels = gray_page(path, page, dpi)
    col = int(x_pt * dpi / 72)
    return dark_runs((pixels[row * width + col] for row in range(height)), dpi)


def dark_spans(path: Path, page: int, y_pt: float, dpi: int = 288) -> list[tuple[float, float]]:
    """Horizontal extents (pt) of dark runs along the pixel row at Y_PT."""
    width, _, pixels = gray_page(path, page, dpi)
    row = int(y_pt * dpi / 72)
    return dark_runs(pixels[row * width:(row + 1) * width], dpi)


def horizontal_strokes(path: Path, page: int, top_pt: float, bottom_pt: float, min_length_pt: float,
                       dpi: int = 600) -> list[tuple[float, float, float, float]]:
    """Horizontal strokes between TOP_PT and BOTTOM_PT: dark runs at least
    MIN_LENGTH_PT long, rows of one stroke merged. Each is (upper edge, lower
    edge, left end, right end) in pt, top to bottom, left to right."""
    width, height, pixels = gray_page(path, page, dpi)
    strokes: list[list[float]] = []  # open strokes: [top, bottom, x0, x1, last row]
    done = []
    for row in range(int(top_pt * dpi / 72), min(int(bottom_pt * dpi / 72) + 1, height)):
        runs = [r for r in dark_runs(pixels[row * width:(row + 1) * width], dpi) if r[1] - r[0] >= min_length_pt]
        y = row * 72 / dpi
        for x0, x1 in runs:
            match = next((s for s in strokes if s[4] == row - 1 and x0 < s[3] and s[2] < x1), None)
            if match:
                match[1], match[2], match[3], match[4] = y + 72 / dpi, min(match[2], x0), max(match[3], x1), row
            else:
                strokes.append([y, y + 72 / dpi, x0, x1, row])
        done += [s for s in strokes if s[4] < row]
        strokes = [s for s in strokes if s[4] == row]
    return sorted((s[0], s[1], s[2], s[3]) for s in done + strokes)
