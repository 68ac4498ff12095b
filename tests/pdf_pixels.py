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
