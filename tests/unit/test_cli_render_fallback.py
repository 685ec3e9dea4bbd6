"""`callcenter render` and the removed CALLCENTER_FALLBACK_EXTENSION: refused, not silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def render_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("CALLCENTER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(ROOT / "dialplans" / "main.yaml"))
    monkeypatch.delenv("CALLCENTER_FALLBACK_EXTENSION", raising=False)
    return tmp_path / "conf"


def test_render_refuses_the_removed_fallback_variable(
    render_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CALLCENTER_FALLBACK_EXTENSION", "0")
    assert main(["render", "--out", str(render_env)]) == 2
    assert "CALLCENTER_FALLBACK_EXTENSION is no longer read" in capsys.readouterr().err
    assert not render_env.exists()


def test_render_writes_the_example_s_fallback(render_env: Path) -> None:
    assert main(["render", "--out", str(render_env)]) == 0
    fallback = (render_env / "dialplan" / "cc_fallback.xml").read_text(encoding="utf-8")
    assert 'data="user/1007@callcenter.local,user/1008@callcenter.local"' in fallback
    assert 'data="default callcenter.local care"' in fallback
