"""The ServerConfig of an in-process application server against a stand-in switch (wire tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from callcenter.server import ServerConfig
from tests.support.standin import InboundSwitch

EXAMPLE_DIALPLAN = Path(__file__).resolve().parents[2] / "dialplans" / "main.yaml"


def wire_config(
    switch: InboundSwitch, password: str, database_url: str, var_dir: Path, **overrides: Any
) -> ServerConfig:
    """Calls on a free loopback port, events from `switch`, dead letters in `var_dir`; the example
    dialplan unless `dialplan=` says otherwise."""
    host, port = switch.address
    settings: dict[str, Any] = {
        "dialplan": EXAMPLE_DIALPLAN,
        "database_url": database_url,
        "app_host": "127.0.0.1",
        "app_port": 0,
        "esl_host": host,
        "esl_port": port,
        "esl_password": password,
        "dead_letter": var_dir / "dead_letter.jsonl",
    }
    return ServerConfig(**{**settings, **overrides})
