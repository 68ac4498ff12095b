"""The ledger's user-facing error: a Simplified Chinese message, exit code 1."""

from __future__ import annotations

from ..errors import UserError


class LedgerError(UserError):
    """A ledger request the user can fix (unknown PID, closing twice, bad evidence …)."""
