"""Client — `fupin serve`: the archive on the office LAN for clerks and visiting
inspectors (Flask + Jinja2 pages, htmx, waitress). A thin client of the library,
like cli/: accounts/ and audit/ hold the rules, this package the web.

    from fupin_docs.server import create_app
    app = create_app(open_workspace(root))
"""

from .app import create_app

__all__ = ["create_app"]
