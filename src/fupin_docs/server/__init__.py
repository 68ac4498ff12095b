"""Client — `fupin serve`: the archive on the office LAN for clerks and visiting
inspectors (Flask + Jinja2 pages, htmx, waitress). A thin client of the library,
like cli/: accounts/ and audit/ hold the rules, this package the web.

    from fupin_docs.server import create_app
    app = create_app(open_workspace(root))

Importing the package loads no Flask (create_app does). The /api/ pages answer
with the same builders the CLI's --json uses (Hits.to_json, archive.listing,
VerifyReport.to_json, PackResult.as_dict): one answer for both clients.
"""

from __future__ import annotations


def create_app(workspace, **options):
    """The Flask app for WORKSPACE (see app.create_app)."""
    from .app import create_app as make

    return make(workspace, **options)


__all__ = ["create_app"]
