"""Finding the two real programs the smoke run needs: SIPp and FreeSWITCH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FREESWITCH_ENV = "FREESWITCH_BIN"
SIPP_ENV = "SIPP_BIN"
# Where SIPp packages put the RFC 2833 captures; the tests' are generated, these only confirm PCAP support.
SIPP_PCAP_DIRS = (Path("/usr/share/sip-tester"), Path("/usr/share/sipp"))


class SmokeError(Exception):
    """The smoke run could not run: a tool is missing or FreeSWITCH did not come up."""


class ToolMissing(SmokeError):
    def __init__(self, tool: str, hint: str) -> None:
        super().__init__(f"{tool} not found: {hint}")
        self.tool = tool
        self.hint = hint


def find_sipp() -> Path:
    return _find(
        "sipp",
        SIPP_ENV,
        "install SIPp (Debian: apt-get install sip-tester) or set SIPP_BIN to the sipp binary",
    )


def find_freeswitch() -> Path:
    return _find(
        "freeswitch",
        FREESWITCH_ENV,
        "put a FreeSWITCH 1.10+ binary on PATH or set FREESWITCH_BIN to it",
    )


def _find(tool: str, env: str, hint: str) -> Path:
    configured = os.environ.get(env)
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ToolMissing(tool, f"{env}={configured} is not an executable file")
    found = shutil.which(tool)
    if found is None:
        raise ToolMissing(tool, hint)
    return Path(found)
