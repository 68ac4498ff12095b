"""Input problems: every user-facing error carries FILE:LINE:COL and a fix."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UserError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located in the file (1-based)."""

    file: str
    line: int
    column: int
    message: str  # Simplified Chinese, says what is wrong and how to fix it
    # The data path (keys and indexes) of the value it concerns, for a client that
    # shows the message beside a form's field; () for the document as a whole.
    path: tuple = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class InputError(UserError):
    """Raised with every problem found in the user's input at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))
