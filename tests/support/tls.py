"""A self-signed certificate for 127.0.0.1 and localhost, made with openssl for a test (the API's HTTPS)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def self_signed(where: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files in `where`, valid for a day; skips saying how to get openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl to make the test's certificate: apt-get install openssl")
    certificate, key = where / "desk.crt", where / "desk.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return certificate, key
