"""`callcenter run` without a FreeSWITCH: it says how to get one and serves alone."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from callcenter.run_cli import run
from callcenter.settings import Settings, load_settings


def test_without_freeswitch_run_serves_alone_and_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FREESWITCH_BIN", str(tmp_path / "no-such-freeswitch"))
    served: list[Settings] = []

    def serve(settings: Settings, args: argparse.Namespace) -> int:
        served.append(settings)
        return 0

    settings = load_settings(tmp_path)
    assert run(settings, argparse.Namespace(), serve) == 0
    assert served == [settings]
    said = capsys.readouterr().err
    assert "no FreeSWITCH found" in said
    assert str(settings.conf_dir) in said
