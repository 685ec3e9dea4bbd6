"""pytest plugin: a real PostgreSQL for the test run, and a fresh migrated database per test.

Fixtures:
- `postgres_server` (session): a throwaway cluster on a free 127.0.0.1 port (trust auth on
  loopback only, fsync off, its socket in its own temp dir), stopped and deleted at the end of
  the run, even after a failure. Missing binaries fail the run with the install hint: these
  tests are never skipped.
- `postgres_url` (session): the URL of one database on that server.
- `database_url`: parametrized over "sqlite" and "postgresql"; a fresh database at the head
  migration for each test. PostgreSQL databases are cloned from a template migrated once.
- `blank_database_url`: the same, but empty (for migration tests).
- `engine`: `schema.db.create_engine_from_url(database_url)`, disposed after the test.

Register with `pytest_plugins = ["tests.support.postgres"]` in tests/conftest.py (or `-p`).
As root, PostgreSQL's programs run as the `postgres` user (the Debian package creates it),
because the server refuses to run as root.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine

from schema.db import create_engine_from_url
from schema.migrate import upgrade
from sipp_scenarios.ports import free_tcp_port

INSTALL_HINT = (
    "PostgreSQL server programs (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH. "
    "Install Debian's `postgresql` package (apt-get install postgresql), as CI does, "
    "or point CALLCENTER_PG_BIN at the directory that holds them."
)
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
"""A test of the `database_url` (or `engine`) fixture on PostgreSQL only (LISTEN/NOTIFY, say)."""
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SUPERUSER = "postgres"
TEMPLATE_DATABASE = "callcenter_template"


def find_pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl: $CALLCENTER_PG_BIN, Debian's newest, or PATH."""
    candidates: list[Path] = []
    if override := os.environ.get("CALLCENTER_PG_BIN"):
        candidates.append(Path(override))
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    candidates.extend(debian)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())


def free_port() -> int:
    return free_tcp_port()


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temp dir; `stop()` and `start()` let a test take it away and back."""

    bin_dir: Path
    base_dir: Path
    run_as: str | None  # the user the server programs run as, when we are root
    port: int = 0
    running: bool = False
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        (self.base_dir / "socket").mkdir()
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            for path in (self.base_dir, self.base_dir / "socket"):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        (self.data_dir / "pg_hba.conf").write_text(
            "# written by tests/support/postgres.py: trust, but only on this machine\n"
            "local all all trust\n"
            "host all all 127.0.0.1/32 trust\n"
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# tests/support/postgres.py: a throwaway server, fast rather than durable\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.base_dir / 'socket'}'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )

    def start(self) -> None:
        """Start on the current port, or on a fresh free one if none was chosen yet or it was taken."""
        failure = ""
        for attempt in range(3):
            if not self.port or attempt:
                self.port = free_port()
            result = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port}",
                "start",
                check=False,
            )
            if result.returncode == 0:
                self.running = True
                return
            failure = result.stdout + result.stderr + self._log_tail()
        raise RuntimeError(f"PostgreSQL did not start:\n{failure}")

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)
            self.running = False

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Create a database (a copy of `template` if given) and return its name."""
        name = name or f"test_{next(self._names)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.admin() as admin:
            admin.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, cwd=self.base_dir, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
        return ""


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        pytest.fail(
            "running as root, and PostgreSQL refuses to: no `postgres` user to run it as. "
            "Install Debian's `postgresql` package, which creates it.",
            pytrace=False,
        )
    return SUPERUSER


@contextlib.contextmanager
def throwaway_server(prefix: str = "callcenter-pg-") -> Iterator[PostgresServer]:
    """A cluster of its own, started; stopped and deleted afterwards (a test may stop it meanwhile)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix=prefix)), _server_user())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        if server.running:
            server.stop("immediate")
        shutil.rmtree(server.base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with throwaway_server() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url(postgres_server.create_database("callcenter_test"))


@pytest.fixture(scope="session")
def _postgres_template(postgres_server: PostgresServer) -> str:
    name = postgres_server.create_database(TEMPLATE_DATABASE)
    upgrade(postgres_server.url(name))
    return name


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'calls.db'}"
        upgrade(url)
        yield url
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("_postgres_template")
    name = server.create_database(template=template)
    yield server.url(name)
    if server.running:
        server.drop_database(name)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like `database_url`, but an empty database that no migration has touched."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    if server.running:
        server.drop_database(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_from_url(database_url)
    yield engine
    engine.dispose()
