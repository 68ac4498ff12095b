"""The one tree of errors the library raises; messages are Simplified Chinese.

    FupinError
    ├── UserError          the user can fix it (bad input, unknown 档号, busy archive …)
    │   ├── InputError     located problems in an input file (inputs/problems.py)
    │   ├── ArchiveError, SearchError, LedgerError, TemplateError, FontSetupError …
    │   └── Busy           another program holds the lock; try again later
    └── IntegrityError     damage found (archive, index, pack): never silently repaired
        └── ArchiveDamaged

Library messages say what is wrong and what value would fix it, in office
words; they name no command-line flag or command. An error may carry the
FIELD it is about ("date", "reason" …) and a HINT (a key such as
"archive.list") so that each client adds its own way to act on it: the CLI a
flag and a command, a web page a form field and a link. The clients map the
classes to exit codes or HTTP statuses in one place each (cli/common.py).
"""

from __future__ import annotations


class FupinError(Exception):
    """Base of every error the library raises on purpose."""

    def __init__(self, message: str = "", *, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.field = field  # the input field the message is about, if one
        self.hint = hint  # a key for the client's own "how to act on it" (see module doc)


class UserError(FupinError):
    """A problem the user can fix; the message says how."""


class Busy(UserError):
    """Another program holds the lock on the archive, index or ledger."""


class IntegrityError(FupinError):
    """Damage found in the archive, the index or a pack."""
