"""Errors raised by the archive; messages are Simplified Chinese and say how to fix."""

from __future__ import annotations


class ArchiveError(Exception):
    """Something the user can fix (bad file, bad option). CLI exit code 1."""

    exit_code = 1


class ArchiveDamaged(Exception):
    """The archive itself is damaged (journal unreadable, file missing). CLI exit code 3."""

    exit_code = 3
