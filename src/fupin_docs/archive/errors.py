"""The archive's errors, placed in the library's one tree (fupin_docs.errors)."""

from __future__ import annotations

from ..errors import IntegrityError, UserError


class ArchiveError(UserError):
    """Something the user can fix (bad file, bad value, unknown 档号)."""


class ArchiveDamaged(IntegrityError):
    """The archive itself is damaged (journal unreadable, file missing)."""
