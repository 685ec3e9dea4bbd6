"""Settings, from the environment with safe defaults. docs/configuration.md lists every variable.

The ESL password is never a default: unless CALLCENTER_ESL_PASSWORD is set, one is generated on
first use and kept in var/esl_password (mode 0600), so the rendered event_socket.conf and the
event listener always agree and nobody runs with FreeSWITCH's ClueCon. One given or kept by hand must
have MIN_ESL_PASSWORD_LENGTH characters, or the command that needs it exits naming where it came from.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.api_limits import ApiLimits, ApiTls
from esl_handlers.socket_limits import OutboundLimits

_Number = TypeVar("_Number", int, float)

# Anyone who reaches the event socket controls every call: no short, guessable password. The
# generated one (secrets.token_urlsafe(24)) has 32 characters.
MIN_ESL_PASSWORD_LENGTH = 16


@dataclass(frozen=True)
class Settings:
    root: Path
    database_url: str
    dialplan: Path
    build_dir: Path
    var_dir: Path
    esl_host: str
    esl_port: int
    app_host: str
    app_port: int
    tts_engine: str | None
    tts_voice: str
    callback_endpoint: str | None
    agent_external_ip: str | None
    # How campaigns dial customers (CALLCENTER_CAMPAIGN_ENDPOINT), e.g. sofia/gateway/pstn/{number};
    # None: no campaign is dialled (docs/dialer.md says why there is no default).
    campaign_endpoint: str | None = None
    # The caller ID click-to-dial calls show (CALLCENTER_DESK_CALLER_ID); None: no click-to-dial.
    desk_caller_id: str | None = None
    # Where FreeSWITCH's en-us-callie sounds are (say reads numbers and dates with them); None: the
    # packaged default. A source build keeps them under /usr/local/freeswitch/sounds/en/us/callie.
    say_sound_prefix: Path | None = None
    # The engineer's own hold music (local_stream://moh streams every file there); None: the music
    # `render` writes into the conf directory (docs/freeswitch.md).
    moh_dir: Path | None = None
    # How values are read: "say" (those sounds), "tts", or "auto" (say when the sounds are there).
    say_by: str = "auto"
    api_host: str = "127.0.0.1"
    api_port: int | None = 8086  # None: no HTTP API (CALLCENTER_API_PORT=off)
    caller_sip_port: int = 5080  # the callers' (carriers') SIP profile
    agent_sip_port: int = 5060  # the agents' phones' SIP profile
    # Synthesized prompts (CALLCENTER_PROMPT_DIR); None: <build_dir>/prompts, beside the rendered conf.
    prompt_dir_override: Path | None = None
    # FreeSWITCH's CDR files, the call records' backstop (CALLCENTER_CDR_DIR); None: <var_dir>/cdr.
    cdr_dir_override: Path | None = None
    # How calls reach the application server: "socket" (one outbound socket each) or "park"
    # (parked, driven over one inbound connection); both the rendered dialplan and `serve` read it.
    call_control: str = "socket"
    # Who may connect to the outbound socket and what a peer may hold (CALLCENTER_APP_ALLOWED_PEERS ...).
    app_limits: OutboundLimits = field(default_factory=OutboundLimits)
    # The HTTP API's threads, request deadlines and connection cap (CALLCENTER_API_THREADS ...).
    api_limits: ApiLimits = field(default_factory=ApiLimits)
    api_tls: ApiTls | None = None  # CALLCENTER_API_TLS_CERT and _KEY: the API serves HTTPS
    # The call center's IANA time zone (CALLCENTER_TIME_ZONE): where "today" of the live statistics
    # starts and ends (docs/reports.md).
    time_zone: str = "UTC"

    @property
    def prompt_dir(self) -> Path:
        """Where `callcenter render` writes synthesized prompts and `serve` plays them from (absolute:
        the path goes to FreeSWITCH, which resolves relative paths from its own directory)."""
        return (self.prompt_dir_override or self.build_dir / "prompts").absolute()

    @property
    def cdr_dir(self) -> Path:
        """Where mod_json_cdr writes each ended call and `serve` reads them (absolute, as prompt_dir)."""
        return (self.cdr_dir_override or self.var_dir / "cdr").absolute()

    @property
    def conf_dir(self) -> Path:
        return self.build_dir / "freeswitch"

    @property
    def control_socket(self) -> Path:
        """The application server's unix socket for local wake-ups (esl_handlers.control)."""
        return self.var_dir / "control.sock"

    @property
    def password_file(self) -> Path:
        return self.var_dir / "esl_password"

    def esl_password(self) -> str:
        """The ESL password: from the environment, else the generated one under var/."""
        from_env = os.environ.get("CALLCENTER_ESL_PASSWORD")
        if from_env:
            return _strong_esl_password(
                from_env, "CALLCENTER_ESL_PASSWORD", "unset it and a strong one is generated"
            )
        if self.password_file.exists():
            kept = self.password_file.read_text(encoding="utf-8").strip()
            return _strong_esl_password(
                kept, f"{self.password_file} holds a password that", "delete the file to generate one"
            )
        self.var_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")
        return password

    @property
    def agent_passwords_file(self) -> Path:
        return self.var_dir / "agent_passwords.json"

    def agent_passwords(self, agent_ids: Iterable[str]) -> dict[str, str]:
        """SIP passwords of the agents' phones: kept ones, and a new strong one for each new agent.

        Kept in var/agent_passwords.json (mode 0600) so a re-render never changes a phone's password.
        """
        stored: dict[str, str] = {}
        if self.agent_passwords_file.exists():
            stored = json.loads(self.agent_passwords_file.read_text(encoding="utf-8"))
        wanted = list(agent_ids)
        missing = [agent for agent in wanted if agent not in stored]
        if missing:
            stored.update({agent: secrets.token_urlsafe(18) for agent in missing})
            self.var_dir.mkdir(parents=True, exist_ok=True)
            temporary = self.agent_passwords_file.with_suffix(".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(stored, handle, indent=2, sort_keys=True)
            os.replace(temporary, self.agent_passwords_file)
        return {agent: stored[agent] for agent in wanted}


def _strong_esl_password(password: str, source: str, remedy: str) -> str:
    """`password`, or exit naming where it came from; the password itself is never shown."""
    if any(ch.isspace() or not ch.isprintable() for ch in password):
        raise SystemExit(f"{source} must not contain whitespace or control characters ({remedy})")
    if len(password) < MIN_ESL_PASSWORD_LENGTH:
        raise SystemExit(
            f"{source} is too weak: use at least {MIN_ESL_PASSWORD_LENGTH} characters ({remedy}, "
            "then run `callcenter render` again; docs/configuration.md)"
        )
    return password


def _int(name: str, default: int) -> int:
    return _number(name, default, int, "an integer")


def _number(name: str, default: _Number, kind: type[_Number], what: str) -> _Number:
    """The variable `name` read as `kind`, `default` when unset or empty; exits naming it otherwise."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be {what}, got {raw!r}") from exc


def _optional(value: str) -> str | None:
    return None if value.lower() in ("", "none") else value


def load_settings(root: Path | None = None) -> Settings:
    base = (root or Path(os.environ.get("CALLCENTER_ROOT", Path.cwd()))).resolve()
    var_dir = Path(os.environ.get("CALLCENTER_VAR_DIR", base / "var"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'callcenter.db'}"
    esl_host = os.environ.get("CALLCENTER_ESL_HOST", "127.0.0.1")
    return Settings(
        root=base,
        database_url=database_url,
        dialplan=Path(os.environ.get("CALLCENTER_DIALPLAN", base / "dialplans" / "main.yaml")),
        build_dir=Path(os.environ.get("CALLCENTER_BUILD_DIR", base / "build")),
        var_dir=var_dir,
        esl_host=esl_host,
        esl_port=_int("CALLCENTER_ESL_PORT", 8021),
        app_host=os.environ.get("CALLCENTER_APP_HOST", "127.0.0.1"),
        app_port=_int("CALLCENTER_APP_PORT", 8084),
        tts_engine=_optional(os.environ.get("CALLCENTER_TTS_ENGINE", "flite")),
        tts_voice=os.environ.get("CALLCENTER_TTS_VOICE", "slt"),
        callback_endpoint=os.environ.get("CALLCENTER_CALLBACK_ENDPOINT") or None,
        campaign_endpoint=os.environ.get("CALLCENTER_CAMPAIGN_ENDPOINT") or None,
        desk_caller_id=os.environ.get("CALLCENTER_DESK_CALLER_ID") or None,
        agent_external_ip=os.environ.get("CALLCENTER_AGENT_EXTERNAL_IP") or None,
        say_sound_prefix=Path(os.environ["CALLCENTER_SAY_SOUND_PREFIX"])
        if os.environ.get("CALLCENTER_SAY_SOUND_PREFIX")
        else None,
        moh_dir=base / os.environ["CALLCENTER_MOH_DIR"] if os.environ.get("CALLCENTER_MOH_DIR") else None,
        say_by=os.environ.get("CALLCENTER_SAY_BY", "auto"),
        api_host=os.environ.get("CALLCENTER_API_HOST", "127.0.0.1"),
        api_port=_port_or_off("CALLCENTER_API_PORT", 8086),
        caller_sip_port=_int("CALLCENTER_CALLER_SIP_PORT", 5080),
        agent_sip_port=_int("CALLCENTER_AGENT_SIP_PORT", 5060),
        prompt_dir_override=Path(os.environ["CALLCENTER_PROMPT_DIR"])
        if os.environ.get("CALLCENTER_PROMPT_DIR")
        else None,
        cdr_dir_override=Path(os.environ["CALLCENTER_CDR_DIR"])
        if os.environ.get("CALLCENTER_CDR_DIR")
        else None,
        call_control=_choice("CALLCENTER_CALL_CONTROL", ("socket", "park"), "socket"),
        app_limits=_outbound_limits(esl_host),
        api_limits=_api_limits(),
        api_tls=_api_tls(),
        time_zone=_time_zone("CALLCENTER_TIME_ZONE"),
    )


def _time_zone(name: str) -> str:
    zone = os.environ.get(name, "").strip() or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SystemExit(f"{name} must be an IANA time zone such as Europe/London, got {zone!r}") from exc
    return zone


def _outbound_limits(esl_host: str) -> OutboundLimits:
    """The outbound socket's guards; by default only the ESL host (FreeSWITCH) may connect."""
    raw_peers = os.environ.get("CALLCENTER_APP_ALLOWED_PEERS")
    peers = (esl_host,) if raw_peers is None else tuple(p.strip() for p in raw_peers.split(",") if p.strip())
    if not peers:
        raise SystemExit("CALLCENTER_APP_ALLOWED_PEERS must name at least one address, network or host")
    defaults = OutboundLimits()
    return OutboundLimits(
        allowed_peers=peers,
        max_body_bytes=_positive("CALLCENTER_APP_MAX_FRAME_BYTES", defaults.max_body_bytes, int),
        buffer_budget_bytes=_positive(
            "CALLCENTER_APP_BUFFER_BUDGET_BYTES", defaults.buffer_budget_bytes, int
        ),
        frame_deadline=_positive("CALLCENTER_APP_FRAME_DEADLINE", defaults.frame_deadline, float),
    )


def _api_limits() -> ApiLimits:
    defaults = ApiLimits()
    return ApiLimits(
        threads=_positive("CALLCENTER_API_THREADS", defaults.threads, int),
        head_timeout=_positive("CALLCENTER_API_HEAD_TIMEOUT", defaults.head_timeout, float),
        body_timeout=_positive("CALLCENTER_API_BODY_TIMEOUT", defaults.body_timeout, float),
        max_connections=_positive("CALLCENTER_API_MAX_CONNECTIONS", defaults.max_connections, int),
        secure_cookie=_secure_cookie(),
    )


def _secure_cookie() -> Literal["auto", "on", "off"]:
    value = _choice("CALLCENTER_API_SECURE_COOKIE", ("auto", "on", "off"), "auto")
    return "on" if value == "on" else "off" if value == "off" else "auto"


def _api_tls() -> ApiTls | None:
    """Both files or neither; each must be readable now, so a typo stops the server at start."""
    certificate, key = os.environ.get("CALLCENTER_API_TLS_CERT"), os.environ.get("CALLCENTER_API_TLS_KEY")
    if not certificate and not key:
        return None
    if not certificate or not key:
        raise SystemExit("CALLCENTER_API_TLS_CERT and CALLCENTER_API_TLS_KEY go together: both or none")
    for name, value in (("CALLCENTER_API_TLS_CERT", certificate), ("CALLCENTER_API_TLS_KEY", key)):
        if not os.access(value, os.R_OK):
            raise SystemExit(f"{name}: cannot read {value!r}")
    return ApiTls(Path(certificate), Path(key))


def _positive(name: str, default: _Number, kind: type[_Number]) -> _Number:
    what = f"a positive {kind.__name__}"
    value = _number(name, default, kind, what)
    if value <= 0:
        raise SystemExit(f"{name} must be {what}, got {os.environ.get(name)!r}")
    return value


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise SystemExit(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _port_or_off(name: str, default: int) -> int | None:
    raw = os.environ.get(name, "")
    if raw.lower() in ("off", "none", "0"):
        return None
    return _int(name, default)
