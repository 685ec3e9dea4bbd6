"""Settings: generated secrets are strong, private, and stable across runs."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import callcenter.api_wiring
from callcenter.api_limits import ApiLimits, ApiTls
from callcenter.api_wiring import build_http_api
from callcenter.cli import server_config
from callcenter.dialplan_holder import DialplanHolder
from callcenter.server_config import ServerConfig
from callcenter.settings import MIN_ESL_PASSWORD_LENGTH, load_settings
from schema.db import create_engine_from_url
from tests.support.server_configs import EXAMPLE_DIALPLAN

REPOSITORY = Path(__file__).resolve().parents[2]
API_LIMIT_VARIABLES = (
    "CALLCENTER_API_THREADS",
    "CALLCENTER_API_MAX_CONNECTIONS",
    "CALLCENTER_API_HEAD_TIMEOUT",
    "CALLCENTER_API_BODY_TIMEOUT",
    "CALLCENTER_API_SECURE_COOKIE",
)


@pytest.fixture
def settings_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CALLCENTER_ESL_PASSWORD", "CALLCENTER_VAR_DIR", "DATABASE_URL", "CALLCENTER_ESL_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ALLOWED_PEERS", "MAX_FRAME_BYTES", "BUFFER_BUDGET_BYTES", "FRAME_DEADLINE"):
        monkeypatch.delenv(f"CALLCENTER_APP_{name}", raising=False)
    for name in (*API_LIMIT_VARIABLES, "CALLCENTER_API_TLS_CERT", "CALLCENTER_API_TLS_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_esl_password_is_generated_once_private_and_never_cluecon(settings_root: Path) -> None:
    settings = load_settings(settings_root)
    first = settings.esl_password()
    assert len(first) >= 24
    assert len(first) >= MIN_ESL_PASSWORD_LENGTH
    assert first.lower() != "cluecon"
    assert load_settings(settings_root).esl_password() == first
    assert stat.S_IMODE(settings.password_file.stat().st_mode) == 0o600


def test_esl_password_from_the_environment_wins(settings_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_ESL_PASSWORD", "from-env-secret-16")
    assert load_settings(settings_root).esl_password() == "from-env-secret-16"
    assert not (settings_root / "var" / "esl_password").exists()


def test_the_minimum_esl_password_length_is_sixteen() -> None:
    assert MIN_ESL_PASSWORD_LENGTH == 16


@pytest.mark.parametrize("password", ["Q", "Zq7-pW9x", "Zq7-pW9x_kL2mN4", "ClueCon"])
def test_a_short_esl_password_from_the_environment_is_refused_without_showing_it(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    monkeypatch.setenv("CALLCENTER_ESL_PASSWORD", password)
    with pytest.raises(SystemExit) as refused:
        load_settings(settings_root).esl_password()
    message = str(refused.value.code)
    assert message.startswith("CALLCENTER_ESL_PASSWORD is too weak: use at least 16 characters")
    assert password not in message
    assert not (settings_root / "var" / "esl_password").exists()


def test_an_esl_password_of_sixteen_characters_is_accepted(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_ESL_PASSWORD", "Zq7-pW9x_kL2mN4v")
    assert load_settings(settings_root).esl_password() == "Zq7-pW9x_kL2mN4v"


def test_an_esl_password_with_a_space_is_refused_without_showing_it(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_ESL_PASSWORD", "Zq7-pW9x kL2mN4v-long")
    with pytest.raises(SystemExit) as refused:
        load_settings(settings_root).esl_password()
    message = str(refused.value.code)
    assert message.startswith("CALLCENTER_ESL_PASSWORD must not contain whitespace or control characters")
    assert "kL2mN4v" not in message


def test_a_weak_kept_esl_password_is_refused_naming_the_file(settings_root: Path) -> None:
    settings = load_settings(settings_root)
    settings.var_dir.mkdir()
    settings.password_file.write_text("Zq7-pW9x\n", encoding="utf-8")
    with pytest.raises(SystemExit) as refused:
        settings.esl_password()
    message = str(refused.value.code)
    assert message.startswith(f"{settings.password_file} holds a password that is too weak")
    assert "Zq7-pW9x" not in message


def test_agent_passwords_are_kept_and_new_agents_get_their_own(settings_root: Path) -> None:
    settings = load_settings(settings_root)
    first = settings.agent_passwords(["1001", "1002"])
    assert len(set(first.values())) == 2
    assert all(len(password) >= 16 for password in first.values())
    again = load_settings(settings_root).agent_passwords(["1002", "1003", "1001"])
    assert again["1001"] == first["1001"]
    assert again["1002"] == first["1002"]
    assert again["1003"] not in first.values()
    assert stat.S_IMODE(settings.agent_passwords_file.stat().st_mode) == 0o600


def test_hold_music_directory_is_ours_unless_set(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLCENTER_MOH_DIR", raising=False)
    assert load_settings(settings_root).moh_dir is None
    monkeypatch.setenv("CALLCENTER_MOH_DIR", "music/hold")  # relative to the root, made absolute
    assert load_settings(settings_root).moh_dir == settings_root.resolve() / "music" / "hold"
    monkeypatch.setenv("CALLCENTER_MOH_DIR", "/srv/moh")
    assert load_settings(settings_root).moh_dir == Path("/srv/moh")


def test_prompt_dir_is_beside_the_rendered_conf_unless_set(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLCENTER_BUILD_DIR", raising=False)
    monkeypatch.delenv("CALLCENTER_PROMPT_DIR", raising=False)
    settings = load_settings(settings_root)
    assert settings.prompt_dir == settings_root.resolve() / "build" / "prompts"
    assert settings.prompt_dir.parent == settings.conf_dir.parent
    monkeypatch.setenv("CALLCENTER_PROMPT_DIR", "relative/prompts")
    assert load_settings(settings_root).prompt_dir == Path.cwd() / "relative" / "prompts"


def test_call_control_is_the_socket_unless_park_is_asked_for(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLCENTER_CALL_CONTROL", raising=False)
    assert load_settings(settings_root).call_control == "socket"
    monkeypatch.setenv("CALLCENTER_CALL_CONTROL", "park")
    assert load_settings(settings_root).call_control == "park"
    monkeypatch.setenv("CALLCENTER_CALL_CONTROL", "parked")
    with pytest.raises(SystemExit, match="CALLCENTER_CALL_CONTROL must be one of socket, park"):
        load_settings(settings_root)


def test_the_outbound_socket_allows_the_esl_host_by_default(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_ESL_HOST", "10.0.0.5")
    limits = load_settings(settings_root).app_limits
    assert limits.allowed_peers == ("10.0.0.5",)
    assert (limits.max_body_bytes, limits.buffer_budget_bytes, limits.frame_deadline) == (
        1024 * 1024,
        64 * 1024 * 1024,
        5.0,
    )


def test_the_outbound_socket_limits_come_from_the_environment(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_APP_ALLOWED_PEERS", " 192.0.2.7, 10.1.0.0/16 ")
    monkeypatch.setenv("CALLCENTER_APP_MAX_FRAME_BYTES", "200000")
    monkeypatch.setenv("CALLCENTER_APP_BUFFER_BUDGET_BYTES", "9000000")
    monkeypatch.setenv("CALLCENTER_APP_FRAME_DEADLINE", "2.5")
    settings = load_settings(settings_root)
    limits = settings.app_limits
    assert limits.allowed_peers == ("192.0.2.7", "10.1.0.0/16")
    assert (limits.max_body_bytes, limits.buffer_budget_bytes, limits.frame_deadline) == (
        200000,
        9000000,
        2.5,
    )
    assert server_config(settings).app_limits == limits


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CALLCENTER_APP_FRAME_DEADLINE", "soon"),
        ("CALLCENTER_APP_FRAME_DEADLINE", "0"),
        ("CALLCENTER_APP_BUFFER_BUDGET_BYTES", "-1"),
        ("CALLCENTER_APP_MAX_FRAME_BYTES", "1MB"),
        ("CALLCENTER_APP_ALLOWED_PEERS", " , "),
    ],
)
def test_a_bad_outbound_socket_limit_names_its_variable(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=name):
        load_settings(settings_root)


def test_the_api_limits_default_to_the_documented_values(settings_root: Path) -> None:
    settings = load_settings(settings_root)

    expected = ApiLimits(threads=8, head_timeout=10.0, body_timeout=30.0, max_connections=256)
    assert settings.api_limits == expected
    assert server_config(settings).api_limits == expected


def test_the_api_limits_come_from_the_environment(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in zip(API_LIMIT_VARIABLES, ("3", "40", "2.5", "12", "on"), strict=True):
        monkeypatch.setenv(name, value)

    settings = load_settings(settings_root)

    expected = ApiLimits(
        threads=3, head_timeout=2.5, body_timeout=12.0, max_connections=40, secure_cookie="on"
    )
    assert settings.api_limits == expected
    assert server_config(settings).api_limits == expected


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("CALLCENTER_API_THREADS", "0", "a positive int, got '0'"),
        ("CALLCENTER_API_THREADS", "many", "a positive int, got 'many'"),
        ("CALLCENTER_API_MAX_CONNECTIONS", "-5", "a positive int, got '-5'"),
        ("CALLCENTER_API_MAX_CONNECTIONS", "1.5", "a positive int, got '1.5'"),
        ("CALLCENTER_API_HEAD_TIMEOUT", "0", "a positive float, got '0'"),
        ("CALLCENTER_API_HEAD_TIMEOUT", "10s", "a positive float, got '10s'"),
        ("CALLCENTER_API_BODY_TIMEOUT", "-30", "a positive float, got '-30'"),
        ("CALLCENTER_API_SECURE_COOKIE", "yes", "one of auto, on, off, got 'yes'"),
    ],
)
def test_a_bad_api_limit_names_its_variable(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=f"^{name} must be {re.escape(problem)}$"):
        load_settings(settings_root)


def test_the_api_serves_tls_with_both_files_and_refuses_one_alone(
    settings_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(settings_root).api_tls is None
    certificate, key = settings_root / "desk.crt", settings_root / "desk.key"
    certificate.write_text("pem")
    key.write_text("pem")
    monkeypatch.setenv("CALLCENTER_API_TLS_CERT", str(certificate))
    with pytest.raises(SystemExit, match=r"^CALLCENTER_API_TLS_CERT and CALLCENTER_API_TLS_KEY go together"):
        load_settings(settings_root)
    monkeypatch.setenv("CALLCENTER_API_TLS_KEY", str(settings_root / "missing.key"))
    with pytest.raises(SystemExit, match=r"^CALLCENTER_API_TLS_KEY: cannot read '.*missing.key'$"):
        load_settings(settings_root)
    monkeypatch.setenv("CALLCENTER_API_TLS_KEY", str(key))
    settings = load_settings(settings_root)
    assert settings.api_tls == ApiTls(certificate, key)
    assert server_config(settings).api_tls == ApiTls(certificate, key)


def test_the_served_api_runs_with_the_configured_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: dict[str, Any] = {}

    def worker_pool(size: int) -> SimpleNamespace:
        built["threads"] = size
        return SimpleNamespace(run=None)

    monkeypatch.setattr(callcenter.api_wiring, "WorkerPool", worker_pool)
    monkeypatch.setattr(
        callcenter.api_wiring,
        "ApiServer",
        lambda app, **kwargs: built.update(kwargs, secure_cookie=app.secure_cookie),
    )
    limits = ApiLimits(
        threads=3, head_timeout=2.5, body_timeout=12.0, max_connections=40, secure_cookie="off"
    )
    config = ServerConfig(
        dialplan=EXAMPLE_DIALPLAN,
        database_url=f"sqlite:///{tmp_path / 'callcenter.db'}",
        app_host="127.0.0.1",
        app_port=0,
        esl_host="127.0.0.1",
        esl_port=8021,
        esl_password="unused-by-this-test",
        dead_letter=tmp_path / "dead_letter.jsonl",
        api_port=0,
        api_limits=limits,
    )
    engine = create_engine_from_url(config.database_url)
    try:
        build_http_api(config, engine, DialplanHolder(EXAMPLE_DIALPLAN), None)
    finally:
        engine.dispose()

    assert built == {
        "threads": 3,
        "host": "127.0.0.1",
        "port": 0,
        "head_timeout": 2.5,
        "body_timeout": 12.0,
        "max_connections": 40,
        "secure_cookie": "off",
        "tls": None,
    }


def test_every_setting_is_documented() -> None:
    read = set(re.findall(r"CALLCENTER_[A-Z_]+", (REPOSITORY / "callcenter" / "settings.py").read_text()))
    documented = (REPOSITORY / "docs" / "configuration.md").read_text(encoding="utf-8")

    assert set(API_LIMIT_VARIABLES) <= read
    assert sorted(name for name in read if f"`{name}`" not in documented) == []


def test_the_time_zone_is_utc_unless_set(settings_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLCENTER_TIME_ZONE", raising=False)
    assert load_settings(settings_root).time_zone == "UTC"
    monkeypatch.setenv("CALLCENTER_TIME_ZONE", "Europe/Berlin")
    assert load_settings(settings_root).time_zone == "Europe/Berlin"
    monkeypatch.setenv("CALLCENTER_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(SystemExit, match="CALLCENTER_TIME_ZONE must be an IANA time zone"):
        load_settings(settings_root)
