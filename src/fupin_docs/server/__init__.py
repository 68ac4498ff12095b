"""Client — `fupin serve`: the archive on the office LAN for clerks and visiting
inspectors (Flask + Jinja2 pages, htmx, waitress). A thin client of the library,
like cli/: accounts/ and audit/ hold the rules, this package the web.

    from fupin_docs.server import create_app
    app = create_app(open_workspace(root))

Importing the package loads no Flask: server.twins (the /api/ JSON, shared
with the CLI's --json) is imported by command-line code too.
"""

from __future__ import annotations


def create_app(workspace, **options):
    """The Flask app for WORKSPACE (see app.create_app)."""
    from .app import create_app as make

    return make(workspace, **options)


__all__ = ["create_app"]
