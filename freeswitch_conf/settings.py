"""What the renderer needs to know about this FreeSWITCH that the dialplan YAML does not say."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from freeswitch_conf.directory import check_agent_password
from freeswitch_conf.escaping import preprocess_safe
from freeswitch_conf.say import DEFAULT_SAY_SOUND_PREFIX, SAY_BY_CHOICES, SayBy

_HOSTNAME = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_VOICE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# What sofia accepts as ext-sip-ip / ext-rtp-ip: an address, auto-nat, or a stun:/host: lookup.
_EXTERNAL_IP = re.compile(
    r"^(auto-nat|(stun|host):[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|[0-9.]{7,15}|[0-9a-fA-F:]{2,39})$"
)
# An absolute path FreeSWITCH uses as is: no '$', braces, quotes, spaces or '!' (a file_string separator).
_SOUND_PREFIX = re.compile(r"^(/[A-Za-z0-9_.,:@+=%-]+)+/?$")
CallControl = Literal["socket", "park"]
CALL_CONTROL_CHOICES: tuple[CallControl, ...] = ("socket", "park")


def call_control_setting(value: str) -> CallControl:
    """CALLCENTER_CALL_CONTROL's value as the renderer and the server take it."""
    for choice in CALL_CONTROL_CHOICES:
        if value == choice:
            return choice
    raise ValueError(f"call control must be one of {', '.join(CALL_CONTROL_CHOICES)}, got {value!r}")


# The fallback lease of a parked call, set by the dialplan before `park` (esl_handlers.parked_calls).
PARK_LEASE_SECONDS = 15
_LOG_LEVELS = ("debug", "info", "notice", "warning", "err", "crit", "alert")
# The TTS engines the renderer knows how to load, by the name the `speak` application uses.
TTS_MODULES = {"flite": "mod_flite"}
DEFAULT_RECORDINGS_DIR = Path("/var/lib/callcenter/recordings")
DEFAULT_VOICEMAIL_DIR = Path("/var/lib/callcenter/voicemail")
DEFAULT_CDR_DIR = Path("/var/lib/callcenter/cdr")
_DIRECTORIES = ("sounds_dir", "recordings_dir", "voicemail_dir", "cdr_dir", "log_dir", "db_dir", "moh_dir")


