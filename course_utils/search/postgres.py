"""A throwaway PostgreSQL server: for the tests, the benchmark and the instructor's one-machine demo.

`LocalPostgres` runs Debian's PostgreSQL binaries (``initdb``, ``pg_ctl``; ``apt-get install
postgresql``) in a temporary folder, on a free port of 127.0.0.1, with a password, and removes
everything on exit. PostgreSQL refuses to run as root: when this process is root, the server
runs as the system user ``coursepg`` (created with ``useradd`` if missing), which owns the folder.

A real class points at a server that stays up (a department's, or one on the instructor's
machine); see the README's "A class searches together".
"""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SERVER_USER = "coursepg"


def postgres_bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``: ``$PG_BIN``, the PATH, or the newest /usr/lib/postgresql/*/bin."""
    candidates = [os.environ.get("PG_BIN", "")]
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LocalPostgres:
    """A PostgreSQL server in a temporary folder; a context manager (``with LocalPostgres() as pg: pg.url``).

    ``host`` is where it listens (127.0.0.1 unless a demo must reach other machines).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int | None = None, user: str = "course",
                 database: str = "course", password: str | None = None) -> None:
        self.bin = postgres_bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found. Fix: apt-get install postgresql "
                               "(Debian/Ubuntu), or set PG_BIN to the folder holding them.")
        self.host, self.port = host, port or free_port(host)
        self.user, self.database = user, database
        self.password = password or secrets.token_hex(8)
        self.folder: Path | None = None
        self._run_as: list[str] = []

    @property
    def url(self) -> str:
        """The URL workers use: ``postgresql://user:password@host:port/database``."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    @property
    def data_dir(self) -> Path:
        assert self.folder is not None, "start the server first"
        return self.folder / "data"

    def _as_server_user(self) -> None:
        if os.geteuid() != 0:
            return
        if subprocess.run(["id", "-u", SERVER_USER], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                           check=True, capture_output=True)
        runuser = shutil.which("runuser")
        self._run_as = [runuser, "-u", SERVER_USER, "--"] if runuser else ["su", SERVER_USER, "-s", "/bin/sh", "-c"]
        shutil.chown(self.folder, SERVER_USER)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._run_as and self._run_as[0] == "su":  # su -c takes one string
            command = [*self._run_as, " ".join(command)]
        else:
            command = [*self._run_as, *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")
        return result

    def start(self) -> LocalPostgres:
        """Create the cluster, start the server and wait until it accepts connections."""
        # /tmp itself, not pytest's private tmp folders: the server user must be able to enter it.
        self.folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
        self.folder.chmod(0o700)
        self._as_server_user()
        password_file = self.folder / "password"
        password_file.write_text(self.password + "\n")
        if self._run_as:
            shutil.chown(password_file, SERVER_USER)
        self._run("initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=scram-sha-256",
                  f"--pwfile={password_file}", "-E", "UTF8", "--locale=C")
        password_file.unlink()
        options = (f"-c listen_addresses={self.host} -p {self.port} -c unix_socket_directories='' "
                   "-c max_connections=100 -c fsync=off")
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.folder / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                connection = psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                              dbname="postgres", connect_timeout=5)
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.database}"')
        connection.close()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (keeps the folder: `start_again` restarts it)."""
        if self.folder is not None and (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def start_again(self) -> None:
        """Restart a stopped server on the same port with the same data (a simulated outage)."""
        options = f"-c listen_addresses={self.host} -p {self.port} -c unix_socket_directories='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.folder / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")

    def close(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop("immediate")
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
