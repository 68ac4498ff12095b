"""Errors the library raises for its callers, with the exit code the CLI maps them to.

They live here, not in cli/, so that library stages (render, pack, ledger …)
never import the command-line layer.
"""

from __future__ import annotations

# Exit codes (DESIGN.md): 0 ok, 1 the user's input is wrong, 2 usage, 3 integrity.
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTEGRITY = 0, 1, 2, 3


class UserError(Exception):
    """A problem the user can fix; the message is Simplified Chinese."""

    exit_code = EXIT_INPUT


class IntegrityError(Exception):
    """Damage found by a verify command."""

    exit_code = EXIT_INTEGRITY