@dataclass(frozen=True)
class SwitchSettings:
    """Addresses, ports, paths and secrets of one FreeSWITCH node. Invalid values raise ValueError.

    Paths left as None fall back to what FreeSWITCH is started with (`-log`, `-db`) or, for the
    sounds, to the dialplan's own sounds directory. `agent_passwords` maps each agent id of the
    dialplan to the SIP password of its phone (at least 16 characters); the caller generates and
    keeps them. Secrets are left out of repr().
    """

    esl_password: str = field(repr=False)
    esl_host: str = "127.0.0.1"
    esl_port: int = 8021
    app_host: str = "127.0.0.1"
    app_port: int = 8084
    domain: str = "callcenter.local"
    sip_ip: str = "127.0.0.1"
    caller_sip_port: int = 5080
    agent_sip_port: int = 5060
    rtp_start: int = 16384
    rtp_end: int = 32768
    sounds_dir: Path | None = None
    recordings_dir: Path = DEFAULT_RECORDINGS_DIR
    voicemail_dir: Path = DEFAULT_VOICEMAIL_DIR
    """Where mod_voicemail keeps messages (`<dir>/<domain>/<box>/`), when a queue overflows to voicemail."""
    cdr_dir: Path = DEFAULT_CDR_DIR
    """Where mod_json_cdr writes one `<uuid>.cdr.json` per call as it ends: the application server's
    backstop for the calls that ended while it was not listening (esl_handlers.cdr_backstop)."""
    log_dir: Path | None = None
    db_dir: Path | None = None
    moh_dir: Path | None = None
    say_sound_prefix: Path = DEFAULT_SAY_SOUND_PREFIX
    """Where mod_say_en finds digits/, time/ and currency/: the en-us-callie sounds, in the directory
    FreeSWITCH's packages install them to; a source build keeps them under /usr/local/freeswitch/sounds."""
    say_by: SayBy = "auto"
    """How numbers and dates are read: `say` with those sounds, TTS, or auto (freeswitch_conf/say.py)."""
    tts_engine: str | None = "flite"
    tts_voice: str = "slt"
    prompt_dir: Path | None = None
    """Where render synthesized the prompts (dialplans.prompt_audio): the fallbacks play those files."""
    caller_networks: tuple[str, ...] = ()
    """CIDRs allowed to call the DIDs (the carriers); empty lets any address that reaches sip_ip."""
    log_level: str = "info"
    call_control: CallControl = "socket"
    """How calls reach the application server (esl_handlers.parked_calls): `socket`, an outbound
    socket per call, or `park`, parked and driven over one inbound connection."""
    agent_ring_seconds: int = 30
    max_sessions: int = 1000
    sessions_per_second: int = 60
    """FreeSWITCH's new-call throttle (switch.conf sessions-per-second; its own default is 30). Calls
    over it are refused with 503. Twice the planned rate: arrivals come in bursts, and at 30 a
    SIPp load of exactly 30 calls/s had 31 of 1,000 calls refused (docs/performance.md)."""
    agent_passwords: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)
    agent_external_ip: str | None = None
    """The address remote agent phones reach (ext-sip-ip/ext-rtp-ip of the agents profile): a public
    IP, `auto-nat`, or `stun:host`; None when every phone is on the switch's own network."""

    def __post_init__(self) -> None:
        # RenderError, raised by the shared checks, is a ValueError too.
        self._check_esl_and_network()
        self._check_paths()
        if self.say_by not in SAY_BY_CHOICES:
            raise ValueError(f"say_by must be one of {', '.join(SAY_BY_CHOICES)}, got {self.say_by!r}")
        if self.tts_engine is not None and self.tts_engine not in TTS_MODULES:
            raise ValueError(
                f"tts_engine must be one of {sorted(TTS_MODULES)} or None, got {self.tts_engine!r}"
            )
        for network in self.caller_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"caller_networks: {network!r} is not a network such as 192.0.2.0/24"
                ) from exc
        if self.agent_external_ip is not None and not _EXTERNAL_IP.match(self.agent_external_ip):
            raise ValueError(
                "agent_external_ip must be an IP address, auto-nat or stun:HOST, "
                f"not {self.agent_external_ip!r}"
            )
        if not _VOICE.match(self.tts_voice):
            raise ValueError(f"tts_voice must be a voice name such as slt or kal, got {self.tts_voice!r}")
        if self.log_level not in _LOG_LEVELS:
            raise ValueError(f"log_level must be one of {_LOG_LEVELS}, got {self.log_level!r}")
        for name in ("agent_ring_seconds", "max_sessions", "sessions_per_second"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for agent_id, agent_password in self.agent_passwords.items():
            check_agent_password(agent_id, agent_password)

    def _check_esl_and_network(self) -> None:
        """The ESL password and address, the addresses, ports and RTP range."""
        password = self.esl_password
        if not password:
            raise ValueError(
                "esl_password is empty: FreeSWITCH would fall back to its public default ClueCon"
            )
        if password.lower() == "cluecon":
            raise ValueError("esl_password must not be FreeSWITCH's public default ClueCon")
        if any(ch.isspace() or not ch.isprintable() for ch in password):
            raise ValueError("esl_password must not contain whitespace or control characters")
        if not _is_ip(self.esl_host) or not ipaddress.ip_address(self.esl_host).is_loopback:
            raise ValueError(f"esl_host must be a loopback address, got {self.esl_host!r}")
        if not _is_ip(self.sip_ip):
            raise ValueError(f"sip_ip must be an IP address, got {self.sip_ip!r}")
        if not (_is_ip(self.app_host) or _HOSTNAME.match(self.app_host)):
            raise ValueError(f"app_host must be an IP address or a host name, got {self.app_host!r}")
        if not _HOSTNAME.match(self.domain):
            raise ValueError(f"domain must be a host name, got {self.domain!r}")
        ports = {"esl_port": self.esl_port, "app_port": self.app_port}
        ports |= {"caller_sip_port": self.caller_sip_port, "agent_sip_port": self.agent_sip_port}
        for name, port in ports.items():
            if not 0 < port < 65536:
                raise ValueError(f"{name} must be a TCP/UDP port, got {port}")
        if self.call_control not in CALL_CONTROL_CHOICES:
            raise ValueError(f"call_control must be one of {CALL_CONTROL_CHOICES}, got {self.call_control!r}")
        if self.caller_sip_port == self.agent_sip_port:
            raise ValueError("the callers and agents profiles need different SIP ports")
        if not 0 < self.rtp_start < self.rtp_end < 65536:
            raise ValueError(f"need 0 < rtp_start < rtp_end < 65536, got {self.rtp_start}..{self.rtp_end}")

    def _check_paths(self) -> None:
        """The directories FreeSWITCH is given, and the say sounds' prefix."""
        for name in _DIRECTORIES:
            path = getattr(self, name)
            if path is not None and not Path(path).is_absolute():
                raise ValueError(
                    f"{name} must be absolute (FreeSWITCH resolves paths from its own cwd): {path}"
                )
        preprocess_safe(self.recordings_dir)
        if not _SOUND_PREFIX.match(str(self.say_sound_prefix)):
            raise ValueError(
                "say_sound_prefix must be an absolute path of letters, digits and _ . , : @ + = % -, "
                f"such as {DEFAULT_SAY_SOUND_PREFIX}, got {str(self.say_sound_prefix)!r}"
            )
        preprocess_safe(self.voicemail_dir)
        preprocess_safe(self.cdr_dir)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
