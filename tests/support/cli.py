"""The `callcenter` command for tests: in this process, parsed by the real parser with the settings of
the environment, or as the installed console script in a subprocess."""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import Engine

from callcenter.cli import build_parser
from callcenter.settings import load_settings
from schema.db import create_engine_from_url
from schema.migrate import upgrade

CALLCENTER_SCRIPT = Path(sys.executable).with_name("callcenter")


def parse(*argv: str) -> argparse.Namespace:
    """`argv` parsed as the `callcenter` console script parses it."""
    return build_parser().parse_args(argv)


def callcenter(*argv: str) -> int:
    """Run one command in this process as the console script does, without main()'s logging set-up and
    without its exit code 1 for a broken dialplan (a test sees the DialplanError itself)."""
    args = parse(*argv)
    code: int = args.func(load_settings(), args)
    return code


@contextlib.contextmanager
def seeded_cli_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: Callable[[Engine], object]
) -> Iterator[Engine]:
    """The SQLite database the `callcenter` commands of this test find (CALLCENTER_ROOT, DATABASE_URL),
    migrated and seeded."""
    url = f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}"
    (tmp_path / "var").mkdir()
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    engine = create_engine_from_url(url)
    seed(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def callcenter_output(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """callcenter(*argv) with what it printed: (exit code, stdout, stderr)."""
    code = callcenter(*argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def callcenter_process(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """The installed console script run to its end with `env`, its output captured as text."""
    return subprocess.run(
        [str(CALLCENTER_SCRIPT), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def start_callcenter(*args: str, env: dict[str, str], output: IO[bytes]) -> subprocess.Popen[bytes]:
    """The installed console script started with `env`, stdout and stderr both into `output`."""
    return subprocess.Popen(
        [str(CALLCENTER_SCRIPT), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
