"""A real PostgreSQL cluster for the tests: initdb in a temporary folder, the
server listening only on a Unix socket in that folder, stopped and removed at
the end. No system service, no password: the socket belongs to the test.

PostgreSQL refuses to run as root, so when the tests run as root (CI) the
cluster is created and started as the `postgres` user that Debian's package
creates; the folder is handed to that user and its socket opened to others.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

SERVER_USER = "postgres"


def _bin_dir() -> Path:
    """Debian keeps the server programs under /usr/lib/postgresql/N/bin (newest first)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL is not installed: run scripts/setup-system.sh (it installs Debian's postgresql)")


class Cluster:
    """One running test cluster; `url(db)` names a database in it."""

    def __init__(self):
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="fupin-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o755)  # the socket must be reachable by the test process
        self._run("initdb", "-D", str(self.data), "-U", SERVER_USER, "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self.start_server()

    def start_server(self) -> None:
        options = (f"-k {self.root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "start")

    def stop_server(self) -> None:
        """Stop the server as an administrator would (fast: connections cut), keeping its data."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            log = (self.root / "server.log")
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}"
                               + (log.read_text()[-2000:] if log.exists() else ""))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SERVER_USER}@/{database}?host={self.root}"

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
